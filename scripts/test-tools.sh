#!/usr/bin/env bash
# Installs the programs some tests need that pip cannot install: promtool (Debian's
# `prometheus`: tests/deploy) and chromium (Debian's `chromium`: the dashboard's
# browser test). `make test`, `make test-fast` and `.ci/run` call it.
#
# It installs with apt-get when it runs as root where apt-get exists, and says what it
# installs. Elsewhere it says what is missing and how to provide it; the tests that need
# a missing program are then skipped, each naming that command, or fail under CI=true
# (tests/helpers/tools.py, which keeps the same list).
set -euo pipefail

log() { printf '[test-tools] %s\n' "$*"; }

# name | how to find it | Debian package
TOOLS=(
  "promtool|promtool|prometheus"
  "chromium|/usr/bin/chromium|chromium"
)

missing=()
for entry in "${TOOLS[@]}"; do
  IFS='|' read -r name command package <<<"$entry"
  command -v "$command" >/dev/null 2>&1 || missing+=("$name|$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

packages=()
for entry in "${missing[@]}"; do packages+=("${entry#*|}"); done

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  for entry in "${missing[@]}"; do log "installing ${entry#*|} (for ${entry%%|*})"; done
  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null; then
    exit 0
  fi
  log "apt-get could not install ${packages[*]}"
else
  log "cannot install here (needs root and apt-get)"
fi
for entry in "${missing[@]}"; do
  log "missing ${entry%%|*}: its tests will not run; provide it with \`sudo apt-get install -y ${entry#*|}\`"
done
# Under CI a missing tool fails the tests that need it; stopping here says why sooner.
case "${CI:-}" in 1|true|TRUE|True|yes) exit 1 ;; esac
exit 0
