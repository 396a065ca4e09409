//! Progress on stderr: a bar on a terminal, plain lines otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use lifeboat_core::progress::{Phase, Progress};

pub struct CliProgress {
    bar: Option<ProgressBar>,
    plain: Mutex<Plain>,
}

struct Plain {
    total: u64,
    done: u64,
    last: Instant,
}

impl CliProgress {
    fn new(json: bool) -> Self {
        let bar = (!json && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(ProgressStyle::with_template("{msg:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}").expect("valid template").progress_chars("=> "));
            bar
        });
        CliProgress { bar, plain: Mutex::new(Plain { total: 0, done: 0, last: Instant::now() }) }
    }

    /// Runs `work` with a progress display on stderr (none with --json).
    pub fn around<T>(out: &crate::output::Output, work: impl FnOnce(&dyn Progress) -> T) -> T {
        let progress = CliProgress::new(out.is_json());
        let result = work(&progress);
        if let Some(bar) = &progress.bar {
            bar.finish_and_clear();
        }
        result
    }
}

impl Progress for CliProgress {
    fn phase(&self, phase: Phase) {
        match &self.bar {
            Some(bar) => bar.set_message(phase.to_string()),
            None => crate::output::stderr_line(&format!("{phase}...")),
        }
    }

    fn total(&self, bytes: u64, _entries: u64) {
        match &self.bar {
            Some(bar) => {
                bar.set_length(bytes);
                bar.set_position(0);
            }
            None => {
                let mut plain = self.plain.lock().expect("progress lock");
                plain.total = bytes;
                plain.done = 0;
            }
        }
    }

    fn advance(&self, bytes: u64, _entries: u64) {
        match &self.bar {
            Some(bar) => bar.inc(bytes),
            None => {
                let mut plain = self.plain.lock().expect("progress lock");
                plain.done += bytes;
                if bytes > 0 && plain.last.elapsed() >= Duration::from_secs(2) {
                    plain.last = Instant::now();
                    let pct = if plain.total == 0 { 100 } else { plain.done * 100 / plain.total.max(1) };
                    crate::output::stderr_line(&format!("  {pct}% ({} of {})", crate::output::size(plain.done), crate::output::size(plain.total)));
                }
            }
        }
    }
}
