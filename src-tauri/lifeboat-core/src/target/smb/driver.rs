//! The share's current-thread runtime and the thread that drives it between calls.
//! Requests in flight (an upload's writes, a reader's read-ahead) then go on while
//! the caller encrypts, decompresses or hashes, not only while it waits for one.
//! Whenever a caller blocks on the runtime the driver steps aside first, so one
//! thread at a time polls the crate's futures: with two at once, directory listings
//! hang.

use std::sync::{Arc, Condvar, Mutex};

use tokio::runtime::Runtime;
use tokio::sync::Notify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Driving,
    /// A caller wants the runtime: the driver leaves it at its next wake-up.
    Asked,
    /// The driver waits for `Driving` (or `Stopping`), off the runtime.
    SteppedAside,
    Stopping,
}

struct Control {
    state: Mutex<State>,
    changed: Condvar,
    /// Wakes the driver out of the runtime.
    leave: Notify,
}

pub struct Driver {
    /// Always there until dropped.
    runtime: Option<Arc<Runtime>>,
    control: Arc<Control>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Driver {
    pub fn start() -> std::io::Result<Driver> {
        let runtime = Arc::new(tokio::runtime::Builder::new_current_thread().enable_all().build()?);
        let control = Arc::new(Control { state: Mutex::new(State::Driving), changed: Condvar::new(), leave: Notify::new() });
        let (driving, controlled) = (runtime.clone(), control.clone());
        let thread = std::thread::Builder::new().name("smb-driver".into()).spawn(move || drive(&driving, &controlled))?;
        Ok(Driver { runtime: Some(runtime), control, thread: Some(thread) })
    }

    pub fn runtime(&self) -> &Runtime {
        self.runtime.as_ref().expect("the runtime lives as long as the driver")
    }

    /// Runs `work` with the driver stepped aside (it drives again afterwards).
    pub fn exclusively<R>(&self, work: impl FnOnce(&Runtime) -> R) -> R {
        let mut state = self.lock();
        if *state == State::Driving {
            *state = State::Asked;
            self.control.leave.notify_one();
            while *state == State::Asked {
                state = self.control.changed.wait(state).unwrap_or_else(|p| p.into_inner());
            }
        }
        drop(state);
        let result = work(self.runtime());
        let mut state = self.lock();
        if *state == State::SteppedAside {
            *state = State::Driving;
            self.control.changed.notify_all();
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.control.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn drive(runtime: &Runtime, control: &Control) {
    loop {
        runtime.block_on(control.leave.notified());
        let mut state = control.state.lock().unwrap_or_else(|p| p.into_inner());
        if *state == State::Asked {
            *state = State::SteppedAside;
            control.changed.notify_all();
        }
        while *state == State::SteppedAside {
            state = control.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        if *state == State::Stopping {
            return;
        }
    }
}

impl Drop for Driver {
    /// Stops the driver, then the runtime without waiting for its tasks: a plain
    /// drop blocks, which the desktop's async commands (the last holders, at times)
    /// may not.
    fn drop(&mut self) {
        *self.lock() = State::Stopping;
        self.control.changed.notify_all();
        self.control.leave.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some(Ok(runtime)) = self.runtime.take().map(Arc::try_unwrap) {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    fn eventually(done: &AtomicBool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done.load(Ordering::SeqCst) {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::yield_now();
        }
        true
    }

    #[test]
    fn spawned_work_goes_on_without_a_caller_blocking_and_a_caller_gets_the_runtime_alone() {
        let driver = Driver::start().unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        driver.runtime().spawn(async move { flag.store(true, Ordering::SeqCst) });
        assert!(eventually(&ran), "the driver ran the task while nobody blocked on the runtime");

        let seen = driver.exclusively(|runtime| {
            assert_eq!(*driver.lock(), State::SteppedAside, "the driver steps aside first");
            runtime.block_on(async { tokio::task::spawn(async { 7 }).await.unwrap() })
        });
        assert_eq!(seen, 7);
        assert_eq!(*driver.lock(), State::Driving, "and drives again afterwards");

        let again = Arc::new(AtomicBool::new(false));
        let flag = again.clone();
        driver.runtime().spawn(async move { flag.store(true, Ordering::SeqCst) });
        assert!(eventually(&again));
        drop(driver); // stops and joins the driver thread without hanging
    }
}
