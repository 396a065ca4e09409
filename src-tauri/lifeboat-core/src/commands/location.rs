//! The location as a place that answers or not: Test connection for a typed or the
//! configured location, creating a missing folder, and the health the window and the
//! tray show, recorded whenever the location is checked or used.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::settings::{probe, require_folder, LocationHealth, LocationInfo, TypedLocation};
use crate::target::Target;

/// Proves a location works: it answers, accepts the credentials, the folder exists,
/// a file can be written, renamed and deleted; returns it with its free space.
/// Without `typed`, the configured location (and its health is recorded).
pub fn test(ctx: &Context, typed: Option<&TypedLocation>) -> Result<LocationInfo> {
    let settings = ctx.settings();
    match typed {
        Some(typed) => {
            require_folder(typed)?;
            let free_bytes = probe(settings.typed_target(typed)?.as_ref())?;
            Ok(LocationInfo { location: typed.view(false), free_bytes })
        }
        None => {
            let outcome = settings.target().and_then(|t| probe(t.as_ref()));
            record(ctx, outcome.as_ref().map(|free| *free));
            Ok(LocationInfo { location: settings.location()?, free_bytes: outcome? })
        }
    }
}

/// Creates a location's folder (with its parents), then tests it. Without `typed`,
/// the configured location.
pub fn create_folder(ctx: &Context, typed: Option<&TypedLocation>) -> Result<LocationInfo> {
    let settings = ctx.settings();
    match typed {
        Some(typed) => settings.typed_target(typed)?.create_folder()?,
        None => settings.target()?.create_folder()?,
    }
    test(ctx, typed)
}

/// Checks the configured location answers (a listing and its free space; nothing
/// written) and records what was found.
pub fn check(ctx: &Context) -> LocationHealth {
    let outcome = ctx.target().and_then(|t| {
        t.list()?;
        t.free_space()
    });
    record(ctx, outcome.as_ref().map(|free| *free))
}

/// Records the outcome of using the location; publishes the new health.
fn record(ctx: &Context, outcome: std::result::Result<Option<u64>, &Error>) -> LocationHealth {
    let settings = ctx.settings();
    let description = settings.location().map(|l| l.description).unwrap_or_default();
    let health = LocationHealth::checked(&description, outcome, ctx.now());
    if let Err(e) = settings.record_health(&health) {
        tracing::warn!("could not record the location's health: {e}");
    }
    ctx.publish(Event::LocationHealthChanged { health: health.clone() });
    health
}

/// After a backup was published there: reachable, with its free space.
pub(crate) fn note_reachable(ctx: &Context, target: &dyn Target) {
    let free = target.free_space();
    record(ctx, free.as_ref().map(|f| *f));
}

/// After an operation failed because of the location (a share that refused or went
/// away, a folder that is gone or full): unreachable, as the error says. Nothing
/// is sent to the location again.
pub(crate) fn note_failure(ctx: &Context, e: &Error) {
    if matches!(e, Error::Location { .. } | Error::Io { .. }) {
        record(ctx, Err(e));
    }
}
