//! Values the shell's tests build their cases from.

use lifeboat_core::operation::{OperationKind, OperationStatus, OperationView, Trigger};

/// A scheduled operation of `kind` that has reached `status`, with nothing counted.
pub fn operation(kind: OperationKind, status: OperationStatus) -> OperationView {
    OperationView {
        id: "op".into(),
        kind,
        trigger: Trigger::Scheduled,
        status,
        phase: None,
        started_at: chrono::Utc::now(),
        finished_at: (status != OperationStatus::Running).then(chrono::Utc::now),
        bytes_done: 0,
        bytes_total: 0,
        items_done: 0,
        items_total: 0,
        rate: None,
        eta_seconds: None,
        error_code: None,
        message: None,
        hint: None,
        backup_id: None,
        pid: None,
        cancel_requested: false,
    }
}
