//! The TypeScript bindings the window uses are generated from the Rust commands and
//! types. This test fails when the committed file is stale; run it with
//! LIFEBOAT_WRITE_BINDINGS=1 to regenerate `ui/src/lib/bindings.ts`.

use std::path::Path;

#[test]
fn committed_typescript_bindings_match_the_rust_commands() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
    let fresh = tempfile_path();
    lifeboat_desktop::specta_builder()
        .export(specta_typescript::Typescript::default().header("// Generated from the Rust commands by src-tauri/tests/bindings.rs. Do not edit."), &fresh)
        .expect("the bindings export");
    let fresh_text = std::fs::read_to_string(&fresh).unwrap();
    if std::env::var_os("LIFEBOAT_WRITE_BINDINGS").is_some() {
        std::fs::write(&committed, &fresh_text).unwrap();
        return;
    }
    let committed_text = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(committed_text == fresh_text, "ui/src/lib/bindings.ts is stale: run `LIFEBOAT_WRITE_BINDINGS=1 cargo test -p lifeboat-desktop --test bindings` and commit it");
}

fn tempfile_path() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("lifeboat-bindings-{}.ts", std::process::id()))
}
