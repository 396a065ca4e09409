//! The protected items as a settings draft holds them.

use serde::{Deserialize, Serialize};

use super::Settings;
use crate::error::{Error, Result};
use crate::format::ItemKind;
use crate::items::{new_item, ProtectedItem, CONFIG_ITEM};

/// What kind an item is, as chosen in a form: detected from the path, or given.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemChoice {
    Auto,
    Folder,
    File,
    Sqlite,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDraft {
    /// None: named after the file or folder.
    pub name: Option<String>,
    pub path: String,
    pub kind: ItemChoice,
    /// Glob patterns (folders only), e.g. `*.tmp` or `cache/**`.
    pub excludes: Vec<String>,
}

impl From<&ProtectedItem> for ItemDraft {
    fn from(item: &ProtectedItem) -> Self {
        let kind = match item.kind {
            ItemKind::Folder => ItemChoice::Folder,
            ItemKind::Sqlite => ItemChoice::Sqlite,
            ItemKind::File | ItemKind::Config => ItemChoice::File,
        };
        ItemDraft { name: Some(item.name.clone()), path: item.path.to_string_lossy().into_owned(), kind, excludes: item.excludes.clone() }
    }
}

impl ItemChoice {
    fn kind(self) -> Option<ItemKind> {
        match self {
            ItemChoice::Auto => None,
            ItemChoice::Folder => Some(ItemKind::Folder),
            ItemChoice::File => Some(ItemKind::File),
            ItemChoice::Sqlite => Some(ItemKind::Sqlite),
        }
    }
}

impl Settings<'_> {
    pub fn items(&self) -> Result<Vec<ProtectedItem>> {
        self.catalog.items()
    }

    /// One item as a draft holds it: unchanged items stay as they are, new or
    /// edited ones are checked (path, kind, name, excludes, not inside the data folder).
    fn check_item(&self, draft: &ItemDraft, current: &[ProtectedItem]) -> Result<ProtectedItem> {
        if let Some(same) = current.iter().find(|c| ItemDraft::from(*c) == *draft) {
            return Ok(same.clone());
        }
        let name = draft.name.as_deref().map(str::trim);
        let excludes = draft.excludes.iter().map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()).collect();
        let item = new_item(draft.path.trim().as_ref(), name, draft.kind.kind(), excludes)?;
        if item.path.starts_with(self.data_dir) || self.data_dir.starts_with(&item.path) {
            return Err(Error::input(format!(
                "{} overlaps Lifeboat's data folder {}; its configuration is backed up as the built-in {CONFIG_ITEM} item.",
                item.path.display(),
                self.data_dir.display()
            )));
        }
        Ok(item)
    }

    /// The draft's items, or the index of the first bad one with why.
    pub(super) fn check_items(&self, drafts: &[ItemDraft]) -> std::result::Result<Option<Vec<ProtectedItem>>, (usize, Error)> {
        let current = self.items().map_err(|e| (0, e))?;
        if current.iter().map(ItemDraft::from).eq(drafts.iter().cloned()) {
            return Ok(None);
        }
        let mut items: Vec<ProtectedItem> = Vec::new();
        for (i, draft) in drafts.iter().enumerate() {
            let item = self.check_item(draft, &current).map_err(|e| (i, e))?;
            if items.iter().any(|other| other.name == item.name) {
                return Err((i, Error::input(format!("An item named {:?} already exists; give this one a different name.", item.name))));
            }
            // Twice in every backup, and restored twice over the same place.
            if let Some(other) = items.iter().find(|other| other.path == item.path) {
                return Err((
                    i,
                    Error::input(format!(
                        "{} is already protected as the item {:?}; change that item (its name, kind or excludes) instead of adding the place twice.",
                        item.path.display(),
                        other.name
                    )),
                ));
            }
            items.push(item);
        }
        Ok(Some(items))
    }
}
