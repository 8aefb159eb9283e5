//! Read models over the ledger (docs/API-LEDGER.md): transactions, holds, the dashboard, usage and
//! invoices. Everything is derived from transfers and holds; nothing here writes.
use crate::db::sql::{params, types::Value as SqlValue, Connection};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{held, hold_row, plans, wallet, Hold, LedgerError};
use crate::AppState;

/// One movement on a user's accounts, from the user's point of view.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransactionItem {
    pub id: String,
    /// `grant`, `coupon`, `referral`, `compensation`, `budget`, `hold`, `release`, `void`, `charge`,
    /// `purchase`, `membership`, `quota_grant`, `quota_expire`, `refund`, `correction`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Signed change to the spendable balance.
    pub amount: i64,
    /// Signed change to the credits held by pending holds.
    pub held_change: i64,
    /// The size of the transfer.
    pub credits: i64,
    /// Spendable balance after it.
    pub balance_after: i64,
    pub description: String,
    pub hold_id: Option<String>,
    pub purpose: Option<String>,
    pub work_id: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Default)]
pub struct TransactionFilter {
    pub kinds: Vec<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub hold_id: Option<String>,
}

/// Every transaction type, and the aliases other clients filter by that stand for several.
pub const TRANSACTION_TYPES: &[&str] = &[
    "grant",
    "recharge",
    "coupon",
    "referral",
    "activity",
    "compensation",
    "budget",
    "hold",
    "release",
    "void",
    "charge",
    "purchase",
    "membership",
    "quota_grant",
    "quota_expire",
    "refund",
    "correction",
];

/// Expands `type=` (comma-separated; the aliases `payment`, `consumption`, `recharge` stand for
/// several types).
pub fn parse_types(raw: &str) -> Result<Vec<String>, LedgerError> {
    let mut out = Vec::new();
    for t in raw.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        match t {
            "consumption" => out.push("charge".to_string()),
            // Money in: a paid order's credit (`recharge`), grants, and what credits bought.
            "payment" | "recharge" => out.extend(
                ["recharge", "grant", "purchase", "membership"].map(String::from),
            ),
            "refunds" => out.extend(["refund", "void", "release"].map(String::from)),
            t if TRANSACTION_TYPES.contains(&t) => out.push(t.to_string()),
            other => {
                return Err(LedgerError::Invalid {
                    field: "type",
                    message: format!(
                        "unknown type '{other}' (expected one of {}, or consumption, payment, recharge)",
                        TRANSACTION_TYPES.join(", ")
                    ),
                })
            }
        }
    }
    Ok(out)
}

/// `YYYY-MM-DD` or RFC 3339 → an RFC 3339 bound (`end` dates include their whole day).
pub fn parse_bound(field: &'static str, raw: &str, end: bool) -> Result<String, LedgerError> {
    if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let d = if end { d + Duration::days(1) } else { d };
        return Ok(format!("{}T00:00:00.000Z", d.format("%Y-%m-%d")));
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| crate::clock::rfc3339(t.with_timezone(&Utc)))
        .map_err(|_| LedgerError::Invalid {
            field,
            message: format!(
                "{field} must be a date (YYYY-MM-DD) or an RFC 3339 time (got '{raw}')"
            ),
        })
}

#[tracing::instrument(skip(state))]
pub async fn transactions(
    state: &AppState,
    owner_id: &str,
    filter: TransactionFilter,
    limit: u32,
    offset: u64,
) -> Result<(Vec<TransactionItem>, u64), LedgerError> {
    let owner = owner_id.to_string();
    state
        .db
        .read(move |c| {
            let mut wh = String::from("t.owner_id = ?1");
            let mut args: Vec<SqlValue> = vec![owner.clone().into()];
            if !filter.kinds.is_empty() {
                let marks: Vec<String> = filter
                    .kinds
                    .iter()
                    .map(|k| {
                        args.push(k.clone().into());
                        format!("?{}", args.len())
                    })
                    .collect();
                wh.push_str(&format!(" AND t.kind IN ({})", marks.join(", ")));
            }
            if let Some(s) = &filter.start {
                args.push(s.clone().into());
                wh.push_str(&format!(" AND t.created_at >= ?{}", args.len()));
            }
            if let Some(e) = &filter.end {
                args.push(e.clone().into());
                wh.push_str(&format!(" AND t.created_at < ?{}", args.len()));
            }
            if let Some(h) = &filter.hold_id {
                args.push(h.clone().into());
                wh.push_str(&format!(" AND t.hold_id = ?{}", args.len()));
            }
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM ledger_transfers t WHERE {wh}"),
                crate::db::sql::params_from_iter(args.iter()),
                |r| r.get(0),
            )?;
            let total = total as u64;
            args.push(wallet(&owner).into());
            let wi = args.len();
            args.push(i64::from(limit).into());
            let li = args.len();
            args.push((offset as i64).into());
            let oi = args.len();
            let sql = format!(
                "SELECT t.id, t.kind, t.debit_account, t.credit_account, t.amount, t.description, t.hold_id,
                        t.created_at, h.purpose, h.work_id,
                        COALESCE((SELECT e.balance_after FROM ledger_entries e WHERE e.account_id = ?{wi}
                                    AND e.id <= (SELECT MAX(x.id) FROM ledger_entries x WHERE x.transfer_id = t.id)
                                  ORDER BY e.id DESC LIMIT 1), 0)
                 FROM ledger_transfers t LEFT JOIN ledger_holds h ON h.id = t.hold_id
                 WHERE {wh} ORDER BY t.rowid DESC LIMIT ?{li} OFFSET ?{oi}"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(crate::db::sql::params_from_iter(args.iter()), |r| {
                let (debit, credit, amount): (String, String, i64) = (r.get(2)?, r.get(3)?, r.get(4)?);
                let signed = |acct: &str| {
                    if credit == acct {
                        amount
                    } else if debit == acct {
                        -amount
                    } else {
                        0
                    }
                };
                Ok(TransactionItem {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    amount: signed(&wallet(&owner)),
                    held_change: signed(&held(&owner)),
                    credits: amount,
                    balance_after: r.get(10)?,
                    description: r.get(5)?,
                    hold_id: r.get(6)?,
                    created_at: r.get(7)?,
                    purpose: r.get(8)?,
                    work_id: r.get(9)?,
                })
            })?;
            let items = rows.collect::<crate::db::sql::Result<Vec<_>>>()?;
            Ok((items, total))
        })
        .await
}

#[tracing::instrument(skip(state))]
pub async fn holds(
    state: &AppState,
    owner_id: &str,
    status: Option<super::HoldStatus>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Hold>, u64), LedgerError> {
    let owner = owner_id.to_string();
    state
        .db
        .read(move |c| {
            let total: i64 = c.query_row(
                "SELECT COUNT(*) FROM ledger_holds WHERE owner_id = ?1 AND (?2 IS NULL OR status = ?2)",
                params![owner, status],
                |r| r.get(0),
            )?;
            let total = total as u64;
            let mut stmt = c.prepare(&format!(
                "SELECT {} FROM ledger_holds WHERE owner_id = ?1 AND (?2 IS NULL OR status = ?2)
                 ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4",
                super::HOLD_COLUMNS
            ))?;
            let rows = stmt.query_map(params![owner, status, limit, offset as i64], hold_row)?;
            Ok((rows.collect::<crate::db::sql::Result<Vec<_>>>()?, total))
        })
        .await
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageDay {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Credits charged that day.
    pub credits: i64,
    /// Pieces of work recorded that day (zero-cost ones included).
    pub count: i64,
}

/// The dashboard: balance, use and history at a glance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dashboard {
    /// Spendable credits.
    pub credits: i64,
    pub held: i64,
    /// Credits charged, all time.
    pub total_used: i64,
    /// Average credits charged per finished piece of paid work (0 when there is none).
    pub cost_per_summary: i64,
    /// Charged credits and work per day, oldest first, for the last `days` days.
    pub usage_history: Vec<UsageDay>,
    pub is_admin: bool,
    pub is_member: bool,
    pub pending_holds: i64,
    pub budget_mode: bool,
}

fn usage_days(
    c: &Connection,
    owner: &str,
    today: NaiveDate,
    days: u32,
) -> Result<Vec<UsageDay>, LedgerError> {
    let first = today - Duration::days(i64::from(days) - 1);
    let from = format!("{}T00:00:00.000Z", first.format("%Y-%m-%d"));
    let mut stmt = c.prepare(
        "SELECT substr(created_at, 1, 10) d, COALESCE(SUM(charged), 0), COUNT(*) FROM ledger_holds
         WHERE owner_id = ?1 AND created_at >= ?2 GROUP BY d",
    )?;
    let rows = stmt.query_map(params![owner, from], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let by_day: std::collections::HashMap<String, (i64, i64)> = rows
        .collect::<crate::db::sql::Result<Vec<_>>>()?
        .into_iter()
        .map(|(d, s, n)| (d, (s, n)))
        .collect();
    Ok((0..days)
        .map(|i| {
            let date = (first + Duration::days(i64::from(i)))
                .format("%Y-%m-%d")
                .to_string();
            let (credits, count) = by_day.get(&date).copied().unwrap_or((0, 0));
            UsageDay {
                date,
                credits,
                count,
            }
        })
        .collect())
}

#[tracing::instrument(skip(state))]
pub async fn dashboard(
    state: &AppState,
    owner_id: &str,
    is_admin: bool,
    days: u32,
) -> Result<Dashboard, LedgerError> {
    let b = super::balance(state, owner_id).await?;
    let (owner, today) = (owner_id.to_string(), state.clock.now().date_naive());
    state
        .db
        .read(move |c| {
            let (used, paid_count, pending): (i64, i64, i64) = c.query_row(
                "SELECT COALESCE(SUM(charged), 0),
                        COALESCE(SUM(CASE WHEN charged > 0 THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0)
                 FROM ledger_holds WHERE owner_id = ?1",
                [&owner],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            Ok(Dashboard {
                credits: b.available,
                held: b.held,
                total_used: used,
                cost_per_summary: if paid_count > 0 { used / paid_count } else { 0 },
                usage_history: usage_days(c, &owner, today, days)?,
                is_admin,
                is_member: b.is_member,
                pending_holds: pending,
                budget_mode: b.budget_mode,
            })
        })
        .await
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Period {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageCounts {
    pub node_runs: i64,
    pub video_exports: i64,
    pub jobs: i64,
    /// Work recorded at zero cost (offline providers, cache hits).
    pub zero_cost: i64,
    /// Work not charged because the user is a member.
    pub waived: i64,
    /// Work that failed or was interrupted (never charged).
    pub voided: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageCosts {
    pub node_runs: i64,
    pub video_exports: i64,
    pub jobs: i64,
    pub total: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindUsage {
    pub kind: String,
    pub count: i64,
    pub credits: i64,
}

/// `GET /billing/usage` (credits are integers).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Usage {
    pub user_id: String,
    pub period: Period,
    pub usage: UsageCounts,
    pub costs: UsageCosts,
    pub by_kind: Vec<KindUsage>,
}

#[tracing::instrument(skip(state))]
pub async fn usage(
    state: &AppState,
    owner_id: &str,
    start: Option<String>,
    end: Option<String>,
) -> Result<Usage, LedgerError> {
    let today = state.clock.now().date_naive();
    let start_d = match start {
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| LedgerError::Invalid {
            field: "start_date",
            message: format!("start_date must be YYYY-MM-DD (got '{s}')"),
        })?,
        None => today.with_day(1).unwrap_or(today),
    };
    let end_d = match end {
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| LedgerError::Invalid {
            field: "end_date",
            message: format!("end_date must be YYYY-MM-DD (got '{s}')"),
        })?,
        None => today,
    };
    if end_d < start_d {
        return Err(LedgerError::Invalid {
            field: "end_date",
            message: "end_date is before start_date".into(),
        });
    }
    let from = format!("{}T00:00:00.000Z", start_d.format("%Y-%m-%d"));
    let to = format!(
        "{}T00:00:00.000Z",
        (end_d + Duration::days(1)).format("%Y-%m-%d")
    );
    let owner = owner_id.to_string();
    state
        .db
        .read(move |c| {
            let q = |purpose: &str| -> crate::db::sql::Result<(i64, i64)> {
                c.query_row(
                    "SELECT COUNT(*), COALESCE(SUM(charged), 0) FROM ledger_holds
                     WHERE owner_id = ?1 AND purpose = ?2 AND created_at >= ?3 AND created_at < ?4",
                    params![owner, purpose, from, to],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            };
            let (nodes, node_cost) = q("node_run")?;
            let (exports, export_cost) = q("export")?;
            let (jobs, job_cost) = q("job")?;
            let (zero, waived, voided): (i64, i64, i64) = c.query_row(
                "SELECT COALESCE(SUM(CASE WHEN status = 'settled' AND COALESCE(actual, 0) = 0 THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN waived IS NOT NULL THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN status = 'voided' THEN 1 ELSE 0 END), 0)
                 FROM ledger_holds WHERE owner_id = ?1 AND created_at >= ?2 AND created_at < ?3",
                params![owner, from, to],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let mut stmt = c.prepare(
                "SELECT COALESCE(json_extract(meta, '$.kind'), purpose) k, COUNT(*), COALESCE(SUM(charged), 0)
                 FROM ledger_holds WHERE owner_id = ?1 AND created_at >= ?2 AND created_at < ?3
                 GROUP BY k ORDER BY k",
            )?;
            let by_kind = stmt
                .query_map(params![owner, from, to], |r| {
                    Ok(KindUsage {
                        kind: r.get(0)?,
                        count: r.get(1)?,
                        credits: r.get(2)?,
                    })
                })?
                .collect::<crate::db::sql::Result<Vec<_>>>()?;
            Ok(Usage {
                user_id: owner.clone(),
                period: Period {
                    start: start_d.format("%Y-%m-%d").to_string(),
                    end: end_d.format("%Y-%m-%d").to_string(),
                },
                usage: UsageCounts {
                    node_runs: nodes,
                    video_exports: exports,
                    jobs,
                    zero_cost: zero,
                    waived,
                    voided,
                },
                costs: UsageCosts {
                    node_runs: node_cost,
                    video_exports: export_cost,
                    jobs: job_cost,
                    total: node_cost + export_cost + job_cost,
                },
                by_kind,
            })
        })
        .await
}

/// A monthly statement of what was spent from the prepaid balance (`GET /billing/invoices`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Invoice {
    pub invoice_id: String,
    /// `YYYY-MM`.
    pub period: String,
    /// Credits spent in the month (work charged, plans bought).
    pub amount: i64,
    pub amount_cents: i64,
    pub currency: String,
    /// `open` for the current month; `paid` once the month is over (credits are prepaid).
    pub status: String,
    pub issued_at: Option<String>,
    pub paid_at: Option<String>,
}

#[tracing::instrument(skip(state))]
pub async fn invoices(
    state: &AppState,
    owner_id: &str,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Invoice>, u64), LedgerError> {
    let owner = owner_id.to_string();
    let this_month = state.clock.now().format("%Y-%m").to_string();
    state
        .db
        .read(move |c| {
            let mut stmt = c.prepare(
                "SELECT substr(created_at, 1, 7) m, SUM(amount) FROM ledger_transfers
                 WHERE owner_id = ?1 AND kind IN ('charge', 'purchase', 'membership')
                 GROUP BY m ORDER BY m DESC",
            )?;
            let all = stmt
                .query_map([&owner], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })?
                .collect::<crate::db::sql::Result<Vec<_>>>()?;
            let total = all.len() as u64;
            let short: String = owner.chars().filter(|c| *c != '-').take(12).collect();
            let items = all
                .into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .map(|(m, amount)| {
                    let open = m >= this_month;
                    let issued = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                        .ok()
                        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
                        .map(|d| format!("{}T00:00:00.000Z", d.format("%Y-%m-%d")));
                    Invoice {
                        invoice_id: format!("INV-{short}-{m}"),
                        period: m,
                        amount,
                        amount_cents: amount * plans::CENTS_PER_CREDIT,
                        currency: "CNY".into(),
                        status: if open { "open" } else { "paid" }.into(),
                        issued_at: if open { None } else { issued.clone() },
                        paid_at: if open { None } else { issued },
                    }
                })
                .collect();
            Ok((items, total))
        })
        .await
}
