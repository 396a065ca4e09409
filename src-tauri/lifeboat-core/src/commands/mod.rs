//! The verbs: one module per thing a user does. Long ones (backup, verify, restore,
//! copy, delete, retention, recover, vault restore, update) implement `runner::Verb` and run
//! as operations; the others (list, status, fleet, open, location) read or check and return at once.

pub mod audit;
pub mod backup;
pub mod copy;
pub mod delete;
pub mod fleet;
pub mod list;
pub mod location;
pub mod open;
pub mod recover;
pub mod restore;
pub mod retention;
pub mod status;
pub mod update;
pub mod vault_restore;
pub mod verify;

use serde::{Deserialize, Serialize};

use crate::events::DeletedBackup;

/// What any operation ended with, for front ends that keep the operations they
/// started in one place.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    Backup(backup::BackupSummary),
    Verify(verify::VerifyOutcome),
    Restore(restore::RestoreReport),
    Copy(copy::CopiedBackup),
    Delete(DeletedBackup),
    Retention(retention::RetentionReport),
    Recover(Box<recover::RecoveryReport>),
    VaultRestore(crate::vault::ObjectSummary),
    Update(update::InstalledUpdate),
}

macro_rules! outcome_from {
    ($($variant:ident($ty:ty)),*) => {$(
        impl From<$ty> for Outcome {
            fn from(value: $ty) -> Self {
                Outcome::$variant(value)
            }
        }
    )*};
}

outcome_from!(
    Backup(backup::BackupSummary),
    Verify(verify::VerifyOutcome),
    Restore(restore::RestoreReport),
    Copy(copy::CopiedBackup),
    Delete(DeletedBackup),
    Retention(retention::RetentionReport),
    VaultRestore(crate::vault::ObjectSummary),
    Update(update::InstalledUpdate)
);

impl From<recover::RecoveryReport> for Outcome {
    fn from(report: recover::RecoveryReport) -> Self {
        Outcome::Recover(Box::new(report))
    }
}
