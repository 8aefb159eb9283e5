//! Storyloom core: every domain, the HTTP API, storage. Never depends on Tauri: the desktop shell and
//! the server both serve [`api::router`].
pub mod accounts;
pub mod api;
pub mod assets;
pub mod auth;
pub mod blobs;
pub mod characters;
pub mod clock;
pub mod config;
pub mod create;
pub mod db;
pub mod error;
pub mod export;
pub mod instances;
pub mod job;
pub mod ledger;
pub mod limits;
pub mod paging;
pub mod payments;
pub mod progress;
pub mod projects;
pub mod prompts;
pub mod providers;
pub mod publish;
pub mod registry;
pub mod remote;
pub mod router;
pub mod script;
#[cfg(feature = "server")]
pub mod server;
pub mod shares;
pub mod states;
pub mod storyboard;
pub mod summarize;
pub mod sync;
pub mod telemetry;
pub mod updates;
pub mod validate;
pub mod versions;
pub mod workflow;
pub mod workspaces;

// Pixel work (the offline keyframe renderer, upload decoding and thumbnails) is its own crate so
// that test builds can optimise it: unoptimised, it was ~40% of the test suite's CPU time.
pub use storyloom_imaging::{media, render};

use std::{sync::Arc, time::Instant};

use anyhow::Context;

use crate::{
    blobs::BlobStore,
    clock::{Clock, IdSource, SystemClock, UuidV7Ids},
    config::{AuthMode, Config},
    db::Db,
};

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub blobs: BlobStore,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub started_at: Instant,
    /// The owner every credential-less request acts as, in local mode.
    pub local_owner_id: Option<String>,
    pub(crate) token_secret: Arc<Vec<u8>>,
    /// Workflow runs going in this process, and their progress events.
    pub runs: Arc<workflow::runs::RunHub>,
    /// Video exports going in this process, and their progress events.
    pub exports: Arc<export::ExportHub>,
    /// Rate limiters (sign-in routes).
    pub limits: Arc<api::limits::RateLimits>,
    /// The desktop's connection to a team server (issue 7); idle until a `/remote` request.
    pub remote: Arc<remote::Remote>,
    /// Where AI providers' API keys are kept (the keyring on desktop, sealed rows on a server).
    pub provider_secrets: Arc<registry::secrets::SecretVault>,
    /// Concurrency limits per AI provider (one set per process).
    pub ai_limiter: providers::ProviderLimiter,
    /// API key checks this process made (src/auth; stale after any change to keys or users).
    pub(crate) key_cache: Arc<auth::KeyCache>,
    /// The model router's channel health and upstream client (src/router).
    pub router: Arc<router::Router>,
    /// Summaries streamed by this process, for clients that reconnect (src/summarize/hub.rs).
    pub summaries: Arc<summarize::hub::SummaryHub>,
}

impl AppState {
    /// Opens the data directory with the wall clock and UUIDv7 ids.
    pub fn open(config: Config) -> anyhow::Result<Self> {
        Self::open_with(config, Arc::new(SystemClock), Arc::new(UuidV7Ids))
    }

    /// Opens the data directory (creating it), applies migrations, and prepares the instance.
    pub fn open_with(
        config: Config,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            )
        })?;
        let db = match &config.database_url {
            #[cfg(feature = "server")]
            Some(url) => Db::open_postgres(url, config.db_readers.max(8))
                .context("cannot open the PostgreSQL database")?,
            #[cfg(not(feature = "server"))]
            Some(_) => {
                anyhow::bail!("a PostgreSQL database needs the server build (--features server)")
            }
            None => {
                let db_path = config.data_dir.join("storyloom.db");
                Db::open(&db_path, config.db_readers)
                    .with_context(|| format!("cannot open the database {}", db_path.display()))?
            }
        };
        let blobs_dir = config.data_dir.join("blobs");
        let blobs = match &config.blob_bucket {
            #[cfg(feature = "server")]
            Some(bucket) => BlobStore::open_with_bucket(blobs_dir, bucket)
                .context("cannot open the blob store's bucket")?,
            #[cfg(not(feature = "server"))]
            Some(_) => anyhow::bail!("a blob bucket needs the server build (--features server)"),
            None => BlobStore::open(blobs_dir).context("cannot open the blob store")?,
        };
        let token_secret = auth::ensure_token_secret(&db)?;
        let local_owner_id = match config.auth_mode {
            AuthMode::Local => Some(crate::accounts::ensure_local_owner(
                &db,
                ids.new_id().to_string(),
                &clock::rfc3339(clock.now()),
            )?),
            AuthMode::Accounts => None,
        };
        let limits = Arc::new(api::limits::RateLimits::new(
            config.auth_rate_per_minute,
            config.rates,
            &db,
        ));
        let remote = Arc::new(remote::Remote::new(
            config.remote.clone(),
            config.data_dir.clone(),
        ));
        if db.dialect() == db::sql::Dialect::Postgres
            && config.provider_secrets == (config::ProviderSecrets::Sealed { key_hex: None })
        {
            // Replicas with data directories of their own would each make a key, and none could
            // open the provider keys another sealed (docs/DEPLOY.md).
            tracing::warn!(
                "STORYLOOM_PROVIDER_KEY is not set: providers' API keys are sealed with a key file \
                 in this data directory, which every replica must then share"
            );
        }
        let provider_secrets = Arc::new(registry::secrets::SecretVault::new(
            config.provider_secrets.clone(),
            config.remote.secret_store,
            &config.data_dir,
        ));
        let runs = Arc::new(workflow::runs::RunHub::default());
        let exports = Arc::new(export::ExportHub::default());
        // Progress of work on another replica reaches this one's subscribers (PostgreSQL only).
        progress::relay(&db, &runs, |h| &h.progress, "storyloom_run_events");
        progress::relay(&db, &exports, |h| &h.progress, "storyloom_export_events");
        let router: Arc<router::Router> = Arc::default();
        progress::relay(&db, &router, |r| &r.events, "storyloom_router_events");
        Ok(Self {
            provider_secrets,
            ai_limiter: providers::ProviderLimiter::new(Some(registry::startup_concurrency(&db))),
            config: Arc::new(config),
            db,
            blobs,
            clock,
            ids,
            started_at: Instant::now(),
            local_owner_id,
            token_secret: Arc::new(token_secret),
            runs,
            exports,
            limits,
            remote,
            key_cache: Arc::new(auth::KeyCache::default()),
            router,
            summaries: Arc::default(),
        })
    }
}
