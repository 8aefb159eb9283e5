//! SQLite storage: one writer connection (writes are serialised by SQLite anyway) and a small pool of
//! readers, all used from blocking threads so the async executor never waits on disk.
use crate::error::{CodedError, ErrorCode};
use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{functions::FunctionFlags, Connection, OpenFlags, Transaction, TransactionBehavior};

mod migrations {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database pool error: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database task failed: {0}")]
    Task(String),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: u32,
        name: String,
        source: rusqlite::Error,
    },
}

impl CodedError for DbError {
    fn code(&self) -> ErrorCode {
        ErrorCode::Internal
    }
}

#[derive(Clone)]
pub struct Db {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    readers: r2d2::Pool<SqliteConnectionManager>,
}

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

impl Db {
    /// Opens (or creates) the database file, switches it to WAL and applies pending migrations.
    #[tracing::instrument]
    pub fn open(path: &Path, readers: u32) -> Result<Self, DbError> {
        let mut writer = Connection::open(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        configure(&writer)?;
        apply_migrations(&mut writer)?;

        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|c: &mut Connection| configure(c));
        let readers = r2d2::Pool::builder()
            .max_size(readers.max(1))
            .min_idle(Some(0))
            .build(manager)?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: Arc::new(Mutex::new(writer)),
            readers,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on a reader connection on a blocking thread.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.get().map_err(DbError::from)?;
            f(&conn)
        })
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }

    /// Runs `f` inside one read transaction on a reader connection, on a blocking thread, so that
    /// all its queries see one snapshot. Reads never take the writer: in WAL mode the writer keeps
    /// committing while a long read runs (docs/BENCHMARKS.md, "Storyboard read").
    pub async fn read_snapshot<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.read(move |conn| {
            // Deferred: the snapshot starts at the first read and takes no lock a writer waits on.
            let tx = conn.unchecked_transaction().map_err(DbError::from)?;
            let out = f(&tx)?;
            tx.finish().map_err(DbError::from)?;
            Ok(out)
        })
        .await
    }

    /// Runs `f` on a reader connection on the calling thread (short reads off the async path, e.g.
    /// progress figures for an event).
    pub fn read_sync<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E>,
        E: From<DbError>,
    {
        let conn = self.readers.get().map_err(DbError::from)?;
        f(&conn)
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction on the writer, on a blocking thread.
    /// The transaction commits only if `f` returns `Ok`.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            // A panic inside a previous write poisons the mutex, but the connection is still
            // sound (its transaction was rolled back on drop), so keep using it.
            let mut conn = writer.lock().unwrap_or_else(|p| p.into_inner());
            Self::write_blocking(&mut conn, f)
        })
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }

    /// The synchronous form of [`Db::write`], for start-up and command-line work.
    pub fn write_sync<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        Self::write_blocking(&mut conn, f)
    }

    fn write_blocking<T, E, F>(conn: &mut Connection, f: F) -> Result<T, E>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(DbError::from)?;
        let out = f(&tx)?;
        tx.commit().map_err(DbError::from)?;
        Ok(out)
    }

    /// True when the database answers a trivial query (used by `/health`).
    pub async fn ping(&self) -> bool {
        self.read(|c| {
            c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                .map_err(DbError::from)
        })
        .await
        .is_ok()
    }
}

/// A name's case-insensitive key (Unicode lowercase): what uniqueness rules compare.
pub fn casefold(name: &str) -> String {
    name.to_lowercase()
}

/// Applies every migration newer than the recorded schema version, all in one transaction.
fn apply_migrations(conn: &mut Connection) -> Result<(), DbError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL
         );",
    )?;
    // Migrations may fold case the way the application does (SQLite's lower() is ASCII-only).
    conn.create_scalar_function(
        "casefold",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(casefold(&ctx.get::<String>(0)?)),
    )?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: u32 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    for (version, name, sql) in migrations::MIGRATIONS {
        if *version <= current {
            continue;
        }
        tx.execute_batch(sql).map_err(|source| DbError::Migration {
            version: *version,
            name: name.to_string(),
            source,
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![version, name, crate::clock::rfc3339(chrono::Utc::now())],
        )?;
        tracing::info!(version, name, "applied migration");
    }
    tx.commit()?;
    Ok(())
}

/// The newest schema version this binary knows.
pub fn latest_schema_version() -> u32 {
    migrations::MIGRATIONS
        .last()
        .map(|(v, _, _)| *v)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrations_apply_once_and_wal_is_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let db = Db::open(&path, 2).unwrap();
        let (mode, version): (String, u32) = db
            .read(|c| {
                let mode = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                let v = c.query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                    r.get(0)
                })?;
                Ok::<_, DbError>((mode, v))
            })
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(version, latest_schema_version());
        drop(db);
        // Re-opening applies nothing twice (a second INSERT of the same version would fail).
        let db = Db::open(&path, 2).unwrap();
        let count: u32 = db
            .read(|c| {
                c.query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
                    .map_err(DbError::from)
            })
            .await
            .unwrap();
        assert_eq!(count as usize, migrations::MIGRATIONS.len());
    }

    /// Migration 0012 keys character names by their Unicode lowercase; live names that only the
    /// old ASCII-only rule told apart ('Émile', 'émile') keep distinct keys instead of failing
    /// the migration, and the index then refuses a third spelling.
    #[test]
    fn character_name_keys_fold_unicode_and_keep_legacy_duplicates() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = OFF; CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);").unwrap();
        for (version, name, sql) in migrations::MIGRATIONS.iter().filter(|m| m.0 < 12) {
            conn.execute_batch(sql).unwrap();
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?1, ?2, 'then')",
                rusqlite::params![version, name],
            )
            .unwrap();
        }
        for (id, name) in [("c1", "Émile"), ("c2", "émile"), ("c3", "Zoë")] {
            conn.execute(
                "INSERT INTO characters (id, project_id, name, created_at, updated_at)
                 VALUES (?1, 'p', ?2, 'then', 'then')",
                [id, name],
            )
            .unwrap();
        }
        apply_migrations(&mut conn).unwrap();
        let keys: Vec<(String, String)> = conn
            .prepare("SELECT id, name_key FROM characters ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            keys,
            [
                ("c1".to_string(), "émile".to_string()),
                ("c2".into(), "émile#c2".into()),
                ("c3".into(), "zoë".into()),
            ]
        );
        let third = conn.execute(
            "INSERT INTO characters (id, project_id, name, name_key, created_at, updated_at)
             VALUES ('c4', 'p', 'ÉMILE', ?1, 'now', 'now')",
            [casefold("ÉMILE")],
        );
        assert!(third.is_err(), "a third spelling must be refused");
    }

    /// A long read holds a snapshot on a reader; a write commits meanwhile (WAL), and the read
    /// keeps seeing its snapshot until it ends.
    #[tokio::test]
    async fn a_long_read_does_not_block_a_write() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), 2).unwrap();
        let (in_read_tx, in_read_rx) = tokio::sync::oneshot::channel::<()>();
        let (wrote_tx, wrote_rx) = std::sync::mpsc::channel::<()>();
        let count = |c: &Connection| {
            c.query_row(
                "SELECT COUNT(*) FROM settings WHERE key = 'long'",
                [],
                |r| r.get::<_, i64>(0),
            )
        };
        let reader = {
            let db = db.clone();
            tokio::spawn(async move {
                db.read_snapshot(move |tx| {
                    let before = count(tx)?;
                    let _ = in_read_tx.send(());
                    // Bounded: a write that waited for this read would fail the test, not hang it.
                    let wrote = wrote_rx.recv_timeout(Duration::from_secs(30)).is_ok();
                    Ok::<_, DbError>((before, wrote, count(tx)?))
                })
                .await
            })
        };
        in_read_rx.await.unwrap();
        db.write(|tx| {
            tx.execute("INSERT INTO settings (key, value) VALUES ('long', '1')", [])?;
            Ok::<_, DbError>(())
        })
        .await
        .unwrap();
        wrote_tx.send(()).unwrap();
        let (before, wrote, after) = reader.await.unwrap().unwrap();
        assert!(wrote, "the write committed while the read was open");
        assert_eq!((before, after), (0, 0), "the read kept its snapshot");
        let now: i64 = db
            .read(move |c| count(c).map_err(DbError::from))
            .await
            .unwrap();
        assert_eq!(now, 1, "a new read sees the write");
    }

    #[tokio::test]
    async fn a_failed_write_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), 1).unwrap();
        let res: Result<(), DbError> = db
            .write(|tx| {
                tx.execute("INSERT INTO settings (key, value) VALUES ('a', '1')", [])?;
                tx.execute("INSERT INTO settings (key, value) VALUES ('a', '2')", [])?; // duplicate key
                Ok(())
            })
            .await;
        assert!(res.is_err());
        let n: i64 = db
            .read(|c| {
                // Migrations seed settings of their own: count only this test's key.
                c.query_row("SELECT COUNT(*) FROM settings WHERE key = 'a'", [], |r| {
                    r.get(0)
                })
                .map_err(DbError::from)
            })
            .await
            .unwrap();
        assert_eq!(
            n, 0,
            "the first insert must have been rolled back with the second"
        );
    }
}

/// A stored JSON column's value. One that does not decode is an error in the log (with the column
/// it came from) and reads as `fallback`, so the row stays readable; it is never silently
/// replaced.
pub fn json_column<T: serde::de::DeserializeOwned>(
    column: &'static str,
    text: &str,
    fallback: T,
) -> T {
    match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => {
            tracing::error!(column, %error, "a stored JSON column does not decode");
            fallback
        }
    }
}

/// [`json_column`] for a nullable column: `None` when NULL, or (logged) when it does not decode.
pub fn json_column_opt<T: serde::de::DeserializeOwned>(
    column: &'static str,
    text: Option<&str>,
) -> Option<T> {
    let text = text?;
    match serde_json::from_str(text) {
        Ok(value) => Some(value),
        Err(error) => {
            tracing::error!(column, %error, "a stored JSON column does not decode");
            None
        }
    }
}

#[cfg(test)]
mod json_column_tests {
    use super::*;

    #[test]
    fn undecodable_json_columns_fall_back_and_good_ones_decode() {
        assert_eq!(json_column("t.c", "[1,2]", Vec::<u8>::new()), vec![1, 2]);
        assert_eq!(json_column("t.c", "{oops", vec![9u8]), vec![9]);
        assert_eq!(json_column_opt::<u8>("t.c", Some("7")), Some(7));
        assert_eq!(json_column_opt::<u8>("t.c", Some("x")), None);
        assert_eq!(json_column_opt::<u8>("t.c", None), None);
    }
}
