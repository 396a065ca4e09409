//! `lifeboat restore`: unlock once, then restore (or say what a restore would
//! replace, writing nothing).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use lifeboat_core::commands::restore::{PlannedTarget, Restore, RestoreReport, RestoreRequest};
use lifeboat_core::engine::Engine;
use lifeboat_core::progress::Cancel;
use lifeboat_core::Result;

use crate::identity::IdentityArgs;
use crate::output::{size, Output};
use crate::progress::CliProgress;

#[derive(Args)]
pub struct RestoreArgs {
    /// Backup id (or unique prefix), file name at the location, or path to a backup file.
    backup: String,
    /// The backup is another installation's (its id, as `lifeboat fleet status` lists it):
    /// disaster recovery onto this machine, or a staging copy.
    #[arg(long, value_name = "ID")]
    from_installation: Option<String>,
    #[command(flatten)]
    identity: IdentityArgs,
    /// Restore into this folder (DIR/<item name>/...) instead of the original places.
    #[arg(long, value_name = "DIR")]
    to: Option<PathBuf>,
    /// Restore only this item (repeatable).
    #[arg(long = "item", value_name = "NAME")]
    items: Vec<String>,
    /// Restore only this file or folder, relative to its item (repeatable).
    #[arg(long = "path", value_name = "P")]
    paths: Vec<String>,
    /// Say what would be restored where and what it would replace; write nothing.
    #[arg(long)]
    preview: bool,
}

pub fn run(engine: &Engine, args: RestoreArgs, out: &Output, cancel: &Cancel) -> Result<()> {
    let file = Arc::new(match &args.from_installation {
        Some(installation) => engine.inspect_from(installation, &args.backup)?,
        None => engine.inspect(&args.backup)?,
    });
    let inspection = &file.inspection;
    if inspection.from_elsewhere {
        out.note(&format!("Backup {} was made on {} (installation {}), not on this installation.", inspection.id, inspection.installation, inspection.installation_id));
    }
    let backup = Arc::new(engine.unlock(&file, args.identity.load()?.as_deref())?);
    let request = RestoreRequest { items: args.items, paths: args.paths, to: args.to };
    if args.preview {
        let targets = engine.preview_restore(&backup, &request)?;
        let safety = engine.safety_dir();
        return out.value(&targets, || describe_preview(&targets, &safety));
    }
    let report = CliProgress::around(out, |progress| engine.run(Restore { backup, request }, progress, cancel))?;
    out.value(&report, || describe(&report))
}

fn describe_preview(targets: &[PlannedTarget], safety: &std::path::Path) -> String {
    let mut lines = Vec::new();
    let mut replaced = 0;
    for t in targets {
        let what = if t.path.is_empty() { t.item.clone() } else { format!("{}/{}", t.item, t.path) };
        lines.push(format!("{what} -> {}", t.target.display()));
        for r in &t.replaces {
            lines.push(format!("  replaces {}", r.display()));
            replaced += 1;
        }
    }
    lines.push(if replaced == 0 {
        "Nothing existing would be replaced.".into()
    } else {
        format!("{replaced} existing file(s) or folder(s) would be moved to a safety copy under {} first.", safety.display())
    });
    lines.push("Nothing was written (preview).".into());
    lines.join("\n")
}

fn describe(r: &RestoreReport) -> String {
    let mut lines = vec![format!("Restored {} entries ({}).", r.entries, size(r.bytes))];
    lines.extend(r.restored.iter().map(|p| format!("  {}", p.display())));
    if !r.replaced.is_empty() {
        lines.push("Replaced content was kept as a safety copy:".into());
        lines.extend(r.replaced.iter().map(|x| format!("  {} -> {}", x.path.display(), x.safety_copy.display())));
    }
    if !r.warnings.is_empty() {
        lines.push(format!("Not restored ({}):", r.warnings.len()));
        lines.extend(r.warnings.iter().map(|w| format!("  {w}")));
    }
    lines.join("\n")
}
