//! Storyloom's pixel work: the offline keyframe renderer ([`render`]) and upload decoding,
//! thumbnails and palettes ([`media`]). Pure functions over bytes and files, with no storage or
//! API types, re-exported by the core as `storyloom::render` and `storyloom::media`.
//!
//! A crate of its own so that debug and test builds can optimise it (see the workspace's
//! `Cargo.toml`): generic image code is compiled in the crate that calls it, and unoptimised it
//! made the renderer and encoders most of the test suite's CPU time.
pub mod media;
pub mod render;
