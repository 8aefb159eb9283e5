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
     created_at, updated_at, expires_at, paid_at";

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

/// Moves the order to `next` if the table allows it from its current state: false when it did not.
pub fn transition(c: &Connection, id: &str, next: OrderStatus, now: &str) -> Result<bool, DbError> {
    let (set, guard) = OrderStatus::transition_sql(next);
    let n = c.execute(
        &format!("UPDATE payment_orders SET {set}, updated_at = ?2 WHERE id = ?1 AND {guard}"),
        params![id, now],
    )?;
    Ok(n == 1)
}

/// Marks the order paid with what paid it (the guard as in [`transition`]).
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
