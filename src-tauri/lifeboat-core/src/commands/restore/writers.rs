//! Writes restored files on several threads while the caller keeps decoding.
//!
//! Creating files and copying into the page cache is kernel time; one thread spends
//! most of a restore there (see docs/performance.md). Files of one folder go to the
//! same writer, because creates in a single folder serialise on its lock, while
//! different folders proceed in parallel.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::{Scope, ScopedJoinHandle};

use cap_std::fs::Dir;

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::error::{Error, IoContext, Result};

/// A place in a staging folder: `rel` resolved beneath `root` only, so a link
/// another program puts in its way is never followed out of it.
#[derive(Clone)]
pub struct StagedPath {
    pub root: Arc<Dir>,
    pub rel: PathBuf,
    /// The full path, for messages.
    pub shown: PathBuf,
}

/// What a restored file gets once its content is written.
pub struct FileMeta {
    pub mode: u32,
    pub mtime: i64,
    pub mtime_nanos: u32,
}

enum Job {
    Start(StagedPath, FileMeta),
    Data(Vec<u8>),
    Finish,
    /// A file whose content fits one buffer, in one message: most files are small,
    /// and every message can cost the writer a wake-up.
    Whole(StagedPath, FileMeta, Vec<u8>),
}

/// Buffers handed to a writer before it blocks the caller: bounds memory to
/// `writers × QUEUE × BUFFER` plus the recycled buffers.
const QUEUE: usize = 8;
const BUFFER: usize = 1 << 20;

pub struct FileWriters<'scope> {
    queues: Vec<Sender<Job>>,
    threads: Vec<ScopedJoinHandle<'scope, Result<()>>>,
    recycled: Receiver<Vec<u8>>,
    /// Writer of the current file and the folder it was chosen for.
    current: usize,
    folder: Option<PathBuf>,
    /// The current file, until its first buffer fills (it may never: then it goes
    /// as one `Whole`).
    unsent: Option<(StagedPath, FileMeta)>,
    pending: Vec<u8>,
}

impl<'scope> FileWriters<'scope> {
    pub fn start<'env>(scope: &'scope Scope<'scope, 'env>, count: usize) -> Self {
        let (give_back, recycled) = bounded(count * (QUEUE + 2));
        let mut queues = Vec::new();
        let mut threads = Vec::new();
        for _ in 0..count.max(1) {
            let (queue, jobs) = bounded(QUEUE);
            let give_back = give_back.clone();
            queues.push(queue);
            threads.push(scope.spawn(move || write_files(jobs, give_back)));
        }
        FileWriters { queues, threads, recycled, current: 0, folder: None, unsent: None, pending: Vec::new() }
    }

    /// Starts a file; its parent folder must exist.
    pub fn create(&mut self, path: StagedPath, meta: FileMeta) -> Result<()> {
        let parent = path.shown.parent().map(Path::to_owned);
        if parent != self.folder {
            self.current = (self.current + 1) % self.queues.len();
            self.folder = parent;
        }
        self.pending = self.take_buffer();
        self.unsent = Some((path, meta));
        Ok(())
    }

    /// Appends content to the file started last.
    pub fn write(&mut self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let take = data.len().min(BUFFER - self.pending.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() == BUFFER {
                if let Some((path, meta)) = self.unsent.take() {
                    self.send(Job::Start(path, meta))?;
                }
                let fresh = self.take_buffer();
                let full = std::mem::replace(&mut self.pending, fresh);
                self.send(Job::Data(full))?;
            }
        }
        Ok(())
    }

    /// Ends the file started last: its writer sets its time and mode and closes it.
    pub fn finish_file(&mut self) -> Result<()> {
        let rest = std::mem::take(&mut self.pending);
        if let Some((path, meta)) = self.unsent.take() {
            return self.send(Job::Whole(path, meta, rest));
        }
        if !rest.is_empty() {
            self.send(Job::Data(rest))?;
        }
        self.send(Job::Finish)
    }

    /// Waits for every file to be written; the first error of any writer.
    pub fn join(mut self) -> Result<()> {
        self.queues.clear();
        let mut first = Ok(());
        for thread in self.threads.drain(..) {
            let outcome = thread.join().unwrap_or_else(|_| Err(Error::operation("a restore writer crashed")));
            if first.is_ok() {
                first = outcome;
            }
        }
        first
    }

    fn take_buffer(&self) -> Vec<u8> {
        self.recycled
            .try_recv()
            .map(|mut b| {
                b.clear();
                b
            })
            .unwrap_or_else(|_| Vec::with_capacity(BUFFER))
    }

    fn send(&mut self, job: Job) -> Result<()> {
        if self.queues[self.current].send(job).is_ok() {
            return Ok(());
        }
        // That writer stopped on an error: stop the others and report it.
        let failed = self.threads.remove(self.current);
        self.queues.clear();
        let error = failed.join().unwrap_or_else(|_| Err(Error::operation("a restore writer crashed")));
        Err(error.err().unwrap_or_else(|| Error::operation("a restore writer stopped unexpectedly")))
    }
}

fn write_files(jobs: Receiver<Job>, give_back: Sender<Vec<u8>>) -> Result<()> {
    let mut open: Option<(File, PathBuf, FileMeta)> = None;
    for job in jobs {
        match job {
            Job::Start(path, meta) => {
                let file = create_new(&path)?;
                open = Some((file, path.shown, meta));
            }
            Job::Data(data) => {
                let (file, path, _) = open.as_mut().ok_or_else(|| Error::operation("restore writer got data before a file"))?;
                file.write_all(&data).with_path("writing", path)?;
                let _ = give_back.try_send(data);
            }
            Job::Finish => {
                let (file, path, meta) = open.take().ok_or_else(|| Error::operation("restore writer finished no file"))?;
                finish(&file, &path, &meta)?;
            }
            Job::Whole(path, meta, data) => {
                let mut file = create_new(&path)?;
                file.write_all(&data).with_path("writing", &path.shown)?;
                let _ = give_back.try_send(data);
                finish(&file, &path.shown, &meta)?;
            }
        }
    }
    Ok(())
}

/// A file in the fresh staging folder: never one that exists, never through a
/// link at its place (O_EXCL does not follow one), never through a link above it
/// that leads out of the staging folder.
fn create_new(path: &StagedPath) -> Result<File> {
    let options = cap_std::fs::OpenOptions::new().write(true).create_new(true).clone();
    path.root.open_with(&path.rel, &options).map(cap_std::fs::File::into_std).with_path("creating", &path.shown)
}

/// Gives a written file its time and mode.
fn finish(file: &File, path: &Path, meta: &FileMeta) -> Result<()> {
    if crate::fsutil::FLUSH_EACH_FILE {
        file.sync_all().with_path("flushing", path)?;
    }
    set_times(file, meta.mtime, meta.mtime_nanos).with_path("setting the time of", path)?;
    set_file_mode(file, path, meta.mode)
}

/// Sets a restored file's (or folder's) modification and access time.
pub(super) fn set_times(file: &File, secs: i64, nanos: u32) -> std::io::Result<()> {
    let time = if secs >= 0 {
        std::time::UNIX_EPOCH + std::time::Duration::new(secs as u64, nanos)
    } else {
        std::time::UNIX_EPOCH - std::time::Duration::from_secs(secs.unsigned_abs()) + std::time::Duration::new(0, nanos)
    };
    file.set_times(fs::FileTimes::new().set_modified(time).set_accessed(time))
}

/// Gives an open file (or folder) its mode.
#[cfg(unix)]
pub(super) fn set_file_mode(file: &File, path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode & 0o7777)).with_path("setting permissions of", path)
}

/// Windows keeps one permission of a file's own, read-only, which a backup made there
/// records as a mode without write bits: a file restored with such a mode is made
/// read-only. A folder's read-only attribute means something else there (a
/// customised folder), so folders keep theirs.
#[cfg(not(unix))]
pub(super) fn set_file_mode(file: &File, path: &Path, mode: u32) -> Result<()> {
    let meta = file.metadata().with_path("reading", path)?;
    if meta.is_file() && mode & 0o222 == 0 {
        let mut permissions = meta.permissions();
        permissions.set_readonly(true);
        file.set_permissions(permissions).with_path("making read-only", path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> FileMeta {
        FileMeta { mode: 0o640, mtime: 1_700_000_000, mtime_nanos: 5 }
    }

    fn staged(root: &Path, rel: &str) -> StagedPath {
        let dir = Arc::new(Dir::open_ambient_dir(root, cap_std::ambient_authority()).unwrap());
        StagedPath { root: dir, rel: rel.into(), shown: root.join(rel) }
    }

    #[test]
    fn writes_files_across_folders_with_their_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let content: Vec<u8> = (0..3 * BUFFER + 17).map(|i| (i % 251) as u8).collect();
        let folders = ["a", "b", "c"];
        std::thread::scope(|scope| {
            let mut files = FileWriters::start(scope, 2);
            for folder in folders {
                std::fs::create_dir(dir.path().join(folder)).unwrap();
                for name in ["big", "empty"] {
                    files.create(staged(dir.path(), &format!("{folder}/{name}")), meta()).unwrap();
                    if name == "big" {
                        for piece in content.chunks(70_000) {
                            files.write(piece).unwrap();
                        }
                    }
                    files.finish_file().unwrap();
                }
            }
            files.join().unwrap();
        });
        for folder in folders {
            assert_eq!(std::fs::read(dir.path().join(folder).join("big")).unwrap(), content);
            let empty = std::fs::metadata(dir.path().join(folder).join("empty")).unwrap();
            assert_eq!(empty.len(), 0);
            let modified = empty.modified().unwrap().duration_since(std::time::UNIX_EPOCH).unwrap();
            // Windows keeps times in units of 100 ns.
            assert_eq!((modified.as_secs(), modified.subsec_nanos()), (1_700_000_000, if cfg!(windows) { 0 } else { 5 }));
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                assert_eq!(empty.permissions().mode() & 0o777, 0o640);
            }
        }
    }

    #[test]
    fn a_failing_writer_reports_its_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = std::thread::scope(|scope| {
            let mut files = FileWriters::start(scope, 2);
            files.create(staged(dir.path(), "no-such-folder/file"), meta()).unwrap();
            // Keep sending until the failure reaches the sender, or join reports it.
            for _ in 0..1000 {
                if let Err(e) = files.write(&[0; BUFFER]) {
                    return e;
                }
            }
            files.join().unwrap_err()
        });
        let text = error.to_string();
        assert!(text.contains("creating") && text.contains("no-such-folder"), "{text}");
    }
}
