//! The reconciler: pending orders older than a couple of minutes are asked about at their gateway
//! (a callback may never come: a network fault, a misconfigured notify URL) and settled, failed or,
//! once their time ran out, expired. Idempotent with the callbacks: both go through
//! [`super::apply`], whose event rows and state table make the second arrival a no-op.
use std::time::Duration as StdDuration;

use chrono::Duration;
use serde::Serialize;
use utoipa::ToSchema;

use super::{apply, flows, store, Applied, PaymentError, Source};
use crate::{clock::rfc3339, AppState};

/// An order is left to its callback this long before it is asked about.
pub const QUIET_MINUTES: i64 = 2;
/// At most this many orders a pass.
const BATCH: u32 = 100;

#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct ReconcileReport {
    pub checked: u32,
    pub paid: u32,
    pub failed: u32,
    pub expired: u32,
    /// Orders whose gateway could not be asked (tried again next pass).
    pub errors: u32,
}

/// One pass over the pending orders.
#[tracing::instrument(skip(state))]
pub async fn reconcile(state: &AppState) -> Result<ReconcileReport, PaymentError> {
    let now = state.clock.now();
    let before = rfc3339(now - Duration::minutes(QUIET_MINUTES));
    let pending = state
        .db
        .read(move |c| store::pending_before(c, &before, BATCH))
        .await?;
    let mut report = ReconcileReport::default();
    for order in pending {
        report.checked += 1;
        let answer = match flows::query(state, &order).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(order = %order.id, error = %e, "cannot ask the gateway about an order");
                report.errors += 1;
                continue;
            }
        };
        if let Some(ev) = answer {
            match apply(state, ev, Source::Query).await {
                Ok(Applied::Credited(_)) => {
                    report.paid += 1;
                    continue;
                }
                Ok(Applied::Recorded(o)) if o.status == super::OrderStatus::Failed => {
                    report.failed += 1;
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(order = %order.id, error = %e, "a gateway's answer did not apply");
                    report.errors += 1;
                    continue;
                }
            }
        }
        if order.expires_at <= rfc3339(now) && super::expire(state, &order).await? {
            report.expired += 1;
        }
    }
    Ok(report)
}

/// Runs [`reconcile`] at start and every `every`.
pub fn spawn(state: &AppState, every: StdDuration) {
    use tracing::Instrument;
    let state = state.clone();
    let task = async move {
        loop {
            match reconcile(&state).await {
                Ok(r) if r.checked > 0 => tracing::info!(?r, "payments reconciled"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "payment reconciliation failed"),
            }
            tokio::time::sleep(every).await;
        }
    };
    tokio::spawn(task.instrument(tracing::info_span!("payments_reconciler")));
}
