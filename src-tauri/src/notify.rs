//! Which engine events become desktop notifications. A condition is announced when
//! it starts, not again while it persists: the engine announces location and
//! certificate conditions once; here a run of failed backups gives one
//! notification (an unreachable location announced first counts as its start), and
//! the first success after it gives another.

use lifeboat_core::events::Event;
use lifeboat_core::operation::{OperationKind, OperationStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

fn notice(title: &str, body: String) -> Option<Notice> {
    Some(Notice { title: title.into(), body })
}

#[derive(Default)]
pub struct Notifier {
    /// Backups are failing and a notification said so (a failed backup, or the
    /// location found unreachable before one).
    failing: bool,
}

impl Notifier {
    pub fn on_event(&mut self, event: &Event) -> Option<Notice> {
        match event {
            Event::OperationFinished { operation: op } if op.kind == OperationKind::Backup => match op.status {
                OperationStatus::Failed if !self.failing => {
                    self.failing = true;
                    let message = op.message.clone().unwrap_or_default();
                    let hint = op.hint.as_deref().map(|h| format!("\n{h}")).unwrap_or_default();
                    notice("Backup failed", format!("{message}{hint}"))
                }
                OperationStatus::Succeeded if self.failing => {
                    self.failing = false;
                    notice("Backups are working again", "The backup succeeded after earlier failures.".into())
                }
                _ => None,
            },
            Event::OperationFinished { operation: op } if op.kind == OperationKind::Restore => match op.status {
                OperationStatus::Succeeded => notice("Restore finished", "The restored files are in place.".into()),
                OperationStatus::Failed => notice("Restore failed", op.message.clone().unwrap_or_default()),
                _ => None,
            },
            Event::BackupsMissed { count, first, .. } => {
                notice("Backups were missed", format!("{count} scheduled backup(s) since {} did not run; one catch-up backup follows.", first.format("%Y-%m-%d %H:%M UTC")))
            }
            // The scheduled backup that follows fails for this same cause: one
            // notification for both.
            Event::LocationUnreachable { location, error } if !self.failing => {
                self.failing = true;
                notice("Backup location unreachable", format!("{location}: {error}"))
            }
            Event::CertificateExpiring { thumbprint, not_after, days_left, .. } => {
                notice("Backup certificate expires soon", format!("{thumbprint} expires on {} ({days_left} days). Set a new certificate.", not_after.format("%Y-%m-%d")))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifeboat_core::operation::OperationView;

    fn finished(kind: OperationKind, status: OperationStatus) -> Event {
        let operation = crate::fixtures::operation(kind, status);
        Event::OperationFinished { operation: OperationView { message: Some("The backup location is full".into()), ..operation } }
    }

    #[test]
    fn a_run_of_failures_is_announced_once_and_the_recovery_once() {
        let mut n = Notifier::default();
        use OperationStatus::{Failed, Succeeded};
        let titles: Vec<Option<String>> =
            [Succeeded, Failed, Failed, Failed, Succeeded, Succeeded].into_iter().map(|s| n.on_event(&finished(OperationKind::Backup, s)).map(|x| x.title)).collect();
        assert_eq!(titles, [None, Some("Backup failed".into()), None, None, Some("Backups are working again".into()), None]);
    }

    #[test]
    fn restores_and_conditions() {
        let mut n = Notifier::default();
        assert_eq!(n.on_event(&finished(OperationKind::Restore, OperationStatus::Succeeded)).unwrap().title, "Restore finished");
        assert_eq!(n.on_event(&finished(OperationKind::Verify, OperationStatus::Failed)), None);
        let missed = Event::BackupsMissed { count: 3, first: chrono::Utc::now(), last: chrono::Utc::now() };
        assert!(n.on_event(&missed).unwrap().body.starts_with("3 scheduled backup(s) since"));
    }
}
