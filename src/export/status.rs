//! An export's states and their legal transitions, in one place. The store's `UPDATE`s are made
//! from this table ([`ExportStatus::transition_sql`]), so a row only ever moves along an edge
//! listed here; the OpenAPI document lists the values.
use crate::states::Status;

crate::states! {
    pub enum ExportStatus ("export") {
        /// Waiting for the encoder.
        Queued = "queued",
        /// ffmpeg is encoding.
        Processing = "processing",
        Completed = "completed",
        Failed = "failed",
        Cancelled = "cancelled",
    }
    transitions {
        // `Processing → Processing` is a restart after the process died.
        Queued | Processing => Processing,
        Processing => Completed,
        Queued | Processing => Failed | Cancelled,
    }
}

impl ExportStatus {
    /// Queued or encoding: work this process (or the next, after a restart) still owes.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Processing)
    }

    pub fn is_final(self) -> bool {
        !self.is_active()
    }

    /// The states that are still going, as an SQL list (for `WHERE status IN (…)`).
    pub fn active_sql() -> String {
        Self::sql_list(Self::is_active)
    }
}

#[cfg(test)]
mod tests {
    use super::ExportStatus::{self, *};

    #[test]
    fn finished_exports_never_move_and_only_encoding_completes() {
        for from in ExportStatus::ALL {
            for to in ExportStatus::ALL {
                if from.is_final() {
                    assert!(!from.can_become(to), "{from} → {to}");
                }
            }
        }
        assert!(Processing.can_become(Completed));
        assert!(!Queued.can_become(Completed));
        assert!(Queued.can_become(Cancelled) && Processing.can_become(Failed));
        assert!(!Queued.can_become(Queued));
    }

    #[test]
    fn the_sql_follows_the_table_and_names_round_trip() {
        assert_eq!(
            ExportStatus::transition_sql(Completed),
            (
                "status = 'completed'".into(),
                "status IN ('processing')".into()
            )
        );
        assert_eq!(
            ExportStatus::transition_sql(Cancelled).1,
            "status IN ('queued', 'processing')"
        );
        assert_eq!(ExportStatus::active_sql(), "'queued', 'processing'");
        for s in ExportStatus::ALL {
            assert_eq!(ExportStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        crate::states::check_names::<ExportStatus>();
    }
}
