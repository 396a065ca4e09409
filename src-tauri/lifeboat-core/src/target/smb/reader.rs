//! Reading a backup on the share, asking ahead for the blocks that follow while
//! reading goes on in order.

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom};

use super::file::ShareFile;
use super::session::Request;
use super::{BLOCK, WINDOW};
use crate::error::{Error, ErrorCode};

/// Reads a backup on the share, asking ahead for the blocks that follow while
/// reading goes on in order.
pub(super) struct SmbReader {
    file: ShareFile,
    len: u64,
    pos: u64,
    /// The block last read and its offset.
    block: Vec<u8>,
    block_at: u64,
    /// Blocks asked for after it, in order, with their offsets.
    ahead: VecDeque<(u64, Request<Vec<u8>>)>,
    /// How many blocks to keep asked for: one after a seek, doubling up to `WINDOW`.
    window: usize,
}

impl SmbReader {
    pub(super) fn new(file: ShareFile, len: u64) -> Self {
        SmbReader { file, len, pos: 0, block: Vec::new(), block_at: 0, ahead: VecDeque::new(), window: 1 }
    }

    fn ask(&mut self, offset: u64) -> std::io::Result<()> {
        let file = self.file.handle().map_err(std::io::Error::other)?;
        let want = (self.len - offset).min(BLOCK as u64) as usize;
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
        let at = self.pos - self.pos % BLOCK as u64;
        let in_order = !self.block.is_empty() && at == self.block_at + self.block.len() as u64;
        if self.ahead.front().is_none_or(|(offset, _)| *offset != at) {
            self.file.share.settle(self.ahead.drain(..).map(|(_, request)| request));
            self.ask(at)?;
        }
        self.window = if in_order { (self.window * 2).min(WINDOW) } else { 1 };
        let (_, mut request) = self.ahead.pop_front().expect("asked for above");
        self.block = self.file.share.wait("reading a backup", &mut request).map_err(std::io::Error::other)?;
        self.block_at = at;
        // When the connection is due for renewal, the blocks asked for are read
        // first; asking for the next one then moves to a fresh connection.
        let mut next = self.ahead.back().map_or(at + BLOCK as u64, |(offset, _)| offset + BLOCK as u64);
        while self.ahead.len() < self.window && next < self.len && (self.ahead.is_empty() || !self.file.share.renewal_due()) {
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
        if self.pos >= self.len || out.is_empty() {
            return Ok(0);
        }
        let in_block = self.pos >= self.block_at && self.pos < self.block_at + self.block.len() as u64;
        if !in_block {
            self.fill()?;
        }
        let from = (self.pos - self.block_at) as usize;
        let n = out.len().min(self.block.len() - from);
        out[..n].copy_from_slice(&self.block[from..from + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SmbReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => p as i128,
            SeekFrom::End(d) => self.len as i128 + d as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
        };
        if target < 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start of the backup"));
        }
        self.pos = target as u64;
        Ok(self.pos)
    }
}

impl Drop for SmbReader {
    fn drop(&mut self) {
        self.file.share.settle(self.ahead.drain(..).map(|(_, request)| request));
    }
}
