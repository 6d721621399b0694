"""The relay writes FastStream's binary message format from a prefix encoded once:
the bytes must be exactly what FastStream's own encoder makes of each body."""

from __future__ import annotations

import asyncio

from faststream.redis.parser.binary import BinaryMessageFormatV1
from hypothesis import given
from hypothesis import strategies as st

from ishc_platform.broker import _JSON_HEADERS, decode_entry, message_prefix

BODIES = st.text(max_size=3000).map(str.encode) | st.binary(max_size=70_000)


@given(BODIES)
def test_the_prefix_and_body_are_faststreams_own_encoding(body: bytes) -> None:
    async def both() -> tuple[bytes, bytes]:
        ours = await message_prefix() + body
        theirs = await BinaryMessageFormatV1.encode(
            message=body, reply_to=None, headers=_JSON_HEADERS, correlation_id="-"
        )
        return ours, theirs

    ours, theirs = asyncio.run(both())
    assert ours == theirs
    assert decode_entry({b"__data__": ours}) == body
    assert BinaryMessageFormatV1.parse(ours)[1]["content-type"] == "application/json"


def test_an_entry_another_publisher_wrote_is_parsed_by_faststream() -> None:
    async def encoded() -> bytes:
        await message_prefix()
        return await BinaryMessageFormatV1.encode(
            message=b'{"a":1}', reply_to="elsewhere", headers={"x": "y"}, correlation_id="c-1"
        )

    assert decode_entry({b"__data__": asyncio.run(encoded())}) == b'{"a":1}'
