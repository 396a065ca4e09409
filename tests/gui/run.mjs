// End-to-end test of the desktop app through tauri-driver: the window shows the
// engine's state; Backup now without encryption fails visibly and notifies once, and
// with a key makes a real backup and notifies the recovery; Disable/Enable and the
// Configuration blade change the settings the CLI sees; the Backups and Activity
// blades list what happened. Screenshots of each step go to the output folder.
//
// usage: node run.mjs APP_BINARY CLI_BINARY OUTPUT_DIR   (inside Xvfb and a D-Bus session)

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Session } from "./webdriver.mjs";

const [app, cli, outDir] = process.argv.slice(2).map((p) => resolve(p));
mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "lifeboat-gui-"));
const data = join(work, "data");
// The autostart plugin writes under $HOME: keep it inside the test folder.
const env = { ...process.env, LIFEBOAT_DATA_DIR: data, HOME: join(work, "home") };
mkdirSync(env.HOME);

function lifeboat(args, input = "") {
  return execFileSync(cli, ["--json", ...args], { env, input }).toString();
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForDriver(base) {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/status`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("tauri-driver did not start");
}

// One folder to protect; encryption comes later, so the first backup fails.
mkdirSync(join(work, "docs"));
writeFileSync(join(work, "docs", "runbook.md"), "# Restore steps\n");
lifeboat(["items", "add", join(work, "docs")]);

// Desktop notifications are D-Bus calls; watch them on this session's bus.
const monitor = spawn("dbus-monitor", ["--session", "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"]);
let notifications = "";
monitor.stdout.on("data", (chunk) => (notifications += chunk));

const [port, nativePort] = [await freePort(), await freePort()];
const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], { env, stdio: "inherit" });
const base = `http://127.0.0.1:${port}`;
let session;
let failed = false;
const shot = async (name) => {
  await new Promise((r) => setTimeout(r, 500));
  writeFileSync(join(outDir, `${name}.png`), await session.screenshot());
};
const pageText = () => session.run("return document.body.innerText");

try {
  await waitForDriver(base);
  session = await Session.create(base, app, 60000);
  await session.waitFor("the Essentials blade", async () => (await pageText()).includes("Next scheduled backup"));
  const before = await pageText();
  for (const expected of ["Automatic backups", "On — daily at 01:00 UTC", "none yet", "not set", "No encryption is set", "7 days, at most 30 backups"]) {
    if (!before.includes(expected)) throw new Error(`Essentials lacks ${JSON.stringify(expected)}:\n${before}`);
  }
  await shot("1-essentials");

  // Without encryption the backup fails: Essentials says why, a notification says so once.
  await session.click('[data-action="backup-now"]');
  await session.waitFor("the failure on Essentials", async () => /failed — .*\(on-demand\)/.test(await pageText()));
  await session.waitFor("the failure notification", async () => notifications.includes("Backup failed"));
  await shot("1b-backup-failed");

  const key = JSON.parse(lifeboat(["key", "generate"])).key;
  lifeboat(["encryption", "set-key", "--key-stdin"], key);
  await session.waitFor("the key on Essentials", async () => (await pageText()).includes("legacy encryption key"));
  await session.click('[data-action="backup-now"]');
  await session.waitFor("the backup to finish", async () => JSON.parse(lifeboat(["backups", "list"])).length === 1);
  await session.waitFor("Essentials to show the result", async () => /succeeded — .*\(on-demand\)/.test(await pageText()));
  await session.waitFor("the recovery notification", async () => notifications.includes("Backups are working again"));
  await shot("2-after-backup-now");

  await session.click('[data-action="disable"]');
  await session.waitFor("the Enable button", () => session.find('[data-action="enable"]'));
  const status = JSON.parse(lifeboat(["status"]));
  if (status.schedule.enabled !== false) throw new Error("the CLI still sees automatic backups on");
  await shot("3-disabled");
  await session.click('[data-action="enable"]');
  await session.waitFor("the Disable button", () => session.find('[data-action="disable"]'));

  // Configuration: the engine's rules explain a bad value as it is typed; OK saves.
  await session.click('[data-blade="configuration"]');
  await session.waitFor("the Configuration blade", () => session.find('[data-field="retention_days"]'));
  await session.type('[data-field="location"]', "relative/folder");
  await session.waitFor("the location error", async () => (await pageText()).includes("Give the full path of a folder, like /srv/backups."));
  const elsewhere = join(work, "elsewhere", "backups");
  await session.type('[data-field="location"]', elsewhere);
  await session.type('[data-field="retention_days"]', "1");
  await session.waitFor("the retention error", async () => (await pageText()).includes("Retention of 1 days is out of range: choose 2 to 14 days."));
  const saveDisabled = await session.run("return document.querySelector('[data-action=\"save\"]').disabled");
  if (!saveDisabled) throw new Error("OK is enabled with an invalid value");
  await shot("4-configuration-invalid");
  await session.type('[data-field="retention_days"]', "3");
  await session.waitFor("the error to clear", async () => !(await pageText()).includes("out of range"));
  await session.click('[data-action="save"]');
  await session.waitFor("the saved retention", async () => JSON.parse(lifeboat(["retention", "show"])).days === 3);
  await session.waitFor("the saved location", async () => JSON.parse(lifeboat(["location", "show"])).path === elsewhere);
  // The backup made earlier stays where it was; the new location starts empty.
  await session.click('[data-blade="essentials"]');
  await session.waitFor("Essentials on the new location", async () => (await pageText()).includes(elsewhere));
  await session.click('[data-action="backup-now"]');
  await session.waitFor("a backup at the new location", async () => JSON.parse(lifeboat(["backups", "list"])).length === 1);

  await session.click('[data-blade="backups"]');
  await session.waitFor("the backup in the list", async () => (await session.run("return document.querySelectorAll('tbody tr').length")) === 1);
  await shot("5-backups");

  await session.click('[data-blade="activity"]');
  await session.waitFor("the operation in Activity", async () => {
    const text = await pageText();
    return text.includes("on-demand") && text.includes("succeeded");
  });
  await shot("6-activity");
  console.log("GUI test passed; screenshots in", outDir);
} catch (e) {
  failed = true;
  console.error("GUI test FAILED:", e.message);
  if (session) await shot("failure").catch(() => {});
} finally {
  if (session) await session.close();
  driver.kill("SIGTERM");
  monitor.kill("SIGTERM");
}
process.exit(failed ? 1 : 0);
