//! `lifeboat service`: the scheduler in the foreground, printing every event.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use lifeboat_core::clock::Clock;
use lifeboat_core::engine::Engine;
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::scheduler::{real_sleep, Scheduler};
use lifeboat_core::{Error, Result};

use super::schedule;
use crate::output::{event_line, Output};

#[derive(Args)]
pub struct ServiceArgs {
    /// Testing only: the scheduler's clock runs this many times faster than real time.
    #[arg(long, hide = true, value_name = "FACTOR")]
    test_clock_speed: Option<u32>,
}

/// Runs the scheduler until Ctrl-C or SIGTERM.
pub fn run(data_dir: &Path, args: ServiceArgs, out: &Output) -> Result<()> {
    let speed = args.test_clock_speed.unwrap_or(1).max(1);
    let clock: Clock = if speed == 1 {
        lifeboat_core::clock::system()
    } else {
        crate::output::stderr_line(&format!("TEST CLOCK: the scheduler's time runs {speed} times faster than real time."));
        let (start, real_start) = (chrono::Utc::now(), Instant::now());
        Arc::new(move || start + chrono::Duration::from_std(real_start.elapsed() * speed).unwrap_or_default())
    };
    let mut engine = Engine::open_with_clock(data_dir, clock)?;
    engine.set_front_end(lifeboat_core::audit::FrontEnd::Service);
    let events = engine.events().subscribe();
    let info = engine.settings()?.schedule;
    let scheduler = Scheduler::new(engine)?;
    let stop = Cancel::default();
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.cancel()).map_err(|e| Error::operation(format!("installing the signal handler: {e}")))?;
    }
    let json = out.is_json();
    let printer = std::thread::spawn(move || {
        for event in events {
            event_line(&event, json);
        }
    });
    crate::output::stderr_line(&format!("Lifeboat scheduler running for {}: {}.", data_dir.display(), schedule::describe(&info)));
    let sleep = move |duration: chrono::Duration, stop: &Cancel| real_sleep(duration / speed as i32, stop);
    let mut updated = false;
    scheduler.run(&NoProgress, &stop, &sleep, |tick| {
        if let Err(e) = tick {
            crate::output::stderr_line(&format!("error: {e}"));
        }
        if replaced_by_an_update() {
            updated = true;
            stop.cancel();
        }
    });
    drop(scheduler);
    let _ = printer.join();
    if updated {
        crate::output::stderr_line("Lifeboat was updated: the scheduler stops so that the new version runs (the service manager starts it again).");
        return Err(Error::operation("Lifeboat was updated while the scheduler ran; start it again to run the new version."));
    }
    crate::output::stderr_line("Lifeboat scheduler stopped.");
    Ok(())
}

/// Whether a package update replaced the program this process runs: the old one
/// keeps running from memory, and the new version must take over the schedule.
fn replaced_by_an_update() -> bool {
    std::fs::read_link("/proc/self/exe").is_ok_and(|exe| exe.to_string_lossy().ends_with(" (deleted)"))
}
