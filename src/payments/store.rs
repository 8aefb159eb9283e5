//! The payment tables (`payment_orders`, `payment_events`); every statement the payments domain
//! runs is here.
use crate::db::{
    sql::{params, Connection, OptionalExtension, Row},
    DbError,
};
use crate::states::Status;

use super::{Gateway, Order, OrderKind, OrderStatus};

const COLUMNS: &str = "id, out_trade_no, owner_id, user_id, kind, product, gateway, amount_cents, \
     currency, credits, status, payment_url, gateway_ref, gateway_trade_no, transfer_id, plan_id, \
     created_at, updated_at, expires_at, paid_at, coupon_id, COALESCE(list_amount_cents, amount_cents), \
     discount_cents, bonus_credits, activity_id";

fn order_row(r: &Row<'_>) -> crate::db::sql::Result<Order> {
    Ok(Order {
        id: r.get(0)?,
        out_trade_no: r.get(1)?,
        owner_id: r.get(2)?,
        user_id: r.get(3)?,
        kind: OrderKind::parse(&r.get::<_, String>(4)?).unwrap_or(OrderKind::Recharge),
        product: r.get(5)?,
        gateway: Gateway::parse(&r.get::<_, String>(6)?).unwrap_or(Gateway::Sandbox),
        amount_cents: r.get(7)?,
        currency: r.get(8)?,
        credits: r.get(9)?,
        status: r.get(10)?,
        payment_url: r.get(11)?,
        gateway_ref: r.get(12)?,
        gateway_trade_no: r.get(13)?,
        transfer_id: r.get(14)?,
        plan_id: r.get(15)?,
        created_at: r.get(16)?,
        updated_at: r.get(17)?,
        expires_at: r.get(18)?,
        paid_at: r.get(19)?,
        coupon_id: r.get(20)?,
        list_amount_cents: r.get(21)?,
        discount_cents: r.get(22)?,
        bonus_credits: r.get(23)?,
        activity_id: r.get(24)?,
    })
}

pub fn insert_order(c: &Connection, o: &Order) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO payment_orders (id, out_trade_no, owner_id, user_id, kind, product, gateway,
             amount_cents, currency, credits, status, payment_url, gateway_ref, created_at,
             updated_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15)",
        params![
            o.id,
            o.out_trade_no,
            o.owner_id,
            o.user_id,
            o.kind.as_str(),
            o.product,
            o.gateway.as_str(),
            o.amount_cents,
            o.currency,
            o.credits,
            o.status,
            o.payment_url,
            o.gateway_ref,
            o.created_at,
            o.expires_at
        ],
    )?;
    Ok(())
}

/// Records where the payer pays (set after the gateway made the payment, outside the order's
/// first transaction: the gateway call is not held inside a write).
pub fn set_payment(
    c: &Connection,
    id: &str,
    url: &str,
    gateway_ref: Option<&str>,
    now: &str,
) -> Result<(), DbError> {
    c.execute(
        "UPDATE payment_orders SET payment_url = ?2, gateway_ref = COALESCE(?3, gateway_ref),
             updated_at = ?4 WHERE id = ?1",
        params![id, url, gateway_ref, now],
    )?;
    Ok(())
}

pub fn order(c: &Connection, id: &str) -> Result<Option<Order>, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM payment_orders WHERE id = ?1 OR out_trade_no = ?1"
    ))?
    .query_row([id], order_row)
    .optional()?)
}

pub fn orders_of(
    c: &Connection,
    owner_id: &str,
    kind: Option<OrderKind>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Order>, u64), DbError> {
    let kind = kind.map(|k| k.as_str().to_string());
    let total: i64 = c.query_row(
        "SELECT COUNT(*) FROM payment_orders WHERE owner_id = ?1 AND (?2 IS NULL OR kind = ?2)",
        params![owner_id, kind],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM payment_orders WHERE owner_id = ?1 AND (?2 IS NULL OR kind = ?2)
         ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4"
    ))?;
    let rows = stmt
        .query_map(
            params![owner_id, kind, i64::from(limit), offset as i64],
            order_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total.max(0) as u64))
}

/// Pending orders made before `before`, oldest first: what the reconciler asks the gateways about.
pub fn pending_before(c: &Connection, before: &str, limit: u32) -> Result<Vec<Order>, DbError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM payment_orders WHERE {} AND created_at < ?1
         ORDER BY created_at LIMIT ?2",
        OrderStatus::Pending.eq_sql()
    ))?;
    let rows = stmt
        .query_map(params![before, i64::from(limit)], order_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Moves a pending order to `next` (expired, failed): false when it was not pending.
pub fn transition_from_pending(
    c: &Connection,
    id: &str,
    next: OrderStatus,
    now: &str,
) -> Result<bool, DbError> {
    let (set, guard) = OrderStatus::transition_sql_from(next, |from| from == OrderStatus::Pending);
    let n = c.execute(
        &format!("UPDATE payment_orders SET {set}, updated_at = ?2 WHERE id = ?1 AND {guard}"),
        params![id, now],
    )?;
    Ok(n == 1)
}

/// Marks the order paid with what paid it (from any state the table allows).
pub fn mark_paid(
    c: &Connection,
    id: &str,
    trade_no: &str,
    transfer_id: Option<&str>,
    plan_id: Option<&str>,
    now: &str,
) -> Result<bool, DbError> {
    let (set, guard) = OrderStatus::transition_sql(OrderStatus::Paid);
    let n = c.execute(
        &format!(
            "UPDATE payment_orders SET {set}, gateway_trade_no = ?2, transfer_id = ?3,
                 plan_id = ?4, paid_at = ?5, updated_at = ?5 WHERE id = ?1 AND {guard}"
        ),
        params![id, trade_no, transfer_id, plan_id, now],
    )?;
    Ok(n == 1)
}

/// The outcome recorded for a gateway event, if it was applied before.
pub fn event_outcome(
    c: &Connection,
    gateway: Gateway,
    event_id: &str,
) -> Result<Option<String>, DbError> {
    Ok(
        c.prepare_cached(
            "SELECT outcome FROM payment_events WHERE gateway = ?1 AND event_id = ?2",
        )?
        .query_row(params![gateway.as_str(), event_id], |r| r.get(0))
        .optional()?,
    )
}

pub fn insert_event(
    c: &Connection,
    gateway: Gateway,
    event_id: &str,
    order_id: &str,
    outcome: &str,
    source: &str,
    now: &str,
) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO payment_events (gateway, event_id, order_id, outcome, source, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![gateway.as_str(), event_id, order_id, outcome, source, now],
    )?;
    Ok(())
}

pub fn events_of(
    c: &Connection,
    order_id: &str,
) -> Result<Vec<(String, String, String, String)>, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT gateway, event_id, outcome, source FROM payment_events WHERE order_id = ?1
         ORDER BY received_at",
    )?;
    let rows = stmt
        .query_map([order_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Whether the instance admin enabled the sandbox gateway (`PATCH /admin/config`).
pub fn sandbox_enabled(c: &Connection) -> Result<bool, DbError> {
    Ok(c.query_row(
        "SELECT value FROM settings WHERE key = 'payments.sandbox'",
        [],
        |r| r.get::<_, String>(0),
    )
    .optional()?
    .is_some_and(|v| v == "true"))
}

// ------------------------------------------------------------------------------------------ coupons

const COUPON_COLUMNS: &str =
    "id, code, name, kind, value, min_amount_cents, max_usage, used_count, \
     valid_from, valid_until, status, created_at";

fn coupon_row(r: &Row<'_>) -> crate::db::sql::Result<super::coupons::Coupon> {
    Ok(super::coupons::Coupon {
        id: r.get(0)?,
        code: r.get(1)?,
        name: r.get(2)?,
        kind: super::coupons::CouponKind::parse(&r.get::<_, String>(3)?)
            .unwrap_or(super::coupons::CouponKind::Discount),
        value: r.get(4)?,
        min_amount_cents: r.get(5)?,
        max_usage: r.get(6)?,
        used_count: r.get(7)?,
        valid_from: r.get(8)?,
        valid_until: r.get(9)?,
        status: r.get(10)?,
        created_at: r.get(11)?,
    })
}

pub fn insert_coupon(c: &Connection, k: &super::coupons::Coupon) -> Result<bool, DbError> {
    let n = c.execute(
        "INSERT INTO coupons (id, code, name, kind, value, min_amount_cents, max_usage, used_count,
             valid_from, valid_until, status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9, 'active', ?10)
         ON CONFLICT (code) DO NOTHING",
        params![
            k.id,
            k.code,
            k.name,
            k.kind.as_str(),
            k.value,
            k.min_amount_cents,
            k.max_usage,
            k.valid_from,
            k.valid_until,
            k.created_at
        ],
    )?;
    Ok(n == 1)
}

pub fn coupon(c: &Connection, id_or_code: &str) -> Result<Option<super::coupons::Coupon>, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COUPON_COLUMNS} FROM coupons WHERE id = ?1 OR code = ?1"
    ))?
    .query_row([id_or_code], coupon_row)
    .optional()?)
}

pub fn coupons(
    c: &Connection,
    active_at: Option<&str>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<super::coupons::Coupon>, u64), DbError> {
    let filter = "(?1 IS NULL OR (status = 'active' AND valid_from <= ?1 AND valid_until > ?1 \
                  AND used_count < max_usage))";
    let total: i64 = c.query_row(
        &format!("SELECT COUNT(*) FROM coupons WHERE {filter}"),
        params![active_at],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COUPON_COLUMNS} FROM coupons WHERE {filter}
         ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt
        .query_map(
            params![active_at, i64::from(limit), offset as i64],
            coupon_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total.max(0) as u64))
}

/// Counts one use of the coupon if it has one left: false when it is used up.
pub fn take_coupon_use(c: &Connection, coupon_id: &str) -> Result<bool, DbError> {
    let n = c.execute(
        "UPDATE coupons SET used_count = used_count + 1 WHERE id = ?1 AND used_count < max_usage",
        [coupon_id],
    )?;
    Ok(n == 1)
}

/// Gives a use back (its order expired or failed).
pub fn give_coupon_use_back(c: &Connection, coupon_id: &str) -> Result<(), DbError> {
    c.execute(
        "UPDATE coupons SET used_count = used_count - 1 WHERE id = ?1 AND used_count > 0",
        [coupon_id],
    )?;
    Ok(())
}

/// Counts a use again for an order revived by its gateway's answer (never past the limit: the
/// payment happened, the use is the order's).
pub fn retake_coupon_use(c: &Connection, coupon_id: &str) -> Result<(), DbError> {
    c.execute(
        "UPDATE coupons SET used_count = used_count + CASE WHEN used_count < max_usage THEN 1 ELSE 0 END
         WHERE id = ?1",
        [coupon_id],
    )?;
    Ok(())
}

/// The status of `user_id`'s claim on a coupon (`unused`, `reserved`, `used`), if any.
pub fn claim_status(
    c: &Connection,
    coupon_id: &str,
    user_id: &str,
) -> Result<Option<String>, DbError> {
    Ok(
        c.prepare_cached(
            "SELECT status FROM coupon_claims WHERE coupon_id = ?1 AND owner_id = ?2",
        )?
        .query_row(params![coupon_id, user_id], |r| r.get(0))
        .optional()?,
    )
}

/// Sets `user_id`'s claim on a coupon (made if they had none).
pub fn set_claim(
    c: &Connection,
    coupon_id: &str,
    user_id: &str,
    status: &str,
    order_id: Option<&str>,
    now: &str,
) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO coupon_claims (coupon_id, owner_id, status, order_id, claimed_at, used_at)
         VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?3 = 'used' THEN ?5 END)
         ON CONFLICT (coupon_id, owner_id) DO UPDATE SET status = excluded.status,
             order_id = excluded.order_id, used_at = excluded.used_at",
        params![coupon_id, user_id, status, order_id, now],
    )?;
    Ok(())
}

pub fn claims_of(
    c: &Connection,
    user_id: &str,
    status: Option<&str>,
) -> Result<Vec<(super::coupons::Coupon, String, String)>, DbError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {}, cl.status, cl.claimed_at FROM coupon_claims cl JOIN coupons k ON k.id = cl.coupon_id
         WHERE cl.owner_id = ?1 AND (?2 IS NULL OR cl.status = ?2) ORDER BY cl.claimed_at DESC",
        COUPON_COLUMNS
            .split(", ")
            .map(|col| format!("k.{col}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    let rows = stmt
        .query_map(params![user_id, status], |r| {
            Ok((coupon_row(r)?, r.get(12)?, r.get(13)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Records the coupon or activity offer an order carries and what it changed.
pub fn set_order_price(
    c: &Connection,
    order_id: &str,
    coupon_id: Option<&str>,
    activity_id: Option<&str>,
    list_amount_cents: i64,
    discount_cents: i64,
    bonus_credits: i64,
) -> Result<(), DbError> {
    c.execute(
        "UPDATE payment_orders SET coupon_id = ?2, activity_id = ?3, list_amount_cents = ?4,
             discount_cents = ?5, bonus_credits = ?6 WHERE id = ?1",
        params![
            order_id,
            coupon_id,
            activity_id,
            list_amount_cents,
            discount_cents,
            bonus_credits
        ],
    )?;
    Ok(())
}

/// The coupon an order carries, if any.
pub fn order_coupon(c: &Connection, order_id: &str) -> Result<Option<String>, DbError> {
    Ok(c.query_row(
        "SELECT coupon_id FROM payment_orders WHERE id = ?1",
        [order_id],
        |r| r.get::<_, Option<String>>(0),
    )
    .optional()?
    .flatten())
}

/// Every order (instance admins), newest first, with who made it: of one status, one gateway.
pub fn all_orders(
    c: &Connection,
    status: Option<&str>,
    gateway: Option<&str>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<(Order, String)>, u64), DbError> {
    let filter = "(?1 IS NULL OR o.status = ?1) AND (?2 IS NULL OR o.gateway = ?2)";
    let total: i64 = c.query_row(
        &format!("SELECT COUNT(*) FROM payment_orders o WHERE {filter}"),
        params![status, gateway],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS}, COALESCE(username, '') FROM (
             SELECT o.*, u.username AS username FROM payment_orders o
             LEFT JOIN users u ON u.id = o.user_id WHERE {filter}
         ) AS listed ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4"
    ))?;
    let rows = stmt
        .query_map(
            params![status, gateway, i64::from(limit), offset as i64],
            |r| Ok((order_row(r)?, r.get(25)?)),
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total.max(0) as u64))
}

/// Whether `user_id` has paid an order (any kind, any workspace).
pub fn has_paid_order(c: &Connection, user_id: &str) -> Result<bool, DbError> {
    Ok(c.query_row(
        &format!(
            "SELECT 1 FROM payment_orders WHERE user_id = ?1 AND {} LIMIT 1",
            OrderStatus::Paid.eq_sql()
        ),
        [user_id],
        |_| Ok(()),
    )
    .optional()?
    .is_some())
}

// ---------------------------------------------------------------------------------------- referrals

/// The reward paid for `referred_id`: (credits, when).
pub fn referral_reward(
    c: &Connection,
    referred_id: &str,
) -> Result<Option<(i64, String)>, DbError> {
    Ok(c.query_row(
        "SELECT amount, created_at FROM referral_rewards WHERE referred_id = ?1",
        [referred_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?)
}

pub fn referral_rewards_total(c: &Connection, referrer_id: &str) -> Result<i64, DbError> {
    Ok(c.query_row(
        "SELECT COALESCE(SUM(amount), 0) FROM referral_rewards WHERE referrer_id = ?1",
        [referrer_id],
        |r| r.get(0),
    )?)
}

pub fn insert_referral_reward(
    c: &Connection,
    referred_id: &str,
    referrer_id: &str,
    order_id: &str,
    amount: i64,
    transfer_id: &str,
    now: &str,
) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO referral_rewards (referred_id, referrer_id, order_id, amount, transfer_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![referred_id, referrer_id, order_id, amount, transfer_id, now],
    )?;
    Ok(())
}

// --------------------------------------------------------------------------------------- activities

use super::activities::{shown_status, Activity, ActivityConfig, ActivityKind};

pub fn insert_activity(c: &Connection, a: &Activity) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO activities (id, name, kind, description, credits, percent, start_time, end_time,
             status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'active', ?9)",
        params![
            a.id,
            a.name,
            a.kind.as_str(),
            a.description,
            a.config.credits,
            a.config.percent,
            a.start_time,
            a.end_time,
            a.created_at
        ],
    )?;
    Ok(())
}

/// Columns of an activity as seen by the person `?1`.
const ACTIVITY_SELECT: &str = "SELECT a.id, a.name, a.kind, a.description, a.credits, a.percent,
         a.start_time, a.end_time, a.status, a.created_at,
         (SELECT COUNT(*) FROM activity_participations p WHERE p.activity_id = a.id),
         CASE WHEN EXISTS (SELECT 1 FROM activity_participations p
                           WHERE p.activity_id = a.id AND p.user_id = ?1) THEN 1 ELSE 0 END
     FROM activities a";

fn activity_row(r: &Row<'_>, now: &str) -> crate::db::sql::Result<Activity> {
    let (start, end, stored): (String, String, String) = (r.get(6)?, r.get(7)?, r.get(8)?);
    Ok(Activity {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: ActivityKind::parse(&r.get::<_, String>(2)?).unwrap_or(ActivityKind::CreditGift),
        description: r.get(3)?,
        config: ActivityConfig {
            credits: r.get(4)?,
            percent: r.get(5)?,
        },
        status: shown_status(&stored, &start, &end, now).into(),
        start_time: start,
        end_time: end,
        created_at: r.get(9)?,
        participants: r.get(10)?,
        joined: r.get::<_, i64>(11)? != 0,
    })
}

pub fn activity(
    c: &Connection,
    id: &str,
    user_id: &str,
    now: &str,
) -> Result<Option<Activity>, DbError> {
    Ok(c.query_row(
        &format!("{ACTIVITY_SELECT} WHERE a.id = ?2"),
        params![user_id, id],
        |r| activity_row(r, now),
    )
    .optional()?)
}

/// Activities newest first: those running at `now` (`running_only`), or all.
pub fn activities(
    c: &Connection,
    user_id: &str,
    running_only: bool,
    now: &str,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Activity>, u64), DbError> {
    let (limit, offset) = (i64::from(limit), offset as i64);
    let running = "a.status = 'active' AND a.start_time <= ?2 AND a.end_time > ?2";
    let (total, rows): (i64, Vec<Activity>) = if running_only {
        let total = c.query_row(
            &format!(
                "SELECT COUNT(*) FROM activities a WHERE {}",
                running.replace("?2", "?1")
            ),
            [now],
            |r| r.get(0),
        )?;
        let mut stmt = c.prepare_cached(&format!(
            "{ACTIVITY_SELECT} WHERE {running} ORDER BY a.created_at DESC, a.id DESC LIMIT ?3 OFFSET ?4"
        ))?;
        let rows = stmt
            .query_map(params![user_id, now, limit, offset], |r| {
                activity_row(r, now)
            })?
            .collect::<Result<Vec<_>, _>>()?;
        (total, rows)
    } else {
        let total = c.query_row("SELECT COUNT(*) FROM activities", [], |r| r.get(0))?;
        let mut stmt = c.prepare_cached(&format!(
            "{ACTIVITY_SELECT} ORDER BY a.created_at DESC, a.id DESC LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = stmt
            .query_map(params![user_id, limit, offset], |r| activity_row(r, now))?
            .collect::<Result<Vec<_>, _>>()?;
        (total, rows)
    };
    Ok((rows, total.max(0) as u64))
}

/// Joins a person to an activity: false when they had joined it already.
pub fn insert_participation(
    c: &Connection,
    activity_id: &str,
    user_id: &str,
    now: &str,
) -> Result<bool, DbError> {
    let n = c.execute(
        "INSERT INTO activity_participations (activity_id, user_id, status, joined_at)
         VALUES (?1, ?2, 'joined', ?3) ON CONFLICT DO NOTHING",
        params![activity_id, user_id, now],
    )?;
    Ok(n == 1)
}

/// A participation whose benefit is spent (a gift granted, an offer's order paid).
pub fn use_participation(
    c: &Connection,
    activity_id: &str,
    user_id: &str,
    credits_granted: i64,
    now: &str,
) -> Result<(), DbError> {
    c.execute(
        "UPDATE activity_participations SET status = 'used', credits_granted = ?3, used_at = ?4
         WHERE activity_id = ?1 AND user_id = ?2",
        params![activity_id, user_id, credits_granted, now],
    )?;
    Ok(())
}

/// The offers (activity, kind, percent) `user_id` joined and has not used, running at `now`.
pub fn joined_offers(
    c: &Connection,
    user_id: &str,
    now: &str,
) -> Result<Vec<(String, ActivityKind, i64)>, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT a.id, a.kind, a.percent FROM activity_participations p
         JOIN activities a ON a.id = p.activity_id
         WHERE p.user_id = ?1 AND p.status = 'joined' AND a.status = 'active'
           AND a.percent IS NOT NULL AND a.start_time <= ?2 AND a.end_time > ?2",
    )?;
    let rows = stmt
        .query_map(params![user_id, now], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, kind, pct)| ActivityKind::parse(&kind).map(|k| (id, k, pct)))
        .collect())
}

/// Holds a joined offer for an order: false when it is not free (another order holds it).
pub fn reserve_participation(
    c: &Connection,
    activity_id: &str,
    user_id: &str,
    order_id: &str,
) -> Result<bool, DbError> {
    let n = c.execute(
        "UPDATE activity_participations SET status = 'reserved', order_id = ?3
         WHERE activity_id = ?1 AND user_id = ?2 AND status = 'joined'",
        params![activity_id, user_id, order_id],
    )?;
    Ok(n == 1)
}

/// The order closed unpaid: the offer it held is free again.
pub fn release_participation(c: &Connection, order_id: &str) -> Result<(), DbError> {
    c.execute(
        "UPDATE activity_participations SET status = 'joined', order_id = NULL
         WHERE order_id = ?1 AND status = 'reserved'",
        [order_id],
    )?;
    Ok(())
}

/// The order is paid: the offer it carries is used for good.
pub fn use_order_offer(
    c: &Connection,
    order_id: &str,
    activity_id: &str,
    user_id: &str,
    now: &str,
) -> Result<(), DbError> {
    c.execute(
        "UPDATE activity_participations SET status = 'used', order_id = ?1, used_at = ?4
         WHERE activity_id = ?2 AND user_id = ?3",
        params![order_id, activity_id, user_id, now],
    )?;
    Ok(())
}

/// The largest per-referral reward of the `referral_bonus` activities `user_id` joined, running now.
pub fn referral_bonus(c: &Connection, user_id: &str, now: &str) -> Result<Option<i64>, DbError> {
    Ok(c.query_row(
        "SELECT MAX(a.credits) FROM activity_participations p JOIN activities a ON a.id = p.activity_id
         WHERE p.user_id = ?1 AND a.kind = 'referral_bonus' AND a.status = 'active'
           AND a.start_time <= ?2 AND a.end_time > ?2",
        params![user_id, now],
        |r| r.get::<_, Option<i64>>(0),
    )?)
}

// --------------------------------------------------------------------------------------- statistics

/// Paid orders with `paid_at` in [start, end): (count, revenue in cents, credits sold, paying people).
pub fn paid_totals(
    c: &Connection,
    start: &str,
    end: &str,
) -> Result<(i64, i64, i64, i64), DbError> {
    Ok(c.query_row(
        &format!(
            "SELECT COUNT(*), COALESCE(SUM(amount_cents), 0),
                    COALESCE(SUM(CASE WHEN kind = 'recharge' THEN credits ELSE 0 END), 0),
                    COUNT(DISTINCT user_id)
             FROM payment_orders WHERE {} AND paid_at >= ?1 AND paid_at < ?2",
            OrderStatus::Paid.eq_sql()
        ),
        params![start, end],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?)
}
