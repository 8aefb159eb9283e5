//! Prompt templates (docs/API-EDITOR.md): versioned bodies with declared, typed variables.
//!
//! A template belongs to one user and has numbered, immutable versions; the newest becomes current.
//! `render` checks every supplied variable against the version's declarations before it fills the
//! body, and reports all problems at once so a form can mark each bad field.
pub mod engine;

use crate::error::{CodedError, ErrorCode, FieldError};
use std::collections::BTreeMap;

use crate::db::sql::{params, types::Type, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::{clock::rfc3339, db::DbError, paging::PageSpec, AppState};

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
pub const MAX_BODY_CHARS: usize = 100_000;
pub const MAX_NOTE_CHARS: usize = 2_000;
pub const MAX_VARIABLES: usize = 100;
pub const MAX_VARIABLE_NAME_CHARS: usize = 64;
pub const MAX_VARIABLE_DESCRIPTION_CHARS: usize = 2_000;
pub const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum VariableType {
    String,
    Number,
    Integer,
    Boolean,
    /// A list of strings, numbers or booleans; rendered joined with ", ".
    List,
}

impl VariableType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::List => "list",
        }
    }

    /// Whether `v` is a value of this type (`3.0` counts as an integer; lists hold only scalars).
    pub fn accepts(self, v: &Value) -> bool {
        match (self, v) {
            (Self::String, Value::String(_)) | (Self::Boolean, Value::Bool(_)) => true,
            (Self::Number, Value::Number(_)) => true,
            (Self::Integer, Value::Number(n)) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            (Self::List, Value::Array(items)) => items
                .iter()
                .all(|i| matches!(i, Value::String(_) | Value::Number(_) | Value::Bool(_))),
            _ => false,
        }
    }
}

fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(items) if items.iter().any(|i| i.is_array() || i.is_object()) => {
            "list with nested lists or objects"
        }
        Value::Array(items) if items.iter().any(Value::is_null) => "list containing null",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

fn default_true() -> bool {
    true
}

/// A variable a version's body may use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VariableSpec {
    /// `[A-Za-z_][A-Za-z0-9_]*`, unique within the version.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: VariableType,
    /// A required variable without a default must be given to `render`. Default true.
    #[serde(default = "default_true")]
    pub required: bool,
    /// Used when `render` does not give the variable; must be of the declared type.
    #[serde(default)]
    pub default: Option<Value>,
    #[serde(default)]
    pub description: String,
}

/// One immutable version of a template's body and variables.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PromptVersion {
    pub id: String,
    pub template_id: String,
    /// 1, 2, 3… within the template.
    pub number: u32,
    pub body: String,
    pub variables: Vec<VariableSpec>,
    pub note: String,
    /// Things that are allowed but probably unintended (a variable the body never uses).
    pub warnings: Vec<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PromptTemplate {
    pub id: String,
    pub name: String,
    pub description: String,
    pub current_version: PromptVersion,
    pub version_count: u32,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewPromptTemplate {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub body: String,
    #[serde(default)]
    pub variables: Vec<VariableSpec>,
    /// A note on version 1.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewPromptVersion {
    pub body: String,
    #[serde(default)]
    pub variables: Vec<VariableSpec>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Fields to change; absent fields stay as they are. Bodies change through new versions.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PromptTemplatePatch {
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeletedPromptTemplate {
    pub id: String,
    pub deleted_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RenderRequest {
    pub template_id: String,
    /// Default: the template's current version.
    #[serde(default)]
    pub version_id: Option<String>,
    /// Values by variable name; `null` counts as not given.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub variables: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RenderedPrompt {
    pub text: String,
    pub template_id: String,
    pub version_id: String,
    pub version_number: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("prompt template '{0}' not found")]
    NotFound(String),
    #[error("prompt version '{0}' not found")]
    VersionNotFound(String),
    /// Every bad field at once.
    #[error("{} invalid field(s)", .0.len())]
    Invalid(Vec<FieldError>),
    #[error("{message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for PromptError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) | Self::VersionNotFound(_) => ErrorCode::NotFound,
            Self::Invalid(_) => ErrorCode::ValidationError,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }
    fn field_errors(&self) -> Option<Vec<FieldError>> {
        match self {
            Self::Invalid(errors) => Some(errors.clone()),
            _ => None,
        }
    }
}

impl From<crate::db::sql::Error> for PromptError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(e.into())
    }
}

/// Collects field problems so one response can list them all.
#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    fn add(&mut self, field: impl Into<String>, detail: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            detail: detail.into(),
        });
    }

    fn check_len(&mut self, field: &str, value: &str, max: usize) -> bool {
        let ok = value.chars().count() <= max;
        if !ok {
            self.add(field, format!("{field} must be at most {max} characters"));
        }
        ok
    }

    fn into_result(self) -> Result<(), PromptError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(PromptError::Invalid(self.0))
        }
    }
}

fn clean_name(name: &str, p: &mut Problems) -> String {
    let name = name.trim();
    if name.is_empty() {
        p.add("name", "name must not be empty");
    } else if p.check_len("name", name, MAX_NAME_CHARS) && name.chars().any(char::is_control) {
        p.add("name", "name must not contain control characters");
    }
    name.to_string()
}

/// Checks a version's body, variables and note, adding every problem found.
fn check_version(body: &str, variables: &[VariableSpec], note: &str, p: &mut Problems) {
    if body.trim().is_empty() {
        p.add("body", "body must not be empty");
    } else if p.check_len("body", body, MAX_BODY_CHARS) {
        let parsed = engine::parse(body);
        for e in parsed.errors.iter() {
            p.add("body", e.clone());
        }
        let undeclared: Vec<_> = parsed
            .names()
            .into_iter()
            .filter(|n| !variables.iter().any(|v| v.name == *n))
            .map(|n| format!("'{n}'"))
            .collect();
        if !undeclared.is_empty() {
            p.add(
                "body",
                format!(
                    "the body uses undeclared variable(s) {}; declare each in `variables`",
                    undeclared.join(", ")
                ),
            );
        }
    }

    if variables.len() > MAX_VARIABLES {
        p.add(
            "variables",
            format!("at most {MAX_VARIABLES} variables may be declared"),
        );
    }
    for (i, v) in variables.iter().enumerate() {
        let field = |f: &str| format!("variables[{i}].{f}");
        if !engine::is_identifier(&v.name) {
            p.add(
                field("name"),
                format!(
                    "'{}' is not a valid variable name: use letters, digits and `_`, not starting \
                     with a digit",
                    v.name
                ),
            );
        } else if v.name.len() > MAX_VARIABLE_NAME_CHARS {
            p.add(
                field("name"),
                format!("a variable name must be at most {MAX_VARIABLE_NAME_CHARS} characters"),
            );
        } else if let Some(j) = variables[..i].iter().position(|w| w.name == v.name) {
            p.add(
                field("name"),
                format!("'{}' is already declared by variables[{j}]", v.name),
            );
        }
        if let Some(d) = &v.default {
            if !d.is_null() && !v.kind.accepts(d) {
                p.add(
                    field("default"),
                    format!(
                        "the default must be of type {} (got {})",
                        v.kind.as_str(),
                        json_type_name(d)
                    ),
                );
            }
        }
        p.check_len(
            &field("description"),
            &v.description,
            MAX_VARIABLE_DESCRIPTION_CHARS,
        );
    }
    p.check_len("note", note, MAX_NOTE_CHARS);
}

/// Declared variables the body never uses: allowed (a version may prepare for the next), but shown.
fn warnings(body: &str, variables: &[VariableSpec]) -> Vec<String> {
    let used = engine::parse(body).names();
    variables
        .iter()
        .filter(|v| !used.contains(&v.name.as_str()))
        .map(|v| format!("variable '{}' is declared but not used in the body", v.name))
        .collect()
}

/// Fills in defaults and checks every given value. All problems are returned together, each
/// named `variables.<name>`: missing required, unknown, and wrong type.
pub fn resolve_variables(
    specs: &[VariableSpec],
    given: &Map<String, Value>,
) -> Result<BTreeMap<String, Value>, Vec<FieldError>> {
    let mut problems = Problems::default();
    let mut values = BTreeMap::new();
    for spec in specs {
        let field = format!("variables.{}", spec.name);
        let value = given
            .get(&spec.name)
            .filter(|v| !v.is_null())
            .or(spec.default.as_ref().filter(|d| !d.is_null()));
        match value {
            Some(v) if spec.kind.accepts(v) => {
                values.insert(spec.name.clone(), v.clone());
            }
            Some(v) => problems.add(
                field,
                format!("expected {}, got {}", spec.kind.as_str(), json_type_name(v)),
            ),
            None if spec.required => problems.add(field, "required variable is missing"),
            // An optional variable without a value renders as nothing.
            None => {
                values.insert(spec.name.clone(), Value::Null);
            }
        }
    }
    for name in given.keys() {
        if !specs.iter().any(|s| &s.name == name) {
            problems.add(
                format!("variables.{name}"),
                "unknown variable: this version does not declare it",
            );
        }
    }
    if problems.0.is_empty() {
        Ok(values)
    } else {
        Err(problems.0)
    }
}

const VERSION_COLUMNS: &str =
    "v.id, v.template_id, v.number, v.body, v.variables, v.note, v.created_at";

fn version_from_row(r: &Row<'_>, at: usize) -> crate::db::sql::Result<PromptVersion> {
    let variables: String = r.get(at + 4)?;
    let variables: Vec<VariableSpec> = serde_json::from_str(&variables)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(at + 4, Type::Text, Box::new(e)))?;
    let body: String = r.get(at + 3)?;
    Ok(PromptVersion {
        id: r.get(at)?,
        template_id: r.get(at + 1)?,
        number: r.get(at + 2)?,
        warnings: warnings(&body, &variables),
        body,
        variables,
        note: r.get(at + 5)?,
        created_at: r.get(at + 6)?,
    })
}

/// A template row joined with its current version and its number of versions.
fn select_templates() -> String {
    format!(
        "SELECT t.id, t.name, t.description, t.created_at, t.updated_at, {VERSION_COLUMNS},
                (SELECT COUNT(*) FROM prompt_template_versions c WHERE c.template_id = t.id)
         FROM prompt_templates t JOIN prompt_template_versions v ON v.id = t.current_version_id"
    )
}

fn template_from_row(r: &Row<'_>) -> crate::db::sql::Result<PromptTemplate> {
    Ok(PromptTemplate {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        created_at: r.get(3)?,
        updated_at: r.get(4)?,
        current_version: version_from_row(r, 5)?,
        version_count: r.get(12)?,
    })
}

fn load(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    id: &str,
) -> Result<PromptTemplate, PromptError> {
    c.query_row(
        &format!(
            "{} WHERE t.id = ?1 AND t.owner_id = ?2 AND t.deleted_at IS NULL",
            select_templates()
        ),
        params![id, owner_id],
        template_from_row,
    )
    .optional()?
    .ok_or_else(|| PromptError::NotFound(id.to_string()))
}

/// 404 unless the owner has this live template (another user's template does not exist for them).
fn ensure_template(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    id: &str,
) -> Result<(), PromptError> {
    c.query_row(
        "SELECT 1 FROM prompt_templates WHERE id = ?1 AND owner_id = ?2 AND deleted_at IS NULL",
        params![id, owner_id],
        |_| Ok(()),
    )
    .optional()?
    .ok_or_else(|| PromptError::NotFound(id.to_string()))
}

fn load_version(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    template_id: &str,
    version_id: &str,
) -> Result<PromptVersion, PromptError> {
    ensure_template(c, owner_id, template_id)?;
    c.query_row(
        &format!(
            "SELECT {VERSION_COLUMNS} FROM prompt_template_versions v
             WHERE v.id = ?1 AND v.template_id = ?2"
        ),
        params![version_id, template_id],
        |r| version_from_row(r, 0),
    )
    .optional()?
    .ok_or_else(|| PromptError::VersionNotFound(version_id.to_string()))
}

/// The unique index would reject a duplicate too, but as a 500; this names the field.
fn ensure_name_free(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    name: &str,
    except_id: &str,
) -> Result<(), PromptError> {
    let taken = c
        .query_row(
            "SELECT 1 FROM prompt_templates
             WHERE owner_id = ?1 AND name = ?2 AND id != ?3 AND deleted_at IS NULL",
            params![owner_id, name, except_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if taken {
        return Err(PromptError::Conflict {
            field: "name",
            message: format!("you already have a prompt template named '{name}'"),
        });
    }
    Ok(())
}

fn insert_version(
    tx: &crate::db::sql::Transaction<'_>,
    v: &PromptVersion,
) -> Result<(), PromptError> {
    let variables = serde_json::to_string(&v.variables)
        .map_err(|e| DbError::Task(format!("cannot encode variables: {e}")))?;
    tx.execute(
        "INSERT INTO prompt_template_versions
             (id, template_id, number, body, variables, note, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            v.id,
            v.template_id,
            v.number,
            v.body,
            variables,
            v.note,
            v.created_at
        ],
    )?;
    Ok(())
}

/// Creates a template with its version 1.
#[tracing::instrument(skip(state, input), fields(name = %input.name))]
pub async fn create(
    state: &AppState,
    owner_id: &str,
    input: NewPromptTemplate,
) -> Result<PromptTemplate, PromptError> {
    let mut p = Problems::default();
    let name = clean_name(&input.name, &mut p);
    let description = input.description.unwrap_or_default();
    p.check_len("description", &description, MAX_DESCRIPTION_CHARS);
    let note = input.note.unwrap_or_default();
    check_version(&input.body, &input.variables, &note, &mut p);
    p.into_result()?;

    let now = rfc3339(state.clock.now());
    let template_id = state.ids.new_id().to_string();
    let version = PromptVersion {
        id: state.ids.new_id().to_string(),
        template_id: template_id.clone(),
        number: 1,
        warnings: warnings(&input.body, &input.variables),
        body: input.body,
        variables: input.variables,
        note,
        created_at: now.clone(),
    };
    let template = PromptTemplate {
        id: template_id,
        name,
        description,
        current_version: version,
        version_count: 1,
        created_at: now.clone(),
        updated_at: now,
    };
    let (t, owner_id) = (template.clone(), owner_id.to_string());
    state
        .db
        .write(move |tx| {
            ensure_name_free(tx, &owner_id, &t.name, &t.id)?;
            tx.execute(
                "INSERT INTO prompt_templates
                     (id, owner_id, name, description, current_version_id, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    t.id,
                    owner_id,
                    t.name,
                    t.description,
                    t.current_version.id,
                    t.created_at,
                    t.updated_at
                ],
            )?;
            insert_version(tx, &t.current_version)
        })
        .await?;
    Ok(template)
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Case-insensitive (for ASCII) substring of the name.
    pub q: Option<String>,
}

/// The owner's live templates, most recently updated first.
#[tracing::instrument(skip(state))]
pub async fn list(
    state: &AppState,
    owner_id: &str,
    filter: ListFilter,
    page: PageSpec,
) -> Result<(Vec<PromptTemplate>, u64), PromptError> {
    let q = filter
        .q
        .map(|q| q.trim().to_string())
        .filter(|q| !q.is_empty());
    if let Some(q) = &q {
        let mut p = Problems::default();
        p.check_len("q", q, MAX_QUERY_CHARS);
        p.into_result()?;
    }
    let owner_id = owner_id.to_string();
    // instr() rather than LIKE: no wildcard escaping needed for names containing % or _.
    let filter = "t.owner_id = ?1 AND t.deleted_at IS NULL
                  AND (?2 IS NULL OR instr(lower(t.name), lower(?2)) > 0)";
    state
        .db
        .read(move |c| {
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM prompt_templates t WHERE {filter}"),
                params![owner_id, q],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare(&format!(
                "{} WHERE {filter} ORDER BY t.updated_at DESC, t.id DESC LIMIT ?3 OFFSET ?4",
                select_templates()
            ))?;
            let items = stmt
                .query_map(
                    params![owner_id, q, page.limit, page.offset as i64],
                    template_from_row,
                )?
                .collect::<crate::db::sql::Result<Vec<_>>>()?;
            Ok((items, total as u64))
        })
        .await
}

#[tracing::instrument(skip(state))]
pub async fn get(
    state: &AppState,
    owner_id: &str,
    id: &str,
) -> Result<PromptTemplate, PromptError> {
    let (owner_id, id) = (owner_id.to_string(), id.to_string());
    state.db.read(move |c| load(c, &owner_id, &id)).await
}

#[tracing::instrument(skip(state, patch))]
pub async fn update(
    state: &AppState,
    owner_id: &str,
    id: &str,
    patch: PromptTemplatePatch,
) -> Result<PromptTemplate, PromptError> {
    let mut p = Problems::default();
    let name = patch.name.as_deref().map(|n| clean_name(n, &mut p));
    if let Some(d) = &patch.description {
        p.check_len("description", d, MAX_DESCRIPTION_CHARS);
    }
    p.into_result()?;
    let now = rfc3339(state.clock.now());
    let (owner_id, id) = (owner_id.to_string(), id.to_string());
    state
        .db
        .write(move |tx| {
            let mut t = load(tx, &owner_id, &id)?;
            if let Some(name) = name {
                ensure_name_free(tx, &owner_id, &name, &id)?;
                t.name = name;
            }
            if let Some(d) = patch.description {
                t.description = d;
            }
            t.updated_at = now;
            tx.execute(
                "UPDATE prompt_templates SET name = ?1, description = ?2, updated_at = ?3
                 WHERE id = ?4",
                params![t.name, t.description, t.updated_at, t.id],
            )?;
            Ok(t)
        })
        .await
}

/// Soft delete: the template leaves every list and can no longer be rendered; its name is free.
#[tracing::instrument(skip(state))]
pub async fn delete(
    state: &AppState,
    owner_id: &str,
    id: &str,
) -> Result<DeletedPromptTemplate, PromptError> {
    let now = rfc3339(state.clock.now());
    let (owner_id, id) = (owner_id.to_string(), id.to_string());
    state
        .db
        .write(move |tx| {
            let n = tx.execute(
                "UPDATE prompt_templates SET deleted_at = ?1
                 WHERE id = ?2 AND owner_id = ?3 AND deleted_at IS NULL",
                params![now, id, owner_id],
            )?;
            if n == 0 {
                return Err(PromptError::NotFound(id));
            }
            Ok(DeletedPromptTemplate {
                id,
                deleted_at: now,
            })
        })
        .await
}

/// Adds version max+1 and makes it current. Old versions stay renderable by id.
#[tracing::instrument(skip(state, input))]
pub async fn create_version(
    state: &AppState,
    owner_id: &str,
    template_id: &str,
    input: NewPromptVersion,
) -> Result<PromptVersion, PromptError> {
    let mut p = Problems::default();
    let note = input.note.unwrap_or_default();
    check_version(&input.body, &input.variables, &note, &mut p);
    p.into_result()?;
    let now = rfc3339(state.clock.now());
    let mut version = PromptVersion {
        id: state.ids.new_id().to_string(),
        template_id: template_id.to_string(),
        number: 0,
        warnings: warnings(&input.body, &input.variables),
        body: input.body,
        variables: input.variables,
        note,
        created_at: now.clone(),
    };
    let owner_id = owner_id.to_string();
    state
        .db
        .write(move |tx| {
            ensure_template(tx, &owner_id, &version.template_id)?;
            // Safe without a retry loop: writes are serialised on one connection in one transaction.
            version.number = tx.query_row(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM prompt_template_versions
                 WHERE template_id = ?1",
                params![version.template_id],
                |r| r.get(0),
            )?;
            insert_version(tx, &version)?;
            tx.execute(
                "UPDATE prompt_templates SET current_version_id = ?1, updated_at = ?2 WHERE id = ?3",
                params![version.id, now, version.template_id],
            )?;
            Ok(version)
        })
        .await
}

/// A template's versions, newest number first.
#[tracing::instrument(skip(state))]
pub async fn list_versions(
    state: &AppState,
    owner_id: &str,
    template_id: &str,
    page: PageSpec,
) -> Result<(Vec<PromptVersion>, u64), PromptError> {
    let (owner_id, template_id) = (owner_id.to_string(), template_id.to_string());
    state
        .db
        .read(move |c| {
            ensure_template(c, &owner_id, &template_id)?;
            let total: i64 = c.query_row(
                "SELECT COUNT(*) FROM prompt_template_versions WHERE template_id = ?1",
                params![template_id],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare(&format!(
                "SELECT {VERSION_COLUMNS} FROM prompt_template_versions v
                 WHERE v.template_id = ?1 ORDER BY v.number DESC LIMIT ?2 OFFSET ?3"
            ))?;
            let items = stmt
                .query_map(params![template_id, page.limit, page.offset as i64], |r| {
                    version_from_row(r, 0)
                })?
                .collect::<crate::db::sql::Result<Vec<_>>>()?;
            Ok((items, total as u64))
        })
        .await
}

#[tracing::instrument(skip(state))]
pub async fn get_version(
    state: &AppState,
    owner_id: &str,
    template_id: &str,
    version_id: &str,
) -> Result<PromptVersion, PromptError> {
    let (owner_id, template_id, version_id) = (
        owner_id.to_string(),
        template_id.to_string(),
        version_id.to_string(),
    );
    state
        .db
        .read(move |c| load_version(c, &owner_id, &template_id, &version_id))
        .await
}

/// Renders a version (default: the current one) after checking every variable.
#[tracing::instrument(skip(state, req), fields(template_id = %req.template_id))]
pub async fn render(
    state: &AppState,
    owner_id: &str,
    req: RenderRequest,
) -> Result<RenderedPrompt, PromptError> {
    let owner_id = owner_id.to_string();
    let (template_id, version_id) = (req.template_id.clone(), req.version_id.clone());
    let version = state
        .db
        .read(move |c| match version_id {
            Some(v) => load_version(c, &owner_id, &template_id, &v),
            None => Ok(load(c, &owner_id, &template_id)?.current_version),
        })
        .await?;
    let values =
        resolve_variables(&version.variables, &req.variables).map_err(PromptError::Invalid)?;
    Ok(RenderedPrompt {
        text: engine::render(&version.body, &values),
        template_id: version.template_id,
        version_id: version.id,
        version_number: version.number,
    })
}

/// The current body of the newest live template called `name` that an instance administrator
/// owns, with its version's id: how an admin replaces a built-in prompt (a writing tool's) without
/// a rebuild.
pub fn instance_override(
    c: &crate::db::sql::Connection,
    name: &str,
) -> Result<Option<(String, String)>, DbError> {
    Ok(c.prepare_cached(
        "SELECT v.id, v.body FROM prompt_templates t
           JOIN users u ON u.id = t.owner_id
           JOIN prompt_template_versions v ON v.id = t.current_version_id
          WHERE t.name = ?1 AND t.deleted_at IS NULL AND u.role = 'admin'
          ORDER BY t.updated_at DESC, t.id DESC LIMIT 1",
    )?
    .query_row([name], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn specs(v: Value) -> Vec<VariableSpec> {
        serde_json::from_value(v).unwrap()
    }

    fn given(v: Value) -> Map<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn variable_spec_defaults() {
        let s = specs(json!([{"name": "a", "type": "list"}]));
        assert!(s[0].required);
        assert_eq!(s[0].default, None);
        assert_eq!(s[0].description, "");
        assert_eq!(s[0].kind, VariableType::List);
    }

    #[test]
    fn type_table() {
        use VariableType::*;
        let cases = [
            (String, json!("x"), true),
            (String, json!(1), false),
            (Number, json!(1.5), true),
            (Number, json!(2), true),
            (Number, json!("2"), false),
            (Integer, json!(2), true),
            (Integer, json!(-2), true),
            (Integer, json!(2.0), true),
            (Integer, json!(2.5), false),
            (Boolean, json!(false), true),
            (Boolean, json!("true"), false),
            (List, json!(["a", 1, true]), true),
            (List, json!([]), true),
            (List, json!([["a"]]), false),
            (List, json!([{"a": 1}]), false),
            (List, json!([null]), false),
            (List, json!("a, b"), false),
        ];
        for (kind, value, ok) in cases {
            assert_eq!(kind.accepts(&value), ok, "{kind:?} {value}");
        }
    }

    #[test]
    fn resolve_reports_every_problem_at_once() {
        let s = specs(json!([
            {"name": "who", "type": "string"},
            {"name": "n", "type": "integer"},
            {"name": "mood", "type": "string", "default": "calm"},
            {"name": "extra", "type": "string", "required": false},
        ]));
        let errs =
            resolve_variables(&s, &given(json!({"n": "3", "zzz": 1, "aaa": 2}))).unwrap_err();
        assert_eq!(
            fields(&errs),
            [
                "variables.who",
                "variables.n",
                "variables.aaa",
                "variables.zzz"
            ]
        );
        assert!(errs[0].detail.contains("missing"), "{errs:?}");
        assert!(
            errs[1].detail.contains("expected integer, got string"),
            "{errs:?}"
        );
        assert!(errs[2].detail.contains("unknown"), "{errs:?}");

        let ok = resolve_variables(&s, &given(json!({"who": "A", "n": 3, "mood": null}))).unwrap();
        assert_eq!(ok["mood"], json!("calm"), "null falls back to the default");
        assert_eq!(
            ok["extra"],
            Value::Null,
            "optional without default renders empty"
        );
    }

    #[test]
    fn version_checks_name_each_field() {
        let mut p = Problems::default();
        let vars = specs(json!([
            {"name": "ok", "type": "string"},
            {"name": "ok", "type": "string"},
            {"name": "bad-name", "type": "string"},
            {"name": "n", "type": "integer", "default": "x"},
        ]));
        check_version(
            "{{ok}} {{ghost}} {{ phantom }} {{ a b }}",
            &vars,
            "",
            &mut p,
        );
        let got = fields(&p.0);
        assert_eq!(
            got,
            [
                "body",
                "body",
                "variables[1].name",
                "variables[2].name",
                "variables[3].default"
            ],
            "{:?}",
            p.0
        );
        assert!(p.0[1].detail.contains("'ghost', 'phantom'"), "{:?}", p.0);

        let mut p = Problems::default();
        check_version(&"x".repeat(MAX_BODY_CHARS + 1), &[], "", &mut p);
        assert_eq!(fields(&p.0), ["body"]);
        let mut p = Problems::default();
        check_version(" \n", &[], &"n".repeat(MAX_NOTE_CHARS + 1), &mut p);
        assert_eq!(fields(&p.0), ["body", "note"]);
    }

    #[test]
    fn unused_variables_are_warnings() {
        let vars = specs(json!([{"name": "a", "type": "string"}, {"name": "b", "type": "string"}]));
        let w = warnings("{{a}} \\{{b}}", &vars);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("'b'"), "{w:?}");
    }
}
