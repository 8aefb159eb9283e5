//! `?page=1&limit=20` (or `?skip=`, an offset) → `{ items, total, page, limit, totalPages }`
//! (docs/API-CONVENTIONS.md).
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::InvalidField;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// A validated window into a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSpec {
    pub page: u32,
    pub limit: u32,
    pub offset: u64,
}

impl PageSpec {
    /// `skip`, when given, wins over `page` (`skip` is the offset form some clients send; `page` is
    /// ours — docs/API-CONVENTIONS.md).
    pub fn resolve(
        page: Option<u32>,
        limit: Option<u32>,
        skip: Option<u64>,
    ) -> Result<Self, InvalidField> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(InvalidField::new(
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT} (got {limit})"),
            ));
        }
        if let Some(skip) = skip {
            let page = u32::try_from(skip / u64::from(limit) + 1).unwrap_or(u32::MAX);
            return Ok(Self {
                page,
                limit,
                offset: skip,
            });
        }
        let page = page.unwrap_or(1);
        if page == 0 {
            return Err(InvalidField::new("page", "page starts at 1 (got 0)"));
        }
        Ok(Self {
            page,
            limit,
            offset: u64::from(page - 1) * u64::from(limit),
        })
    }
}

/// The OpenAPI schema of a list's `limit`, from the bounds [`PageSpec::resolve`] checks.
pub fn limit_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(1))
        .maximum(Some(MAX_LIMIT))
        .default(Some(DEFAULT_LIMIT.into()))
        .build()
}

/// The OpenAPI schema of a list's `page`: from 1.
pub fn page_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(1))
        .default(Some(1.into()))
        .build()
}

/// A string that is one of `values` (what a handler checks against the same list).
pub fn one_of_schema(values: &[&str], nullable: bool) -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    let kind = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    let mut values: Vec<serde_json::Value> = values.iter().map(|v| (*v).into()).collect();
    if nullable {
        values.push(serde_json::Value::Null);
    }
    ObjectBuilder::new()
        .schema_type(kind)
        .enum_values(Some(values))
        .build()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub limit: u32,
    #[serde(rename = "totalPages")]
    pub total_pages: u64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: u64, spec: PageSpec) -> Self {
        Self {
            items,
            total,
            page: spec.page,
            limit: spec.limit,
            total_pages: total.div_ceil(u64::from(spec.limit)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(
            PageSpec::resolve(None, None, None).unwrap(),
            PageSpec {
                page: 1,
                limit: 20,
                offset: 0
            }
        );
        assert_eq!(
            PageSpec::resolve(Some(3), Some(10), None).unwrap().offset,
            20
        );
        assert_eq!(
            PageSpec::resolve(Some(1), Some(10), Some(25)).unwrap().page,
            3
        );
        assert_eq!(
            PageSpec::resolve(None, Some(101), None).unwrap_err().field,
            "limit"
        );
        assert_eq!(
            PageSpec::resolve(None, Some(0), None).unwrap_err().field,
            "limit"
        );
        assert_eq!(
            PageSpec::resolve(Some(0), None, None).unwrap_err().field,
            "page"
        );
        let p = Page::new(
            vec![1, 2],
            41,
            PageSpec::resolve(None, Some(20), None).unwrap(),
        );
        assert_eq!(p.total_pages, 3);
    }
}
