"""`/v1/live`: indicator changes as server-sent events, and who may watch them.

The dashboard and the live feed show aggregates only. They are open to read
unless `ISHC_DASHBOARD_PUBLIC=false`; then they need a national or province
token, as a bearer header or as the session cookie the dashboard's sign-in sets
(a browser's EventSource cannot send headers).

Concurrent streams are capped per client address
(`ISHC_LIVE_STREAMS_PER_ADDRESS`, default 4) and in total
(`ISHC_LIVE_STREAMS_TOTAL`, default 500), counted in each process (so with N
replicas a client holds at most N × 4); beyond that the route answers 429 with
`Retry-After`. A slot is released when the response ends however it ends: the
stream finishing, the client disconnecting, or an error.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from ishc_platform.auth import Caller, Role, bearer_token, verify_token
from ishc_platform.errors import Problem, forbidden, problems
from ishc_platform.limits import StreamSlots, client_address
from ishc_reporting.adapters.live_feed import LiveFeed

router = APIRouter(tags=["live"])
SESSION_COOKIE = "ishc_session"
KEEP_ALIVE_SECONDS = 15.0


def dashboard_viewer(request: Request) -> Caller | None:
    """The signed-in caller, or None for a public viewer (who sees every province)."""
    token = bearer_token(request) or request.cookies.get(SESSION_COOKIE)
    settings = request.app.state.settings
    if token is None:
        if settings.dashboard_public:
            return None
        raise Problem(401, "sign in with a national or province token", kind="unauthorized")
    caller = verify_token(token, settings.jwt_secret_list)
    if caller.role not in (Role.NATIONAL, Role.PROVINCE):
        raise forbidden("the dashboard is for national and province tokens")
    return caller


Viewer = Annotated[Caller | None, Depends(dashboard_viewer)]


def sees(viewer: Caller | None, province: str) -> bool:
    return viewer is None or viewer.can_see_province(province)


def live_feed(request: Request) -> LiveFeed:
    feed: LiveFeed | None = getattr(request.app.state, "live", None)
    if feed is None:
        feed = request.app.state.live = LiveFeed(request.app.state.db)
    return feed


def stream_slots(request: Request) -> StreamSlots:
    slots: StreamSlots | None = getattr(request.app.state, "live_slots", None)
    if slots is None:
        settings = request.app.state.settings
        slots = request.app.state.live_slots = StreamSlots(
            settings.live_streams_per_address, settings.live_streams_total
        )
    return slots


class _ReleasingStreamingResponse(StreamingResponse):
    """Calls `on_close` once the response is over, whichever way it ended."""

    def __init__(self, *args: Any, on_close: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.on_close()
            aclose = getattr(self.body_iterator, "aclose", None)
            if aclose is not None:
                await aclose()


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.get(
    "/v1/live",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-sent events: `snapshot`, then `indicators` as figures change.",
            "content": {
                "text/event-stream": {
                    # One server-sent event; `data` is its JSON figures.
                    "schema": {
                        "type": "object",
                        "required": ["event", "data"],
                        "properties": {
                            "event": {"type": "string", "enum": ["snapshot", "indicators"]},
                            "data": {"type": "string", "contentMediaType": "application/json"},
                        },
                    }
                }
            },
        },
        **problems(401, 403, 429),
    },
)
async def live(request: Request, viewer: Viewer) -> StreamingResponse:
    """`snapshot` first (today's row of every visible province), then `indicators`
    with the provinces whose figures changed, within a second of the change.
    Each says the day and map its figures are of (`as_of`, `boundary`: today's,
    the current map), when they were read (`at`, Vietnam's time), and carries
    the visible provinces' `total`; a page of another day or map ignores them."""
    feed = live_feed(request)
    slot = stream_slots(request).acquire(client_address(request.scope))
    try:
        # Signed-in viewers get exact figures; the public gets small cells hidden.
        queue = feed.subscribe(exact=viewer is not None)
    except BaseException:
        slot.release()
        raise

    def close() -> None:
        feed.unsubscribe(queue)
        slot.release()

    async def stream() -> AsyncIterator[str]:
        try:
            for _ in range(40):  # the first snapshot, once the watcher has read
                if feed.revision >= 0:
                    break
                await asyncio.sleep(0.05)
            exact = viewer is not None

            def visible(code: str) -> bool:
                return sees(viewer, code)

            # With each message, the sum of the provinces this viewer sees (the
            # page's totals line), computed here since it differs per viewer.
            snapshot = feed.snapshot(visible, exact=exact)
            yield _event("snapshot", {**snapshot, "total": feed.total(visible, exact)})
            while not await request.is_disconnected():
                try:
                    message = await asyncio.wait_for(queue.get(), KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                rows = [r for r in message["provinces"] if sees(viewer, r["code"])]
                if rows:
                    total = feed.total(visible, exact)
                    yield _event("indicators", {**message, "provinces": rows, "total": total})
        finally:
            feed.unsubscribe(queue)

    return _ReleasingStreamingResponse(
        stream(),
        on_close=close,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
