//! `lifeboat recover`: put this installation back as a backup found it — its
//! configuration, schedule, items, retention, encryption settings and vault — from
//! a backup file, a folder or a share, after showing what comes back.

use std::sync::Arc;

use clap::Args;
use lifeboat_core::commands::recover::{Recover, RecoveryPlan, RecoveryReport};
use lifeboat_core::engine::Engine;
use lifeboat_core::progress::Cancel;
use lifeboat_core::settings::LocationDraft;
use lifeboat_core::{Error, Result};

use crate::identity::IdentityArgs;
use crate::output::{utc, Output};
use crate::progress::CliProgress;
use crate::secrets::read_stdin_line;

#[derive(Args)]
pub struct RecoverArgs {
    /// A backup file, or the folder or share (\\server\share\folder, smb://...) that holds the backups.
    from: Option<String>,
    #[command(flatten)]
    object: ObjectStorageArgs,
    /// Which backup there: id, unique id prefix or file name (default: the newest).
    #[arg(long)]
    backup: Option<String>,
    /// For a share: DOMAIN\user or user (on Windows, leave out to sign in as the Windows user).
    #[arg(long)]
    user: Option<String>,
    /// For a share: read its password from stdin (its first line, when the identity's secret follows on the next).
    #[arg(long, requires = "user")]
    share_password_stdin: bool,
    #[command(flatten)]
    identity: IdentityArgs,
    /// List the backups in the folder or on the share (to choose one with --backup); change nothing.
    #[arg(long, conflicts_with_all = ["preview", "yes", "backup"])]
    list: bool,
    /// Show what would be recovered and what it would replace; change nothing.
    #[arg(long)]
    preview: bool,
    /// Confirms replacing this installation's configuration and vault when it already has some (a safety copy is kept).
    #[arg(long)]
    yes: bool,
}

/// Object storage to recover from: a container or a bucket, with every installation's
/// backups in it.
#[derive(Args)]
pub struct ObjectStorageArgs {
    /// Recover from this Azure storage account's --container.
    #[arg(long, value_name = "NAME", requires = "container", conflicts_with_all = ["from", "bucket"])]
    azure_account: Option<String>,
    #[arg(long)]
    container: Option<String>,
    /// Recover from this S3 bucket (with --access-key-id).
    #[arg(long, requires = "access_key_id", conflicts_with = "from")]
    bucket: Option<String>,
    #[arg(long)]
    access_key_id: Option<String>,
    #[arg(long, default_value = "")]
    prefix: String,
    #[arg(long, default_value = "")]
    endpoint: String,
    #[arg(long, default_value = "")]
    region: String,
    /// Read the access key (Azure) or secret access key (S3) from stdin (its first line,
    /// when the identity's secret follows on the next).
    #[arg(long)]
    secret_stdin: bool,
}

impl ObjectStorageArgs {
    fn draft(&self) -> Result<Option<LocationDraft>> {
        let joined = |name: &str| if self.prefix.trim().is_empty() { name.to_owned() } else { format!("{name}/{}", self.prefix.trim().trim_matches('/')) };
        let secret = || if self.secret_stdin { read_stdin_line("Access key") } else { Ok(Default::default()) };
        Ok(match (&self.azure_account, &self.container, &self.bucket, &self.access_key_id) {
            (Some(account), Some(container), _, _) => Some(LocationDraft::azure(account, joined(container), self.endpoint.as_str(), &secret()?)),
            (_, _, Some(bucket), Some(id)) => Some(LocationDraft::s3(self.endpoint.as_str(), self.region.as_str(), joined(bucket), id, &secret()?)),
            _ => None,
        })
    }
}

pub fn run(engine: &Engine, args: RecoverArgs, out: &Output, cancel: &Cancel) -> Result<()> {
    let object = args.object.draft()?;
    let file = match (args.from.as_deref(), object) {
        (_, Some(draft)) => {
            let location = engine.typed_location(&draft)?;
            if args.list {
                let listings = engine.list_backups_at(&location)?;
                return out.value(&listings, || crate::commands::backups::describe_list(&listings, true));
            }
            engine.inspect_at(&location, args.backup.as_deref())?
        }
        (Some(path), None) if std::path::Path::new(path).is_file() => engine.inspect(path)?,
        (Some(path), None) => {
            let location = engine.typed_location(&location_draft(path, &args)?)?;
            if args.list {
                let listings = engine.list_backups_at(&location)?;
                return out.value(&listings, || crate::commands::backups::describe_list(&listings, true));
            }
            engine.inspect_at(&location, args.backup.as_deref())?
        }
        (None, None) => match args.backup.as_deref() {
            Some(selector) => engine.inspect(selector)?,
            None => {
                return Err(Error::input(
                    "Say where the backup is: a backup file, a folder or share, or a container (--azure-account, --container) or bucket (--bucket, --access-key-id).",
                ))
            }
        },
    };
    if args.list {
        return Err(Error::input("--list lists the backups in a folder or on a share; a backup file is one backup."));
    }
    let backup = Arc::new(engine.unlock(&Arc::new(file), args.identity.load()?.as_deref())?);
    if args.preview {
        let plan = engine.preview_recovery(&backup, cancel)?;
        return out.value(&plan, || format!("{}\nNothing was changed (preview).", describe(&plan)));
    }
    let report = CliProgress::around(out, |progress| engine.run(Recover { backup, replace: args.yes }, progress, cancel))?;
    out.value(&report, || done(&report))
}

/// The folder or share `path` names (a share when it looks like one or a user is given).
fn location_draft(path: &str, args: &RecoverArgs) -> Result<LocationDraft> {
    let share = args.user.is_some() || path.starts_with("\\\\") || path.starts_with("//") || path.starts_with("smb://");
    if share {
        // No user: Windows' own client as the Windows user (the engine says where that cannot be).
        let user = args.user.clone().unwrap_or_default();
        let password = if args.share_password_stdin { read_stdin_line("Share password")? } else { Default::default() };
        return Ok(LocationDraft::smb(path, user, &password));
    }
    let folder = std::path::absolute(path).map(|p| p.display().to_string()).unwrap_or_else(|_| path.to_owned());
    Ok(LocationDraft::local(folder))
}

fn describe(plan: &RecoveryPlan) -> String {
    let b = &plan.backup;
    let header = format!("Backup {} made {} by Lifeboat {} on {} (installation {}).", b.id, utc(&b.created_at), b.lifeboat_version, plan.installation_name, plan.installation_id);
    format!("{header}\n{}", what_comes_back(plan))
}

/// What a recovery puts back, its notes and what it replaces.
fn what_comes_back(plan: &RecoveryPlan) -> String {
    let s = &plan.settings;
    let items: Vec<String> = s.items.iter().map(|i| format!("{} ({})", i.name, i.path.display())).collect();
    let mut lines = vec![
        "Recovering puts back:".to_owned(),
        format!("  Location:    {}", s.location.description),
        format!("  Schedule:    {}{}", s.schedule.description, if s.schedule.enabled { "" } else { " (automatic backups off)" }),
        format!("  Retention:   {} days, at most {} backups", s.retention.days, s.retention.max_count),
        format!("  Expiry:      {} days", s.expiry_days),
        format!("  Encryption:  {}", s.encryption.mode.map(|m| m.to_string()).unwrap_or_else(|| "not set".into())),
        format!("  Items:       {}", if items.is_empty() { "none".into() } else { items.join(", ") }),
        match &plan.vault {
            Some(v) => format!("  Vault:       {} object(s), {} deleted, {} version(s)", v.objects, v.deleted, v.versions),
            None => "  Vault:       not in this backup".into(),
        },
    ];
    lines.extend(plan.notes.iter().map(|n| format!("Note: {n}")));
    lines.push(match &plan.replaces {
        Some(current) => format!("Replaces this installation's {current} (add --yes; a safety copy is kept)."),
        None => "This installation is new: nothing is replaced.".into(),
    });
    lines.join("\n")
}

fn done(report: &RecoveryReport) -> String {
    let mut text = format!("Recovered.\n{}", what_comes_back(&report.plan));
    if let Some(safety) = &report.safety_copy {
        text.push_str(&format!("\nWhat was replaced is kept in {}.", safety.display()));
    }
    text.push_str(&format!("\nNext, restore the protected data if it is lost too: `lifeboat restore {}` with the same identity.", report.plan.backup.id));
    text
}
