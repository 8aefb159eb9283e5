//! The workflow engine (DESIGN §5): node kinds, template graphs and their validation.
pub mod graph;
pub mod kinds;
pub mod templates;
