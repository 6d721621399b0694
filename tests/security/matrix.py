"""The authorisation matrix: the one table of what every route of every service
answers each kind of caller. Two tests call its cells:
tests/security/test_access_matrix.py every row but health's own routes, and
tests/health/integration/test_health_access_matrix.py those (they need consent
and checks to read). Both check that every route of their app has its row here,
and that every row here is a route: a route added later fails until its row is
written (docs/reliability.md).

"Every route" is every entry of the app's route table, of every kind
(tests/helpers/routes.py): FastAPI's `APIRoute`s, and the plain Starlette
`Route`s, `Mount`s, `WebSocketRoute`s and the rest, which answer without
FastAPI's dependencies. Each has its row in `MATRIX`, or its place and reason in
`OPEN_BY_DESIGN`; `undeclared` names the others, and both tests fail on them."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi.routing import APIRoute

from ishc_platform import ops_api, reconciliation
from tests.helpers.routes import MOUNT, Entry

CALLERS = ("none", "expired", "forged", "ops", "service", "national", "own", "other")
"""The columns of `MATRIX`, in order (abbreviated in its header)."""

CLUB = "/v1/clubs/{club_id}"
MEMBER = "/v1/members/{member_id}"
FUND = "/v1/funds/{fund_id}"
LOAN = "/v1/loans/{loan_id}"
REPORT = "/v1/reports/{report_id}"
SESSIONS = CLUB + "/exercise-sessions"
DEAD = "/v1/dead-letters"
REDRIVE = "/v1/dead-letters/{entry_id}/redrive"

# The platform's operational routes (`ishc_platform.ops_api`), in every service:
# the event log for ops, national (its public view) and other services; the
# outbox and dead letters for ops only.
LOG = (401, 401, 401, 200, 200, 200, 403, 403)
OPS_ONLY = (401, 401, 401, 200, 403, 403, 403, 403)
# The registry consumes no stream: ops passes the check and is told so (422, `stream`).
OPS_NO_STREAM = (401, 401, 401, 422, 403, 403, 403, 403)


def _operational(service: str) -> dict[tuple[str, str, str], tuple[int, ...]]:
    dead = OPS_NO_STREAM if service == "registry" else OPS_ONLY
    return {
        (service, "GET", "/v1/events"): LOG,
        (service, "GET", "/v1/events/head"): LOG,
        (service, "GET", "/v1/outbox/status"): OPS_ONLY,
        (service, "GET", DEAD): dead,
        (service, "POST", REDRIVE): dead,
    }


# Per club, a source service's counts for reporting's reconciliation
# (`ishc_platform.reconciliation`): ops and other services, no person's token.
RECONCILE = (401, 401, 401, 200, 200, 403, 403, 403)
TALLIES = reconciliation.PATH
OPERATIONAL = frozenset(
    {route.path for route in ops_api.router.routes if isinstance(route, APIRoute)}
    | {reconciliation.PATH}
)
"""The platform's routes of every service (`ishc_platform.ops_api`, `.reconciliation`)."""
IND = "/v1/indicators"
DASH = "/dashboard"
TEMPLATE = "/v1/imports/templates/{kind}.xlsx"


# fmt: off
MATRIX: dict[tuple[str, str, str], tuple[int, ...]] = {
    # (service, method, path template):                     none exp. forg ops  serv nat. own  oth.
    # -- registry: clubs are read by national; members are people (province only)
    ("registry", "POST", "/v1/clubs"):                     (401, 401, 401, 403, 403, 403, 201, 403),
    ("registry", "GET", "/v1/clubs"):                      (401, 401, 401, 403, 403, 200, 200, 403),
    ("registry", "GET", CLUB):                             (401, 401, 401, 403, 403, 200, 200, 404),
    ("registry", "PATCH", CLUB):                           (401, 401, 401, 403, 403, 403, 200, 404),
    ("registry", "POST", CLUB + "/relocate"):              (401, 401, 401, 403, 403, 403, 200, 404),
    ("registry", "POST", CLUB + "/dissolve"):              (401, 401, 401, 403, 403, 403, 200, 404),
    ("registry", "POST", CLUB + "/members"):               (401, 401, 401, 403, 403, 403, 201, 404),
    ("registry", "GET", CLUB + "/members"):                (401, 401, 401, 403, 403, 403, 200, 404),
    ("registry", "GET", MEMBER):                           (401, 401, 401, 403, 403, 403, 200, 404),
    ("registry", "PATCH", MEMBER):                         (401, 401, 401, 403, 403, 403, 200, 404),
    ("registry", "POST", MEMBER + "/leave"):               (401, 401, 401, 403, 403, 403, 200, 404),
    ("registry", "POST", MEMBER + "/erase"):               (401, 401, 401, 403, 403, 403, 200, 404),
    ("registry", "GET", "/v1/audit"):                      (401, 401, 401, 403, 403, 403, 200, 403),
    ("registry", "GET", CLUB + "/board"):                  (401, 401, 401, 403, 403, 200, 200, 404),
    ("registry", "PUT", CLUB + "/board"):                  (401, 401, 401, 403, 403, 403, 200, 404),
    ("registry", "POST", CLUB + "/meetings"):              (401, 401, 401, 403, 403, 403, 201, 404),
    ("registry", "GET", CLUB + "/meetings"):               (401, 401, 401, 403, 403, 200, 200, 404),
    ("registry", "POST", CLUB + "/activities"):            (401, 401, 401, 403, 403, 403, 201, 404),
    ("registry", "GET", CLUB + "/activities"):             (401, 401, 401, 403, 403, 200, 200, 404),
    ("registry", "POST", "/v1/imports"):                   (401, 401, 401, 403, 403, 403, 200, 404),
    # reference data (administrative units), no record: any valid token
    ("registry", "GET", TEMPLATE):                         (401, 401, 401, 200, 200, 200, 200, 200),
    ("registry", "GET", "/v1/communes"):                   (401, 401, 401, 200, 200, 200, 200, 200),
    **_operational("registry"),
    ("registry", "GET", TALLIES):                          RECONCILE,
    # -- finance: amounts per club and above for national; a person's loans and fees not
    ("finance", "POST", CLUB + "/regulations"):            (401, 401, 401, 403, 403, 403, 201, 404),
    ("finance", "GET", CLUB + "/regulations"):             (401, 401, 401, 403, 403, 200, 200, 404),
    ("finance", "POST", CLUB + "/funds"):                  (401, 401, 401, 403, 403, 403, 201, 404),
    ("finance", "GET", CLUB + "/funds"):                   (401, 401, 401, 403, 403, 200, 200, 404),
    ("finance", "GET", "/v1/funds"):                       (401, 401, 401, 403, 403, 200, 200, 403),
    ("finance", "GET", FUND):                              (401, 401, 401, 403, 403, 200, 200, 404),
    ("finance", "POST", FUND + "/contributions"):          (401, 401, 401, 403, 403, 403, 201, 404),
    ("finance", "GET", FUND + "/contributions"):           (401, 401, 401, 403, 403, 200, 200, 404),
    ("finance", "POST", FUND + "/fees"):                   (401, 401, 401, 403, 403, 403, 201, 404),
    ("finance", "GET", FUND + "/fees"):                    (401, 401, 401, 403, 403, 403, 200, 404),
    ("finance", "POST", FUND + "/expenses"):               (401, 401, 401, 403, 403, 403, 201, 404),
    ("finance", "GET", FUND + "/expenses"):                (401, 401, 401, 403, 403, 200, 200, 404),
    ("finance", "POST", FUND + "/reversals"):              (401, 401, 401, 403, 403, 403, 201, 404),
    ("finance", "GET", FUND + "/reversals"):               (401, 401, 401, 403, 403, 403, 200, 404),
    ("finance", "GET", FUND + "/statement"):               (401, 401, 401, 403, 403, 200, 200, 404),
    ("finance", "POST", FUND + "/loans"):                  (401, 401, 401, 403, 403, 403, 201, 404),
    ("finance", "GET", FUND + "/loans"):                   (401, 401, 401, 403, 403, 403, 200, 404),
    ("finance", "GET", LOAN):                              (401, 401, 401, 403, 403, 403, 200, 404),
    ("finance", "POST", LOAN + "/repayments"):             (401, 401, 401, 403, 403, 403, 201, 404),
    ("finance", "GET", LOAN + "/repayments"):              (401, 401, 401, 403, 403, 403, 200, 404),
    ("finance", "GET", LOAN + "/settlement"):              (401, 401, 401, 403, 403, 403, 200, 404),
    ("finance", "POST", LOAN + "/write-off"):              (401, 401, 401, 403, 403, 403, 200, 404),
    ("finance", "POST", LOAN + "/recoveries"):             (401, 401, 401, 403, 403, 403, 201, 404),
    ("finance", "GET", FUND + "/portfolio"):               (401, 401, 401, 403, 403, 200, 200, 404),
    ("finance", "GET", "/v1/portfolio"):                   (401, 401, 401, 403, 403, 200, 200, 403),
    **_operational("finance"),
    ("finance", "GET", TALLIES):                           RECONCILE,
    # -- health: its own routes are called by tests/health/integration/
    # test_health_access_matrix.py (with consent and checks to read), the
    # operational ones by tests/security/test_access_matrix.py
    # exercise sessions: counts, national reads them
    ("health", "POST", SESSIONS):                          (401, 401, 401, 403, 403, 403, 201, 404),
    ("health", "GET", SESSIONS):                           (401, 401, 401, 403, 403, 200, 200, 404),
    ("health", "GET", SESSIONS + "/summary"):              (401, 401, 401, 403, 403, 200, 200, 404),
    # home-care visits name people: the club's province only; their counts for national too
    ("health", "POST", CLUB + "/home-care-visits"):        (401, 401, 401, 403, 403, 403, 201, 404),
    ("health", "GET", CLUB + "/home-care-visits"):         (401, 401, 401, 403, 403, 403, 200, 404),
    ("health", "GET", CLUB + "/home-care-visits/summary"): (401, 401, 401, 403, 403, 200, 200, 404),
    # insurance is personal
    ("health", "POST", MEMBER + "/insurance"):             (401, 401, 401, 403, 403, 403, 201, 404),
    ("health", "GET", MEMBER + "/insurance"):              (401, 401, 401, 403, 403, 403, 200, 404),
    # consent, checks, the health book, the audit, erasure (api/members.py)
    ("health", "POST", MEMBER + "/consent"):               (401, 401, 401, 403, 403, 403, 201, 404),
    ("health", "POST", MEMBER + "/consent/withdraw"):      (401, 401, 401, 403, 403, 403, 200, 404),
    ("health", "GET", MEMBER + "/consent"):                (401, 401, 401, 403, 403, 403, 200, 404),
    ("health", "POST", MEMBER + "/health-checks"):         (401, 401, 401, 403, 403, 403, 201, 404),
    ("health", "GET", MEMBER + "/health-checks"):          (401, 401, 401, 403, 403, 403, 200, 404),
    ("health", "GET", MEMBER + "/health-book"):            (401, 401, 401, 403, 403, 403, 200, 404),
    ("health", "GET", MEMBER + "/health-book/export"):     (401, 401, 401, 403, 403, 403, 200, 404),
    # a collection filtered to a province: another province's token is 403
    ("health", "GET", "/v1/health-book-accesses"):         (401, 401, 401, 403, 403, 403, 200, 403),
    ("health", "POST", MEMBER + "/health-data/erase"):     (401, 401, 401, 403, 403, 403, 200, 404),
    **_operational("health"),
    ("health", "GET", TALLIES):                            RECONCILE,
    # -- reporting: aggregates, plans and reports for national and provinces
    # the nation's figures are national's; a province reads its own provinces'
    ("reporting", "GET", IND + "/national"):               (401, 401, 401, 403, 403, 200, 403, 403),
    ("reporting", "GET", IND + "/provinces"):              (401, 401, 401, 403, 403, 200, 200, 200),
    ("reporting", "GET", IND + "/provinces/{code}"):       (401, 401, 401, 403, 403, 200, 200, 404),
    ("reporting", "GET", IND + "/communes/{code}"):        (401, 401, 401, 403, 403, 200, 200, 404),
    ("reporting", "GET", IND + "/clubs/{club_id}"):        (401, 401, 401, 403, 403, 200, 200, 404),
    ("reporting", "GET", "/v1/rollout"):                   (401, 401, 401, 403, 403, 200, 200, 200),
    ("reporting", "GET", "/v1/plans"):                     (401, 401, 401, 403, 403, 200, 200, 403),
    ("reporting", "GET", "/v1/plans/{plan_id}"):           (401, 401, 401, 403, 403, 200, 200, 404),
    ("reporting", "GET", "/v1/plans/{plan_id}/progress"):  (401, 401, 401, 403, 403, 200, 200, 404),
    # national writes first (201), then Vĩnh Long the same plan (200), and the
    # report national issued is Vĩnh Long's too (200, already issued)
    ("reporting", "PUT", "/v1/plans/{plan_id}"):           (401, 401, 401, 403, 403, 201, 200, 403),
    ("reporting", "POST", "/v1/reports"):                  (401, 401, 401, 403, 403, 201, 200, 403),
    ("reporting", "GET", "/v1/reports"):                   (401, 401, 401, 403, 403, 200, 200, 403),
    ("reporting", "GET", REPORT + ".csv"):                 (401, 401, 401, 403, 403, 200, 200, 404),
    ("reporting", "GET", REPORT + ".xlsx"):                (401, 401, 401, 403, 403, 200, 200, 404),
    ("reporting", "GET", REPORT + ".pdf"):                 (401, 401, 401, 403, 403, 200, 200, 404),
    ("reporting", "GET", REPORT):                          (401, 401, 401, 403, 403, 200, 200, 404),
    # the live feed and the dashboard: open (ISHC_DASHBOARD_PUBLIC, default true);
    # a token sent is checked all the same; `PRIVATE` for the other setting
    ("reporting", "GET", "/v1/live"):                      (200, 401, 401, 403, 403, 200, 200, 200),
    ("reporting", "GET", DASH):                            (200, 401, 401, 403, 403, 200, 200, 200),
    ("reporting", "GET", DASH + "/provinces/{code}"):      (200, 401, 401, 403, 403, 200, 200, 404),
    ("reporting", "GET", DASH + "/communes/{code}"):       (200, 401, 401, 403, 403, 200, 200, 404),
    ("reporting", "GET", DASH + "/clubs/{club_id}"):       (200, 401, 401, 403, 403, 200, 200, 404),
    ("reporting", "GET", DASH + "/rollout"):               (200, 401, 401, 403, 403, 200, 200, 200),
    ("reporting", "GET", DASH + "/sign-in"):               (200, 200, 200, 200, 200, 200, 200, 200),
    # the caller's token pasted in the form: national and province tokens only
    ("reporting", "POST", DASH + "/sign-in"):              (422, 401, 401, 401, 401, 303, 303, 303),
    ("reporting", "POST", DASH + "/sign-out"):             (303, 303, 303, 303, 303, 303, 303, 303),
    ("reporting", "GET", DASH + "/static/{name}"):         (200, 200, 200, 200, 200, 200, 200, 200),
    ("reporting", "GET", DASH + "/{rest}"):                (404, 404, 404, 404, 404, 404, 404, 404),
    **_operational("reporting"),
}

PRIVATE: dict[tuple[str, str], tuple[int, ...]] = {
    # (method, path template):                              none exp. forg ops  serv nat. own  oth.
    # With ISHC_DASHBOARD_PUBLIC=false: a browser without a token goes to the
    # sign-in form (303); the feed, which a browser opens with its cookie, is 401.
    ("GET", "/v1/live"):                                   (401, 401, 401, 403, 403, 200, 200, 200),
    ("GET", DASH):                                         (303, 401, 401, 403, 403, 200, 200, 200),
    ("GET", DASH + "/provinces/{code}"):                   (303, 401, 401, 403, 403, 200, 200, 404),
    ("GET", DASH + "/communes/{code}"):                    (303, 401, 401, 403, 403, 200, 200, 404),
    ("GET", DASH + "/clubs/{club_id}"):                    (303, 401, 401, 403, 403, 200, 200, 404),
    ("GET", DASH + "/rollout"):                            (303, 401, 401, 403, 403, 200, 200, 200),
    ("GET", DASH + "/sign-in"):                            (200, 200, 200, 200, 200, 200, 200, 200),
    ("POST", DASH + "/sign-in"):                           (422, 401, 401, 401, 401, 303, 303, 303),
    ("POST", DASH + "/sign-out"):                          (303, 303, 303, 303, 303, 303, 303, 303),
    ("GET", DASH + "/static/{name}"):                      (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", DASH + "/{rest}"):                             (404, 404, 404, 404, 404, 404, 404, 404),
}
# fmt: on


# The entries of every app's route table that answer without a token, by design
# (DESIGN.md, HTTP contract), each with why: none names a record.
# tests/security/test_access_matrix.py `test_open_routes_answer_without_a_token` calls each.
OPEN_BY_DESIGN: dict[tuple[str, str], str] = {
    # (method or kind, path):  why it is open
    ("GET", "/healthz"): "liveness, for the orchestrator's probe",
    ("GET", "/readyz"): "readiness, for the orchestrator's probe",
    ("GET", "/metrics"): "Prometheus's scrape, inside the cluster; counters, no record",
    ("GET", "/asyncapi.json"): "the published event contract (AsyncAPI)",
    ("GET", "/openapi.json"): "the published HTTP contract: FastAPI's plain Starlette Route",
    ("GET", "/docs"): "the Swagger UI page, which reads /openapi.json",
    ("GET", "/redoc"): "the ReDoc page, which reads /openapi.json",
    (MOUNT, "/docs/static"): "a Mount: the docs pages' scripts and styles (fastapi-offline)",
}


def guarded(path: str) -> bool:
    """Under /v1 or /dashboard: the paths that name records, whose routes have rows."""
    return path.startswith("/v1/") or path == "/dashboard" or path.startswith("/dashboard/")


def undeclared(service: str, entries: Iterable[Entry]) -> list[Entry]:
    """The entries of `service`'s route table (`tests.helpers.routes.route_entries`,
    every kind) with neither a row in `MATRIX` nor a place in `OPEN_BY_DESIGN`:
    what would escape the matrix. Empty, or the test that calls it fails."""
    return sorted(
        entry
        for entry in entries
        if (service, entry.method, entry.path) not in MATRIX and entry.key not in OPEN_BY_DESIGN
    )
