//! Referrals (seed 003 §9; docs/API-PAYMENTS.md, "Referrals"): every person has a code; whoever
//! signs up with it is theirs. The referrer's reward is a ledger transfer made in the transaction
//! that pays the referred person's first order, never on sign-up alone: one reward per referred
//! person, whatever happens after (the `referral_rewards` primary key and the transfer's key both
//! say once).
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{store, Order, PaymentError};
use crate::{
    accounts,
    clock::{rfc3339, IdSource},
    db::sql::Connection,
    ledger::{self, NewTransfer},
    paging::PageSpec,
    AppState,
};

/// Credits a referrer gets per referred person when no `referral_bonus` activity they joined
/// says otherwise.
pub const DEFAULT_REWARD_CREDITS: i64 = 50;

/// `POST /operation/referral/generate`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReferralLink {
    pub referral_code: String,
    /// The sign-up page with the code filled in; relative (`/#/sign-up?ref=…`) when the
    /// instance's public URL is not set.
    pub referral_url: String,
}

/// The person's referral code and link (every person has a code from sign-up; this only shows it).
pub async fn link(state: &AppState, user_id: &str) -> Result<ReferralLink, PaymentError> {
    let id = user_id.to_string();
    let code = state
        .db
        .read(move |c| accounts::referral_code(c, &id))
        .await?
        .ok_or_else(|| PaymentError::NotFound(format!("the referral code of {user_id}")))?;
    Ok(ReferralLink {
        referral_url: format!("{}/#/sign-up?ref={code}", state.config.payments.public_url),
        referral_code: code,
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReferralRecord {
    /// The referred person's id.
    pub id: String,
    pub referred_user: String,
    /// Credits the referrer got (0 while pending).
    pub reward_amount: i64,
    /// `pending` (signed up, no paid order yet) or `completed` (rewarded).
    pub status: String,
    /// When the referred person signed up.
    pub created_at: String,
    pub rewarded_at: Option<String>,
}

/// `GET /operation/referral/records`: a page of the people one referred, with the sum of rewards.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReferralRecords {
    pub items: Vec<ReferralRecord>,
    pub total: u64,
    pub page: u32,
    pub limit: u32,
    #[serde(rename = "totalPages")]
    pub total_pages: u64,
    /// Every reward ever paid to this person, in credits.
    pub total_rewards: i64,
}

pub async fn records(
    state: &AppState,
    user_id: &str,
    spec: PageSpec,
) -> Result<ReferralRecords, PaymentError> {
    let id = user_id.to_string();
    state
        .db
        .read(move |c| {
            let (people, total) = accounts::referred_by(c, &id, spec.limit, spec.offset)?;
            let mut items = Vec::with_capacity(people.len());
            for (referred, username, joined) in people {
                let reward = store::referral_reward(c, &referred)?;
                items.push(ReferralRecord {
                    status: if reward.is_some() {
                        "completed"
                    } else {
                        "pending"
                    }
                    .into(),
                    reward_amount: reward.as_ref().map_or(0, |r| r.0),
                    rewarded_at: reward.map(|r| r.1),
                    id: referred,
                    referred_user: username,
                    created_at: joined,
                });
            }
            Ok(ReferralRecords {
                items,
                total,
                page: spec.page,
                limit: spec.limit,
                total_pages: total.div_ceil(u64::from(spec.limit)),
                total_rewards: store::referral_rewards_total(c, &id)?,
            })
        })
        .await
}

/// Pays the referrer of the person who made `order`, if they have one and were not paid for this
/// person before; called in the transaction that pays the order. The reward's size is the
/// `referral_bonus` activity the referrer joined (in force now), else [`DEFAULT_REWARD_CREDITS`].
pub(super) fn reward_in_tx(
    tx: &Connection,
    ids: &dyn IdSource,
    order: &Order,
    now: DateTime<Utc>,
) -> Result<Option<i64>, PaymentError> {
    let Some(referrer) = accounts::referrer_of(tx, &order.user_id)? else {
        return Ok(None);
    };
    if store::referral_reward(tx, &order.user_id)?.is_some() {
        return Ok(None);
    }
    let now_s = rfc3339(now);
    let amount = store::referral_bonus(tx, &referrer, &now_s)?.unwrap_or(DEFAULT_REWARD_CREDITS);
    ledger::ensure_user_accounts(tx, &referrer, &now_s)?;
    let transfer = ledger::transfer_in_tx(
        tx,
        ids,
        &now_s,
        &NewTransfer {
            key: format!("referral:{}", order.user_id),
            kind: "referral",
            debit: ledger::ISSUANCE.into(),
            credit: ledger::wallet(&referrer),
            amount,
            owner_id: Some(referrer.clone()),
            hold_id: None,
            corrects: None,
            description: "referral reward: a person you referred paid their first order".into(),
        },
    )?;
    store::insert_referral_reward(
        tx,
        &order.user_id,
        &referrer,
        &order.id,
        amount,
        &transfer.id,
        &now_s,
    )?;
    tracing::info!(referrer = %referrer, referred = %order.user_id, amount, "referral reward paid");
    Ok(Some(amount))
}
