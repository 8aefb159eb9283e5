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
    },
    /// Create the data directory and apply database migrations, then exit.
    Migrate,
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
    storyloom::telemetry::init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let data_dir = cli.data_dir.unwrap_or_else(Config::default_data_dir);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    match cli.command {
        #[cfg(feature = "server")]
        Command::Serve { addr, ui_dir, auth } => {
            let state = AppState::open(Config::server(data_dir, auth))?;
            runtime.block_on(storyloom::server::serve(
                state,
                storyloom::server::ServeOptions { addr, ui_dir },
            ))
        }
        Command::Migrate => {
            let state = AppState::open(Config::server(data_dir, AuthMode::Accounts))?;
            println!(
                "database ready at {} (schema version {})",
                state.db.path().display(),
                storyloom::db::latest_schema_version()
            );
            Ok(())
        }
        Command::CreateUser { username, admin } => {
            let state = AppState::open(Config::server(data_dir, AuthMode::Accounts))?;
            let id = runtime.block_on(auth::create_user(&state, &username, admin))?;
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
            let state = AppState::open(Config::server(data_dir, AuthMode::Accounts))?;
            let key =
                runtime.block_on(auth::create_api_key(&state, &user_id, &name, &scopes, None))?;
            println!("{}", key.secret);
            Ok(())
        }
    }
}
