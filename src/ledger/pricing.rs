//! Cost estimates, in integer credits, for work before it starts.
//!
//! The built-in offline providers (parser, animatic renderer, espeak-ng or silence, subtitles,
//! composition) cost 0. HTTP providers get their price from the provider catalog when it lands; until
//! then a node on a provider the runner cannot call fails before doing anything, so it costs 0 too.
use crate::workflow::graph::{Graph, NodeSpec};

use super::testing;

/// What a node is expected to cost (the amount it holds when it starts).
pub fn node_estimate(node: &NodeSpec) -> i64 {
    if let Some(paid) = testing::paid_node(node) {
        return paid.estimate.max(0);
    }
    0
}

/// What a whole run is expected to cost (checked against the balance before the run starts).
pub fn run_estimate(graph: &Graph) -> i64 {
    graph
        .nodes
        .iter()
        .map(node_estimate)
        .fold(0i64, i64::saturating_add)
}
