//! The states of a workflow run, of its node runs and of a fanned-out node's items, with their
//! legal transitions (see [`crate::states`]). Every status change of the engine is made from these
//! tables.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::states::Status;

crate::states! {
    pub enum RunStatus ("workflow run") {
        /// Not started by a driver yet.
        Queued = "queued",
        Running = "running",
        /// No new node or item starts until it is resumed.
        Paused = "paused",
        /// A review gate waits for a person.
        WaitingReview = "waiting_review",
        Completed = "completed",
        Failed = "failed",
        Cancelled = "cancelled",
    }
    transitions {
        // Started, resumed, continued after its review, or retried after failing or a cancel.
        Queued | Paused | WaitingReview | Failed | Cancelled => Running,
        Queued | Running => Paused,
        Running => WaitingReview,
        Running => Completed | Failed,
        Queued | Running | Paused | WaitingReview => Cancelled,
    }
}

impl RunStatus {
    /// Still going: another run of its version waits for it to end.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Self::Queued | Self::Running | Self::Paused | Self::WaitingReview
        )
    }

    /// Over: completed, failed or cancelled (only a retry starts a failed or cancelled run again).
    pub fn is_final(self) -> bool {
        !self.is_active()
    }

    /// A driver should be going (after a restart, these runs are picked up again).
    pub fn needs_driver(self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }
}

crate::states! {
    pub enum NodeRunStatus ("node run") {
        Pending = "pending",
        Running = "running",
        /// A review gate waits for a person.
        Waiting = "waiting",
        Completed = "completed",
        Failed = "failed",
        Cancelled = "cancelled",
    }
    transitions {
        // Started, or started again after the process stopped while it ran.
        Pending | Running => Running,
        // A retryable failure waits for its next attempt; a retried run redoes its unfinished nodes.
        Running | Failed | Cancelled => Pending,
        Running => Waiting,
        Running | Waiting => Completed,
        Running => Failed,
        Pending | Running | Waiting => Cancelled,
    }
}

crate::states! {
    /// One unit of a fanned-out node (a shot, a dialogue line).
    pub enum ItemStatus ("node item") {
        Pending = "pending",
        Running = "running",
        Completed = "completed",
        Failed = "failed",
    }
    transitions {
        // A failed item, or one the stopped process was running, runs again; a done one never.
        Pending | Running | Failed => Running,
        Running => Completed | Failed,
    }
}

/// `status = 'to'` and the guard `status IN ('from')`, for an update that takes one edge of a
/// table (a debug build panics on an edge the table does not have; a release build's guard
/// matches nothing then).
pub(crate) fn edge_sql<S: Status>(from: S, to: S) -> (String, String) {
    debug_assert!(from.can_become(to), "{from:?} → {to:?} is not a transition");
    S::transition_sql_from(to, |s| s == from)
}

/// What a progress event reports: the new state of a node run or of the run, or what the driver
/// did (`interrupted`: a node stopped between items by a pause or cancel; `stopped`: the driver
/// ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunEventStatus {
    Queued,
    Pending,
    Running,
    Paused,
    Waiting,
    WaitingReview,
    Completed,
    Failed,
    Cancelled,
    Interrupted,
    Stopped,
}

impl From<RunStatus> for RunEventStatus {
    fn from(s: RunStatus) -> Self {
        match s {
            RunStatus::Queued => Self::Queued,
            RunStatus::Running => Self::Running,
            RunStatus::Paused => Self::Paused,
            RunStatus::WaitingReview => Self::WaitingReview,
            RunStatus::Completed => Self::Completed,
            RunStatus::Failed => Self::Failed,
            RunStatus::Cancelled => Self::Cancelled,
        }
    }
}

impl From<NodeRunStatus> for RunEventStatus {
    fn from(s: NodeRunStatus) -> Self {
        match s {
            NodeRunStatus::Pending => Self::Pending,
            NodeRunStatus::Running => Self::Running,
            NodeRunStatus::Waiting => Self::Waiting,
            NodeRunStatus::Completed => Self::Completed,
            NodeRunStatus::Failed => Self::Failed,
            NodeRunStatus::Cancelled => Self::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::states::check_names;

    #[test]
    fn runs_end_for_good_unless_retried() {
        use RunStatus::*;
        for from in RunStatus::ALL {
            for to in RunStatus::ALL {
                if from == Completed {
                    assert!(!from.can_become(to), "{from} → {to}");
                }
                // A failed or cancelled run only moves when a retry runs it again.
                if matches!(from, Failed | Cancelled) {
                    assert_eq!(from.can_become(to), to == Running, "{from} → {to}");
                }
                // Only a running run finishes or reaches a review, and nothing becomes queued.
                if matches!(to, Completed | Failed | WaitingReview) {
                    assert_eq!(from.can_become(to), from == Running, "{from} → {to}");
                }
                assert!(!from.can_become(Queued));
                // Every run still going can be cancelled.
                if to == Cancelled {
                    assert_eq!(from.can_become(to), from.is_active(), "{from} → {to}");
                }
                // No state "becomes" itself: a repeated action is answered without a change.
                assert!(!from.can_become(from), "{from}");
            }
        }
        assert!(Paused.can_become(Running) && WaitingReview.can_become(Running));
        assert!(!Paused.can_become(WaitingReview) && !Paused.can_become(Completed));
        assert!(Queued.can_become(Paused) && Running.can_become(Paused));
        assert_eq!(
            RunStatus::sql_list(RunStatus::is_active),
            "'queued', 'running', 'paused', 'waiting_review'"
        );
        check_names::<RunStatus>();
    }

    #[test]
    fn completed_nodes_never_move_and_only_running_ones_finish() {
        use NodeRunStatus::*;
        for from in NodeRunStatus::ALL {
            for to in NodeRunStatus::ALL {
                if from == Completed {
                    assert!(!from.can_become(to), "{from} → {to}");
                }
                if matches!(from, Failed | Cancelled) {
                    assert_eq!(from.can_become(to), to == Pending, "{from} → {to}");
                }
                if matches!(to, Failed | Waiting) {
                    assert_eq!(from.can_become(to), from == Running, "{from} → {to}");
                }
            }
        }
        assert!(Running.can_become(Completed) && Waiting.can_become(Completed));
        assert!(!Pending.can_become(Completed) && !Waiting.can_become(Running));
        // A cancel reaches every node not yet over; a retry resets what did not complete.
        assert_eq!(
            NodeRunStatus::transition_sql(Cancelled).1,
            "status IN ('pending', 'running', 'waiting')"
        );
        assert_eq!(
            NodeRunStatus::transition_sql(Pending).1,
            "status IN ('running', 'failed', 'cancelled')"
        );
        assert_eq!(
            edge_sql(Running, Completed),
            (
                "status = 'completed'".into(),
                "status IN ('running')".into()
            )
        );
        check_names::<NodeRunStatus>();
    }

    #[test]
    fn done_items_are_never_redone() {
        use ItemStatus::*;
        for to in ItemStatus::ALL {
            assert!(!Completed.can_become(to));
        }
        assert!(Failed.can_become(Running) && Running.can_become(Running));
        assert!(!Pending.can_become(Completed) && !Pending.can_become(Failed));
        assert_eq!(
            ItemStatus::transition_sql(Completed).1,
            "status IN ('running')"
        );
        check_names::<ItemStatus>();
    }

    #[test]
    #[should_panic(expected = "not a transition")]
    fn an_edge_outside_the_table_is_refused() {
        let _ = edge_sql(RunStatus::Completed, RunStatus::Running);
    }

    #[test]
    fn progress_events_name_run_and_node_states_alike() {
        for s in RunStatus::ALL {
            assert_eq!(
                serde_json::to_value(RunEventStatus::from(s)).unwrap(),
                s.as_str()
            );
        }
        for s in NodeRunStatus::ALL {
            assert_eq!(
                serde_json::to_value(RunEventStatus::from(s)).unwrap(),
                s.as_str()
            );
        }
    }
}
