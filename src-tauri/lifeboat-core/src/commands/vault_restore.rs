//! Restoring one vault object from its backup file ("Restore backup" in the Vault
//! blade, `lifeboat vault restore`) as an operation: a vault import is kept in the
//! history like every other change that brings data back, and never runs while a
//! backup is taking its copy of the vault.

use std::path::PathBuf;

use crate::context::Context;
use crate::error::Result;
use crate::operation::OperationKind;
use crate::progress::{Cancel, Phase, Progress};
use crate::runner::Verb;
use crate::vault::ObjectSummary;

pub struct VaultRestore {
    /// A file written by "Download backup" (`lifeboat vault backup`).
    pub file: PathBuf,
}

impl Verb for VaultRestore {
    type Output = ObjectSummary;
    const KIND: OperationKind = OperationKind::VaultRestore;

    fn run(&mut self, ctx: &Context, progress: &dyn Progress, cancel: &Cancel) -> Result<ObjectSummary> {
        progress.phase(Phase::Restoring);
        cancel.check()?;
        let restored = ctx.vault()?.restore_object_file(&self.file)?;
        progress.advance(0, restored.versions as u64);
        Ok(restored)
    }
}
