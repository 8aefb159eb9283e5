//! Typed states (issue 15): the status of an export, a workflow run, a node run, a node's item, a
//! credit hold and a shot is an enum declared with [`states!`], which writes its legal transitions
//! as one table. From the enum come its names (the same lowercase strings in JSON and in the
//! database), its OpenAPI schema (the document lists the values, the UI's types are generated from
//! it), and the SQL of every status change: [`Status::transition_sql`] makes
//! `status = 'next'` and the guard `status IN (the states that may become next)` from the table, so
//! a row only ever moves along an edge the table lists.

/// A typed status; implemented by [`states!`].
pub trait Status: Copy + Eq + std::fmt::Debug + Send + Sync + 'static {
    /// What these are the states of, for messages (`export`, `workflow run`).
    const WHAT: &'static str;
    /// Every state, in declaration order.
    const VARIANTS: &'static [Self];

    /// The name, as stored and as sent.
    fn as_str(self) -> &'static str;

    /// The transition table: whether a row in this state may become `next`.
    fn can_become(self, next: Self) -> bool;

    fn parse(s: &str) -> Option<Self> {
        Self::VARIANTS.iter().copied().find(|v| v.as_str() == s)
    }

    /// The states `keep` takes, as an SQL list (`'queued', 'processing'`; for `status IN (…)`).
    /// Made of the enum's own names, never of input.
    fn sql_list(keep: impl Fn(Self) -> bool) -> String {
        Self::VARIANTS
            .iter()
            .copied()
            .filter(|s| keep(*s))
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `status = 'next'` and the guard that only a legal source state may take it, for
    /// `UPDATE … SET {set}, … WHERE id = ? AND {guard}`.
    fn transition_sql(next: Self) -> (String, String) {
        Self::transition_sql_from(next, |_| true)
    }

    /// [`Status::transition_sql`] from only those legal sources `from` also takes (one way into
    /// `next` when the table has several, e.g. a resume, not a retry, of a run).
    fn transition_sql_from(next: Self, from: impl Fn(Self) -> bool) -> (String, String) {
        (
            format!("status = '{}'", next.as_str()),
            format!(
                "status IN ({})",
                Self::sql_list(|s| s.can_become(next) && from(s))
            ),
        )
    }

    /// `status = 'this'`, for the `WHERE` of a read.
    fn eq_sql(self) -> String {
        format!("status = '{}'", self.as_str())
    }
}

/// Declares a status enum: its states with their names, and its transition table as
/// `From | … => To | …` rows (every pair of a row is a legal edge; nothing else is). Writes the
/// enum (serde under those names), its OpenAPI schema ([`schema`]), [`Status`], `ALL`, `as_str`,
/// `parse`, `can_become`, `transition_sql`, `Display`, and rusqlite's `FromSql`/`ToSql`.
#[macro_export]
macro_rules! states {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
        transitions {
            $( $($from:ident)|+ => $($to:ident)|+ ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            pub const ALL: [$name; [$($text),+].len()] = [$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                <Self as $crate::states::Status>::parse(s)
            }

            /// The transition table.
            pub fn can_become(self, next: Self) -> bool {
                matches!((self, next), $( ($(Self::$from)|+, $(Self::$to)|+) )|+)
            }

            /// See [`Status::transition_sql`](crate::states::Status::transition_sql).
            pub fn transition_sql(next: Self) -> (String, String) {
                <Self as $crate::states::Status>::transition_sql(next)
            }
        }

        impl $crate::states::Status for $name {
            const WHAT: &'static str = $what;
            const VARIANTS: &'static [Self] = &Self::ALL;
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
            fn can_become(self, next: Self) -> bool {
                $name::can_become(self, next)
            }
        }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                $crate::states::schema::<$name>().into()
            }
        }

        impl ::utoipa::ToSchema for $name {}

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::rusqlite::types::FromSql for $name {
            fn column_result(
                value: ::rusqlite::types::ValueRef<'_>,
            ) -> ::rusqlite::types::FromSqlResult<Self> {
                $crate::states::from_sql(value)
            }
        }

        impl ::rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> ::rusqlite::Result<::rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }
    };
}

/// The OpenAPI schema of a status: a string of the enum's names, with its transition table as
/// `x-transitions` (each state → the states it may become), for clients that offer actions by
/// state (the UI checks its own tables against it).
pub fn schema<S: Status>() -> utoipa::openapi::schema::ObjectBuilder {
    use utoipa::openapi::{
        extensions::Extensions,
        schema::{ObjectBuilder, SchemaType, Type},
    };
    let names = |keep: &dyn Fn(S) -> bool| -> Vec<serde_json::Value> {
        S::VARIANTS
            .iter()
            .filter(|s| keep(**s))
            .map(|s| s.as_str().into())
            .collect()
    };
    let transitions: serde_json::Map<String, serde_json::Value> = S::VARIANTS
        .iter()
        .map(|from| {
            (
                from.as_str().to_string(),
                names(&|to| from.can_become(to)).into(),
            )
        })
        .collect();
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(names(&|_| true)))
        .extensions(Some(Extensions::from_iter([(
            "x-transitions",
            serde_json::Value::Object(transitions),
        )])))
}

/// The schema of an optional `S` written inline, `{"type": ["string", "null"], "enum": [names…,
/// null]}` (for request fields whose schema lists the values where they are used).
pub fn nullable_schema<S: Status>() -> utoipa::openapi::schema::Object {
    let names: Vec<&str> = S::VARIANTS.iter().map(|s| s.as_str()).collect();
    crate::paging::one_of_schema(&names, true)
}

/// A stored name read back: an unknown one is an error naming what it is the state of.
pub fn from_sql<S: Status>(
    value: rusqlite::types::ValueRef<'_>,
) -> rusqlite::types::FromSqlResult<S> {
    let text = value.as_str()?;
    S::parse(text).ok_or_else(|| {
        rusqlite::types::FromSqlError::Other(format!("unknown {} status '{text}'", S::WHAT).into())
    })
}

/// Checks shared by every enum's tests: names round-trip through `parse`, JSON and SQL, and each
/// is the snake_case of its variant.
#[cfg(test)]
pub(crate) fn check_names<S>()
where
    S: Status + rusqlite::ToSql + serde::Serialize + serde::de::DeserializeOwned,
{
    use rusqlite::types::{ToSqlOutput, ValueRef};
    for &s in S::VARIANTS {
        assert_eq!(S::parse(s.as_str()), Some(s));
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        assert_eq!(
            serde_json::from_value::<S>(serde_json::json!(s.as_str())).unwrap(),
            s
        );
        let variant = format!("{s:?}");
        let snake: String = variant
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let lower = c.to_ascii_lowercase();
                if c.is_ascii_uppercase() && i > 0 {
                    vec!['_', lower]
                } else {
                    vec![lower]
                }
            })
            .collect();
        assert_eq!(s.as_str(), snake, "{variant}");
        assert_eq!(
            s.to_sql().unwrap(),
            ToSqlOutput::Borrowed(ValueRef::Text(s.as_str().as_bytes()))
        );
        assert_eq!(
            from_sql::<S>(ValueRef::Text(s.as_str().as_bytes())).unwrap(),
            s
        );
    }
    assert!(S::parse("no such state").is_none());
    assert!(from_sql::<S>(ValueRef::Text(b"no such state")).is_err());
}
