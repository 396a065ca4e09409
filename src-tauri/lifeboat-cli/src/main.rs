//! `lifeboat`: the command line over the Lifeboat engine. Each verb's arguments,
//! work and output live together in `commands/`; this file parses and dispatches.

mod commands;
mod identity;
mod output;
mod progress;
mod secrets;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use lifeboat_core::engine::Engine;
use lifeboat_core::progress::Cancel;
use lifeboat_core::{ErrorKind, Result};

use output::Output;

/// Encrypted, scheduled backups of what an administrator must never lose.
#[derive(Parser)]
#[command(name = "lifeboat", version, about, after_help = EXIT_CODES)]
struct Cli {
    /// Lifeboat's data folder (catalog, settings); default: the user's data directory.
    #[arg(long, global = true, env = "LIFEBOAT_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// Read the administrator password from FILE when a command needs it (restores,
    /// reveals, deletions, protected settings), instead of asking on the terminal.
    #[arg(long, global = true, value_name = "FILE")]
    admin_password_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

const EXIT_CODES: &str = "Exit codes: 0 success, 1 operation failed, 2 usage or input error, \
3 integrity failure (damaged or tampered backup), 4 another operation is running, 130 canceled.";

#[derive(Subcommand)]
enum Command {
    /// Protected items: what every backup covers.
    #[command(subcommand)]
    Items(commands::items::ItemsCommand),
    /// Where backups are written.
    #[command(subcommand)]
    Location(commands::location::LocationCommand),
    /// How backups are encrypted.
    #[command(subcommand)]
    Encryption(commands::encryption::EncryptionCommand),
    /// Run a backup.
    #[command(subcommand)]
    Backup(commands::backup::BackupCommand),
    /// Backups at the configured location: list, delete, copy, contents.
    #[command(subcommand)]
    Backups(commands::backups::BackupsCommand),
    /// Check a backup: every byte authenticated with an identity, or its recorded checksum without one.
    Verify(commands::verify::VerifyArgs),
    /// Restore from a backup (or, with --preview, say what a restore would replace).
    Restore(commands::restore::RestoreArgs),
    /// Put this installation back from a backup: configuration, schedule, items, encryption and vault.
    Recover(commands::recover::RecoverArgs),
    /// Backup encryption certificates.
    #[command(subcommand)]
    Cert(commands::cert::CertCommand),
    /// Legacy symmetric keys.
    #[command(subcommand)]
    Key(commands::cert::KeyCommand),
    /// When automatic backups run (times are UTC).
    #[command(subcommand)]
    Schedule(commands::schedule::ScheduleCommand),
    /// Which backups are kept: by age and by count.
    #[command(subcommand)]
    Retention(commands::retention::RetentionCommand),
    /// How long new backups can be restored.
    #[command(subcommand)]
    Expiry(commands::schedule::ExpiryCommand),
    /// Automatic backups, last backup, location, encryption, retention and counts.
    Status,
    /// The vault: secrets, keys and certificates with versions, soft-delete and backup blobs.
    #[command(subcommand)]
    Vault(commands::vault::VaultCommand),
    /// Every installation keeping backups at the location (a fleet sharing a container).
    #[command(subcommand)]
    Fleet(commands::fleet::FleetCommand),
    /// Running and past operations.
    #[command(subcommand)]
    Operations(commands::operations::OperationsCommand),
    /// The administrator password: set or change it, and how elevation stands.
    #[command(subcommand)]
    Admin(commands::admin::AdminCommand),
    /// The audit trail: who changed or did what, when, and whether its chain holds.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Run the scheduler in the foreground until interrupted (for servers; the desktop
    /// app runs the same scheduler itself).
    Service(commands::service::ServiceArgs),
    /// Newer versions of Lifeboat: check, install, and where to look.
    #[command(subcommand)]
    Update(commands::update::UpdateCommand),
    /// Print the shell completion script for SHELL (packages install them).
    Completions { shell: clap_complete::Shell },
    /// Write the manual pages (lifeboat.1 and one per command) into DIR.
    #[command(hide = true)]
    Manual { dir: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.json);
    if let Err(e) = lifeboat_core::hardening::keep_memory_private() {
        out.note(&format!("this process's memory could not be kept from other programs of this account ({e})"));
    }
    match run(cli, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            out.error(&e);
            ExitCode::from(match e.kind() {
                ErrorKind::Operation => 1,
                ErrorKind::Input => 2,
                ErrorKind::Integrity => 3,
                ErrorKind::Busy => 4,
                ErrorKind::Canceled => 130,
            })
        }
    }
}

/// The wall clock; in debug builds (the tests) `LIFEBOAT_TEST_NOW` (RFC 3339) fixes it,
/// so tests across processes never sleep. Release builds ignore it: the time gates the
/// wait after wrong administrator passwords.
fn clock() -> lifeboat_core::clock::Clock {
    #[cfg(debug_assertions)]
    if let Some(now) = std::env::var("LIFEBOAT_TEST_NOW").ok().and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok()) {
        let now = now.to_utc();
        return std::sync::Arc::new(move || now);
    }
    lifeboat_core::clock::system()
}

fn run(cli: Cli, out: &Output) -> Result<()> {
    // Commands that need no data folder.
    match &cli.command {
        Command::Key(command) => return commands::cert::key(command, out),
        Command::Cert(command) => return commands::cert::run(command, out),
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "lifeboat", &mut std::io::stdout());
            return Ok(());
        }
        Command::Manual { dir } => return commands::manual::write(Cli::command(), dir),
        _ => {}
    }
    let data_dir = match cli.data_dir {
        Some(d) => d,
        None => Engine::default_data_dir()?,
    };
    if let Command::Service(args) = cli.command {
        return commands::service::run(&data_dir, args, out);
    }
    let admin_password = cli.admin_password_file.as_deref().map(|file| secrets::read_file(file, "administrator password")).transpose()?;
    let engine = Engine::open_with_clock(&data_dir, clock())?;
    output::exit_when_abandoned(&engine, out.is_json());
    // Asked only when a command needs elevation: from the file, else on the terminal.
    let given = admin_password.clone();
    engine.set_admin_password_prompt(Box::new(move || given.clone().or_else(|| secrets::ask_on_terminal("Administrator password"))));
    let cancel = Cancel::default();
    {
        let cancel = cancel.clone();
        // Ctrl-C asks the running operation to stop cleanly; a second one is ignored.
        let _ = ctrlc::set_handler(move || cancel.cancel());
    }
    match cli.command {
        Command::Items(c) => commands::items::run(&engine, c, out),
        Command::Location(c) => commands::location::run(&engine, c, out),
        Command::Encryption(c) => commands::encryption::run(&engine, c, out),
        Command::Backup(c) => commands::backup::run(&engine, c, out, &cancel),
        Command::Backups(c) => commands::backups::run(&engine, c, out, &cancel),
        Command::Verify(args) => commands::verify::run(&engine, args, out, &cancel),
        Command::Restore(args) => commands::restore::run(&engine, args, out, &cancel),
        Command::Recover(args) => commands::recover::run(&engine, args, out, &cancel),
        Command::Schedule(c) => commands::schedule::run(&engine, c, out),
        Command::Retention(c) => commands::retention::run(&engine, c, out, &cancel),
        Command::Expiry(c) => commands::schedule::expiry(&engine, c, out),
        Command::Status => commands::status::run(&engine, out),
        Command::Operations(c) => commands::operations::run(&engine, c, out),
        Command::Admin(c) => commands::admin::run(&engine, c, admin_password.as_ref(), out),
        Command::Audit(c) => commands::audit::run(&engine, c, out),
        Command::Vault(c) => commands::vault::run(&engine, c, out, &cancel),
        Command::Fleet(c) => commands::fleet::run(&engine, c, out),
        Command::Update(c) => commands::update::run(&engine, c, out, &cancel),
        Command::Key(_) | Command::Cert(_) | Command::Service(_) | Command::Completions { .. } | Command::Manual { .. } => {
            unreachable!("handled above")
        }
    }
}
