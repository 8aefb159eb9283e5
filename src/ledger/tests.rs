//! Ledger invariants under random sequences of grants, holds, settles, voids, retries and crashes
//! (property tests), plus a few exact cases.
use std::{collections::HashMap, sync::Arc};

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use rusqlite::Connection;

use super::*;
use crate::{
    clock::{ManualClock, UuidV7Ids},
    config::{AuthMode, Config},
};

struct Env {
    dir: tempfile::TempDir,
    state: AppState,
    clock: ManualClock,
    users: Vec<String>,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 2, 8, 10, 0, 0).unwrap());
    let state = open(&dir, &clock);
    let mut users = Vec::new();
    for name in ["ann", "bob"] {
        users.push(
            crate::accounts::create_user(&state, name, false)
                .await
                .unwrap(),
        );
    }
    Env {
        dir,
        state,
        clock,
        users,
    }
}

fn open(dir: &tempfile::TempDir, clock: &ManualClock) -> AppState {
    let mut config = Config::server(dir.path().to_path_buf(), AuthMode::Accounts);
    config.db_readers = 2;
    AppState::open_with(config, Arc::new(clock.clone()), Arc::new(UuidV7Ids)).unwrap()
}

/// Every invariant, checked on the database itself.
fn check_invariants(c: &Connection) -> Result<(), String> {
    let total: i64 = c
        .query_row(
            "SELECT COALESCE(SUM(amount), 0) FROM ledger_entries",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if total != 0 {
        return Err(format!("entries sum to {total}, not 0"));
    }
    let bad: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM (SELECT t.id FROM ledger_transfers t JOIN ledger_entries e ON e.transfer_id = t.id
             GROUP BY t.id HAVING COUNT(*) <> 2 OR SUM(e.amount) <> 0
               OR SUM(CASE WHEN e.account_id = t.debit_account THEN e.amount END) <> -t.amount)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if bad != 0 {
        return Err(format!("{bad} transfers are not exactly two balanced legs"));
    }
    let mismatched: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM ledger_accounts a WHERE a.balance <>
               COALESCE((SELECT SUM(amount) FROM ledger_entries e WHERE e.account_id = a.id), 0)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if mismatched != 0 {
        return Err(format!(
            "{mismatched} balances differ from their recomputed sums"
        ));
    }
    let negative: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM ledger_accounts WHERE may_go_negative = 0 AND balance < 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if negative != 0 {
        return Err(format!("{negative} wallets are negative"));
    }
    // Each hold resolved at most once, and its money is exactly accounted for.
    let mut stmt = c
        .prepare(
            "SELECT h.id, h.status, h.amount, COALESCE(h.charged, 0),
                    (SELECT COUNT(*) FROM ledger_transfers t WHERE t.hold_id = h.id AND t.kind = 'hold'),
                    (SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers t WHERE t.hold_id = h.id AND t.kind = 'hold'),
                    (SELECT COUNT(*) FROM ledger_transfers t WHERE t.hold_id = h.id AND t.kind IN ('charge', 'release', 'void')),
                    (SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers t WHERE t.hold_id = h.id AND t.kind = 'charge'),
                    (SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers t WHERE t.hold_id = h.id AND t.kind IN ('release', 'void')),
                    (SELECT COUNT(*) FROM ledger_transfers t WHERE t.hold_id = h.id AND t.kind = 'void')
             FROM ledger_holds h",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, i64>(8)?,
                r.get::<_, i64>(9)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (id, status, amount, charged, holds, held_sum, resolves, charge_sum, back_sum, voids) =
            row.unwrap();
        if holds > 1 || held_sum != amount {
            return Err(format!(
                "hold {id} moved {held_sum} in {holds} transfers, not {amount}"
            ));
        }
        match status.as_str() {
            "pending" if resolves != 0 => return Err(format!("pending hold {id} has resolutions")),
            "settled" if charge_sum != charged || charge_sum + back_sum != amount || voids != 0 => {
                return Err(format!(
                    "settled hold {id}: charged {charge_sum} + back {back_sum} ≠ {amount}"
                ))
            }
            "voided" if charge_sum != 0 || back_sum != amount => {
                return Err(format!("voided hold {id} did not return exactly {amount}"))
            }
            _ => {}
        }
        if resolves > 2 {
            return Err(format!("hold {id} resolved {resolves} times"));
        }
    }
    // The held account is exactly the pending holds.
    let diff: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM ledger_accounts a WHERE a.kind = 'held' AND a.balance <>
               COALESCE((SELECT SUM(amount) FROM ledger_holds h WHERE 'held:' || h.owner_id = a.id AND h.status = 'pending'), 0)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if diff != 0 {
        return Err("a held account differs from its pending holds".into());
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Op {
    Grant { user: usize, amount: i64 },
    RetryGrant { index: usize, same: bool },
    Hold { user: usize, amount: i64 },
    RetryHold { index: usize, same: bool },
    Settle { index: usize, percent: i64 },
    Void { index: usize },
    Crash,
    Expire,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..2usize, 1..200i64).prop_map(|(user, amount)| Op::Grant { user, amount }),
        1 => (0..8usize, any::<bool>()).prop_map(|(index, same)| Op::RetryGrant { index, same }),
        5 => (0..2usize, 0..150i64).prop_map(|(user, amount)| Op::Hold { user, amount }),
        1 => (0..16usize, any::<bool>()).prop_map(|(index, same)| Op::RetryHold { index, same }),
        4 => (0..16usize, 0..130i64).prop_map(|(index, percent)| Op::Settle { index, percent }),
        3 => (0..16usize).prop_map(|index| Op::Void { index }),
        1 => Just(Op::Crash),
        1 => Just(Op::Expire),
    ]
}

#[derive(Default)]
struct Model {
    wallet: HashMap<usize, i64>,
    grants: Vec<(usize, i64, String)>,
    /// (hold id, key, user, amount, request amount, status, settled for)
    holds: Vec<(String, String, usize, i64, String, Option<i64>)>,
}

async fn apply(e: &mut Env, m: &mut Model, op: &Op, step: usize) -> Result<(), String> {
    let s = &e.state;
    match *op {
        Op::Grant { user, amount } => {
            let key = format!("g{step}");
            grant(
                s,
                &e.users[user],
                amount,
                GrantKind::Grant,
                Some(key.clone()),
                "t",
            )
            .await
            .map_err(|e| e.to_string())?;
            *m.wallet.entry(user).or_default() += amount;
            m.grants.push((user, amount, key));
        }
        Op::RetryGrant { index, same } => {
            let Some((user, amount, key)) = m.grants.get(index).cloned() else {
                return Ok(());
            };
            let amt = if same { amount } else { amount + 1 };
            let r = grant(s, &e.users[user], amt, GrantKind::Grant, Some(key), "t").await;
            match (same, r) {
                (true, Ok(t)) if t.replayed && t.amount == amount => {}
                (false, Err(LedgerError::KeyReused { .. })) => {}
                (same, r) => return Err(format!("grant retry (same={same}) gave {r:?}")),
            }
        }
        Op::Hold { user, amount } => {
            let key = format!("h{step}");
            let r = hold(
                s,
                HoldRequest {
                    owner_id: e.users[user].clone(),
                    amount,
                    purpose: Purpose::Export,
                    work_id: format!("w{step}"),
                    key: key.clone(),
                    description: String::new(),
                    meta: serde_json::Value::Null,
                    ttl_secs: Some(3600),
                },
            )
            .await;
            let have = m.wallet.get(&user).copied().unwrap_or(0);
            match r {
                Ok(h) if amount <= have => {
                    *m.wallet.entry(user).or_default() -= amount;
                    m.holds
                        .push((h.id, key, user, amount, "pending".into(), None));
                }
                Err(LedgerError::InsufficientCredits { needed, available })
                    if amount > have && needed == amount && available == have => {}
                r => return Err(format!("hold {amount} with {have} gave {r:?}")),
            }
        }
        Op::RetryHold { index, same } => {
            let Some((id, key, user, amount, _, _)) = m.holds.get(index).cloned() else {
                return Ok(());
            };
            let r = hold(
                s,
                HoldRequest {
                    owner_id: e.users[user].clone(),
                    amount: if same { amount } else { amount + 1 },
                    purpose: Purpose::Export,
                    work_id: format!("w{}", &key[1..]),
                    key,
                    description: String::new(),
                    meta: serde_json::Value::Null,
                    ttl_secs: Some(3600),
                },
            )
            .await;
            match (same, r) {
                (true, Ok(h)) if h.id == id => {}
                (false, Err(LedgerError::KeyReused { .. })) => {}
                (same, r) => return Err(format!("hold retry (same={same}) gave {r:?}")),
            }
        }
        Op::Settle { index, percent } => {
            let Some(h) = m.holds.get_mut(index) else {
                return Ok(());
            };
            let actual = h.3 * percent / 100;
            let r = settle(s, &h.0, actual).await;
            match (h.4.as_str(), r) {
                ("pending", Ok(x)) if actual <= h.3 => {
                    assert_eq!(x.charged, Some(actual));
                    *m.wallet.entry(h.2).or_default() += h.3 - actual;
                    h.4 = "settled".into();
                    h.5 = Some(actual);
                }
                (
                    "pending",
                    Err(LedgerError::Invalid {
                        field: "amount", ..
                    }),
                ) if actual > h.3 => {}
                ("settled", Ok(_)) if h.5 == Some(actual) => {}
                ("settled", Err(LedgerError::AlreadyResolved(_))) if h.5 != Some(actual) => {}
                ("voided", Err(LedgerError::AlreadyResolved(_))) => {}
                (st, r) => return Err(format!("settle {actual} of a {st} hold gave {r:?}")),
            }
        }
        Op::Void { index } => {
            let Some(h) = m.holds.get_mut(index) else {
                return Ok(());
            };
            let r = void(s, &h.0, "test").await;
            match (h.4.as_str(), r) {
                ("pending", Ok(_)) => {
                    *m.wallet.entry(h.2).or_default() += h.3;
                    h.4 = "voided".into();
                }
                ("voided", Ok(_)) => {}
                ("settled", Err(LedgerError::AlreadyResolved(_))) => {}
                (st, r) => return Err(format!("void of a {st} hold gave {r:?}")),
            }
        }
        Op::Crash => {
            // The process dies with holds pending; the next one sweeps every hold it does not own.
            let state = open(&e.dir, &e.clock);
            e.state = state;
            let report = sweep_with(&e.state, Some("the-next-process"))
                .await
                .map_err(|e| e.to_string())?;
            let mut n = 0;
            for h in m.holds.iter_mut().filter(|h| h.4 == "pending") {
                *m.wallet.entry(h.2).or_default() += h.3;
                h.4 = "voided".into();
                n += 1;
            }
            if report.voided != n {
                return Err(format!("the sweep voided {} holds, not {n}", report.voided));
            }
        }
        Op::Expire => {
            e.clock.advance(chrono::Duration::seconds(3601));
            sweep(&e.state, false).await.map_err(|e| e.to_string())?;
            for h in m.holds.iter_mut().filter(|h| h.4 == "pending") {
                *m.wallet.entry(h.2).or_default() += h.3;
                h.4 = "voided".into();
            }
        }
    }
    Ok(())
}

async fn check_model(e: &Env, m: &Model) -> Result<(), String> {
    for (i, u) in e.users.iter().enumerate() {
        let b = balance(&e.state, u).await.map_err(|e| e.to_string())?;
        let want = m.wallet.get(&i).copied().unwrap_or(0);
        let held: i64 = m
            .holds
            .iter()
            .filter(|h| h.2 == i && h.4 == "pending")
            .map(|h| h.3)
            .sum();
        if b.available != want || b.held != held {
            return Err(format!(
                "user {i}: balance {}/{} but the model says {want}/{held}",
                b.available, b.held
            ));
        }
    }
    let path = e.state.db.path().unwrap().to_path_buf();
    let c = Connection::open(path).unwrap();
    check_invariants(&c)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_every_invariant(ops in proptest::collection::vec(op(), 1..60)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let result: Result<(), String> = rt.block_on(async {
            let mut e = env().await;
            let mut m = Model::default();
            for (step, op) in ops.iter().enumerate() {
                apply(&mut e, &mut m, op, step).await.map_err(|x| format!("step {step} {op:?}: {x}"))?;
                check_model(&e, &m).await.map_err(|x| format!("after step {step} {op:?}: {x}"))?;
            }
            Ok(())
        });
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}

#[tokio::test]
async fn members_are_not_charged_and_zero_cost_work_is_recorded() {
    let e = env().await;
    let u = &e.users[0];
    grant(&e.state, u, 200, GrantKind::Coupon, None, "welcome")
        .await
        .unwrap();
    let zero = hold(
        &e.state,
        HoldRequest {
            owner_id: u.clone(),
            amount: 0,
            purpose: Purpose::NodeRun,
            work_id: "n0".into(),
            key: "k0".into(),
            description: String::new(),
            meta: serde_json::json!({"kind": "script.parse"}),
            ttl_secs: None,
        },
    )
    .await
    .unwrap();
    let zero = settle(&e.state, &zero.id, 0).await.unwrap();
    assert_eq!((zero.status.as_str(), zero.charged), ("settled", Some(0)));

    plans::buy_membership(
        &e.state,
        u,
        plans::BuyMembership {
            membership_type: "monthly".into(),
            payment_method: None,
        },
    )
    .await
    .unwrap();
    let b = balance(&e.state, u).await.unwrap();
    assert!(b.is_member);
    assert_eq!(b.available, 200 - 99);
    // More than the balance: a member's hold is waived, not refused.
    let h = hold(
        &e.state,
        HoldRequest {
            owner_id: u.clone(),
            amount: 500,
            purpose: Purpose::Export,
            work_id: "x1".into(),
            key: "k1".into(),
            description: String::new(),
            meta: serde_json::Value::Null,
            ttl_secs: None,
        },
    )
    .await
    .unwrap();
    assert_eq!((h.amount, h.waived.as_deref()), (0, Some("member")));
    let h = settle(&e.state, &h.id, 400).await.unwrap();
    assert_eq!((h.actual, h.charged), (Some(400), Some(0)));
    assert_eq!(balance(&e.state, u).await.unwrap().available, 101);
    // A month and a day later the membership is over and work is charged again.
    e.clock.advance(chrono::Duration::days(32));
    let b = balance(&e.state, u).await.unwrap();
    assert!(!b.is_member);
    let err = hold(
        &e.state,
        HoldRequest {
            owner_id: u.clone(),
            amount: 500,
            purpose: Purpose::Export,
            work_id: "x2".into(),
            key: "k2".into(),
            description: String::new(),
            meta: serde_json::Value::Null,
            ttl_secs: None,
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        LedgerError::InsufficientCredits {
            needed: 500,
            available: 101
        }
    ));
    let c = Connection::open(e.state.db.path().unwrap()).unwrap();
    check_invariants(&c).unwrap();
}

#[tokio::test]
async fn a_subscription_grants_its_quota_monthly_and_unused_quota_expires() {
    let e = env().await;
    let u = &e.users[0];
    grant(&e.state, u, 1000, GrantKind::Grant, None, "bought")
        .await
        .unwrap();
    let r = plans::upgrade(
        &e.state,
        u,
        plans::Upgrade {
            tier: "professional".into(),
            billing_cycle: Some("yearly".into()),
        },
    )
    .await;
    // 99.00 × 10 = ¥990 = 9900 credits: more than the balance.
    assert!(
        matches!(r, Err(LedgerError::InsufficientCredits { .. })),
        "{r:?}"
    );
    let r = plans::upgrade(
        &e.state,
        u,
        plans::Upgrade {
            tier: "professional".into(),
            billing_cycle: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(r.price_credits, 990);
    let b = balance(&e.state, u).await.unwrap();
    assert_eq!(b.available, 1000 - 990 + 2000);
    let h = hold(
        &e.state,
        HoldRequest {
            owner_id: u.clone(),
            amount: 300,
            purpose: Purpose::Job,
            work_id: "j".into(),
            key: "kq".into(),
            description: String::new(),
            meta: serde_json::Value::Null,
            ttl_secs: None,
        },
    )
    .await
    .unwrap();
    settle(&e.state, &h.id, 250).await.unwrap();
    let sub = plans::subscription(&e.state, u).await.unwrap();
    assert_eq!(
        (sub.quota_total, sub.quota_used, sub.quota_remaining),
        (2000, 250, 1750)
    );
    // Next month: 1750 unused quota expires, 2000 new quota arrives; bought credits stay.
    e.clock.advance(chrono::Duration::days(31));
    let b = balance(&e.state, u).await.unwrap();
    // The plan (monthly) ended: the quota of its one period expired and none is granted.
    assert_eq!(b.available, 10 + 2000 - 250 - 1750);
    let c = Connection::open(e.state.db.path().unwrap()).unwrap();
    check_invariants(&c).unwrap();
}
