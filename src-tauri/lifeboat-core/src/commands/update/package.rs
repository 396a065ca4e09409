//! How this Lifeboat was installed, and installing a package of the same kind.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::progress::Progress;

/// The kinds of package Lifeboat ships.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    Deb,
    Rpm,
}

impl PackageKind {
    /// The feed's name for this kind's package (Tauri's platform keys).
    pub fn platform(self) -> &'static str {
        match self {
            PackageKind::Deb => "linux-x86_64-deb",
            PackageKind::Rpm => "linux-x86_64-rpm",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            PackageKind::Deb => "deb",
            PackageKind::Rpm => "rpm",
        }
    }
}

/// Puts a verified package in place of this Lifeboat.
pub trait Installer: Send {
    /// How this Lifeboat was installed; None when it was not installed from a package.
    fn kind(&self) -> Option<PackageKind>;
    /// Runs to the end once started: a package manager stopped half-way leaves a
    /// broken installation, so a cancel is honoured only before this.
    fn install(&self, package: &Path, progress: &dyn Progress) -> Result<()>;
}

/// The installer for this Lifeboat: the system's package manager. A debug build (the
/// test suite's) given `LIFEBOAT_TEST_INSTALL_INTO=DIR` copies the verified package
/// there instead, as a .deb installation would be handed it, so tests drive whole
/// updates through the command line; a release build has no such path.
pub fn installer() -> Box<dyn Installer> {
    #[cfg(debug_assertions)]
    if let Some(dir) = std::env::var_os("LIFEBOAT_TEST_INSTALL_INTO") {
        return Box::new(IntoFolder(dir.into()));
    }
    Box::new(SystemInstaller::detect())
}

#[cfg(debug_assertions)]
struct IntoFolder(PathBuf);

#[cfg(debug_assertions)]
impl Installer for IntoFolder {
    fn kind(&self) -> Option<PackageKind> {
        Some(PackageKind::Deb)
    }

    fn install(&self, package: &Path, _: &dyn Progress) -> Result<()> {
        let dest = self.0.join("installed.deb");
        std::fs::copy(package, &dest).map(drop).map_err(|e| Error::operation(format!("copying the package to {}: {e}", dest.display())))
    }
}

/// The system's package manager: dpkg or rpm, as root directly, otherwise through
/// pkexec (which asks an administrator for their password, in a window or at the terminal).
struct SystemInstaller {
    kind: Option<PackageKind>,
}

impl SystemInstaller {
    /// Finds which package manager owns the running program.
    fn detect() -> Self {
        let owned_by = |program: &str, args: &[&str], exe: &Path| {
            Command::new(program).args(args).arg(exe).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
        };
        let kind = std::env::current_exe().ok().and_then(|exe| {
            if owned_by("dpkg-query", &["-S"], &exe) {
                Some(PackageKind::Deb)
            } else if owned_by("rpm", &["-qf"], &exe) {
                Some(PackageKind::Rpm)
            } else {
                None
            }
        });
        SystemInstaller { kind }
    }

    fn command(kind: PackageKind, package: &Path) -> Command {
        let (program, args): (&str, &[&str]) = match kind {
            PackageKind::Deb => ("dpkg", &["--install"]),
            PackageKind::Rpm => ("rpm", &["--upgrade", "--replacepkgs"]),
        };
        let mut command = if is_root() {
            Command::new(program)
        } else {
            let mut c = Command::new("pkexec");
            c.arg(which(program).unwrap_or_else(|| PathBuf::from(program)));
            c
        };
        command.args(args).arg(package);
        command
    }
}

impl Installer for SystemInstaller {
    fn kind(&self) -> Option<PackageKind> {
        self.kind
    }

    fn install(&self, package: &Path, progress: &dyn Progress) -> Result<()> {
        let kind = self.kind.ok_or_else(|| Error::input("This Lifeboat was not installed from a package."))?;
        let mut command = Self::command(kind, package);
        let program = format!("{:?}", command.get_program());
        let output_path = package.with_extension("log");
        let log = std::fs::File::create(&output_path).map_err(|e| Error::operation(format!("creating {}: {e}", output_path.display())))?;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| Error::operation(e.to_string()))?)
            .stderr(log)
            .spawn()
            .map_err(|e| Error::operation(format!("The update could not be installed: {program} could not be started ({e}).")))?;
        // The package manager running counts as progress for the stall watchdog.
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| Error::operation(format!("waiting for {program}: {e}")))? {
                break status;
            }
            progress.advance(0, 0);
            std::thread::sleep(Duration::from_millis(200));
        };
        if !status.success() {
            let said = std::fs::read_to_string(&output_path).unwrap_or_default();
            let said: Vec<&str> = said.lines().filter(|l| !l.trim().is_empty()).collect();
            let tail = said[said.len().saturating_sub(4)..].join(" / ");
            return Err(Error::operation(format!(
                "The update could not be installed: {program} ended with {status}{}. This Lifeboat is unchanged.",
                if tail.is_empty() { String::new() } else { format!(" ({tail})") }
            )));
        }
        Ok(())
    }
}

fn is_root() -> bool {
    #[cfg(target_os = "linux")]
    return rustix::process::geteuid().is_root();
    #[cfg(not(target_os = "linux"))]
    false
}

/// pkexec wants the program's full path.
fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .chain(["/usr/bin".into(), "/usr/sbin".into(), "/bin".into(), "/sbin".into()])
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}
