//! Saving a copy of a backup file elsewhere, to archive it or restore it on another
//! machine. The copy appears under its name only once it is complete.

use std::io::{Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::open::BackupFile;
use crate::context::Context;
use crate::error::{IoContext, Result};
use crate::operation::OperationKind;
use crate::progress::{Cancel, Phase, Progress};
use crate::runner::Verb;

pub struct Copy {
    pub file: Arc<BackupFile>,
    /// Where the copy goes (a file path).
    pub to: PathBuf,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopiedBackup {
    pub id: String,
    pub path: PathBuf,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub size: u64,
}

impl Verb for Copy {
    type Output = CopiedBackup;
    const KIND: OperationKind = OperationKind::Copy;

    fn run(&mut self, _ctx: &Context, progress: &dyn Progress, cancel: &Cancel) -> Result<CopiedBackup> {
        let dest = std::path::absolute(&self.to).with_path("resolving", &self.to)?;
        let mut source = self.file.source();
        let len = source.seek(SeekFrom::End(0)).context(|| "reading the backup".into())?;
        source.rewind().context(|| "reading the backup".into())?;
        progress.phase(Phase::Writing);
        progress.total(len, 1);
        let size = crate::fsutil::copy_atomic(&mut *source, &dest, progress, cancel)?;
        Ok(CopiedBackup { id: self.file.inspection.id.clone(), path: dest, size })
    }
}
