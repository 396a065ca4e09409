// A minimal W3C WebDriver client over fetch: enough to drive the Lifeboat window
// through tauri-driver without pulling a test framework.

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async create(base, application, timeoutMs) {
    const body = { capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application } } } };
    const value = await call(base, "POST", "/session", body, timeoutMs);
    return new Session(base, value.sessionId);
  }

  cmd(method, path, body) {
    return call(this.base, method, `/session/${this.id}${path}`, body, 30000);
  }

  async find(css) {
    const value = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return value[ELEMENT];
  }

  /** The element, once it is on the page: the window renders after state changes. */
  present(css) {
    return this.waitFor(css, () => this.find(css), 10000);
  }

  /** Clicks the element, found again if the window re-rendered it in between. */
  async click(css) {
    for (let attempt = 1; ; attempt++) {
      const id = await this.present(css);
      try {
        return await this.cmd("POST", `/element/${id}/click`, {});
      } catch (e) {
        if (attempt === 3 || !e.message.includes("stale element reference")) throw e;
      }
    }
  }

  /** Replaces an input's value, as typing would. */
  async type(css, text) {
    const id = await this.present(css);
    await this.cmd("POST", `/element/${id}/clear`, {});
    // Clearing fires no input event: emptying a field is typed, a space then Backspace.
    await this.cmd("POST", `/element/${id}/value`, { text: text === "" ? " \uE003" : text });
  }

  async text(css) {
    const id = await this.present(css);
    return this.cmd("GET", `/element/${id}/text`);
  }

  /** Runs `script` (a function body) in the page and returns its value. */
  run(script, ...args) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** Resizes the window (to check the layout at another size). */
  resize(width, height) {
    return this.cmd("POST", "/window/rect", { width, height });
  }

  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  /** Polls `check` until it returns a truthy value. */
  async waitFor(what, check, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      try {
        last = await check();
        if (last) return last;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what} (last: ${last})`);
  }

  close() {
    return call(this.base, "DELETE", `/session/${this.id}`, undefined, 10000).catch(() => {});
  }
}

async function call(base, method, path, body, timeoutMs) {
  const response = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const json = await response.json();
  if (!response.ok || (json.value && json.value.error)) {
    throw new Error(`${method} ${path}: ${JSON.stringify(json.value)}`);
  }
  return json.value;
}
