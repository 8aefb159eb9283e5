//! Payments (docs/API-PAYMENTS.md): recharge and membership orders paid at a gateway, their status
//! and history, and the sandbox's completion. Thin: the payments domain (src/payments) owns every
//! rule. Orders belong to the workspace's credits, so they take the `billing` policy; completing a
//! sandbox order is the instance admin's.
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    access::{with_policy, Policy},
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiQuery},
    principal::Principal,
};
use crate::{
    auth::Scope,
    paging::{Page, PageSpec},
    payments::{
        self,
        activities::{Activity, ActivityFilter, Joined, NewActivity},
        coupons::{Coupon, MyCoupon, NewCoupon},
        referrals::{ReferralLink, ReferralRecords},
        statistics::Statistics,
        AdminOrder, Applied, Gateway, NewOrder, Order, OrderKind, OrderStatus,
    },
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    let billing = OpenApiRouter::new()
        .routes(routes!(recharge))
        .routes(routes!(recharge_orders))
        .routes(routes!(membership_orders))
        .routes(routes!(create_payment))
        .routes(routes!(payment_status))
        .routes(routes!(billing_payment))
        .routes(routes!(get_billing_payment))
        .routes(routes!(plans))
        .routes(routes!(gateways));
    let admin = OpenApiRouter::new().routes(routes!(sandbox_callback));
    with_policy(billing, Policy::Billing).merge(with_policy(admin, Policy::InstanceAdmin))
}

/// A gateway by the names the seeds use (`wechat_pay` is seed 001's).
fn gateway(field: &'static str, name: &str) -> Result<Gateway, ApiError> {
    let name = if name == "wechat_pay" { "wechat" } else { name };
    Gateway::parse(name).ok_or_else(|| {
        ApiError::validation(
            field,
            format!("{field} is alipay, wechat, stripe or sandbox (got '{name}')"),
        )
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RechargeBody {
    /// In cents (¥10.00 is 1000).
    pub amount_cents: Option<i64>,
    /// In yuan with at most two decimals (the creator platform's form); `amount_cents` wins.
    pub amount: Option<f64>,
    /// `alipay`, `wechat`, `stripe` or `sandbox`.
    pub payment_method: String,
    pub coupon_code: Option<String>,
}

/// A new order and where to pay it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderCreated {
    pub order_id: String,
    /// The same as `order_id` (seed 000's name).
    pub billing_id: String,
    /// `10.00`: yuan, as text (never a float).
    pub amount: String,
    pub amount_cents: i64,
    pub currency: String,
    pub credits: i64,
    pub payment_method: Gateway,
    pub payment_url: Option<String>,
    #[schema(schema_with = crate::states::schema::<OrderStatus>)]
    pub status: OrderStatus,
    pub expires_at: String,
}

impl From<Order> for OrderCreated {
    fn from(o: Order) -> Self {
        Self {
            order_id: o.id.clone(),
            billing_id: o.id,
            amount: payments::yuan(o.amount_cents),
            amount_cents: o.amount_cents,
            currency: o.currency,
            credits: o.credits,
            payment_method: o.gateway,
            payment_url: o.payment_url,
            status: o.status,
            expires_at: o.expires_at,
        }
    }
}

fn amount_cents(cents: Option<i64>, yuan: Option<f64>) -> Result<i64, ApiError> {
    match (cents, yuan) {
        (Some(c), _) => Ok(c),
        (None, Some(y)) => Ok(payments::cents_from_yuan("amount", y)?),
        (None, None) => Err(ApiError::validation(
            "amount_cents",
            "amount_cents (or amount, in yuan) is required",
        )),
    }
}

async fn new_order(
    state: &AppState,
    principal: &Principal,
    order: NewOrder,
) -> Result<(StatusCode, Json<OrderCreated>), ApiError> {
    principal.require(Scope::Billing)?;
    let made = payments::create(state, &principal.workspace_id, &principal.user_id, order).await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

#[utoipa::path(post, path = "/api/v1/credit/recharge", tag = "payments", request_body = RechargeBody,
    responses((status = 201, body = OrderCreated), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, description = "A gateway's settings cannot be used", body = ErrorBody)))]
pub async fn recharge(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<RechargeBody>,
) -> Result<(StatusCode, Json<OrderCreated>), ApiError> {
    let order = NewOrder {
        kind: OrderKind::Recharge,
        amount_cents: amount_cents(body.amount_cents, body.amount)?,
        membership_type: None,
        gateway: gateway("payment_method", &body.payment_method)?,
        coupon_code: body.coupon_code,
    };
    new_order(&state, &principal, order).await
}

/// What can be bought: credit packs and memberships (seed 000's `plan_id`).
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentPlan {
    pub plan_id: String,
    pub kind: OrderKind,
    pub amount_cents: i64,
    pub currency: String,
    /// Credits a pack adds (0 for a membership).
    pub credits: i64,
}

/// Credit packs, in cents.
const PACKS: &[i64] = &[1000, 5000, 10000];

fn payment_plans() -> Vec<PaymentPlan> {
    let packs = PACKS.iter().map(|&cents| PaymentPlan {
        plan_id: format!("credits_{}", cents / crate::ledger::plans::CENTS_PER_CREDIT),
        kind: OrderKind::Recharge,
        amount_cents: cents,
        currency: payments::CURRENCY.into(),
        credits: cents / crate::ledger::plans::CENTS_PER_CREDIT,
    });
    let memberships = crate::ledger::plans::MEMBERSHIPS
        .iter()
        .map(|&(name, _, cents)| PaymentPlan {
            plan_id: format!("membership_{name}"),
            kind: OrderKind::Membership,
            amount_cents: cents,
            currency: payments::CURRENCY.into(),
            credits: 0,
        });
    packs.chain(memberships).collect()
}

#[utoipa::path(get, path = "/api/v1/payments/plans", tag = "payments",
    responses((status = 200, body = Vec<PaymentPlan>), (status = 401, body = ErrorBody)))]
pub async fn plans(principal: Principal) -> Result<Json<Vec<PaymentPlan>>, ApiError> {
    principal.require(Scope::Billing)?;
    Ok(Json(payment_plans()))
}

/// A gateway and whether this instance takes payments through it.
#[derive(Debug, Serialize, ToSchema)]
pub struct GatewayInfo {
    pub gateway: Gateway,
    pub available: bool,
    /// No money moves (the sandbox).
    pub sandbox: bool,
}

#[utoipa::path(get, path = "/api/v1/payments/gateways", tag = "payments",
    responses((status = 200, body = Vec<GatewayInfo>), (status = 401, body = ErrorBody)))]
pub async fn gateways(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<GatewayInfo>>, ApiError> {
    principal.require(Scope::Billing)?;
    let mut out = Vec::new();
    for g in Gateway::ALL {
        out.push(GatewayInfo {
            gateway: g,
            available: payments::available(&state, g).await?,
            sandbox: g == Gateway::Sandbox,
        });
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreateQuery {
    /// A plan of `GET /payments/plans` (`credits_100`, `membership_monthly`, …).
    pub plan_id: String,
    /// The gateway: `alipay`, `wechat`, `stripe` or `sandbox`.
    pub provider: String,
}

#[utoipa::path(post, path = "/api/v1/payments/create", tag = "payments", params(CreateQuery),
    responses((status = 201, body = OrderCreated), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn create_payment(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<CreateQuery>,
) -> Result<(StatusCode, Json<OrderCreated>), ApiError> {
    let plan = payment_plans()
        .into_iter()
        .find(|p| p.plan_id == q.plan_id)
        .ok_or_else(|| {
            ApiError::validation(
                "plan_id",
                format!("no plan '{}' (GET /payments/plans lists them)", q.plan_id),
            )
        })?;
    let order = NewOrder {
        kind: plan.kind,
        amount_cents: plan.amount_cents,
        membership_type: plan.plan_id.strip_prefix("membership_").map(str::to_string),
        gateway: gateway("provider", &q.provider)?,
        coupon_code: None,
    };
    new_order(&state, &principal, order).await
}

#[utoipa::path(get, path = "/api/v1/payments/status/{order_id}", tag = "payments",
    params(("order_id" = String, Path, description = "The order's id or out_trade_no")),
    responses((status = 200, body = Order), (status = 404, body = ErrorBody)))]
pub async fn payment_status(
    State(state): State<AppState>,
    principal: Principal,
    Path(order_id): Path<String>,
) -> Result<Json<Order>, ApiError> {
    principal.require(Scope::Billing)?;
    Ok(Json(
        payments::get(&state, &principal.workspace_id, &order_id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingPaymentBody {
    /// In yuan with at most two decimals.
    pub amount: Option<f64>,
    pub amount_cents: Option<i64>,
    /// `CNY` (the only currency orders take).
    pub currency: Option<String>,
    /// `alipay`, `wechat` (or `wechat_pay`), `stripe` or `sandbox`.
    pub payment_method: String,
}

#[utoipa::path(post, path = "/api/v1/billing/payments", tag = "payments", request_body = BillingPaymentBody,
    responses((status = 201, body = OrderCreated), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn billing_payment(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<BillingPaymentBody>,
) -> Result<(StatusCode, Json<OrderCreated>), ApiError> {
    if let Some(c) = body
        .currency
        .as_deref()
        .filter(|c| !c.eq_ignore_ascii_case(payments::CURRENCY))
    {
        return Err(ApiError::validation(
            "currency",
            format!("orders are in CNY (got '{c}')"),
        ));
    }
    let order = NewOrder {
        kind: OrderKind::Recharge,
        amount_cents: amount_cents(body.amount_cents, body.amount)?,
        membership_type: None,
        gateway: gateway("payment_method", &body.payment_method)?,
        coupon_code: None,
    };
    new_order(&state, &principal, order).await
}

#[utoipa::path(get, path = "/api/v1/billing/payments/{id}", tag = "payments",
    params(("id" = String, Path, description = "The order's id")),
    responses((status = 200, body = Order), (status = 404, body = ErrorBody)))]
pub async fn get_billing_payment(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Order>, ApiError> {
    principal.require(Scope::Billing)?;
    Ok(Json(
        payments::get(&state, &principal.workspace_id, &id).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    pub page: Option<u32>,
    pub limit: Option<u32>,
    /// Another name for `limit`.
    pub page_size: Option<u32>,
    pub skip: Option<u64>,
}

async fn orders(
    state: &AppState,
    principal: &Principal,
    kind: OrderKind,
    q: OrdersQuery,
) -> Result<Json<Page<Order>>, ApiError> {
    principal.require(Scope::Billing)?;
    let spec = PageSpec::resolve(q.page, q.limit.or(q.page_size), q.skip)?;
    Ok(Json(
        payments::list(state, &principal.workspace_id, Some(kind), spec).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/credit/recharge/orders", tag = "payments", params(OrdersQuery),
    responses((status = 200, description = "Newest first", body = Page<Order>), (status = 422, body = ErrorBody)))]
pub async fn recharge_orders(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> Result<Json<Page<Order>>, ApiError> {
    orders(&state, &principal, OrderKind::Recharge, q).await
}

#[utoipa::path(get, path = "/api/v1/credit/membership/orders", tag = "payments", params(OrdersQuery),
    responses((status = 200, description = "Newest first", body = Page<Order>), (status = 422, body = ErrorBody)))]
pub async fn membership_orders(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> Result<Json<Page<Order>>, ApiError> {
    orders(&state, &principal, OrderKind::Membership, q).await
}

/// Creates a membership order paid at a gateway (`POST /credit/membership` with a gateway).
pub async fn membership_order(
    state: &AppState,
    principal: &Principal,
    membership_type: String,
    payment_method: &str,
) -> Result<(StatusCode, Json<OrderCreated>), ApiError> {
    let order = NewOrder {
        kind: OrderKind::Membership,
        amount_cents: 0,
        membership_type: Some(membership_type),
        gateway: gateway("payment_method", payment_method)?,
        coupon_code: None,
    };
    new_order(state, principal, order).await
}

/// Seed 003's callback body; accepted for the sandbox gateway only.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxCallback {
    pub order_id: String,
    /// `sandbox`.
    pub payment_method: String,
    /// The payment's number; the same number again is the same event.
    pub transaction_id: String,
    /// `success` or `failed`.
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackAnswer {
    /// `credited`, `already_done`, `recorded`.
    pub result: String,
    pub order: Order,
}

#[utoipa::path(post, path = "/api/v1/credit/payment/callback", tag = "payments", request_body = SandboxCallback,
    responses((status = 200, body = CallbackAnswer), (status = 403, description = "Not a sandbox order, or not an admin", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, description = "The sandbox is off", body = ErrorBody)))]
pub async fn sandbox_callback(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<SandboxCallback>,
) -> Result<Json<CallbackAnswer>, ApiError> {
    principal.require(Scope::Admin)?;
    if body.payment_method != "sandbox" {
        return Err(ApiError::forbidden(
            "this callback completes sandbox orders only; a gateway's payments arrive at \
             /payments/callback/{gateway}, signed",
        ));
    }
    let success = match body.status.as_str() {
        "success" => true,
        "failed" => false,
        other => {
            return Err(ApiError::validation(
                "status",
                format!("status is success or failed (got '{other}')"),
            ))
        }
    };
    let applied =
        payments::complete_sandbox(&state, &body.order_id, &body.transaction_id, success).await?;
    let result = match &applied {
        Applied::Credited(_) => "credited",
        Applied::AlreadyDone(_) => "already_done",
        Applied::Recorded(_) | Applied::NeedsQuery(_) => "recorded",
    };
    Ok(Json(CallbackAnswer {
        result: result.into(),
        order: applied.order().clone(),
    }))
}

/// The gateways' own answers: they read a callback's body and status, not Storyloom's error shape.
pub fn callback_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(alipay_callback))
        .routes(routes!(wechat_callback))
        .routes(routes!(stripe_callback))
}

/// The status a refused callback gets: 4xx when the message is wrong, 5xx when we are (the
/// gateway retries either way, until it gives up).
fn refused(e: &payments::PaymentError) -> StatusCode {
    use crate::error::CodedError;
    tracing::warn!(error = %e, "payment callback refused");
    e.code().status()
}

#[utoipa::path(post, path = "/api/v1/payments/callback/alipay", tag = "payments",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "Alipay's asynchronous notification, signed (RSA2)"),
    responses((status = 200, description = "`success`, once the order's effect committed (or was already applied)"),
        (status = 400, description = "Not verified, or not this order's (nothing changed)"),
        (status = 404, description = "Alipay is not configured here"),
        (status = 503, description = "The payment is not confirmed yet")))]
pub async fn alipay_callback(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !payments::flows::configured(&state, Gateway::Alipay) {
        return (StatusCode::NOT_FOUND, "fail").into_response();
    }
    match payments::flows::alipay_callback(&state, &body).await {
        Ok(Applied::NeedsQuery(_)) => (StatusCode::SERVICE_UNAVAILABLE, "fail").into_response(),
        Ok(_) => {
            payments::crash_point("alipay_callback_committed");
            (StatusCode::OK, "success").into_response()
        }
        Err(e) => (refused(&e), "fail").into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/payments/callback/wechat", tag = "payments",
    request_body(content = String, content_type = "application/json",
        description = "WeChat Pay's notification: signed (Wechatpay-* headers), its resource encrypted"),
    responses((status = 204, description = "Applied (or already applied)"),
        (status = 400, description = "`{code: FAIL, message}`: not verified, or not this order's"),
        (status = 404, description = "WeChat Pay is not configured here"),
        (status = 503, description = "The payment is not confirmed yet")))]
pub async fn wechat_callback(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let fail = |status: StatusCode, message: String| {
        (
            status,
            Json(serde_json::json!({"code": "FAIL", "message": message})),
        )
            .into_response()
    };
    if !payments::flows::configured(&state, Gateway::Wechat) {
        return fail(
            StatusCode::NOT_FOUND,
            "WeChat Pay is not configured here".into(),
        );
    }
    match payments::flows::wechat_callback(&state, &headers, &body).await {
        Ok(Some(Applied::NeedsQuery(_))) => fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "the payment is not confirmed yet".into(),
        ),
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => fail(refused(&e), e.to_string()),
    }
}

#[utoipa::path(post, path = "/api/v1/payments/callback/stripe", tag = "payments",
    request_body(content = String, content_type = "application/json",
        description = "A Stripe webhook event, signed (Stripe-Signature)"),
    responses((status = 200, description = "`{received: true}`"),
        (status = 400, description = "Not verified, or not this order's (nothing changed)"),
        (status = 404, description = "Stripe is not configured here"),
        (status = 503, description = "The payment is not confirmed yet")))]
pub async fn stripe_callback(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !payments::flows::configured(&state, Gateway::Stripe) {
        return (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": "Stripe is not configured here"})),
        )
            .into_response();
    }
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match payments::flows::stripe_callback(&state, signature, &body).await {
        Ok(Some(Applied::NeedsQuery(_))) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"error": "the payment is not confirmed yet"})),
        )
            .into_response(),
        Ok(_) => Json(serde_json::json!({"received": true})).into_response(),
        Err(e) => (
            refused(&e),
            Json(serde_json::json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}

/// Operations (seed 003 §9): coupons, activities and referrals for anyone signed in; making
/// coupons and activities, every order and the statistics for the instance admin.
pub fn operation_routes() -> OpenApiRouter<AppState> {
    let people = OpenApiRouter::new()
        .routes(routes!(list_coupons))
        .routes(routes!(claim_coupon))
        .routes(routes!(my_coupons))
        .routes(routes!(list_activities))
        .routes(routes!(participate))
        .routes(routes!(referral_generate))
        .routes(routes!(referral_records));
    let admin = OpenApiRouter::new()
        .routes(routes!(create_coupon))
        .routes(routes!(create_activity))
        .routes(routes!(statistics))
        .routes(routes!(admin_orders));
    with_policy(people, Policy::Person).merge(with_policy(admin, Policy::InstanceAdmin))
}

#[utoipa::path(post, path = "/api/v1/operation/activities", tag = "payments", request_body = NewActivity,
    responses((status = 201, body = Activity), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_activity(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<NewActivity>,
) -> Result<(StatusCode, Json<Activity>), ApiError> {
    principal.require(Scope::Admin)?;
    Ok((
        StatusCode::CREATED,
        Json(payments::activities::create(&state, body).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivitiesQuery {
    /// `active` (the default: those running now) or `all` (instance admins).
    pub status: Option<String>,
    pub page: Option<u32>,
    pub limit: Option<u32>,
    pub page_size: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/operation/activities", tag = "payments", params(ActivitiesQuery),
    responses((status = 200, body = Page<Activity>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_activities(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ActivitiesQuery>,
) -> Result<Json<Page<Activity>>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit.or(q.page_size), None)?;
    let filter = match q.status.as_deref() {
        None | Some("active") => ActivityFilter::Active,
        Some("all") if principal.is_admin => ActivityFilter::All,
        Some("all") => {
            return Err(ApiError::forbidden(
                "only an instance admin lists every activity",
            ))
        }
        Some(other) => {
            return Err(ApiError::validation(
                "status",
                format!("status is active or all (got '{other}')"),
            ))
        }
    };
    Ok(Json(
        payments::activities::list(&state, &principal.user_id, filter, spec).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/operation/activities/{activity_id}/participate", tag = "payments",
    params(("activity_id" = String, Path, description = "The activity's id")),
    responses((status = 200, body = Joined), (status = 404, body = ErrorBody),
        (status = 409, description = "Joined already", body = ErrorBody),
        (status = 422, description = "Not running (field `activity`)", body = ErrorBody)))]
pub async fn participate(
    State(state): State<AppState>,
    principal: Principal,
    Path(activity_id): Path<String>,
) -> Result<Json<Joined>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        payments::activities::participate(&state, &principal.user_id, &activity_id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/operation/referral/generate", tag = "payments",
    responses((status = 200, body = ReferralLink), (status = 401, body = ErrorBody)))]
pub async fn referral_generate(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<ReferralLink>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        payments::referrals::link(&state, &principal.user_id).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub page: Option<u32>,
    pub limit: Option<u32>,
    pub page_size: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/operation/referral/records", tag = "payments", params(PageQuery),
    responses((status = 200, body = ReferralRecords), (status = 422, body = ErrorBody)))]
pub async fn referral_records(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ReferralRecords>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit.or(q.page_size), None)?;
    Ok(Json(
        payments::referrals::records(&state, &principal.user_id, spec).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatisticsQuery {
    /// `YYYY-MM-DD` (UTC); 29 days before `end_date` when not given.
    pub start_date: Option<String>,
    /// `YYYY-MM-DD`, counted whole (UTC); today when not given.
    pub end_date: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/operation/statistics", tag = "payments", params(StatisticsQuery),
    responses((status = 200, body = Statistics), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn statistics(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<StatisticsQuery>,
) -> Result<Json<Statistics>, ApiError> {
    principal.require(Scope::Admin)?;
    Ok(Json(
        payments::statistics::compute(&state, q.start_date.as_deref(), q.end_date.as_deref())
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminOrdersQuery {
    /// `pending`, `paid`, `expired`, `failed` or `refunded`.
    pub status: Option<String>,
    /// `alipay`, `wechat`, `stripe` or `sandbox`.
    pub gateway: Option<String>,
    pub page: Option<u32>,
    pub limit: Option<u32>,
    pub page_size: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/admin/payments/orders", tag = "payments", params(AdminOrdersQuery),
    responses((status = 200, body = Page<AdminOrder>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn admin_orders(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<AdminOrdersQuery>,
) -> Result<Json<Page<AdminOrder>>, ApiError> {
    principal.require(Scope::Admin)?;
    let spec = PageSpec::resolve(q.page, q.limit.or(q.page_size), None)?;
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(OrderStatus::parse(s).ok_or_else(|| {
            ApiError::validation(
                "status",
                format!("status is pending, paid, expired, failed or refunded (got '{s}')"),
            )
        })?),
    };
    let gateway = match q.gateway.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(g) => Some(gateway("gateway", g)?),
    };
    Ok(Json(
        payments::list_all(&state, status, gateway, spec).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/operation/coupons", tag = "payments", request_body = NewCoupon,
    responses((status = 201, body = Coupon), (status = 403, body = ErrorBody), (status = 409, description = "The code is taken", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_coupon(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<NewCoupon>,
) -> Result<(StatusCode, Json<Coupon>), ApiError> {
    principal.require(Scope::Admin)?;
    Ok((
        StatusCode::CREATED,
        Json(payments::coupons::create(&state, body).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CouponsQuery {
    /// `active` (the default: those usable now) or `all` (instance admins).
    pub status: Option<String>,
    pub page: Option<u32>,
    pub limit: Option<u32>,
    pub page_size: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/operation/coupons", tag = "payments", params(CouponsQuery),
    responses((status = 200, body = Page<Coupon>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_coupons(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<CouponsQuery>,
) -> Result<Json<Page<Coupon>>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit.or(q.page_size), None)?;
    let active_only = match q.status.as_deref() {
        None | Some("active") => true,
        Some("all") if principal.is_admin => false,
        Some("all") => {
            return Err(ApiError::forbidden(
                "only an instance admin lists every coupon",
            ))
        }
        Some(other) => {
            return Err(ApiError::validation(
                "status",
                format!("status is active or all (got '{other}')"),
            ))
        }
    };
    Ok(Json(
        payments::coupons::list(&state, active_only, spec).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/operation/coupons/{coupon_id}/claim", tag = "payments",
    params(("coupon_id" = String, Path, description = "The coupon's id or code")),
    responses((status = 200, body = MyCoupon), (status = 409, description = "Used up", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn claim_coupon(
    State(state): State<AppState>,
    principal: Principal,
    Path(coupon_id): Path<String>,
) -> Result<Json<MyCoupon>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        payments::coupons::claim(&state, &principal.user_id, &coupon_id).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyCouponsQuery {
    /// `unused`, `reserved` or `used`.
    pub status: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/operation/my-coupons", tag = "payments", params(MyCouponsQuery),
    responses((status = 200, body = Vec<MyCoupon>), (status = 422, body = ErrorBody)))]
pub async fn my_coupons(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<MyCouponsQuery>,
) -> Result<Json<Vec<MyCoupon>>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        payments::coupons::mine(&state, &principal.user_id, q.status).await?,
    ))
}
