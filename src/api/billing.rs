//! Credits and billing (docs/API-LEDGER.md): balance, transactions, holds, dashboard, usage,
//! invoices, subscriptions and memberships, admin grants and reconciliation. Reading or moving credits
//! needs the `billing` scope (an API key without it gets 403); admin endpoints need an admin.
use crate::paging::{Page, PageSpec};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::{with_policy, Policy};
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiQuery},
};
use crate::{
    auth::Scope,
    ledger::{
        self,
        plans::{self, BuyMembership, MembershipOrder, SubscriptionView, Upgrade, UpgradeResult},
        reconcile::{self, Report},
        views::{self, Dashboard, Invoice, TransactionFilter, TransactionItem, Usage},
        Balance, GrantKind, Hold, HoldRequest, HoldStatus, LedgerError, Purpose, Transfer,
    },
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    let billing = OpenApiRouter::new()
        .routes(routes!(get_balance))
        .routes(routes!(credit_balance))
        .routes(routes!(list_transactions))
        .routes(routes!(credit_transactions))
        .routes(routes!(list_holds, create_hold))
        .routes(routes!(get_hold))
        .routes(routes!(settle_hold))
        .routes(routes!(void_hold))
        .routes(routes!(set_budget))
        .routes(routes!(dashboard))
        .routes(routes!(usage))
        .routes(routes!(invoices))
        .routes(routes!(subscription_me))
        .routes(routes!(subscription_upgrade))
        .routes(routes!(buy_membership));
    let admin = OpenApiRouter::new()
        .routes(routes!(admin_grant))
        .routes(routes!(admin_reconciliation));
    with_policy(billing, Policy::Billing).merge(with_policy(admin, Policy::InstanceAdmin))
}

fn billing(p: &Principal) -> Result<(), ApiError> {
    p.require(Scope::Billing)
}

fn admin(p: &Principal) -> Result<(), ApiError> {
    p.require(Scope::Admin)?;
    if !p.is_admin {
        return Err(ApiError::forbidden("only an administrator may do this"));
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/billing/balance", tag = "billing",
    responses((status = 200, body = Balance), (status = 401, body = ErrorBody), (status = 403, description = "An API key without the billing scope", body = ErrorBody)))]
pub async fn get_balance(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Balance>, ApiError> {
    billing(&principal)?;
    Ok(Json(
        ledger::balance(&state, &principal.workspace_id).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/credit/balance", tag = "billing",
    responses((status = 200, description = "Another path to the balance", body = Balance), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn credit_balance(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Balance>, ApiError> {
    get_balance(State(state), principal).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransactionsQuery {
    pub page: Option<u32>,
    /// 1–100 (default 20).
    pub limit: Option<u32>,
    /// Another name for `limit`.
    pub page_size: Option<u32>,
    pub skip: Option<u64>,
    /// Comma-separated types (`charge,hold,…`; the aliases `consumption`, `payment`, `recharge`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// From this date (`YYYY-MM-DD`) or time (RFC 3339), inclusive.
    pub start_date: Option<String>,
    /// To this date, inclusive (or this time, exclusive).
    pub end_date: Option<String>,
    pub hold_id: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/billing/transactions", tag = "billing", params(TransactionsQuery),
    responses((status = 200, description = "Newest first", body = Page<TransactionItem>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_transactions(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<TransactionsQuery>,
) -> Result<Json<Page<TransactionItem>>, ApiError> {
    billing(&principal)?;
    let spec = PageSpec::resolve(q.page, q.limit.or(q.page_size), q.skip)?;
    let filter = TransactionFilter {
        kinds: q
            .kind
            .as_deref()
            .map(views::parse_types)
            .transpose()?
            .unwrap_or_default(),
        start: q
            .start_date
            .as_deref()
            .map(|s| views::parse_bound("start_date", s, false))
            .transpose()?,
        end: q
            .end_date
            .as_deref()
            .map(|s| views::parse_bound("end_date", s, true))
            .transpose()?,
        hold_id: q.hold_id,
    };
    let (items, total) = views::transactions(
        &state,
        &principal.workspace_id,
        filter,
        spec.limit,
        spec.offset,
    )
    .await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(get, path = "/api/v1/credit/transactions", tag = "billing", params(TransactionsQuery),
    responses((status = 200, description = "Another path to the transactions", body = Page<TransactionItem>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn credit_transactions(
    State(state): State<AppState>,
    principal: Principal,
    q: ApiQuery<TransactionsQuery>,
) -> Result<Json<Page<TransactionItem>>, ApiError> {
    list_transactions(State(state), principal, q).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoldsQuery {
    pub page: Option<u32>,
    pub limit: Option<u32>,
    // Read as a string: an unknown value is a 422 naming the field (a typed one would be a 400).
    #[param(value_type = Option<HoldStatus>)]
    pub status: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/billing/holds", tag = "billing", params(HoldsQuery),
    responses((status = 200, description = "Holds (the usage records), newest first", body = Page<Hold>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_holds(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<HoldsQuery>,
) -> Result<Json<Page<Hold>>, ApiError> {
    billing(&principal)?;
    let spec = PageSpec::resolve(q.page, q.limit, None)?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(HoldStatus::parse(s).ok_or_else(|| {
            ApiError::validation(
                "status",
                format!("status is pending, settled or voided (got '{s}')"),
            )
        })?),
    };
    let (items, total) = views::holds(
        &state,
        &principal.workspace_id,
        status,
        spec.limit,
        spec.offset,
    )
    .await?;
    Ok(Json(Page::new(items, total, spec)))
}

/// A hold for metered work done outside the runner (an API client, a batch job).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHold {
    /// Idempotency key: a retry with the same id and fields returns the first hold (default: new).
    pub id: Option<String>,
    /// Credits to reserve (≥ 0).
    pub amount: i64,
    /// What the hold pays for (yours).
    pub work_id: String,
    #[serde(default)]
    pub description: String,
    /// Seconds before an unresolved hold is voided (default 24 h, at most 30 days).
    pub ttl_secs: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/billing/holds", tag = "billing", request_body = NewHold,
    responses((status = 201, body = Hold), (status = 402, description = "CREDITS_EXCEEDED: the balance cannot cover it", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, description = "The id was used with other fields", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_hold(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<NewHold>,
) -> Result<(StatusCode, Json<Hold>), ApiError> {
    billing(&principal)?;
    let key = match input.id {
        Some(id) => format!("api:{}:{id}", principal.workspace_id),
        None => format!("api:{}:{}", principal.workspace_id, state.ids.new_id()),
    };
    let hold = ledger::hold(
        &state,
        HoldRequest {
            owner_id: principal.workspace_id.clone(),
            amount: input.amount,
            purpose: Purpose::Job,
            work_id: input.work_id,
            key,
            description: input.description,
            meta: serde_json::json!({"kind": "job"}),
            ttl_secs: input.ttl_secs,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(hold)))
}

#[utoipa::path(get, path = "/api/v1/billing/holds/{id}", tag = "billing", params(("id" = String, Path)),
    responses((status = 200, body = Hold), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_hold(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Hold>, ApiError> {
    billing(&principal)?;
    Ok(Json(
        ledger::get_hold(&state, Some(&principal.workspace_id), &id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettleBody {
    /// What the work cost (0 ≤ amount ≤ the hold); the rest returns to the balance.
    pub amount: i64,
}

#[utoipa::path(post, path = "/api/v1/billing/holds/{id}/settle", tag = "billing", params(("id" = String, Path)), request_body = SettleBody,
    responses((status = 200, description = "Settled (a repeat with the same amount returns the same hold)", body = Hold),
        (status = 404, body = ErrorBody), (status = 409, description = "Already voided, or settled for another amount", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn settle_hold(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SettleBody>,
) -> Result<Json<Hold>, ApiError> {
    billing(&principal)?;
    let h = ledger::get_hold(&state, Some(&principal.workspace_id), &id).await?;
    if !made_by_a_client(&h) {
        return Err(ApiError::forbidden(format!(
            "a {} hold is settled by the work it pays for",
            if h.purpose == "job" {
                "server"
            } else {
                h.purpose.as_str()
            }
        )));
    }
    Ok(Json(ledger::settle(&state, &id, body.amount).await?))
}

/// Only holds a client made with `POST /billing/holds` are settled or voided through the API: the
/// server's own (a summary's, a creation's, the router's) resolve with the work they pay for, or a
/// client could void one mid-generation and keep what it received.
fn made_by_a_client(h: &ledger::Hold) -> bool {
    h.purpose == "job" && h.key.starts_with("api:")
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidBody {
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/billing/holds/{id}/void", tag = "billing", params(("id" = String, Path)), request_body = VoidBody,
    responses((status = 200, body = Hold), (status = 404, body = ErrorBody), (status = 409, description = "Already settled", body = ErrorBody)))]
pub async fn void_hold(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<VoidBody>,
) -> Result<Json<Hold>, ApiError> {
    billing(&principal)?;
    let h = ledger::get_hold(&state, Some(&principal.workspace_id), &id).await?;
    if !made_by_a_client(&h) {
        return Err(ApiError::forbidden(format!(
            "a {} hold is voided by the work it pays for",
            if h.purpose == "job" {
                "server"
            } else {
                h.purpose.as_str()
            }
        )));
    }
    let reason = body.reason.unwrap_or_else(|| "voided by the client".into());
    Ok(Json(ledger::void(&state, &id, &reason).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetBody {
    /// The spendable credits from now on.
    pub credits: i64,
}

#[utoipa::path(put, path = "/api/v1/billing/budget", tag = "billing", request_body = BudgetBody,
    responses((status = 200, body = Balance), (status = 403, description = "Not the desktop's local owner", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_budget(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<BudgetBody>,
) -> Result<Json<Balance>, ApiError> {
    billing(&principal)?;
    Ok(Json(
        ledger::set_budget(&state, &principal.workspace_id, body.credits).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// Days of `usage_history` (1–366, default 30).
    pub days: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/dashboard", tag = "billing", params(DashboardQuery),
    responses((status = 200, description = "The dashboard", body = Dashboard), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dashboard(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> Result<Json<Dashboard>, ApiError> {
    billing(&principal)?;
    let days = q.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(ApiError::validation(
            "days",
            format!("days is 1–366 (got {days})"),
        ));
    }
    Ok(Json(
        views::dashboard(&state, &principal.workspace_id, principal.is_admin, days).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// `YYYY-MM-DD` (default: the first of this month).
    pub start_date: Option<String>,
    /// `YYYY-MM-DD`, inclusive (default: today).
    pub end_date: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/billing/usage", tag = "billing", params(UsageQuery),
    responses((status = 200, description = "Usage statistics", body = Usage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn usage(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> Result<Json<Usage>, ApiError> {
    billing(&principal)?;
    Ok(Json(
        views::usage(&state, &principal.workspace_id, q.start_date, q.end_date).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub page: Option<u32>,
    pub limit: Option<u32>,
    pub skip: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/billing/invoices", tag = "billing", params(PageQuery),
    responses((status = 200, description = "Monthly statements, newest first", body = Page<Invoice>), (status = 403, body = ErrorBody)))]
pub async fn invoices(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<Invoice>>, ApiError> {
    billing(&principal)?;
    let spec = PageSpec::resolve(q.page, q.limit, q.skip)?;
    let (items, total) =
        views::invoices(&state, &principal.workspace_id, spec.limit, spec.offset).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(get, path = "/api/v1/subscriptions/me", tag = "billing",
    responses((status = 200, body = SubscriptionView), (status = 403, body = ErrorBody)))]
pub async fn subscription_me(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<SubscriptionView>, ApiError> {
    billing(&principal)?;
    Ok(Json(
        plans::subscription(&state, &principal.workspace_id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/subscriptions/upgrade", tag = "billing", request_body = Upgrade,
    responses((status = 200, body = UpgradeResult), (status = 402, description = "The balance cannot pay for the plan", body = ErrorBody),
        (status = 409, description = "That plan is already active", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn subscription_upgrade(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<Upgrade>,
) -> Result<Json<UpgradeResult>, ApiError> {
    billing(&principal)?;
    Ok(Json(
        plans::upgrade(&state, &principal.workspace_id, input).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/credit/membership", tag = "billing", request_body = BuyMembership,
    responses((status = 201, description = "Paid from the balance (`payment_method: balance`, the default)", body = MembershipOrder),
        (status = 202, description = "An order to pay at the gateway (`alipay`, `wechat`, `stripe`, `sandbox`)", body = super::payments::OrderCreated), (status = 402, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn buy_membership(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<BuyMembership>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    billing(&principal)?;
    match input.payment_method.as_deref() {
        // Paid with money: an order to pay at the gateway (202: the membership starts when paid).
        Some(method) if method != "balance" => {
            let (_, order) = super::payments::membership_order(
                &state,
                &principal,
                input.membership_type,
                method,
            )
            .await?;
            Ok((StatusCode::ACCEPTED, order).into_response())
        }
        _ => Ok((
            StatusCode::CREATED,
            Json(plans::buy_membership(&state, &principal.workspace_id, input).await?),
        )
            .into_response()),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    pub user_id: String,
    /// Credits to add (> 0).
    pub credits: i64,
    /// `grant` (default), `coupon`, `referral`, `compensation`.
    #[serde(default)]
    pub kind: GrantKind,
    /// Idempotency key: the same id and fields grant once.
    pub id: Option<String>,
    #[serde(default)]
    pub description: String,
}

#[utoipa::path(post, path = "/api/v1/admin/credits/grant", tag = "billing", request_body = GrantBody,
    responses((status = 201, body = Transfer), (status = 403, body = ErrorBody), (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn admin_grant(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<GrantBody>,
) -> Result<(StatusCode, Json<Transfer>), ApiError> {
    admin(&principal)?;
    if body.credits <= 0 {
        return Err(ApiError::validation(
            "credits",
            format!("credits must be positive (got {})", body.credits),
        ));
    }
    if body.description.len() > 500 {
        return Err(ApiError::validation(
            "description",
            "description is at most 500 characters",
        ));
    }
    let key = body.id.map(|id| format!("admin-grant:{id}"));
    let description = if body.description.is_empty() {
        format!("granted by {}", principal.user_id)
    } else {
        body.description
    };
    let t = ledger::grant(
        &state,
        &body.user_id,
        body.credits,
        body.kind,
        key,
        &description,
    )
    .await
    .map_err(|e| match e {
        LedgerError::Invalid {
            field: "id",
            message,
        } => ApiError::validation("id", message),
        other => other.into(),
    })?;
    Ok((StatusCode::CREATED, Json(t)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReconQuery {
    /// Repair what can be repaired (compensating transfers and voids only).
    pub auto_fix: Option<bool>,
}

#[utoipa::path(post, path = "/api/v1/admin/reconciliation", tag = "billing", params(ReconQuery),
    responses((status = 200, description = "`{ success, checked_count, issues, fixed_count, summary }`", body = Report),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn admin_reconciliation(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ReconQuery>,
) -> Result<Json<Report>, ApiError> {
    admin(&principal)?;
    Ok(Json(
        reconcile::reconcile(&state, q.auto_fix.unwrap_or(false)).await?,
    ))
}
