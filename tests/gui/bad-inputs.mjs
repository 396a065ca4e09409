// Bad input typed into the window, one table per blade: each row sets a field (after
// the clicks that show it) and expects the blade's message for it; the
// Configuration blade must then refuse OK, the Vault blade must create nothing.

// A location of each kind with every field valid, for rows that spoil one of them
// (the blade names the first problem it finds).
const share = [["location", "\\\\fileserver\\backups"], ["location_user", "ops"], ["location_password", "share pw"], ["location_confirm", "share pw"]];
const azure = [["location_user", "acmebackups"], ["location", "backups"], ["location_password", "a2V5"], ["location_confirm", "a2V5"]];
const s3 = [["location_endpoint", "https://s3.example.com"], ["location_region", "us-east-1"], ["location", "bucket"], ["location_user", "AKIAEXAMPLE"], ["location_password", "s3 secret"], ["location_confirm", "s3 secret"]];
/** `valid` with `field` set to `value` instead. */
const spoil = (valid, field, value) => valid.map(([f, v]) => [f, f === field ? value : v]);

/** Configuration rows: [what, steps (a click, or [field, value] typed), words of the message]. */
export const configurationRows = (files) => [
  ["a relative folder", ["location-local", ["location", "relative/folder"]], "Give the full path of a folder"],
  ["no folder", ["location-local", ["location", ""]], "Give the full path of a folder"],
  ["retention of 1 day", [["retention_days", "1"]], "Retention of 1 day is out of range: choose 2 to 14 days."],
  ["retention of 15 days", [["retention_days", "15"]], "choose 2 to 14 days"],
  ["at most 0 backups", [["max_count", "0"]], "choose 1 to 1000 backups"],
  ["at most 1001 backups", [["max_count", "1001"]], "choose 1 to 1000 backups"],
  ["expiry of 0 days", [["expiry_days", "0"]], "choose 1 to 3650 days"],
  ["expiry of 3651 days", [["expiry_days", "3651"]], "choose 1 to 3650 days"],
  ["a stall timeout of 0 s", [["stall_timeout", "0"]], "choose 1 to 86400 seconds"],
  ["every 3 hours", ["mode-hours", ["every_hours", "3"]], "choose 4 to 12 hours"],
  ["every 13 hours", ["mode-hours", ["every_hours", "13"]], "choose 4 to 12 hours"],
  ["a .pfx as the certificate", ["enc-certificate", ["certificate", files.pfx]], "private key"],
  ["a certificate file that is not there", ["enc-certificate", ["certificate", files.missing]], "cannot be read"],
  ["a file that is not a certificate", ["enc-certificate", ["certificate", files.garbage]], "not a certificate"],
  ["a short passphrase", ["enc-passphrase", ["passphrase", "short"], ["passphrase_confirm", "short"]], "too short"],
  ["passphrases that differ", ["enc-passphrase", ["passphrase", "a long enough passphrase"], ["passphrase_confirm", "another long passphrase"]], "differ"],
  ["a share path without a share", ["location-smb", ...spoil(share, "location", "fileserver")], "is not a share path"],
  ["a share without a user", ["location-smb", ...spoil(share, "location_user", "")], "Give the user as DOMAIN\\user or user"],
  ["share passwords that differ", ["location-smb", ...spoil(share, "location_confirm", "not the same password")], "The two passwords differ"],
  ["an Azure account with capitals", ["location-azure", ...spoil(azure, "location_user", "Bad Account")], "Give the storage account name"],
  ["an Azure container too short", ["location-azure", ...spoil(azure, "location", "ab")], "Give the container name"],
  ["an Azure key that is not base64", ["location-azure", ...spoil(spoil(azure, "location_password", "not base64!"), "location_confirm", "not base64!")], "access key as the portal shows it"],
  ["an Azure endpoint over ftp", ["location-azure", ...azure, ["location_endpoint", "ftp://blob.example.com"]], "Give the endpoint as a URL"],
  ["an S3 bucket with capitals", ["location-s3", ...spoil(s3, "location", "Bad_Bucket")], "Give the bucket name"],
  ["an S3 prefix with ..", ["location-s3", ...spoil(s3, "location", "bucket/../other")], "no empty, . or .. parts"],
  ["an S3 region with spaces", ["location-s3", ...spoil(s3, "location_region", "eu west")], "Give the region as the service names it"],
  ["an S3 endpoint over ftp", ["location-s3", ...spoil(s3, "location_endpoint", "ftp://s3.example.com")], "Give the endpoint as a URL"],
  ["no S3 access key id", ["location-s3", ...spoil(s3, "location_user", "")], "Give the access key id"],
  ["a short administrator password", [["admin-new", "short"]], "Use at least 8 characters."],
  ["administrator passwords that differ", [["admin-new", "a long admin password"], ["admin-confirm", "another admin password"]], "The two passwords differ."],
];

/** Vault rows: [what, kind tab, fields to fill ([field, value] or a click), words of the message]. */
export const vaultRows = (files) => [
  ["a name with a space", "secret", [["vault-name", "db password"], ["vault-value", "v"]], "Use 1 to 127 letters, digits and dashes."],
  ["a name of 128 characters", "secret", [["vault-name", "n".repeat(128)], ["vault-value", "v"]], "Use 1 to 127 letters, digits and dashes."],
  ["a content type of 256 characters", "secret", [["vault-name", "typed"], ["vault-value", "v"], ["vault-content-type", "t".repeat(256)]], "at most 255 printable characters"],
  ["garbage as a certificate to import", "certificate", [["vault-name", "imported"], "vault-import", ["vault-file", files.garbage]], "expected a .pfx/.p12 file or a PEM private key"],
  ["a certificate without its key", "certificate", [["vault-name", "imported"], "vault-import", ["vault-file", files.cer]], "holds only a certificate"],
  ["a .pfx with a wrong password", "certificate", [["vault-name", "imported"], "vault-import", ["vault-file", files.pfx], ["vault-password", "not the password"]], "The PFX password is wrong"],
  ["a file to import that is not there", "certificate", [["vault-name", "imported"], "vault-import", ["vault-file", files.missing]], "cannot be read"],
];

const messages = (scope) => `return [...document.querySelectorAll('${scope} .field-error, ${scope} [role="alert"]')].map((e) => e.innerText).join("\\n")`;

/**
 * Types every row into the Configuration blade, each into the form as saved
 * (`reopen` opens the blade afresh, with no message showing); returns how many.
 */
export async function refuseConfiguration(session, rows, reopen) {
  for (const [what, steps, words] of rows) {
    await reopen();
    const before = await session.run(messages("body"));
    if (before !== "") throw new Error(`before ${what}, the blade already says: ${before}`);
    await fill(session, steps);
    const said = await session.waitFor(`the message for ${what} (${JSON.stringify(words)})`, async () => {
      const text = await session.run(messages("body"));
      return text.includes(words) && text;
    }, 10000);
    console.log(`refused in the Configuration blade: ${what}: ${said.replaceAll("\n", " ")}`);
    if (!(await session.run("return document.querySelector('[data-action=\"save\"]').disabled"))) throw new Error(`OK is enabled after ${what}`);
  }
  return rows.length;
}

/** Clicks (a field's name) and typing ([field, value]) in order. */
async function fill(session, steps) {
  for (const step of steps) {
    if (typeof step === "string") await session.click(`[data-field="${step}"]`);
    else await session.type(`[data-field="${step[0]}"]`, step[1]);
  }
}

/** Submits every row in a new object's form of the Vault blade (open); returns how many. */
export async function refuseInVault(session, rows) {
  const form = '[data-form="new-object"]';
  for (const [what, kind, fills, words] of rows) {
    await session.click(`[data-tab="${kind}"]`);
    await session.click('[data-action="new-object"]');
    const before = await session.run(messages(form));
    if (before !== "") throw new Error(`before ${what}, the form already says: ${before}`);
    await fill(session, fills);
    // A field the window itself refuses keeps Create disabled; the rest the engine refuses.
    if (!(await session.run(`return document.querySelector('${form} [data-action="create-object"]').disabled`))) await session.click(`${form} [data-action="create-object"]`);
    const said = await session.waitFor(`the message for ${what} (${JSON.stringify(words)})`, async () => {
      const text = await session.run(messages(form));
      return text.includes(words) && text;
    }, 30000);
    console.log(`refused in the Vault blade: ${what}: ${said.replaceAll("\n", " ")}`);
    await session.click('[data-action="cancel-object"]');
  }
  return rows.length;
}
