//! The team server's PostgreSQL backend (`storyloom serve --database postgres://…`): a pool of
//! connections used from blocking threads, as the SQLite side is, so the domains' store
//! functions run unchanged (src/db/sql.rs).
//!
//! Writes are serialised by one transaction-scoped advisory lock, taken first in every write
//! transaction, across every replica on the database. That keeps SQLite's guarantee the store
//! functions were written against (a write that reads and then writes sees no other write in
//! between) without auditing each of them for row locks first; reads never take it. Finer
//! locking, where a measured path needs it, can replace the lock one write at a time.
use std::{
    panic::AssertUnwindSafe,
    str::FromStr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use super::{sql, DbError};
use sql::pg::PgConn;

mod migrations {
    include!(concat!(env!("OUT_DIR"), "/pg_migrations.rs"));
}

/// The advisory lock every write transaction takes (an arbitrary constant: "SLW1").
const WRITE_LOCK: i64 = 0x534c_5731;
/// Where the `*_notify_replicas` triggers announce a committed change to `api_keys` or `users`.
const CREDENTIALS_CHANNEL: &str = "storyloom_credentials";
/// The advisory lock migrations take, so replicas starting together apply them once.
const MIGRATION_LOCK: i64 = 0x534c_4d31;

#[derive(Clone)]
pub(super) struct PgDb {
    pool: r2d2::Pool<Manager>,
    /// One permit per connection: async callers wait here as tasks, not as parked threads.
    gate: Arc<tokio::sync::Semaphore>,
    /// Moves on after every committed write of this process (a conservative stand-in for the
    /// SQLite side's update hook: any write may have touched a credential), and on every
    /// credential change another replica commits (its NOTIFY, a few milliseconds later).
    generation: Arc<AtomicU64>,
    writes: Arc<AtomicU64>,
    describe: String,
    config: Arc<tokio_postgres::Config>,
    /// Keeps the credentials listener's connection open for as long as the database is.
    _credentials_bus: Option<tokio::sync::mpsc::UnboundedSender<String>>,
}

struct Manager {
    config: tokio_postgres::Config,
}

/// The runtime that runs every PostgreSQL connection's socket I/O of the process, on one thread
/// of its own: callers block on their queries' futures from any thread (a blocking thread, the
/// CLI, a test's runtime) without entering a runtime themselves.
fn io_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("postgres-io")
            .enable_all()
            .build()
            .expect("the PostgreSQL I/O runtime starts")
    })
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = tokio_postgres::Error;

    fn connect(&self) -> Result<PgConn, tokio_postgres::Error> {
        let config = self.config.clone();
        let connected = io_runtime().spawn(async move {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::warn!(%error, "PostgreSQL connection ended");
                }
            });
            Ok(client)
        });
        let client = futures_executor::block_on(connected)
            .unwrap_or_else(|p| std::panic::resume_unwind(p.into_panic()))?;
        Ok(PgConn::new(client))
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), tokio_postgres::Error> {
        futures_executor::block_on(conn.client().simple_query("")).map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.is_broken()
    }
}

impl PgDb {
    #[tracing::instrument(skip(url))]
    pub(super) fn open(url: &str, connections: u32) -> Result<Self, DbError> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| DbError::Task(format!("invalid PostgreSQL URL: {e}")))?;
        // Notices (e.g. "already exists, skipping" from IF NOT EXISTS) are not worth a log line.
        config.options("-c client_min_messages=warning");
        let describe = describe(&config);
        let connections = connections.max(2);
        let pool = r2d2::Pool::builder()
            .max_size(connections)
            .min_idle(Some(1))
            .connection_timeout(std::time::Duration::from_secs(10))
            .build(Manager {
                config: config.clone(),
            })
            .map_err(|e| DbError::Task(format!("cannot connect to {describe}: {e}")))?;
        let db = Self {
            pool,
            gate: Arc::new(tokio::sync::Semaphore::new(connections as usize)),
            generation: Arc::default(),
            writes: Arc::default(),
            describe,
            config: Arc::new(config),
            _credentials_bus: None,
        };
        db.migrate()?;
        // Credential changes committed by any replica (a trigger's NOTIFY) move this process's
        // generation on, so its cached key checks are dropped (src/auth/mod.rs).
        let generation = Arc::clone(&db.generation);
        let listening = db.bus(
            CREDENTIALS_CHANNEL,
            Box::new(move |_| {
                generation.fetch_add(1, Ordering::AcqRel);
            }),
        );
        Ok(Self {
            _credentials_bus: Some(listening),
            ..db
        })
    }

    pub(super) fn describe(&self) -> String {
        self.describe.clone()
    }

    pub(super) fn credentials_generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub(super) fn write_counts(&self) -> (u64, u64) {
        let n = self.writes.load(Ordering::Relaxed);
        (n, n)
    }

    /// Applies every migration newer than the recorded version, each in its own transaction,
    /// under a lock so that replicas starting together apply each once.
    fn migrate(&self) -> Result<(), DbError> {
        let conn = self.pool.get()?;
        let c = sql::Connection::postgres(&conn);
        c.execute_batch(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
        let out = (|| -> Result<(), DbError> {
            c.execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version    BIGINT PRIMARY KEY,
                     name       TEXT NOT NULL,
                     applied_at TEXT NOT NULL
                 )",
            )?;
            let current: i64 = c.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )?;
            for (version, name, text) in migrations::MIGRATIONS {
                if i64::from(*version) <= current {
                    continue;
                }
                c.execute_batch("BEGIN")?;
                conn.set_in_transaction(true);
                let applied = c.execute_batch(text).and_then(|_| {
                    c.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                        sql::params![version, name, crate::clock::rfc3339(chrono::Utc::now())],
                    )
                });
                conn.set_in_transaction(false);
                match applied {
                    Ok(_) => c.execute_batch("COMMIT")?,
                    Err(e) => {
                        let _ = c.execute_batch("ROLLBACK");
                        return Err(DbError::Task(format!(
                            "PostgreSQL migration {version} ({name}) failed: {e}"
                        )));
                    }
                }
                tracing::info!(version, name, "applied PostgreSQL migration");
            }
            Ok(())
        })();
        let _ = c.execute_batch(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
        out
    }

    pub(super) async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Connection<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let this = self.clone();
        self.on_blocking_thread(move || this.read_sync(f)).await
    }

    pub(super) async fn read_snapshot<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let this = self.clone();
        self.on_blocking_thread(move || {
            this.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", false, f)
        })
        .await
    }

    pub(super) fn read_sync<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Connection<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        let conn = self.pool.get().map_err(DbError::from)?;
        f(&sql::Connection::postgres(&conn))
    }

    pub(super) async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let this = self.clone();
        self.on_blocking_thread(move || this.write_sync(f)).await
    }

    pub(super) async fn write_short<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        // A network round trip per statement: never on an async worker.
        self.write(f).await
    }

    pub(super) fn write_sync<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        let out = self.transaction(
            &format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"),
            true,
            f,
        );
        self.writes.fetch_add(1, Ordering::Relaxed);
        // After the commit (or the rollback: moving on then is merely a cache miss).
        self.generation.fetch_add(1, Ordering::AcqRel);
        out
    }

    /// Runs `f` between `begin` and a COMMIT (a ROLLBACK when it fails or panics).
    fn transaction<T, E, F>(&self, begin: &str, write: bool, f: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Transaction<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        let conn = self.pool.get().map_err(DbError::from)?;
        let c = sql::Connection::postgres(&conn);
        c.execute_batch(begin).map_err(DbError::from)?;
        conn.set_in_transaction(true);
        let out = std::panic::catch_unwind(AssertUnwindSafe(|| f(&c))).unwrap_or_else(|_| {
            Err(E::from(DbError::Task(
                if write {
                    "a write transaction panicked"
                } else {
                    "a read transaction panicked"
                }
                .into(),
            )))
        });
        let ended = match out {
            Ok(v) => c
                .execute_batch("COMMIT")
                .map(|_| v)
                .map_err(|e| E::from(e.into())),
            Err(e) => {
                if c.execute_batch("ROLLBACK").is_err() {
                    // A connection whose transaction state is unknown is not handed out again.
                    conn.mark_broken();
                }
                Err(e)
            }
        };
        conn.set_in_transaction(false);
        ended
    }

    async fn on_blocking_thread<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        super::gated_blocking(&self.gate, f).await
    }
}

impl PgDb {
    /// Messages on `channel` between the processes on this database (`LISTEN`/`NOTIFY`): what is
    /// sent on the returned sender reaches `deliver` in every process listening, this one
    /// included, in order. One connection of its own, on the I/O runtime; if it drops, the bus
    /// logs it and stops (progress events are a convenience: clients read state with a GET).
    pub(super) fn bus(
        &self,
        channel: &'static str,
        deliver: Box<dyn Fn(String) + Send + 'static>,
    ) -> tokio::sync::mpsc::UnboundedSender<String> {
        let (publish, mut outgoing) = tokio::sync::mpsc::unbounded_channel::<String>();
        let config = Arc::clone(&self.config);
        io_runtime().spawn(async move {
            let (client, mut connection) = match config.connect(tokio_postgres::NoTls).await {
                Ok(c) => c,
                Err(error) => {
                    tracing::warn!(channel, %error, "the event bus cannot connect");
                    return;
                }
            };
            tokio::spawn(async move {
                let mut messages =
                    futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                while let Some(message) = futures_util::StreamExt::next(&mut messages).await {
                    match message {
                        Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                            deliver(n.payload().to_string())
                        }
                        Ok(_) => {}
                        Err(error) => {
                            tracing::warn!(channel, %error, "the event bus's connection failed");
                            break;
                        }
                    }
                }
            });
            if let Err(error) = client.batch_execute(&format!("LISTEN {channel}")).await {
                tracing::warn!(channel, %error, "the event bus cannot listen");
                return;
            }
            while let Some(payload) = outgoing.recv().await {
                if let Err(error) = client
                    .execute("SELECT pg_notify($1, $2)", &[&channel, &payload])
                    .await
                {
                    tracing::warn!(channel, %error, "an event could not be sent to the other processes");
                }
            }
        });
        publish
    }
}

/// `postgres://user@host:port/dbname`, never the password.
fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            tokio_postgres::config::Host::Tcp(h) => format!("{h}:{port}"),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .collect();
    format!(
        "postgres://{}@{}/{}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}
