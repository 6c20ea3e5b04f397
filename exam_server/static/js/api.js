// Calls to the JSON API with the session cookie and the CSRF token of the page.
// Every answer comes back as {ok, status, data}: data is the parsed JSON body, or for a non-JSON
// answer {error, message} built from the status. A network failure gives status 0.

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export async function api(url, { method = "GET", json, form, signal } = {}) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrfToken() };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form; // FormData: the browser sets the multipart boundary
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body, signal, credentials: "same-origin" });
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    return { ok: false, status: 0, data: { error: "network", message: String(error && error.message || error) } };
  }
  let data = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("application/json")) {
    try { data = await response.json(); } catch { data = null; }
  }
  if (data === null || typeof data !== "object") {
    data = response.ok ? {} : { error: `http_${response.status}`, message: `${response.status} ${response.statusText}` };
  }
  return { ok: response.ok, status: response.status, data };
}

/** The translated strings the page put in <script id="i18n" type="application/json">. */
export function pageStrings() {
  const node = document.getElementById("i18n");
  if (!node) return {};
  try { return JSON.parse(node.textContent); } catch { return {}; }
}

/** An element: attributes (`text` for the text, `value`/`checked` as properties, `on<event>` for
 * listeners, `true` for a boolean attribute; false, null and undefined are left out) and children.
 * No HTML: item-render.js alone puts the server's sanitised HTML in. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "text") node.textContent = value;
    else if (name === "value") node.value = value;
    else if (name === "checked") node.checked = !!value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

export function fmt(template, values) {
  return String(template).replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

/** A Socket.IO connect refusal's code: the server sends {"error": code} as the error's data
 * (docs/protocol.md) and the code as its message. */
export function refusalCode(err) {
  if (err && err.data && typeof err.data.error === "string") return err.data.error;
  return err && typeof err.message === "string" ? err.message : null;
}

/** Emit a Socket.IO event and resolve with the server's acknowledgement, never reject: without a
 * connected socket {ok: false, error: "offline"}, without an answer in time {error: "timeout"}.
 * `connected` overrides socket.connected (a page that tracks the link itself); `offlineMessage`
 * is put in the offline answer's message (the page's own wording). */
export function emitWithAck(socket, event, payload, { timeoutMs = 10000, connected, offlineMessage } = {}) {
  return new Promise((resolve) => {
    if (!socket || !(connected === undefined ? socket.connected : connected)) {
      resolve(offlineMessage === undefined ? { ok: false, error: "offline" }
        : { ok: false, error: "offline", message: offlineMessage });
      return;
    }
    socket.timeout(timeoutMs).emit(event, payload, (err, ack) => {
      resolve(err ? { ok: false, error: "timeout", message: "timeout" } : (ack || { ok: false, error: "no_ack" }));
    });
  });
}
