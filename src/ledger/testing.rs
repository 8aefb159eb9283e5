//! A hidden test hook: a paid node without a paid provider.
//!
//! Only when enabled — by `STORYLOOM_TEST_PAID_NODES=1` in the environment of the process, or by
//! calling [`enable_paid_test_nodes`] from a test — a node whose config carries
//!
//! ```json
//! {"test_paid": {"estimate": 10, "cost": 7, "sleep_ms": 0, "fail": false, "cached": false}}
//! ```
//!
//! does not run its kind: it holds `estimate` credits, sleeps `sleep_ms` (cancellable; the crash test
//! kills the process here, between the hold and the settle), then succeeds costing `cost` (or fails
//! when `fail`; or reports a cache hit when `cached`, which is free). When the hook is off, the
//! `test_paid` key is ignored and the node runs normally on its (free) offline provider.
use std::sync::{
    atomic::{AtomicBool, Ordering},
    OnceLock,
};

use serde::Deserialize;

use crate::workflow::graph::NodeSpec;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns the hook on for this process (tests).
pub fn enable_paid_test_nodes() {
    ENABLED.store(true, Ordering::SeqCst);
}

fn enabled() -> bool {
    static FROM_ENV: OnceLock<bool> = OnceLock::new();
    ENABLED.load(Ordering::SeqCst)
        || *FROM_ENV
            .get_or_init(|| std::env::var("STORYLOOM_TEST_PAID_NODES").is_ok_and(|v| v == "1"))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PaidTestNode {
    pub estimate: i64,
    pub cost: i64,
    pub sleep_ms: u64,
    pub fail: bool,
    pub cached: bool,
}

/// The simulated paid node of `node`, when the hook is on and the node asks for one.
pub fn paid_node(node: &NodeSpec) -> Option<PaidTestNode> {
    if !enabled() {
        return None;
    }
    serde_json::from_value(node.config.get("test_paid")?.clone()).ok()
}
