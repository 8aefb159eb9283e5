//! The credit ledger (docs/API-LEDGER.md): double entry, two-phase spend, plans.
//!
//! # Using it from other domains (workflow nodes, export, jobs)
//!
//! Every paid piece of work holds its estimate before it starts, then settles what it really cost
//! (≤ the hold; the rest returns) when it succeeds, or voids the hold when it fails, is cancelled or
//! is interrupted. There is no other way to spend credits.
//!
//! ```ignore
//! use storyloom::ledger::{self, HoldRequest, Purpose};
//! // Before the work starts (this is the 402 check and the debit, in one conditional write):
//! let hold = ledger::hold(&state, HoldRequest {
//!     owner_id: user_id.clone(),
//!     amount: estimate_credits,            // integer credits, ≥ 0 (0 still leaves a usage record)
//!     purpose: Purpose::Export,
//!     work_id: export_id.clone(),          // the row the hold pays for
//!     key: format!("export:{export_id}"),  // idempotency key: same key + same fields → same hold
//!     description: "1080p mp4 export".into(),
//!     meta: serde_json::json!({"project_id": project_id}),
//!     ttl_secs: None,                      // default 24 h; the sweeper voids it after that
//! }).await?;                               // Err(LedgerError::InsufficientCredits{..}) → 402
//! // On success (idempotent: the same call again returns the same hold):
//! ledger::settle(&state, &hold.id, actual_credits).await?;
//! // On failure / cancel (idempotent; a settled hold cannot be voided):
//! ledger::void(&state, &hold.id, "ffmpeg failed").await?;
//! // For an estimate screen ("sufficient_quota"):
//! let b = ledger::balance(&state, &user_id).await?;  // b.available, b.held, b.is_member
//! let ok = ledger::can_cover(&b, estimate_credits);
//! ```
//!
//! Inside a transaction that also records the work's own state, use [`hold_in_tx`], [`settle_in_tx`]
//! and [`void_in_tx`] so the work's transition and its money move commit together (the workflow
//! runner does this). Holds left pending by a process that died are voided at the next start
//! ([`sweep`] with `startup = true`, called from `workflow::runs::resume_interrupted`); a periodic
//! sweep voids expired holds and holds whose node run is gone.
//!
//! # Accounts
//!
//! Per user: `wallet:<user>` (spendable) and `held:<user>` (pending holds). System: `system:issuance`
//! (where granted credit comes from; the only account that may be negative), `system:revenue`
//! (charged credits), `system:suspense` (reconciliation corrections). A wallet can never go below
//! zero: the debit is `UPDATE … SET balance = balance - n WHERE balance >= n`, and a CHECK constraint
//! backs it.
//!
//! Billing rules: charge only on success; cache hits free (settle 0); failures and interruptions free
//! (void); active members are not charged (the hold is recorded with `waived = 'member'` and moves
//! nothing); subscription tiers grant a monthly quota into the wallet ([`plans`]).
pub mod plans;
pub mod reconcile;
pub mod status;
pub mod views;

#[cfg(test)]
mod tests;

use crate::error::{CodedError, ErrorCode};
use std::sync::OnceLock;

use crate::db::sql::{params, Connection, OptionalExtension, Row};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::{clock::rfc3339, clock::IdSource, db::DbError, AppState};
pub use status::HoldStatus;

pub const ISSUANCE: &str = "system:issuance";
pub const REVENUE: &str = "system:revenue";
pub const SUSPENSE: &str = "system:suspense";

/// Default lifetime of a hold before the sweeper voids it.
pub const DEFAULT_HOLD_TTL_SECS: i64 = 24 * 3600;

/// Largest single amount accepted anywhere (keeps sums far from i64 overflow).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

pub fn wallet(owner_id: &str) -> String {
    format!("wallet:{owner_id}")
}

pub fn held(owner_id: &str) -> String {
    format!("held:{owner_id}")
}

/// This process's identity as a hold holder: a hold of another (dead) process is swept at start.
pub fn instance_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| uuid::Uuid::now_v7().to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("insufficient credits: {needed} needed, {available} available")]
    InsufficientCredits { needed: i64, available: i64 },
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{what} '{id}' not found")]
    NotFound { what: &'static str, id: String },
    /// The idempotency key was used before with different fields.
    #[error("the id '{key}' was already used for a different {what}")]
    KeyReused { what: &'static str, key: String },
    /// A hold already resolved another way (settled vs voided, or settled for another amount).
    #[error("{0}")]
    AlreadyResolved(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for LedgerError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::InsufficientCredits { .. } => ErrorCode::CreditsExceeded,
            Self::Invalid { .. } => ErrorCode::ValidationError,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::KeyReused { .. } | Self::AlreadyResolved(_) => ErrorCode::Conflict,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::KeyReused { .. } => Some("id"),
            _ => None,
        }
    }
    fn detail(&self) -> String {
        match self {
            Self::Invalid { message, .. } => message.clone(),
            _ => self.to_string(),
        }
    }
}

impl From<crate::db::sql::Error> for LedgerError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(e.into())
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> LedgerError {
    LedgerError::Invalid {
        field,
        message: message.into(),
    }
}

/// What a hold pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A workflow node run (`work_id` = node run id).
    NodeRun,
    /// A video export (`work_id` = export id).
    Export,
    /// Other metered work (batch jobs, API clients; `work_id` is theirs).
    Job,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NodeRun => "node_run",
            Self::Export => "export",
            Self::Job => "job",
        }
    }
}

/// A movement between two accounts.
#[derive(Debug, Clone)]
pub struct NewTransfer {
    /// Idempotency key (unique).
    pub key: String,
    pub kind: &'static str,
    pub debit: String,
    pub credit: String,
    pub amount: i64,
    pub owner_id: Option<String>,
    pub hold_id: Option<String>,
    pub corrects: Option<String>,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Transfer {
    pub id: String,
    pub key: String,
    pub kind: String,
    pub debit_account: String,
    pub credit_account: String,
    pub amount: i64,
    pub owner_id: Option<String>,
    pub hold_id: Option<String>,
    pub description: String,
    pub created_at: String,
    /// True when this call was a retry answered with the first result.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
}

fn sha(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

fn transfer_fingerprint(t: &NewTransfer) -> String {
    sha(&[
        t.kind,
        &t.debit,
        &t.credit,
        &t.amount.to_string(),
        t.owner_id.as_deref().unwrap_or(""),
        t.hold_id.as_deref().unwrap_or(""),
        t.corrects.as_deref().unwrap_or(""),
        &t.description,
    ])
}

const TRANSFER_COLUMNS: &str =
    "id, key, kind, debit_account, credit_account, amount, owner_id, hold_id, description, created_at";

fn transfer_row(r: &Row<'_>) -> crate::db::sql::Result<Transfer> {
    Ok(Transfer {
        id: r.get(0)?,
        key: r.get(1)?,
        kind: r.get(2)?,
        debit_account: r.get(3)?,
        credit_account: r.get(4)?,
        amount: r.get(5)?,
        owner_id: r.get(6)?,
        hold_id: r.get(7)?,
        description: r.get(8)?,
        created_at: r.get(9)?,
        replayed: false,
    })
}

/// Creates the user's wallet and held accounts if they do not exist yet.
pub fn ensure_user_accounts(c: &Connection, owner_id: &str, now: &str) -> Result<(), LedgerError> {
    c.prepare_cached(
        "INSERT INTO ledger_accounts (id, owner_id, kind, may_go_negative, balance, created_at)
         VALUES (?1, ?3, 'wallet', 0, 0, ?4), (?2, ?3, 'held', 0, 0, ?4) ON CONFLICT DO NOTHING",
    )?
    .execute(params![wallet(owner_id), held(owner_id), owner_id, now])?;
    Ok(())
}

fn account_balance(c: &Connection, account: &str) -> Result<i64, LedgerError> {
    Ok(
        c.prepare_cached("SELECT balance FROM ledger_accounts WHERE id = ?1")?
            .query_row([account], |r| r.get(0))
            .optional()?
            .unwrap_or(0),
    )
}

/// Appends a transfer and its two entries, updating both projections. The debit is conditional: an
/// account that may not go negative and cannot cover `amount` makes this fail with nothing written.
pub fn transfer_in_tx(
    c: &Connection,
    ids: &dyn IdSource,
    now: &str,
    t: &NewTransfer,
) -> Result<Transfer, LedgerError> {
    check_transfer(t)?;
    let fingerprint = transfer_fingerprint(t);
    let existing: Option<(Transfer, String)> = c
        .prepare_cached(&format!(
            "SELECT {TRANSFER_COLUMNS}, fingerprint FROM ledger_transfers WHERE key = ?1"
        ))?
        .query_row([&t.key], |r| {
            Ok((transfer_row(r)?, r.get::<_, String>(10)?))
        })
        .optional()?;
    if let Some((mut first, fp)) = existing {
        if fp != fingerprint {
            return Err(LedgerError::KeyReused {
                what: "transfer",
                key: t.key.clone(),
            });
        }
        first.replayed = true;
        return Ok(first);
    }
    append_transfer(c, ids, now, t, &fingerprint)
}

/// A hold's own transfer (`hold:`, `charge:`, `release:` + the hold's id): its key cannot have
/// been used, since the hold is new or still pending in this transaction, so there is no
/// idempotency lookup; the key's UNIQUE constraint still refuses a second one.
fn hold_transfer_in_tx(
    c: &Connection,
    ids: &dyn IdSource,
    now: &str,
    t: &NewTransfer,
) -> Result<Transfer, LedgerError> {
    check_transfer(t)?;
    append_transfer(c, ids, now, t, &transfer_fingerprint(t))
}

fn check_transfer(t: &NewTransfer) -> Result<(), LedgerError> {
    if t.amount <= 0 || t.amount > MAX_AMOUNT {
        return Err(invalid(
            "amount",
            format!(
                "a transfer moves between 1 and {MAX_AMOUNT} credits (got {})",
                t.amount
            ),
        ));
    }
    if t.key.is_empty() || t.key.len() > 200 {
        return Err(invalid("id", "an id is 1–200 characters"));
    }
    if t.debit == t.credit {
        return Err(invalid(
            "account",
            "a transfer needs two different accounts",
        ));
    }
    Ok(())
}

/// Moves the money and appends the transfer and its entries (after the key was checked).
fn append_transfer(
    c: &Connection,
    ids: &dyn IdSource,
    now: &str,
    t: &NewTransfer,
    fingerprint: &str,
) -> Result<Transfer, LedgerError> {
    let debit_after: Option<i64> = c
        .prepare_cached(
            "UPDATE ledger_accounts SET balance = balance - ?1
             WHERE id = ?2 AND (may_go_negative = 1 OR balance >= ?1) RETURNING balance",
        )?
        .query_row(params![t.amount, t.debit], |r| r.get(0))
        .optional()?;
    let Some(debit_after) = debit_after else {
        let exists: bool = c
            .prepare_cached("SELECT 1 FROM ledger_accounts WHERE id = ?1")?
            .query_row([&t.debit], |_| Ok(true))
            .optional()?
            .unwrap_or(false);
        if !exists {
            return Err(LedgerError::NotFound {
                what: "account",
                id: t.debit.clone(),
            });
        }
        return Err(LedgerError::InsufficientCredits {
            needed: t.amount,
            available: account_balance(c, &t.debit)?,
        });
    };
    let credit_after: i64 = c
        .prepare_cached(
            "UPDATE ledger_accounts SET balance = balance + ?1 WHERE id = ?2 RETURNING balance",
        )?
        .query_row(params![t.amount, t.credit], |r| r.get(0))
        .optional()?
        .ok_or_else(|| LedgerError::NotFound {
            what: "account",
            id: t.credit.clone(),
        })?;
    let id = ids.new_id().to_string();
    c.prepare_cached(
        "INSERT INTO ledger_transfers (id, key, kind, debit_account, credit_account, amount, owner_id,
                                       hold_id, corrects, description, fingerprint, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
            id,
            t.key,
            t.kind,
            t.debit,
            t.credit,
            t.amount,
            t.owner_id,
            t.hold_id,
            t.corrects,
            t.description,
            fingerprint,
            now
        ])?;
    c.prepare_cached(
        "INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after, created_at)
         VALUES (?1, ?2, ?3, ?4, ?6), (?1, ?5, ?7, ?8, ?6)",
    )?
    .execute(params![
        id,
        t.debit,
        -t.amount,
        debit_after,
        t.credit,
        now,
        t.amount,
        credit_after
    ])?;
    Ok(Transfer {
        id,
        key: t.key.clone(),
        kind: t.kind.to_string(),
        debit_account: t.debit.clone(),
        credit_account: t.credit.clone(),
        amount: t.amount,
        owner_id: t.owner_id.clone(),
        hold_id: t.hold_id.clone(),
        description: t.description.clone(),
        created_at: now.to_string(),
        replayed: false,
    })
}

/// Asks for credits to be reserved for a piece of work.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct HoldRequest {
    pub owner_id: String,
    /// The estimate, in credits (≥ 0).
    pub amount: i64,
    pub purpose: Purpose,
    pub work_id: String,
    /// Idempotency key: a retry with the same key and fields returns the first hold.
    pub key: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub meta: serde_json::Value,
    /// Seconds before the sweeper voids it (default 24 h).
    #[serde(default)]
    pub ttl_secs: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Hold {
    pub id: String,
    pub key: String,
    pub owner_id: String,
    /// What was asked for.
    pub estimate: i64,
    /// What was moved to held (0 when waived).
    pub amount: i64,
    pub purpose: String,
    pub work_id: String,
    pub description: String,
    #[schema(value_type = Object)]
    pub meta: serde_json::Value,
    /// Why nothing is charged (`member`), when so.
    pub waived: Option<String>,
    pub status: HoldStatus,
    /// The work's actual cost (list price), once settled.
    pub actual: Option<i64>,
    /// What was charged, once settled.
    pub charged: Option<i64>,
    pub reason: Option<String>,
    pub expires_at: String,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

const HOLD_COLUMNS: &str =
    "id, key, owner_id, estimate, amount, purpose, work_id, description, meta, \
     waived, status, actual, charged, reason, expires_at, created_at, resolved_at";

pub(crate) fn hold_row(r: &Row<'_>) -> crate::db::sql::Result<Hold> {
    let meta: String = r.get(8)?;
    Ok(Hold {
        id: r.get(0)?,
        key: r.get(1)?,
        owner_id: r.get(2)?,
        estimate: r.get(3)?,
        amount: r.get(4)?,
        purpose: r.get(5)?,
        work_id: r.get(6)?,
        description: r.get(7)?,
        meta: crate::db::json_column("ledger_holds.meta", &meta, serde_json::Value::Null),
        waived: r.get(9)?,
        status: r.get(10)?,
        actual: r.get(11)?,
        charged: r.get(12)?,
        reason: r.get(13)?,
        expires_at: r.get(14)?,
        created_at: r.get(15)?,
        resolved_at: r.get(16)?,
    })
}

pub(crate) fn load_hold(c: &Connection, hold_id: &str) -> Result<Hold, LedgerError> {
    c.prepare_cached(&format!(
        "SELECT {HOLD_COLUMNS} FROM ledger_holds WHERE id = ?1"
    ))?
    .query_row([hold_id], hold_row)
    .optional()?
    .ok_or_else(|| LedgerError::NotFound {
        what: "hold",
        id: hold_id.to_string(),
    })
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Places a hold inside the caller's transaction: the balance check and the debit are one
/// conditional write. Waived (0 moved) for active members.
pub fn hold_in_tx(
    c: &Connection,
    ids: &dyn IdSource,
    now: DateTime<Utc>,
    req: &HoldRequest,
) -> Result<Hold, LedgerError> {
    if req.amount < 0 || req.amount > MAX_AMOUNT {
        return Err(invalid(
            "amount",
            format!(
                "a hold is between 0 and {MAX_AMOUNT} credits (got {})",
                req.amount
            ),
        ));
    }
    if req.work_id.trim().is_empty() || req.work_id.len() > 200 {
        return Err(invalid("work_id", "work_id is 1–200 characters"));
    }
    if req.key.trim().is_empty() || req.key.len() > 200 {
        return Err(invalid("id", "a hold id is 1–200 characters"));
    }
    if req.description.len() > 500 {
        return Err(invalid(
            "description",
            "description is at most 500 characters",
        ));
    }
    let ttl = req.ttl_secs.unwrap_or(DEFAULT_HOLD_TTL_SECS);
    if !(1..=30 * 24 * 3600).contains(&ttl) {
        return Err(invalid(
            "ttl_secs",
            "ttl_secs is between 1 and 2592000 (30 days)",
        ));
    }
    let meta = if req.meta.is_null() {
        serde_json::json!({})
    } else {
        req.meta.clone()
    };
    let meta_s = meta.to_string();
    let fingerprint = sha(&[
        &req.owner_id,
        &req.amount.to_string(),
        req.purpose.as_str(),
        &req.work_id,
        &req.description,
        &meta_s,
    ]);
    let existing: Option<(Hold, String)> = c
        .prepare_cached(&format!(
            "SELECT {HOLD_COLUMNS}, fingerprint FROM ledger_holds WHERE key = ?1"
        ))?
        .query_row([&req.key], |r| Ok((hold_row(r)?, r.get::<_, String>(17)?)))
        .optional()?;
    if let Some((first, fp)) = existing {
        if fp != fingerprint {
            return Err(LedgerError::KeyReused {
                what: "hold",
                key: req.key.clone(),
            });
        }
        return Ok(first);
    }
    let now_s = rfc3339(now);
    ensure_user_accounts(c, &req.owner_id, &now_s)?;
    let waived = plans::active_membership(c, &req.owner_id, now)?.map(|_| "member".to_string());
    let amount = if waived.is_some() { 0 } else { req.amount };
    let id = ids.new_id().to_string();
    if amount > 0 {
        hold_transfer_in_tx(
            c,
            ids,
            &now_s,
            &NewTransfer {
                key: format!("hold:{id}"),
                kind: "hold",
                debit: wallet(&req.owner_id),
                credit: held(&req.owner_id),
                amount,
                owner_id: Some(req.owner_id.clone()),
                hold_id: Some(id.clone()),
                corrects: None,
                description: req.description.clone(),
            },
        )
        .map_err(|e| match e {
            LedgerError::InsufficientCredits { available, .. } => {
                LedgerError::InsufficientCredits {
                    needed: req.amount,
                    available,
                }
            }
            other => other,
        })?;
    }
    let expires_at = rfc3339(now + Duration::seconds(ttl));
    c.prepare_cached(
        "INSERT INTO ledger_holds (id, key, owner_id, estimate, amount, purpose, work_id, description,
                                   meta, waived, status, holder, fingerprint, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending', ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
            id,
            req.key,
            req.owner_id,
            req.amount,
            amount,
            req.purpose.as_str(),
            req.work_id,
            req.description,
            meta_s,
            waived,
            instance_id(),
            fingerprint,
            expires_at,
            now_s
        ])?;
    // The row as written (no read back).
    Ok(Hold {
        id,
        key: req.key.clone(),
        owner_id: req.owner_id.clone(),
        estimate: req.amount,
        amount,
        purpose: req.purpose.as_str().to_string(),
        work_id: req.work_id.clone(),
        description: req.description.clone(),
        meta,
        waived,
        status: HoldStatus::Pending,
        actual: None,
        charged: None,
        reason: None,
        expires_at,
        created_at: now_s,
        resolved_at: None,
    })
}

/// Settles a pending hold for `actual` credits (≤ the estimate): the charge goes to revenue and the
/// rest back to the wallet. Settling again for the same amount returns the settled hold.
pub fn settle_in_tx(
    c: &Connection,
    ids: &dyn IdSource,
    now: DateTime<Utc>,
    hold_id: &str,
    actual: i64,
) -> Result<Hold, LedgerError> {
    let hold = load_hold(c, hold_id)?;
    match hold.status {
        HoldStatus::Settled if hold.actual == Some(actual) => return Ok(hold),
        HoldStatus::Settled => {
            return Err(LedgerError::AlreadyResolved(format!(
                "hold {hold_id} was already settled for {} credits",
                hold.actual.unwrap_or(0)
            )))
        }
        HoldStatus::Voided => {
            return Err(LedgerError::AlreadyResolved(format!(
                "hold {hold_id} was already voided"
            )))
        }
        HoldStatus::Pending => {}
    }
    if actual < 0 || actual > hold.estimate {
        return Err(invalid(
            "amount",
            format!(
                "a settle is between 0 and the hold's {} credits (got {actual})",
                hold.estimate
            ),
        ));
    }
    let now_s = rfc3339(now);
    let charged = if hold.waived.is_some() { 0 } else { actual };
    let released = hold.amount - charged;
    if charged > 0 {
        hold_transfer_in_tx(
            c,
            ids,
            &now_s,
            &NewTransfer {
                key: format!("charge:{hold_id}"),
                kind: "charge",
                debit: held(&hold.owner_id),
                credit: REVENUE.into(),
                amount: charged,
                owner_id: Some(hold.owner_id.clone()),
                hold_id: Some(hold_id.to_string()),
                corrects: None,
                description: hold.description.clone(),
            },
        )?;
    }
    if released > 0 {
        release(c, ids, &now_s, &hold, released, "release")?;
    }
    let (set, guard) = HoldStatus::transition_sql(HoldStatus::Settled);
    let n = c
        .prepare_cached(&format!(
            "UPDATE ledger_holds SET {set}, actual = ?1, charged = ?2, resolved_at = ?3
             WHERE id = ?4 AND {guard}"
        ))?
        .execute(params![actual, charged, now_s, hold_id])?;
    if n != 1 {
        return Err(LedgerError::AlreadyResolved(format!(
            "hold {hold_id} resolved concurrently"
        )));
    }
    // The row as updated (no read back).
    Ok(Hold {
        status: HoldStatus::Settled,
        actual: Some(actual),
        charged: Some(charged),
        resolved_at: Some(now_s),
        ..hold
    })
}

fn release(
    c: &Connection,
    ids: &dyn IdSource,
    now: &str,
    hold: &Hold,
    amount: i64,
    kind: &'static str,
) -> Result<Transfer, LedgerError> {
    hold_transfer_in_tx(
        c,
        ids,
        now,
        &NewTransfer {
            key: format!("release:{}", hold.id),
            kind,
            debit: held(&hold.owner_id),
            credit: wallet(&hold.owner_id),
            amount,
            owner_id: Some(hold.owner_id.clone()),
            hold_id: Some(hold.id.clone()),
            corrects: None,
            description: hold.description.clone(),
        },
    )
}

/// Voids a pending hold: everything returns to the wallet. Voiding a voided hold returns it; a
/// settled hold cannot be voided.
pub fn void_in_tx(
    c: &Connection,
    ids: &dyn IdSource,
    now: DateTime<Utc>,
    hold_id: &str,
    reason: &str,
) -> Result<Hold, LedgerError> {
    let hold = load_hold(c, hold_id)?;
    match hold.status {
        HoldStatus::Voided => return Ok(hold),
        HoldStatus::Settled => {
            return Err(LedgerError::AlreadyResolved(format!(
                "hold {hold_id} was already settled; it cannot be voided"
            )))
        }
        HoldStatus::Pending => {}
    }
    let now_s = rfc3339(now);
    if hold.amount > 0 {
        release(c, ids, &now_s, &hold, hold.amount, "void")?;
    }
    let reason: String = reason.chars().take(500).collect();
    let (set, guard) = HoldStatus::transition_sql(HoldStatus::Voided);
    let n = c
        .prepare_cached(&format!(
            "UPDATE ledger_holds SET {set}, reason = ?1, resolved_at = ?2
             WHERE id = ?3 AND {guard}"
        ))?
        .execute(params![reason, now_s, hold_id])?;
    if n != 1 {
        return Err(LedgerError::AlreadyResolved(format!(
            "hold {hold_id} resolved concurrently"
        )));
    }
    // The row as updated (no read back).
    Ok(Hold {
        status: HoldStatus::Voided,
        reason: Some(reason),
        resolved_at: Some(now_s),
        ..hold
    })
}

/// Voids every pending hold for these pieces of work (a cancelled run's node runs).
pub fn void_work_in_tx(
    c: &Connection,
    ids: &dyn IdSource,
    now: DateTime<Utc>,
    purpose: Purpose,
    work_ids: &[String],
    reason: &str,
) -> Result<usize, LedgerError> {
    let mut n = 0;
    for w in work_ids {
        let pending: Vec<String> = {
            let mut stmt = c.prepare(
                "SELECT id FROM ledger_holds WHERE purpose = ?1 AND work_id = ?2 AND status = 'pending'",
            )?;
            let rows = stmt.query_map(params![purpose.as_str(), w], |r| r.get(0))?;
            rows.collect::<crate::db::sql::Result<_>>()?
        };
        for h in pending {
            void_in_tx(c, ids, now, &h, reason)?;
            n += 1;
        }
    }
    Ok(n)
}

#[tracing::instrument(skip(state, req), fields(owner = %req.owner_id, amount = req.amount, purpose = ?req.purpose, work_id = %req.work_id))]
pub async fn hold(state: &AppState, req: HoldRequest) -> Result<Hold, LedgerError> {
    let (ids, now) = (state.ids.clone(), state.clock.now());
    state
        .db
        .write_short(move |tx| hold_in_tx(tx, ids.as_ref(), now, &req))
        .await
}

#[tracing::instrument(skip(state))]
pub async fn settle(state: &AppState, hold_id: &str, actual: i64) -> Result<Hold, LedgerError> {
    let (ids, now, id) = (state.ids.clone(), state.clock.now(), hold_id.to_string());
    state
        .db
        .write_short(move |tx| settle_in_tx(tx, ids.as_ref(), now, &id, actual))
        .await
}

#[tracing::instrument(skip(state))]
pub async fn void(state: &AppState, hold_id: &str, reason: &str) -> Result<Hold, LedgerError> {
    let (ids, now, id, reason) = (
        state.ids.clone(),
        state.clock.now(),
        hold_id.to_string(),
        reason.to_string(),
    );
    state
        .db
        .write_short(move |tx| void_in_tx(tx, ids.as_ref(), now, &id, &reason))
        .await
}

/// A hold by id, only if it belongs to `owner_id` (None: any owner).
#[tracing::instrument(skip(state))]
pub async fn get_hold(
    state: &AppState,
    owner_id: Option<&str>,
    hold_id: &str,
) -> Result<Hold, LedgerError> {
    let (owner, id) = (owner_id.map(str::to_string), hold_id.to_string());
    state
        .db
        .read(move |c| {
            let h = load_hold(c, &id)?;
            if owner.as_deref().is_some_and(|o| o != h.owner_id) {
                return Err(LedgerError::NotFound { what: "hold", id });
            }
            Ok(h)
        })
        .await
}

/// An owner's spendable and held credits and membership state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Balance {
    pub owner_id: String,
    /// Spendable credits.
    pub credit_balance: i64,
    /// The same as `credit_balance`.
    pub available: i64,
    /// Reserved by pending holds.
    pub held: i64,
    pub is_member: bool,
    pub membership_type: Option<String>,
    pub membership_end_date: Option<String>,
    pub subscription_tier: String,
    /// On the desktop (local mode) the balance is a budget the user sets.
    pub budget_mode: bool,
}

/// What `owner_id` has available and held, and nothing else of [`Balance`] (two reads, for a
/// write that only reports them: the model router's `billing.updates` event).
pub(crate) fn available_and_held(
    c: &Connection,
    owner_id: &str,
) -> Result<(i64, i64), LedgerError> {
    Ok((
        account_balance(c, &wallet(owner_id))?,
        account_balance(c, &held(owner_id))?,
    ))
}

pub(crate) fn balance_in(
    c: &Connection,
    owner_id: &str,
    now: DateTime<Utc>,
) -> Result<Balance, LedgerError> {
    let (available, held_amount) = available_and_held(c, owner_id)?;
    let membership = plans::active_membership(c, owner_id, now)?;
    let sub = plans::active_subscription(c, owner_id, now)?;
    Ok(Balance {
        owner_id: owner_id.to_string(),
        credit_balance: available,
        available,
        held: held_amount,
        is_member: membership.is_some(),
        membership_type: membership.as_ref().map(|m| m.tier.clone()),
        membership_end_date: membership.map(|m| m.ends_at),
        subscription_tier: sub.map(|s| s.tier).unwrap_or_else(|| "free".into()),
        budget_mode: false,
    })
}

#[tracing::instrument(skip(state))]
pub async fn balance(state: &AppState, owner_id: &str) -> Result<Balance, LedgerError> {
    // Roll the subscription's monthly quota first, so the balance shown is the one a hold would see.
    plans::roll_quota(state, owner_id).await?;
    let (owner, now) = (owner_id.to_string(), state.clock.now());
    // One snapshot: a hold moving credits from the wallet to `held` between two reads would show
    // the same credits twice (or not at all).
    let mut b = state
        .db
        .read_snapshot(move |c| balance_in(c, &owner, now))
        .await?;
    b.budget_mode = state.config.auth_mode == crate::config::AuthMode::Local
        && state.local_owner_id.as_deref() == Some(owner_id);
    Ok(b)
}

/// Whether an estimate can start: members always can; others need the available credits.
pub fn can_cover(b: &Balance, estimate: i64) -> bool {
    estimate <= 0 || b.is_member || b.available >= estimate
}

/// The 402 check before work starts (the hold at the start of each paid step is the guarantee).
pub async fn require_cover(
    state: &AppState,
    owner_id: &str,
    estimate: i64,
) -> Result<Balance, LedgerError> {
    let b = balance(state, owner_id).await?;
    if can_cover(&b, estimate) {
        Ok(b)
    } else {
        Err(LedgerError::InsufficientCredits {
            needed: estimate,
            available: b.available,
        })
    }
}

/// How a grant is labelled in the transactions list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    #[default]
    Grant,
    Coupon,
    Referral,
    Compensation,
}

impl GrantKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Grant => "grant",
            Self::Coupon => "coupon",
            Self::Referral => "referral",
            Self::Compensation => "compensation",
        }
    }
}

/// Credits issued to a user (admin grant, coupon, referral reward): issuance → wallet.
#[tracing::instrument(skip(state))]
pub async fn grant(
    state: &AppState,
    owner_id: &str,
    amount: i64,
    kind: GrantKind,
    key: Option<String>,
    description: &str,
) -> Result<Transfer, LedgerError> {
    let key = key.unwrap_or_else(|| format!("grant:{}", state.ids.new_id()));
    let (ids, now) = (state.ids.clone(), rfc3339(state.clock.now()));
    let t = NewTransfer {
        key,
        kind: kind.as_str(),
        debit: ISSUANCE.into(),
        credit: wallet(owner_id),
        amount,
        owner_id: Some(owner_id.to_string()),
        hold_id: None,
        corrects: None,
        description: description.to_string(),
    };
    let owner = owner_id.to_string();
    state
        .db
        .write(move |tx| {
            let exists: bool = tx
                .query_row("SELECT 1 FROM users WHERE id = ?1", [&owner], |_| Ok(true))
                .optional()?
                .unwrap_or(false);
            if !exists {
                return Err(LedgerError::NotFound {
                    what: "user",
                    id: owner,
                });
            }
            ensure_user_accounts(tx, &owner, &now)?;
            transfer_in_tx(tx, ids.as_ref(), &now, &t)
        })
        .await
}

/// Desktop (local mode): sets the spendable budget to `credits` with one adjustment transfer.
#[tracing::instrument(skip(state))]
pub async fn set_budget(
    state: &AppState,
    owner_id: &str,
    credits: i64,
) -> Result<Balance, LedgerError> {
    if state.config.auth_mode != crate::config::AuthMode::Local
        || state.local_owner_id.as_deref() != Some(owner_id)
    {
        return Err(LedgerError::Forbidden(
            "a budget is set on the desktop (local mode) only; a server's credits come from grants and payments".into(),
        ));
    }
    if !(0..=MAX_AMOUNT).contains(&credits) {
        return Err(invalid(
            "credits",
            format!("a budget is between 0 and {MAX_AMOUNT} credits"),
        ));
    }
    let (ids, now) = (state.ids.clone(), rfc3339(state.clock.now()));
    let owner = owner_id.to_string();
    let id = state.ids.new_id().to_string();
    state
        .db
        .write(move |tx| {
            ensure_user_accounts(tx, &owner, &now)?;
            let current = account_balance(tx, &wallet(&owner))?;
            let diff = credits - current;
            if diff != 0 {
                let (debit, credit) = if diff > 0 {
                    (ISSUANCE.to_string(), wallet(&owner))
                } else {
                    (wallet(&owner), ISSUANCE.to_string())
                };
                transfer_in_tx(
                    tx,
                    ids.as_ref(),
                    &now,
                    &NewTransfer {
                        key: format!("budget:{id}"),
                        kind: "budget",
                        debit,
                        credit,
                        amount: diff.abs(),
                        owner_id: Some(owner.clone()),
                        hold_id: None,
                        corrects: None,
                        description: format!("budget set to {credits} credits"),
                    },
                )?;
            }
            Ok::<_, LedgerError>(())
        })
        .await?;
    balance(state, owner_id).await
}

/// What a sweep did.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SweepReport {
    pub voided: usize,
    pub hold_ids: Vec<String>,
}

/// Pending holds with keys starting `prefix` whose holder is not among `alive`: work a stopped
/// process did for its own callers under the `job` purpose (a summary), which [`gone_holds`]
/// leaves alone because most jobs are an API client's to resolve.
pub fn pending_of_gone_holders(
    c: &Connection,
    prefix: &str,
    alive: &[String],
) -> Result<Vec<String>, LedgerError> {
    let mut stmt =
        c.prepare("SELECT id, holder FROM ledger_holds WHERE status = 'pending' AND key LIKE ?1")?;
    // The prefixes are the code's own constants, free of LIKE's `%` and `_`.
    let pattern = format!("{prefix}%");
    let rows = stmt
        .query_map([pattern], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter(|(_, holder)| !alive.contains(holder))
        .map(|(id, _)| id)
        .collect())
}

/// Pending holds whose work is gone, with the reason: node runs and exports held by a process that
/// is gone (`alive` names the live ones, see src/instances), past their expiry, or paying for a node run that is no
/// longer running. A `job` hold is resolved by its API client, so only its expiry voids it.
pub(crate) fn gone_holds(
    c: &Connection,
    now: DateTime<Utc>,
    alive: Option<&[String]>,
) -> Result<Vec<(String, String)>, LedgerError> {
    let mut stmt = c.prepare(
        "SELECT h.id, h.holder, h.expires_at, h.purpose,
                n.status, r.status
         FROM ledger_holds h
         LEFT JOIN node_runs n ON h.purpose = 'node_run' AND n.id = h.work_id
         LEFT JOIN workflow_runs r ON r.id = n.run_id
         WHERE h.status = 'pending'",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, holder, expires_at, purpose, node_status, run_status) = row?;
        // Node runs and exports are done by this process; a job's holder is the API client.
        let reason = if alive.is_some_and(|a| !a.contains(&holder)) && purpose != "job" {
            Some("the process holding it stopped (crash or restart)")
        } else if parse_time(&expires_at).is_none_or(|t| t <= now) {
            Some("the hold expired")
        } else if purpose == "node_run"
            && (node_status.as_deref() != Some("running")
                || !matches!(run_status.as_deref(), Some("running" | "paused" | "queued")))
        {
            Some("its node run is no longer running")
        } else {
            None
        };
        if let Some(r) = reason {
            out.push((id, r.to_string()));
        }
    }
    Ok(out)
}

/// Voids holds whose work is gone. `startup` also voids the holds of processes that are gone
/// (an earlier process on this SQLite file; a replica that stopped beating, src/instances).
#[tracing::instrument(skip(state))]
pub async fn sweep(state: &AppState, startup: bool) -> Result<SweepReport, LedgerError> {
    if startup {
        sweep_gone_processes(state).await
    } else {
        sweep_with(state, None).await
    }
}

/// [`sweep`], judging holders by the processes alive now.
pub async fn sweep_gone_processes(state: &AppState) -> Result<SweepReport, LedgerError> {
    let lease = crate::instances::lease(state);
    sweep_in(state, move |tx, now| {
        Ok(Some(crate::instances::alive_in_tx(tx, now, lease)?))
    })
    .await
}

/// [`sweep`], naming the one holder whose holds are alive (`None`: do not judge by holder).
pub(crate) async fn sweep_with(
    state: &AppState,
    alive_holder: Option<&str>,
) -> Result<SweepReport, LedgerError> {
    let alive = alive_holder.map(|h| vec![h.to_string()]);
    sweep_in(state, move |_, _| Ok(alive)).await
}

async fn sweep_in<F>(state: &AppState, alive: F) -> Result<SweepReport, LedgerError>
where
    F: FnOnce(&Connection, DateTime<Utc>) -> Result<Option<Vec<String>>, LedgerError>
        + Send
        + 'static,
{
    let (ids, now) = (state.ids.clone(), state.clock.now());
    state
        .db
        .write(move |tx| {
            let alive = alive(tx, now)?;
            let gone = gone_holds(tx, now, alive.as_deref())?;
            let mut report = SweepReport::default();
            for (id, reason) in gone {
                void_in_tx(tx, ids.as_ref(), now, &id, &format!("swept: {reason}"))?;
                tracing::info!(hold_id = %id, reason, "voided a hold whose work is gone");
                report.hold_ids.push(id);
            }
            report.voided = report.hold_ids.len();
            Ok(report)
        })
        .await
}

/// The sweep at start-up and then every `every`, for as long as the process runs.
pub fn spawn_sweeper(state: &AppState, every: std::time::Duration) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            // Holds of replicas that stopped beating are gone too (src/instances).
            if let Err(e) = sweep_gone_processes(&state).await {
                tracing::warn!(error = %e, "hold sweep failed");
            }
        }
    });
}
