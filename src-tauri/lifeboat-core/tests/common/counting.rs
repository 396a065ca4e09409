//! A target that counts what is asked of the location, around the real one.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use lifeboat_core::target::{ReadSeek, StoredFile, Target, TargetLayer, Upload};
use lifeboat_core::Result;

#[derive(Default, Debug)]
pub struct Counts {
    pub opened: AtomicUsize,
    /// Files whose first bytes were asked for (header reads of a listing).
    pub heads: AtomicUsize,
    pub listed: AtomicUsize,
    pub created: AtomicUsize,
    pub deleted: AtomicUsize,
    /// Everything else: free space, writability, folders, leftovers.
    pub other: AtomicUsize,
}

impl Counts {
    /// (opened, listed, created, deleted, other); header reads count as opened.
    pub fn now(&self) -> (usize, usize, usize, usize, usize) {
        let get = |c: &AtomicUsize| c.load(Ordering::SeqCst);
        (get(&self.opened) + get(&self.heads), get(&self.listed), get(&self.created), get(&self.deleted), get(&self.other))
    }
}

pub struct Counting {
    inner: Box<dyn Target>,
    counts: Arc<Counts>,
}

/// A layer for `Engine::layer_targets` counting into `counts`.
pub fn counting(counts: &Arc<Counts>) -> TargetLayer {
    let counts = counts.clone();
    Arc::new(move |inner| Box::new(Counting { inner, counts: counts.clone() }))
}

fn bump(c: &AtomicUsize) {
    c.fetch_add(1, Ordering::SeqCst);
}

impl Target for Counting {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn installations(&self) -> Result<Vec<String>> {
        bump(&self.counts.listed);
        self.inner.installations()
    }
    fn of_installation(&self, id: &str) -> Result<Box<dyn Target>> {
        Ok(Box::new(Counting { inner: self.inner.of_installation(id)?, counts: self.counts.clone() }))
    }
    fn list(&self) -> Result<Vec<StoredFile>> {
        bump(&self.counts.listed);
        self.inner.list()
    }
    fn open(&self, name: &str) -> Result<Box<dyn ReadSeek>> {
        bump(&self.counts.opened);
        self.inner.open(name)
    }
    fn create(&self, name: &str) -> Result<Box<dyn Upload>> {
        bump(&self.counts.created);
        self.inner.create(name)
    }
    fn delete(&self, name: &str) -> Result<()> {
        bump(&self.counts.deleted);
        self.inner.delete(name)
    }
    fn heads(&self, names: &[String], max: usize) -> Vec<Result<Vec<u8>>> {
        self.counts.heads.fetch_add(names.len(), Ordering::SeqCst);
        self.inner.heads(names, max)
    }
    fn free_space(&self) -> Result<Option<u64>> {
        bump(&self.counts.other);
        self.inner.free_space()
    }
    fn remove_incomplete(&self) -> Result<Vec<String>> {
        bump(&self.counts.other);
        self.inner.remove_incomplete()
    }
    fn check_writable(&self) -> Result<()> {
        bump(&self.counts.other);
        self.inner.check_writable()
    }
    fn create_folder(&self) -> Result<()> {
        bump(&self.counts.other);
        self.inner.create_folder()
    }
}
