//! Moving a SQLite server's data into PostgreSQL (`storyloom import-db --from storyloom.db`): every
//! table, row for row, in one transaction, then a check that each table holds as many rows on both
//! sides and that every ledger account has the same balance.
use std::collections::{BTreeMap, BTreeSet};

use super::{sql, Db, DbError};

/// Tables kept by triggers from the rows of others (recomputed as the rows arrive), and the
/// migrations' own record.
const DERIVED: [&str; 2] = ["project_counts", "schema_migrations"];

/// One table's rows after the copy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableCount {
    pub table: String,
    pub source: i64,
    pub target: i64,
}

#[derive(Debug, serde::Serialize)]
pub struct CopyReport {
    pub tables: Vec<TableCount>,
    /// Ledger accounts whose balance differs between the two (none after a good copy).
    pub balance_mismatches: Vec<String>,
}

impl CopyReport {
    pub fn matches(&self) -> bool {
        self.balance_mismatches.is_empty() && self.tables.iter().all(|t| t.source == t.target)
    }
}

struct Table {
    name: String,
    columns: Vec<String>,
    primary_key: Vec<String>,
    parents: BTreeSet<String>,
}

/// The user tables of the SQLite side, parents before children (foreign keys), with their
/// columns and primary keys.
fn sqlite_tables(c: &sql::Connection<'_>) -> Result<Vec<Table>, DbError> {
    let raw = c
        .as_sqlite()
        .ok_or_else(|| DbError::Task("the source of a copy must be SQLite".into()))?;
    let names: Vec<String> = raw
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY rowid",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut tables = Vec::new();
    for name in names.into_iter().filter(|n| !DERIVED.contains(&n.as_str())) {
        let mut columns = Vec::new();
        let mut primary_key = Vec::new();
        let mut info = raw.prepare("SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid")?;
        let mut rows = info.query([&name])?;
        while let Some(row) = rows.next()? {
            let column: String = row.get(0)?;
            if row.get::<_, i64>(1)? > 0 {
                primary_key.push(column.clone());
            }
            columns.push(column);
        }
        let parents = raw
            .prepare("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)")?
            .query_map([&name], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<BTreeSet<_>>>()?;
        tables.push(Table {
            name,
            columns,
            primary_key,
            parents,
        });
    }
    // Parents first: repeatedly take the tables whose parents are all placed.
    let mut ordered: Vec<Table> = Vec::new();
    while !tables.is_empty() {
        let placed: BTreeSet<String> = ordered.iter().map(|t| t.name.clone()).collect();
        let ready = tables.iter().position(|t| {
            t.parents
                .iter()
                .all(|p| placed.contains(p) || *p == t.name || DERIVED.contains(&p.as_str()))
        });
        // A cycle (none today) falls back to the creation order.
        ordered.push(tables.remove(ready.unwrap_or(0)));
    }
    Ok(ordered)
}

/// Copies every row of `source` (SQLite) into `target` (PostgreSQL, migrated, with no users yet)
/// in one transaction, then compares both sides.
#[tracing::instrument(skip_all)]
pub fn copy_sqlite_to_postgres(source: &Db, target: &Db) -> Result<CopyReport, DbError> {
    if source.dialect() != sql::Dialect::Sqlite || target.dialect() != sql::Dialect::Postgres {
        return Err(DbError::Task(
            "import-db copies a SQLite database into PostgreSQL".into(),
        ));
    }
    let tables = source.read_sync(sqlite_tables)?;
    let users: i64 = target.read_sync(|c| {
        c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
            .map_err(DbError::from)
    })?;
    if users > 0 {
        return Err(DbError::Task(format!(
            "the PostgreSQL database already holds {users} users: import into an empty one"
        )));
    }
    source.read_sync(|src| {
        target.write_sync(|dst| {
            for table in &tables {
                copy_table(src, dst, table)?;
            }
            // Identity columns continue after the copied ids.
            dst.execute_batch(
                "SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'),
                               GREATEST((SELECT MAX(id) FROM ledger_entries), 1))",
            )?;
            Ok::<_, DbError>(())
        })
    })?;
    compare(source, target, &tables)
}

fn copy_table(
    src: &sql::Connection<'_>,
    dst: &sql::Connection<'_>,
    table: &Table,
) -> Result<u64, DbError> {
    let columns = table
        .columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>();
    let placeholders = (1..=columns.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>();
    // Rows the PostgreSQL baseline seeds itself (system accounts, the built-in provider,
    // settings) take the SQLite side's values.
    let conflict = if table.primary_key.is_empty() {
        String::new()
    } else {
        let updates = table
            .columns
            .iter()
            .filter(|c| !table.primary_key.contains(c))
            .map(|c| format!("\"{c}\" = excluded.\"{c}\""))
            .collect::<Vec<_>>();
        let keys = table
            .primary_key
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        if updates.is_empty() {
            format!(" ON CONFLICT ({keys}) DO NOTHING")
        } else {
            format!(" ON CONFLICT ({keys}) DO UPDATE SET {}", updates.join(", "))
        }
    };
    let insert = format!(
        "INSERT INTO \"{}\" ({}) VALUES ({}){conflict}",
        table.name,
        columns.join(", "),
        placeholders.join(", ")
    );
    // In insertion order, so PostgreSQL's `seq` columns follow SQLite's rowid.
    let mut read = src.prepare(&format!(
        "SELECT {} FROM \"{}\" ORDER BY rowid",
        columns.join(", "),
        table.name
    ))?;
    let mut rows = read.query([])?;
    let mut write = dst.prepare(&insert)?;
    let mut copied = 0;
    while let Some(row) = rows.next()? {
        let values = (0..columns.len())
            .map(|i| row.get::<_, sql::Value>(i))
            .collect::<sql::Result<Vec<_>>>()?;
        write.execute(sql::params_from_iter(values))?;
        copied += 1;
    }
    tracing::info!(table = %table.name, rows = copied, "copied");
    Ok(copied)
}

fn compare(source: &Db, target: &Db, tables: &[Table]) -> Result<CopyReport, DbError> {
    let count = |db: &Db, table: &str| -> Result<i64, DbError> {
        db.read_sync(|c| {
            c.query_row(&format!("SELECT COUNT(*) FROM \"{table}\""), [], |r| {
                r.get(0)
            })
            .map_err(DbError::from)
        })
    };
    let mut counts = Vec::new();
    for table in tables {
        counts.push(TableCount {
            table: table.name.clone(),
            source: count(source, &table.name)?,
            target: count(target, &table.name)?,
        });
    }
    let balances = |db: &Db| -> Result<BTreeMap<String, i64>, DbError> {
        db.read_sync(|c| {
            c.prepare("SELECT id, balance FROM ledger_accounts")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<sql::Result<BTreeMap<_, _>>>()
                .map_err(DbError::from)
        })
    };
    let (before, after) = (balances(source)?, balances(target)?);
    let balance_mismatches = before
        .iter()
        .filter(|(id, balance)| after.get(*id) != Some(balance))
        .map(|(id, balance)| {
            format!(
                "{id}: {balance} in SQLite, {:?} in PostgreSQL",
                after.get(id)
            )
        })
        .collect();
    Ok(CopyReport {
        tables: counts,
        balance_mismatches,
    })
}
