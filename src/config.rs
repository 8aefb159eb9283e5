//! Runtime configuration: where data lives, how requests are authenticated, and which tools and
//! fonts to use. Every environment variable the core reads is read here, once, in [`Env`].
use std::path::PathBuf;

/// How requests without credentials are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Single-user: a request without credentials acts as the local owner (the desktop webview, or a
    /// server bound to loopback for one person). Credentials that *are* sent are still verified.
    Local,
    /// Multi-user server: every request needs an API key or a bearer token.
    Accounts,
}

impl std::str::FromStr for AuthMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "local" => Ok(Self::Local),
            "accounts" => Ok(Self::Accounts),
            other => Err(format!(
                "unknown auth mode '{other}' (expected 'local' or 'accounts')"
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Holds `storyloom.db` and `blobs/`.
    pub data_dir: PathBuf,
    pub auth_mode: AuthMode,
    /// Origins allowed to call the API cross-origin (the desktop webview's `tauri://localhost`).
    pub cors_origins: Vec<String>,
    /// Largest JSON request body accepted, in bytes (larger → 413).
    pub max_json_bytes: usize,
    /// Largest uploaded file accepted, in bytes (default 100 MB; larger → 413).
    pub max_upload_bytes: u64,
    /// Readers in the SQLite pool (writes go through one writer connection); on PostgreSQL,
    /// the connections of the pool.
    pub db_readers: u32,
    /// How long a server process may go without its heartbeat before another takes over its
    /// work (workflow runs, holds); it beats every third of this (`STORYLOOM_INSTANCE_LEASE_SECS`).
    pub instance_lease_secs: u64,
    /// The team server's PostgreSQL database (`--database postgres://…`); None keeps the data in
    /// `storyloom.db` in the data directory.
    pub database_url: Option<String>,
    /// The team server's blob bucket (`--blobs s3://bucket/prefix`); None keeps blobs only in
    /// `blobs/` in the data directory, which otherwise becomes the bucket's local cache.
    pub blob_bucket: Option<BlobBucket>,
    /// Lifetime of access tokens, in seconds.
    pub access_token_ttl_secs: i64,
    /// The ffmpeg to export with (`STORYLOOM_FFMPEG`); None looks beside the binary, then on `PATH`.
    pub ffmpeg_path: Option<PathBuf>,
    /// The espeak-ng the offline voice runs (`STORYLOOM_ESPEAK`; default `espeak-ng` on `PATH`).
    pub espeak_path: PathBuf,
    /// The CJK font the animatic, previews and the PDF sheet draw with (`STORYLOOM_FONT`); None
    /// searches beside the binary, then the system's fonts.
    pub font_path: Option<PathBuf>,
    /// The font family of burned-in subtitles (`STORYLOOM_SUBTITLE_FONT`).
    pub subtitle_font: String,
    /// Sign-in requests (register, login, refresh) allowed per client address a minute.
    pub auth_rate_per_minute: u32,
    /// Proxies in front of the server (`--trusted-proxies`): a request from one of them is
    /// counted against the client address it names in `X-Forwarded-For`, not the proxy's.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long the model router waits on upstreams.
    pub router: crate::router::RouterTimeouts,
    /// Per-caller limits by route class, for signed-in callers in accounts mode.
    pub rates: RateConfig,
    /// The desktop's link to a team server: where its tokens are kept, request timeouts.
    pub remote: crate::remote::RemoteConfig,
    /// Where AI providers' secrets (API keys) are kept.
    pub provider_secrets: ProviderSecrets,
    /// The payment gateways' settings (`STORYLOOM_ALIPAY_*`, `STORYLOOM_WECHAT_*`,
    /// `STORYLOOM_STRIPE_*`; docs/API-PAYMENTS.md).
    pub payments: crate::payments::settings::PaymentSettings,
    /// The team's desktop update public key (`STORYLOOM_UPDATE_PUBKEY`: the base64 text `tauri
    /// signer generate` writes, as in the desktop's `plugins.updater.pubkey`). When set, uploaded
    /// builds must be signed with its private key (docs/API-UPDATES.md).
    pub update_public_key: Option<String>,
    /// OpenID Connect providers people may sign in with (`STORYLOOM_OAUTH_*`; docs/API-WORKSPACES.md).
    pub oauth_providers: Vec<crate::accounts::oauth::OAuthProvider>,
    /// How often the desktop syncs its linked projects, in seconds (`STORYLOOM_SYNC_INTERVAL_SECS`,
    /// default 15; 0: only when asked). docs/SYNC.md.
    pub sync_interval_secs: u64,
    /// Reference-video analysis (docs/SUMMARIZE.md).
    pub summarize: SummarizeConfig,
    pub publish: PublishConfig,
}

/// Limits of the summarizer (docs/SUMMARIZE.md, "Sources" and "Streams").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummarizeConfig {
    /// Private, loopback and link-local addresses may be fetched on a multi-user server
    /// (`STORYLOOM_SUMMARIZE_ALLOW_PRIVATE_URLS=1`); local mode always may.
    pub allow_private_urls: bool,
    /// The largest video fetched from a URL (`STORYLOOM_SUMMARIZE_MAX_BYTES`, default 1 GiB).
    pub max_download_bytes: u64,
    /// How long fetching one video may take (`STORYLOOM_SUMMARIZE_FETCH_SECS`, default 600).
    pub fetch_timeout_secs: u64,
    /// Audio is sent to the speech recognizer in pieces this long (`STORYLOOM_SUMMARIZE_ASR_CHUNK_SECS`, default 600).
    pub asr_chunk_secs: u64,
    /// yt-dlp, for platform pages (`STORYLOOM_YTDLP`, default `yt-dlp` on the PATH).
    pub ytdlp_path: PathBuf,
    /// A stream nobody listens to any more is interrupted after this long (`STORYLOOM_SUMMARIZE_ABANDON_SECS`, default 30).
    pub abandon_secs: u64,
    /// Batch items summarised at once in this process (default 2).
    pub batch_concurrency: usize,
}

impl SummarizeConfig {
    fn from_env() -> Self {
        let num = |name: &str, default: u64| {
            Env::var(name)
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Self {
            allow_private_urls: Env::var("STORYLOOM_SUMMARIZE_ALLOW_PRIVATE_URLS")
                .is_some_and(|v| v == "1" || v == "true"),
            max_download_bytes: num("STORYLOOM_SUMMARIZE_MAX_BYTES", 1024 * 1024 * 1024),
            fetch_timeout_secs: num("STORYLOOM_SUMMARIZE_FETCH_SECS", 600),
            asr_chunk_secs: num("STORYLOOM_SUMMARIZE_ASR_CHUNK_SECS", 600).max(5),
            ytdlp_path: Env::path("STORYLOOM_YTDLP").unwrap_or_else(|| "yt-dlp".into()),
            abandon_secs: num("STORYLOOM_SUMMARIZE_ABANDON_SECS", 30),
            batch_concurrency: num("STORYLOOM_SUMMARIZE_BATCH_CONCURRENCY", 2).clamp(1, 8) as usize,
        }
    }
}

/// Where the publishing adapters send (docs/PUBLISH.md): each platform's open-platform address,
/// changed only to point a test at a local fake, and how the scheduler paces itself.
#[derive(Debug, Clone)]
pub struct PublishConfig {
    /// `STORYLOOM_PUBLISH_WECHAT_BASE` (default `https://api.weixin.qq.com`).
    pub wechat_base: String,
    /// `STORYLOOM_PUBLISH_DOUYIN_BASE` (default `https://open.douyin.com`).
    pub douyin_base: String,
    /// `STORYLOOM_PUBLISH_KUAISHOU_BASE` (default `https://open.kuaishou.com`).
    pub kuaishou_base: String,
    /// How often due jobs are looked for (`STORYLOOM_PUBLISH_POLL_MS`, default 2000).
    pub poll_ms: u64,
    /// The first retry's wait after a transient failure, doubling each time
    /// (`STORYLOOM_PUBLISH_RETRY_MS`, default 5000).
    pub retry_base_ms: u64,
    /// Attempts per platform before it is reported failed (`STORYLOOM_PUBLISH_ATTEMPTS`, default 5).
    pub max_attempts: u32,
}

impl PublishConfig {
    fn from_env() -> Self {
        let text = |name: &str, default: &str| {
            Env::var(name)
                .map(|v| v.trim_end_matches('/').to_string())
                .unwrap_or_else(|| default.to_string())
        };
        let num = |name: &str, default: u64| {
            Env::var(name)
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Self {
            wechat_base: text("STORYLOOM_PUBLISH_WECHAT_BASE", "https://api.weixin.qq.com"),
            douyin_base: text("STORYLOOM_PUBLISH_DOUYIN_BASE", "https://open.douyin.com"),
            kuaishou_base: text(
                "STORYLOOM_PUBLISH_KUAISHOU_BASE",
                "https://open.kuaishou.com",
            ),
            poll_ms: num("STORYLOOM_PUBLISH_POLL_MS", 2_000).clamp(50, 60_000),
            retry_base_ms: num("STORYLOOM_PUBLISH_RETRY_MS", 5_000).clamp(10, 600_000),
            max_attempts: num("STORYLOOM_PUBLISH_ATTEMPTS", 5).clamp(1, 20) as u32,
        }
    }
}

/// Where the registry keeps providers' API keys (docs/API-PROVIDERS.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderSecrets {
    /// The OS keyring (or, where none runs, the machine-bound encrypted file): the desktop.
    Keyring,
    /// Sealed in the database under the instance's key: a server. The key is
    /// `STORYLOOM_PROVIDER_KEY` (64 hex digits) when set, else a key file made in the data directory.
    Sealed { key_hex: Option<String> },
}

/// Per-caller request limits by route class (docs/API-WORKSPACES.md, "Rate limits"): queries and
/// other requests a minute, and generation an hour for callers without a membership (members are
/// not limited there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateConfig {
    pub queries_per_minute: u32,
    pub other_per_minute: u32,
    pub generation_per_hour: u32,
    /// Calls through the model router an hour (seed 001's 1,000 for a signed-in caller).
    pub router_per_hour: u32,
}

impl Default for RateConfig {
    fn default() -> Self {
        Self {
            queries_per_minute: 100,
            other_per_minute: 60,
            generation_per_hour: 20,
            router_per_hour: 1000,
        }
    }
}

/// An S3-compatible bucket holding the blobs (issue 16): `s3://bucket/prefix`, with the endpoint,
/// region and credentials from the environment ([`BlobBucket::from_url`]).
#[derive(Clone, PartialEq, Eq)]
pub struct BlobBucket {
    pub bucket: String,
    /// Keys are `prefix/ab/cdef…`; empty puts them at the bucket's root.
    pub prefix: String,
    /// An S3-compatible server (`STORYLOOM_S3_ENDPOINT`, e.g. `http://127.0.0.1:9000`), addressed
    /// path-style; None is AWS itself.
    pub endpoint: Option<String>,
    /// `STORYLOOM_S3_REGION` (default `us-east-1`).
    pub region: String,
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`); without them the
    /// client asks the instance metadata service.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for BlobBucket {
    // The secret stays out of logs and panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobBucket")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl BlobBucket {
    /// `s3://bucket/prefix` with the endpoint, region and credentials from the environment.
    pub fn from_url(url: &str) -> Result<Self, String> {
        let (bucket, prefix) = Self::parse_url(url)?;
        Ok(Self {
            bucket,
            prefix,
            endpoint: Env::var("STORYLOOM_S3_ENDPOINT"),
            region: Env::var("STORYLOOM_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
            access_key_id: Env::var("AWS_ACCESS_KEY_ID"),
            secret_access_key: Env::var("AWS_SECRET_ACCESS_KEY"),
            session_token: Env::var("AWS_SESSION_TOKEN"),
        })
    }

    /// Splits `s3://bucket/some/prefix/` into `("bucket", "some/prefix")`.
    pub fn parse_url(url: &str) -> Result<(String, String), String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("'{url}' is not an s3://bucket/prefix URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("'{url}' names no bucket"));
        }
        Ok((bucket.to_string(), prefix.trim_matches('/').to_string()))
    }
}

/// The environment variables the core reads, read once (`Config::server` and `Config::desktop`).
struct Env;

impl Env {
    fn var(name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    fn path(name: &str) -> Option<PathBuf> {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }

    fn secret_store() -> crate::remote::secrets::SecretStoreChoice {
        match Self::var("STORYLOOM_SECRET_STORE") {
            Some(v) => v.parse().unwrap_or_else(|e: String| {
                tracing::warn!(error = %e, "ignoring STORYLOOM_SECRET_STORE");
                crate::remote::secrets::SecretStoreChoice::Auto
            }),
            None => crate::remote::secrets::SecretStoreChoice::Auto,
        }
    }
}

impl Config {
    /// The desktop app: one local owner, API served to the Tauri webview only.
    pub fn desktop(data_dir: PathBuf) -> Self {
        Self {
            cors_origins: vec![
                "tauri://localhost".into(),
                "http://tauri.localhost".into(),
                "https://tauri.localhost".into(),
            ],
            provider_secrets: ProviderSecrets::Keyring,
            ..Self::server(data_dir, AuthMode::Local)
        }
    }

    /// A server instance (also what tests use).
    pub fn server(data_dir: PathBuf, auth_mode: AuthMode) -> Self {
        Self {
            data_dir,
            auth_mode,
            cors_origins: Vec::new(),
            max_json_bytes: 4 * 1024 * 1024,
            max_upload_bytes: 100 * 1024 * 1024,
            db_readers: 4,
            database_url: None,
            blob_bucket: None,
            instance_lease_secs: 30,
            access_token_ttl_secs: 15 * 60,
            ffmpeg_path: Env::path("STORYLOOM_FFMPEG"),
            espeak_path: Env::path("STORYLOOM_ESPEAK").unwrap_or_else(|| "espeak-ng".into()),
            font_path: Env::path(crate::render::FONT_ENV),
            subtitle_font: Env::var("STORYLOOM_SUBTITLE_FONT")
                .unwrap_or_else(|| "Noto Sans CJK SC".into()),
            auth_rate_per_minute: 10,
            trusted_proxies: Vec::new(),
            router: crate::router::RouterTimeouts::default(),
            rates: RateConfig::default(),
            remote: crate::remote::RemoteConfig {
                secret_store: Env::secret_store(),
                ..Default::default()
            },
            provider_secrets: ProviderSecrets::Sealed {
                key_hex: Env::var("STORYLOOM_PROVIDER_KEY"),
            },
            payments: crate::payments::settings::PaymentSettings::from_env(),
            update_public_key: Env::var("STORYLOOM_UPDATE_PUBKEY"),
            oauth_providers: crate::accounts::oauth::OAuthProvider::from_env(),
            sync_interval_secs: Env::var("STORYLOOM_SYNC_INTERVAL_SECS")
                .and_then(|v| v.parse().ok())
                .unwrap_or(15),
            summarize: SummarizeConfig::from_env(),
            publish: PublishConfig::from_env(),
        }
    }

    /// The OS's per-user data directory for Storyloom (used when no directory is given).
    pub fn default_data_dir() -> PathBuf {
        dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("storyloom")
    }
}

#[cfg(test)]
mod tests {
    use super::BlobBucket;

    #[test]
    fn blob_bucket_urls() {
        let p = |u: &str| BlobBucket::parse_url(u);
        assert_eq!(p("s3://b"), Ok(("b".into(), "".into())));
        assert_eq!(p("s3://b/"), Ok(("b".into(), "".into())));
        assert_eq!(
            p("s3://b/team/blobs/"),
            Ok(("b".into(), "team/blobs".into()))
        );
        assert!(p("https://b/x").is_err());
        assert!(p("s3:///x").is_err());
    }
}
