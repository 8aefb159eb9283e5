//! Coupons (seed 003 §9; docs/API-PAYMENTS.md, "Coupons"): `discount` (percent off), `deduction`
//! (a fixed sum off) and `credit_bonus` (more credits). A coupon is applied when an order is made,
//! in the order's own transaction: its use is taken by one conditional update against
//! `max_usage` (so fifty orders at once on a coupon with one use left get it once), held by the
//! order, made final when the order is paid, and given back when it expires or fails.
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{invalid, store, OrderKind, PaymentError};
use crate::{
    clock::rfc3339,
    db::sql::Connection,
    paging::{Page, PageSpec},
    AppState,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CouponKind {
    /// `value` percent off the price (1–99).
    Discount,
    /// `value` cents off the price (less than the price).
    Deduction,
    /// `value` credits more on a recharge.
    CreditBonus,
}

impl CouponKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Discount => "discount",
            Self::Deduction => "deduction",
            Self::CreditBonus => "credit_bonus",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Discount, Self::Deduction, Self::CreditBonus]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Coupon {
    pub id: String,
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: CouponKind,
    /// Percent (discount), cents (deduction) or credits (credit_bonus).
    pub value: i64,
    pub min_amount_cents: i64,
    pub max_usage: i64,
    pub used_count: i64,
    pub valid_from: String,
    pub valid_until: String,
    /// `active` or `disabled`.
    pub status: String,
    pub created_at: String,
}

/// `POST /operation/coupons` (seed 003's body; amounts in yuan).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCoupon {
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: CouponKind,
    /// Percent off (discount, 1–99), yuan off (deduction, two decimals at most) or credits
    /// (credit_bonus).
    pub value: f64,
    /// The smallest order price it applies to, in yuan.
    pub min_amount: Option<f64>,
    pub max_usage: i64,
    /// RFC 3339, or `YYYY-MM-DDTHH:MM:SS` (UTC).
    pub valid_from: String,
    pub valid_until: String,
}

/// A time given as RFC 3339, or `YYYY-MM-DDTHH:MM:SS` (UTC).
pub(super) fn when(field: &'static str, s: &str) -> Result<DateTime<Utc>, PaymentError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").map(|t| t.and_utc()))
        .map_err(|_| invalid(field, format!("{field} is a time (RFC 3339), got '{s}'")))
}

pub(super) fn whole(
    field: &'static str,
    v: f64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, PaymentError> {
    if v.fract() != 0.0 || !range.contains(&(v as i64)) {
        return Err(invalid(
            field,
            format!(
                "{field} is a whole number from {} to {} (got {v})",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(v as i64)
}

/// Makes a coupon (an instance admin).
#[tracing::instrument(skip(state))]
pub async fn create(state: &AppState, new: NewCoupon) -> Result<Coupon, PaymentError> {
    let code = new.code.trim().to_string();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(invalid("code", "code is 1–40 letters, digits, '-' or '_'"));
    }
    let name =
        crate::validate::name("name", &new.name, 100).map_err(|e| invalid(e.field, e.message))?;
    let value = match new.kind {
        CouponKind::Discount => whole("value", new.value, 1..=99)?,
        CouponKind::Deduction => super::cents_from_yuan("value", new.value)?,
        CouponKind::CreditBonus => whole("value", new.value, 1..=1_000_000)?,
    };
    let min_amount_cents = match new.min_amount.filter(|v| *v != 0.0) {
        None => 0,
        Some(v) => super::cents_from_yuan("min_amount", v)?,
    };
    if !(1..=10_000_000).contains(&new.max_usage) {
        return Err(invalid("max_usage", "max_usage is 1 to 10,000,000"));
    }
    let (from, until) = (
        when("valid_from", &new.valid_from)?,
        when("valid_until", &new.valid_until)?,
    );
    if until <= from {
        return Err(invalid("valid_until", "valid_until is after valid_from"));
    }
    let coupon = Coupon {
        id: state.ids.new_id().to_string(),
        code: code.clone(),
        name,
        kind: new.kind,
        value,
        min_amount_cents,
        max_usage: new.max_usage,
        used_count: 0,
        valid_from: rfc3339(from),
        valid_until: rfc3339(until),
        status: "active".into(),
        created_at: rfc3339(state.clock.now()),
    };
    let row = coupon.clone();
    if !state
        .db
        .write(move |tx| store::insert_coupon(tx, &row))
        .await?
    {
        return Err(PaymentError::Conflict(format!(
            "a coupon with the code '{code}' exists"
        )));
    }
    Ok(coupon)
}

/// Coupons, newest first: only those one can use now (`active_only`), or all (admins).
pub async fn list(
    state: &AppState,
    active_only: bool,
    spec: PageSpec,
) -> Result<Page<Coupon>, PaymentError> {
    let now = active_only.then(|| rfc3339(state.clock.now()));
    let (items, total) = state
        .db
        .read(move |c| store::coupons(c, now.as_deref(), spec.limit, spec.offset))
        .await?;
    Ok(Page::new(items, total, spec))
}

/// One of a person's coupons.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyCoupon {
    #[serde(flatten)]
    pub coupon: Coupon,
    /// `unused`, `reserved` (an open order holds it) or `used`.
    pub claim_status: String,
    pub claimed_at: String,
}

/// Claims a coupon for `user_id` (once; claiming again answers the same claim).
#[tracing::instrument(skip(state))]
pub async fn claim(
    state: &AppState,
    user_id: &str,
    coupon_id: &str,
) -> Result<MyCoupon, PaymentError> {
    let (user, key, now) = (
        user_id.to_string(),
        coupon_id.to_string(),
        rfc3339(state.clock.now()),
    );
    state
        .db
        .write(move |tx| {
            let coupon = usable(tx, &key, &now)?;
            if store::claim_status(tx, &coupon.id, &user)?.is_none() {
                store::set_claim(tx, &coupon.id, &user, "unused", None, &now)?;
            }
            let (coupon, status, at) = store::claims_of(tx, &user, None)?
                .into_iter()
                .find(|(k, _, _)| k.id == coupon.id)
                .ok_or_else(|| PaymentError::NotFound(key.clone()))?;
            Ok(MyCoupon {
                coupon,
                claim_status: status,
                claimed_at: at,
            })
        })
        .await
}

/// `user_id`'s coupons (of one claim status).
pub async fn mine(
    state: &AppState,
    user_id: &str,
    status: Option<String>,
) -> Result<Vec<MyCoupon>, PaymentError> {
    if let Some(s) = status.as_deref() {
        if !["unused", "reserved", "used"].contains(&s) {
            return Err(invalid(
                "status",
                format!("status is unused, reserved or used (got '{s}')"),
            ));
        }
    }
    let user = user_id.to_string();
    let rows = state
        .db
        .read(move |c| store::claims_of(c, &user, status.as_deref()))
        .await?;
    Ok(rows
        .into_iter()
        .map(|(coupon, claim_status, claimed_at)| MyCoupon {
            coupon,
            claim_status,
            claimed_at,
        })
        .collect())
}

/// The coupon `code` if it can be used at `now` (active, in its window, a use left).
fn usable(c: &Connection, code: &str, now: &str) -> Result<Coupon, PaymentError> {
    let coupon = store::coupon(c, code)?
        .ok_or_else(|| invalid("coupon_code", format!("there is no coupon '{code}'")))?;
    if coupon.status != "active"
        || now < coupon.valid_from.as_str()
        || now >= coupon.valid_until.as_str()
    {
        return Err(invalid(
            "coupon_code",
            format!("the coupon '{}' is not valid now", coupon.code),
        ));
    }
    if coupon.used_count >= coupon.max_usage {
        return Err(PaymentError::Conflict(format!(
            "the coupon '{}' is used up",
            coupon.code
        )));
    }
    Ok(coupon)
}

/// What a coupon does to an order's price.
#[derive(Debug, Clone)]
pub(super) struct Priced {
    pub coupon_id: String,
    pub discount_cents: i64,
    pub bonus_credits: i64,
}

/// Applies `code` to an order of `list_cents` being made by `user_id`, in its transaction: the
/// use is taken (or the order refused), the person's claim is held by the order.
pub(super) fn apply_in_tx(
    tx: &Connection,
    code: &str,
    user_id: &str,
    order_id: &str,
    kind: OrderKind,
    list_cents: i64,
    now: &str,
) -> Result<Priced, PaymentError> {
    let coupon = usable(tx, code, now)?;
    if list_cents < coupon.min_amount_cents {
        return Err(invalid(
            "coupon_code",
            format!(
                "the coupon '{}' is for orders of ¥{} or more",
                coupon.code,
                super::yuan(coupon.min_amount_cents)
            ),
        ));
    }
    let (discount_cents, bonus_credits) = match coupon.kind {
        CouponKind::Discount => (list_cents * coupon.value / 100, 0),
        CouponKind::Deduction if coupon.value < list_cents => (coupon.value, 0),
        CouponKind::Deduction => {
            return Err(invalid(
                "coupon_code",
                "the coupon is worth the whole order or more: choose a larger amount",
            ))
        }
        CouponKind::CreditBonus if kind == OrderKind::Recharge => (0, coupon.value),
        CouponKind::CreditBonus => {
            return Err(invalid(
                "coupon_code",
                "a credit bonus applies to recharges",
            ))
        }
    };
    if matches!(
        store::claim_status(tx, &coupon.id, user_id)?.as_deref(),
        Some("reserved" | "used")
    ) {
        return Err(PaymentError::Conflict(format!(
            "you have used the coupon '{}' already",
            coupon.code
        )));
    }
    if !store::take_coupon_use(tx, &coupon.id)? {
        return Err(PaymentError::Conflict(format!(
            "the coupon '{}' is used up",
            coupon.code
        )));
    }
    store::set_claim(tx, &coupon.id, user_id, "reserved", Some(order_id), now)?;
    Ok(Priced {
        coupon_id: coupon.id,
        discount_cents,
        bonus_credits,
    })
}

/// The order closed unpaid: its coupon's use goes back, and the person's claim is unused again.
pub(super) fn release_in_tx(
    tx: &Connection,
    order_id: &str,
    user_id: &str,
    now: &str,
) -> Result<(), PaymentError> {
    if let Some(coupon_id) = store::order_coupon(tx, order_id)? {
        store::give_coupon_use_back(tx, &coupon_id)?;
        store::set_claim(tx, &coupon_id, user_id, "unused", None, now)?;
    }
    Ok(())
}

/// The order is paid: its coupon is used for good (taken again if the order had given it back).
pub(super) fn use_in_tx(
    tx: &Connection,
    order_id: &str,
    user_id: &str,
    was_released: bool,
    now: &str,
) -> Result<(), PaymentError> {
    if let Some(coupon_id) = store::order_coupon(tx, order_id)? {
        if was_released {
            store::retake_coupon_use(tx, &coupon_id)?;
        }
        store::set_claim(tx, &coupon_id, user_id, "used", Some(order_id), now)?;
    }
    Ok(())
}
