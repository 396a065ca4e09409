//! `lifeboat`: the command line over the Lifeboat engine.

mod output;
mod progress;

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use lifeboat_core::engine::{Clock, Engine, RestoreRequest};
use lifeboat_core::events::Event;
use lifeboat_core::progress::NoProgress;
use lifeboat_core::retention::RetentionPolicy;
use lifeboat_core::schedule::Schedule;
use lifeboat_core::scheduler::{real_sleep, Scheduler};
use lifeboat_core::format::ItemKind;
use lifeboat_core::progress::Cancel;
use lifeboat_core::protector::{
    create_certificate, parse_legacy_key, CertificateInfo, Identity, KeyIdentity, LegacyKey, PassphraseIdentity,
    RsaIdentity,
};
use lifeboat_core::{Error, ErrorKind, Result};
use zeroize::Zeroizing;

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
    #[command(subcommand)]
    command: Command,
}

const EXIT_CODES: &str = "Exit codes: 0 success, 1 operation failed, 2 usage or input error, \
3 integrity failure (damaged or tampered backup), 4 another operation is running, 130 canceled.";

#[derive(Subcommand)]
enum Command {
    /// Protected items: what every backup covers.
    #[command(subcommand)]
    Items(ItemsCommand),
    /// Where backups are written.
    #[command(subcommand)]
    Location(LocationCommand),
    /// How backups are encrypted.
    #[command(subcommand)]
    Encryption(EncryptionCommand),
    /// Run a backup.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// Backups at the configured location.
    #[command(subcommand)]
    Backups(BackupsCommand),
    /// Check a backup: every byte authenticated with an identity, or its recorded checksum without one.
    Verify {
        /// Backup id (or unique prefix), file name at the location, or path to a backup file.
        backup: String,
        #[command(flatten)]
        identity: IdentityArgs,
    },
    /// Restore from a backup.
    Restore {
        /// Backup id (or unique prefix), file name at the location, or path to a backup file.
        backup: String,
        #[command(flatten)]
        identity: IdentityArgs,
        /// Restore into this folder (DIR/<item name>/...) instead of the original places.
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
        /// Restore only this item (repeatable).
        #[arg(long = "item", value_name = "NAME")]
        items: Vec<String>,
        /// Restore only this file or folder, relative to its item (repeatable).
        #[arg(long = "path", value_name = "P")]
        paths: Vec<String>,
    },
    /// Backup encryption certificates.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Legacy symmetric keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// When automatic backups run (times are UTC).
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Which backups are kept: by age and by count.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// How long new backups can be restored.
    #[command(subcommand)]
    Expiry(ExpiryCommand),
    /// Automatic backups, last backup, location, encryption, retention and counts.
    Status,
    /// Running and past operations.
    #[command(subcommand)]
    Operations(OperationsCommand),
    /// Run the scheduler in the foreground until interrupted (for servers; the desktop
    /// app runs the same scheduler itself).
    Service {
        /// Testing only: the scheduler's clock runs this many times faster than real time.
        #[arg(long, hide = true, value_name = "FACTOR")]
        test_clock_speed: Option<u32>,
    },
}

#[derive(Subcommand)]
enum ScheduleCommand {
    /// Set how often automatic backups run.
    #[command(group(clap::ArgGroup::new("when").required(true).args(["every_hours", "daily_at"])))]
    Set {
        /// Every N hours (4 to 12), counted from now.
        #[arg(long, value_name = "N")]
        every_hours: Option<u32>,
        /// Daily at HH:MM UTC.
        #[arg(long, value_name = "HH:MM")]
        daily_at: Option<String>,
    },
    /// Turn automatic backups on; they resume at the next slot.
    Enable,
    /// Turn automatic backups off; every setting and the schedule are kept.
    Disable,
    Show,
}

#[derive(Args)]
struct RetentionArgs {
    /// Delete backups older than N days (2 to 14; default: the current setting).
    #[arg(long, value_name = "N")]
    days: Option<u32>,
    /// Delete backups beyond the newest M (1 to 1000; default: the current setting).
    #[arg(long, value_name = "M")]
    max_count: Option<u32>,
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Save a retention policy; asks for --yes when it would delete backups.
    Set {
        #[command(flatten)]
        policy: RetentionArgs,
        /// Confirm deleting the backups the new policy no longer keeps (they are deleted now).
        #[arg(long)]
        yes: bool,
    },
    /// Show what a policy would keep and delete, and why, without changing anything.
    Preview {
        #[command(flatten)]
        policy: RetentionArgs,
    },
    /// Apply the current policy now.
    Run,
    Show,
}

#[derive(Subcommand)]
enum ExpiryCommand {
    /// New backups can be restored for N days (1 to 3650; default 30).
    Set {
        #[arg(long, value_name = "N")]
        days: u32,
    },
    Show,
}

#[derive(Subcommand)]
enum OperationsCommand {
    List {
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// One operation in full (id or a unique prefix).
    Show { id: String },
    /// Ask a running operation to stop, whichever Lifeboat process runs it.
    Cancel { id: String },
    /// Fail an operation when nothing progresses for this long (1 to 86400 s; default 300).
    SetStallTimeout { seconds: u64 },
}

#[derive(Subcommand)]
enum ItemsCommand {
    /// Add a folder, file or SQLite database.
    Add {
        path: PathBuf,
        /// Name shown in backups and used by `restore --item` (default: the last path component).
        #[arg(long)]
        name: Option<String>,
        /// folder, file or sqlite (default: detected).
        #[arg(long)]
        kind: Option<String>,
        /// Glob of paths to leave out, relative to the folder (repeatable), e.g. '*.tmp' or 'cache/**'.
        #[arg(long = "exclude", value_name = "GLOB")]
        excludes: Vec<String>,
    },
    List,
    Remove { name: String },
}

#[derive(Subcommand)]
enum LocationCommand {
    /// Write backups to a local (or mounted) folder.
    SetLocal { dir: PathBuf },
    /// Write backups to a folder on an SMB share, written by Lifeboat itself (no
    /// mounting). Checked before it is saved (see `location test`).
    SetSmb {
        /// \\server\share\folder, \\server:port\share\folder or smb://server/share/folder.
        path: String,
        /// DOMAIN\user or user.
        #[arg(long)]
        user: String,
        /// Read the password from stdin (prompted without echo on a terminal).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Check the location: it answers, accepts the credentials, the folder exists, a
    /// file can be written, renamed and deleted; shows the free space.
    Test,
    Show,
}

#[derive(Subcommand)]
enum EncryptionCommand {
    /// Encrypt new backups to a certificate (.cer, DER or PEM; public key only).
    SetCertificate {
        file: PathBuf,
        /// Add this certificate as another recipient (each one alone can restore).
        #[arg(long)]
        add: bool,
    },
    /// Encrypt with a passphrase read from stdin; an empty one turns encryption off.
    SetPassphrase {
        #[arg(long, required = true)]
        passphrase_stdin: bool,
    },
    /// Encrypt with a legacy base64 256-bit key read from stdin.
    SetKey {
        #[arg(long, required = true)]
        key_stdin: bool,
    },
    Show,
}

#[derive(Subcommand)]
enum BackupCommand {
    /// Back up every protected item now, wait, and print the backup id.
    Now,
}

#[derive(Subcommand)]
enum BackupsCommand {
    /// List backups from their headers (no key needed).
    List,
}

#[derive(Subcommand)]
enum CertCommand {
    /// Create a self-signed RSA-3072 backup certificate. The PFX password is read from stdin.
    Create {
        /// Common name, e.g. "Lifeboat backups - ops".
        #[arg(long)]
        subject: String,
        /// Where to write the private key (password-protected PFX). Keep it safe and off this machine.
        #[arg(long, value_name = "FILE")]
        pfx_out: PathBuf,
        /// Where to write the public certificate (DER) for `encryption set-certificate`.
        #[arg(long, value_name = "FILE")]
        cer_out: PathBuf,
        #[arg(long, default_value_t = 5)]
        years: u32,
    },
    /// Show a certificate's thumbprint, subject and expiry.
    Show { file: PathBuf },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Print a new random base64 256-bit key.
    Generate,
}

#[derive(Args)]
struct IdentityArgs {
    /// Private key to open certificate-encrypted backups: .pfx/.p12 or PEM.
    #[arg(long, value_name = "FILE")]
    identity: Option<PathBuf>,
    /// Read the PFX (or encrypted PEM) password from stdin.
    #[arg(long, requires = "identity", conflicts_with_all = ["passphrase_stdin", "key_stdin"])]
    password_stdin: bool,
    /// Read the backup passphrase from stdin.
    #[arg(long, conflicts_with_all = ["identity", "key_stdin"])]
    passphrase_stdin: bool,
    /// Read the legacy base64 key from stdin.
    #[arg(long, conflicts_with = "identity")]
    key_stdin: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.json);
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

fn run(cli: Cli, out: &Output) -> Result<()> {
    // Commands that need no data folder.
    match &cli.command {
        Command::Key(KeyCommand::Generate) => {
            let key = LegacyKey::generate(&mut rand::rng());
            return out.value(&serde_json::json!({ "key": key.to_base64().as_str() }), || key.to_base64().to_string());
        }
        Command::Cert(command) => return cert(command, out),
        _ => {}
    }
    let data_dir = match cli.data_dir {
        Some(d) => d,
        None => Engine::default_data_dir()?,
    };
    if let Command::Service { test_clock_speed } = cli.command {
        return service(&data_dir, test_clock_speed, out);
    }
    let engine = Engine::open(&data_dir)?;
    exit_when_abandoned(&engine, out.is_json());
    let cancel = Cancel::default();
    {
        let cancel = cancel.clone();
        // Ctrl-C asks the running operation to stop cleanly; a second one is ignored.
        let _ = ctrlc::set_handler(move || cancel.cancel());
    }
    match cli.command {
        Command::Items(c) => items(&engine, c, out),
        Command::Location(LocationCommand::SetLocal { dir }) => {
            let info = engine.set_local_location(&dir)?;
            out.value(&info, || format!("Backups will be written to {}.", info.path.display()))
        }
        Command::Location(LocationCommand::SetSmb { path, user, .. }) => {
            let password = read_secret_stdin("Share password")?;
            let info = engine.set_smb_location(&path, &user, Some(&password))?;
            out.value(&info, || format!("Backups will be written to {}.", output::location(&info)))
        }
        Command::Location(LocationCommand::Test) => {
            let info = engine.test_location()?;
            out.value(&info, || format!("OK: {} answers, takes a file, and has room.", output::location(&info)))
        }
        Command::Location(LocationCommand::Show) => {
            let info = engine.location()?;
            out.value(&info, || output::location(&info))
        }
        Command::Encryption(c) => encryption(&engine, c, out),
        Command::Backup(BackupCommand::Now) => {
            let progress = progress::CliProgress::new(out.is_json());
            let summary = engine.backup_now(&progress, &cancel);
            progress.finish();
            let summary = summary?;
            out.value(&summary, || output::backup_summary(&summary))
        }
        Command::Backups(BackupsCommand::List) => {
            let list = engine.list_backups()?;
            out.value(&list, || output::backup_list(&list))
        }
        Command::Verify { backup, identity } => {
            let identity = load_identity(&identity)?;
            let progress = progress::CliProgress::new(out.is_json());
            let outcome = engine.verify(&backup, identity.as_deref(), &progress, &cancel);
            progress.finish();
            let outcome = outcome?;
            out.value(&outcome, || output::verify(&outcome))
        }
        Command::Restore { backup, identity, to, items, paths } => {
            let identity = load_identity(&identity)?;
            let progress = progress::CliProgress::new(out.is_json());
            let report = engine.restore(&backup, identity.as_deref(), RestoreRequest { items, paths, to }, &progress, &cancel);
            progress.finish();
            let report = report?;
            out.value(&report, || output::restore(&report))
        }
        Command::Schedule(c) => schedule(&engine, c, out),
        Command::Retention(c) => retention(&engine, c, out, &cancel),
        Command::Expiry(ExpiryCommand::Set { days }) => {
            let days = engine.set_expiry_days(days)?;
            out.value(&serde_json::json!({ "expiry_days": days }), || {
                format!("New backups can be restored for {days} days; existing backups keep their expiry.")
            })
        }
        Command::Expiry(ExpiryCommand::Show) => {
            let days = engine.expiry_days()?;
            out.value(&serde_json::json!({ "expiry_days": days }), || format!("New backups can be restored for {days} days."))
        }
        Command::Status => {
            let status = engine.status()?;
            out.value(&status, || output::status(&status))
        }
        Command::Operations(c) => operations(&engine, c, out),
        Command::Key(_) | Command::Cert(_) | Command::Service { .. } => unreachable!("handled above"),
    }
}

fn schedule(engine: &Engine, command: ScheduleCommand, out: &Output) -> Result<()> {
    let info = match command {
        ScheduleCommand::Set { every_hours: Some(hours), .. } => engine.set_schedule(Schedule::every_hours(hours, engine.now())?)?,
        ScheduleCommand::Set { daily_at: Some(at), .. } => engine.set_schedule(Schedule::daily_at(&at)?)?,
        ScheduleCommand::Set { .. } => return Err(Error::input("Give --every-hours N or --daily-at HH:MM.")),
        ScheduleCommand::Enable => engine.set_automatic(true)?,
        ScheduleCommand::Disable => engine.set_automatic(false)?,
        ScheduleCommand::Show => engine.schedule_info()?,
    };
    out.value(&info, || output::schedule(&info))
}

fn retention(engine: &Engine, command: RetentionCommand, out: &Output, cancel: &Cancel) -> Result<()> {
    let policy = |args: &RetentionArgs| -> Result<RetentionPolicy> {
        let current = engine.retention()?;
        RetentionPolicy::new(args.days.unwrap_or(current.days), args.max_count.unwrap_or(current.max_count))
    };
    match command {
        RetentionCommand::Set { policy: args, yes } => {
            let policy = policy(&args)?;
            let doomed = engine.set_retention(policy, yes)?;
            let report = if doomed.is_empty() {
                None
            } else {
                let progress = progress::CliProgress::new(out.is_json());
                let report = engine.retention_now(&progress, cancel);
                progress.finish();
                Some(report?)
            };
            let json = serde_json::json!({ "retention": policy, "deleted": report.as_ref().map(|r| &r.deleted) });
            out.value(&json, || {
                let mut text = format!("Retention: {}.", output::policy(&policy));
                if let Some(r) = &report {
                    text.push('\n');
                    text.push_str(&output::retention_report(r));
                }
                text
            })
        }
        RetentionCommand::Preview { policy: args } => {
            let policy = policy(&args)?;
            let decisions = engine.preview_retention(policy)?;
            out.value(&decisions, || output::decisions(&policy, &decisions))
        }
        RetentionCommand::Run => {
            let progress = progress::CliProgress::new(out.is_json());
            let report = engine.retention_now(&progress, cancel);
            progress.finish();
            let report = report?;
            out.value(&report, || output::retention_report(&report))
        }
        RetentionCommand::Show => {
            let policy = engine.retention()?;
            out.value(&policy, || format!("Retention: {}.", output::policy(&policy)))
        }
    }
}

fn operations(engine: &Engine, command: OperationsCommand, out: &Output) -> Result<()> {
    match command {
        OperationsCommand::List { limit } => {
            let list = engine.operations(limit)?;
            out.value(&list, || output::operation_list(&list))
        }
        OperationsCommand::Show { id } => {
            let op = engine.operation(&id)?;
            out.value(&op, || output::operation(&op))
        }
        OperationsCommand::Cancel { id } => {
            let op = engine.cancel_operation(&id)?;
            out.value(&op, || format!("Asked operation {} ({}) to stop.", op.id, op.kind))
        }
        OperationsCommand::SetStallTimeout { seconds } => {
            let seconds = engine.set_stall_timeout_secs(seconds)?;
            out.value(&serde_json::json!({ "stall_timeout_secs": seconds }), || {
                format!("Operations now fail when nothing progresses for {seconds} s.")
            })
        }
    }
}

/// Runs the scheduler until Ctrl-C or SIGTERM, printing every event as it happens.
fn service(data_dir: &Path, test_clock_speed: Option<u32>, out: &Output) -> Result<()> {
    let speed = test_clock_speed.unwrap_or(1).max(1);
    let clock: Clock = if speed == 1 {
        Arc::new(chrono::Utc::now)
    } else {
        eprintln!("TEST CLOCK: the scheduler's time runs {speed} times faster than real time.");
        let (start, real_start) = (chrono::Utc::now(), Instant::now());
        Arc::new(move || start + chrono::Duration::from_std(real_start.elapsed() * speed).unwrap_or_default())
    };
    let engine = Engine::open_with_clock(data_dir, clock)?;
    let events = engine.events().subscribe();
    let scheduler = Scheduler::new(engine)?;
    let stop = Cancel::default();
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.cancel()).map_err(|e| Error::operation(format!("installing the signal handler: {e}")))?;
    }
    let json = out.is_json();
    let printer = std::thread::spawn(move || {
        for event in events {
            output::event_line(&event, json);
        }
    });
    let info = scheduler.engine().schedule_info()?;
    eprintln!("Lifeboat scheduler running for {}: {}.", data_dir.display(), output::schedule(&info));
    let sleep = move |duration: chrono::Duration, stop: &Cancel| real_sleep(duration / speed as i32, stop);
    scheduler.run(&NoProgress, &stop, &sleep, |tick| {
        if let Err(e) = tick {
            eprintln!("error: {e}");
        }
    });
    drop(scheduler);
    let _ = printer.join();
    eprintln!("Lifeboat scheduler stopped.");
    Ok(())
}

/// When the engine gives up on an operation of this process whose work is stuck in a
/// call that never returns (a hung share), report it and exit instead of hanging.
fn exit_when_abandoned(engine: &Engine, json: bool) {
    let events = engine.events().subscribe();
    std::thread::spawn(move || {
        for event in events {
            if let Event::OperationFinished { operation } = event {
                if operation.pid == Some(std::process::id()) && operation.error_code.as_deref() == Some("stalled") {
                    // Normally the work returns at once and main reports the error.
                    std::thread::sleep(std::time::Duration::from_secs(2));
                    let message = operation.message.unwrap_or_else(|| "The operation stalled".into());
                    if json {
                        let hint = Error::hint_for("stalled");
                        println!("{}", serde_json::json!({ "error": { "kind": "operation", "code": "stalled", "message": message, "hint": hint } }));
                    }
                    eprintln!("error: {message}");
                    std::process::exit(1);
                }
            }
        }
    });
}

fn items(engine: &Engine, command: ItemsCommand, out: &Output) -> Result<()> {
    match command {
        ItemsCommand::Add { path, name, kind, excludes } => {
            let kind = kind.map(|k| k.parse::<ItemKind>()).transpose()?;
            let item = engine.add_item(&path, name.as_deref(), kind, excludes)?;
            out.value(&item, || format!("Added {} {:?} ({}).", item.kind.as_str(), item.name, item.path.display()))
        }
        ItemsCommand::List => {
            let items = engine.items()?;
            out.value(&items, || output::item_list(&items))
        }
        ItemsCommand::Remove { name } => {
            engine.remove_item(&name)?;
            out.value(&serde_json::json!({ "removed": name }), || format!("Removed {name:?}; existing backups keep it."))
        }
    }
}

fn encryption(engine: &Engine, command: EncryptionCommand, out: &Output) -> Result<()> {
    let info = match command {
        EncryptionCommand::SetCertificate { file, add } => {
            let bytes = lifeboat_core::fsutil::read_small_file(&file, "certificate")?;
            engine.set_certificate(&bytes, add)?;
            engine.encryption()?
        }
        EncryptionCommand::SetPassphrase { .. } => {
            let passphrase = read_secret_stdin("Passphrase (empty turns encryption off)")?;
            engine.set_passphrase(&passphrase)?
        }
        EncryptionCommand::SetKey { .. } => {
            let key = read_secret_stdin("Base64 key")?;
            engine.set_key(&key)?
        }
        EncryptionCommand::Show => engine.encryption()?,
    };
    out.value(&info, || output::encryption(&info))
}

fn cert(command: &CertCommand, out: &Output) -> Result<()> {
    match command {
        CertCommand::Create { subject, pfx_out, cer_out, years } => {
            if pfx_out == cer_out {
                return Err(Error::input("--pfx-out and --cer-out must be different files."));
            }
            for path in [pfx_out, cer_out] {
                if path.exists() {
                    return Err(Error::input(format!("{} already exists; choose another path or move it away first.", path.display())));
                }
            }
            let password = read_secret_stdin("PFX password (at least 8 characters)")?;
            let created = create_certificate(subject, *years, &password, chrono::Utc::now(), &mut rand::rng())?;
            lifeboat_core::fsutil::write_new_file(pfx_out, &created.pfx, true)?;
            lifeboat_core::fsutil::write_new_file(cer_out, &created.info.der, false)?;
            let info = &created.info;
            out.value(&output::cert_json(info), || {
                format!(
                    "{}\nPrivate key (keep it safe, off this machine): {}\nPublic certificate (for `encryption set-certificate`): {}",
                    output::certificate(info),
                    pfx_out.display(),
                    cer_out.display()
                )
            })
        }
        CertCommand::Show { file } => {
            let info = CertificateInfo::from_public_file(&lifeboat_core::fsutil::read_small_file(file, "certificate")?)?;
            out.value(&output::cert_json(&info), || output::certificate(&info))
        }
    }
}

fn load_identity(args: &IdentityArgs) -> Result<Option<Box<dyn Identity>>> {
    if let Some(path) = &args.identity {
        let bytes = Zeroizing::new(lifeboat_core::fsutil::read_small_file(path, "identity")?);
        let password = if args.password_stdin { read_secret_stdin("PFX password")? } else { Zeroizing::new(String::new()) };
        return Ok(Some(Box::new(RsaIdentity::from_file(&bytes, &password)?)));
    }
    if args.passphrase_stdin {
        return Ok(Some(Box::new(PassphraseIdentity::new(read_secret_stdin("Passphrase")?))));
    }
    if args.key_stdin {
        return Ok(Some(Box::new(KeyIdentity(parse_legacy_key(&read_secret_stdin("Base64 key")?)?))));
    }
    Ok(None)
}

/// Reads one secret from stdin: prompted without echo on a terminal, else the whole
/// input with one trailing newline removed.
fn read_secret_stdin(prompt: &str) -> Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(format!("{prompt}: "))
            .map(Zeroizing::new)
            .map_err(|e| Error::input(format!("Could not read from the terminal: {e}.")));
    }
    let mut text = Zeroizing::new(String::new());
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| Error::input(format!("Could not read the secret from stdin: {e} (it must be UTF-8 text).")))?;
    let trimmed_len = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).map(str::len).unwrap_or(text.len());
    text.truncate(trimmed_len);
    Ok(text)
}
