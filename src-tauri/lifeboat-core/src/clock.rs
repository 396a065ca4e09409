//! The time source. Everything that reads the time goes through a `Clock`, so tests
//! (and `lifeboat service --test-clock-speed`) can drive days of schedule without
//! waiting.

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The wall clock.
pub fn system() -> Clock {
    Arc::new(Utc::now)
}
