//! `lifeboat fleet status`: every installation keeping backups at the location, from
//! the backups' headers alone.

use clap::Subcommand;
use lifeboat_core::commands::fleet::FleetStatus;
use lifeboat_core::engine::Engine;
use lifeboat_core::Result;

use crate::output::{utc, Output};

#[derive(Subcommand)]
pub enum FleetCommand {
    /// Each installation: its name, last backup, how many it keeps, and whether it
    /// looks stale (no backup within twice its rhythm). Needs no key.
    Status,
}

pub fn run(engine: &Engine, command: FleetCommand, out: &Output) -> Result<()> {
    match command {
        FleetCommand::Status => {
            let fleet = engine.fleet()?;
            out.value(&fleet, || describe(&fleet))
        }
    }
}

fn describe(fleet: &FleetStatus) -> String {
    if fleet.members.is_empty() {
        return format!("No installation keeps backups at {} yet.", fleet.location);
    }
    let mut lines = vec![
        format!("{} installation(s) at {}:", fleet.members.len(), fleet.location),
        format!("{:<20} {:<36} {:>7}  {:<20} {:<10} {}", "NAME", "INSTALLATION", "BACKUPS", "LAST BACKUP (UTC)", "EVERY", "STATE"),
    ];
    for m in &fleet.members {
        let name = if m.this_installation { format!("{} (this)", m.name) } else { m.name.clone() };
        let last = m.last_backup_at.map(|t| utc(&t)).unwrap_or_else(|| "none".into());
        let mut state = vec![if m.stale { "STALE".to_owned() } else { "ok".to_owned() }];
        if m.unreadable > 0 {
            state.push(format!("{} unreadable file(s)", m.unreadable));
        }
        lines.push(format!("{name:<20} {:<36} {:>7}  {last:<20} {:<10} {}", m.installation_id, m.backups, format!("{:.1} h", m.expected_every_hours), state.join(", ")));
    }
    lines.join("\n")
}
