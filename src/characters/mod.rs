//! Characters (seed 002): name, description, voice, reference images and a consistency profile.
//! Characters the parser finds are *proposed* (status `proposed`) and never duplicated.
use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension};

use crate::clock::IdSource;

/// Makes sure every name has a live character in the project: existing ones (matched
/// case-insensitively, proposed or confirmed) are reused, missing ones are added as `proposed`.
/// Returns name → character id. Runs inside the caller's transaction.
pub fn propose_in_tx(
    tx: &rusqlite::Connection,
    ids: &dyn IdSource,
    project_id: &str,
    names: &[String],
    now: &str,
) -> rusqlite::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for name in names {
        let name = name.trim();
        if name.is_empty() || out.contains_key(name) {
            continue;
        }
        let existing: Option<String> = tx
            .query_row(
                "SELECT id FROM characters
                 WHERE project_id = ?1 AND lower(name) = lower(?2) AND deleted_at IS NULL",
                params![project_id, name],
                |r| r.get(0),
            )
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                let id = ids.new_id().to_string();
                tx.execute(
                    "INSERT INTO characters (id, project_id, name, status, created_at, updated_at)
                     VALUES (?1, ?2, ?3, 'proposed', ?4, ?4)",
                    params![id, project_id, name, now],
                )?;
                id
            }
        };
        out.insert(name.to_string(), id);
    }
    Ok(out)
}
