//! Keeping a process's memory, where passphrases, passwords and keys live while they
//! are used, to itself. On Linux the front ends mark themselves not dumpable before
//! reading any secret: a crash then writes no core file, and other processes of the
//! same account can neither read the memory (`/proc/PID/mem`, `/proc/PID/environ`)
//! nor attach a debugger; only root can.

/// Marks this process not dumpable (Linux); elsewhere there is nothing to do here.
pub fn keep_memory_private() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)?;
    Ok(())
}
