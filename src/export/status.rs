//! An export's states and their legal transitions, in one place. The store's `UPDATE`s are made
//! from this table ([`ExportStatus::transition_sql`]), so a row only ever moves along an edge
//! listed here; the OpenAPI document lists the values.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    /// Waiting for the encoder.
    Queued,
    /// ffmpeg is encoding.
    Processing,
    Completed,
    Failed,
    Cancelled,
}

impl ExportStatus {
    pub const ALL: [ExportStatus; 5] = [
        Self::Queued,
        Self::Processing,
        Self::Completed,
        Self::Failed,
        Self::Cancelled,
    ];

    /// The legal transitions. `Processing → Processing` is a restart after the process died.
    pub fn can_become(self, next: ExportStatus) -> bool {
        use ExportStatus::*;
        matches!(
            (self, next),
            (Queued | Processing, Processing)
                | (Processing, Completed)
                | (Queued | Processing, Failed | Cancelled)
        )
    }

    /// Queued or encoding: work this process (or the next, after a restart) still owes.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Processing)
    }

    pub fn is_final(self) -> bool {
        !self.is_active()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Processing => "processing",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The states a row may be in to become `next`, as an SQL list: `'queued', 'processing'`.
    fn sources_sql(next: ExportStatus) -> String {
        Self::ALL
            .into_iter()
            .filter(|from| from.can_become(next))
            .map(|from| format!("'{}'", from.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `status = 'next'` and the guard that only a legal source state may take it, for
    /// `UPDATE exports SET {set}, … WHERE id = ? AND {guard}` (both made of this enum's own
    /// names, never of input).
    pub fn transition_sql(next: ExportStatus) -> (String, String) {
        (
            format!("status = '{}'", next.as_str()),
            format!("status IN ({})", Self::sources_sql(next)),
        )
    }

    /// The states that are still going, as an SQL list (for `WHERE status IN (…)`).
    pub fn active_sql() -> String {
        Self::ALL
            .into_iter()
            .filter(|s| s.is_active())
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl std::fmt::Display for ExportStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl rusqlite::types::FromSql for ExportStatus {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let text = value.as_str()?;
        Self::parse(text).ok_or_else(|| {
            rusqlite::types::FromSqlError::Other(format!("unknown export status '{text}'").into())
        })
    }
}

impl rusqlite::types::ToSql for ExportStatus {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
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
    }
}
