"""docs/websockets.md: its first example runs as shown, on the sample events."""

from __future__ import annotations

import re
import time
import types
from pathlib import Path

import pytest

from faasgi import websockets

from .conftest import CONNECT, MESSAGE, Recorder, sample

pytestmark = pytest.mark.filterwarnings("ignore::faasgi.state.memory.MemoryStoreWarning")

DOC = Path(__file__).resolve().parents[2] / "docs" / "websockets.md"


def test_the_first_example_echoes_joins_and_broadcasts(recorder: Recorder) -> None:
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert code is not None
    module = types.ModuleType("websockets_doc_example")
    exec(compile(code.group(1), str(DOC), "exec"), module.__dict__)
    handler = module.handler
    connection = sample(CONNECT)["requestContext"]["connectionId"]
    connect = sample(CONNECT, connectedAt=int(time.time() * 1000))
    assert handler(connect, None) == {"statusCode": 200}
    assert handler(sample(MESSAGE, connectionId=connection), None) == {"statusCode": 200}
    body = sample(MESSAGE)["body"].encode()
    # The echo, then the broadcast to room-1, which this connection has just joined.
    assert recorder.posted(connection) == [b"echo " + body, body]
    assert [m.connection_id for m in websockets.hub().registry.members("room-1")] == [connection]
    handler.shutdown()
