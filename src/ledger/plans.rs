//! Memberships (monthly / quarterly / yearly; an active member is not charged) and subscription
//! tiers (`/subscriptions/me`, upgrade; a monthly quota); docs/API-LEDGER.md, "Plans".
//!
//! Until payments (issue 7) land, plans are bought from the credit balance
//! (`payment_method: "balance"`): the price is a `purchase`/`membership` transfer wallet → revenue,
//! so an unaffordable plan is a 402. One credit is 10 cents (¥10.00 buys 100 credits).
//!
//! A subscription's quota is granted into the wallet at the start of each monthly period
//! (`quota_grant`, keyed by plan and period so it happens once) and what is left of it at the end of
//! the period expires (`quota_expire`: the quota minus what was charged in the period, never more than
//! the wallet holds). Charges draw on the quota first, so bought credits never expire.
use crate::db::sql::{params, Connection, OptionalExtension};
use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    ensure_user_accounts, transfer_in_tx, wallet, LedgerError, NewTransfer, ISSUANCE, REVENUE,
};
use crate::{clock::rfc3339, clock::IdSource, AppState};

/// Credits per 100 cents.
pub const CENTS_PER_CREDIT: i64 = 10;

/// (membership type, months, price in cents) — the table in docs/API-LEDGER.md, "Plans".
pub const MEMBERSHIPS: &[(&str, u32, i64)] = &[
    ("monthly", 1, 990),
    ("quarterly", 3, 2500),
    ("yearly", 12, 9900),
];

/// (tier, monthly quota in credits, monthly price in cents). Yearly billing costs ten months.
pub const TIERS: &[(&str, i64, i64)] = &[
    ("free", 0, 0),
    ("professional", 2000, 9900),
    ("enterprise", 10000, 39900),
];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Plan {
    pub id: String,
    pub owner_id: String,
    /// `membership` or `subscription`.
    pub kind: String,
    pub tier: String,
    pub billing_cycle: String,
    pub status: String,
    pub quota_total: i64,
    pub price_credits: i64,
    pub starts_at: String,
    pub ends_at: String,
    pub created_at: String,
}

const PLAN_COLUMNS: &str = "id, owner_id, kind, tier, billing_cycle, status, quota_total, \
     price_credits, starts_at, ends_at, created_at";

fn plan_row(r: &crate::db::sql::Row<'_>) -> crate::db::sql::Result<Plan> {
    Ok(Plan {
        id: r.get(0)?,
        owner_id: r.get(1)?,
        kind: r.get(2)?,
        tier: r.get(3)?,
        billing_cycle: r.get(4)?,
        status: r.get(5)?,
        quota_total: r.get(6)?,
        price_credits: r.get(7)?,
        starts_at: r.get(8)?,
        ends_at: r.get(9)?,
        created_at: r.get(10)?,
    })
}

fn parse(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn latest(c: &Connection, owner_id: &str, kind: &str) -> Result<Option<Plan>, LedgerError> {
    Ok(c
        .prepare_cached(&format!(
            "SELECT {PLAN_COLUMNS} FROM billing_plans WHERE owner_id = ?1 AND kind = ?2 AND status = 'active'
             ORDER BY created_at DESC, id DESC LIMIT 1"
        ))?
        .query_row(params![owner_id, kind], plan_row)
        .optional()?)
}

/// The membership in force now, if any.
pub fn active_membership(
    c: &Connection,
    owner_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Plan>, LedgerError> {
    Ok(latest(c, owner_id, "membership")?.filter(|p| parse(&p.ends_at) > now))
}

/// The subscription in force now, if any (no row = the free tier).
pub fn active_subscription(
    c: &Connection,
    owner_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Plan>, LedgerError> {
    Ok(latest(c, owner_id, "subscription")?.filter(|p| parse(&p.ends_at) > now))
}

/// How many owners had a membership in force at `at` (RFC 3339).
pub fn members_at(c: &Connection, at: &str) -> Result<i64, LedgerError> {
    Ok(c.query_row(
        "SELECT COUNT(DISTINCT owner_id) FROM billing_plans
         WHERE kind = 'membership' AND status = 'active' AND starts_at <= ?1 AND ends_at > ?1",
        [at],
        |r| r.get(0),
    )?)
}

fn add_months(t: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    t.checked_add_months(Months::new(n)).unwrap_or(t)
}

/// (index, start, end) of the monthly quota period containing `now` (clamped to the plan).
fn period_at(plan: &Plan, now: DateTime<Utc>) -> (u32, DateTime<Utc>, DateTime<Utc>) {
    let start = parse(&plan.starts_at);
    let mut k = 0;
    while add_months(start, k + 1) <= now && k < 1200 {
        k += 1;
    }
    (k, add_months(start, k), add_months(start, k + 1))
}

fn charged_between(
    c: &Connection,
    owner_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64, LedgerError> {
    Ok(c.query_row(
        "SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers
         WHERE owner_id = ?1 AND kind = 'charge' AND created_at >= ?2 AND created_at < ?3",
        params![owner_id, rfc3339(from), rfc3339(to)],
        |r| r.get(0),
    )?)
}

fn has_key(c: &Connection, key: &str) -> Result<bool, LedgerError> {
    Ok(c.query_row(
        "SELECT 1 FROM ledger_transfers WHERE key = ?1",
        [key],
        |_| Ok(true),
    )
    .optional()?
    .unwrap_or(false))
}

/// Expires the unused quota of every finished period of `plan` and grants the current one.
pub fn roll_quota_in_tx(
    c: &Connection,
    ids: &dyn IdSource,
    plan: &Plan,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    if plan.quota_total <= 0 {
        return Ok(());
    }
    let now_s = rfc3339(now);
    ensure_user_accounts(c, &plan.owner_id, &now_s)?;
    let start = parse(&plan.starts_at);
    let ends = parse(&plan.ends_at);
    let granted: Vec<u32> = {
        let mut stmt = c.prepare("SELECT key FROM ledger_transfers WHERE key LIKE ?1")?;
        let rows = stmt.query_map([format!("quota:{}:%", plan.id)], |r| r.get::<_, String>(0))?;
        rows.filter_map(|k| k.ok()?.rsplit(':').next()?.parse().ok())
            .collect()
    };
    for k in granted {
        let (p_start, p_end) = (add_months(start, k), add_months(start, k + 1).min(ends));
        let ended = p_end <= now || plan.status != "active";
        let key = format!("quota-expire:{}:{k}", plan.id);
        if !ended || has_key(c, &key)? {
            continue;
        }
        let used = charged_between(c, &plan.owner_id, p_start, p_end)?;
        let unused = (plan.quota_total - used).max(0);
        let in_wallet: i64 = c.query_row(
            "SELECT balance FROM ledger_accounts WHERE id = ?1",
            [wallet(&plan.owner_id)],
            |r| r.get(0),
        )?;
        let expire = unused.min(in_wallet);
        if expire > 0 {
            transfer_in_tx(
                c,
                ids,
                &now_s,
                &NewTransfer {
                    key,
                    kind: "quota_expire",
                    debit: wallet(&plan.owner_id),
                    credit: ISSUANCE.into(),
                    amount: expire,
                    owner_id: Some(plan.owner_id.clone()),
                    hold_id: None,
                    corrects: None,
                    description: format!("unused {} quota of period {}", plan.tier, k + 1),
                },
            )?;
        }
    }
    if plan.status == "active" && now < ends {
        let (k, _, _) = period_at(plan, now);
        transfer_in_tx(
            c,
            ids,
            &now_s,
            &NewTransfer {
                key: format!("quota:{}:{k}", plan.id),
                kind: "quota_grant",
                debit: ISSUANCE.into(),
                credit: wallet(&plan.owner_id),
                amount: plan.quota_total,
                owner_id: Some(plan.owner_id.clone()),
                hold_id: None,
                corrects: None,
                description: format!("{} monthly quota, period {}", plan.tier, k + 1),
            },
        )?;
    }
    Ok(())
}

/// Brings the owner's subscription quota up to date (a write only when a period turned).
#[tracing::instrument(skip(state))]
pub async fn roll_quota(state: &AppState, owner_id: &str) -> Result<(), LedgerError> {
    let (owner, now) = (owner_id.to_string(), state.clock.now());
    let needs = state
        .db
        .read(move |c| {
            let Some(plan) = latest(c, &owner, "subscription")? else {
                return Ok::<_, LedgerError>(false);
            };
            if plan.quota_total <= 0 {
                return Ok(false);
            }
            let (start, ends) = (parse(&plan.starts_at), parse(&plan.ends_at));
            let mut stmt = c.prepare("SELECT key FROM ledger_transfers WHERE key LIKE ?1")?;
            let keys: Vec<String> = stmt
                .query_map([format!("quota%:{}:%", plan.id)], |r| r.get(0))?
                .collect::<crate::db::sql::Result<_>>()?;
            let expired = |k: u32| keys.contains(&format!("quota-expire:{}:{k}", plan.id));
            let granted: Vec<u32> = keys
                .iter()
                .filter_map(|k| k.strip_prefix(&format!("quota:{}:", plan.id))?.parse().ok())
                .collect();
            let stale = granted
                .iter()
                .any(|&k| !expired(k) && add_months(start, k + 1).min(ends) <= now);
            let (k, _, _) = period_at(&plan, now);
            Ok(stale || (now < ends && !granted.contains(&k)))
        })
        .await?;
    if !needs {
        return Ok(());
    }
    let (owner, ids) = (owner_id.to_string(), state.ids.clone());
    state
        .db
        .write(move |tx| {
            if let Some(plan) = latest(tx, &owner, "subscription")? {
                roll_quota_in_tx(tx, ids.as_ref(), &plan, now)?;
            }
            Ok(())
        })
        .await
}

/// `GET /subscriptions/me`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub user_id: String,
    pub subscription_id: Option<String>,
    pub tier: String,
    /// `active`, or `none` on the free tier without a plan.
    pub status: String,
    pub quota_total: i64,
    pub quota_used: i64,
    pub quota_remaining: i64,
    pub billing_cycle: Option<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    /// The date the plan ends unless upgraded again (plans do not renew by themselves).
    pub next_billing_date: Option<String>,
    pub price_credits: i64,
    pub created_at: Option<String>,
}

#[tracing::instrument(skip(state))]
pub async fn subscription(
    state: &AppState,
    owner_id: &str,
) -> Result<SubscriptionView, LedgerError> {
    roll_quota(state, owner_id).await?;
    let (owner, now) = (owner_id.to_string(), state.clock.now());
    state
        .db
        .read(move |c| {
            let Some(plan) = active_subscription(c, &owner, now)? else {
                return Ok(SubscriptionView {
                    user_id: owner,
                    subscription_id: None,
                    tier: "free".into(),
                    status: "none".into(),
                    quota_total: 0,
                    quota_used: 0,
                    quota_remaining: 0,
                    billing_cycle: None,
                    period_start: None,
                    period_end: None,
                    next_billing_date: None,
                    price_credits: 0,
                    created_at: None,
                });
            };
            let (_, p_start, p_end) = period_at(&plan, now);
            let used = charged_between(c, &owner, p_start, p_end)?.min(plan.quota_total);
            Ok(SubscriptionView {
                user_id: owner,
                subscription_id: Some(plan.id.clone()),
                tier: plan.tier.clone(),
                status: plan.status.clone(),
                quota_total: plan.quota_total,
                quota_used: used,
                quota_remaining: plan.quota_total - used,
                billing_cycle: Some(plan.billing_cycle.clone()),
                period_start: Some(rfc3339(p_start)),
                period_end: Some(rfc3339(p_end.min(parse(&plan.ends_at)))),
                next_billing_date: Some(plan.ends_at[..10].to_string()),
                price_credits: plan.price_credits,
                created_at: Some(plan.created_at),
            })
        })
        .await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Upgrade {
    /// `free`, `professional` or `enterprise`.
    pub tier: String,
    /// `monthly` (default) or `yearly` (ten months' price for twelve).
    pub billing_cycle: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpgradeResult {
    pub subscription_id: Option<String>,
    pub tier: String,
    pub status: String,
    pub billing_cycle: String,
    pub price_credits: i64,
    pub message: String,
}

fn insert_plan(
    c: &Connection,
    p: &Plan,
    purchase_transfer_id: Option<&str>,
) -> Result<(), LedgerError> {
    c.execute(
        "INSERT INTO billing_plans (id, owner_id, kind, tier, billing_cycle, status, quota_total, price_credits,
                                    purchase_transfer_id, starts_at, ends_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        params![p.id, p.owner_id, p.kind, p.tier, p.billing_cycle, p.quota_total, p.price_credits,
                purchase_transfer_id, p.starts_at, p.ends_at, p.created_at],
    )?;
    Ok(())
}

/// `POST /subscriptions/upgrade`: pays the tier's price from the balance, ends the current
/// plan (its unused quota expires) and grants the new plan's first monthly quota.
#[tracing::instrument(skip(state))]
pub async fn upgrade(
    state: &AppState,
    owner_id: &str,
    input: Upgrade,
) -> Result<UpgradeResult, LedgerError> {
    let cycle = input.billing_cycle.unwrap_or_else(|| "monthly".into());
    let months = match cycle.as_str() {
        "monthly" => 1,
        "yearly" => 12,
        other => {
            return Err(LedgerError::Invalid {
                field: "billing_cycle",
                message: format!("billing_cycle is 'monthly' or 'yearly' (got '{other}')"),
            })
        }
    };
    let &(tier, quota, monthly_cents) =
        TIERS
            .iter()
            .find(|t| t.0 == input.tier)
            .ok_or_else(|| LedgerError::Invalid {
                field: "tier",
                message: format!(
                    "tier is one of {} (got '{}')",
                    TIERS.iter().map(|t| t.0).collect::<Vec<_>>().join(", "),
                    input.tier
                ),
            })?;
    let price_cents = if months == 12 {
        monthly_cents * 10
    } else {
        monthly_cents
    };
    let price = price_cents / CENTS_PER_CREDIT;
    let (owner, ids, now) = (owner_id.to_string(), state.ids.clone(), state.clock.now());
    let plan_id = state.ids.new_id().to_string();
    state
        .db
        .write(move |tx| {
            let now_s = rfc3339(now);
            ensure_user_accounts(tx, &owner, &now_s)?;
            if let Some(cur) = active_subscription(tx, &owner, now)? {
                if cur.tier == tier && cur.billing_cycle == cycle {
                    return Err(LedgerError::AlreadyResolved(format!(
                        "the {tier} ({cycle}) plan is already active until {}",
                        cur.ends_at
                    )));
                }
            }
            let purchase = if price > 0 {
                Some(transfer_in_tx(
                    tx,
                    ids.as_ref(),
                    &now_s,
                    &NewTransfer {
                        key: format!("purchase:{plan_id}"),
                        kind: "purchase",
                        debit: wallet(&owner),
                        credit: REVENUE.into(),
                        amount: price,
                        owner_id: Some(owner.clone()),
                        hold_id: None,
                        corrects: None,
                        description: format!("{tier} subscription ({cycle})"),
                    },
                )?)
            } else {
                None
            };
            if let Some(old) = latest(tx, &owner, "subscription")? {
                tx.execute(
                    "UPDATE billing_plans SET status = 'replaced', updated_at = ?1 WHERE id = ?2",
                    params![now_s, old.id],
                )?;
                let mut ended = old.clone();
                ended.status = "replaced".into();
                roll_quota_in_tx(tx, ids.as_ref(), &ended, now)?;
            }
            if tier == "free" {
                return Ok(UpgradeResult {
                    subscription_id: None,
                    tier: tier.into(),
                    status: "active".into(),
                    billing_cycle: cycle,
                    price_credits: 0,
                    message: "Back on the free tier".into(),
                });
            }
            let plan = Plan {
                id: plan_id.clone(),
                owner_id: owner.clone(),
                kind: "subscription".into(),
                tier: tier.into(),
                billing_cycle: cycle.clone(),
                status: "active".into(),
                quota_total: quota,
                price_credits: price,
                starts_at: now_s.clone(),
                ends_at: rfc3339(add_months(now, months)),
                created_at: now_s.clone(),
            };
            insert_plan(tx, &plan, purchase.as_ref().map(|p| p.id.as_str()))?;
            roll_quota_in_tx(tx, ids.as_ref(), &plan, now)?;
            Ok(UpgradeResult {
                subscription_id: Some(plan.id),
                tier: tier.into(),
                status: "active".into(),
                billing_cycle: cycle,
                price_credits: price,
                message: "Subscription upgraded successfully".into(),
            })
        })
        .await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyMembership {
    /// `monthly`, `quarterly` or `yearly`.
    pub membership_type: String,
    /// `balance` (the default: paid with credits), or a gateway (`alipay`, `wechat`, `stripe`,
    /// `sandbox`): an order to pay there.
    pub payment_method: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembershipOrder {
    pub order_id: String,
    pub membership_type: String,
    pub amount_cents: i64,
    pub currency: String,
    pub price_credits: i64,
    pub membership_end_date: String,
}

/// Makes `owner` a `kind` member (monthly, quarterly, yearly) from now, or from the end of the
/// membership they have (buying again extends it): the plan row `plan_id`, paid by the transfer
/// `purchase_transfer_id` (credits) or by an order paid at a gateway (None). The membership's end.
pub fn activate_membership_in_tx(
    tx: &Connection,
    owner: &str,
    kind: &str,
    price_credits: i64,
    purchase_transfer_id: Option<&str>,
    plan_id: &str,
    now: DateTime<Utc>,
) -> Result<String, LedgerError> {
    let &(kind, months, _) =
        MEMBERSHIPS
            .iter()
            .find(|m| m.0 == kind)
            .ok_or_else(|| LedgerError::Invalid {
                field: "membership_type",
                message: format!("membership_type is monthly, quarterly or yearly (got '{kind}')"),
            })?;
    let now_s = rfc3339(now);
    let from = match active_membership(tx, owner, now)? {
        Some(cur) => {
            tx.execute(
                "UPDATE billing_plans SET status = 'replaced', updated_at = ?1 WHERE id = ?2",
                params![now_s, cur.id],
            )?;
            parse(&cur.ends_at).max(now)
        }
        None => now,
    };
    let ends_at = rfc3339(add_months(from, months));
    insert_plan(
        tx,
        &Plan {
            id: plan_id.to_string(),
            owner_id: owner.to_string(),
            kind: "membership".into(),
            tier: kind.into(),
            billing_cycle: kind.into(),
            status: "active".into(),
            quota_total: 0,
            price_credits,
            starts_at: now_s.clone(),
            ends_at: ends_at.clone(),
            created_at: now_s,
        },
        purchase_transfer_id,
    )?;
    Ok(ends_at)
}

/// `POST /credit/membership` with `payment_method: balance`: a member is not charged for
/// work until the end date; buying again extends it.
#[tracing::instrument(skip(state))]
pub async fn buy_membership(
    state: &AppState,
    owner_id: &str,
    input: BuyMembership,
) -> Result<MembershipOrder, LedgerError> {
    let method = input.payment_method.as_deref().unwrap_or("balance");
    if method != "balance" {
        return Err(LedgerError::Invalid {
            field: "payment_method",
            message: format!(
                "payment_method '{method}' is not the balance; gateways make an order"
            ),
        });
    }
    let &(kind, _, cents) = MEMBERSHIPS
        .iter()
        .find(|m| m.0 == input.membership_type)
        .ok_or_else(|| LedgerError::Invalid {
            field: "membership_type",
            message: format!(
                "membership_type is monthly, quarterly or yearly (got '{}')",
                input.membership_type
            ),
        })?;
    let price = cents / CENTS_PER_CREDIT;
    let (owner, ids, now) = (owner_id.to_string(), state.ids.clone(), state.clock.now());
    let plan_id = state.ids.new_id().to_string();
    state
        .db
        .write(move |tx| {
            let now_s = rfc3339(now);
            ensure_user_accounts(tx, &owner, &now_s)?;
            let t = transfer_in_tx(
                tx,
                ids.as_ref(),
                &now_s,
                &NewTransfer {
                    key: format!("membership:{plan_id}"),
                    kind: "membership",
                    debit: wallet(&owner),
                    credit: REVENUE.into(),
                    amount: price,
                    owner_id: Some(owner.clone()),
                    hold_id: None,
                    corrects: None,
                    description: format!("{kind} membership"),
                },
            )?;
            let ends_at =
                activate_membership_in_tx(tx, &owner, kind, price, Some(&t.id), &plan_id, now)?;
            Ok(MembershipOrder {
                order_id: plan_id,
                membership_type: kind.into(),
                amount_cents: cents,
                currency: "CNY".into(),
                price_credits: price,
                membership_end_date: ends_at,
            })
        })
        .await
}
