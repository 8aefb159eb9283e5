//! SQLite storage: one writer connection (writes are serialised by SQLite anyway) and a small pool of
//! readers, all used from blocking threads so the async executor never waits on disk.
use crate::error::{CodedError, ErrorCode};
use std::{
    collections::VecDeque,
    panic::AssertUnwindSafe,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{functions::FunctionFlags, Connection, OpenFlags, Transaction, TransactionBehavior};

#[cfg(feature = "server")]
pub mod copy;
#[cfg(feature = "server")]
mod postgres;
pub mod sql;

mod migrations {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sql(#[from] sql::Error),
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

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError::Sql(e.into())
    }
}

impl CodedError for DbError {
    fn code(&self) -> ErrorCode {
        ErrorCode::Internal
    }
}

/// The database of an instance: a SQLite file (the desktop, and a server by default) or, for a
/// team server past one machine, PostgreSQL (`--database postgres://…`). Domains see the same
/// API either way and hand it closures over a [`sql::Connection`].
#[derive(Clone)]
pub struct Db {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite(SqliteDb),
    #[cfg(feature = "server")]
    Postgres(postgres::PgDb),
}

#[derive(Clone)]
struct SqliteDb {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    readers: r2d2::Pool<SqliteConnectionManager>,
    /// One permit per reader connection: async reads wait here (a task, no thread) rather than
    /// on blocking threads parked in the pool's checkout. Without it, 64 concurrent requests kept
    /// ~130 blocking threads fighting over 4 connections (docs/BENCHMARKS.md, "Hot paths").
    read_gate: Arc<tokio::sync::Semaphore>,
    watches: Arc<TableWatches>,
    /// Writes waiting for the writer (group commit, see [`Db::write`]).
    pending: Arc<Mutex<VecDeque<Box<dyn WriteJob>>>>,
    /// True while a thread runs writes: a blocking thread draining `pending` (at most one does),
    /// or a caller running its lone short write itself ([`Db::write_short`]).
    draining: Arc<AtomicBool>,
    stats: Arc<WriteStats>,
    checkpoints: Arc<Checkpointer>,
}

/// Commits between two background checkpoints.
const CHECKPOINT_EVERY: u64 = 64;

/// The writer's own checkpoint threshold (WAL frames), a safety net: normally the checkpointer
/// thread has copied the WAL back long before. SQLite's default, 1,000 frames, made every ~70th
/// ledger write copy the WAL into the database and fsync both, on the writer.
const WRITER_AUTOCHECKPOINT: i64 = 10_000;

/// Copies the WAL back into the database on a thread of its own (`PRAGMA wal_checkpoint(PASSIVE)`
/// on its own connection), so no write waits for that copy or its fsyncs. Ends with the last
/// clone of the [`Db`].
struct Checkpointer {
    commits: AtomicU64,
    wake: Mutex<Option<std::sync::mpsc::SyncSender<()>>>,
}

impl Checkpointer {
    fn start(path: &Path) -> Self {
        let (wake, wakes) = std::sync::mpsc::sync_channel::<()>(1);
        let path = path.to_path_buf();
        let started = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                let Ok(conn) = Connection::open(&path) else {
                    return;
                };
                if configure(&conn).is_err() {
                    return;
                }
                while wakes.recv().is_ok() {
                    // PASSIVE: copies what no reader still needs and never waits; the writer
                    // goes on appending meanwhile.
                    if let Err(error) =
                        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!(%error, "background checkpoint failed");
                    }
                }
            });
        Self {
            commits: AtomicU64::new(0),
            // Without the thread (it could not start), the writer's own checkpoints still run.
            wake: Mutex::new(started.ok().map(|_| wake)),
        }
    }

    /// Called after each commit of the writer.
    fn committed(&self) {
        if (self.commits.fetch_add(1, Ordering::Relaxed) + 1).is_multiple_of(CHECKPOINT_EVERY) {
            if let Some(wake) = &*self.wake.lock().unwrap_or_else(|p| p.into_inner()) {
                // Full: a checkpoint is already due, which covers this one.
                let _ = wake.try_send(());
            }
        }
    }
}

/// Counts of [`Db::write`] calls and of the transactions that carried them.
#[derive(Default)]
struct WriteStats {
    writes: AtomicU64,
    transactions: AtomicU64,
}

/// Writes committed together at most (group commit).
const MAX_BATCH: usize = 64;

/// A batch stops taking more of its writes after this long, so a fast write never waits long
/// behind slow ones for its commit; the rest go to the next batch.
const BATCH_BUDGET: Duration = Duration::from_millis(2);

/// One queued [`Db::write`]: its closure, then its outcome once the batch commits or fails.
trait WriteJob: Send {
    /// Runs the closure inside the batch's transaction; false when it failed (or panicked), so
    /// its changes must be undone.
    fn run(&mut self, tx: &Transaction<'_>) -> bool;
    /// Sends the result: the closure's own, or `failure` (the batch did not commit).
    fn finish(self: Box<Self>, failure: Option<&rusqlite::Error>);
}

struct Job<T, E, F> {
    f: Option<F>,
    out: Option<Result<T, E>>,
    reply: tokio::sync::oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> WriteJob for Job<T, E, F>
where
    F: FnOnce(&sql::Transaction<'_>) -> Result<T, E> + Send,
    T: Send,
    E: From<DbError> + Send,
{
    fn run(&mut self, tx: &Transaction<'_>) -> bool {
        let Some(f) = self.f.take() else {
            return false;
        };
        let out = std::panic::catch_unwind(AssertUnwindSafe(|| f(&sql::Connection::sqlite(tx))))
            .unwrap_or_else(|_| {
                Err(E::from(DbError::Task(
                    "a write transaction panicked".into(),
                )))
            });
        let ok = out.is_ok();
        self.out = Some(out);
        ok
    }

    fn finish(self: Box<Self>, failure: Option<&rusqlite::Error>) {
        let out = match (self.out, failure) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), None) => Ok(v),
            (_, Some(e)) => Err(E::from(DbError::from(copy_error(e)))),
            (None, None) => Err(E::from(DbError::Task("the write did not run".into()))),
        };
        // The caller may have gone (a dropped request): the write stands all the same.
        let _ = self.reply.send(out);
    }
}

/// Clears the "a thread is draining" flag if the drain unwinds.
struct ResetOnUnwind<'a>(&'a AtomicBool);

impl Drop for ResetOnUnwind<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// The same failure for each write of a batch that did not commit.
fn copy_error(e: &rusqlite::Error) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(code, msg) => {
            rusqlite::Error::SqliteFailure(*code, msg.clone())
        }
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    }
}

/// Tables whose rows decide what a credential may do: a committed write to one of them moves
/// [`Db::credentials_generation`] on, so a cache of credential checks (src/auth) knows it is stale.
const CREDENTIAL_TABLES: [&str; 2] = ["api_keys", "users"];
/// Tables the model router's channels are read from: a committed write to one of them moves
/// [`Db::registry_generation`] on (the router's channel cache, src/router/channels.rs).
const REGISTRY_TABLES: [&str; 2] = ["ai_models", "ai_providers"];

/// One cache's tables: a generation that moves on after each commit that changed one of them.
#[derive(Default)]
struct TableWatch {
    /// Set by the writer's update hook when a statement changes a row of a watched table.
    dirty: AtomicBool,
    generation: AtomicU64,
}

impl TableWatch {
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// After the commit (or the rollback: moving on then is merely a cache miss), so a cached
    /// read of the old rows is stale before the write returns.
    fn committed(&self) {
        if self.dirty.swap(false, Ordering::AcqRel) {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
    }
}

#[derive(Default)]
struct TableWatches {
    credentials: TableWatch,
    registry: TableWatch,
}

impl TableWatches {
    /// The writer's update hook: a statement changed a row of `table`.
    fn changed(&self, table: &str) {
        if CREDENTIAL_TABLES.contains(&table) {
            self.credentials.dirty.store(true, Ordering::Release);
        } else if REGISTRY_TABLES.contains(&table) {
            self.registry.dirty.store(true, Ordering::Release);
        }
    }

    fn committed(&self) {
        self.credentials.committed();
        self.registry.committed();
    }
}

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection (`prepare_cached`): the ledger's and the hot reads'
/// statements all fit, so none is parsed again on a hot path.
const STATEMENT_CACHE: usize = 128;

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

macro_rules! dispatch {
    ($self:ident, $db:ident => $body:expr) => {
        match &$self.backend {
            Backend::Sqlite($db) => $body,
            #[cfg(feature = "server")]
            Backend::Postgres($db) => $body,
        }
    };
}

impl Db {
    /// Opens (or creates) the SQLite file, switches it to WAL and applies pending migrations.
    pub fn open(path: &Path, readers: u32) -> Result<Self, DbError> {
        Ok(Self {
            backend: Backend::Sqlite(SqliteDb::open(path, readers)?),
        })
    }

    /// Connects to PostgreSQL (`postgres://…`) with up to `connections` connections and applies
    /// pending migrations (`migrations/postgres/`).
    #[cfg(feature = "server")]
    pub fn open_postgres(url: &str, connections: u32) -> Result<Self, DbError> {
        Ok(Self {
            backend: Backend::Postgres(postgres::PgDb::open(url, connections)?),
        })
    }

    pub fn dialect(&self) -> sql::Dialect {
        match self.backend {
            Backend::Sqlite(_) => sql::Dialect::Sqlite,
            #[cfg(feature = "server")]
            Backend::Postgres(_) => sql::Dialect::Postgres,
        }
    }

    /// The SQLite file; `None` on PostgreSQL.
    pub fn path(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Sqlite(db) => Some(&db.path),
            #[cfg(feature = "server")]
            Backend::Postgres(_) => None,
        }
    }

    /// Where the data lives, for logs: the file's path, or the PostgreSQL server without its
    /// password.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Sqlite(db) => db.path.display().to_string(),
            #[cfg(feature = "server")]
            Backend::Postgres(db) => db.describe(),
        }
    }

    /// Moves on after every committed write that may have changed a credential (see
    /// [`SqliteDb::credentials_generation`]).
    pub fn credentials_generation(&self) -> u64 {
        dispatch!(self, db => db.credentials_generation())
    }

    /// Moves on after every committed write that may have changed a model or a provider (on
    /// SQLite exactly those; on PostgreSQL, as for credentials, every write of this process).
    /// Other PostgreSQL replicas' registry changes do not move it: a cache keyed on it also
    /// needs an age limit.
    pub fn registry_generation(&self) -> u64 {
        match &self.backend {
            Backend::Sqlite(db) => db.registry_generation(),
            #[cfg(feature = "server")]
            Backend::Postgres(db) => db.credentials_generation(),
        }
    }

    /// (writes, transactions) so far: their ratio is the group commit's mean batch.
    pub fn write_counts(&self) -> (u64, u64) {
        dispatch!(self, db => db.write_counts())
    }

    /// Runs `f` on a reader connection on a blocking thread.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Connection<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        dispatch!(self, db => db.read(f).await)
    }

    /// Runs `f` in one read-only snapshot (all its queries see the same data).
    pub async fn read_snapshot<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        dispatch!(self, db => db.read_snapshot(f).await)
    }

    /// Runs `f` on a reader connection on the calling thread (never an async worker's).
    pub fn read_sync<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Connection<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        dispatch!(self, db => db.read_sync(f))
    }

    /// Runs `f` in one write transaction; its changes stand only if it returns `Ok`, and this
    /// returns once they are committed. Writes are serialised (SQLite's one writer; on
    /// PostgreSQL one transaction-scoped lock), so a store function may read and then write.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        dispatch!(self, db => db.write(f).await)
    }

    /// [`Db::write`] for a short write (a ledger hold, settle or void).
    pub async fn write_short<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        dispatch!(self, db => db.write_short(f).await)
    }

    /// The synchronous form of [`Db::write`], for start-up and command-line work (never on an
    /// async worker).
    pub fn write_sync<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        dispatch!(self, db => db.write_sync(f))
    }

    /// Runs `f` outside the write lock, each of its statements committing on its own (PostgreSQL's
    /// autocommit): for a write that is one self-contained statement, atomic by itself through
    /// its row lock (a rate-limit counter's upsert), which need not queue behind every other
    /// write. On SQLite, an ordinary write.
    pub async fn write_unserialised<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Connection<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(db) => db.write(f).await,
            #[cfg(feature = "server")]
            Backend::Postgres(db) => db.read(f).await,
        }
    }

    /// Messages between the processes on this database (PostgreSQL's `LISTEN`/`NOTIFY` on
    /// `channel`): `deliver` gets every message sent by any of them; the returned sender sends.
    /// `None` on SQLite, where one process serves the file.
    pub fn bus(
        &self,
        channel: &'static str,
        deliver: impl Fn(String) + Send + 'static,
    ) -> Option<tokio::sync::mpsc::UnboundedSender<String>> {
        match &self.backend {
            Backend::Sqlite(_) => {
                let _ = (channel, deliver);
                None
            }
            #[cfg(feature = "server")]
            Backend::Postgres(db) => Some(db.bus(channel, Box::new(deliver))),
        }
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

impl SqliteDb {
    /// Opens (or creates) the database file, switches it to WAL and applies pending migrations.
    #[tracing::instrument]
    fn open(path: &Path, readers: u32) -> Result<Self, DbError> {
        let mut writer = Connection::open(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        configure(&writer)?;
        // Savepoints (group commit) and statement journals stay in memory: on disk, a batch of
        // ledger writes spilled its page images to a temporary file.
        writer.pragma_update(None, "temp_store", "MEMORY")?;
        // The ledger's indexes are the writer's working set; SQLite's default 2 MB cache sent it
        // back to the file (pread) for pages it had just written.
        writer.pragma_update(None, "cache_size", -16 * 1024)?;
        writer.pragma_update(None, "wal_autocheckpoint", WRITER_AUTOCHECKPOINT)?;
        apply_migrations(&mut writer)?;
        let watches = Arc::new(TableWatches::default());
        {
            let watches = watches.clone();
            writer.update_hook(Some(
                move |_: rusqlite::hooks::Action, _: &str, table: &str, _: i64| {
                    watches.changed(table)
                },
            ))?;
        }

        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|c: &mut Connection| configure(c));
        let readers = r2d2::Pool::builder()
            .max_size(readers.max(1))
            .min_idle(Some(0))
            .build(manager)?;
        let read_gate = Arc::new(tokio::sync::Semaphore::new(readers.max_size() as usize));
        Ok(Self {
            path: path.to_path_buf(),
            writer: Arc::new(Mutex::new(writer)),
            readers,
            read_gate,
            watches,
            pending: Arc::default(),
            draining: Arc::default(),
            stats: Arc::default(),
            checkpoints: Arc::new(Checkpointer::start(path)),
        })
    }

    /// Moves on after every committed write that changed a row of `users` or `api_keys` (by the
    /// time [`Db::write`] returns). A credential check made at generation `g` still holds while
    /// this is `g`: nothing it read has changed since, in this process.
    pub fn credentials_generation(&self) -> u64 {
        self.watches.credentials.generation()
    }

    /// Moves on after every committed write that changed a row of `ai_models` or
    /// `ai_providers` (by the time [`Db::write`] returns).
    pub fn registry_generation(&self) -> u64 {
        self.watches.registry.generation()
    }

    /// (writes, transactions) run through [`Db::write`] so far: their ratio is the group
    /// commit's mean batch (the ledger benchmark prints it).
    pub fn write_counts(&self) -> (u64, u64) {
        (
            self.stats.writes.load(Ordering::Relaxed),
            self.stats.transactions.load(Ordering::Relaxed),
        )
    }

    /// Runs `f` on a reader connection on a blocking thread.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Connection<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.readers.clone();
        gated_blocking(&self.read_gate, move || {
            let conn = pool.get().map_err(DbError::from)?;
            f(&sql::Connection::sqlite(&conn))
        })
        .await
    }

    /// Runs `f` inside one read transaction on a reader connection, on a blocking thread, so that
    /// all its queries see one snapshot. Reads never take the writer: in WAL mode the writer keeps
    /// committing while a long read runs (docs/BENCHMARKS.md, "Storyboard read").
    pub async fn read_snapshot<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.readers.clone();
        gated_blocking(&self.read_gate, move || {
            let conn = pool.get().map_err(DbError::from)?;
            // Deferred: the snapshot starts at the first read and takes no lock a writer waits on.
            let tx = conn.unchecked_transaction().map_err(DbError::from)?;
            let out = f(&sql::Connection::sqlite(&tx))?;
            tx.finish().map_err(DbError::from)?;
            Ok(out)
        })
        .await
    }

    /// Runs `f` on a reader connection on the calling thread (short reads off the async path, e.g.
    /// progress figures for an event).
    pub fn read_sync<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Connection<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        let conn = self.readers.get().map_err(DbError::from)?;
        f(&sql::Connection::sqlite(&conn))
    }

    /// Runs `f` inside a `BEGIN IMMEDIATE` transaction on the writer, on a blocking thread; its
    /// changes stand only if `f` returns `Ok`, and this returns once they are committed.
    ///
    /// Group commit: writes that queue up while the writer is busy run one after another in one
    /// transaction, each inside its own savepoint (a write that fails or panics is rolled back
    /// alone, and later writes of the batch see the earlier ones, exactly as if each had
    /// committed in turn), and commit together. A ledger hold writes ~20 pages; eight concurrent
    /// ones write the shared pages once (docs/BENCHMARKS.md, "Hot paths"). If the commit fails,
    /// every write of the batch gets the error and none of them stands.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        self.enqueue(Box::new(Job {
            f: Some(f),
            out: None,
            reply,
        }));
        outcome
            .await
            .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }

    /// [`Db::write`] for a write known to be short (a ledger hold, settle or void: a few dozen
    /// statements, no file work of its own). When no other write is queued or running it runs
    /// right here on the calling thread, in its own transaction: a queued write costs two thread
    /// hops and their wake-ups, which were most of a lone ledger write's time on the 2-core VM
    /// (docs/BENCHMARKS.md, "Hot paths"). Its commit does not wait for a checkpoint's copy or
    /// fsync ([`Checkpointer`]) unless the WAL outgrew [`WRITER_AUTOCHECKPOINT`]. Otherwise it
    /// joins the queue as [`Db::write`] does. Same
    /// outcome either way: its changes stand only if `f` returns `Ok`, a panic is an error.
    pub async fn write_short<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        if self.draining.swap(true, Ordering::SeqCst) {
            return self.write(f).await;
        }
        // The flag is ours: run it here if the writer is idle, else queue it and drain.
        match self.run_alone(f) {
            Ok(out) => out,
            Err(f) => {
                let (reply, outcome) = tokio::sync::oneshot::channel();
                self.pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_back(Box::new(Job {
                        f: Some(f),
                        out: None,
                        reply,
                    }));
                self.spawn_drain();
                outcome
                    .await
                    .map_err(|e| E::from(DbError::Task(e.to_string())))?
            }
        }
    }

    /// [`Db::write_short`]'s own run, by a caller that has set `draining`: `f` back when a write
    /// is queued or `write_sync` holds the writer (an export's progress), never waiting for it.
    fn run_alone<T, E, F>(&self, f: F) -> Result<Result<T, E>, F>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        let idle = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty();
        if !idle {
            return Err(f);
        }
        let mut conn = match self.writer.try_lock() {
            Ok(conn) => conn,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Err(f),
        };
        let out = std::panic::catch_unwind(AssertUnwindSafe(|| {
            Self::write_blocking(&mut conn, &self.watches, f)
        }))
        .unwrap_or_else(|_| {
            Err(E::from(DbError::Task(
                "a write transaction panicked".into(),
            )))
        });
        drop(conn);
        self.stats.writes.fetch_add(1, Ordering::Relaxed);
        self.stats.transactions.fetch_add(1, Ordering::Relaxed);
        self.checkpoints.committed();
        self.draining.store(false, Ordering::SeqCst);
        // Writes queued meanwhile found the flag set and started nobody.
        let queued = !self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty();
        if queued && !self.draining.swap(true, Ordering::SeqCst) {
            self.spawn_drain();
        }
        Ok(out)
    }

    /// Queues a write and makes sure a blocking thread drains the queue.
    fn enqueue(&self, job: Box<dyn WriteJob>) {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(job);
        // One blocking thread drains the queue while there is anything in it; a write that
        // finds it at work just waits for its batch (one thread per write parked ~60 threads on
        // the writer's mutex with 64 concurrent writers).
        if !self.draining.swap(true, Ordering::SeqCst) {
            self.spawn_drain();
        }
    }

    /// Starts the blocking thread that drains the queue; the caller has set `draining`.
    fn spawn_drain(&self) {
        let (writer, watches, pending, draining, stats, checkpoints) = (
            self.writer.clone(),
            self.watches.clone(),
            self.pending.clone(),
            self.draining.clone(),
            self.stats.clone(),
            self.checkpoints.clone(),
        );
        tokio::task::spawn_blocking(move || loop {
            // Should the drain itself panic, the next write starts another.
            let reset = ResetOnUnwind(&draining);
            // One batch per lock, so `write_sync` gets its turn between batches. A panic
            // inside a previous write poisons the mutex, but the connection is still sound
            // (its transaction was rolled back on drop), so keep using it.
            while Self::drain(
                &mut writer.lock().unwrap_or_else(|p| p.into_inner()),
                &watches,
                &pending,
                &stats,
            ) {
                checkpoints.committed();
            }
            std::mem::forget(reset);
            draining.store(false, Ordering::SeqCst);
            // A write queued between the last empty look and the line above found the flag
            // still set and spawned nobody: take it on (unless a new drain already has).
            let queued = !pending.lock().unwrap_or_else(|p| p.into_inner()).is_empty();
            if !queued || draining.swap(true, Ordering::SeqCst) {
                break;
            }
        });
    }

    /// Runs the queued writes (up to [`MAX_BATCH`], for up to [`BATCH_BUDGET`]) in one
    /// transaction and reports each one's outcome after the commit; false when none was queued.
    fn drain(
        conn: &mut Connection,
        watches: &TableWatches,
        pending: &Mutex<VecDeque<Box<dyn WriteJob>>>,
        stats: &WriteStats,
    ) -> bool {
        let mut batch: Vec<Box<dyn WriteJob>> = {
            let mut queue = pending.lock().unwrap_or_else(|p| p.into_inner());
            let n = queue.len().min(MAX_BATCH);
            queue.drain(..n).collect()
        };
        if batch.is_empty() {
            return false;
        }
        let started = Instant::now();
        let failure = (|| -> Result<(), rusqlite::Error> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if batch.len() == 1 {
                // Alone: no savepoint; a failed write rolls the transaction back.
                if batch[0].run(&tx) {
                    tx.commit()?;
                }
                return Ok(());
            }
            let mut ran = 0;
            for job in batch.iter_mut() {
                tx.prepare_cached("SAVEPOINT batch_write")?.execute([])?;
                let ok = job.run(&tx);
                if tx.is_autocommit() {
                    // The write's error ended the whole transaction (an I/O error, a full
                    // disk): nothing of the batch stands.
                    return Err(rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                        Some("the batch's transaction was rolled back by an error".into()),
                    ));
                }
                if !ok {
                    tx.prepare_cached("ROLLBACK TO batch_write")?.execute([])?;
                }
                tx.prepare_cached("RELEASE batch_write")?.execute([])?;
                ran += 1;
                if started.elapsed() > BATCH_BUDGET {
                    break;
                }
            }
            if ran < batch.len() {
                // Over budget: the rest go first in the next batch.
                let mut queue = pending.lock().unwrap_or_else(|p| p.into_inner());
                for job in batch.drain(ran..).rev() {
                    queue.push_front(job);
                }
            }
            tx.commit()
        })()
        .err();
        watches.committed();
        stats
            .writes
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        stats.transactions.fetch_add(1, Ordering::Relaxed);
        for job in batch {
            job.finish(failure.as_ref());
        }
        true
    }

    /// The synchronous form of [`Db::write`], for start-up and command-line work.
    pub fn write_sync<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let out = Self::write_blocking(&mut conn, &self.watches, f);
        drop(conn);
        self.checkpoints.committed();
        out
    }

    fn write_blocking<T, E, F>(conn: &mut Connection, watches: &TableWatches, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        let out = (|| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(DbError::from)?;
            let out = f(&sql::Connection::sqlite(&tx))?;
            tx.commit().map_err(DbError::from)?;
            Ok(out)
        })();
        watches.committed();
        out
    }
}

/// Runs `f` on a blocking thread once `gate` (one permit per connection) lets it: async callers
/// wait as tasks, not as threads parked in a pool's checkout (docs/BENCHMARKS.md, "Hot paths").
async fn gated_blocking<T, E, F>(gate: &Arc<tokio::sync::Semaphore>, f: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let permit = gate
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        f()
    })
    .await
    .map_err(|e| E::from(DbError::Task(e.to_string())))?
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
        let count = |c: &sql::Connection<'_>| {
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

    /// Group commit: writes queued behind a busy writer share a transaction, yet each stands or
    /// falls alone (a failed or panicking write leaves nothing, the others all commit), and later
    /// writes see the earlier ones of their batch.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn batched_writes_commit_together_and_fail_alone() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), 2).unwrap();
        // Keep the writer busy so that the writes below queue up into batches.
        let busy = {
            let db = db.clone();
            tokio::spawn(async move {
                db.write(|tx| {
                    std::thread::sleep(Duration::from_millis(300));
                    tx.execute("INSERT INTO settings (key, value) VALUES ('g0', '0')", [])?;
                    Ok::<_, DbError>(())
                })
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let before = db.write_counts();
        let mut tasks = Vec::new();
        for i in 1..=40 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                db.write(move |tx| {
                    // Every write sees all committed-or-batched rows before it.
                    let seen: i64 = tx.query_row(
                        "SELECT COUNT(*) FROM settings WHERE key GLOB 'g*'",
                        [],
                        |r| r.get(0),
                    )?;
                    tx.execute(
                        "INSERT INTO settings (key, value) VALUES (?1, ?2)",
                        rusqlite::params![format!("g{i}"), seen.to_string()],
                    )?;
                    if i % 5 == 0 {
                        return Err(DbError::Task(format!("write {i} refused")));
                    }
                    if i == 7 {
                        panic!("write 7 panics after its insert");
                    }
                    Ok(i)
                })
                .await
            }));
        }
        busy.await.unwrap().unwrap();
        let mut committed = vec![0];
        for (i, t) in (1..=40).zip(tasks) {
            match t.await.unwrap() {
                Ok(n) => {
                    assert_eq!(n, i);
                    assert!(i % 5 != 0 && i != 7, "write {i} should have failed");
                    committed.push(i);
                }
                Err(e) => assert!(i % 5 == 0 || i == 7, "write {i} failed: {e}"),
            }
        }
        let after = db.write_counts();
        let (writes, transactions) = (after.0 - before.0, after.1 - before.1);
        assert!(
            transactions < writes,
            "{writes} writes in {transactions} transactions: nothing was batched"
        );
        let rows: Vec<(String, i64)> = db
            .read(|c| {
                let mut stmt = c.prepare("SELECT key, value FROM settings WHERE key GLOB 'g*'")?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((r.get(0)?, r.get::<_, String>(1)?.parse().unwrap()))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok::<_, DbError>(rows)
            })
            .await
            .unwrap();
        let mut keys: Vec<i64> = rows.iter().map(|(k, _)| k[1..].parse().unwrap()).collect();
        keys.sort();
        assert_eq!(keys, committed, "exactly the successful writes stand");
        // Each saw exactly the rows that stood before it (its batch's earlier writes included,
        // failed ones not): in queue order the counts are 0, 1, 2, … with no gap or repeat.
        let mut seen: Vec<i64> = rows.iter().map(|(_, v)| *v).collect();
        seen.sort();
        assert_eq!(seen, (0..rows.len() as i64).collect::<Vec<_>>(), "{rows:?}");
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
