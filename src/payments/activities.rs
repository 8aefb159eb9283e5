//! Activities (seed 003 §9; docs/API-PAYMENTS.md, "Activities"): made by an instance admin, each
//! joined once per person while it runs.
//!
//! - `credit_gift`: joining grants `config.credits` at once (a ledger transfer keyed by the
//!   activity and the person, in the joining transaction).
//! - `membership_discount`: `config.percent` off the person's next membership order.
//! - `first_purchase`: `config.percent` off the person's first order (only for people who have
//!   not paid one yet).
//! - `referral_bonus`: while it runs, a referrer who joined it gets `config.credits` for each
//!   referred person's first paid order instead of the default reward.
//!
//! An offer on an order is held by the order like a coupon (reserved in the order's transaction,
//! used when it is paid, given back when it expires or fails). A coupon and an activity's offer
//! are not combined: an order with a coupon takes no offer.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{invalid, store, OrderKind, PaymentError};
use crate::{
    clock::rfc3339,
    db::sql::Connection,
    ledger::{self, NewTransfer},
    paging::{Page, PageSpec},
    AppState,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    CreditGift,
    MembershipDiscount,
    ReferralBonus,
    FirstPurchase,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 4] = [
        Self::CreditGift,
        Self::MembershipDiscount,
        Self::ReferralBonus,
        Self::FirstPurchase,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreditGift => "credit_gift",
            Self::MembershipDiscount => "membership_discount",
            Self::ReferralBonus => "referral_bonus",
            Self::FirstPurchase => "first_purchase",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the activity gives credits (else a percent off).
    fn gives_credits(self) -> bool {
        matches!(self, Self::CreditGift | Self::ReferralBonus)
    }
}

/// What an activity gives: credits, or a percent off.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ActivityConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Activity {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ActivityKind,
    pub description: String,
    pub config: ActivityConfig,
    pub start_time: String,
    pub end_time: String,
    /// `scheduled`, `active`, `ended` (from its window and the time now) or `disabled`.
    pub status: String,
    /// People who joined it.
    pub participants: i64,
    /// Whether the person asking joined it.
    pub joined: bool,
    pub created_at: String,
}

/// `POST /operation/activities` (seed 003's body).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActivity {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `{"credits": N}` (credit_gift, referral_bonus) or `{"percent": P}` (membership_discount,
    /// first_purchase; `discount` is taken as another name for `percent`).
    #[serde(default)]
    pub config: Option<NewActivityConfig>,
    /// RFC 3339, or `YYYY-MM-DDTHH:MM:SS` (UTC).
    pub start_time: String,
    pub end_time: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActivityConfig {
    pub credits: Option<f64>,
    pub percent: Option<f64>,
    pub discount: Option<f64>,
}

/// A whole number in `range`, required (`what` says what it is for).
fn whole_in(
    field: &'static str,
    v: Option<f64>,
    range: std::ops::RangeInclusive<i64>,
    what: &str,
) -> Result<i64, PaymentError> {
    let v = v.ok_or_else(|| invalid(field, format!("{field} is required: {what}")))?;
    super::coupons::whole(field, v, range)
}

/// The status shown: the stored one (`active`, `disabled`) read against the window.
pub(super) fn shown_status(stored: &str, start: &str, end: &str, now: &str) -> &'static str {
    if stored != "active" {
        "disabled"
    } else if now < start {
        "scheduled"
    } else if now >= end {
        "ended"
    } else {
        "active"
    }
}

/// Makes an activity (an instance admin).
#[tracing::instrument(skip(state))]
pub async fn create(state: &AppState, new: NewActivity) -> Result<Activity, PaymentError> {
    let kind = ActivityKind::parse(&new.kind).ok_or_else(|| {
        invalid(
            "type",
            format!(
                "type is credit_gift, membership_discount, referral_bonus or first_purchase (got '{}')",
                new.kind
            ),
        )
    })?;
    let name =
        crate::validate::name("name", &new.name, 100).map_err(|e| invalid(e.field, e.message))?;
    let description: String = new
        .description
        .unwrap_or_default()
        .trim()
        .chars()
        .take(2000)
        .collect();
    let cfg = new.config.unwrap_or_default();
    let config = if kind.gives_credits() {
        ActivityConfig {
            credits: Some(whole_in(
                "config.credits",
                cfg.credits,
                1..=1_000_000,
                "the credits it gives",
            )?),
            percent: None,
        }
    } else {
        ActivityConfig {
            credits: None,
            percent: Some(whole_in(
                "config.percent",
                cfg.percent.or(cfg.discount),
                1..=99,
                "the percent it takes off",
            )?),
        }
    };
    let (start, end) = (
        super::coupons::when("start_time", &new.start_time)?,
        super::coupons::when("end_time", &new.end_time)?,
    );
    if end <= start {
        return Err(invalid("end_time", "end_time is after start_time"));
    }
    let now = rfc3339(state.clock.now());
    let activity = Activity {
        id: state.ids.new_id().to_string(),
        name,
        kind,
        description,
        config,
        start_time: rfc3339(start),
        end_time: rfc3339(end),
        status: shown_status("active", &rfc3339(start), &rfc3339(end), &now).into(),
        participants: 0,
        joined: false,
        created_at: now,
    };
    let row = activity.clone();
    state
        .db
        .write(move |tx| store::insert_activity(tx, &row))
        .await?;
    Ok(activity)
}

/// Which activities a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityFilter {
    /// Running now.
    Active,
    /// Every one (instance admins).
    All,
}

/// Activities, newest first, each with whether `user_id` joined it.
pub async fn list(
    state: &AppState,
    user_id: &str,
    filter: ActivityFilter,
    spec: PageSpec,
) -> Result<Page<Activity>, PaymentError> {
    let (user, now) = (user_id.to_string(), rfc3339(state.clock.now()));
    let (items, total) = state
        .db
        .read(move |c| {
            store::activities(
                c,
                &user,
                filter == ActivityFilter::Active,
                &now,
                spec.limit,
                spec.offset,
            )
        })
        .await?;
    Ok(Page::new(items, total, spec))
}

/// What joining did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Joined {
    pub activity_id: String,
    #[serde(rename = "type")]
    pub kind: ActivityKind,
    /// Credits added to the person's balance now (credit_gift), else 0.
    pub credits_granted: i64,
    pub message: String,
}

/// Joins `user_id` to an activity, once; a credit gift is granted in the same transaction.
#[tracing::instrument(skip(state))]
pub async fn participate(
    state: &AppState,
    user_id: &str,
    activity_id: &str,
) -> Result<Joined, PaymentError> {
    let (ids, at) = (state.ids.clone(), state.clock.now());
    let (user, key) = (user_id.to_string(), activity_id.to_string());
    state
        .db
        .write(move |tx| {
            let now = rfc3339(at);
            let a = store::activity(tx, &key, &user, &now)?
                .ok_or_else(|| PaymentError::NotFound(format!("activity '{key}'")))?;
            match a.status.as_str() {
                "active" => {}
                "scheduled" => {
                    return Err(invalid(
                        "activity",
                        format!("the activity starts at {}", a.start_time),
                    ))
                }
                // Seed 003's 40010: the activity has ended.
                _ => return Err(invalid("activity", "the activity has ended")),
            }
            if a.kind == ActivityKind::FirstPurchase && store::has_paid_order(tx, &user)? {
                return Err(invalid(
                    "activity",
                    "this activity is for people who have not paid an order yet",
                ));
            }
            if !store::insert_participation(tx, &a.id, &user, &now)? {
                return Err(PaymentError::Conflict(
                    "you have joined this activity already".into(),
                ));
            }
            let (credits_granted, message) = match a.kind {
                ActivityKind::CreditGift => {
                    let credits = a.config.credits.unwrap_or(0);
                    ledger::ensure_user_accounts(tx, &user, &now)?;
                    ledger::transfer_in_tx(
                        tx,
                        ids.as_ref(),
                        &now,
                        &NewTransfer {
                            key: format!("activity:{}:{}", a.id, user),
                            kind: "activity",
                            debit: ledger::ISSUANCE.into(),
                            credit: ledger::wallet(&user),
                            amount: credits,
                            owner_id: Some(user.clone()),
                            hold_id: None,
                            corrects: None,
                            description: format!("activity: {}", a.name),
                        },
                    )?;
                    store::use_participation(tx, &a.id, &user, credits, &now)?;
                    (
                        credits,
                        format!("{credits} credits were added to your balance"),
                    )
                }
                ActivityKind::MembershipDiscount => (
                    0,
                    format!(
                        "{}% off your next membership",
                        a.config.percent.unwrap_or(0)
                    ),
                ),
                ActivityKind::FirstPurchase => (
                    0,
                    format!("{}% off your first order", a.config.percent.unwrap_or(0)),
                ),
                ActivityKind::ReferralBonus => (
                    0,
                    format!(
                        "{} credits for each person you refer, once their first order is paid",
                        a.config.credits.unwrap_or(0)
                    ),
                ),
            };
            Ok(Joined {
                activity_id: a.id,
                kind: a.kind,
                credits_granted,
                message,
            })
        })
        .await
}

/// An activity's offer applied to an order's price.
#[derive(Debug, Clone)]
pub(super) struct Offer {
    pub activity_id: String,
    pub discount_cents: i64,
}

/// The best offer `user_id` joined that applies to an order of `kind` (membership_discount for a
/// membership; first_purchase for anyone who has not paid yet), held by the order.
pub(super) fn offer_in_tx(
    tx: &Connection,
    user_id: &str,
    order_id: &str,
    kind: OrderKind,
    list_cents: i64,
    now: &str,
) -> Result<Option<Offer>, PaymentError> {
    let first = !store::has_paid_order(tx, user_id)?;
    let best = store::joined_offers(tx, user_id, now)?
        .into_iter()
        .filter(|(_, k, _)| match k {
            ActivityKind::MembershipDiscount => kind == OrderKind::Membership,
            ActivityKind::FirstPurchase => first,
            _ => false,
        })
        .max_by_key(|(_, _, percent)| *percent);
    let Some((activity_id, _, percent)) = best else {
        return Ok(None);
    };
    let discount_cents = list_cents * percent / 100;
    if discount_cents <= 0 || !store::reserve_participation(tx, &activity_id, user_id, order_id)? {
        return Ok(None);
    }
    Ok(Some(Offer {
        activity_id,
        discount_cents,
    }))
}
