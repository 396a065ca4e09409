//! Listing the backups at the location: one directory listing, reconciled with the
//! catalog's listing cache, so only files not seen before have their header read;
//! then what this installation knows of each and what retention decides.

use std::collections::HashMap;
use std::io::Cursor;

use crate::catalog::{retention_candidates, BackupListing, CachedListing, HeaderSummary, RetentionFate};
use crate::context::Context;
use crate::error::{ErrorKind, Result};
use crate::format::{read_header, HeaderBytes};
use crate::retention::decide;
use crate::target::{StoredFile, Target};

/// The backups at the location, annotated.
pub fn list(ctx: &Context) -> Result<Vec<BackupListing>> {
    let listings = refresh(ctx, ctx.target()?.as_ref())?;
    annotate(ctx, &listings)
}

/// The backups at a location other than the configured one (a recovery's source),
/// newest first, as their headers describe them.
pub fn list_at(ctx: &Context, target: &dyn Target) -> Result<Vec<BackupListing>> {
    let now = ctx.now();
    let mut listings: Vec<BackupListing> = everywhere(ctx, target)?.iter().map(|(_, l)| BackupListing::of(l, now)).collect();
    listings.sort_by_key(|l| std::cmp::Reverse(l.created_at));
    Ok(listings)
}

/// The files at a location that is not the configured one, in every folder it has:
/// itself, or each installation's own (object storage), with the installation whose
/// folder each is in.
pub(crate) fn everywhere(ctx: &Context, target: &dyn Target) -> Result<Vec<(Option<String>, CachedListing)>> {
    let installations = target.installations()?;
    if installations.is_empty() {
        return Ok(refresh_as(ctx, target, &target.describe())?.into_iter().map(|l| (None, l)).collect());
    }
    let mut all = Vec::new();
    for id in installations {
        let folder = target.of_installation(&id)?;
        all.extend(refresh_as(ctx, folder.as_ref(), &folder.describe())?.into_iter().map(|l| (Some(id.clone()), l)));
    }
    Ok(all)
}

/// The location's files as the cache now knows them: listed once, headers read
/// for new or changed files only, files that are gone forgotten.
pub fn refresh(ctx: &Context, target: &dyn Target) -> Result<Vec<CachedListing>> {
    refresh_as(ctx, target, &ctx.settings().location()?.description)
}

/// `refresh` of a target cached under `location` (another location than the
/// configured one: a recovery's).
pub(crate) fn refresh_as(ctx: &Context, target: &dyn Target, location: &str) -> Result<Vec<CachedListing>> {
    let location = location.to_owned();
    let files = target.list()?;
    let cached: HashMap<String, CachedListing> = ctx.catalog().listings(&location)?.into_iter().map(|l| (l.file_name.clone(), l)).collect();
    let unseen: Vec<&StoredFile> = files.iter().filter(|f| cached.get(&f.name).is_none_or(|known| known.size != f.size)).collect();
    let names: Vec<String> = unseen.iter().map(|f| f.name.clone()).collect();
    let mut learned = Vec::new();
    let mut read = HashMap::new();
    for (file, header) in unseen.into_iter().zip(read_headers(target, &names)) {
        let (listing, lasting) = read_listing(file, header);
        if lasting {
            learned.push(listing.clone());
        }
        read.insert(file.name.clone(), listing);
    }
    let listings: Vec<CachedListing> = files.iter().map(|f| read.remove(&f.name).or_else(|| cached.get(&f.name).cloned()).expect("every file is cached or read")).collect();
    let gone: Vec<&String> = cached.keys().filter(|name| !files.iter().any(|f| &f.name == *name)).collect();
    if !learned.is_empty() || !gone.is_empty() {
        ctx.catalog().transaction(|catalog| {
            for listing in &learned {
                catalog.put_listing(&location, listing)?;
            }
            for name in gone {
                catalog.remove_listing(&location, name)?;
            }
            Ok(())
        })?;
    }
    Ok(listings)
}

/// How much of a file is asked for to read its header: all of most headers (a
/// longer one is read from the file itself).
const HEAD_BYTES: usize = 16 << 10;

/// The headers of the files `names`, each read from its first bytes (a longer one
/// from the file itself).
pub(crate) fn read_headers(target: &dyn Target, names: &[String]) -> Vec<Result<HeaderBytes>> {
    names
        .iter()
        .zip(target.heads(names, HEAD_BYTES))
        .map(|(name, head)| {
            head.and_then(|head| match read_header(&mut Cursor::new(&head)) {
                Err(_) if head.len() == HEAD_BYTES => target.open(name).and_then(|mut r| read_header(&mut r)),
                parsed => parsed,
            })
        })
        .collect()
}

/// A file's listing from its header, and whether it lasts (a header that cannot be
/// read because of the file itself, not because the location failed on the way).
fn read_listing(file: &StoredFile, header: Result<HeaderBytes>) -> (CachedListing, bool) {
    match header {
        Ok(h) => (CachedListing { file_name: file.name.clone(), size: file.size, header: Some(HeaderSummary::of(&h.header)), problem: None }, true),
        Err(e) => {
            let lasting = matches!(e.kind(), ErrorKind::Input | ErrorKind::Integrity);
            (CachedListing { file_name: file.name.clone(), size: file.size, header: None, problem: Some(e.to_string()) }, lasting)
        }
    }
}

/// Listings with who made each (when made here), its status, and what retention
/// decides for it.
pub fn annotate(ctx: &Context, listings: &[CachedListing]) -> Result<Vec<BackupListing>> {
    let settings = ctx.settings();
    let now = ctx.now();
    let statuses = ctx.catalog().backup_statuses()?;
    let triggers = ctx.catalog().backup_triggers()?;
    let installation = settings.installation()?.id.to_string();
    let decisions = decide(&retention_candidates(listings, &installation, &statuses), settings.retention()?, now);
    Ok(listings
        .iter()
        .map(|cached| {
            let mut listing = BackupListing::of(cached, now);
            if let Some(id) = listing.id.clone() {
                listing.status = statuses.get(&id).copied();
                listing.trigger = triggers.get(&id).copied();
                listing.retention = decisions.iter().find(|d| d.id == id).map(|d| RetentionFate { keep: d.keep, reason: d.reason.clone() });
            }
            listing
        })
        .collect())
}
