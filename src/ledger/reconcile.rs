//! Reconciliation (`POST /admin/reconciliation?auto_fix=`; docs/API-LEDGER.md).
//!
//! Checks, in one consistent snapshot:
//! - `unbalanced_transfer`: a transfer whose entries are not exactly its two legs (−amount on the
//!   debit account, +amount on the credit account). Never auto-fixed: a person decides.
//! - `balance_mismatch`: an account's projected balance differs from the sum of its entries. The
//!   entries are the truth; the fix recomputes the projection (a cache, not history). Accounts
//!   touched by an unbalanced transfer are left for the person.
//! - `stale_hold`: a pending hold whose work is gone (expired, or its node run no longer running).
//!   Fixed by voiding it.
//! - `unsettled_work`: a node run that succeeded with a cost but has no settled charge (its hold was
//!   voided or never made). Fixed by a compensating `charge` transfer, when the wallet covers it.
//! - `charge_without_work`: a settled charge for a node run that does not exist or did not succeed.
//!   Fixed by a compensating `refund` transfer.
//!
//! Auto-fix only ever adds transfers and voids holds; no entry or transfer is edited or deleted.
use std::collections::BTreeMap;

use crate::db::sql::{params, Connection, OptionalExtension};
use serde::Serialize;
use utoipa::ToSchema;

use super::{gone_holds, transfer_in_tx, void_in_tx, wallet, LedgerError, NewTransfer, REVENUE};
use crate::{clock::rfc3339, clock::IdSource, AppState};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Issue {
    /// `unbalanced_transfer`, `balance_mismatch`, `stale_hold`, `unsettled_work`, `charge_without_work`.
    pub kind: String,
    pub detail: String,
    pub account_id: Option<String>,
    pub transfer_id: Option<String>,
    pub hold_id: Option<String>,
    pub work_id: Option<String>,
    pub owner_id: Option<String>,
    pub expected: Option<i64>,
    pub actual: Option<i64>,
    pub fixed: bool,
    /// What the fix did (the transfer it added, the hold it voided), when fixed.
    pub fix: Option<String>,
}

impl Issue {
    fn new(kind: &str, detail: String) -> Self {
        Self {
            kind: kind.into(),
            detail,
            account_id: None,
            transfer_id: None,
            hold_id: None,
            work_id: None,
            owner_id: None,
            expected: None,
            actual: None,
            fixed: false,
            fix: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Summary {
    pub accounts: u64,
    pub transfers: u64,
    pub holds: u64,
    pub node_runs: u64,
    /// Issues found, by kind.
    pub by_kind: BTreeMap<String, u64>,
    /// Sum of every entry (0 when every transfer balances).
    pub entries_total: i64,
    pub auto_fix: bool,
}

/// `{ success, checked_count, issues, fixed_count, summary }`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    /// True when no issue is left unfixed.
    pub success: bool,
    pub checked_count: u64,
    pub issues: Vec<Issue>,
    pub fixed_count: u64,
    pub summary: Summary,
}

fn count(c: &Connection, sql: &str) -> Result<u64, LedgerError> {
    Ok(c.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
}

fn run(
    c: &Connection,
    ids: &dyn IdSource,
    now: chrono::DateTime<chrono::Utc>,
    auto_fix: bool,
) -> Result<Report, LedgerError> {
    let now_s = rfc3339(now);
    let mut issues = Vec::new();

    // 1. Every transfer is exactly its two legs.
    let mut unbalanced_accounts = std::collections::HashSet::new();
    {
        let mut stmt = c.prepare(
            "SELECT t.id, t.owner_id, t.debit_account, t.credit_account, t.amount,
                    COUNT(e.id), COALESCE(SUM(e.amount), 0),
                    COALESCE(SUM(CASE WHEN e.account_id = t.debit_account THEN e.amount ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN e.account_id = t.credit_account THEN e.amount ELSE 0 END), 0)
             FROM ledger_transfers t LEFT JOIN ledger_entries e ON e.transfer_id = t.id
             GROUP BY t.id
             HAVING COUNT(e.id) <> 2 OR SUM(e.amount) <> 0
                 OR SUM(CASE WHEN e.account_id = t.debit_account THEN e.amount ELSE 0 END) <> -t.amount
                 OR SUM(CASE WHEN e.account_id = t.credit_account THEN e.amount ELSE 0 END) <> t.amount",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        for row in rows {
            let (id, owner, debit, credit, amount, n, sum) = row?;
            let accounts: Vec<String> = {
                let mut s = c.prepare(
                    "SELECT DISTINCT account_id FROM ledger_entries WHERE transfer_id = ?1",
                )?;
                let r = s.query_map([&id], |r| r.get(0))?;
                r.collect::<crate::db::sql::Result<_>>()?
            };
            unbalanced_accounts.extend(accounts);
            unbalanced_accounts.extend([debit.clone(), credit.clone()]);
            let mut i = Issue::new(
                "unbalanced_transfer",
                format!(
                    "transfer {id} ({debit} → {credit}, {amount}) has {n} entries summing to {sum}; \
                     it needs a person (entries are never edited)"
                ),
            );
            i.transfer_id = Some(id);
            i.owner_id = owner;
            i.expected = Some(0);
            i.actual = Some(sum);
            issues.push(i);
        }
    }

    // 2. Projections equal the sums of entries.
    {
        let mut stmt = c.prepare(
            "SELECT a.id, a.owner_id, a.balance, COALESCE((SELECT SUM(e.amount) FROM ledger_entries e
                                                     WHERE e.account_id = a.id), 0)
             FROM ledger_accounts a",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?
            .collect::<crate::db::sql::Result<Vec<_>>>()?;
        for (id, owner, projected, sum) in rows {
            if projected == sum {
                continue;
            }
            let mut i = Issue::new(
                "balance_mismatch",
                format!("account {id} shows {projected} but its entries sum to {sum}"),
            );
            i.account_id = Some(id.clone());
            i.owner_id = owner;
            i.expected = Some(sum);
            i.actual = Some(projected);
            if auto_fix && !unbalanced_accounts.contains(&id) {
                let ok = c
                    .execute(
                        "UPDATE ledger_accounts SET balance = ?1 WHERE id = ?2",
                        params![sum, id],
                    )
                    .is_ok();
                if ok {
                    i.fixed = true;
                    i.fix = Some(format!("projection recomputed from entries: {sum}"));
                }
            }
            issues.push(i);
        }
    }

    // 3. Stale holds.
    for (hold_id, reason) in gone_holds(c, now, None)? {
        let (owner, work): (String, String) = c.query_row(
            "SELECT owner_id, work_id FROM ledger_holds WHERE id = ?1",
            [&hold_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut i = Issue::new(
            "stale_hold",
            format!("hold {hold_id} is pending but {reason}"),
        );
        i.hold_id = Some(hold_id.clone());
        i.owner_id = Some(owner);
        i.work_id = Some(work);
        if auto_fix {
            void_in_tx(c, ids, now, &hold_id, &format!("reconciliation: {reason}"))?;
            i.fixed = true;
            i.fix = Some("voided".into());
        }
        issues.push(i);
    }

    // 4. Succeeded paid work without a settled charge.
    {
        let mut stmt = c.prepare(
            "SELECT n.id, r.owner_id, n.cost_credits, n.kind FROM node_runs n JOIN workflow_runs r ON r.id = n.run_id
             WHERE n.status = 'completed' AND n.cost_credits > 0 AND n.cached = 0
               AND NOT EXISTS (SELECT 1 FROM ledger_holds h WHERE h.purpose = 'node_run' AND h.work_id = n.id
                               AND h.status = 'settled')
               AND NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.key = 'recon-charge:node_run:' || n.id)",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?
            .collect::<crate::db::sql::Result<Vec<_>>>()?;
        for (node_run, owner, cost, kind) in rows {
            let mut i = Issue::new(
                "unsettled_work",
                format!(
                    "node run {node_run} ({kind}) succeeded costing {cost} but was never charged"
                ),
            );
            i.work_id = Some(node_run.clone());
            i.owner_id = Some(owner.clone());
            i.expected = Some(cost);
            i.actual = Some(0);
            if auto_fix {
                let member = super::plans::active_membership(c, &owner, now)?.is_some();
                if member {
                    i.fix = Some("not charged: the owner is a member".into());
                    i.fixed = false;
                } else {
                    super::ensure_user_accounts(c, &owner, &now_s)?;
                    match transfer_in_tx(
                        c,
                        ids,
                        &now_s,
                        &NewTransfer {
                            key: format!("recon-charge:node_run:{node_run}"),
                            kind: "charge",
                            debit: wallet(&owner),
                            credit: REVENUE.into(),
                            amount: cost,
                            owner_id: Some(owner.clone()),
                            hold_id: None,
                            corrects: None,
                            description: format!("reconciliation: {kind} node run {node_run}"),
                        },
                    ) {
                        Ok(t) => {
                            i.fixed = true;
                            i.fix = Some(format!("compensating charge {}", t.id));
                        }
                        Err(LedgerError::InsufficientCredits { available, .. }) => {
                            i.fix = Some(format!(
                                "not fixed: the wallet holds {available}, less than {cost}"
                            ));
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            issues.push(i);
        }
    }

    // 5. Charges for node runs that do not exist or did not succeed.
    {
        let mut stmt = c.prepare(
            "SELECT h.id, h.owner_id, h.work_id, h.charged FROM ledger_holds h
             LEFT JOIN node_runs n ON n.id = h.work_id
             WHERE h.purpose = 'node_run' AND h.status = 'settled' AND h.charged > 0
               AND (n.id IS NULL OR n.status <> 'completed')
               -- A per-call charge (`meta.item`) pays for an item that was finished and kept, even
               -- when another item failed the node.
               AND NOT EXISTS (SELECT 1 FROM node_items i WHERE i.node_run_id = h.work_id
                               AND i.item_key = json_extract(h.meta, '$.item') AND i.status = 'completed')
               AND NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.key = 'recon-refund:' || h.id)",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?
            .collect::<crate::db::sql::Result<Vec<_>>>()?;
        for (hold_id, owner, work, charged) in rows {
            let mut i = Issue::new(
                "charge_without_work",
                format!(
                    "hold {hold_id} charged {charged} for node run {work}, which did not succeed"
                ),
            );
            i.hold_id = Some(hold_id.clone());
            i.work_id = Some(work);
            i.owner_id = Some(owner.clone());
            i.expected = Some(0);
            i.actual = Some(charged);
            if auto_fix {
                let t = transfer_in_tx(
                    c,
                    ids,
                    &now_s,
                    &NewTransfer {
                        key: format!("recon-refund:{hold_id}"),
                        kind: "refund",
                        debit: REVENUE.into(),
                        credit: wallet(&owner),
                        amount: charged,
                        owner_id: Some(owner.clone()),
                        hold_id: Some(hold_id.clone()),
                        corrects: None,
                        description: "reconciliation: refund of a charge without work".into(),
                    },
                )?;
                i.fixed = true;
                i.fix = Some(format!("compensating refund {}", t.id));
            }
            issues.push(i);
        }
    }

    let accounts = count(c, "SELECT COUNT(*) FROM ledger_accounts")?;
    let transfers = count(c, "SELECT COUNT(*) FROM ledger_transfers")?;
    let holds = count(c, "SELECT COUNT(*) FROM ledger_holds")?;
    let node_runs = count(
        c,
        "SELECT COUNT(*) FROM node_runs WHERE status = 'completed' AND cost_credits > 0",
    )?;
    let entries_total: i64 = c
        .query_row("SELECT SUM(amount) FROM ledger_entries", [], |r| r.get(0))
        .optional()?
        .flatten()
        .unwrap_or(0);
    let mut by_kind = BTreeMap::new();
    for i in &issues {
        *by_kind.entry(i.kind.clone()).or_insert(0) += 1;
    }
    let fixed_count = issues.iter().filter(|i| i.fixed).count() as u64;
    Ok(Report {
        success: issues.iter().all(|i| i.fixed),
        checked_count: accounts + transfers + holds + node_runs,
        fixed_count,
        issues,
        summary: Summary {
            accounts,
            transfers,
            holds,
            node_runs,
            by_kind,
            entries_total,
            auto_fix,
        },
    })
}

/// Runs the checks; with `auto_fix`, repairs what can be repaired in the same transaction.
#[tracing::instrument(skip(state))]
pub async fn reconcile(state: &AppState, auto_fix: bool) -> Result<Report, LedgerError> {
    let (ids, now) = (state.ids.clone(), state.clock.now());
    if auto_fix {
        state
            .db
            .write(move |tx| run(tx, ids.as_ref(), now, true))
            .await
    } else {
        state
            .db
            .read(move |c| run(c, ids.as_ref(), now, false))
            .await
    }
}
