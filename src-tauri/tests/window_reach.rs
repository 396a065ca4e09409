//! What the window can reach, read from the files that decide it: a strict content
//! security policy with no remote source, capabilities limited to the main window's
//! events and file dialogs, and no command the UI does not call (every command is in
//! the generated bindings, which `bindings.rs` keeps in step with the Rust side).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn tauri_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The policy's directives: name → sources.
fn csp_directives(csp: &str) -> Vec<(String, Vec<String>)> {
    csp.split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut words = d.split_whitespace().map(str::to_owned);
            (words.next().unwrap(), words.collect())
        })
        .collect()
}

#[test]
fn the_content_security_policy_allows_only_the_app_itself() {
    let config = json(&tauri_dir().join("tauri.conf.json"));
    let security = &config["app"]["security"];
    let csp = security["csp"].as_str().expect("tauri.conf.json sets app.security.csp");
    let directives = csp_directives(csp);
    let sources = |name: &str| directives.iter().find(|(n, _)| n == name).map(|(_, s)| s.clone()).unwrap_or_else(|| panic!("the policy has no {name}"));

    assert_eq!(sources("default-src"), ["'self'"]);
    assert_eq!(sources("script-src"), ["'self'"], "scripts only from the app's own files: no inline script, no eval");
    assert_eq!(sources("object-src"), ["'none'"]);
    assert_eq!(sources("base-uri"), ["'none'"]);
    assert_eq!(sources("form-action"), ["'none'"]);
    assert_eq!(sources("frame-ancestors"), ["'none'"]);
    assert_eq!(sources("connect-src"), ["ipc:", "http://ipc.localhost"], "the window talks to its own process only");
    for (name, list) in &directives {
        for source in list {
            let local = source.starts_with('\'') || ["ipc:", "http://ipc.localhost", "data:"].contains(&source.as_str());
            assert!(local, "{name} allows {source}: the window loads nothing from elsewhere");
            assert!(!source.contains("unsafe-eval"), "{name} allows eval");
        }
    }
    assert!(security.get("dangerousDisableAssetCspModification").is_none(), "Tauri's CSP nonces stay on");
    assert!(security.get("freezePrototype").is_none_or(|v| v == true), "the prototype is not unfrozen");
    assert!(config["app"].get("withGlobalTauri").is_none_or(|v| v == false), "no global Tauri object for injected scripts");
    for window in config["app"]["windows"].as_array().unwrap() {
        let url = window.get("url").and_then(|u| u.as_str()).unwrap_or("index.html");
        assert!(!url.contains("://"), "window {} opens {url}: only the app's own page", window["label"]);
    }
    assert!(config["build"].get("devUrl").is_none(), "no development server is configured to be loaded");
}

#[test]
fn capabilities_grant_the_main_window_events_and_file_dialogs_only() {
    let dir = tauri_dir().join("capabilities");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "one capability file: {files:?}");
    let capability = json(&files[0]);
    assert!(capability.get("remote").is_none(), "no remote origin may call the app");
    assert_eq!(capability["windows"], serde_json::json!(["main"]));
    let permissions: BTreeSet<&str> = capability["permissions"].as_array().unwrap().iter().map(|p| p.as_str().expect("permissions are plain names")).collect();
    let allowed = BTreeSet::from(["core:event:allow-listen", "core:event:allow-unlisten", "dialog:allow-open", "dialog:allow-save"]);
    assert_eq!(permissions, allowed, "no file system, shell, HTTP, process or opener access from the page");
}

/// `commands.name(` calls in the UI's sources, the generated bindings left out.
fn called_in_ui(dir: &Path, called: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            called_in_ui(&path, called);
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy();
        let source = name.ends_with(".ts") || name.ends_with(".svelte");
        if !source || name == "bindings.ts" || name.ends_with(".test.ts") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices("commands.") {
            let rest = &text[at + "commands.".len()..];
            let ident: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !ident.is_empty() {
                called.insert(ident);
            }
        }
    }
}

#[test]
fn every_command_the_app_exposes_is_one_the_ui_calls() {
    let bindings = std::fs::read_to_string(tauri_dir().join("../ui/src/lib/bindings.ts")).unwrap();
    let block = bindings.split("export const commands = {").nth(1).expect("bindings list the commands").split("\n}").next().unwrap();
    let exposed: BTreeSet<String> = block
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let name: String = line.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            (!name.is_empty() && line[name.len()..].starts_with(": ")).then_some(name)
        })
        .collect();
    assert!(exposed.len() > 20, "the bindings' commands were read: {exposed:?}");
    let mut called = BTreeSet::new();
    called_in_ui(&tauri_dir().join("../ui/src"), &mut called);
    let unused: Vec<&String> = exposed.difference(&called).collect();
    assert!(unused.is_empty(), "commands the app exposes but the UI never calls (remove them): {unused:?}");
}
