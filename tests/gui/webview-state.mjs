// What the window holds, searched for secrets: everything the app's backend sent to
// the page (each command's answer and each event, recorded from the moment `watch`
// runs), the document with every form field's value, and the page's storage.
//
// Tauri hands every answer and event to a callback kept in
// `__TAURI_INTERNALS__.callbacks`; `watch` wraps those callbacks (the listeners the
// page already has, and every one it adds later) so each delivery is copied to a
// log, and names the command an answer belongs to from the IPC request's
// `Tauri-Callback`/`Tauri-Error` headers.

const WATCH = `
  if (window.__lifeboatDelivered) return true;
  const delivered = (window.__lifeboatDelivered = []);
  const commandOf = new Map();
  const plainFetch = window.fetch;
  window.fetch = function (url, init) {
    const headers = new Headers(init?.headers ?? {});
    const command = String(url).startsWith("ipc:") ? decodeURIComponent(new URL(url).pathname.slice(1)) : null;
    for (const name of ["Tauri-Callback", "Tauri-Error"]) {
      if (command && headers.get(name)) commandOf.set(Number(headers.get(name)), command);
    }
    return plainFetch.apply(this, arguments);
  };
  const callbacks = window.__TAURI_INTERNALS__.callbacks;
  const recording = (id, callback) => (data) => {
    let text;
    try {
      text = JSON.stringify(data);
    } catch {
      text = String(data);
    }
    delivered.push({ from: commandOf.get(id) ?? "event", text });
    return callback(data);
  };
  for (const [id, callback] of callbacks) Map.prototype.set.call(callbacks, id, recording(id, callback));
  callbacks.set = function (id, callback) {
    return Map.prototype.set.call(this, id, recording(id, callback));
  };
  return true;
`;

const COLLECT = `
  const fields = [...document.querySelectorAll("input, textarea, select")].map((f) => f.value);
  const stored = (storage) => Object.entries(storage).map(([k, v]) => k + "=" + v);
  return {
    delivered: window.__lifeboatDelivered ?? null,
    page: [document.documentElement.outerHTML, ...fields, ...stored(localStorage), ...stored(sessionStorage), document.cookie].join("\\n"),
  };
`;

/** Starts recording what the backend sends to the page (again after every launch). */
export async function watch(session) {
  if (!(await session.run(WATCH))) throw new Error("could not watch the window's IPC");
}

/**
 * The secrets (name → value) found in the window: in what the backend sent (except
 * the answers of `allowedCommands`, which exist to show one on request) or on the page.
 */
export async function secretsIn(session, secrets, allowedCommands = []) {
  const { delivered, page } = await session.run(COLLECT);
  if (delivered === null) throw new Error("the window's IPC is not being watched");
  const found = [];
  for (const [name, value] of Object.entries(secrets)) {
    const sentBy = delivered.filter((d) => !allowedCommands.includes(d.from) && d.text.includes(value)).map((d) => d.from);
    if (sentBy.length > 0) found.push(`${name} sent by ${[...new Set(sentBy)].join(", ")}`);
    if (page.includes(value)) found.push(`${name} on the page`);
  }
  return { found, deliveries: delivered.length, commands: [...new Set(delivered.map((d) => d.from))] };
}
