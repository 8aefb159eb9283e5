//! The integration tests, one binary: each test binary used to link the whole dependency tree
//! (about 20 links per CI run); as modules of one crate they link once. Modules that spawn the
//! `storyloom` binary or need the server build say so with their own `#![cfg]`.

mod common;

mod api_accounts;
mod api_ai;
mod api_assets;
mod api_auth;
mod api_characters;
mod api_export;
mod api_ledger;
mod api_limits;
#[cfg(feature = "server")]
mod api_oauth;
mod api_operations;
mod api_payments;
mod api_projects;
mod api_prompts;
mod api_runs;
mod api_script_docx;
#[cfg(feature = "server")]
mod api_shares;
mod api_storyboard;
#[cfg(feature = "server")]
mod api_updates;
mod api_workflows;
mod api_workspaces;
mod authz_matrix;
#[cfg(feature = "server")]
mod blobs_s3;
mod create;
mod import_db;
mod ledger_crash;
mod payments_crash;
mod payments_gateways;
mod providers;
mod publish;
mod remote_payments;
mod remote_signin;
mod render_animatic;
mod render_cli;
mod replicas;
mod router;
mod run_crash;
mod server_process;
mod summarize;
mod sync;
mod sync_crash;
