//! The encrypted index at the end of the body: what the backup holds and where each
//! entry starts, so a restore can go straight to one item or file.

use std::io::{Read, Seek};

use serde::{Deserialize, Serialize};

use super::entry::{EntryKind, StreamPosition};
use super::stream::{ChunkReader, FOOTER_LEN};
use super::MAX_INDEX_BYTES;
use crate::error::{Error, Result};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Folder,
    File,
    Sqlite,
    /// Lifeboat's own configuration (a consistent copy of its catalog).
    Config,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Folder => "folder",
            ItemKind::File => "file",
            ItemKind::Sqlite => "sqlite",
            ItemKind::Config => "config",
        }
    }
}

impl std::str::FromStr for ItemKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "folder" => Ok(ItemKind::Folder),
            "file" => Ok(ItemKind::File),
            "sqlite" => Ok(ItemKind::Sqlite),
            "config" => Ok(ItemKind::Config),
            other => Err(Error::input(format!("Unknown item kind {other:?}: use folder, file or sqlite."))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub items: Vec<IndexItem>,
    pub entries: Vec<IndexEntry>,
    /// Problems met while backing up (files that vanished, changed, could not be read).
    pub warnings: Vec<String>,
    /// Byte offset of every data chunk, for random access.
    pub chunk_offsets: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexItem {
    pub name: String,
    pub kind: ItemKind,
    /// Where the item was on the machine that made the backup.
    pub source: String,
    pub files: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexEntry {
    pub item: u32,
    pub path: String,
    pub kind: EntryKind,
    pub mode: u32,
    pub mtime: i64,
    pub mtime_nanos: u32,
    pub size: u64,
    pub chunk: u64,
    pub offset: u32,
}

impl IndexEntry {
    pub fn position(&self) -> StreamPosition {
        (self.chunk, self.offset)
    }
}

impl Index {
    /// An entry's item and path, for messages.
    pub fn place_of(&self, entry: &IndexEntry) -> String {
        let item = self.items.get(entry.item as usize).map_or("?", |i| i.name.as_str());
        if entry.path.is_empty() {
            format!("item \"{item}\"")
        } else {
            format!("item \"{item}\", {:?}", entry.path)
        }
    }

    /// Reads and authenticates the index chunks the footer points at.
    pub fn read<R: Read + Seek>(chunks: &mut ChunkReader<R>) -> Result<Index> {
        let footer = chunks.footer();
        chunks.seek_chunk(footer.index_first_chunk, footer.index_offset)?;
        let mut json = Vec::new();
        let mut block = Vec::new();
        while chunks.next_block(&mut block)?.is_some() {
            if (json.len() + block.len()) as u64 > MAX_INDEX_BYTES {
                return Err(damaged("it is larger than allowed"));
            }
            json.extend_from_slice(&block);
        }
        let end = chunks.position()?;
        let file_len = chunks.file_len()?;
        if end + FOOTER_LEN != file_len {
            return Err(damaged("data follows its last chunk"));
        }
        let index: Index = serde_json::from_slice(&json).map_err(|e| unknown_kinds(&json).unwrap_or_else(|| damaged(&e.to_string())))?;
        index.check(footer.index_first_chunk)?;
        Ok(index)
    }

    fn check(&self, data_chunks: u64) -> Result<()> {
        if self.chunk_offsets.len() as u64 != data_chunks {
            return Err(damaged("its chunk table does not match the footer"));
        }
        let bad_entry = self.entries.iter().any(|e| e.item as usize >= self.items.len() || e.chunk >= data_chunks);
        if bad_entry {
            return Err(damaged("an entry points outside the backup"));
        }
        Ok(())
    }

    /// Entries of one item, in stream order.
    pub fn item_entries(&self, item: u32) -> impl Iterator<Item = &IndexEntry> {
        self.entries.iter().filter(move |e| e.item == item)
    }

    pub fn item_by_name(&self, name: &str) -> Option<(u32, &IndexItem)> {
        self.items.iter().enumerate().find(|(_, i)| i.name == name).map(|(n, i)| (n as u32, i))
    }
}

/// An authenticated index that names item kinds this Lifeboat does not know was made
/// by a newer one: refused as such, before anything is written, not called damaged.
fn unknown_kinds(json: &[u8]) -> Option<Error> {
    let index: serde_json::Value = serde_json::from_slice(json).ok()?;
    let known = [ItemKind::Folder, ItemKind::File, ItemKind::Sqlite, ItemKind::Config];
    let unknown: Vec<String> =
        index.get("items")?.as_array()?.iter().filter_map(|item| item.get("kind")?.as_str().map(str::to_owned)).filter(|kind| !known.iter().any(|k| k.as_str() == kind)).collect();
    (!unknown.is_empty()).then(|| {
        Error::input(format!(
            "This backup holds items of a kind this Lifeboat ({}) cannot restore: {}. It restores {} items; restore it with the newer Lifeboat that made it.",
            env!("CARGO_PKG_VERSION"),
            unknown.join(", "),
            known.map(ItemKind::as_str).join(", ")
        ))
    })
}

fn damaged(why: &str) -> Error {
    Error::integrity(format!("The backup index is damaged: {why}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_naming_a_newer_item_kind_is_refused_as_such_not_as_damage() {
        let newer = br#"{"items":[{"name":"docs","kind":"folder"},{"name":"mail","kind":"mailbox"}],"entries":[]}"#;
        let e = unknown_kinds(newer).expect("an unknown kind is named");
        assert_eq!(e.kind(), crate::error::ErrorKind::Input);
        assert!(e.to_string().contains("cannot restore: mailbox. It restores folder, file, sqlite, config items"), "{e}");
        assert!(unknown_kinds(br#"{"items":[{"name":"docs","kind":"folder"}]}"#).is_none(), "known kinds: some other damage");
        assert!(unknown_kinds(b"not json").is_none());
    }
}
