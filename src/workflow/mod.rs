//! The workflow engine (docs/API-WORKFLOWS.md): node kinds, template graphs and their validation.
pub(crate) mod ai;
pub mod generate;
pub mod graph;
pub mod kinds;
pub mod nodes;
pub mod review;
pub mod runs;
pub mod status;
pub mod templates;
