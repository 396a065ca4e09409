//! Keeping a process's memory, where passphrases, passwords and keys live while they
//! are used, to itself. On Linux the front ends mark themselves not dumpable before
//! reading any secret: a crash then writes no core file, and other processes of the
//! same account can neither read the memory (`/proc/PID/mem`, `/proc/PID/environ`)
//! nor attach a debugger; only root can. Windows has no such mark: there a crash
//! report leaves the heap (where secrets live) out and no crash dialog waits with the
//! process alive; other programs of the same account can still read its memory.

/// Marks this process not dumpable (Linux), or its crash reports heapless (Windows).
pub fn keep_memory_private() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)?;
    #[cfg(windows)]
    {
        use windows_sys::Win32::System::Diagnostics::Debug::{SetErrorMode, SEM_FAILCRITICALERRORS, SEM_NOGPFAULTERRORBOX};
        use windows_sys::Win32::System::ErrorReporting::{WerSetFlags, WER_FAULT_REPORTING_FLAG_NOHEAP};
        // SAFETY: both only set flags of this process.
        unsafe {
            SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
            let status = WerSetFlags(WER_FAULT_REPORTING_FLAG_NOHEAP);
            if status < 0 {
                return Err(std::io::Error::from_raw_os_error(status));
            }
        }
    }
    Ok(())
}
