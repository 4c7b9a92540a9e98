// Live updates: while the todo list is shown, keep a WebSocket open to the function and
// reload the list whenever it says the user's todos changed (in another tab, say). The
// FastAPI function serves this (examples/todolist/live.py); the Flask function has no
// WebSockets, so /api/live answers 404 there and the page polls instead.
"use strict";

const live = { socket: null, poll: null, wanted: false, retry: null };
const POLL_MS = 15000;
const RETRY_MS = 2000;

function liveStatus(text) {
  document.body.dataset.live = text;
}

async function liveConnect() {
  if (!live.wanted || live.socket || live.poll) return;
  let answer;
  try {
    answer = await fetch("api/live", { cache: "no-store", credentials: "same-origin" });
  } catch (error) {
    answer = null;
  }
  if (!live.wanted) return;
  if (!answer || answer.status === 404) {
    // No live updates from this function: look again every so often.
    live.poll = setInterval(() => loadPage(), POLL_MS);
    liveStatus("polling");
    return;
  }
  if (!answer.ok) return liveRetry();
  const { url, token } = await answer.json();
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const base = url || `${scheme}://${location.host}/ws`;
  const socket = new WebSocket(`${base}?token=${encodeURIComponent(token)}`);
  live.socket = socket;
  socket.addEventListener("open", () => liveStatus("on"));
  socket.addEventListener("message", (event) => {
    let message = {};
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (message.type === "changed") loadPage();
  });
  socket.addEventListener("close", () => {
    // API Gateway closes idle connections after 10 minutes and every one after 2 hours.
    if (live.socket === socket) live.socket = null;
    liveStatus("off");
    liveRetry();
  });
}

function liveRetry() {
  if (live.wanted && !live.retry) {
    live.retry = setTimeout(() => {
      live.retry = null;
      liveConnect();
    }, RETRY_MS);
  }
}

function liveStop() {
  live.wanted = false;
  if (live.socket) live.socket.close(1000);
  live.socket = null;
  clearInterval(live.poll);
  live.poll = null;
  liveStatus("off");
}

document.addEventListener("DOMContentLoaded", () => {
  const section = document.querySelector("#todo-section");
  const follow = () => {
    if (section.hidden) {
      liveStop();
    } else if (!live.wanted) {
      live.wanted = true;
      liveConnect();
    }
  };
  new MutationObserver(follow).observe(section, { attributes: true, attributeFilter: ["hidden"] });
  follow();
});
