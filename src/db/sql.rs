//! One query API over both databases the server can run on: SQLite (the desktop, a small team's
//! server) and PostgreSQL (a team past one machine, `--database postgres://…`).
//!
//! Domain store functions take a [`Connection`] and write their SQL once, in the subset both
//! databases share, with SQLite's `?N` placeholders; [`translate`] turns a statement into
//! PostgreSQL's dialect (placeholders, scalar `MAX`/`MIN`) the first time it is prepared, and the
//! rare statement that cannot be shared asks [`Connection::dialect`]. Values cross as SQLite's
//! value types (`rusqlite::types::Value`), so every existing `ToSql`/`FromSql` impl of the domain
//! types serves both databases (docs/STORAGE.md).
//!
//! The API mirrors rusqlite's (`execute`, `query_row`, `prepare_cached`, `query_map`, `params!`,
//! `optional()`), so a store function reads the same on either database.
pub use rusqlite::params;
pub use rusqlite::types;
pub use rusqlite::types::{FromSql, FromSqlError, ToSql, ToSqlOutput, Value, ValueRef};

/// Which SQL dialect a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[cfg(feature = "server")]
    #[error("postgres: {}", postgres_message(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// PostgreSQL refused to prepare a statement (its text, as translated, is kept for the log).
    #[cfg(feature = "server")]
    #[error("postgres: {} in: {sql}", postgres_message(.source))]
    Prepare {
        sql: String,
        source: tokio_postgres::Error,
    },
    #[error("query returned no rows")]
    NoRows,
    #[error("column {column}: {message}")]
    Conversion { column: String, message: String },
}

#[cfg(feature = "server")]
fn postgres_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A UNIQUE, PRIMARY KEY, CHECK, NOT NULL or FOREIGN KEY constraint refused the statement.
    pub fn is_constraint_violation(&self) -> bool {
        match self {
            Error::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
                f.code == rusqlite::ErrorCode::ConstraintViolation
            }
            #[cfg(feature = "server")]
            // Class 23: integrity constraint violation.
            Error::Postgres(e) => e
                .as_db_error()
                .is_some_and(|db| db.code().code().starts_with("23")),
            _ => false,
        }
    }

    /// The query found no row (`query_row`).
    pub fn is_no_rows(&self) -> bool {
        matches!(
            self,
            Error::NoRows | Error::Sqlite(rusqlite::Error::QueryReturnedNoRows)
        )
    }
}

/// `query_row(…).optional()`: no row is `None`, any other error stays an error.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_no_rows() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Statement parameters: everything rusqlite accepts in the forms this code base uses
/// (`[]`, `[a, b]`, `params![…]`, [`params_from_iter`]), seen as a list of `ToSql` values.
pub trait Params {
    fn with_refs<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R;
}

// Only this impl for the empty array, so `[]` needs no type annotation (as in rusqlite).
impl Params for [&(dyn ToSql + Send + Sync); 0] {
    fn with_refs<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(&[])
    }
}

impl Params for &[&dyn ToSql] {
    fn with_refs<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(self)
    }
}

impl Params for () {
    fn with_refs<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(&[])
    }
}

macro_rules! array_params {
    ($($n:literal)+) => {$(
        impl<T: ToSql> Params for [T; $n] {
            fn with_refs<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
                let refs = self.each_ref().map(|v| v as &dyn ToSql);
                f(&refs)
            }
        }
        impl<T: ToSql> Params for &[&T; $n] {
            fn with_refs<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
                let refs = self.each_ref().map(|v| *v as &dyn ToSql);
                f(&refs)
            }
        }
    )+};
}
array_params!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);

/// Parameters from an iterator (a statement built for a list of unknown length).
pub struct ParamsFromIter<I>(I);

pub fn params_from_iter<I>(iter: I) -> ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    ParamsFromIter(iter)
}

impl<I> Params for ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    fn with_refs<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        let values: Vec<I::Item> = self.0.into_iter().collect();
        let refs: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
        f(&refs)
    }
}

/// A connection inside (or outside) a transaction, on either database. Reads and writes of the
/// domains take `&Connection`; [`crate::db::Db`] opens the transaction around them.
pub struct Connection<'c> {
    inner: Inner<'c>,
}

/// Kept as an alias so store functions can say that they expect to run inside a write.
pub type Transaction<'c> = Connection<'c>;

enum Inner<'c> {
    Sqlite(&'c rusqlite::Connection),
    #[cfg(feature = "server")]
    Postgres(&'c pg::PgConn),
}

impl<'c> Connection<'c> {
    pub fn sqlite(conn: &'c rusqlite::Connection) -> Self {
        Self {
            inner: Inner::Sqlite(conn),
        }
    }

    #[cfg(feature = "server")]
    pub(crate) fn postgres(conn: &'c pg::PgConn) -> Self {
        Self {
            inner: Inner::Postgres(conn),
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "server")]
            Inner::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The SQLite connection underneath, for SQLite-only work (pragmas, tests); `None` on
    /// PostgreSQL.
    pub fn as_sqlite(&self) -> Option<&'c rusqlite::Connection> {
        match self.inner {
            Inner::Sqlite(c) => Some(c),
            #[cfg(feature = "server")]
            Inner::Postgres(_) => None,
        }
    }

    /// Runs one statement. As rusqlite does, SQLite prepares it afresh (hot statements use
    /// [`Connection::prepare_cached`]); PostgreSQL keeps every statement it prepared.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare(sql)?.execute(params)
    }

    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        self.prepare(sql)?.query_row(params, f)
    }

    /// Several statements without parameters (schema work, tests).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self.inner {
            Inner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            #[cfg(feature = "server")]
            Inner::Postgres(c) => c.batch_execute(sql),
        }
    }

    pub fn prepare(&self, sql: &str) -> Result<Statement<'c>> {
        match self.inner {
            Inner::Sqlite(c) => Ok(Statement {
                inner: StatementInner::Sqlite(SqliteStatement::Plain(c.prepare(sql)?)),
            }),
            #[cfg(feature = "server")]
            Inner::Postgres(c) => c.prepare(sql),
        }
    }

    /// A statement prepared once per connection and kept (both databases).
    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'c>> {
        match self.inner {
            Inner::Sqlite(c) => Ok(Statement {
                inner: StatementInner::Sqlite(SqliteStatement::Cached(c.prepare_cached(sql)?)),
            }),
            #[cfg(feature = "server")]
            Inner::Postgres(c) => c.prepare(sql),
        }
    }
}

pub struct Statement<'c> {
    inner: StatementInner<'c>,
}

enum StatementInner<'c> {
    Sqlite(SqliteStatement<'c>),
    #[cfg(feature = "server")]
    /// Prepared at its first run, when the values' types are known (see `PgConn::statement`).
    Postgres {
        conn: &'c pg::PgConn,
        sql: String,
    },
}

enum SqliteStatement<'c> {
    Plain(rusqlite::Statement<'c>),
    Cached(rusqlite::CachedStatement<'c>),
}

impl<'c> SqliteStatement<'c> {
    fn get(&mut self) -> &mut rusqlite::Statement<'c> {
        match self {
            SqliteStatement::Plain(s) => s,
            SqliteStatement::Cached(s) => s,
        }
    }
}

impl<'c> Statement<'c> {
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        match &mut self.inner {
            StatementInner::Sqlite(s) => {
                let s = s.get();
                Ok(params.with_refs(|p| s.execute(p))?)
            }
            #[cfg(feature = "server")]
            StatementInner::Postgres { conn, sql } => {
                let values = params.with_refs(values_of)?;
                conn.execute(sql, &values)
            }
        }
    }

    pub fn query_row<T, P, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        let mut rows = self.query(params)?;
        match rows.next()? {
            Some(row) => f(&row),
            None => Err(Error::NoRows),
        }
    }

    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        Ok(self.query(params)?.next()?.is_some())
    }

    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows<'_>> {
        match &mut self.inner {
            StatementInner::Sqlite(s) => {
                let s = s.get();
                let rows = params.with_refs(|p| s.query(p))?;
                Ok(Rows {
                    inner: RowsInner::Sqlite(rows),
                })
            }
            #[cfg(feature = "server")]
            StatementInner::Postgres { conn, sql } => {
                let values = params.with_refs(values_of)?;
                let rows = conn.query(sql, &values)?;
                Ok(Rows {
                    inner: RowsInner::Postgres {
                        rows: rows.into_iter(),
                        current: None,
                    },
                })
            }
        }
    }

    /// Every row mapped by `f`, as an iterator of results (collect it).
    pub fn query_map<T, P, F>(&mut self, params: P, f: F) -> Result<MappedRows<'_, F>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        Ok(MappedRows {
            rows: self.query(params)?,
            f,
        })
    }

    /// SQLite's counters for this statement (tests check nothing is re-prepared); 0 on
    /// PostgreSQL.
    pub fn sqlite_status(&mut self, status: rusqlite::StatementStatus) -> i32 {
        match &mut self.inner {
            StatementInner::Sqlite(s) => s.get().get_status(status),
            #[cfg(feature = "server")]
            StatementInner::Postgres { .. } => 0,
        }
    }
}

#[cfg(feature = "server")]
fn values_of(refs: &[&dyn ToSql]) -> Result<Vec<Value>> {
    refs.iter()
        .map(|p| {
            Ok(match p.to_sql()? {
                ToSqlOutput::Borrowed(v) => Value::try_from(v).map_err(|e| Error::Conversion {
                    column: "parameter".into(),
                    message: e.to_string(),
                })?,
                ToSqlOutput::Owned(v) => v,
                other => {
                    return Err(Error::Conversion {
                        column: "parameter".into(),
                        message: format!("unsupported parameter {other:?}"),
                    })
                }
            })
        })
        .collect()
}

pub struct Rows<'s> {
    inner: RowsInner<'s>,
}

enum RowsInner<'s> {
    Sqlite(rusqlite::Rows<'s>),
    #[cfg(feature = "server")]
    Postgres {
        rows: std::vec::IntoIter<pg::PgRow>,
        current: Option<pg::PgRow>,
    },
}

impl Rows<'_> {
    /// The next row. Not `Iterator::next`: each row borrows from `self` (as rusqlite's do).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Row<'_>>> {
        match &mut self.inner {
            RowsInner::Sqlite(rows) => Ok(rows.next()?.map(|r| Row {
                inner: RowInner::Sqlite(r),
            })),
            #[cfg(feature = "server")]
            RowsInner::Postgres { rows, current } => {
                *current = rows.next();
                Ok(current.as_ref().map(|r| Row {
                    inner: RowInner::Postgres(r),
                }))
            }
        }
    }
}

pub struct MappedRows<'s, F> {
    rows: Rows<'s>,
    f: F,
}

impl<T, F> Iterator for MappedRows<'_, F>
where
    F: FnMut(&Row<'_>) -> Result<T>,
{
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        let f = &mut self.f;
        match self.rows.next() {
            Ok(Some(row)) => Some(f(&row)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// One result row.
pub struct Row<'r> {
    inner: RowInner<'r>,
}

enum RowInner<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    #[cfg(feature = "server")]
    Postgres(&'r pg::PgRow),
}

/// A column by position or by name.
pub trait ColumnIndex: Copy {
    fn position(self, names: &[String]) -> Option<usize>;
    fn describe(self) -> String;
    fn sqlite_get<T: FromSql>(self, row: &rusqlite::Row<'_>) -> rusqlite::Result<T>;
    fn sqlite_get_ref<'r>(self, row: &'r rusqlite::Row<'_>) -> rusqlite::Result<ValueRef<'r>>;
}

impl ColumnIndex for usize {
    fn position(self, names: &[String]) -> Option<usize> {
        (self < names.len()).then_some(self)
    }
    fn describe(self) -> String {
        self.to_string()
    }
    fn sqlite_get<T: FromSql>(self, row: &rusqlite::Row<'_>) -> rusqlite::Result<T> {
        row.get(self)
    }
    fn sqlite_get_ref<'r>(self, row: &'r rusqlite::Row<'_>) -> rusqlite::Result<ValueRef<'r>> {
        row.get_ref(self)
    }
}

impl ColumnIndex for &str {
    fn position(self, names: &[String]) -> Option<usize> {
        names.iter().position(|n| n.eq_ignore_ascii_case(self))
    }
    fn describe(self) -> String {
        self.to_string()
    }
    fn sqlite_get<T: FromSql>(self, row: &rusqlite::Row<'_>) -> rusqlite::Result<T> {
        row.get(self)
    }
    fn sqlite_get_ref<'r>(self, row: &'r rusqlite::Row<'_>) -> rusqlite::Result<ValueRef<'r>> {
        row.get_ref(self)
    }
}

impl Row<'_> {
    /// The column's value as `T`, by the same `FromSql` rules on both databases.
    pub fn get<I: ColumnIndex, T: FromSql>(&self, index: I) -> Result<T> {
        match &self.inner {
            RowInner::Sqlite(r) => Ok(index.sqlite_get(r)?),
            #[cfg(feature = "server")]
            RowInner::Postgres(r) => {
                let value = r.value(index)?;
                let converted = match T::column_result(value.into()) {
                    // Text read as a number: what SQLite's json_extract gives as a number is
                    // text from PostgreSQL's (see translate).
                    Err(FromSqlError::InvalidType) => match value {
                        Value::Text(t) => match (t.parse::<i64>(), t.parse::<f64>()) {
                            (Ok(i), _) => T::column_result(ValueRef::Integer(i)),
                            (_, Ok(f)) => T::column_result(ValueRef::Real(f)),
                            _ => Err(FromSqlError::InvalidType),
                        },
                        _ => Err(FromSqlError::InvalidType),
                    },
                    other => other,
                };
                converted.map_err(|e| Error::Conversion {
                    column: index.describe(),
                    message: e.to_string(),
                })
            }
        }
    }

    pub fn get_ref<I: ColumnIndex>(&self, index: I) -> Result<ValueRef<'_>> {
        match &self.inner {
            RowInner::Sqlite(r) => Ok(index.sqlite_get_ref(r)?),
            #[cfg(feature = "server")]
            RowInner::Postgres(r) => Ok(r.value(index)?.into()),
        }
    }
}

/// PostgreSQL's dialect of a statement written for SQLite: `?N` (and bare `?`) become `$N`,
/// SQLite's scalar `MAX(a, b, …)`/`MIN(…)` become `GREATEST`/`LEAST`, and `rowid` becomes `seq`.
/// String literals, quoted names and comments are left alone. SQLite's `json_extract` and
/// `instr` exist as functions in the PostgreSQL schema.
pub fn translate(sql: &str) -> String {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next_bare = 1;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' | b'"' => {
                let end = quoted_end(bytes, i, c);
                out.push_str(&sql[i..end]);
                i = end;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                let end = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
                out.push_str(&sql[i..end]);
                i = end;
            }
            b'?' => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if digits == 0 {
                    out.push_str(&format!("${next_bare}"));
                    next_bare += 1;
                } else {
                    out.push('$');
                    out.push_str(&sql[i + 1..i + 1 + digits]);
                }
                i += 1 + digits;
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                let end = i + bytes[i..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                let word = &sql[i..end];
                let scalar = if word.eq_ignore_ascii_case("max") {
                    Some("GREATEST")
                } else if word.eq_ignore_ascii_case("min") {
                    Some("LEAST")
                } else {
                    None
                };
                match scalar {
                    Some(scalar) if has_several_arguments(bytes, end) => out.push_str(scalar),
                    // SQLite's implicit insertion-order key; PostgreSQL's tables that are read
                    // in that order carry it as `seq` (migrations/postgres).
                    _ if word.eq_ignore_ascii_case("rowid") => out.push_str("seq"),
                    _ => out.push_str(word),
                }
                i = end;
            }
            _ => {
                // Copy a whole UTF-8 character.
                let len = utf8_len(c);
                out.push_str(&sql[i..i + len]);
                i += len;
            }
        }
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// Index just past the quoted run starting at `start` (a doubled quote is an escaped one).
fn quoted_end(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// True when a call's parenthesis follows `at` (spaces allowed) and holds a top-level comma:
/// `max(a, b)` is SQLite's scalar max, `max(a)` the aggregate.
fn has_several_arguments(bytes: &[u8], mut at: usize) -> bool {
    while at < bytes.len() && bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    if bytes.get(at) != Some(&b'(') {
        return false;
    }
    let mut depth = 0;
    let mut i = at;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return false;
                }
            }
            b',' if depth == 1 => return true,
            b'\'' | b'"' => {
                i = quoted_end(bytes, i, bytes[i]);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(feature = "server")]
pub(crate) mod pg {
    //! The PostgreSQL side: a connection with its prepared statements, and rows read into
    //! SQLite's value types.
    use super::{ColumnIndex, Error, Result, Statement, StatementInner, Value};
    use futures_executor::block_on;
    use std::{cell::RefCell, collections::HashMap};
    use tokio_postgres::types::{to_sql_checked, IsNull, Kind, ToSql as PgToSql, Type};

    /// One PostgreSQL connection, used by one thread at a time (`Db` hands it out).
    pub struct PgConn {
        client: tokio_postgres::Client,
        statements: RefCell<HashMap<String, tokio_postgres::Statement>>,
        /// Set when the connection's transaction state is unknown (a failed ROLLBACK): the pool
        /// drops it instead of handing it out again.
        broken: std::cell::Cell<bool>,
        /// Inside BEGIN … COMMIT (set by `Db`): a failed prepare would abort the transaction,
        /// so first preparations run under a savepoint.
        in_transaction: std::cell::Cell<bool>,
    }

    /// Statements kept per connection; past this the cache starts over (dynamic statements,
    /// e.g. `IN (…)` lists, would otherwise grow it without bound).
    const STATEMENT_CACHE: usize = 512;

    impl PgConn {
        /// `client`'s connection runs elsewhere (src/db/postgres.rs); its futures only talk to it
        /// over channels, so any thread may block on them.
        pub fn new(client: tokio_postgres::Client) -> Self {
            Self {
                client,
                statements: RefCell::default(),
                broken: std::cell::Cell::new(false),
                in_transaction: std::cell::Cell::new(false),
            }
        }

        pub fn client(&self) -> &tokio_postgres::Client {
            &self.client
        }

        pub fn mark_broken(&self) {
            self.broken.set(true);
        }

        pub fn set_in_transaction(&self, inside: bool) {
            self.in_transaction.set(inside);
        }

        pub fn is_broken(&self) -> bool {
            self.broken.get() || self.client.is_closed()
        }

        pub(super) fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
            Ok(Statement {
                inner: StatementInner::Postgres {
                    conn: self,
                    sql: sql.to_string(),
                },
            })
        }

        /// The prepared form of `sql`, kept per connection. PostgreSQL infers each parameter's
        /// type from where it stands; where it cannot (`?2 IS NULL OR …` before any typed use),
        /// the parameter is typed from the value given for it this first time (SQLite never
        /// needed to know).
        fn statement(&self, sql: &str, values: &[Value]) -> Result<tokio_postgres::Statement> {
            if let Some(s) = self.statements.borrow().get(sql) {
                return Ok(s.clone());
            }
            let translated = super::translate(sql);
            let guarded = self.in_transaction.get();
            if guarded {
                block_on(self.client.batch_execute("SAVEPOINT sl_prepare"))?;
            }
            let prepared = self.prepare_inferring(&translated, values, guarded);
            if guarded {
                let end = if prepared.is_ok() {
                    "RELEASE SAVEPOINT sl_prepare"
                } else {
                    "ROLLBACK TO SAVEPOINT sl_prepare; RELEASE SAVEPOINT sl_prepare"
                };
                block_on(self.client.batch_execute(end))?;
            }
            let statement = prepared.map_err(|source| Error::Prepare {
                sql: translated,
                source,
            })?;
            let mut cache = self.statements.borrow_mut();
            if cache.len() >= STATEMENT_CACHE {
                cache.clear();
            }
            cache.insert(sql.to_string(), statement.clone());
            Ok(statement)
        }

        /// Prepares `sql`; a parameter PostgreSQL cannot type (42P08/42P18) is given the types
        /// its value suggests, in turn, until the statement prepares (a NULL that is compared
        /// with an integer column fails as text, then prepares as an integer).
        fn prepare_inferring(
            &self,
            sql: &str,
            values: &[Value],
            guarded: bool,
        ) -> std::result::Result<tokio_postgres::Statement, tokio_postgres::Error> {
            let unspecified =
                || Type::new("unspecified".into(), 0, Kind::Pseudo, "pg_catalog".into());
            let mut types: Vec<Type> = Vec::new();
            // (parameter, its candidate types, the one tried now)
            let mut guesses: Vec<(usize, Vec<Type>, usize)> = Vec::new();
            loop {
                let error = match block_on(self.client.prepare_typed(sql, &types)) {
                    Ok(s) => return Ok(s),
                    Err(e) => e,
                };
                if guarded {
                    block_on(
                        self.client
                            .batch_execute("ROLLBACK TO SAVEPOINT sl_prepare"),
                    )?;
                }
                let undetermined = error
                    .as_db_error()
                    .filter(|db| matches!(db.code().code(), "42P08" | "42P18"))
                    .and_then(|db| db.message().rsplit_once('$'))
                    .and_then(|(_, n)| n.trim().parse::<usize>().ok())
                    .filter(|n| (1..=values.len()).contains(n))
                    .filter(|n| types.get(n - 1).is_none_or(|t| t.oid() == 0));
                if let Some(n) = undetermined {
                    let candidates = match &values[n - 1] {
                        Value::Integer(_) => vec![Type::INT8, Type::TEXT, Type::FLOAT8],
                        Value::Real(_) => vec![Type::FLOAT8, Type::TEXT],
                        Value::Blob(_) => vec![Type::BYTEA, Type::TEXT],
                        Value::Text(_) => vec![Type::TEXT, Type::INT8, Type::FLOAT8],
                        Value::Null => vec![Type::TEXT, Type::INT8, Type::FLOAT8, Type::BYTEA],
                    };
                    if types.len() < n {
                        types.resize_with(n, unspecified);
                    }
                    types[n - 1] = candidates[0].clone();
                    guesses.push((n, candidates, 0));
                    continue;
                }
                // A guess that made the statement wrong (`bigint = text`): the next candidate
                // of the latest guess that has one left.
                let Some((n, candidates, tried)) = guesses
                    .iter_mut()
                    .rev()
                    .find(|(_, candidates, tried)| *tried + 1 < candidates.len())
                else {
                    return Err(error);
                };
                *tried += 1;
                types[*n - 1] = candidates[*tried].clone();
            }
        }

        pub(super) fn batch_execute(&self, sql: &str) -> Result<()> {
            Ok(block_on(self.client.batch_execute(sql))?)
        }

        pub(super) fn execute(&self, sql: &str, values: &[Value]) -> Result<usize> {
            let statement = &self.statement(sql, values)?;
            let params = bind(statement, values)?;
            let refs: Vec<&(dyn PgToSql + Sync)> =
                params.iter().map(|p| p as &(dyn PgToSql + Sync)).collect();
            Ok(block_on(self.client.execute(statement, &refs))? as usize)
        }

        pub(super) fn query(&self, sql: &str, values: &[Value]) -> Result<Vec<PgRow>> {
            let statement = &self.statement(sql, values)?;
            let params = bind(statement, values)?;
            let refs: Vec<&(dyn PgToSql + Sync)> =
                params.iter().map(|p| p as &(dyn PgToSql + Sync)).collect();
            let rows = block_on(self.client.query(statement, &refs))?;
            let names: std::sync::Arc<[String]> = statement
                .columns()
                .iter()
                .map(|c| c.name().to_string())
                .collect();
            rows.iter()
                .map(|row| {
                    let values = (0..row.len())
                        .map(|i| read_value(row, i))
                        .collect::<Result<Vec<_>>>()?;
                    Ok(PgRow {
                        names: names.clone(),
                        values,
                    })
                })
                .collect()
        }
    }

    fn bind(statement: &tokio_postgres::Statement, values: &[Value]) -> Result<Vec<Param>> {
        let expected = statement.params().len();
        if values.len() != expected {
            return Err(Error::Conversion {
                column: "parameters".into(),
                message: format!("{} given, the statement takes {expected}", values.len()),
            });
        }
        Ok(values.iter().cloned().map(Param).collect())
    }

    /// A row, its values already in SQLite's types.
    pub struct PgRow {
        names: std::sync::Arc<[String]>,
        values: Vec<Value>,
    }

    impl PgRow {
        pub(super) fn value<I: ColumnIndex>(&self, index: I) -> Result<&Value> {
            index
                .position(&self.names)
                .and_then(|i| self.values.get(i))
                .ok_or_else(|| Error::Conversion {
                    column: index.describe(),
                    message: "no such column".into(),
                })
        }
    }

    /// A column read as the SQLite value it stands for: integers and booleans as integers,
    /// text (and JSON) as text, `bytea` as a blob, `numeric` (what `SUM` of integers gives) as
    /// an integer when it has no fraction.
    fn read_value(row: &tokio_postgres::Row, i: usize) -> Result<Value> {
        let ty = row.columns()[i].type_();
        let conversion = |e: tokio_postgres::Error| Error::Conversion {
            column: row.columns()[i].name().to_string(),
            message: e.to_string(),
        };
        let value = match *ty {
            Type::INT8 => row
                .try_get::<_, Option<i64>>(i)
                .map_err(conversion)?
                .map(Value::Integer),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(i)
                .map_err(conversion)?
                .map(|v| Value::Integer(v.into())),
            Type::INT2 => row
                .try_get::<_, Option<i16>>(i)
                .map_err(conversion)?
                .map(|v| Value::Integer(v.into())),
            Type::BOOL => row
                .try_get::<_, Option<bool>>(i)
                .map_err(conversion)?
                .map(|v| Value::Integer(v.into())),
            Type::FLOAT8 => row
                .try_get::<_, Option<f64>>(i)
                .map_err(conversion)?
                .map(Value::Real),
            Type::FLOAT4 => row
                .try_get::<_, Option<f32>>(i)
                .map_err(conversion)?
                .map(|v| Value::Real(v.into())),
            Type::BYTEA => row
                .try_get::<_, Option<Vec<u8>>>(i)
                .map_err(conversion)?
                .map(Value::Blob),
            Type::NUMERIC => row
                .try_get::<_, Option<Numeric>>(i)
                .map_err(conversion)?
                .map(|n| n.0),
            _ => row
                .try_get::<_, Option<String>>(i)
                .map_err(conversion)?
                .map(Value::Text),
        };
        Ok(value.unwrap_or(Value::Null))
    }

    /// `numeric` in PostgreSQL's binary form: base-10000 digits with a weight and a sign.
    struct Numeric(Value);

    impl<'a> tokio_postgres::types::FromSql<'a> for Numeric {
        fn from_sql(
            _: &Type,
            raw: &'a [u8],
        ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
            let word = |at: usize| -> std::result::Result<i16, String> {
                raw.get(at..at + 2)
                    .map(|b| i16::from_be_bytes([b[0], b[1]]))
                    .ok_or_else(|| "truncated numeric".to_string())
            };
            let ndigits = word(0)? as usize;
            let weight = word(2)? as i32;
            let sign = word(4)? as u16;
            let scale = word(6)?;
            if sign == 0xC000 {
                return Ok(Numeric(Value::Real(f64::NAN)));
            }
            let mut integer: i128 = 0;
            let mut real = 0f64;
            let mut fraction = false;
            for d in 0..ndigits {
                let digit = word(8 + 2 * d)? as i128;
                let power = weight - d as i32;
                real += digit as f64 * 10000f64.powi(power);
                if power < 0 {
                    fraction |= digit != 0;
                } else {
                    integer = integer * 10000 + digit;
                }
            }
            // Trailing zero groups the digits leave out (weight past the last digit).
            let missing = weight + 1 - ndigits as i32;
            for _ in 0..missing.max(0) {
                integer *= 10000;
            }
            let negative = sign == 0x4000;
            if !fraction && scale >= 0 {
                if let Ok(v) = i64::try_from(if negative { -integer } else { integer }) {
                    return Ok(Numeric(Value::Integer(v)));
                }
            }
            Ok(Numeric(Value::Real(if negative { -real } else { real })))
        }

        fn accepts(ty: &Type) -> bool {
            *ty == Type::NUMERIC
        }
    }

    /// A SQLite value bound to a PostgreSQL parameter of whatever type the statement expects.
    #[derive(Debug)]
    struct Param(Value);

    impl PgToSql for Param {
        fn to_sql(
            &self,
            ty: &Type,
            out: &mut bytes::BytesMut,
        ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
            use bytes::BufMut;
            let mismatch = || -> Box<dyn std::error::Error + Sync + Send> {
                format!("cannot bind {:?} to a {} parameter", self.0, ty).into()
            };
            let integer =
                || -> std::result::Result<i64, Box<dyn std::error::Error + Sync + Send>> {
                    match &self.0 {
                        Value::Integer(v) => Ok(*v),
                        Value::Real(v) if v.fract() == 0.0 => Ok(*v as i64),
                        Value::Text(t) => t.trim().parse().map_err(|_| mismatch()),
                        _ => Err(mismatch()),
                    }
                };
            if matches!(self.0, Value::Null) {
                return Ok(IsNull::Yes);
            }
            match *ty {
                Type::INT8 => out.put_i64(integer()?),
                Type::INT4 => out.put_i32(i32::try_from(integer()?)?),
                Type::INT2 => out.put_i16(i16::try_from(integer()?)?),
                Type::BOOL => out.put_u8(u8::from(integer()? != 0)),
                Type::FLOAT8 | Type::FLOAT4 => {
                    let v = match &self.0 {
                        Value::Integer(v) => *v as f64,
                        Value::Real(v) => *v,
                        Value::Text(t) => t.trim().parse().map_err(|_| mismatch())?,
                        _ => return Err(mismatch()),
                    };
                    if *ty == Type::FLOAT8 {
                        out.put_f64(v)
                    } else {
                        out.put_f32(v as f32)
                    }
                }
                Type::NUMERIC => put_numeric(integer()?, out),
                Type::BYTEA => match &self.0 {
                    Value::Blob(b) => out.put_slice(b),
                    Value::Text(t) => out.put_slice(t.as_bytes()),
                    _ => return Err(mismatch()),
                },
                Type::JSONB => {
                    // jsonb's binary form: a version byte, then the text.
                    out.put_u8(1);
                    out.put_slice(text_of(&self.0).ok_or_else(mismatch)?.as_bytes());
                }
                _ => out.put_slice(text_of(&self.0).ok_or_else(mismatch)?.as_bytes()),
            }
            Ok(IsNull::No)
        }

        fn accepts(_: &Type) -> bool {
            true
        }

        to_sql_checked!();
    }

    /// An integer in `numeric`'s binary form (base-10000 digits, most significant first).
    fn put_numeric(v: i64, out: &mut bytes::BytesMut) {
        use bytes::BufMut;
        let mut rest = v.unsigned_abs();
        let mut digits = Vec::new();
        while rest > 0 {
            digits.push((rest % 10000) as i16);
            rest /= 10000;
        }
        digits.reverse();
        out.put_i16(digits.len() as i16);
        out.put_i16(digits.len().saturating_sub(1) as i16);
        out.put_u16(if v < 0 { 0x4000 } else { 0 });
        out.put_i16(0);
        for d in digits {
            out.put_i16(d);
        }
    }

    /// The value as text: text as is, numbers written out (SQLite compares `'1' = 1` loosely;
    /// a text parameter given a number gets its decimal form).
    fn text_of(value: &Value) -> Option<std::borrow::Cow<'_, str>> {
        match value {
            Value::Text(t) => Some(t.as_str().into()),
            Value::Integer(v) => Some(v.to_string().into()),
            Value::Real(v) => Some(v.to_string().into()),
            Value::Blob(b) => std::str::from_utf8(b).ok().map(Into::into),
            Value::Null => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_scalar_max_become_postgres() {
        assert_eq!(
            translate(
                "SELECT MAX(a), max(b, ?2) FROM t WHERE x = ?1 AND y = '?3' -- ?4\n AND z = ?"
            ),
            "SELECT MAX(a), GREATEST(b, $2) FROM t WHERE x = $1 AND y = '?3' -- ?4\n AND z = $1"
        );
        assert_eq!(
            translate("SELECT id FROM t ORDER BY t.rowid DESC, ROWID"),
            "SELECT id FROM t ORDER BY t.seq DESC, seq"
        );
        assert_eq!(
            translate("SELECT min(coalesce(a, 0)), MIN ( a , b ) FROM \"max\"(1, 2)"),
            "SELECT min(coalesce(a, 0)), LEAST ( a , b ) FROM \"max\"(1, 2)"
        );
        assert_eq!(
            translate("SELECT 'it''s ?1', ?10, 'é?'"),
            "SELECT 'it''s ?1', $10, 'é?'"
        );
    }

    #[test]
    fn sqlite_connections_read_rows_and_refuse_missing_ones() {
        let raw = rusqlite::Connection::open_in_memory().unwrap();
        let conn = Connection::sqlite(&raw);
        conn.execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER NOT NULL)")
            .unwrap();
        conn.execute("INSERT INTO t VALUES (?1, ?2)", params!["a", 1])
            .unwrap();
        conn.execute("INSERT INTO t VALUES (?1, ?2)", ["b", "2"])
            .unwrap();
        let again = conn.execute("INSERT INTO t VALUES (?1, ?2)", params!["a", 3]);
        assert!(again.unwrap_err().is_constraint_violation());
        let ns: Vec<(String, i64)> = conn
            .prepare("SELECT id, n FROM t ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get("n")?)))
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(ns, [("a".to_string(), 1), ("b".to_string(), 2)]);
        let none = conn
            .query_row("SELECT n FROM t WHERE id = ?1", ["z"], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
            .unwrap();
        assert_eq!(none, None);
        let ids = ["a", "b"];
        let listed: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM t WHERE id IN (?1, ?2)",
                params_from_iter(ids.iter()),
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(listed, 2);
    }
}
