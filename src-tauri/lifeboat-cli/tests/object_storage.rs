//! `lifeboat location set-azure` and `set-s3`, `location test` and a backup and
//! restore through each, against the Azurite and moto servers the engine's tests use.

mod common;
#[allow(dead_code)]
#[path = "../../lifeboat-core/tests/common/object_servers.rs"]
mod object_servers;

use common::Cli;
use object_servers::{Azurite, Moto, AZURITE_ACCOUNT, AZURITE_KEY, S3_KEY_ID, S3_SECRET};

fn configured(root: &std::path::Path) -> Cli {
    let cli = Cli { data: root.join("data") };
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::write(root.join("docs/a.txt"), "object storage").unwrap();
    cli.ok(&["items", "add", root.join("docs").to_str().unwrap()], "");
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], "a passphrase for the cloud");
    cli
}

/// A backup, listed once, restored byte for byte.
fn backs_up_and_restores(cli: &Cli, root: &std::path::Path) {
    let backup = cli.json(&["backup", "now"], "");
    let listed = cli.json(&["backups", "list"], "");
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let to = root.join("restored");
    cli.ok(&["restore", backup["id"].as_str().unwrap(), "--to", to.to_str().unwrap(), "--passphrase-stdin"], "a passphrase for the cloud");
    assert_eq!(std::fs::read_to_string(to.join("docs/a.txt")).unwrap(), "object storage");
}

#[test]
fn an_azure_container_set_from_the_command_line_takes_backups() {
    let azurite = Azurite::start();
    let tmp = tempfile::tempdir().unwrap();
    let cli = configured(tmp.path());
    let set = ["location", "set-azure", "--account", AZURITE_ACCOUNT, "--container", &azurite.container, "--prefix", "fleet", "--endpoint", &azurite.endpoint(), "--key-stdin"];
    cli.fails(&set, "d3JvbmcgYnV0IHdlbGwtZm9ybWVkIGtleQ==\n", 1, "refused the credentials");
    let shown = cli.json(&set, &format!("{AZURITE_KEY}\n"));
    assert_eq!(
        (shown["kind"].as_str(), shown["user"].as_str(), shown["path"].as_str()),
        (Some("azure"), Some(AZURITE_ACCOUNT), Some(format!("{}/fleet", azurite.container).as_str()))
    );
    assert_eq!(shown["free_bytes"], serde_json::Value::Null, "no free space to show");
    let tested = cli.ok(&["location", "test"], "");
    assert!(tested.starts_with(&format!("OK: Azure container devstoreaccount1/{}/fleet", azurite.container)) && tested.contains("takes a file."), "{tested}");
    backs_up_and_restores(&cli, tmp.path());
    let missing = ["location", "set-azure", "--account", AZURITE_ACCOUNT, "--container", "not-there", "--endpoint", &azurite.endpoint(), "--key-stdin"];
    cli.fails(&missing, &format!("{AZURITE_KEY}\n"), 1, "Lifeboat does not create it");
}

#[test]
fn an_s3_bucket_set_from_the_command_line_takes_backups() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let cli = configured(tmp.path());
    let set = ["location", "set-s3", "--endpoint", &moto.endpoint(), "--bucket", &moto.bucket, "--access-key-id", S3_KEY_ID, "--secret-stdin"];
    let shown = cli.json(&set, &format!("{S3_SECRET}\n"));
    assert_eq!((shown["kind"].as_str(), shown["region"].as_str()), (Some("s3"), Some("us-east-1")));
    cli.fails(&["location", "set-s3", "--bucket", "Bad_Bucket", "--access-key-id", "id", "--secret-stdin"], "s\n", 2, "bucket name");
    backs_up_and_restores(&cli, tmp.path());
}

#[test]
fn a_fleet_in_one_container_is_listed_and_one_installation_restores_anothers_backup() {
    let azurite = Azurite::start();
    let tmp = tempfile::tempdir().unwrap();
    let set = ["location", "set-azure", "--account", AZURITE_ACCOUNT, "--container", &azurite.container, "--prefix", "fleet", "--endpoint", &azurite.endpoint(), "--key-stdin"];
    let a = configured(&tmp.path().join("a"));
    a.ok(&set, &format!("{AZURITE_KEY}\n"));
    a.ok(&["backup", "now"], "");
    let b = configured(&tmp.path().join("b"));
    b.ok(&set, &format!("{AZURITE_KEY}\n"));
    let from_b = b.json(&["backup", "now"], "")["id"].as_str().unwrap().to_owned();

    let fleet = a.json(&["fleet", "status"], "");
    let members = fleet["members"].as_array().unwrap();
    assert_eq!(members.len(), 2, "{fleet}");
    assert_eq!((members[0]["this_installation"].as_bool(), members[1]["backups"].as_u64()), (Some(true), Some(1)));
    let b_id = members[1]["installation_id"].as_str().unwrap().to_owned();
    let table = a.ok(&["fleet", "status"], "");
    assert!(table.contains("2 installation(s)") && table.contains(&b_id) && table.contains("(this)"), "{table}");

    a.fails(&["restore", &from_b, "--passphrase-stdin", "--to", "x"], "a passphrase for the cloud", 2, "No backup");
    let to = tmp.path().join("from-b");
    let out = a.run(&["restore", &from_b, "--from-installation", &b_id, "--passphrase-stdin", "--to", to.to_str().unwrap()], "a passphrase for the cloud");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not on this installation"), "where it came from is said");
    assert_eq!(std::fs::read_to_string(to.join("docs/a.txt")).unwrap(), "object storage");
}

#[test]
fn a_new_machine_recovers_from_an_s3_bucket_without_typing_the_secret_again_afterwards() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let lost = configured(&tmp.path().join("lost"));
    lost.ok(
        &["location", "set-s3", "--endpoint", &moto.endpoint(), "--bucket", &moto.bucket, "--prefix", "fleet", "--access-key-id", S3_KEY_ID, "--secret-stdin"],
        &format!("{S3_SECRET}\n"),
    );
    let made = lost.json(&["backup", "now"], "")["id"].as_str().unwrap().to_owned();

    let fresh = Cli { data: tmp.path().join("new-machine") };
    let from = ["recover", "--bucket", &moto.bucket, "--prefix", "fleet", "--endpoint", &moto.endpoint(), "--access-key-id", S3_KEY_ID, "--secret-stdin"];
    let listed = fresh.json(&[&from[..], &["--list"]].concat(), &format!("{S3_SECRET}\n"));
    assert_eq!(listed[0]["id"].as_str(), Some(made.as_str()));
    fresh.ok(&[&from[..], &["--passphrase-stdin"]].concat(), &format!("{S3_SECRET}\na passphrase for the cloud\n"));
    assert_eq!(fresh.json(&["location", "show"], "")["kind"], "s3");
    assert_eq!(fresh.json(&["backups", "list"], "").as_array().unwrap().len(), 1, "its own backups, with the secret from the vault");
    fresh.ok(&["backup", "now"], "");
    assert_eq!(lost.json(&["backups", "list"], "").as_array().unwrap().len(), 2);
}
