//! The `storyloom` command: the server, and administration of a data directory.
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use storyloom::{
    auth::{self, Scope},
    config::{AuthMode, Config},
    AppState,
};

#[derive(Parser)]
#[command(
    name = "storyloom",
    version,
    about = "Storyloom: a studio for AI short dramas"
)]
struct Cli {
    /// Where the database and files live (default: the OS's data directory).
    #[arg(long, global = true, env = "STORYLOOM_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The team server's database: a `postgres://…` URL (default: SQLite in the data directory).
    /// Blobs stay in the data directory unless --blobs names a bucket.
    #[cfg(feature = "server")]
    #[arg(long, global = true, env = "STORYLOOM_DATABASE_URL")]
    database: Option<String>,
    /// The team server's blobs: an `s3://bucket/prefix` URL (endpoint STORYLOOM_S3_ENDPOINT, region
    /// STORYLOOM_S3_REGION, credentials AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). The data
    /// directory's `blobs/` becomes its local cache (default: blobs only in the data directory).
    #[cfg(feature = "server")]
    #[arg(long, global = true, env = "STORYLOOM_BLOBS")]
    blobs: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the web UI over HTTP.
    #[cfg(feature = "server")]
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080", env = "STORYLOOM_ADDR")]
        addr: std::net::SocketAddr,
        /// The built UI to serve at `/` (usually ui/dist).
        #[arg(long, env = "STORYLOOM_UI_DIR")]
        ui_dir: Option<PathBuf>,
        /// `accounts` (every request authenticated) or `local` (single user, loopback only).
        #[arg(long, default_value = "accounts", env = "STORYLOOM_AUTH")]
        auth: AuthMode,
        /// Sign-in requests (register, login, refresh) a minute per client address.
        #[arg(long, default_value_t = 10, env = "STORYLOOM_RATE_AUTH")]
        rate_auth: u32,
        /// Proxies in front of the server (comma-separated addresses or CIDR ranges, e.g.
        /// `10.0.0.0/8`): requests from them count against the client address in
        /// X-Forwarded-For (default: none, the peer's address counts).
        #[arg(long, value_delimiter = ',', env = "STORYLOOM_TRUSTED_PROXIES")]
        trusted_proxies: Vec<String>,
        /// Queries (GET) a minute per signed-in caller.
        #[arg(long, default_value_t = 100, env = "STORYLOOM_RATE_QUERIES")]
        rate_queries: u32,
        /// Other requests a minute per signed-in caller.
        #[arg(long, default_value_t = 60, env = "STORYLOOM_RATE_OTHER")]
        rate_other: u32,
        /// Generation requests (runs, exports) an hour per caller without a membership.
        #[arg(long, default_value_t = 20, env = "STORYLOOM_RATE_GENERATION")]
        rate_generation: u32,
        /// Calls through the model router (/v1) an hour per caller.
        #[arg(long, default_value_t = 1000, env = "STORYLOOM_RATE_ROUTER")]
        rate_router: u32,
        /// Seconds a replica may go silent before another takes over its runs and holds.
        #[arg(long, default_value_t = 30, env = "STORYLOOM_INSTANCE_LEASE_SECS")]
        instance_lease_secs: u64,
    },
    /// The main job, headless: parse a script, run the offline `animatic` workflow (approving the
    /// review unless --review), and export the video.
    Render {
        /// The script (.txt, .fountain, .md; UTF-8, UTF-16 with BOM, or GB18030; or a Word .docx).
        script: PathBuf,
        /// Where to write the video (.mp4 or .webm; an .srt is written beside it).
        #[arg(short, long)]
        output: PathBuf,
        /// 480p, 720p, 1080p or 2160p.
        #[arg(long, default_value = "1080p")]
        preset: String,
        /// 9:16, 16:9 or 1:1.
        #[arg(long, default_value = "9:16")]
        aspect: String,
        /// 24, 25 or 30.
        #[arg(long, default_value_t = 30)]
        fps: u32,
        /// soft (a subtitle track), burn (drawn into the picture) or none.
        #[arg(long, default_value = "soft")]
        subtitles: String,
        /// cut or crossfade.
        #[arg(long, default_value = "cut")]
        transition: String,
        /// Keep stills still (no pan/zoom).
        #[arg(long)]
        no_motion: bool,
        /// Stop at the review gate instead of approving every frame (needs --data-dir, so the
        /// project can be reviewed in the app afterwards).
        #[arg(long)]
        review: bool,
        /// The project's name (default: the script's file name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Create the data directory and apply database migrations, then exit.
    Migrate,
    /// Upload the data directory's blobs that the --blobs bucket lacks (once, when a server that
    /// kept its files in the data directory moves them to a bucket), then exit.
    #[cfg(feature = "server")]
    PushBlobs,
    /// Copy a SQLite server's data (its `storyloom.db`) into the empty PostgreSQL database given
    /// by --database, then check that every table's row count and every ledger balance match.
    /// Blobs stay where they are (copy the data directory's `blobs/` along).
    #[cfg(feature = "server")]
    ImportDb {
        /// The SQLite file to copy from (the old server stopped).
        #[arg(long)]
        from: PathBuf,
    },
    /// Print the OpenAPI document (what `/api/v1/openapi.json` serves); the UI's API types are
    /// generated from it (`ui/openapi.json`, `npm run gen:api`).
    Openapi,
    /// Create a user (accounts mode); prints its id.
    CreateUser {
        username: String,
        #[arg(long)]
        admin: bool,
    },
    /// Create an API key for a user; prints the secret once.
    CreateApiKey {
        /// The user's id.
        user_id: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Comma-separated scopes: read, write, billing, admin.
        #[arg(long, default_value = "read,write")]
        scopes: String,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Render { .. } => storyloom::telemetry::init_with_default("warn"),
        _ => storyloom::telemetry::init(),
    }
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    if let Command::Render { .. } = cli.command {
        return render(cli, &runtime);
    }
    if let Command::Openapi = cli.command {
        println!("{}", storyloom::api::openapi().to_pretty_json()?);
        return Ok(());
    }
    let data_dir = cli.data_dir.unwrap_or_else(Config::default_data_dir);
    #[cfg(feature = "server")]
    let database = cli.database;
    #[cfg(not(feature = "server"))]
    let database: Option<String> = None;
    #[cfg(feature = "server")]
    let blob_bucket = cli
        .blobs
        .as_deref()
        .map(storyloom::config::BlobBucket::from_url)
        .transpose()
        .map_err(anyhow::Error::msg)
        .context("--blobs")?;
    #[cfg(not(feature = "server"))]
    let blob_bucket = None;
    let server_config = |auth| Config {
        database_url: database.clone(),
        blob_bucket: blob_bucket.clone(),
        ..Config::server(data_dir.clone(), auth)
    };
    match cli.command {
        Command::Render { .. } | Command::Openapi => unreachable!("handled above"),
        #[cfg(feature = "server")]
        Command::Serve {
            addr,
            ui_dir,
            auth,
            rate_auth,
            trusted_proxies,
            rate_queries,
            rate_other,
            rate_generation,
            rate_router,
            instance_lease_secs,
        } => {
            let mut config = server_config(auth);
            config.instance_lease_secs = instance_lease_secs;
            config.auth_rate_per_minute = rate_auth;
            config.trusted_proxies = trusted_proxies
                .iter()
                .map(|p| parse_proxy(p.trim()))
                .collect::<anyhow::Result<_>>()
                .context("--trusted-proxies")?;
            config.rates = storyloom::config::RateConfig {
                queries_per_minute: rate_queries,
                other_per_minute: rate_other,
                generation_per_hour: rate_generation,
                router_per_hour: rate_router,
            };
            let state = AppState::open(config)?;
            runtime.block_on(storyloom::server::serve(
                state,
                storyloom::server::ServeOptions { addr, ui_dir },
            ))
        }
        #[cfg(feature = "server")]
        Command::PushBlobs => {
            let config = server_config(AuthMode::Accounts);
            anyhow::ensure!(
                config.blob_bucket.is_some(),
                "push-blobs needs a bucket (--blobs s3://bucket/prefix)"
            );
            let state = AppState::open(config)?;
            let pushed = state.blobs.push_to_bucket()?;
            println!("{pushed} blobs uploaded");
            Ok(())
        }
        #[cfg(feature = "server")]
        Command::ImportDb { from } => {
            let Some(url) = database.clone() else {
                anyhow::bail!("import-db needs the target: --database postgres://… (or STORYLOOM_DATABASE_URL)");
            };
            anyhow::ensure!(from.is_file(), "no SQLite database at {}", from.display());
            let source = storyloom::db::Db::open(&from, 1)
                .with_context(|| format!("cannot open {}", from.display()))?;
            let target = storyloom::db::Db::open_postgres(&url, 4)
                .context("cannot open the PostgreSQL database")?;
            let report = storyloom::db::copy::copy_sqlite_to_postgres(&source, &target)?;
            println!("| table | SQLite rows | PostgreSQL rows |\n|---|---|---|");
            for t in &report.tables {
                println!("| {} | {} | {} |", t.table, t.source, t.target);
            }
            for m in &report.balance_mismatches {
                println!("balance mismatch: {m}");
            }
            anyhow::ensure!(report.matches(), "the copy does not match its source");
            // The ledger's own check, on the copy.
            let state = AppState::open(server_config(AuthMode::Accounts))?;
            let check = runtime.block_on(storyloom::ledger::reconcile::reconcile(&state, false))?;
            println!(
                "copied into {}: counts and balances match; reconciliation checked {} rows, {} issues",
                target.describe(),
                check.checked_count,
                check.issues.len()
            );
            anyhow::ensure!(check.success, "reconciliation found issues in the copy");
            Ok(())
        }
        Command::Migrate => {
            let state = AppState::open(server_config(AuthMode::Accounts))?;
            println!(
                "database ready at {} (schema version {})",
                state.db.describe(),
                storyloom::db::latest_schema_version()
            );
            Ok(())
        }
        Command::CreateUser { username, admin } => {
            let state = AppState::open(server_config(AuthMode::Accounts))?;
            let id =
                runtime.block_on(storyloom::accounts::create_user(&state, &username, admin))?;
            println!("{id}");
            Ok(())
        }
        Command::CreateApiKey {
            user_id,
            name,
            scopes,
        } => {
            let scopes = scopes
                .split(',')
                .map(str::parse)
                .collect::<Result<Vec<Scope>, _>>()
                .map_err(anyhow::Error::msg)?;
            let state = AppState::open(server_config(AuthMode::Accounts))?;
            let key =
                runtime.block_on(auth::create_api_key(&state, &user_id, &name, &scopes, None))?;
            println!("{}", key.secret);
            Ok(())
        }
    }
}

/// `storyloom render`: the main job, with a progress bar on the terminal.
fn render(cli: Cli, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    let Command::Render {
        script,
        output,
        preset,
        aspect,
        fps,
        subtitles,
        transition,
        no_motion,
        review,
        name,
    } = cli.command
    else {
        unreachable!("called for render only")
    };
    if review && cli.data_dir.is_none() {
        anyhow::bail!(
            "--review keeps the project for a reviewer: give --data-dir (or STORYLOOM_DATA_DIR)"
        );
    }
    let format = match output.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("webm") => "webm",
        Some(e) if e.eq_ignore_ascii_case("mp4") => "mp4",
        _ => anyhow::bail!(
            "--output must end in .mp4 or .webm (got {})",
            output.display()
        ),
    };
    // Without --data-dir the job works in a temporary directory that goes when it ends.
    let temp = match cli.data_dir {
        Some(_) => None,
        None => Some(tempfile::tempdir().context("cannot make a temporary data directory")?),
    };
    let data_dir = cli
        .data_dir
        .clone()
        .or_else(|| temp.as_ref().map(|t| t.path().to_path_buf()))
        .unwrap_or_else(Config::default_data_dir);
    let state = AppState::open(Config::desktop(data_dir.clone()))?;
    let opts = storyloom::job::RenderOptions {
        script,
        output: output.clone(),
        name,
        export: storyloom::export::ExportRequest {
            resolution: Some(serde_json::json!(preset)),
            aspect_ratio: Some(serde_json::json!(aspect)),
            fps: Some(serde_json::json!(fps)),
            format: Some(serde_json::json!(format)),
            include_subtitles: Some(serde_json::json!(subtitles)),
            transition: Some(serde_json::json!(transition)),
            motion: Some(serde_json::json!(!no_motion)),
            ..Default::default()
        },
        auto_approve: !review,
    };
    let bar = indicatif::ProgressBar::new(1000);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{prefix:>10} [{bar:32}] {percent:>3}% {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let outcome = runtime.block_on(storyloom::job::render(&state, opts, |p| match p {
        storyloom::job::JobProgress::Stage(s) => bar.println(format!("==> {s}")),
        storyloom::job::JobProgress::Run { progress, message } => {
            bar.set_prefix("workflow");
            bar.set_position((progress * 1000.0) as u64);
            bar.set_message(message);
        }
        storyloom::job::JobProgress::Export { progress, message } => {
            bar.set_prefix("export");
            bar.set_position((progress * 1000.0) as u64);
            bar.set_message(message);
        }
    }));
    bar.finish_and_clear();
    let outcome = outcome?;
    match &outcome.export {
        Some(e) => {
            println!(
                "wrote {} ({}x{}, {:.2} s, {} bytes){} in {:.1} s",
                output.display(),
                e.width,
                e.height,
                e.duration.unwrap_or(e.video_length),
                e.file_size.unwrap_or(0),
                outcome
                    .srt
                    .as_ref()
                    .map(|s| format!(" and {}", s.display()))
                    .unwrap_or_default(),
                started.elapsed().as_secs_f64()
            );
        }
        None => println!(
            "the run waits for review: project {} in {} (open it in the desktop app or `storyloom serve --auth local --data-dir {}`)",
            outcome.project_id,
            data_dir.display(),
            data_dir.display()
        ),
    }
    drop(state);
    Ok(())
}

/// One `--trusted-proxies` entry: a CIDR range, or one address (a range of one).
#[cfg(feature = "server")]
fn parse_proxy(entry: &str) -> anyhow::Result<ipnet::IpNet> {
    entry
        .parse::<ipnet::IpNet>()
        .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| anyhow::anyhow!("{entry:?} is neither an IP address nor a CIDR range"))
}
