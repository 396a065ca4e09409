//! `lifeboat verify`.

use std::sync::Arc;

use clap::Args;
use lifeboat_core::commands::verify::{Verify, VerifyMethod, VerifyOutcome};
use lifeboat_core::engine::Engine;
use lifeboat_core::progress::Cancel;
use lifeboat_core::Result;

use crate::identity::IdentityArgs;
use crate::output::{size, Output};
use crate::progress::CliProgress;

#[derive(Args)]
pub struct VerifyArgs {
    /// Backup id (or unique prefix), file name at the location, or path to a backup file.
    backup: String,
    #[command(flatten)]
    identity: IdentityArgs,
}

pub fn run(engine: &Engine, args: VerifyArgs, out: &Output, cancel: &Cancel) -> Result<()> {
    let file = Arc::new(engine.inspect(&args.backup)?);
    let verb = if args.identity.given() { Verify::Authenticated(Arc::new(engine.unlock(&file, args.identity.load()?.as_deref())?)) } else { Verify::WithoutKey(file) };
    let outcome = CliProgress::around(out, |progress| engine.run(verb, progress, cancel))?;
    out.value(&outcome, || describe(&outcome))
}

fn describe(v: &VerifyOutcome) -> String {
    match v.method {
        VerifyMethod::Checksum => {
            format!("Backup {} matches the SHA-256 recorded when it was written. (Give an identity to authenticate every byte.)", v.id)
        }
        VerifyMethod::Authenticated => format!("Backup {} is intact: every byte authenticated ({} entries, {}).", v.id, v.entries.unwrap_or(0), size(v.bytes.unwrap_or(0))),
    }
}
