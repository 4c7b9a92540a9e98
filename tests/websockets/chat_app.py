"""A FastAPI chat endpoint written as for a long-lived server, served by `faasgi serve`
in test_emulator.py: `join` puts the connection in its room, `id` answers its connection
id, `pid` the process that ran the message, `slow` holds an instance for a while, and
anything else goes to the room."""

from __future__ import annotations

import asyncio
import os

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from faasgi import serverless, websockets

app = FastAPI()


@app.websocket("/ws")
async def chat(websocket: WebSocket) -> None:
    await websocket.accept()
    room = websocket.query_params.get("room", "lobby")
    try:
        while True:
            text = await websocket.receive_text()
            if text == "join":
                await websockets.join(room)
                await websocket.send_text(f"joined {room}")
            elif text == "id":
                await websocket.send_text(websockets.current_connection_id())
            elif text == "pid":
                await websocket.send_text(str(os.getpid()))
            elif text == "slow":
                await asyncio.sleep(1.0)
                await websocket.send_text(f"slow {os.getpid()}")
            else:
                await websockets.broadcast(room, text)
    except WebSocketDisconnect:
        pass


@app.get("/health")
async def health() -> dict[str, bool]:
    return {"ok": True}


handler = serverless(app)
