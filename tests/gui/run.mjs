// End-to-end test of the desktop app through tauri-driver: the window shows the
// engine's state; Backup now without encryption fails visibly and notifies once;
// the Configuration blade explains bad values, moves the location and takes a
// certificate made by OpenSSL; Backup now then makes a backup listed with that
// certificate's thumbprint and notifies the recovery; the restore wizard opens it
// with the matching .pfx into another folder, and the files are compared; Disable
// shows on Essentials and in `lifeboat status`; a failing CLI backup is announced by
// the app; start-with-session writes the autostart entry; closing the window hides
// it while the app keeps working, and a second launch shows it again and exits; the
// window's size is restored from the last run and saved at SIGTERM; the vault, both
// first-start flows, and an Azurite container set in the Configuration blade with the
// Fleet view showing the installations writing there; an update offered by a signed
// feed, the update lock between the window and the CLI both ways, and the update
// installed from the window. Screenshots of
// every blade and each wizard step go to the output folder (docs/screenshots in the
// test suite).
//
// usage: node run.mjs APP_BINARY CLI_BINARY OUTPUT_DIR   (inside Xvfb and a D-Bus session)

import { execFileSync, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Session } from "./webdriver.mjs";
import { configurationRows, refuseConfiguration, refuseInVault, vaultRows } from "./bad-inputs.mjs";
import { secretsIn, watch } from "./webview-state.mjs";
const [app, cli, outDir, sambaServer] = process.argv.slice(2).map((p) => resolve(p));
const here = new URL(".", import.meta.url).pathname;
mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "lifeboat-gui-"));
const data = join(work, "data");
// The autostart plugin writes under $HOME: keep it inside the test folder. The vault
// key stays in the data folder's file: a keyring on the test's D-Bus session would
// be locked and prompt on the screen (src-tauri/lifeboat-cli/tests/keyring.rs tests it).
const env = { ...process.env, LIFEBOAT_DATA_DIR: data, HOME: join(work, "home"), LIFEBOAT_CREDENTIAL_STORE: "off" };
mkdirSync(env.HOME);

function lifeboat(args, input = "", appEnv = env) {
  return execFileSync(cli, ["--json", ...args], { env: appEnv, input }).toString();
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

// The file picker is GTK's own dialog, outside the page: found by its title and
// answered through XTest (xdotool) as a user would, typing the path and Enter.
async function chooseInFileDialog(title, path) {
  const xdotool = (...args) => execFileSync("xdotool", args, { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  const dialog = () => {
    try {
      return xdotool("search", "--onlyvisible", "--name", `^${title}$`).split("\n")[0];
    } catch {
      return null; // xdotool exits 1 when no window matches
    }
  };
  const window = await session.waitFor(`the file dialog "${title}"`, dialog);
  // GTK takes keys once the dialog has drawn, and completes a typed path before
  // Enter opens it: both need a moment no window event announces.
  const settle = () => new Promise((r) => setTimeout(r, 700));
  xdotool("windowfocus", "--sync", window);
  await settle();
  xdotool("key", "ctrl+l");
  xdotool("type", "--delay", "5", path);
  await settle();
  xdotool("key", "Return");
  await session.waitFor(`the file dialog "${title}" closed`, () => dialog() === null);
}

// What to protect: a few files in nested folders. Encryption comes later, so the
// first backup fails.
const docs = join(work, "docs");
mkdirSync(join(docs, "runbooks"), { recursive: true });
writeFileSync(join(docs, "runbooks", "restore.md"), "# Restore steps\n");
writeFileSync(join(docs, "inventory.csv"), "host,role\nsrv-01,db\n".repeat(1000));
lifeboat(["items", "add", docs]);

// A backup certificate made by OpenSSL: the public .cer for Lifeboat, the .pfx kept by the admin.
const keys = join(work, "keys");
mkdirSync(keys);
const openssl = (...args) => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();
openssl("req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", join(keys, "key.pem"), "-out", join(keys, "cert.pem"), "-days", "365", "-subj", "/CN=Lifeboat GUI test");
openssl("x509", "-in", join(keys, "cert.pem"), "-outform", "DER", "-out", join(keys, "backup.cer"));
openssl("pkcs12", "-export", "-inkey", join(keys, "key.pem"), "-in", join(keys, "cert.pem"), "-out", join(keys, "backup.pfx"), "-passout", "pass:gui-pfx-password");
const thumbprint = openssl("x509", "-in", join(keys, "cert.pem"), "-noout", "-fingerprint", "-sha1").split("=")[1].trim().replaceAll(":", "");

// The window's size and place as a previous run left them (tauri-plugin-window-state).
const appConfig = join(env.HOME, ".config", "dev.lifeboat.console");
mkdirSync(appConfig, { recursive: true });
const windowState = join(appConfig, ".window-state.json");
writeFileSync(windowState, JSON.stringify({ main: { width: 1100, height: 720, x: 0, y: 0, prev_x: 0, prev_y: 0, maximized: false, visible: true, decorated: true, fullscreen: false } }));

// Desktop notifications are D-Bus calls; watch them on this session's bus.
const monitor = spawn("dbus-monitor", ["--session", "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"]);
let notifications = "";
monitor.stdout.on("data", (chunk) => (notifications += chunk));

const [port, nativePort] = [await freePort(), await freePort()];
let driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], { env, stdio: "inherit" });
const base = `http://127.0.0.1:${port}`;
let session;
let failed = false;
const shot = async (name) => {
  await new Promise((r) => setTimeout(r, 500));
  writeFileSync(join(outDir, `${name}.png`), await session.screenshot());
};
const pageText = () => session.run("return document.body.innerText");
const expectText = async (what, text) => session.waitFor(what, async () => (await pageText()).includes(text));

// Every secret the test gives the app, and the ones the app keeps itself (each data
// folder's vault key, the certificate's private key): none may be in the window's
// state (what the backend sent it, the page, its fields, its storage) once the form
// that took it is done. The vault's Reveal is the one command meant to send a value.
const secrets = {
  "the .pfx password": "gui-pfx-password",
  "a wrong .pfx password": "gui-wrong-password-0815",
  "the vault value": "gui-vault-value-4711",
  "the administrator password": "gui-admin-password-2718",
  "a wrong administrator password": "gui-not-the-admin-password",
};
const keptSecrets = () => {
  const kept = { "the certificate's private key": readFileSync(join(keys, "key.pem"), "utf8").split("\n")[1] };
  for (const dir of readdirSync(work)) {
    const keyFile = join(work, dir, "secrets", "vault.key");
    if (!existsSync(keyFile)) continue;
    for (const line of readFileSync(keyFile, "utf8").split("\n").filter(Boolean)) kept[`the vault key of ${dir}`] = line.split(" ").at(-1);
  }
  return kept;
};
let secretSearches = 0;
let badInputs = 0;
async function expectNoSecrets(when, allowed = []) {
  const { found, deliveries, commands } = await secretsIn(session, { ...secrets, ...keptSecrets() }, allowed);
  if (found.length > 0) throw new Error(`${when}, the window holds ${found.join("; ")}`);
  if (deliveries === 0) throw new Error(`${when}, nothing the backend sent was recorded`);
  secretSearches += 1;
  return commands;
}
/** A control: the search does find a secret where it is (a field being filled in, a revealed value). */
async function expectSecretFound(when, name, where) {
  const { found } = await secretsIn(session, { [name]: secrets[name] });
  if (!found.some((f) => f.includes(where))) throw new Error(`${when}, the search did not find ${name} ${where} (found: ${found.join("; ") || "nothing"})`);
}
const files = (dir) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length))
    .sort();

// The test suite's Samba (lifeboat-core's samba-server example): where it serves,
// as whom; closing its stdin stops it.
async function startSamba() {
  const child = spawn(sambaServer, [], { stdio: ["pipe", "pipe", "inherit"] });
  const line = await new Promise((done, fail) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) done(out.slice(0, out.indexOf("\n")));
    });
    child.on("exit", (code) => fail(new Error(`the Samba server exited (${code})`)));
    setTimeout(() => fail(new Error("Samba did not start within 60 s")), 60000);
  });
  return { ...JSON.parse(line), child };
}
let samba;

// Azurite (Azure Blob Storage) from target/tools, as scripts/test.sh installs it, with
// a container created by a request signed with the development account's key.
const AZURITE_ACCOUNT = "devstoreaccount1";
const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
async function startAzurite(container) {
  const bin = process.env.LIFEBOAT_AZURITE ?? resolve(here, "../../target/tools/azurite/node_modules/.bin/azurite-blob");
  const port = await freePort();
  const child = spawn(bin, ["--blobHost", "127.0.0.1", "--blobPort", String(port), "--silent", "--disableTelemetry", "--location", mkdtempSync(join(work, "azurite-"))], { stdio: "ignore" });
  const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const date = new Date().toUTCString();
  const version = "2021-08-06";
  const toSign = `PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:${date}\nx-ms-version:${version}\n/${AZURITE_ACCOUNT}/${AZURITE_ACCOUNT}/${container}\nrestype:container`;
  const signature = createHmac("sha256", Buffer.from(AZURITE_KEY, "base64")).update(toSign).digest("base64");
  const deadline = Date.now() + 60000;
  for (;;) {
    try {
      const answer = await fetch(`${endpoint}/${container}?restype=container`, {
        method: "PUT",
        headers: { "x-ms-date": date, "x-ms-version": version, Authorization: `SharedKey ${AZURITE_ACCOUNT}:${signature}` },
      });
      if (answer.status !== 201) throw new Error(`creating the container answered ${answer.status}`);
      return { child, endpoint, container };
    } catch (e) {
      if (Date.now() > deadline || e.message.startsWith("creating")) throw new Error(`Azurite: ${e.message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
let azurite;

/** The running app's processes (their executable is the app under test). */
function appProcesses() {
  const exe = resolve(app);
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readlinkSync(`/proc/${p}/exe`) === exe;
      } catch {
        return false;
      }
    });
}

/** Starts the app again on a data folder of its own (a new installation when empty). */
async function relaunch(name, extraEnv = {}) {
  if (session) await session.close();
  driver.kill("SIGTERM");
  await new Promise((done) => (driver.exitCode !== null ? done() : driver.on("exit", done)));
  // The next instance must not find this one still holding the single-instance name
  // on the session bus (it would hand its arguments over and exit).
  const deadline = Date.now() + 20000;
  while (appProcesses().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of appProcesses()) process.kill(Number(pid), "SIGKILL");
  const appEnv = { ...env, LIFEBOAT_DATA_DIR: join(work, name), HOME: join(work, `home-${name}`), ...extraEnv };
  mkdirSync(appEnv.HOME, { recursive: true });
  const [p, np] = [await freePort(), await freePort()];
  driver = spawn("tauri-driver", ["--port", String(p), "--native-port", String(np)], { env: appEnv, stdio: "inherit" });
  await waitForDriver(`http://127.0.0.1:${p}`);
  session = await Session.create(`http://127.0.0.1:${p}`, app, 60000);
  await watch(session);
  await session.resize(1280, 800);
  return appEnv;
}

try {
  await waitForDriver(base);
  session = await Session.create(base, app, 60000);
  await watch(session);
  // The window-state plugin applies the saved size just after the window appears.
  await session.waitFor("the window back at its saved size (1100×720)", async () => {
    const { width, height } = await session.cmd("GET", "/window/rect");
    return width === 1100 && height === 720;
  }, 15000);
  await session.resize(1280, 800);
  await expectText("the Essentials blade", "Next scheduled backup");
  const before = await pageText();
  for (const expected of ["Automatic backups", "On — daily at 01:00 UTC", "none yet", "not set", "No encryption is set", "7 days, at most 30 backups", "Restore…"]) {
    if (!before.includes(expected)) throw new Error(`Essentials lacks ${JSON.stringify(expected)}:\n${before}`);
  }

  // Without encryption the backup fails: Essentials says why, a notification says so once.
  await session.click('[data-action="backup-now"]');
  await session.waitFor("the failure on Essentials", async () => /failed — .*\(on-demand\)/.test(await pageText()));
  await session.waitFor("the failure notification", async () => notifications.includes("Backup failed"));
  await shot("essentials-backup-failed");

  // Configuration: the engine's rules explain a bad value as it is typed; OK saves.
  await session.click('[data-blade="configuration"]');
  await session.waitFor("the Configuration blade", () => session.find('[data-field="retention_days"]'));
  await session.type('[data-field="location"]', "relative/folder");
  await expectText("the location error", "Give the full path of a folder, like /srv/backups.");
  await session.type('[data-field="retention_days"]', "1");
  await expectText("the retention error", "Retention of 1 day is out of range: choose 2 to 14 days.");
  await session.click('[data-field="enc-certificate"]');
  await session.type('[data-field="certificate"]', join(keys, "backup.pfx"));
  await expectText("the refusal of a private key", "private key");
  if (!(await session.run("return document.querySelector('[data-action=\"save\"]').disabled"))) throw new Error("OK is enabled with invalid values");
  await shot("configuration-invalid");

  // The table of bad input for each field, each on the form as saved; nothing changes.
  const badFiles = { pfx: join(keys, "backup.pfx"), cer: join(keys, "backup.cer"), missing: join(work, "nowhere", "backup.cer"), garbage: join(work, "garbage.cer") };
  writeFileSync(badFiles.garbage, "garbage, not a certificate");
  const storedSettings = () => ["location", "retention", "expiry", "encryption", "schedule"].map((what) => lifeboat([what, "show"])).join("\n");
  const settingsBefore = storedSettings();
  const reopenConfiguration = async () => {
    await session.click('[data-blade="essentials"]');
    await session.click('[data-blade="configuration"]');
    await session.present('[data-field="retention_days"]');
  };
  badInputs += await refuseConfiguration(session, configurationRows(badFiles), reopenConfiguration);
  if (storedSettings() !== settingsBefore) throw new Error("bad input in the Configuration blade changed the settings");
  await reopenConfiguration();
  await session.click('[data-field="enc-certificate"]');

  const elsewhere = join(work, "elsewhere", "backups");
  await session.type('[data-field="location"]', elsewhere);
  await session.type('[data-field="retention_days"]', "3");
  await session.type('[data-field="certificate"]', join(keys, "backup.cer"));
  await expectText("the new certificate's thumbprint", thumbprint);
  await session.waitFor("the errors to clear", async () => !(await session.run("return document.querySelector('[data-action=\"save\"]').disabled")));
  await shot("configuration");
  await session.click('[data-action="save"]');
  await session.waitFor("the saved certificate", async () => JSON.parse(lifeboat(["encryption", "show"])).certificates[0]?.thumbprint === thumbprint);
  if (JSON.parse(lifeboat(["retention", "show"])).days !== 3) throw new Error("the CLI does not see retention 3");
  if (JSON.parse(lifeboat(["location", "show"])).path !== elsewhere) throw new Error("the CLI does not see the new location");

  // Backup now: a backup appears with the certificate's thumbprint; the recovery is announced.
  await session.click('[data-blade="essentials"]');
  await expectText("Essentials on the new location and certificate", thumbprint);
  // "Check now" really asks the location: a folder moved away shows as unreachable,
  // and back in place as reachable with its free space.
  await session.waitFor("the new location checked on saving", async () => (await session.text("[data-location]")).includes("free"));
  renameSync(elsewhere, `${elsewhere}.away`);
  await session.click('[data-action="check-location"]');
  await session.waitFor("the missing folder reported", async () => (await session.text("[data-location]")).includes("Unreachable"));
  renameSync(`${elsewhere}.away`, elsewhere);
  await session.click('[data-action="check-location"]');
  await session.waitFor("the folder reachable again", async () => /free[\s\S]*checked just now/.test(await session.text("[data-location]")));
  await session.click('[data-action="backup-now"]');
  await session.waitFor("Essentials to show the result", async () => /succeeded — .*\(on-demand\)/.test(await pageText()));
  await session.waitFor("the recovery notification", async () => notifications.includes("Backups are working again"));
  await shot("essentials");

  await session.click('[data-blade="backups"]');
  await session.waitFor("the backup in the list", async () => (await session.run("return document.querySelectorAll('[data-backup-row]').length")) === 1);
  const listed = await session.text("[data-thumbprint]");
  if (listed !== thumbprint) throw new Error(`the backup lists thumbprint ${listed}, expected ${thumbprint}`);
  await shot("backups");

  // The restore wizard, from the backup's row, with the matching .pfx, into another folder.
  await session.click('[data-action="restore"]');
  await session.waitFor("step 1 with the backup chosen", () => session.find("[data-inspection]"));
  await expectText("what unlocks it", `thumbprint ${thumbprint}`);
  await shot("restore-1-choose");
  await session.click('[data-action="next"]');
  await session.waitFor("step 2", () => session.find('[data-field="key-file"]'));
  await session.type('[data-field="key-file"]', join(keys, "backup.pfx"));
  await session.type('[data-field="key-password"]', "gui-wrong-password-0815");
  await session.click('[data-action="next"]');
  await session.waitFor("the refusal of a wrong password", () => session.find('[role="alert"]'));
  await shot("restore-2-unlock-refused");
  await session.type('[data-field="key-password"]', "gui-pfx-password");
  await expectSecretFound("while the wizard asks for it", "the .pfx password", "on the page");
  await shot("restore-2-unlock");
  await session.click('[data-action="next"]');
  await session.waitFor("step 3 verified", () => session.find("[data-verified]"), 60000);
  await shot("restore-3-verify");
  await session.click('[data-action="next"]');
  const restored = join(work, "restored");
  await session.type('[data-field="destination"]', restored);
  await shot("restore-4-choose");
  await session.click('[data-action="next"]');
  await session.waitFor("step 5", () => session.find('[data-preview="targets"]'));
  await expectText("the plain statement", "Nothing existing is replaced.");
  await shot("restore-5-confirm");
  await session.click('[data-action="next"]');
  await session.waitFor("the restore summary", () => session.find("[data-restored]"), 60000);
  await session.waitFor("the restore notification", async () => notifications.includes("Restore finished"));
  await shot("restore-6-done");
  const want = files(docs);
  const got = files(join(restored, "docs"));
  if (JSON.stringify(want) !== JSON.stringify(got)) throw new Error(`restored files differ: ${got} vs ${want}`);
  for (const f of want) {
    if (!readFileSync(join(docs, f)).equals(readFileSync(join(restored, "docs", f)))) throw new Error(`${f} differs after the restore`);
  }
  if ((await pageText()).includes("gui-pfx-password")) throw new Error("the password is still in the window");
  await session.click('[data-action="close"]');
  await session.waitFor("back on the Backups blade", () => session.find("[data-backup-row]"));
  await expectNoSecrets("after the restore wizard closed");
  await session.click('[data-action="verify"]');
  await expectText("the checksum verify", "matches the checksum recorded when it was written");

  // The Vault blade: a secret made here, its backup downloaded, deleted and purged,
  // then restored from the file chosen with the file picker, with its value.
  const blob = join(work, "db-password.secret.lbvault");
  await session.click('[data-blade="vault"]');
  await session.click('[data-action="new-object"]');
  await session.type('[data-field="vault-name"]', "db password");
  await expectText("the name rule", "Use 1 to 127 letters, digits and dashes.");
  await session.type('[data-field="vault-name"]', "db-password");
  await session.type('[data-field="vault-value"]', "gui-vault-value-4711");
  await session.click('[data-action="create-object"]');
  await session.waitFor("the secret in the list", () => session.find('[data-object="db-password"]'));
  await expectNoSecrets("after the secret was created, before Reveal");
  await session.click('[data-action="reveal"]');
  await session.waitFor("the value revealed", async () => (await session.text("[data-revealed]")) === "gui-vault-value-4711");
  await expectSecretFound("once revealed", "the vault value", "sent by vault_reveal");
  await shot("vault");
  await session.click('[data-action="hide"]');
  await expectNoSecrets("after Hide", ["vault_reveal"]);
  await session.click('[data-action="edit-version"]');
  await session.type('[data-field="edit-tags"]', "owner=ops");
  await session.click('[data-action="save-attributes"]');
  await session.waitFor("the tag saved", () => JSON.parse(lifeboat(["vault", "versions", "secret", "db-password"]))[0].attributes.tags.owner === "ops");
  const vaultSecrets = JSON.parse(lifeboat(["vault", "list", "--kind", "secret"]));
  if (!vaultSecrets.some((o) => o.name === "db-password")) throw new Error("the CLI does not see the secret");
  await session.click('[data-action="download-backup"]');
  await session.type('[data-field="download-path"]', blob);
  await session.click('[data-action="confirm-download"]');
  await session.waitFor("the backup blob written", () => existsSync(blob));
  await session.click('[data-action="delete-object"]');
  await session.click('[data-action="confirm-delete-object"]');
  await expectText("the secret deleted", "can be recovered until");
  await session.click('[data-tab="deleted"]');
  await session.waitFor("the secret among the deleted", () => session.find('[data-deleted-object="db-password"]'));
  await shot("vault-deleted");
  await session.click('[data-action="purge"]');
  await session.click('[data-action="confirm-purge"]');
  await expectText("the secret purged", 'Purged the secret "db-password" for good.');
  if (JSON.parse(lifeboat(["vault", "list", "--deleted"])).length !== 0) throw new Error("the CLI still sees a deleted secret");
  // The click may be answered only once the dialog it opened is closed.
  const picking = session.click('[data-action="pick-blob"]');
  await chooseInFileDialog("A Lifeboat vault backup", blob);
  await picking;
  await session.waitFor("the picked file in the field", async () => (await session.run("return document.querySelector('[data-field=blob-path]').value")) === blob);
  await session.click('[data-action="restore-blob"]');
  await expectText("the secret restored", 'Restored the secret "db-password" with its 1 version(s).');
  await session.click('[data-object="db-password"] [data-action="open-object"]');
  await session.click('[data-action="reveal"]');
  await session.waitFor("the restored value", async () => (await session.text("[data-revealed]")) === "gui-vault-value-4711");
  await shot("vault-restored");
  if (JSON.parse(lifeboat(["operations", "list"]))[0].kind !== "vault-restore") throw new Error("the vault restore is not in the history");
  const vaultBefore = lifeboat(["vault", "list"]);
  badInputs += await refuseInVault(session, vaultRows(badFiles));
  if (lifeboat(["vault", "list"]) !== vaultBefore) throw new Error("bad input in the Vault blade changed the vault");
  // Vault settings: the key is in its file (the test keeps it there); this session has
  // no keyring, so moving it into the credential store is refused and it stays put.
  await session.click("[data-vault-settings-form] summary");
  await session.waitFor("the vault key's place", () => session.find('[data-key-home="file"]'));
  await session.click('[data-action="key-to-credential-store"]');
  await expectText("the refused move", "did not keep the vault key");
  await session.run(`document.querySelector('[data-key-home]').scrollIntoView({ block: "center" })`);
  await shot("vault-settings");
  if (JSON.parse(lifeboat(["vault", "settings"])).key_in_credential_store !== false) throw new Error("the key moved after a refusal");

  // Disable: Essentials and the CLI agree.
  await session.click('[data-blade="essentials"]');
  await session.waitFor("Essentials again", () => session.find('[data-action="disable"]'));
  await session.click('[data-action="disable"]');
  await session.waitFor("the Enable button", () => session.find('[data-action="enable"]'));
  await expectText("automatic backups off", "Off — daily at 01:00 UTC");
  if (JSON.parse(lifeboat(["status"])).schedule.enabled !== false) throw new Error("the CLI still sees automatic backups on");
  await shot("essentials-disabled");
  await session.click('[data-action="enable"]');
  await session.waitFor("the Disable button", () => session.find('[data-action="disable"]'));

  // A backup run by another process (the CLI here, `lifeboat service` in real use)
  // that fails is announced by the app too: the location folder replaced by a file.
  renameSync(elsewhere, `${elsewhere}.moved`);
  writeFileSync(elsewhere, "not a folder");
  try {
    lifeboat(["backup", "now"]);
    throw new Error("the CLI backup into a file succeeded");
  } catch (e) {
    if (e.message.includes("succeeded")) throw e;
  }
  await session.waitFor("the CLI's failure announced", async () => (notifications.match(/Backup failed/g) ?? []).length === 2);
  rmSync(elsewhere);
  renameSync(`${elsewhere}.moved`, elsewhere);
  lifeboat(["backup", "now"]);
  await session.waitFor("the CLI's recovery announced", async () => (notifications.match(/Backups are working again/g) ?? []).length === 2);

  await session.click('[data-blade="activity"]');
  await session.waitFor("the operations in Activity", async () => {
    const text = await pageText();
    return text.includes("restore") && text.includes("verify") && text.includes("succeeded");
  });
  await shot("activity");

  // The smaller size the layout must also fit.
  await session.resize(1024, 700);
  await session.click('[data-blade="essentials"]');
  await shot("essentials-1024x700");
  await session.click('[data-blade="configuration"]');
  await shot("configuration-1024x700");
  await session.click('[data-blade="backups"]');
  await session.waitFor("the Backups blade", () => session.find("[data-backup-row]"));
  await shot("backups-1024x700");

  // Delete asks first, then the backup is gone for the CLI too.
  await session.click('[data-action="delete"]');
  await session.click('[data-action="confirm-delete"]');
  await session.waitFor("the backup deleted", async () => JSON.parse(lifeboat(["backups", "list"])).length === 1);
  await session.waitFor("one backup left in the list", async () => (await session.run("return document.querySelectorAll('[data-backup-row]').length")) === 1);

  // Start with the session: OK writes the autostart entry.
  await session.click('[data-blade="configuration"]');
  await session.click('[data-field="start_with_session"]');
  await session.click('[data-action="save"]');
  const autostart = join(env.HOME, ".config", "autostart");
  await session.waitFor("the autostart entry", () => existsSync(autostart) && readdirSync(autostart).some((f) => f.endsWith(".desktop")));

  // Closing the window hides it to the tray; the app keeps running.
  const x11 = (command) => execFileSync("python3", [join(here, "x11-window.py"), command, "Lifeboat"]).toString().trim();
  await session.click('[data-blade="essentials"]');
  await expectText("one backup on Essentials", "1, oldest");
  if (x11("state") !== "viewable") throw new Error(`the window is ${x11("state")} before closing`);
  x11("close");
  await session.waitFor("the window hidden", () => x11("state") === "hidden");
  lifeboat(["backup", "now"]);
  await expectText("the hidden app following a CLI backup", "2, oldest");

  // A second launch hands over to the running app, which shows its window, and exits.
  const second = spawn(app, [], { env, stdio: "ignore" });
  const secondExit = await Promise.race([new Promise((r) => second.on("exit", r)), new Promise((r) => setTimeout(() => r("still running"), 15000))]);
  if (secondExit !== 0) throw new Error(`a second launch did not hand over to the running app (exit: ${secondExit})`);
  await session.waitFor("the window shown again", () => x11("state") === "viewable");

  // An SMB share as the location, set through the blade: Test connection finds the
  // folder missing and creates it, OK saves, Backup now writes to the share.
  samba = await startSamba();
  await session.resize(1280, 800);
  await session.click('[data-blade="configuration"]');
  await session.waitFor("the Configuration blade", () => session.find('[data-field="location-smb"]'));
  await session.click('[data-field="location-smb"]');
  await session.waitFor("the share fields", () => session.find('[data-field="location_user"]'));
  await session.type('[data-field="location"]', `${samba.unc}\\lifeboat\\gui`);
  await session.type('[data-field="location_user"]', samba.user);
  secrets["the share password"] = samba.password;
  await session.type('[data-field="location_password"]', samba.password);
  await session.type('[data-field="location_confirm"]', samba.password);
  await expectSecretFound("while the share form holds it", "the share password", "on the page");
  const enabled = (selector) => session.run(`return !document.querySelector('${selector}').disabled`);
  await session.waitFor("Test connection enabled", () => enabled('[data-action="test-connection"]'));
  await session.click('[data-action="test-connection"]');
  await session.waitFor("the offer to create the folder", () => session.find('[data-action="create-folder"]'), 60000);
  await shot("configuration-share-missing-folder");
  await session.click('[data-action="create-folder"]');
  await expectText("the connection proven", "Connected:");
  await shot("configuration-share");
  await session.click('[data-action="save"]');
  await session.waitFor("the CLI seeing the share", () => JSON.parse(lifeboat(["location", "show"])).kind === "smb", 60000);
  await session.waitFor("the password cleared from the form", async () => (await session.run(`return document.querySelector('[data-field="location_password"]').value`)) === "");
  await session.click('[data-blade="essentials"]');
  await expectText("Essentials on the share", "SMB share");
  await session.click('[data-action="backup-now"]');
  const onShare = join(samba.share_dir, "lifeboat", "gui");
  await session.waitFor("the backup on the share", () => readdirSync(onShare).some((f) => f.endsWith(".lbk")), 60000);
  await expectText("Essentials counting the backup on the share", "1, oldest");
  await shot("essentials-share");
  const answered = await expectNoSecrets("after the share was saved and used", ["vault_reveal"]);
  for (const command of ["get_configuration", "vault_reveal"]) if (!answered.includes(command)) throw new Error(`the window's ${command} answers were not recorded (recorded: ${answered.join(", ")})`);
  await session.resize(1024, 700);

  // A logout's SIGTERM exits cleanly and saves the window's size for next time.
  const pid = execFileSync("pgrep", ["-f", app]).toString().trim().split("\n").find((p) => {
    try {
      return readFileSync(`/proc/${p}/environ`).toString().includes(`HOME=${env.HOME}\0`);
    } catch {
      return false;
    }
  });
  if (!pid) throw new Error("the app's process was not found");
  process.kill(Number(pid), "SIGTERM");
  await session.waitFor("the saved window size", () => {
    const saved = JSON.parse(readFileSync(windowState, "utf8")).main;
    return saved.width === 1024 && saved.height === 700;
  });

  // A new installation opens on the first-start flow. Set up: a certificate (a
  // private key refused as in the blade), an item typed in, Back keeping what was
  // chosen, the default folder, then the settings saved and the first backup made.
  const setupEnv = await relaunch("data-setup");
  await expectText("the first-start choice", "Welcome to Lifeboat");
  await shot("first-start");
  await session.click('[data-action="first-setup"]');
  await session.type('[data-field="certificate"]', join(keys, "backup.pfx"));
  await expectText("the refusal of a private key in set-up", "private key");
  await session.type('[data-field="certificate"]', join(keys, "backup.cer"));
  await session.waitFor("Next after the certificate", () => enabled('[data-action="next"]'));
  await shot("first-start-setup-encryption");
  await session.click('[data-action="next"]');
  await session.type('[data-field="new-item-path"]', docs);
  await session.click('[data-action="add-typed-item"]');
  await session.waitFor("Next after the item", () => enabled('[data-action="next"]'));
  await session.click('[data-action="back"]');
  await session.waitFor("the certificate kept on Back", async () => (await session.run(`return document.querySelector('[data-field="certificate"]').value`)) === join(keys, "backup.cer"));
  await session.click('[data-action="next"]');
  await session.waitFor("the item kept", () => session.find('[data-item="0"]'));
  await session.click('[data-action="next"]');
  await session.waitFor("Next after the location", () => enabled('[data-action="next"]'));
  await session.click('[data-action="next"]');
  // The administrator password: required unless going without it, warned.
  await session.waitFor("the administrator step", () => session.find('[data-field="admin-new"]'));
  await session.click('[data-field="without-admin"]');
  await session.waitFor("the warning for going without", () => session.find('[data-warning="no-admin-password"]'));
  await session.click('[data-field="without-admin"]');
  await session.type('[data-field="admin-new"]', secrets["the administrator password"]);
  await session.type('[data-field="admin-confirm"]', secrets["the administrator password"]);
  await session.waitFor("Save and back up now", () => enabled('[data-action="next"]'));
  await shot("first-start-setup-admin");
  await session.click('[data-action="next"]');
  await session.waitFor("the first backup made", () => session.find("[data-first-backup]"), 120000);
  await shot("first-start-setup-done");
  await session.click('[data-action="finish"]');
  await session.waitFor("Essentials after set-up", async () => /succeeded — .*\(on-demand\)/.test(await pageText()));
  const setUp = JSON.parse(lifeboat(["status"], "", setupEnv));
  if (setUp.encryption.mode !== "certificate" || setUp.items.length !== 1) throw new Error(`set-up saved ${JSON.stringify(setUp.encryption)} and ${setUp.items.length} item(s)`);
  await expectNoSecrets("after set-up");

  // Elevation: setting the password left the window elevated (the badge); Lock now
  // ends it. Deleting the backup then asks for the password in the modal, naming the
  // action; a wrong one is refused, the right one (after the 1 s wait) deletes it.
  await session.waitFor("the elevated badge", () => session.find('[data-badge="elevated"]'));
  await shot("elevated-badge");
  await session.click('[data-action="lock-now"]');
  await session.waitFor("the badge gone after Lock now", () => session.run(`return document.querySelector('[data-badge="elevated"]') === null`));
  await session.click('[data-blade="backups"]');
  await session.click('[data-action="delete"]');
  await session.click('[data-action="confirm-delete"]');
  await session.waitFor("the elevation modal", () => session.find('[data-dialog="elevation"]'));
  await expectText("the action named in the modal", "Delete the backup");
  await session.type('[data-field="admin-password"]', secrets["a wrong administrator password"]);
  await session.click('[data-action="elevate"]');
  await expectText("a wrong password refused", "The administrator password is wrong");
  await shot("elevation-modal");
  if (JSON.parse(lifeboat(["backups", "list"], "", setupEnv)).length !== 1) throw new Error("the backup went before the password was given");
  await session.waitFor(
    "elevated with the right password once the wait is over",
    async () => {
      if (await session.run(`return document.querySelector('[data-dialog="elevation"]') === null`)) return true;
      await session.type('[data-field="admin-password"]', secrets["the administrator password"]);
      await session.click('[data-action="elevate"]');
      return false;
    },
    30000,
  );
  await session.waitFor("the backup deleted once elevated", () => JSON.parse(lifeboat(["backups", "list"], "", setupEnv)).length === 0, 30000);
  await session.waitFor("the elevated badge again", () => session.find('[data-badge="elevated"]'));
  // The audit trail in Activity: the wrong password, the deletion, filtered by outcome.
  await session.click('[data-blade="activity"]');
  await session.click('[data-tab="audit"]');
  await session.waitFor("the audit trail", () => session.find('[data-table="audit"]'));
  await expectText("the wrong password in the trail", "Wrong administrator password");
  await expectText("the deletion in the trail", "Delete the backup");
  await shot("activity-audit");
  await session.click('[data-action="audit-verify"]');
  await session.waitFor("the chain holds", () => session.find('[data-verdict="holds"]'));
  await expectNoSecrets("after elevating");

  // Recover from a backup: the share the first installation last backed up to, its
  // .pfx, what comes back, then the same items and vault, and a backup to the share
  // with the password that came back in the vault.
  const recoverEnv = await relaunch("data-recover");
  await expectText("the first-start choice again", "Welcome to Lifeboat");
  await session.click('[data-action="first-recover"]');
  await session.click('[data-field="from-smb"]');
  await session.type('[data-field="location"]', `${samba.unc}\\lifeboat\\gui`);
  await session.type('[data-field="location_user"]', samba.user);
  await session.type('[data-field="location_password"]', samba.password);
  await session.click('[data-action="list-backups"]');
  await session.waitFor("the backups on the share", () => session.find("[data-backup]"), 60000);
  const newest = await session.run(`return document.querySelector('[data-backup]:checked')?.dataset.backup ?? null`);
  const lastMade = JSON.parse(lifeboat(["status"])).last_backup.backup_id;
  if (newest !== lastMade) throw new Error(`the recovery chose ${newest}, not the newest backup ${lastMade}`);
  await shot("first-start-recover-choose");
  await session.click('[data-action="next"]');
  await session.waitFor("the unlock step", () => session.find('[data-field="key-file"]'), 60000);
  await session.type('[data-field="key-file"]', join(keys, "backup.pfx"));
  await session.type('[data-field="key-password"]', "gui-pfx-password");
  await session.click('[data-action="next"]');
  await session.waitFor("what comes back", () => session.find("[data-recovery-plan]"), 60000);
  await expectText("the share in the plan", "SMB share");
  await shot("first-start-recover-plan");
  await session.click('[data-action="next"]');
  await session.waitFor("recovered", () => session.find("[data-recovered]"), 60000);
  await shot("first-start-recovered");
  // Then the data itself, from the same backup, through the restore wizard it opens.
  await session.click('[data-action="restore-data"]');
  await session.waitFor("the wizard on the recovered backup", async () => (await session.text("[data-inspection]")).includes(newest), 60000);
  await session.click('[data-action="next"]');
  await session.type('[data-field="key-file"]', join(keys, "backup.pfx"));
  await session.type('[data-field="key-password"]', "gui-pfx-password");
  await session.click('[data-action="next"]');
  await session.waitFor("verified", () => session.find("[data-verified]"), 60000);
  await session.click('[data-action="next"]');
  const recoveredData = join(work, "restored-after-recovery");
  await session.type('[data-field="destination"]', recoveredData);
  await session.click('[data-action="next"]');
  await session.waitFor("the restore preview", () => session.find('[data-preview="targets"]'));
  await session.click('[data-action="next"]');
  await session.waitFor("the data restored", () => session.find("[data-restored]"), 60000);
  if (JSON.stringify(files(join(recoveredData, "docs"))) !== JSON.stringify(files(docs))) throw new Error("the data restored after recovery differs");
  await session.click('[data-action="close"]');
  for (const args of [["items", "list"], ["vault", "list"]]) {
    const names = (appEnv) => JSON.parse(lifeboat(args, "", appEnv)).map((o) => o.name).join(",");
    if (names(recoverEnv) !== names(env)) throw new Error(`after recovery ${args.join(" ")} is ${names(recoverEnv)}, not ${names(env)}`);
  }
  const onShareBefore = readdirSync(onShare).filter((f) => f.endsWith(".lbk")).length;
  await session.click('[data-action="backup-now"]');
  await session.waitFor("a backup to the share after recovery", () => readdirSync(onShare).filter((f) => f.endsWith(".lbk")).length === onShareBefore + 1, 60000);
  await expectNoSecrets("after the recovery (the share password came back in the vault)");

  // Object storage: an installation (items and passphrase set by the CLI) moves its
  // backups to an Azurite container through the Configuration blade and backs up; the
  // Fleet view shows it beside another installation writing to the same container,
  // and offers that one's backup to the restore wizard, which says where it came from.
  azurite = await startAzurite("gui-fleet");
  const cloudEnv = { ...env, LIFEBOAT_DATA_DIR: join(work, "data-cloud"), HOME: join(work, "home-data-cloud") };
  const otherEnv = { ...env, LIFEBOAT_DATA_DIR: join(work, "data-cloud-other") };
  secrets["the Azure key"] = AZURITE_KEY;
  secrets["the passphrase"] = "a fleet passphrase";
  for (const appEnv of [cloudEnv, otherEnv]) lifeboat(["items", "add", docs], "", appEnv);
  lifeboat(["encryption", "set-passphrase", "--passphrase-stdin"], "a fleet passphrase", otherEnv);
  lifeboat(["location", "set-azure", "--account", AZURITE_ACCOUNT, "--container", "gui-fleet", "--prefix", "fleet", "--endpoint", azurite.endpoint, "--key-stdin"], AZURITE_KEY, otherEnv);
  lifeboat(["backup", "now"], "", otherEnv);
  await relaunch("data-cloud");
  await session.click('[data-blade="configuration"]');
  await session.waitFor("the Configuration blade", () => session.find('[data-field="location-azure"]'));
  await session.click('[data-field="location-azure"]');
  await session.waitFor("the Azure fields", () => session.find('[data-field="location_endpoint"]'));
  await session.type('[data-field="location_user"]', AZURITE_ACCOUNT);
  await session.type('[data-field="location"]', "gui-fleet/fleet");
  await session.type('[data-field="location_endpoint"]', azurite.endpoint);
  await session.type('[data-field="location_password"]', AZURITE_KEY);
  await session.type('[data-field="location_confirm"]', AZURITE_KEY);
  await session.click('[data-field="enc-passphrase"]');
  await session.type('[data-field="passphrase"]', "a fleet passphrase");
  await session.type('[data-field="passphrase_confirm"]', "a fleet passphrase");
  await expectSecretFound("while the form holds it", "the passphrase", "on the page");
  await session.click('[data-action="test-connection"]');
  await expectText("Test connection to Azurite", "Connected: Azure container devstoreaccount1/gui-fleet/fleet");
  await shot("configuration-azure");
  await session.click('[data-action="save"]');
  await session.waitFor("the container saved", async () => {
    const refused = await session.run(`return document.querySelector('.config .error-box')?.innerText ?? null`);
    if (refused) throw new Error(`saving the container was refused: ${refused}`);
    return JSON.parse(lifeboat(["location", "show"], "", cloudEnv)).kind === "azure";
  });
  if (JSON.parse(lifeboat(["encryption", "show"], "", cloudEnv)).mode !== "passphrase") throw new Error("the passphrase typed in the blade was not saved");
  await session.click('[data-blade="essentials"]');
  await session.click('[data-action="backup-now"]');
  await session.waitFor("a backup in the container", () => JSON.parse(lifeboat(["backups", "list"], "", cloudEnv)).length === 1, 60000);
  await session.click('[data-blade="fleet"]');
  await session.waitFor("both installations in the Fleet view", async () => (await session.run("return document.querySelectorAll('[data-member]').length")) === 2, 30000);
  await expectText("this installation marked", "(this one)");
  await shot("fleet");
  await session.click('[data-action="restore-member"]');
  await session.waitFor("the other installation's backup in the wizard", () => session.find("[data-from-elsewhere]"), 30000);
  await shot("restore-from-another-installation");

  // Updates: a feed on this machine (python3's http.server) offers the next version,
  // signed by a key pair the feed's maker made (the debug app reads its public half
  // from LIFEBOAT_UPDATE_PUBKEY, and hands the verified package to a folder where a
  // packaged one would hand it to dpkg). The window checks at start, offers it with
  // its notes, installs it on request, and shows the version throughout.
  const feedDir = join(work, "feed");
  const installedDir = join(work, "installed");
  mkdirSync(feedDir);
  mkdirSync(installedDir);
  const version = execFileSync(cli, ["--version"]).toString().trim().split(" ")[1];
  const next = version.replace(/(\d+)$/, (p) => String(Number(p) + 1));
  const feedPort = await freePort();
  const feedUrl = `http://127.0.0.1:${feedPort}`;
  const updateKey = execFileSync(join(dirname(sambaServer), "update-feed"), [feedDir, feedUrl, next]).toString().trim();
  const feed = spawn("python3", ["-m", "http.server", "--bind", "127.0.0.1", "--directory", feedDir, String(feedPort)], { stdio: "ignore" });
  try {
    await session.waitFor("the feed served", () => fetch(`${feedUrl}/latest.json`).then((r) => r.ok, () => false), 20000);
    const updateEnv = { ...env, LIFEBOAT_DATA_DIR: join(work, "data-update") };
    lifeboat(["update", "settings", "--feed", `${feedUrl}/latest.json`], "", updateEnv);
    await relaunch("data-update", { LIFEBOAT_UPDATE_PUBKEY: updateKey, LIFEBOAT_TEST_INSTALL_INTO: installedDir });
    await session.click('[data-blade="essentials"]');
    await session.waitFor("the update offered", async () => (await pageText()).includes(`Lifeboat ${next} is available`), 30000);
    await expectText("the update's notes", "Restore drills with health you can see.");
    await expectText("the sidebar's offer", `Update available: ${next}`);
    if ((await session.text("[data-app-version]")) !== `Lifeboat ${version}`) throw new Error(`the sidebar shows ${await session.text("[data-app-version]")}`);
    await expectText("the version in About", `Lifeboat ${version}`);
    await session.present('[data-action="update-install"]');
    await shot("essentials-update-available");

    // The update lock between this window and the command line, both ways. A package
    // server that never finishes its answer keeps an update downloading, and so
    // holding the lock, for as long as the step needs.
    const stall = createServer((socket) => socket.once("data", () => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\nthe first bytes")));
    await new Promise((done) => stall.listen(0, "127.0.0.1", done));
    const offered = JSON.parse(readFileSync(join(feedDir, "latest.json")));
    offered.platforms["linux-x86_64-deb"].url = `http://127.0.0.1:${stall.address().port}/lifeboat.deb`;
    writeFileSync(join(feedDir, "stalling.json"), JSON.stringify(offered));
    const running = (trigger) => JSON.parse(lifeboat(["operations", "list"], "", updateEnv)).find((o) => o.kind === "update" && o.status === "running" && o.trigger === trigger);
    try {
      lifeboat(["update", "settings", "--feed", `${feedUrl}/stalling.json`], "", updateEnv);
      // The CLI installs: the window shows the update running and offers no Backup now.
      const cliUpdate = spawn(cli, ["update", "install"], { env: { ...updateEnv, LIFEBOAT_UPDATE_PUBKEY: updateKey, LIFEBOAT_TEST_INSTALL_INTO: installedDir }, stdio: "ignore" });
      await session.waitFor("the CLI's update running", () => running("cli"), 20000);
      await session.waitFor("the window showing the CLI's update", async () => (await pageText()).includes("Running: update"), 20000);
      if (!(await session.run("return document.querySelector('[data-action=\"backup-now\"]').disabled"))) throw new Error("Backup now is offered while an update is installed");
      await shot("essentials-update-running-elsewhere");
      cliUpdate.kill("SIGKILL");
      await new Promise((done) => (cliUpdate.exitCode !== null || cliUpdate.signalCode !== null ? done() : cliUpdate.on("exit", done)));
      // The window installs: a backup asked for on the command line is refused.
      await session.click('[data-action="update-install"]');
      await session.waitFor("the window's update running", () => running("on-demand"), 20000);
      let refused = "";
      try {
        execFileSync(cli, ["backup", "now"], { env: updateEnv, stdio: "pipe" });
      } catch (e) {
        refused = `${e.status} ${e.stderr}`;
      }
      if (!refused.startsWith("4 ") || !refused.includes("An update is being installed")) throw new Error(`a CLI backup during the window's update: ${refused}`);
      // It gives up on the server that never finishes (30 s) and says so.
      await session.waitFor("the stalled download reported", async () => (await pageText()).includes("Downloading the update from"), 60000);
    } finally {
      stall.close();
    }
    lifeboat(["update", "settings", "--feed", `${feedUrl}/latest.json`], "", updateEnv);
    await session.click('[data-action="update-install"]');
    await session.waitFor("the update installed", async () => (await pageText()).includes(`Lifeboat ${next} is installed.`), 60000);
    if (!readFileSync(join(installedDir, "installed.deb")).equals(readFileSync(join(feedDir, "lifeboat.deb")))) throw new Error("the installer was not handed the signed package");
    const update = JSON.parse(lifeboat(["operations", "list"], "", updateEnv)).find((o) => o.kind === "update");
    if (update?.status !== "succeeded" || update.trigger !== "on-demand") throw new Error(`the update operation: ${JSON.stringify(update)}`);
    await expectText("the sidebar's restart", `Restart to use ${next}`);
    await shot("essentials-update-installed");
    await session.type('[data-field="update-feed"]', "http://updates.example.org/latest.json");
    await session.click('[data-action="update-save-feed"]');
    await expectText("the refused feed", "plain http is accepted only for this machine (localhost); use https");
    if (JSON.parse(lifeboat(["update", "settings"], "", updateEnv)).feed_url !== `${feedUrl}/latest.json`) throw new Error("a refused feed was saved");
    await session.click('[data-field="update-automatic"]');
    await session.waitFor("automatic checks off", () => JSON.parse(lifeboat(["update", "settings"], "", updateEnv)).check_automatically === false);
  } finally {
    feed.kill("SIGTERM");
  }
  await expectNoSecrets("at the end");
  console.log(`GUI test passed; screenshots in ${outDir}; ${badInputs} bad inputs refused in the blades; the window's state searched ${secretSearches} times for ${Object.keys({ ...secrets, ...keptSecrets() }).length} secrets, none found`);
} catch (e) {
  failed = true;
  console.error("GUI test FAILED:", e.stack ?? e.message);
  if (session) await shot("failure").catch(() => {});
  // What the page said, below the fold too.
  if (session) console.error("the page at the failure:\n" + (await pageText().catch(() => "(unreadable)")));
} finally {
  if (session) await session.close();
  driver.kill("SIGTERM");
  monitor.kill("SIGTERM");
  azurite?.child.kill("SIGTERM");
  if (samba) {
    samba.child.stdin.end();
    await new Promise((done) => (samba.child.exitCode !== null ? done() : samba.child.on("exit", done)));
  }
}
process.exit(failed ? 1 : 0);
