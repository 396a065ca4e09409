//! The vault key in the OS credential store, against a real one: GNOME Keyring's
//! Secret Service on a private D-Bus session (the recipe in ../shared/RECIPES.md).
//! Without a service on the bus the key goes to the user-only file; with an unlocked
//! keyring it goes there and no key file is written; when the keyring cannot be
//! reached (a scheduled run outside the desktop session), the vault says so at once
//! instead of hanging, and listing still works. The key moves between the two on request.

// GNOME Keyring's Secret Service over D-Bus is Linux's credential store; Windows'
// (the Credential Manager) is used by the vault tests there.
#![cfg(target_os = "linux")]

use std::process::Command;

const SCRIPT: &str = r#"
set -u
unset LIFEBOAT_CREDENTIAL_STORE
L="$1"; WITH="$2"; WITHOUT="$3"
# The keyring's files and socket, in the test's own folder (removed with it).
export XDG_DATA_HOME="$4" XDG_RUNTIME_DIR="$5"
printf v0 | env -u DBUS_SESSION_BUS_ADDRESS "$L" --data-dir "$WITHOUT" vault secret set s --value-stdin >/dev/null
echo "without a service: $("$L" --data-dir "$WITHOUT" --json vault settings | grep key_in_credential_store)"
printf test-login | gnome-keyring-daemon --unlock --components=secrets >/dev/null
printf kr-value | "$L" --data-dir "$WITH" vault secret set s --value-stdin >/dev/null
echo "with a keyring: $("$L" --data-dir "$WITH" --json vault settings | grep key_in_credential_store)"
key_files() { for d in "$WITHOUT" "$WITH"; do test -f "$d/secrets/vault.key" && printf 'file ' || printf 'none '; done; }
echo "key files at first: $(key_files)"
echo "revealed: $("$L" --data-dir "$WITH" vault secret show s --reveal)"
echo "keyring unreachable: $(env -u DBUS_SESSION_BUS_ADDRESS "$L" --data-dir "$WITH" vault secret show s --reveal 2>&1)"
echo "listing still works: $(env -u DBUS_SESSION_BUS_ADDRESS "$L" --data-dir "$WITH" vault list | grep -c '^secret')"
echo "moved to the file: $("$L" --data-dir "$WITH" --json vault settings --key-in file | grep key_in_credential_store) $("$L" --data-dir "$WITH" vault secret show s --reveal)"
echo "moved into the store: $("$L" --data-dir "$WITHOUT" --json vault settings --key-in credential-store | grep key_in_credential_store) $("$L" --data-dir "$WITHOUT" vault secret show s --reveal)"
echo "key files after the moves: $(key_files)"
echo "store unreachable: $(env -u DBUS_SESSION_BUS_ADDRESS "$L" --data-dir "$WITH" vault settings --key-in credential-store 2>&1)"
# The daemon can outlive the bus: stop ours (found by its private runtime folder).
for pid in $(pgrep -x gnome-keyring-d); do
  grep -qz "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR" "/proc/$pid/environ" 2>/dev/null && kill "$pid"
done
true
"#;

#[test]
fn the_vault_key_lives_in_the_keyring_when_there_is_one_and_in_a_file_otherwise() {
    let tmp = tempfile::tempdir().unwrap();
    let (with, without) = (tmp.path().join("with"), tmp.path().join("without"));
    let (keyring_data, runtime) = (tmp.path().join("keyring-data"), tmp.path().join("runtime"));
    for dir in [&keyring_data, &runtime] {
        std::fs::create_dir(dir).unwrap();
        std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    }
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", SCRIPT, "keyring-test", env!("CARGO_BIN_EXE_lifeboat")])
        .args([&with, &without, &keyring_data, &runtime])
        .output()
        .expect("dbus-run-session runs (scripts/test.sh installs dbus and gnome-keyring)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("without a service:   \"key_in_credential_store\": false"), "{text}");
    assert!(text.contains("with a keyring:   \"key_in_credential_store\": true"), "{text}");
    assert!(text.contains("key files at first: file none"), "no key file beside a credential store: {text}");
    assert!(text.contains("revealed: kr-value"), "{text}");
    assert!(text.contains("keyring unreachable: error: The vault key could not be read from the credential store"), "{text}");
    assert!(text.contains("listing still works: 1"), "{text}");
    // Moving the key either way keeps the vault readable and leaves one copy.
    assert!(text.contains("moved to the file:   \"key_in_credential_store\": false, kr-value"), "{text}");
    assert!(text.contains("moved into the store:   \"key_in_credential_store\": true, v0"), "{text}");
    assert!(text.contains("key files after the moves: none file"), "one copy of each key, in its new place: {text}");
    assert!(text.contains("store unreachable: error: The credential store did not keep the vault key"), "{text}");
    assert!(with.join("secrets/vault.key").is_file(), "a failed move leaves the key where it was");
}
