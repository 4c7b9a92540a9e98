"""The emulator's listening socket (a regression: without proto=IPPROTO_TCP asyncio left
TCP_NODELAY off, and every response waited 40 ms for the client's delayed ACK)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from faasgi.cli import UsageError
from faasgi.local.serve import _listen


def test_accepted_connections_have_tcp_nodelay() -> None:
    listener = _listen("127.0.0.1", 0)
    port = listener.getsockname()[1]
    seen: list[int] = []

    async def run() -> None:
        def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            while not seen:
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(run())

    assert seen == [1]


def test_a_port_in_use_is_a_usage_error() -> None:
    taken = _listen("127.0.0.1", 0)
    taken.listen()
    try:
        with pytest.raises(UsageError, match=r"cannot listen on 127\.0\.0\.1:"):
            _listen("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()
