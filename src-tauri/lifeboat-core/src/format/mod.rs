//! Backup format v1, as specified in `docs/format.md`. This module is the only place
//! that knows the byte layout; keep the two in step.
//!
//! ```text
//! header  = "LIFEBOAT" | version u16 | json_len u32 | json | mac[32]
//! body    = chunk*            (data chunks, then index chunks; one AEAD stream)
//! chunk   = ct_len u32 | ct   (AES-256-GCM of: encoding u8 | block)
//! footer  = index_offset u64 | index_first_chunk u64 | chunk_count u64 | "LIFEBEND"
//! ```

mod entry;
mod header;
mod index;
mod keys;
mod reader;
mod stream;

pub use entry::{EntryHeader, EntryKind, EntryReader, EntryWriter};
pub use header::{read_header, EncryptionKind, Header, HeaderBytes, Installation, PayloadParams, Stanza};
pub use index::{Index, IndexEntry, IndexItem, ItemKind};
pub use keys::{FileKey, PayloadCipher};
pub use reader::OpenedBackup;
pub use stream::{read_footer, BlockCodec, ChunkReader, ChunkWriter, Finished, Footer, FOOTER_LEN};

/// The format version this program writes and the newest it reads.
pub const FORMAT_VERSION: u16 = 1;
pub const MAGIC: &[u8; 8] = b"LIFEBOAT";
pub const FOOTER_MAGIC: &[u8; 8] = b"LIFEBEND";

/// Size of the plaintext blocks the logical stream is cut into.
pub const DEFAULT_BLOCK_SIZE: u32 = 1 << 20;
/// Bounds on values read from a file, so a malformed file cannot make us allocate
/// without limit.
pub const MIN_BLOCK_SIZE: u32 = 4 << 10;
pub const MAX_BLOCK_SIZE: u32 = 16 << 20;
pub const MAX_HEADER_JSON: u32 = 64 << 10;
pub const MAX_PATH_BYTES: usize = 4096;
pub const MAX_PIECE: u32 = 16 << 20;
pub const MAX_INDEX_BYTES: u64 = 1 << 30;
