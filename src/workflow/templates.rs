//! Workflow templates (docs/API-WORKFLOWS.md): versioned graphs. The built-in `animatic` and
//! `full_production` templates ship in `assets/workflows/` (embedded, read-only); users add their
//! own.
use crate::db::sql::{params, OptionalExtension, Row};
use crate::error::{CodedError, ErrorCode, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::graph::{self, Graph, Problem};
use crate::{clock::rfc3339, db::DbError, paging::PageSpec, AppState};

pub struct Builtin {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub graph_json: &'static str,
}

pub const BUILTIN: &[Builtin] = &[
    Builtin {
        id: "animatic",
        name: "Animatic (offline)",
        description: "Parse, plan, render animatic keyframes, review, voice, subtitles and compose: fully offline and free.",
        graph_json: include_str!("../../assets/workflows/animatic.json"),
    },
    Builtin {
        id: "full_production",
        name: "Full production",
        description: "LLM-refined breakdown, character design, image keyframes with candidates, review, animated clips, voice, subtitles and compose.",
        graph_json: include_str!("../../assets/workflows/full_production.json"),
    },
];

/// When the built-in templates were written (they have no database row).
const BUILTIN_CREATED_AT: &str = "2026-11-22T00:00:00Z";

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateVersion {
    /// `<template>@<number>` for built-in templates.
    pub id: String,
    pub template_id: String,
    pub number: u32,
    pub graph: Graph,
    pub note: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Template {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Shipped with Storyloom; read-only.
    pub builtin: bool,
    pub current_version: TemplateVersion,
    pub version_count: u32,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    pub name: String,
    pub description: Option<String>,
    pub graph: Graph,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTemplateVersion {
    pub graph: Graph,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Validation {
    pub valid: bool,
    pub problems: Vec<Problem>,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("workflow template '{0}' not found")]
    NotFound(String),
    #[error("workflow template version '{0}' not found")]
    VersionNotFound(String),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("the workflow graph is invalid")]
    InvalidGraph(Vec<Problem>),
    #[error("built-in template '{0}' is read-only: create your own template from its graph")]
    ReadOnly(String),
    #[error("a workflow template named '{0}' already exists")]
    Duplicate(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for TemplateError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) | Self::VersionNotFound(_) => ErrorCode::NotFound,
            Self::Invalid { .. } | Self::InvalidGraph(_) => ErrorCode::ValidationError,
            Self::ReadOnly(_) => ErrorCode::Forbidden,
            Self::Duplicate(_) => ErrorCode::Conflict,
            Self::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::Duplicate(_) => Some("name"),
            _ => None,
        }
    }
    fn detail(&self) -> String {
        match self {
            Self::Invalid { message, .. } => message.clone(),
            _ => self.to_string(),
        }
    }
    fn field_errors(&self) -> Option<Vec<FieldError>> {
        match self {
            Self::InvalidGraph(problems) => Some(
                problems
                    .iter()
                    .map(|p| FieldError {
                        field: match &p.node_id {
                            Some(id) => format!("graph.nodes.{id}"),
                            None => "graph".into(),
                        },
                        detail: p.message.clone(),
                    })
                    .collect(),
            ),
            _ => None,
        }
    }
}

impl From<crate::db::sql::Error> for TemplateError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(e.into())
    }
}

fn builtin_graph(b: &Builtin) -> Graph {
    serde_json::from_str(b.graph_json).expect("built-in templates are valid JSON (tested)")
}

fn builtin_template(b: &Builtin) -> Template {
    Template {
        id: b.id.into(),
        name: b.name.into(),
        description: b.description.into(),
        builtin: true,
        current_version: builtin_version(b),
        version_count: 1,
        created_at: BUILTIN_CREATED_AT.into(),
        updated_at: BUILTIN_CREATED_AT.into(),
    }
}

fn builtin_version(b: &Builtin) -> TemplateVersion {
    TemplateVersion {
        id: format!("{}@1", b.id),
        template_id: b.id.into(),
        number: 1,
        graph: builtin_graph(b),
        note: String::new(),
        created_at: BUILTIN_CREATED_AT.into(),
    }
}

fn find_builtin(id: &str) -> Option<&'static Builtin> {
    BUILTIN.iter().find(|b| b.id == id)
}

fn version_row(r: &Row<'_>) -> crate::db::sql::Result<TemplateVersion> {
    let graph: String = r.get(4)?;
    Ok(TemplateVersion {
        id: r.get(0)?,
        template_id: r.get(1)?,
        number: r.get(2)?,
        note: r.get(3)?,
        graph: crate::db::json_column(
            "workflow_template_versions.graph",
            &graph,
            Graph {
                nodes: Vec::new(),
                edges: Vec::new(),
            },
        ),
        created_at: r.get(5)?,
    })
}

const VERSION_SELECT: &str =
    "SELECT id, template_id, number, note, graph, created_at FROM workflow_template_versions";

fn load(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    id: &str,
) -> Result<Template, TemplateError> {
    if let Some(b) = find_builtin(id) {
        return Ok(builtin_template(b));
    }
    let row = c
        .query_row(
            "SELECT id, name, description, current_version_id, created_at, updated_at,
                    (SELECT COUNT(*) FROM workflow_template_versions v WHERE v.template_id = t.id)
             FROM workflow_templates t WHERE id = ?1 AND owner_id = ?2 AND deleted_at IS NULL",
            params![id, owner_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, u32>(6)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| TemplateError::NotFound(id.to_string()))?;
    let current = c.query_row(
        &format!("{VERSION_SELECT} WHERE id = ?1"),
        [&row.3],
        version_row,
    )?;
    Ok(Template {
        id: row.0,
        name: row.1,
        description: row.2,
        builtin: false,
        current_version: current,
        version_count: row.6,
        created_at: row.4,
        updated_at: row.5,
    })
}

fn clean_name(name: &str) -> Result<String, TemplateError> {
    crate::validate::name("name", name, 200).map_err(|e| TemplateError::Invalid {
        field: e.field,
        message: e.message,
    })
}

fn check_graph(g: &Graph) -> Result<String, TemplateError> {
    let problems = graph::validate(g);
    if !problems.is_empty() {
        return Err(TemplateError::InvalidGraph(problems));
    }
    Ok(serde_json::to_string(g).expect("graphs serialise"))
}

/// Checks a graph without storing anything.
pub fn validate_graph(g: &Graph) -> Validation {
    let problems = graph::validate(g);
    Validation {
        valid: problems.is_empty(),
        problems,
    }
}

#[tracing::instrument(skip(state, input), fields(name = %input.name))]
pub async fn create(
    state: &AppState,
    owner_id: &str,
    input: NewTemplate,
) -> Result<Template, TemplateError> {
    let name = clean_name(&input.name)?;
    let graph = check_graph(&input.graph)?;
    let now = rfc3339(state.clock.now());
    let (id, vid) = (
        state.ids.new_id().to_string(),
        state.ids.new_id().to_string(),
    );
    let owner = owner_id.to_string();
    let description = input.description.unwrap_or_default();
    let note = input.note.unwrap_or_default();
    state
        .db
        .write(move |tx| {
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM workflow_templates
                                WHERE owner_id = ?1 AND name = ?2 AND deleted_at IS NULL)",
                params![owner, name],
                |r| r.get(0),
            )?;
            if taken || BUILTIN.iter().any(|b| b.id == name) {
                return Err(TemplateError::Duplicate(name));
            }
            tx.execute(
                "INSERT INTO workflow_templates (id, owner_id, name, description, current_version_id,
                                                 created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![id, owner, name, description, vid, now],
            )?;
            tx.execute(
                "INSERT INTO workflow_template_versions (id, template_id, number, graph, note, created_at)
                 VALUES (?1, ?2, 1, ?3, ?4, ?5)",
                params![vid, id, graph, note, now],
            )?;
            load(tx, &owner, &id)
        })
        .await
}

/// Built-in templates first, then the owner's, newest first.
#[tracing::instrument(skip(state))]
pub async fn list(
    state: &AppState,
    owner_id: &str,
    page: PageSpec,
) -> Result<(Vec<Template>, u64), TemplateError> {
    let owner = owner_id.to_string();
    state
        .db
        .read(move |c| {
            let ids: Vec<String> = {
                let mut stmt = c.prepare(
                    "SELECT id FROM workflow_templates WHERE owner_id = ?1 AND deleted_at IS NULL
                     ORDER BY updated_at DESC, id DESC",
                )?;
                let rows = stmt.query_map([&owner], |r| r.get(0))?;
                rows.collect::<crate::db::sql::Result<_>>()?
            };
            let all: Vec<String> = BUILTIN
                .iter()
                .map(|b| b.id.to_string())
                .chain(ids)
                .collect();
            let total = all.len() as u64;
            let items = all
                .iter()
                .skip(page.offset as usize)
                .take(page.limit as usize)
                .map(|id| load(c, &owner, id))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((items, total))
        })
        .await
}

#[tracing::instrument(skip(state))]
pub async fn get(state: &AppState, owner_id: &str, id: &str) -> Result<Template, TemplateError> {
    let (owner, id) = (owner_id.to_string(), id.to_string());
    state.db.read(move |c| load(c, &owner, &id)).await
}

#[tracing::instrument(skip(state, input))]
pub async fn add_version(
    state: &AppState,
    owner_id: &str,
    template_id: &str,
    input: NewTemplateVersion,
) -> Result<TemplateVersion, TemplateError> {
    if find_builtin(template_id).is_some() {
        return Err(TemplateError::ReadOnly(template_id.to_string()));
    }
    let graph = check_graph(&input.graph)?;
    let now = rfc3339(state.clock.now());
    let vid = state.ids.new_id().to_string();
    let (owner, tid) = (owner_id.to_string(), template_id.to_string());
    let note = input.note.unwrap_or_default();
    state
        .db
        .write(move |tx| {
            load(tx, &owner, &tid)?;
            tx.execute(
                "INSERT INTO workflow_template_versions (id, template_id, number, graph, note, created_at)
                 VALUES (?1, ?2, (SELECT MAX(number) + 1 FROM workflow_template_versions WHERE template_id = ?2),
                         ?3, ?4, ?5)",
                params![vid, tid, graph, note, now],
            )?;
            tx.execute(
                "UPDATE workflow_templates SET current_version_id = ?1, updated_at = ?2 WHERE id = ?3",
                params![vid, now, tid],
            )?;
            Ok(tx.query_row(
                &format!("{VERSION_SELECT} WHERE id = ?1"),
                [&vid],
                version_row,
            )?)
        })
        .await
}

#[tracing::instrument(skip(state))]
pub async fn list_versions(
    state: &AppState,
    owner_id: &str,
    template_id: &str,
) -> Result<Vec<TemplateVersion>, TemplateError> {
    if let Some(b) = find_builtin(template_id) {
        return Ok(vec![builtin_version(b)]);
    }
    let (owner, tid) = (owner_id.to_string(), template_id.to_string());
    state
        .db
        .read(move |c| {
            load(c, &owner, &tid)?;
            let mut stmt = c.prepare(&format!(
                "{VERSION_SELECT} WHERE template_id = ?1 ORDER BY number DESC"
            ))?;
            let rows = stmt.query_map([&tid], version_row)?;
            Ok(rows.collect::<crate::db::sql::Result<Vec<_>>>()?)
        })
        .await
}

/// A version by id, checking it belongs to a template the owner can see.
#[tracing::instrument(skip(state))]
pub async fn get_version(
    state: &AppState,
    owner_id: &str,
    version_id: &str,
) -> Result<TemplateVersion, TemplateError> {
    if let Some(b) = version_id.strip_suffix("@1").and_then(find_builtin) {
        return Ok(builtin_version(b));
    }
    let (owner, vid) = (owner_id.to_string(), version_id.to_string());
    state
        .db
        .read(move |c| {
            c.query_row(
                &format!(
                    "{VERSION_SELECT} WHERE id = ?1 AND template_id IN
                       (SELECT id FROM workflow_templates WHERE owner_id = ?2 AND deleted_at IS NULL)"
                ),
                params![vid, owner],
                version_row,
            )
            .optional()?
            .ok_or(TemplateError::VersionNotFound(vid))
        })
        .await
}
