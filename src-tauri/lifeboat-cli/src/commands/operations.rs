//! `lifeboat operations`: running and past operations, from any process.

use clap::Subcommand;
use lifeboat_core::engine::Engine;
use lifeboat_core::operation::OperationView;
use lifeboat_core::Result;

use crate::output::{operation_result, size, Output};

#[derive(Subcommand)]
pub enum OperationsCommand {
    List {
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// One operation in full (id or a unique prefix).
    Show { id: String },
    /// Ask a running operation to stop, whichever Lifeboat process runs it.
    Cancel { id: String },
    /// Fail an operation when nothing progresses for this long (1 to 86400 s; default 300).
    SetStallTimeout { seconds: u32 },
}

pub fn run(engine: &Engine, command: OperationsCommand, out: &Output) -> Result<()> {
    match command {
        OperationsCommand::List { limit } => {
            let list = engine.operations(limit)?;
            out.value(&list, || describe_list(&list))
        }
        OperationsCommand::Show { id } => {
            let op = engine.operation(&id)?;
            out.value(&op, || describe(&op))
        }
        OperationsCommand::Cancel { id } => {
            let op = engine.cancel_operation(&id)?;
            out.value(&op, || format!("Asked operation {} ({}) to stop.", op.id, op.kind))
        }
        OperationsCommand::SetStallTimeout { seconds } => {
            let seconds = engine.change_settings(|d| d.stall_timeout_secs = seconds, false)?.settings.stall_timeout_secs;
            out.value(&serde_json::json!({ "stall_timeout_secs": seconds }), || format!("Operations now fail when nothing progresses for {seconds} s."))
        }
    }
}

fn describe_list(list: &[OperationView]) -> String {
    if list.is_empty() {
        return "No operations yet.".into();
    }
    let mut lines = vec![format!("{:<20} {:<36} {:<9} {:<9} {}", "STARTED (UTC)", "ID", "KIND", "TRIGGER", "RESULT")];
    for o in list {
        lines.push(format!("{:<20} {:<36} {:<9} {:<9} {}", o.started_at.format("%Y-%m-%d %H:%M:%S"), o.id, o.kind.to_string(), o.trigger.to_string(), operation_result(o)));
    }
    lines.join("\n")
}

fn describe(o: &OperationView) -> String {
    let mut lines = vec![
        format!("Operation {} ({}, {})", o.id, o.kind, o.trigger),
        format!("Status:   {}", operation_result(o)),
        format!("Started:  {}", o.started_at.format("%Y-%m-%d %H:%M:%S UTC")),
    ];
    if let Some(f) = o.finished_at {
        lines.push(format!("Finished: {} ({} s)", f.format("%Y-%m-%d %H:%M:%S UTC"), (f - o.started_at).num_seconds()));
    }
    if o.bytes_total > 0 || o.items_total > 0 {
        lines.push(format!("Progress: {} of {}, {} of {} items", size(o.bytes_done), size(o.bytes_total), o.items_done, o.items_total));
    }
    if let Some(rate) = o.rate {
        lines.push(format!("Rate:     {}/s", size(rate as u64)));
    }
    if let Some(code) = &o.error_code {
        lines.push(format!("Error:    {code}"));
    }
    if let Some(hint) = &o.hint {
        lines.push(format!("Hint:     {hint}"));
    }
    if let Some(id) = &o.backup_id {
        lines.push(format!("Backup:   {id}"));
    }
    lines.join("\n")
}
