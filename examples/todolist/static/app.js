// The todo list page: plain JavaScript, no build step, no framework. It talks to the
// same /api/* routes as the original Ant Design Pro front end, with relative URLs so the
// page also works under an API Gateway stage path.
"use strict";

const STATUS_NAMES = ["closed", "in progress", "done", "paused"];
const DONE = 2;

const state = { current: 1, pageSize: 10, total: 0 };
const $ = (selector) => document.querySelector(selector);

// -- talking to the function ------------------------------------------------------------

// fetch() plus what every call needs: JSON both ways, and the instance line updated from
// the response headers. Answers {status, body}; never throws for an HTTP error status.
async function call(method, path, body) {
  const options = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    say(`The request failed: ${error.message}`, "error");
    return { status: 0, body: {} };
  }
  showInstance(response);
  let data = {};
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  return { status: response.status, body: data };
}

// Which copy of the function served the last request, and whether it was a cold start:
// `faasgi serve` says so in x-faasgi-instance / x-faasgi-cold; deployed, the app's own
// x-todo-instance / x-todo-cold headers (read from faasgi.current_invocation()) do.
function showInstance(response) {
  const headers = response.headers;
  const instance = headers.get("x-faasgi-instance") || headers.get("x-todo-instance");
  const cold = headers.get("x-faasgi-cold") || headers.get("x-todo-cold");
  const line = $("#instance-line");
  line.replaceChildren();
  if (!instance) {
    line.textContent = `Last request: HTTP ${response.status} (no instance headers).`;
    return;
  }
  const start = document.createElement("span");
  const isCold = cold === "true" || cold === "1";
  start.className = isCold ? "cold" : "warm";
  start.textContent = isCold ? "cold start" : "warm";
  const name = document.createElement("code");
  name.id = "instance-name";
  name.textContent = instance;
  line.append("Last request served by instance ", name, " (", start, `), HTTP ${response.status}.`);
  line.dataset.instance = instance;
  line.dataset.cold = isCold ? "true" : "false";
}

function say(text, kind = "ok") {
  const message = $("#message");
  message.textContent = text || "";
  message.className = text ? kind : "";
}

function failed(result, what) {
  const reason = result.body && result.body.message ? result.body.message : `HTTP ${result.status}`;
  say(`${what}: ${reason}`, "error");
}

// -- screens -----------------------------------------------------------------------------

async function start() {
  const result = await call("GET", "api/currentUser");
  if (result.status === 200) {
    await showTodos(result.body.name);
  } else {
    showLogin();
    if (result.status !== 401) failed(result, "Could not reach the server");
  }
}

function showLogin() {
  $("#who").hidden = true;
  $("#todo-section").hidden = true;
  $("#login-section").hidden = false;
  $("#todo-list").replaceChildren();
  $("#user-name").focus();
}

async function showTodos(name) {
  $("#who-name").textContent = name;
  $("#who").hidden = false;
  $("#login-section").hidden = true;
  $("#todo-section").hidden = false;
  state.current = 1;
  await loadPage();
}

// -- users -------------------------------------------------------------------------------

function credentials() {
  return { userName: $("#user-name").value.trim(), password: $("#password").value };
}

async function logIn(event) {
  if (event) event.preventDefault();
  const fields = credentials();
  const result = await call("POST", "api/login/account", { ...fields, type: "account" });
  if (result.body.status === "ok") {
    $("#password").value = "";
    say("");
    await showTodos(fields.userName);
  } else {
    failed(result, "Could not log in");
  }
}

async function register() {
  if (!$("#login-form").reportValidity()) return;
  const result = await call("POST", "api/register", credentials());
  if (result.status === 200) {
    await logIn();
  } else {
    failed(result, "Could not register");
  }
}

async function logOut() {
  await call("POST", "api/logout");
  say("Logged out.");
  showLogin();
}

// -- todos -------------------------------------------------------------------------------

async function loadPage() {
  const query = `current=${state.current}&pageSize=${state.pageSize}`;
  const result = await call("GET", `api/rule?${query}`);
  if (result.status === 401) return showLogin();
  if (result.status !== 200) return failed(result, "Could not load the list");
  state.total = result.body.total;
  const pages = Math.max(1, Math.ceil(state.total / state.pageSize));
  if (state.current > pages) {
    state.current = pages; // the last page emptied (deleted elsewhere, say)
    return loadPage();
  }
  renderRows(result.body.data);
  $("#page-info").textContent = `Page ${state.current} of ${pages} · ${state.total} todos`;
  $("#prev-page").disabled = state.current <= 1;
  $("#next-page").disabled = state.current >= pages;
}

function renderRows(todos) {
  const rows = todos.map((todo) => {
    const row = $("#todo-row").content.firstElementChild.cloneNode(true);
    row.dataset.key = todo.key;
    row.classList.add(`status-${todo.status}`);
    row.querySelector(".name").textContent = todo.name;
    row.querySelector(".desc").textContent = todo.desc;
    row.querySelector(".status").textContent = STATUS_NAMES[todo.status] || String(todo.status);
    const updated = row.querySelector(".updated");
    updated.textContent = new Date(todo.updatedAt).toLocaleString();
    updated.title = `created ${todo.createdAt}, updated ${todo.updatedAt}`;
    const done = row.querySelector(".done");
    done.disabled = todo.status === DONE;
    done.addEventListener("click", () => markDone(todo));
    row.querySelector(".edit").addEventListener("click", () => edit(row, todo));
    row.querySelector(".delete").addEventListener("click", () => remove(todo));
    return row;
  });
  $("#todo-list").replaceChildren(...rows);
  $("#empty").hidden = todos.length > 0;
}

async function add(event) {
  event.preventDefault();
  const name = $("#new-name");
  const desc = $("#new-desc");
  const result = await call("POST", "api/rule", { name: name.value, desc: desc.value });
  if (result.status !== 200) return failed(result, "Could not add the todo");
  name.value = "";
  desc.value = "";
  say(`Added “${result.body.name}”.`);
  state.current = 1; // newest first: the new todo is on the first page
  await loadPage();
}

async function markDone(todo) {
  // A string, as the original front end's "finish" button sends it.
  const result = await call("PUT", "api/rule", { key: todo.key, status: String(DONE) });
  if (result.status !== 200) return failed(result, "Could not mark it done");
  say(`Done: “${result.body.name}”.`);
  await loadPage();
}

function edit(row, todo) {
  const form = $("#edit-row").content.firstElementChild.cloneNode(true);
  form.dataset.key = todo.key;
  form.querySelector(".name").value = todo.name;
  form.querySelector(".desc").value = todo.desc;
  form.querySelector(".status").value = String(todo.status);
  form.querySelector(".cancel").addEventListener("click", () => form.replaceWith(row));
  form.querySelector(".save").addEventListener("click", async () => {
    // With the version read, a todo changed meanwhile (in another tab, on another
    // device) is a 409, not silently overwritten.
    const result = await call("PUT", "api/rule", {
      key: todo.key,
      name: form.querySelector(".name").value,
      desc: form.querySelector(".desc").value,
      status: Number(form.querySelector(".status").value),
      version: todo.version,
    });
    if (result.status === 409) {
      say("Someone changed this todo meanwhile; here is the latest. Edit again.", "error");
      return loadPage();
    }
    if (result.status !== 200) return failed(result, "Could not save");
    say(`Saved “${result.body.name}”.`);
    await loadPage();
  });
  row.replaceWith(form);
  form.querySelector(".name").focus();
}

async function remove(todo) {
  const result = await call("DELETE", "api/rule", { key: [todo.key] });
  if (result.status !== 200) return failed(result, "Could not delete");
  say(`Deleted “${todo.name}”.`);
  await loadPage();
}

// -- wiring ------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("#login-form").addEventListener("submit", logIn);
  $("#register-button").addEventListener("click", register);
  $("#logout-button").addEventListener("click", logOut);
  $("#add-form").addEventListener("submit", add);
  $("#prev-page").addEventListener("click", () => {
    state.current -= 1;
    loadPage();
  });
  $("#next-page").addEventListener("click", () => {
    state.current += 1;
    loadPage();
  });
  $("#page-size").addEventListener("change", (event) => {
    state.pageSize = Number(event.target.value);
    state.current = 1;
    loadPage();
  });
  start();
});
