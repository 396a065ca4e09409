//! An opened backup: its header authenticated with the file key, its footer checked
//! and its index read, ready for the entries to be read in order or at random.

use std::io::{Read, Seek};

use super::{read_footer, ChunkReader, EntryReader, FileKey, Footer, Header, HeaderBytes, Index, PayloadCipher};
use crate::error::Result;

/// What reading a backup's entries needs, once its file key is known.
pub struct OpenedBackup {
    pub header: Header,
    pub index: Index,
    footer: Footer,
    cipher: PayloadCipher,
    body_offset: u64,
}

impl OpenedBackup {
    /// Authenticates the header with `file_key` (so a changed header is found before
    /// anything else), checks the footer and reads and authenticates the index.
    pub fn open<R: Read + Seek>(r: &mut R, header: HeaderBytes, file_key: &FileKey) -> Result<Self> {
        header.verify(file_key)?;
        let body_offset = header.body_offset();
        let footer = read_footer(r, body_offset)?;
        let cipher = file_key.payload_cipher(&header.header.payload.salt);
        let block_size = header.header.payload.block_size;
        let mut chunks = ChunkReader::new(&mut *r, cipher.clone(), footer, block_size)?;
        let index = Index::read(&mut chunks)?;
        Ok(OpenedBackup { header: header.header, index, footer, cipher, body_offset })
    }

    /// A reader of the entries in `r` (the same file), from the start of the data.
    pub fn entries<R: Read + Seek>(&self, r: R) -> Result<EntryReader<R>> {
        let chunks = ChunkReader::new(r, self.cipher.clone(), self.footer, self.header.payload.block_size)?;
        EntryReader::new(chunks, self.body_offset)
    }
}
