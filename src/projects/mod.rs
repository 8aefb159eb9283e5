//! Projects (docs/API-CONVENTIONS.md): the unit a creator works in. Deletes are soft so they can
//! be undone.
use crate::db::sql::{params, OptionalExtension, Row};
use crate::error::{CodedError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{clock::rfc3339, db::DbError, paging::PageSpec, AppState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum AspectRatio {
    #[serde(rename = "9:16")]
    Portrait,
    #[serde(rename = "16:9")]
    Landscape,
    #[serde(rename = "1:1")]
    Square,
}

impl AspectRatio {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Portrait => "9:16",
            Self::Landscape => "16:9",
            Self::Square => "1:1",
        }
    }
    /// An exact API value (`9:16`, `16:9`, `1:1`), or None.
    pub fn from_api(s: &str) -> Option<Self> {
        match s {
            "9:16" => Some(Self::Portrait),
            "16:9" => Some(Self::Landscape),
            "1:1" => Some(Self::Square),
            _ => None,
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "16:9" => Self::Landscape,
            "1:1" => Self::Square,
            _ => Self::Portrait,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    Draft,
    InProgress,
    Completed,
}

impl ProjectStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "in_progress" => Self::InProgress,
            "completed" => Self::Completed,
            _ => Self::Draft,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Project {
    /// UUIDv7.
    pub id: String,
    pub name: String,
    pub description: String,
    pub aspect_ratio: AspectRatio,
    pub style: Option<String>,
    pub status: ProjectStatus,
    pub script: Option<String>,
    /// The version the editor works on (see `versions`).
    pub current_version_id: Option<String>,
    /// The workspace the project belongs to (a person's personal workspace has their id).
    pub workspace_id: String,
    /// Credits a run may cost at most (null: the instance's default cap, if any).
    pub cost_cap: Option<i64>,
    /// The newest keyframe (candidate or approved) of the current version's shots, for the project
    /// list's thumbnail (an image asset: `GET /api/v1/assets/{id}/download`); null before any keyframe.
    pub thumbnail_asset_id: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The latest change to the project, its runs or its exports.
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewProject {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub aspect_ratio: Option<AspectRatio>,
    #[serde(default)]
    pub style: Option<String>,
}

/// Fields to change; absent fields stay as they are. An empty `style` clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ProjectPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub aspect_ratio: Option<AspectRatio>,
    pub status: Option<ProjectStatus>,
    pub style: Option<String>,
    pub script: Option<String>,
    /// Credits a run may cost at most; `null` removes the project's own cap.
    #[serde(default, with = "crate::validate::double_option")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    pub cost_cap: Option<Option<i64>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeletedProject {
    pub message: String,
    pub id: String,
    pub deleted_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("project '{0}' not found")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for ProjectError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Invalid { .. } => ErrorCode::ValidationError,
            Self::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
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

impl From<crate::db::sql::Error> for ProjectError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(e.into())
    }
}

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
pub const MAX_STYLE_CHARS: usize = 100;

fn invalid(field: &'static str, message: impl Into<String>) -> ProjectError {
    ProjectError::Invalid {
        field,
        message: message.into(),
    }
}

impl From<crate::validate::Invalid> for ProjectError {
    fn from(e: crate::validate::Invalid) -> Self {
        invalid(e.field, e.message)
    }
}

fn clean_name(name: &str) -> Result<String, ProjectError> {
    Ok(crate::validate::name("name", name, MAX_NAME_CHARS)?)
}

fn check_len(field: &'static str, value: &str, max: usize) -> Result<(), ProjectError> {
    Ok(crate::validate::max_chars(field, value, max)?)
}

fn clean_style(style: Option<&str>) -> Result<Option<String>, ProjectError> {
    Ok(crate::validate::optional_text(
        "style",
        style,
        MAX_STYLE_CHARS,
    )?)
}

/// A project as the API shows it. Its status and updated time are the stored `shown_*` columns,
/// which migration 0013's triggers keep equal to what its runs and exports make them (view
/// `projects_shown`): the list sorts and filters on them through an index.
const COLUMNS: &str =
    "p.id, p.name, p.description, p.aspect_ratio, p.shown_status, p.script, p.created_at, \
     p.shown_updated_at, p.current_version_id, p.owner_id, p.cost_cap, p.style, \
     (SELECT h.keyframe_asset_id FROM shots h
       JOIN assets a ON a.id = h.keyframe_asset_id AND a.status = 'active'
                     AND a.mime_type LIKE 'image/%'
      WHERE h.version_id = p.current_version_id AND h.deleted_at IS NULL
      ORDER BY a.created_at DESC, a.id DESC LIMIT 1) AS thumbnail_asset_id";

fn from_row(r: &Row<'_>) -> crate::db::sql::Result<Project> {
    Ok(Project {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        aspect_ratio: AspectRatio::parse(&r.get::<_, String>(3)?),
        status: ProjectStatus::parse(&r.get::<_, String>(4)?),
        script: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
        current_version_id: r.get(8)?,
        workspace_id: r.get(9)?,
        cost_cap: r.get(10)?,
        style: r.get(11)?,
        thumbnail_asset_id: r.get(12)?,
    })
}

pub(crate) fn load(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    id: &str,
) -> Result<Project, ProjectError> {
    c.query_row(
        &format!(
            "SELECT {COLUMNS} FROM projects p WHERE p.id = ?1 AND p.owner_id = ?2 AND p.deleted_at IS NULL"
        ),
        params![id, owner_id],
        from_row,
    )
    .optional()?
    .ok_or_else(|| ProjectError::NotFound(id.to_string()))
}

#[tracing::instrument(skip(state, input), fields(name = %input.name))]
pub async fn create(
    state: &AppState,
    owner_id: &str,
    input: NewProject,
) -> Result<Project, ProjectError> {
    let name = clean_name(&input.name)?;
    let description = input.description.unwrap_or_default();
    check_len("description", &description, MAX_DESCRIPTION_CHARS)?;
    let style = clean_style(input.style.as_deref())?;
    let now = rfc3339(state.clock.now());
    let project = Project {
        id: state.ids.new_id().to_string(),
        name,
        description,
        aspect_ratio: input.aspect_ratio.unwrap_or(AspectRatio::Portrait),
        style,
        status: ProjectStatus::Draft,
        script: None,
        current_version_id: None,
        workspace_id: owner_id.to_string(),
        cost_cap: None,
        thumbnail_asset_id: None,
        created_at: now.clone(),
        updated_at: now,
    };
    let (row, owner_id, ids) = (project, owner_id.to_string(), state.ids.clone());
    state
        .db
        .write(move |tx| insert_in_tx(tx, ids.as_ref(), &owner_id, row))
        .await
}

/// Inserts a project with its first (empty, current) version inside the caller's transaction.
pub(crate) fn insert_in_tx(
    tx: &crate::db::sql::Connection,
    ids: &dyn crate::clock::IdSource,
    owner_id: &str,
    mut row: Project,
) -> Result<Project, ProjectError> {
    tx.execute(
        "INSERT INTO projects (owner_id, id, name, description, aspect_ratio, style, status, script,
                               created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            owner_id,
            row.id,
            row.name,
            row.description,
            row.aspect_ratio.as_str(),
            row.style,
            row.status.as_str(),
            row.script,
            row.created_at,
            row.updated_at
        ],
    )?;
    row.current_version_id = Some(crate::versions::ensure_current_in_tx(
        tx,
        ids,
        &row.id,
        &row.created_at,
    )?);
    Ok(row)
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<ProjectStatus>,
}

/// The owner's live projects, most recently updated first.
#[tracing::instrument(skip(state))]
pub async fn list(
    state: &AppState,
    owner_id: &str,
    filter: ListFilter,
    page: PageSpec,
) -> Result<(Vec<Project>, u64), ProjectError> {
    let owner_id = owner_id.to_string();
    let status = filter.status.map(|s| s.as_str());
    state
        .db
        .read(move |c| Ok(list_page(c, &owner_id, status, page)?))
        .await
}

/// The total of [`list_page`]: the owner's live projects (of the shown status `?2` when
/// `filtered`), from the per-owner counts migration 0013's triggers keep (`project_counts`), so it
/// does not walk the owner's projects.
pub(crate) fn list_count_sql(filtered: bool) -> &'static str {
    if filtered {
        "SELECT COALESCE(SUM(live), 0) FROM project_counts WHERE owner_id = ?1 AND shown_status = ?2"
    } else {
        "SELECT COALESCE(SUM(live), 0) FROM project_counts WHERE owner_id = ?1"
    }
}

/// The rows of [`list_page`]: most recently updated first, `limit` rows from offset `?4`. The
/// limit is written into the statement (1–100, checked by `PageSpec`): SQLite plans with a bound
/// LIMIT's value, so a `LIMIT ?` re-prepared the statement on every run.
pub(crate) fn list_page_sql(filtered: bool, limit: u32) -> String {
    format!(
        "SELECT {COLUMNS} FROM projects p WHERE p.owner_id = ?1 AND p.deleted_at IS NULL{}
 ORDER BY p.shown_updated_at DESC, p.id DESC LIMIT {limit} OFFSET ?4",
        status_term(filtered)
    )
}

/// One statement per case rather than one with `(?2 IS NULL OR shown_status = ?2)`, so that
/// neither plan has to serve both.
fn status_term(filtered: bool) -> &'static str {
    if filtered {
        " AND p.shown_status = ?2"
    } else {
        ""
    }
}

/// One page of the owner's live projects (optionally of one shown status) and their total. Both
/// read one range of an index of migration 0013 (`projects_list`, `projects_list_status`), so a
/// page costs the same at 20 or 10,000 projects, and both stay prepared (`prepare_cached`).
pub(crate) fn list_page(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    status: Option<&str>,
    page: PageSpec,
) -> crate::db::sql::Result<(Vec<Project>, u64)> {
    let filtered = status.is_some();
    let mut count = c.prepare_cached(list_count_sql(filtered))?;
    let total: i64 = if filtered {
        count.query_row(params![owner_id, status], |r| r.get(0))?
    } else {
        count.query_row(params![owner_id], |r| r.get(0))?
    };
    if total == 0 || page.offset >= total as u64 {
        return Ok((Vec::new(), total as u64));
    }
    let mut stmt = c.prepare_cached(&list_page_sql(filtered, page.limit))?;
    let items = stmt
        .query_map(
            params![owner_id, status, None::<i64>, page.offset as i64],
            from_row,
        )?
        .collect::<crate::db::sql::Result<Vec<_>>>()?;
    Ok((items, total as u64))
}

#[tracing::instrument(skip(state))]
pub async fn get(state: &AppState, owner_id: &str, id: &str) -> Result<Project, ProjectError> {
    let (owner_id, id) = (owner_id.to_string(), id.to_string());
    state.db.read(move |c| load(c, &owner_id, &id)).await
}

#[tracing::instrument(skip(state, patch))]
pub async fn update(
    state: &AppState,
    owner_id: &str,
    id: &str,
    patch: ProjectPatch,
) -> Result<Project, ProjectError> {
    let name = patch.name.as_deref().map(clean_name).transpose()?;
    if let Some(d) = &patch.description {
        check_len("description", d, MAX_DESCRIPTION_CHARS)?;
    }
    if let Some(s) = &patch.script {
        // The same limit as the version's script, which this field writes (docs/API-EDITOR.md).
        if s.len() > crate::script::MAX_SCRIPT_BYTES {
            let too_large = crate::script::ScriptError::TooLarge {
                size: s.len(),
                limit: crate::script::MAX_SCRIPT_BYTES,
            };
            return Err(invalid("script", too_large.to_string()));
        }
    }
    let style = patch
        .style
        .as_deref()
        .map(|s| clean_style(Some(s)))
        .transpose()?;
    if let Some(Some(cap)) = patch.cost_cap {
        if !(0..=1_000_000).contains(&cap) {
            return Err(invalid(
                "cost_cap",
                format!("cost_cap is 0–1000000 credits, or null for none (got {cap})"),
            ));
        }
    }
    let now = rfc3339(state.clock.now());
    let (owner_id, id, ids) = (owner_id.to_string(), id.to_string(), state.ids.clone());
    state
        .db
        .write(move |tx| {
            let mut p = load(tx, &owner_id, &id)?;
            if let Some(v) = name {
                p.name = v;
            }
            if let Some(v) = patch.description {
                p.description = v;
            }
            if let Some(v) = patch.aspect_ratio {
                p.aspect_ratio = v;
            }
            if let Some(v) = patch.status {
                p.status = v;
            }
            if let Some(v) = style {
                p.style = v;
            }
            if let Some(v) = patch.cost_cap {
                p.cost_cap = v;
            }
            if let Some(v) = patch.script {
                // The script lives in the current version; the project column mirrors it, since
                // clients may also send `script` with the project (docs/API-EDITOR.md).
                let version_id =
                    crate::versions::ensure_current_in_tx(tx, ids.as_ref(), &p.id, &now)?;
                tx.execute(
                    "UPDATE project_versions SET script_text = ?1, updated_at = ?2,
                            script_revision = script_revision + 1
                     WHERE id = ?3",
                    params![v, now, version_id],
                )?;
                p.current_version_id = Some(version_id);
                p.script = Some(v);
            }
            p.updated_at = now;
            tx.execute(
                "UPDATE projects SET name = ?1, description = ?2, aspect_ratio = ?3, status = ?4,
                        style = ?5, script = ?6, updated_at = ?7, cost_cap = ?9
                 WHERE id = ?8",
                params![
                    p.name,
                    p.description,
                    p.aspect_ratio.as_str(),
                    p.status.as_str(),
                    p.style,
                    p.script,
                    p.updated_at,
                    p.id,
                    p.cost_cap
                ],
            )?;
            Ok::<_, ProjectError>(p)
        })
        .await
}

/// Soft delete: the project leaves every list until restored.
#[tracing::instrument(skip(state))]
pub async fn delete(
    state: &AppState,
    owner_id: &str,
    id: &str,
) -> Result<DeletedProject, ProjectError> {
    let now = rfc3339(state.clock.now());
    let (owner_id, id) = (owner_id.to_string(), id.to_string());
    state
        .db
        .write(move |tx| {
            let n = tx.execute(
                "UPDATE projects SET deleted_at = ?1
                 WHERE id = ?2 AND owner_id = ?3 AND deleted_at IS NULL",
                params![now, id, owner_id],
            )?;
            if n == 0 {
                return Err(ProjectError::NotFound(id));
            }
            Ok(DeletedProject {
                message: "Project deleted successfully".into(),
                id,
                deleted_at: now,
            })
        })
        .await
}

/// Undoes a delete. Restoring a project that is not deleted returns it unchanged.
#[tracing::instrument(skip(state))]
pub async fn restore(state: &AppState, owner_id: &str, id: &str) -> Result<Project, ProjectError> {
    let (owner_id, id) = (owner_id.to_string(), id.to_string());
    state
        .db
        .write(move |tx| {
            tx.execute(
                "UPDATE projects SET deleted_at = NULL WHERE id = ?1 AND owner_id = ?2",
                params![id, owner_id],
            )?;
            load(tx, &owner_id, &id)
        })
        .await
}

/// What the list showed before migration 0013 stored it (issue 14 item 7), derived on every read:
/// the reference [`stored_list_columns_drift`] holds the stored columns to.
const DERIVED_SHOWN: &str = "SELECT p.id, p.owner_id, p.deleted_at,
    CASE
      WHEN p.status = 'completed'
        OR EXISTS (SELECT 1 FROM exports e WHERE e.project_id = p.id AND e.status = 'completed')
        THEN 'completed'
      WHEN p.status = 'in_progress'
        OR EXISTS (SELECT 1 FROM workflow_runs r WHERE r.project_id = p.id)
        OR EXISTS (SELECT 1 FROM exports e WHERE e.project_id = p.id)
        THEN 'in_progress'
      ELSE p.status
    END AS shown_status,
    MAX(p.updated_at,
        COALESCE((SELECT MAX(r.updated_at) FROM workflow_runs r WHERE r.project_id = p.id), ''),
        COALESCE((SELECT MAX(e.updated_at) FROM exports e WHERE e.project_id = p.id), '')
    ) AS shown_updated_at
  FROM projects p";

/// Where the stored list columns (`projects.shown_status`, `projects.shown_updated_at`, the
/// `project_counts` totals) disagree with what the projects' runs and exports make them, one line
/// each; empty when they all agree. A consistency check for tests (it reads every project).
pub fn stored_list_columns_drift(
    c: &crate::db::sql::Connection,
) -> crate::db::sql::Result<Vec<String>> {
    let mut drift = Vec::new();
    let mut stmt = c.prepare(&format!(
        "SELECT d.id, d.shown_status, p.shown_status, d.shown_updated_at, p.shown_updated_at
           FROM ({DERIVED_SHOWN}) d JOIN projects p ON p.id = d.id
          WHERE d.shown_status IS DISTINCT FROM p.shown_status
             OR d.shown_updated_at IS DISTINCT FROM p.shown_updated_at"
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok(format!(
            "project {}: derived {} at {}, stored {} at {}",
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(4)?
        ))
    })?;
    for row in rows {
        drift.push(row?);
    }
    let mut stmt = c.prepare(&format!(
        "WITH counted AS (SELECT owner_id, shown_status, COUNT(*) AS n FROM ({DERIVED_SHOWN}) AS derived
                           WHERE deleted_at IS NULL GROUP BY owner_id, shown_status)
         SELECT owner_id, shown_status, n, COALESCE((SELECT live FROM project_counts k
                  WHERE k.owner_id = counted.owner_id AND k.shown_status = counted.shown_status), 0)
           FROM counted
         UNION ALL
         SELECT owner_id, shown_status, 0, live FROM project_counts k
          WHERE live <> 0 AND NOT EXISTS (SELECT 1 FROM counted
                 WHERE counted.owner_id = k.owner_id AND counted.shown_status = k.shown_status)"
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    for row in rows {
        let (owner, status, derived, stored) = row?;
        if derived != stored {
            drift.push(format!(
                "owner {owner}: {derived} live {status} projects, counted {stored}"
            ));
        }
    }
    Ok(drift)
}

/// A local-mode instance in a temporary dir whose owner has `n` projects (`p0`, `p1`, …), for the
/// tests below.
#[cfg(test)]
async fn instance_with_projects(
    n: usize,
) -> (tempfile::TempDir, crate::AppState, String, Vec<Project>) {
    let dir = tempfile::tempdir().unwrap();
    let state = crate::AppState::open(crate::config::Config::server(
        dir.path().to_path_buf(),
        crate::config::AuthMode::Local,
    ))
    .unwrap();
    let owner = state.local_owner_id.clone().unwrap();
    let mut projects = Vec::new();
    for i in 0..n {
        let input = NewProject {
            name: format!("p{i}"),
            description: None,
            aspect_ratio: None,
            style: None,
        };
        projects.push(create(&state, &owner, input).await.unwrap());
    }
    (dir, state, owner, projects)
}

#[cfg(test)]
mod stored_column_tests {
    use crate::db::sql::params;

    /// Migration 0013's triggers keep the stored list columns and totals equal to their derivation
    /// through every kind of change, made here in SQL as any code (or a cascade) could make it.
    #[tokio::test]
    async fn the_stored_list_columns_follow_every_kind_of_change() {
        let (_dir, state, owner, projects) = super::instance_with_projects(3).await;
        let ids: Vec<_> = projects
            .into_iter()
            .map(|p| (p.id, p.current_version_id.unwrap()))
            .collect();
        let check = |what: &str| {
            let drift = state
                .db
                .read_sync(|c| {
                    super::stored_list_columns_drift(c).map_err(crate::db::DbError::from)
                })
                .unwrap();
            assert!(drift.is_empty(), "after {what}: {drift:#?}");
        };
        check("creating projects");
        let (p0, v0) = ids[0].clone();
        let (p1, v1) = ids[1].clone();
        let sql = |what: &str, sql: &str, args: &[&dyn rusqlite::ToSql]| {
            state
                .db
                .write_sync(|tx| tx.execute(sql, args).map_err(crate::db::DbError::from))
                .unwrap();
            check(what);
        };
        let run = "INSERT INTO workflow_runs (id, owner_id, project_id, version_id, template_id,
                       template_version_id, graph, status, created_at, updated_at)
                   VALUES (?1, ?2, ?3, ?4, 't', 'tv', '{}', 'running', ?5, ?5)";
        sql(
            "a run",
            run,
            params!["r0", owner, p0, v0, "2030-01-01T00:00:00.000Z"],
        );
        sql(
            "a second, older run",
            run,
            params!["r1", owner, p0, v0, "2020-01-01T00:00:00.000Z"],
        );
        sql(
            "a run's progress",
            "UPDATE workflow_runs SET status = 'completed', updated_at = ?1 WHERE id = 'r0'",
            params!["2031-01-01T00:00:00.000Z"],
        );
        let export = "INSERT INTO exports (id, owner_id, project_id, version_id, run_id, settings,
                          status, video_length_ms, frames, created_at, updated_at)
                      VALUES (?1, ?2, ?3, ?4, 'r0', '{}', 'queued', 1, 1, ?5, ?5)";
        sql(
            "an export",
            export,
            params!["e0", owner, p0, v0, "2032-01-01T00:00:00.000Z"],
        );
        sql(
            "an export of another project",
            export,
            params!["e1", owner, p1, v1, "2019-01-01T00:00:00.000Z"],
        );
        sql(
            "an export's progress",
            "UPDATE exports SET progress = 0.5, updated_at = ?1 WHERE id = 'e1'",
            params!["2033-01-01T00:00:00.000Z"],
        );
        sql(
            "an export's completion",
            "UPDATE exports SET status = 'completed', updated_at = ?1 WHERE id = 'e0'",
            params!["2034-01-01T00:00:00.000Z"],
        );
        sql(
            "a status set by hand",
            "UPDATE projects SET status = 'draft', updated_at = ?1 WHERE id = ?2",
            params!["2035-01-01T00:00:00.000Z", p0],
        );
        sql(
            "a change that is neither status nor time",
            "UPDATE projects SET name = 'renamed', script = 'x' WHERE id = ?1",
            params![p0],
        );
        sql(
            "an export's removal",
            "DELETE FROM exports WHERE id = 'e0'",
            params![],
        );
        sql(
            "a run's removal",
            "DELETE FROM workflow_runs WHERE id = 'r1'",
            params![],
        );
        sql(
            "a soft delete",
            "UPDATE projects SET deleted_at = ?1 WHERE id = ?2",
            params!["2036-01-01T00:00:00.000Z", p1],
        );
        sql(
            "a restore",
            "UPDATE projects SET deleted_at = NULL WHERE id = ?1",
            params![p1],
        );
        sql(
            "a version's removal (its runs and exports cascade)",
            "DELETE FROM project_versions WHERE id = ?1",
            params![v0],
        );
        sql(
            "a project's removal",
            "DELETE FROM projects WHERE id = ?1",
            params![p1],
        );
        // And through the services.
        let patch = |status| super::ProjectPatch {
            status: Some(status),
            ..Default::default()
        };
        let p2 = ids[2].0.clone();
        for status in [
            super::ProjectStatus::Completed,
            super::ProjectStatus::InProgress,
            super::ProjectStatus::Draft,
        ] {
            super::update(&state, &owner, &p2, patch(status))
                .await
                .unwrap();
            check("a status patch");
        }
        super::delete(&state, &owner, &p2).await.unwrap();
        check("a delete");
        super::restore(&state, &owner, &p2).await.unwrap();
        super::restore(&state, &owner, &p2).await.unwrap();
        check("restoring twice");
        let spec = crate::paging::PageSpec::resolve(Some(1), Some(20), None).unwrap();
        let (items, total) = super::list(&state, &owner, super::ListFilter::default(), spec)
            .await
            .unwrap();
        assert_eq!((items.len(), total), (2, 2), "{items:?}");
    }
}

#[cfg(test)]
mod peer_sql_tests {
    /// The FastAPI peer of the hot-paths benchmark (scripts/bench-hot-paths.sh) runs the very
    /// statements the list runs, so the comparison measures the servers, not the SQL.
    #[test]
    fn the_benchmark_peer_runs_the_same_statements() {
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(
            norm(include_str!("../../benches/peer_fastapi/count.sql")),
            norm(super::list_count_sql(false))
        );
        assert_eq!(
            norm(&include_str!("../../benches/peer_fastapi/page.sql").replace("{limit}", "20")),
            norm(&super::list_page_sql(false, 20))
        );
    }

    /// The list reads one index range (migration 0013): no statement of it scans the owner's
    /// projects or sorts them, so a page costs the same at 20 or 10,000 projects.
    #[test]
    fn the_list_statements_read_an_index_range() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(&dir.path().join("t.db"), 1).unwrap();
        db.read_sync(|c| {
            let c = c.as_sqlite().expect("a SQLite plan");
            for filtered in [false, true] {
                for (sql, index) in [
                    (
                        super::list_count_sql(filtered).to_string(),
                        "project_counts",
                    ),
                    (
                        super::list_page_sql(filtered, 20),
                        if filtered {
                            "projects_list_status"
                        } else {
                            "projects_list"
                        },
                    ),
                ] {
                    let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                    let args = &["o", "draft", "", "0"][..stmt.parameter_count()];
                    let plan = stmt
                        .query_map(rusqlite::params_from_iter(args), |r| {
                            Ok((r.get::<_, i64>(1)?, r.get::<_, String>(3)?))
                        })?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    let top: Vec<&String> = plan
                        .iter()
                        .filter(|(parent, _)| *parent == 0)
                        .map(|(_, d)| d)
                        .collect();
                    assert!(
                        top.iter()
                            .any(|d| d.starts_with("SEARCH") && d.contains(index)),
                        "{sql}: {plan:?}"
                    );
                    assert!(
                        plan.iter().all(|(_, d)| !d.starts_with("SCAN"))
                            && top.iter().all(|d| !d.contains("TEMP B-TREE")),
                        "{sql}: {plan:?}"
                    );
                }
            }
            Ok::<_, crate::db::DbError>(())
        })
        .unwrap();
    }

    /// A cached statement that SQLite re-prepares on every run (a plan that depends on a bound
    /// value) costs its parse every time all the same: the list's statements must not.
    #[tokio::test]
    async fn the_list_statements_are_prepared_once() {
        use rusqlite::StatementStatus;
        let (_dir, state, owner, _) = super::instance_with_projects(3).await;
        let spec = |page| crate::paging::PageSpec::resolve(Some(page), Some(2), None);
        state
            .db
            .read(move |c| {
                for round in 0..3 {
                    for status in [None, Some("draft"), Some("completed")] {
                        for page in [1, 2] {
                            let (items, total) =
                                super::list_page(c, &owner, status, spec(page).unwrap()).unwrap();
                            let want = if status == Some("completed") { 0 } else { 3 };
                            assert_eq!(total, want, "round {round}");
                            let shown = match (want, page) {
                                (0, _) => 0,
                                (_, 1) => 2,
                                _ => 1,
                            };
                            assert_eq!(items.len(), shown, "round {round}");
                        }
                    }
                }
                for filtered in [false, true] {
                    for sql in [
                        super::list_count_sql(filtered).to_string(),
                        super::list_page_sql(filtered, 2),
                    ] {
                        let mut stmt = c.prepare_cached(&sql)?;
                        assert_eq!(
                            stmt.sqlite_status(StatementStatus::RePrepare),
                            0,
                            "re-prepared: {sql}"
                        );
                    }
                }
                Ok::<_, crate::db::DbError>(())
            })
            .await
            .unwrap();
    }
}
