//! Payments (issue 18, docs/API-PAYMENTS.md): orders paid with money at a gateway (Alipay, WeChat
//! Pay, Stripe, or the sandbox), credited through the ledger.
//!
//! Money comes in only through [`apply`]: a gateway event (a verified callback, the answer to an
//! active query, or an admin completing a sandbox order) is checked against the order it names
//! (its gateway, amount and currency), and then, in one transaction, the event is recorded under
//! its unique (gateway, event id), the order moves along its state table (src/payments/status.rs)
//! and the credit or membership is granted under the order's own ledger key. A repeated event
//! finds its row and gets the same answer; a second event for a paid order credits nothing. A
//! terminal order is revived only by an active query's answer, never by a callback alone.
pub mod activities;
pub mod coupons;
pub mod flows;
pub mod gateways;
pub mod reconcile;
pub mod referrals;
pub mod settings;
pub mod statistics;
pub mod status;
pub mod store;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    clock::rfc3339,
    db::DbError,
    error::{CodedError, ErrorCode},
    ledger::{self, plans, LedgerError, NewTransfer},
    paging::{Page, PageSpec},
    AppState,
};
pub use status::OrderStatus;

/// The smallest and largest recharge, in cents (¥1 to ¥100,000).
pub const MIN_RECHARGE_CENTS: i64 = 100;
pub const MAX_RECHARGE_CENTS: i64 = 10_000_000;
/// How long a pending order waits for its payment before the reconciler expires it.
pub const ORDER_TTL_MINUTES: i64 = 30;
/// The currency of every order (the prices are in yuan; Stripe is charged in the same).
pub const CURRENCY: &str = "CNY";

/// Where an order is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Gateway {
    Alipay,
    Wechat,
    Stripe,
    /// For development and the desktop's demo: no money moves. Off on a server until an instance
    /// admin enables it; an admin completes its orders.
    Sandbox,
}

impl Gateway {
    pub const ALL: [Gateway; 4] = [Self::Alipay, Self::Wechat, Self::Stripe, Self::Sandbox];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alipay => "alipay",
            Self::Wechat => "wechat",
            Self::Stripe => "stripe",
            Self::Sandbox => "sandbox",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// What an order buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// Credits, at one credit per 10 cents.
    Recharge,
    /// A membership (`product` is its type).
    Membership,
}

impl OrderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recharge => "recharge",
            Self::Membership => "membership",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Recharge, Self::Membership]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A payment order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Order {
    pub id: String,
    /// The number the gateway knows the order by.
    pub out_trade_no: String,
    pub owner_id: String,
    /// Who made it.
    pub user_id: String,
    pub kind: OrderKind,
    /// `credits` for a recharge; the membership type for a membership.
    pub product: String,
    pub gateway: Gateway,
    pub amount_cents: i64,
    pub currency: String,
    /// Credits a recharge adds (0 for a membership), a coupon's bonus included.
    pub credits: i64,
    /// The coupon applied, if any.
    pub coupon_id: Option<String>,
    /// The activity whose offer was applied, if any (never with a coupon).
    pub activity_id: Option<String>,
    /// The price before the coupon (`amount_cents` is what is paid).
    pub list_amount_cents: i64,
    pub discount_cents: i64,
    pub bonus_credits: i64,
    #[schema(schema_with = crate::states::schema::<OrderStatus>)]
    pub status: OrderStatus,
    /// Where the payer pays: a gateway's page, a `weixin://` code to show as a QR code, or the
    /// sandbox's page.
    pub payment_url: Option<String>,
    #[serde(skip)]
    pub gateway_ref: Option<String>,
    /// The gateway's own number for the payment, once paid.
    pub gateway_trade_no: Option<String>,
    /// The ledger transfer that credited a recharge.
    pub transfer_id: Option<String>,
    /// The membership a membership order made.
    pub plan_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// A pending order not paid by then is expired.
    pub expires_at: String,
    pub paid_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("no payment order '{0}'")]
    NotFound(String),
    /// The gateway is not configured here (its settings are missing) or, for the sandbox, not
    /// enabled: fail closed.
    #[error("{gateway} payments are not available on this instance: {reason}")]
    Unavailable {
        gateway: &'static str,
        reason: String,
    },
    /// A verified event that does not match its order: nothing is credited, the order is as it was.
    #[error("the {gateway} event does not match order {order}: {reason}")]
    Mismatch {
        gateway: &'static str,
        order: String,
        reason: String,
    },
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with what exists (a coupon's code taken, a coupon used up).
    #[error("{0}")]
    Conflict(String),
    /// The gateway could not be reached or answered an error.
    #[error("the payment gateway failed: {0}")]
    Upstream(String),
    /// A gateway's message did not verify, or its API failed.
    #[error("{0}")]
    Gateway(#[from] gateways::GatewayError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for PaymentError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::ValidationError,
            Self::NotFound(_) => ErrorCode::NotFound,
            // The client chose a way to pay this instance does not offer.
            Self::Unavailable { .. } => ErrorCode::ValidationError,
            Self::Mismatch { .. } => ErrorCode::BadRequest,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Upstream(_) => ErrorCode::UpstreamFailed,
            Self::Gateway(e) => {
                use gateways::GatewayError as G;
                match e {
                    G::NotConfigured { .. } | G::InvalidKey { .. } => ErrorCode::ServiceUnavailable,
                    G::Upstream { .. } | G::Rejected { .. } | G::Transport(_) => {
                        ErrorCode::UpstreamFailed
                    }
                    // The message itself is wrong: forged, replayed, tampered or malformed.
                    _ => ErrorCode::BadRequest,
                }
            }
            Self::Ledger(e) => e.code(),
            Self::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::Unavailable { .. } => Some("payment_method"),
            Self::Ledger(e) => e.field(),
            _ => None,
        }
    }
    fn detail(&self) -> String {
        match self {
            Self::Invalid { message, .. } => message.clone(),
            Self::Ledger(e) => e.detail(),
            _ => self.to_string(),
        }
    }
}

impl From<crate::db::sql::Error> for PaymentError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(e.into())
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> PaymentError {
    PaymentError::Invalid {
        field,
        message: message.into(),
    }
}

/// `12.34` for 1234 cents.
pub fn yuan(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Cents from an amount in yuan with at most two decimals (the seed's `amount: 10.00`): the float
/// is only how the number was written; anything that is not a whole number of cents is refused.
pub fn cents_from_yuan(field: &'static str, amount: f64) -> Result<i64, PaymentError> {
    let cents = (amount * 100.0).round();
    if !amount.is_finite() || (amount * 100.0 - cents).abs() > 1e-6 || cents < 1.0 {
        return Err(invalid(
            field,
            format!("{field} is an amount in yuan with at most two decimals (got {amount})"),
        ));
    }
    Ok(cents as i64)
}

/// What [`create`] makes.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub kind: OrderKind,
    /// Recharge: the amount; membership: ignored (the membership's price).
    pub amount_cents: i64,
    /// Membership: its type.
    pub membership_type: Option<String>,
    pub gateway: Gateway,
    pub coupon_code: Option<String>,
}

/// Whether `gateway` may take orders here: the sandbox on the desktop, or where an admin enabled
/// it; the others once their settings are given (docs/API-PAYMENTS.md).
async fn check_available(state: &AppState, gateway: Gateway) -> Result<(), PaymentError> {
    match gateway {
        Gateway::Sandbox => {
            if state.config.auth_mode == crate::config::AuthMode::Local {
                return Ok(());
            }
            if state.db.read(store::sandbox_enabled).await? {
                Ok(())
            } else {
                Err(PaymentError::Unavailable {
                    gateway: "sandbox",
                    reason: "the sandbox gateway is off; an instance admin enables it with \
                             PATCH /admin/config {\"payment_sandbox\": true}"
                        .into(),
                })
            }
        }
        other if flows::configured(state, other) => Ok(()),
        other => Err(flows::unconfigured(other)),
    }
}

/// Fault injection for the crash tests (tests/it/payments_crash.rs): with
/// `STORYLOOM_TEST_CRASH=<name>` the process kills itself (SIGKILL: nothing runs after) when it
/// reaches the point `name`, e.g. a callback whose transaction committed but is not answered yet.
pub fn crash_point(name: &str) {
    if std::env::var("STORYLOOM_TEST_CRASH").is_ok_and(|v| v == name) {
        tracing::error!(point = name, "STORYLOOM_TEST_CRASH: killing this process");
        #[cfg(target_os = "linux")]
        // SAFETY: kill(2) on our own pid with a constant signal has no memory effects.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        std::process::abort();
    }
}

/// Whether `gateway` takes orders on this instance now.
pub async fn available(state: &AppState, gateway: Gateway) -> Result<bool, PaymentError> {
    match check_available(state, gateway).await {
        Ok(()) => Ok(true),
        Err(PaymentError::Unavailable { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Makes a pending order and asks its gateway where to pay.
#[tracing::instrument(skip(state))]
pub async fn create(
    state: &AppState,
    owner_id: &str,
    user_id: &str,
    new: NewOrder,
) -> Result<Order, PaymentError> {
    let (product, amount_cents, credits) =
        match new.kind {
            OrderKind::Recharge => {
                if !(MIN_RECHARGE_CENTS..=MAX_RECHARGE_CENTS).contains(&new.amount_cents) {
                    return Err(invalid(
                        "amount",
                        format!(
                            "a recharge is ¥{} to ¥{} (got ¥{})",
                            yuan(MIN_RECHARGE_CENTS),
                            yuan(MAX_RECHARGE_CENTS),
                            yuan(new.amount_cents)
                        ),
                    ));
                }
                (
                    "credits".to_string(),
                    new.amount_cents,
                    new.amount_cents / plans::CENTS_PER_CREDIT,
                )
            }
            OrderKind::Membership => {
                let kind = new.membership_type.unwrap_or_default();
                let &(name, _, cents) =
                    plans::MEMBERSHIPS
                        .iter()
                        .find(|m| m.0 == kind)
                        .ok_or_else(|| {
                            invalid(
                        "membership_type",
                        format!("membership_type is monthly, quarterly or yearly (got '{kind}')"),
                    )
                        })?;
                (name.to_string(), cents, 0)
            }
        };
    check_available(state, new.gateway).await?;
    let now = state.clock.now();
    let id = state.ids.new_id().to_string();
    let order = Order {
        out_trade_no: id.replace('-', ""),
        id: id.clone(),
        owner_id: owner_id.to_string(),
        user_id: user_id.to_string(),
        kind: new.kind,
        product,
        gateway: new.gateway,
        amount_cents,
        currency: CURRENCY.into(),
        credits,
        coupon_id: None,
        activity_id: None,
        list_amount_cents: amount_cents,
        discount_cents: 0,
        bonus_credits: 0,
        status: OrderStatus::Pending,
        payment_url: None,
        gateway_ref: None,
        gateway_trade_no: None,
        transfer_id: None,
        plan_id: None,
        created_at: rfc3339(now),
        updated_at: rfc3339(now),
        expires_at: rfc3339(now + Duration::minutes(ORDER_TTL_MINUTES)),
        paid_at: None,
    };
    let (mut row, code) = (order, new.coupon_code.filter(|c| !c.trim().is_empty()));
    let order = state
        .db
        .write(move |tx| {
            // The coupon's use (or the activity's offer) is taken in the transaction that makes
            // the order: both or neither.
            if let Some(code) = code {
                let priced = coupons::apply_in_tx(
                    tx,
                    code.trim(),
                    &row.user_id,
                    &row.id,
                    row.kind,
                    row.list_amount_cents,
                    &row.created_at,
                )?;
                row.discount_cents = priced.discount_cents;
                row.bonus_credits = priced.bonus_credits;
                row.coupon_id = Some(priced.coupon_id);
            } else if let Some(offer) = activities::offer_in_tx(
                tx,
                &row.user_id,
                &row.id,
                row.kind,
                row.list_amount_cents,
                &row.created_at,
            )? {
                row.discount_cents = offer.discount_cents;
                row.activity_id = Some(offer.activity_id);
            }
            row.amount_cents -= row.discount_cents;
            row.credits += row.bonus_credits;
            store::insert_order(tx, &row)?;
            if row.coupon_id.is_some() || row.activity_id.is_some() {
                store::set_order_price(
                    tx,
                    &row.id,
                    row.coupon_id.as_deref(),
                    row.activity_id.as_deref(),
                    row.list_amount_cents,
                    row.discount_cents,
                    row.bonus_credits,
                )?;
            }
            Ok::<_, PaymentError>(row)
        })
        .await?;
    // The order exists before the gateway is asked, so a payment made on the page always finds it;
    // a gateway that cannot make the payment fails the order.
    let (url, gateway_ref) = match flows::payment_link(state, &order).await {
        Ok(link) => link,
        Err(e) => {
            let (oid, uid, at) = (
                id.clone(),
                order.user_id.clone(),
                rfc3339(state.clock.now()),
            );
            state
                .db
                .write(move |tx| close_in_tx(tx, &oid, &uid, OrderStatus::Failed, &at))
                .await?;
            return Err(e);
        }
    };
    let (oid, at) = (id.clone(), rfc3339(state.clock.now()));
    state
        .db
        .write(move |tx| store::set_payment(tx, &oid, &url, gateway_ref.as_deref(), &at))
        .await?;
    get(state, owner_id, &id).await
}

/// One of `owner_id`'s orders, by id or by its `out_trade_no`.
pub async fn get(state: &AppState, owner_id: &str, id: &str) -> Result<Order, PaymentError> {
    let key = id.to_string();
    match state.db.read(move |c| store::order(c, &key)).await? {
        Some(o) if o.owner_id == owner_id => Ok(o),
        _ => Err(PaymentError::NotFound(id.to_string())),
    }
}

/// `owner_id`'s orders (of one kind), newest first.
pub async fn list(
    state: &AppState,
    owner_id: &str,
    kind: Option<OrderKind>,
    spec: PageSpec,
) -> Result<Page<Order>, PaymentError> {
    let owner = owner_id.to_string();
    let (items, total) = state
        .db
        .read(move |c| store::orders_of(c, &owner, kind, spec.limit, spec.offset))
        .await?;
    Ok(Page::new(items, total, spec))
}

/// An order as an instance admin sees it: with who made it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminOrder {
    #[serde(flatten)]
    pub order: Order,
    pub username: String,
}

/// Every order on the instance (instance admins), newest first, of one status and gateway.
pub async fn list_all(
    state: &AppState,
    status: Option<OrderStatus>,
    gateway: Option<Gateway>,
    spec: PageSpec,
) -> Result<Page<AdminOrder>, PaymentError> {
    let (status, gateway) = (
        status.map(|s| s.as_str().to_string()),
        gateway.map(|g| g.as_str().to_string()),
    );
    let (rows, total) = state
        .db
        .read(move |c| {
            store::all_orders(
                c,
                status.as_deref(),
                gateway.as_deref(),
                spec.limit,
                spec.offset,
            )
        })
        .await?;
    let items = rows
        .into_iter()
        .map(|(order, username)| AdminOrder { order, username })
        .collect();
    Ok(Page::new(items, total, spec))
}

/// What a gateway says happened to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Paid (Alipay TRADE_SUCCESS/TRADE_FINISHED, WeChat SUCCESS, Stripe `paid`).
    Paid,
    /// Closed without payment.
    Closed,
    /// Not paid yet.
    Waiting,
}

/// A verified gateway event about one order.
#[derive(Debug, Clone)]
pub struct GatewayEvent {
    pub gateway: Gateway,
    /// Unique per gateway: a repeat of it is the same event.
    pub event_id: String,
    /// Our order number as the gateway sent it back.
    pub out_trade_no: String,
    /// The gateway's number for the payment.
    pub trade_no: String,
    pub amount_cents: i64,
    /// None when the gateway's message carries none (Alipay: always yuan).
    pub currency: Option<String>,
    pub outcome: Outcome,
}

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Callback,
    /// The gateway's answer to an active query (the reconciler).
    Query,
    /// An admin completing a sandbox order.
    Sandbox,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Self::Callback => "callback",
            Self::Query => "query",
            Self::Sandbox => "sandbox",
        }
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone)]
pub enum Applied {
    /// The order is paid now and its credit or membership committed.
    Credited(Order),
    /// The event was applied before, or the order was already paid: nothing more happened.
    AlreadyDone(Order),
    /// Recorded (a closed or still unpaid order), nothing credited.
    Recorded(Order),
    /// A payment for an expired or failed order, from a callback: only an active query may
    /// revive it, so nothing changed (the caller queries the gateway, or the reconciler will).
    NeedsQuery(Order),
}

impl Applied {
    pub fn order(&self) -> &Order {
        match self {
            Self::Credited(o) | Self::AlreadyDone(o) | Self::Recorded(o) | Self::NeedsQuery(o) => o,
        }
    }
}

/// Applies a verified gateway event to its order, exactly once (see the module's comment).
#[tracing::instrument(skip(state), fields(gateway = ev.gateway.as_str(), order = %ev.out_trade_no))]
pub async fn apply(
    state: &AppState,
    ev: GatewayEvent,
    source: Source,
) -> Result<Applied, PaymentError> {
    let (ids, now) = (state.ids.clone(), state.clock.now());
    let plan_id = state.ids.new_id().to_string();
    state
        .db
        .write(move |tx| {
            let now_s = rfc3339(now);
            let order = store::order(tx, &ev.out_trade_no)?
                .filter(|o| o.out_trade_no == ev.out_trade_no)
                .ok_or_else(|| PaymentError::NotFound(ev.out_trade_no.clone()))?;
            let mismatch = |reason: String| PaymentError::Mismatch {
                gateway: ev.gateway.as_str(),
                order: order.out_trade_no.clone(),
                reason,
            };
            // Checked before anything is written: an event for another gateway's order, or for
            // another amount, changes nothing (a forged or misrouted notification).
            if order.gateway != ev.gateway {
                return Err(mismatch(format!(
                    "the order is paid through {}",
                    order.gateway.as_str()
                )));
            }
            if ev.amount_cents != order.amount_cents {
                return Err(mismatch(format!(
                    "the amount is {} cents, the order's is {}",
                    ev.amount_cents, order.amount_cents
                )));
            }
            if let Some(cur) = ev.currency.as_deref() {
                if !cur.eq_ignore_ascii_case(&order.currency) {
                    return Err(mismatch(format!(
                        "the currency is {cur}, the order's is {}",
                        order.currency
                    )));
                }
            }
            if store::event_outcome(tx, ev.gateway, &ev.event_id)?.is_some() {
                return Ok(Applied::AlreadyDone(order));
            }
            let (outcome, applied) = match ev.outcome {
                Outcome::Paid
                    if order.status == OrderStatus::Paid
                        || order.status == OrderStatus::Refunded =>
                {
                    ("already_paid", Applied::AlreadyDone(order.clone()))
                }
                Outcome::Paid
                    if order.status != OrderStatus::Pending && source == Source::Callback =>
                {
                    // Not recorded: when the query confirms it, the same event id still applies.
                    return Ok(Applied::NeedsQuery(order));
                }
                Outcome::Paid => {
                    ledger::ensure_user_accounts(tx, &order.owner_id, &now_s)?;
                    let (transfer_id, plan) = match order.kind {
                        OrderKind::Recharge => {
                            let t = ledger::transfer_in_tx(
                                tx,
                                ids.as_ref(),
                                &now_s,
                                &NewTransfer {
                                    key: format!("payment:{}", order.id),
                                    kind: "recharge",
                                    debit: ledger::ISSUANCE.into(),
                                    credit: ledger::wallet(&order.owner_id),
                                    amount: order.credits,
                                    owner_id: Some(order.owner_id.clone()),
                                    hold_id: None,
                                    corrects: None,
                                    description: format!(
                                        "recharge ¥{} ({})",
                                        yuan(order.amount_cents),
                                        order.gateway.as_str()
                                    ),
                                },
                            )?;
                            (Some(t.id), None)
                        }
                        OrderKind::Membership => {
                            plans::activate_membership_in_tx(
                                tx,
                                &order.owner_id,
                                &order.product,
                                0,
                                None,
                                &plan_id,
                                now,
                            )?;
                            (None, Some(plan_id.clone()))
                        }
                    };
                    coupons::use_in_tx(
                        tx,
                        &order.id,
                        &order.user_id,
                        order.status != OrderStatus::Pending,
                        &now_s,
                    )?;
                    if let Some(activity_id) = &order.activity_id {
                        store::use_order_offer(tx, &order.id, activity_id, &order.user_id, &now_s)?;
                    }
                    // The referrer's reward comes with the referred person's first paid order.
                    referrals::reward_in_tx(tx, ids.as_ref(), &order, now)?;
                    if !store::mark_paid(
                        tx,
                        &order.id,
                        &ev.trade_no,
                        transfer_id.as_deref(),
                        plan.as_deref(),
                        &now_s,
                    )? {
                        return Err(PaymentError::Db(DbError::Task(format!(
                            "order {} could not become paid from {}",
                            order.id, order.status
                        ))));
                    }
                    let paid = store::order(tx, &order.id)?
                        .ok_or_else(|| PaymentError::NotFound(order.id.clone()))?;
                    ("credited", Applied::Credited(paid))
                }
                Outcome::Closed => {
                    close_in_tx(tx, &order.id, &order.user_id, OrderStatus::Failed, &now_s)?;
                    let o = store::order(tx, &order.id)?
                        .ok_or_else(|| PaymentError::NotFound(order.id.clone()))?;
                    ("failed", Applied::Recorded(o))
                }
                Outcome::Waiting => ("ignored", Applied::Recorded(order.clone())),
            };
            store::insert_event(
                tx,
                ev.gateway,
                &ev.event_id,
                &applied.order().id,
                outcome,
                source.as_str(),
                &now_s,
            )?;
            Ok(applied)
        })
        .await
}

/// `POST /credit/payment/callback` (the sandbox only): an instance admin completes (`success`)
/// or fails a sandbox order, as a gateway would.
#[tracing::instrument(skip(state))]
pub async fn complete_sandbox(
    state: &AppState,
    order_id: &str,
    transaction_id: &str,
    success: bool,
) -> Result<Applied, PaymentError> {
    let key = order_id.to_string();
    let order = state
        .db
        .read(move |c| store::order(c, &key))
        .await?
        .ok_or_else(|| PaymentError::NotFound(order_id.to_string()))?;
    if order.gateway != Gateway::Sandbox {
        return Err(PaymentError::Forbidden(format!(
            "order {order_id} is paid through {}: only its gateway's signed callback can complete it",
            order.gateway.as_str()
        )));
    }
    check_available(state, Gateway::Sandbox).await?;
    if transaction_id.trim().is_empty() {
        return Err(invalid("transaction_id", "transaction_id is required"));
    }
    apply(
        state,
        GatewayEvent {
            gateway: Gateway::Sandbox,
            event_id: transaction_id.to_string(),
            out_trade_no: order.out_trade_no.clone(),
            trade_no: transaction_id.to_string(),
            amount_cents: order.amount_cents,
            currency: Some(order.currency.clone()),
            outcome: if success {
                Outcome::Paid
            } else {
                Outcome::Closed
            },
        },
        Source::Sandbox,
    )
    .await
}

/// Closes an unpaid order (`expired` or `failed`) and gives its coupon back, in one transaction:
/// false when the order was not pending.
fn close_in_tx(
    tx: &crate::db::sql::Connection,
    order_id: &str,
    user_id: &str,
    next: OrderStatus,
    now: &str,
) -> Result<bool, PaymentError> {
    if !store::transition_from_pending(tx, order_id, next, now)? {
        return Ok(false);
    }
    coupons::release_in_tx(tx, order_id, user_id, now)?;
    store::release_participation(tx, order_id)?;
    Ok(true)
}

/// Expires a pending order whose time ran out (the reconciler, after asking the gateway).
pub async fn expire(state: &AppState, order: &Order) -> Result<bool, PaymentError> {
    let (id, user, now) = (
        order.id.clone(),
        order.user_id.clone(),
        rfc3339(state.clock.now()),
    );
    state
        .db
        .write(move |tx| close_in_tx(tx, &id, &user, OrderStatus::Expired, &now))
        .await
}
