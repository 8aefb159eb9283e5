//! The headless main job (`storyloom render`): script in, finished video out. It drives the same
//! services the API does — a project with the script, the offline `animatic` run, the review gate
//! (approved on the user's behalf unless they asked to review), and the export — in process.
use std::{path::PathBuf, time::Duration};

use anyhow::{bail, Context};

use crate::{
    export::{self, Export, ExportRequest, ExportStatus},
    projects, versions,
    workflow::{
        review::{self, Decision, DecisionInput},
        runs::{self, Run, StartRun},
        status::{NodeRunStatus, RunStatus},
    },
    AppState,
};

pub struct RenderOptions {
    pub script: PathBuf,
    pub output: PathBuf,
    /// The project's name (default: the script's file name).
    pub name: Option<String>,
    pub export: ExportRequest,
    /// Approve every frame at the review gate (the default); otherwise stop there.
    pub auto_approve: bool,
}

/// What the job reports as it goes, for a progress bar.
#[derive(Debug, Clone)]
pub enum JobProgress {
    Stage(String),
    /// The run: overall 0–1 and what it is doing.
    Run {
        progress: f64,
        message: String,
    },
    /// The export: 0–1 and ffmpeg's message.
    Export {
        progress: f64,
        message: String,
    },
}

pub struct RenderOutcome {
    pub project_id: String,
    pub run: Run,
    /// None when the job stopped at the review gate.
    pub export: Option<Export>,
    pub srt: Option<PathBuf>,
}

fn step_message(run: &Run) -> String {
    run.steps
        .iter()
        .find(|s| matches!(s.status, NodeRunStatus::Running | NodeRunStatus::Waiting))
        .map(|s| {
            let label = s.label.clone().unwrap_or_else(|| s.name.clone());
            match (s.items_total, s.items_done) {
                (t, d) if t > 0 => format!("{label} ({d}/{t})"),
                _ => label,
            }
        })
        .unwrap_or_else(|| run.status.to_string())
}

async fn wait_run(
    state: &AppState,
    owner: &str,
    run_id: &str,
    on: &mut impl FnMut(JobProgress),
) -> anyhow::Result<Run> {
    loop {
        let run = runs::get(state, owner, run_id).await?;
        on(JobProgress::Run {
            progress: run.progress,
            message: step_message(&run),
        });
        match run.status {
            RunStatus::Completed | RunStatus::WaitingReview => return Ok(run),
            RunStatus::Failed | RunStatus::Cancelled => bail!(
                "the workflow run {}: {}",
                run.status,
                run.error
                    .clone()
                    .unwrap_or_else(|| "no reason recorded".into())
            ),
            _ => tokio::time::sleep(Duration::from_millis(150)).await,
        }
    }
}

/// Runs the whole job. The caller owns presentation (`on` gets every progress report).
#[tracing::instrument(skip(state, opts, on), fields(script = %opts.script.display()))]
pub async fn render(
    state: &AppState,
    opts: RenderOptions,
    mut on: impl FnMut(JobProgress),
) -> anyhow::Result<RenderOutcome> {
    let owner = state
        .local_owner_id
        .clone()
        .context("the render job needs a local data directory (local mode)")?;
    // Bad settings are refused before any work is done.
    opts.export
        .settings(None)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let aspect = opts
        .export
        .aspect_ratio
        .as_ref()
        .and_then(|v| v.as_str())
        .and_then(projects::AspectRatio::from_api);
    let prepared = prepare(
        state,
        &owner,
        &opts.script,
        opts.name.clone(),
        aspect,
        opts.auto_approve,
        &mut on,
    )
    .await?;
    let (project_id, version_id, run) = (prepared.project_id, prepared.version_id, prepared.run);
    if run.status != RunStatus::Completed {
        return Ok(RenderOutcome {
            project_id,
            run,
            export: None,
            srt: None,
        });
    }
    on(JobProgress::Stage("exporting the video".into()));
    let mut req = opts.export;
    req.project_id = Some(project_id.clone());
    req.version_id = Some(version_id);
    req.run_id = Some(run.id.clone());
    let started = export::start(state, &owner, req).await?;
    let done = loop {
        let e = export::get(state, &owner, &started.id).await?;
        on(JobProgress::Export {
            progress: e.progress,
            message: e.message.clone(),
        });
        match e.status {
            ExportStatus::Completed => break e,
            ExportStatus::Failed | ExportStatus::Cancelled => bail!(
                "the export {}: {}",
                e.status,
                e.error.clone().unwrap_or_default()
            ),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    let file = export::video_file(state, &owner, &done).await?;
    export::copy_out(&file, &opts.output)
        .with_context(|| format!("cannot write {}", opts.output.display()))?;
    let srt = match &done.srt_asset_id {
        Some(id) => {
            let (_, path) = crate::assets::file_of(state, &owner, id).await?;
            let dest = opts.output.with_extension("srt");
            export::copy_out(&path, &dest)
                .with_context(|| format!("cannot write {}", dest.display()))?;
            Some(dest)
        }
        None => None,
    };
    Ok(RenderOutcome {
        project_id,
        run,
        export: Some(done),
        srt,
    })
}

/// Approves every undecided item at the review gate `run` waits at, as `reviewer`, and lets the run
/// go on (for work that asked for no reviewer: the headless job, a video made from a script).
pub async fn approve_waiting(
    state: &AppState,
    owner: &str,
    reviewer: &str,
    run: &Run,
    comment: &str,
) -> anyhow::Result<()> {
    let gate = run
        .steps
        .iter()
        .find(|s| s.kind == "review" && s.status == NodeRunStatus::Waiting)
        .context("the run waits for review but no review step is waiting")?
        .node_run_id
        .clone();
    let queue = review::review_assets(state, owner, &gate).await?;
    for item in queue
        .items
        .iter()
        .filter(|i| i.decision.is_none() && !i.locked)
    {
        review::decide(
            state,
            owner,
            reviewer,
            &gate,
            DecisionInput {
                item_key: Some(item.item_key.clone()),
                asset_id: None,
                decision: Decision::Approve,
                comment: comment.into(),
            },
        )
        .await?;
    }
    review::continue_run(state, owner, reviewer, &gate, Default::default()).await?;
    Ok(())
}

/// A project made from the script, with its `animatic` run finished (or waiting at review when
/// `auto_approve` is false).
pub struct Prepared {
    pub project_id: String,
    pub version_id: String,
    pub run: Run,
}

/// Makes the project and runs the offline workflow (the first half of [`render`]).
#[tracing::instrument(skip(state, on))]
pub async fn prepare(
    state: &AppState,
    owner: &str,
    script: &std::path::Path,
    name: Option<String>,
    aspect: Option<projects::AspectRatio>,
    auto_approve: bool,
    mut on: impl FnMut(JobProgress),
) -> anyhow::Result<Prepared> {
    let bytes = std::fs::read(script)
        .with_context(|| format!("cannot read the script {}", script.display()))?;
    let filename = script
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "script.txt".into());
    let name = name.unwrap_or_else(|| {
        script
            .file_stem()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| "Untitled".into())
    });
    on(JobProgress::Stage("parsing the script".into()));
    let project = projects::create(
        state,
        owner,
        projects::NewProject {
            name: name.chars().take(120).collect(),
            description: Some(format!("Rendered from {filename}")),
            aspect_ratio: aspect,
            style: None,
        },
    )
    .await?;
    let version_id = project
        .current_version_id
        .clone()
        .context("a new project has a version")?;
    let blob = {
        let blobs = state.blobs.clone();
        tokio::task::spawn_blocking(move || blobs.put_bytes(&bytes)).await??
    };
    versions::upload_script(state, owner, &project.id, &version_id, &filename, blob).await?;

    on(JobProgress::Stage("running the animatic workflow".into()));
    let run = runs::start(
        state,
        owner,
        StartRun {
            project_id: Some(project.id.clone()),
            version_id: Some(version_id.clone()),
            template_id: Some("animatic".into()),
            workflow_type: None,
            template_version_id: None,
        },
    )
    .await?;
    let mut run = wait_run(state, owner, &run.id, &mut on).await?;
    while run.status == RunStatus::WaitingReview && auto_approve {
        on(JobProgress::Stage("approving every frame".into()));
        approve_waiting(
            state,
            owner,
            owner,
            &run,
            "approved by `storyloom render` (no reviewer asked for)",
        )
        .await?;
        run = wait_run(state, owner, &run.id, &mut on).await?;
    }

    Ok(Prepared {
        project_id: project.id,
        version_id,
        run,
    })
}
