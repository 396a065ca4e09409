//! Reading a backup on the share, asking ahead for the blocks that follow while
//! reading goes on in order.

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom};

use super::file::ShareFile;
use super::session::Request;
use super::{BLOCK, WINDOW};
use crate::error::{Error, ErrorCode};
use crate::target::Cursor;

/// Reads a backup on the share, asking ahead for the blocks that follow while
/// reading goes on in order.
pub(super) struct SmbReader {
    file: ShareFile,
    at: Cursor<Vec<u8>>,
    /// Blocks asked for after it, in order, with their offsets.
    ahead: VecDeque<(u64, Request<Vec<u8>>)>,
    /// How many blocks to keep asked for: one after a seek, doubling up to `WINDOW`.
    window: usize,
}

impl SmbReader {
    pub(super) fn new(file: ShareFile, len: u64) -> Self {
        SmbReader { file, at: Cursor::new(len, Vec::new()), ahead: VecDeque::new(), window: 1 }
    }

    fn ask(&mut self, offset: u64) -> std::io::Result<()> {
        let file = self.file.handle().map_err(std::io::Error::other)?;
        let want = (self.at.len - offset).min(BLOCK as u64) as usize;
        let request = self.file.share.spawn(async move {
            let mut buf = vec![0u8; want];
            let mut got = 0;
            while got < want {
                let n = file.read_block(&mut buf[got..], offset + got as u64, None, false).await?;
                if n == 0 {
                    return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the backup file ended early").into());
                }
                got += n;
            }
            Ok(buf)
        });
        self.ahead.push_back((offset, request));
        Ok(())
    }

    /// Makes `block` the one holding `pos`. A connection the server dropped while
    /// the reader sat idle (between a restore wizard's steps, say) is replaced once:
    /// reads can be asked again.
    fn fill(&mut self) -> std::io::Result<()> {
        match self.fill_once() {
            Err(e) if lost_connection(&e) => {
                self.file.share.settle(self.ahead.drain(..).map(|(_, request)| request));
                self.fill_once()
            }
            other => other,
        }
    }

    fn fill_once(&mut self) -> std::io::Result<()> {
        let at = self.at.pos - self.at.pos % BLOCK as u64;
        let in_order = !self.at.block.is_empty() && at == self.at.block_at + self.at.block.len() as u64;
        if self.ahead.front().is_none_or(|(offset, _)| *offset != at) {
            self.file.share.settle(self.ahead.drain(..).map(|(_, request)| request));
            self.ask(at)?;
        }
        self.window = if in_order { (self.window * 2).min(WINDOW) } else { 1 };
        let (_, mut request) = self.ahead.pop_front().expect("asked for above");
        self.at.block = self.file.share.wait("reading a backup", &mut request).map_err(std::io::Error::other)?;
        self.at.block_at = at;
        // When the connection is due for renewal, the blocks asked for are read
        // first; asking for the next one then moves to a fresh connection.
        let mut next = self.ahead.back().map_or(at + BLOCK as u64, |(offset, _)| offset + BLOCK as u64);
        while self.ahead.len() < self.window && next < self.at.len && (self.ahead.is_empty() || !self.file.share.renewal_due()) {
            self.ask(next)?;
            next += BLOCK as u64;
        }
        Ok(())
    }
}

fn lost_connection(e: &std::io::Error) -> bool {
    e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()).is_some_and(|e| e.code() == ErrorCode::ConnectionLost)
}

impl Read for SmbReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at.at_end() || out.is_empty() {
            return Ok(0);
        }
        if !self.at.in_block() {
            self.fill()?;
        }
        Ok(self.at.copy_to(out))
    }
}

impl Seek for SmbReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.at.seek(to)
    }
}

impl Drop for SmbReader {
    fn drop(&mut self) {
        self.file.share.settle(self.ahead.drain(..).map(|(_, request)| request));
    }
}
