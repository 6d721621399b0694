# syntax=docker/dockerfile:1
# One image for all four ISHC services; the command picks the service:
#   uvicorn --factory ishc_registry.app:create_app --host 0.0.0.0 --port 8001
#   python -m ishc_platform.migrate registry
# See deploy/README.md.

ARG PYTHON_IMAGE=python:3.12-slim

# ---- build: resolve the locked dependencies into /app/.venv -----------------
FROM ${PYTHON_IMAGE} AS build

ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# Third-party dependencies first, from the lockfile and every workspace member's
# pyproject.toml only, so this layer is reused until a dependency changes.
# Every workspace member (libs/*, services/*) must be listed here.
COPY pyproject.toml uv.lock .python-version ./
COPY libs/contracts/pyproject.toml libs/contracts/
COPY libs/platform/pyproject.toml libs/platform/
COPY libs/simulator/pyproject.toml libs/simulator/
COPY services/registry/pyproject.toml services/registry/
COPY services/finance/pyproject.toml services/finance/
COPY services/health/pyproject.toml services/health/
COPY services/reporting/pyproject.toml services/reporting/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace

# Then the workspace packages themselves, installed as real (non-editable)
# packages so the runtime image needs the virtualenv only, not the sources.
COPY libs libs
COPY services services
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

# ---- runtime ----------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# Fixed numeric ids: Kubernetes' runAsNonRoot can only verify a numeric user.
ARG APP_UID=10001
RUN groupadd --system --gid "${APP_UID}" ishc \
 && useradd --system --uid "${APP_UID}" --gid ishc --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin ishc \
 && mkdir -p /app/var \
 && chown ishc:ishc /app/var

COPY --from=build /app/.venv /app/.venv

ENV PATH="/app/.venv/bin:${PATH}" \
    VIRTUAL_ENV=/app/.venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ISHC_DATA_DIR=/app/var

WORKDIR /app
USER ${APP_UID}:${APP_UID}

EXPOSE 8001 8002 8003 8004

# No default service: the command must name one (see the header of this file).
CMD ["python", "-c", "raise SystemExit('ishc image: give a command, e.g. uvicorn --factory ishc_registry.app:create_app --host 0.0.0.0 --port 8001, or python -m ishc_platform.migrate registry')"]
