//! Operations statistics (seed 003 §9.10; docs/API-PAYMENTS.md, "Statistics") over a range of
//! days, for instance admins.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{invalid, store, PaymentError};
use crate::{accounts, clock::rfc3339, ledger::plans, AppState};

/// The longest range asked about at once (ten years).
pub const MAX_DAYS: i64 = 3660;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Statistics {
    /// The first day counted (UTC).
    pub start_date: String,
    /// The last day counted, whole (UTC).
    pub end_date: String,
    /// People registered by the end of the range.
    pub total_users: i64,
    /// People registered in the range.
    pub new_users: i64,
    /// Money taken by orders paid in the range, in yuan (seed 003's number)…
    pub total_revenue: f64,
    /// …and exactly, in cents.
    pub total_revenue_cents: i64,
    /// Credits bought by recharges paid in the range (coupon bonuses included).
    pub total_credits_sold: i64,
    pub paid_orders: i64,
    /// People who paid at least one order in the range.
    pub paying_users: i64,
    /// Workspaces with a membership in force at the end of the range (or now, if sooner).
    pub active_members: i64,
    /// `paying_users / total_users` (0 with no users), four decimals.
    pub conversion_rate: f64,
}

fn day(field: &'static str, s: &str) -> Result<NaiveDate, PaymentError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| invalid(field, format!("{field} is a date, YYYY-MM-DD (got '{s}')")))
}

/// The statistics of the days `start_date` to `end_date` (both included; the last 30 days when
/// not given).
#[tracing::instrument(skip(state))]
pub async fn compute(
    state: &AppState,
    start_date: Option<&str>,
    end_date: Option<&str>,
) -> Result<Statistics, PaymentError> {
    let now = state.clock.now();
    let end_day = match end_date.filter(|s| !s.trim().is_empty()) {
        Some(s) => day("end_date", s)?,
        None => now.date_naive(),
    };
    let start_day = match start_date.filter(|s| !s.trim().is_empty()) {
        Some(s) => day("start_date", s)?,
        None => end_day - Duration::days(29),
    };
    if start_day > end_day {
        return Err(invalid("start_date", "start_date is on or before end_date"));
    }
    if (end_day - start_day).num_days() > MAX_DAYS {
        return Err(invalid(
            "start_date",
            format!("a range is at most {MAX_DAYS} days"),
        ));
    }
    let start: DateTime<Utc> = start_day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let end: DateTime<Utc> = (end_day + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let (from, until, members_at) = (rfc3339(start), rfc3339(end), rfc3339(end.min(now)));
    let ((total_users, new_users), (paid_orders, revenue_cents, credits_sold, paying), members) =
        state
            .db
            .read(move |c| {
                Ok::<_, PaymentError>((
                    accounts::people_counts(c, &from, &until)?,
                    store::paid_totals(c, &from, &until)?,
                    plans::members_at(c, &members_at)?,
                ))
            })
            .await?;
    let conversion = if total_users > 0 {
        (paying as f64 / total_users as f64 * 10_000.0).round() / 10_000.0
    } else {
        0.0
    };
    Ok(Statistics {
        start_date: start_day.to_string(),
        end_date: end_day.to_string(),
        total_users,
        new_users,
        total_revenue: revenue_cents as f64 / 100.0,
        total_revenue_cents: revenue_cents,
        total_credits_sold: credits_sold,
        paid_orders,
        paying_users: paying,
        active_members: members,
        conversion_rate: conversion,
    })
}
