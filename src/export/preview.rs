//! The instant preview (issue 14): the current storyboard as a small video in about a second, so a
//! writer can watch the cut before paying the encoder for every frame.
//!
//! Each shot is one encoded frame held for the shot's length: the stills go through ffmpeg's concat
//! demuxer with durations (variable frame rate), at 360 px on the short side, x264 `ultrafast`.
//! Pictures are the shots' keyframes (approved or chosen), else their latest candidates, drawn
//! clean; voices come from the version's latest completed run where a line's text is unchanged;
//! subtitle cues are returned beside the video for the player to show. A final export stays
//! constant frame rate for the platforms (see [`super::plan`]).
use std::{
    collections::HashMap,
    fmt::Write as _,
    path::{Path, PathBuf},
    time::Instant,
};

use crate::db::sql::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{
    active_asset_file, ffmpeg, find_timeline, frames, invalid, not_found,
    plan::{split_shot_time, Plan, PlanLine, PlanShot},
    preset::{Aspect, Container, Resolution, Settings, SubtitleMode, Transition},
    ExportError,
};
use crate::{blobs::BlobStore, render::Fonts, AppState};

/// Short side of a preview, in pixels.
pub const PREVIEW_SHORT_SIDE: u32 = 360;
/// Previews kept per owner (older ones are removed when a new one is made).
const KEEP: usize = 4;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PreviewRequest {
    pub project_id: Option<String>,
    /// Default: the project's current version.
    pub version_id: Option<String>,
    /// Subtitles with the speaker's name (default false).
    #[schema(value_type = Option<bool>)]
    pub speaker_names: Option<Value>,
}

/// One shot's place in the preview.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewShot {
    pub shot_id: String,
    pub number: u32,
    pub scene_number: u32,
    /// Seconds from the start of the video.
    pub start: f64,
    pub duration: f64,
    /// False when the shot has no picture yet (a blank card stands in).
    pub has_frame: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewCue {
    /// Seconds.
    pub start: f64,
    pub end: f64,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    pub preview_id: String,
    pub project_id: String,
    pub version_id: String,
    /// The MP4 (H.264 + AAC, variable frame rate: one frame per shot).
    pub video_url: String,
    pub width: u32,
    pub height: u32,
    pub aspect_ratio: String,
    /// Seconds.
    pub duration: f64,
    pub shots: Vec<PreviewShot>,
    pub cues: Vec<PreviewCue>,
    /// Lines spoken by a voice from the latest run (the rest are silent).
    pub voiced_lines: usize,
    /// Milliseconds it took to make.
    pub elapsed_ms: u64,
}

/// The preview's pixel size for a project aspect ratio.
pub fn preview_size(aspect: Aspect) -> (u32, u32) {
    let short = PREVIEW_SHORT_SIDE;
    let long = ((short as f64 * 16.0 / 9.0 / 2.0).round() as u32) * 2;
    match aspect {
        Aspect::Portrait => (short, long),
        Aspect::Landscape => (long, short),
        Aspect::Square => (short, short),
    }
}

/// What the preview is made of, read in one transaction.
struct Gathered {
    project_id: String,
    version_id: String,
    aspect: Aspect,
    plan: Plan,
    has_frame: Vec<bool>,
    scene_numbers: Vec<u32>,
}

/// Voices recorded for the version's latest completed run: (shot, line index) → (text, file, ms).
type Voices = HashMap<(String, usize), (String, PathBuf, Option<i64>)>;

fn voices(c: &Connection, blobs: &BlobStore, owner_id: &str, version_id: &str) -> Voices {
    let mut out = Voices::new();
    // No completed run yet: a silent preview.
    let Ok((_, timeline)) = find_timeline(c, blobs, owner_id, version_id, None) else {
        return out;
    };
    for shot in timeline["shots"].as_array().into_iter().flatten() {
        let shot_id = shot["shot_id"].as_str().unwrap_or_default();
        for (i, line) in shot["lines"].as_array().into_iter().flatten().enumerate() {
            let Some(id) = line["audio_asset_id"].as_str() else {
                continue;
            };
            if let Ok(Some((path, _, _))) = active_asset_file(c, blobs, owner_id, id) {
                out.insert(
                    (shot_id.to_string(), i),
                    (
                        line["text"].as_str().unwrap_or_default().to_string(),
                        path,
                        line["audio_duration_ms"].as_i64(),
                    ),
                );
            }
        }
    }
    out
}

fn gather(
    c: &Connection,
    blobs: &BlobStore,
    owner_id: &str,
    req: &PreviewRequest,
    board: &crate::storyboard::StoryboardView,
) -> Result<Gathered, ExportError> {
    let project_id = board.project_id.clone();
    let aspect: Option<String> = c
        .query_row(
            "SELECT aspect_ratio FROM projects WHERE id = ?1 AND owner_id = ?2 AND deleted_at IS NULL",
            params![project_id, owner_id],
            |r| r.get(0),
        )
        .optional()?;
    let aspect = aspect.ok_or_else(|| not_found("project", &project_id))?;
    let aspect = Aspect::parse(&aspect).unwrap_or(Aspect::Portrait);
    let speaker_names = match &req.speaker_names {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(invalid(
                "speaker_names",
                "speaker_names must be true or false",
            ))
        }
    };
    let voices = voices(c, blobs, owner_id, &board.version_id);
    let mut shots = Vec::new();
    let (mut has_frame, mut scene_numbers) = (Vec::new(), Vec::new());
    let mut start = 0i64;
    for shot in board.scenes.iter().flat_map(|s| &s.shots) {
        let duration_ms = (shot.duration * 1000.0).round() as i64;
        let frame = frames::shot_frame(
            c,
            blobs,
            owner_id,
            &shot.id,
            shot.keyframe_asset_id.as_deref(),
        )?;
        let texts: Vec<&str> = shot.dialogue.iter().map(|l| l.text.as_str()).collect();
        let lines = shot
            .dialogue
            .iter()
            .zip(split_shot_time(start, duration_ms, &texts))
            .enumerate()
            .map(|(i, (l, (from, to)))| {
                // A voice is used only while its line still says the same thing.
                let voice = voices
                    .get(&(shot.id.clone(), i))
                    .filter(|(text, _, _)| *text == l.text);
                PlanLine {
                    character: l.character.clone(),
                    text: l.text.clone(),
                    start_ms: from,
                    end_ms: to,
                    audio: voice.map(|v| v.1.clone()),
                    audio_ms: voice.and_then(|v| v.2),
                }
            })
            .collect();
        has_frame.push(frame.is_some());
        scene_numbers.push(shot.scene_number);
        shots.push(PlanShot {
            shot_id: shot.id.clone(),
            number: shot.number,
            spec: frame
                .as_ref()
                .and_then(|f| frames::animatic_spec(&f.metadata)),
            image: frame.map(|f| f.path).unwrap_or_default(),
            clip: None,
            duration_ms,
            camera_move: shot.camera_move.clone(),
            lines,
        });
        start += duration_ms;
    }
    let settings = Settings {
        resolution: Resolution::P480,
        aspect,
        fps: 30,
        container: Container::Mp4,
        subtitles: SubtitleMode::Soft,
        transition: Transition::Cut,
        motion: false,
        music_asset_id: None,
        overlays: false,
        speaker_names,
    };
    let plan = Plan::new(settings, shots, None)?;
    Ok(Gathered {
        project_id,
        version_id: board.version_id.clone(),
        aspect,
        plan,
        has_frame,
        scene_numbers,
    })
}

/// What a shot's preview still depends on: its picture (file and animatic spec) and the size.
fn still_key(shot: &PlanShot, has_frame: bool, size: (u32, u32)) -> String {
    use sha2::{Digest, Sha256};
    let spec = shot
        .spec
        .as_ref()
        .and_then(|s| serde_json::to_string(s).ok())
        .unwrap_or_default();
    let picture = if has_frame {
        shot.image.to_string_lossy().into_owned()
    } else {
        String::new()
    };
    let text = format!(
        "preview-still-1|{}x{}|{picture}|{spec}|{}",
        size.0,
        size.1,
        crate::render::RENDERER_VERSION
    );
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn draw_still(
    shot: &PlanShot,
    has_frame: bool,
    size: (u32, u32),
    fonts: &Fonts,
) -> Result<image::RgbImage, ExportError> {
    let look = frames::FrameLook {
        overlays: false,
        caption: false,
    };
    let img = match (&shot.spec, has_frame) {
        (Some(spec), _) => frames::redraw(spec, look, size.0, size.1, fonts)?,
        (None, true) => match frames::decode_frame(&shot.image) {
            Some(img) => crate::media::cover(&img, size),
            None => blank(size),
        },
        (None, false) => blank(size),
    };
    Ok(if img.dimensions() == size {
        img
    } else {
        crate::media::cover(&img, size)
    })
}

/// Each shot's still at the preview size, in `cache` (clean animatic redraws, other pictures scaled
/// to cover, a blank card where there is none). A still already drawn for the same picture is
/// reused, so a second preview redraws only the shots that changed; the rest are drawn on every
/// core. Blocking.
fn write_stills(
    plan: &Plan,
    has_frame: &[bool],
    size: (u32, u32),
    cache: &Path,
    font: Option<&Path>,
) -> Result<Vec<PathBuf>, ExportError> {
    std::fs::create_dir_all(cache).map_err(|e| ExportError::Io(e.to_string()))?;
    let paths: Vec<PathBuf> = plan
        .shots
        .iter()
        .zip(has_frame)
        .map(|(shot, has)| cache.join(format!("{}.png", still_key(shot, *has, size))))
        .collect();
    let todo: Vec<usize> = (0..paths.len()).filter(|&i| !paths[i].is_file()).collect();
    if !todo.is_empty() {
        let fonts = Fonts::shared(font).map_err(|e| ExportError::Io(e.to_string()))?;
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .min(todo.len());
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| -> Result<(), ExportError> {
                        loop {
                            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(&i) = todo.get(k) else {
                                return Ok(());
                            };
                            let img = draw_still(&plan.shots[i], has_frame[i], size, &fonts)?;
                            let png = crate::render::try_encode_png(&img)
                                .map_err(|e| ExportError::Io(e.to_string()))?;
                            // Written aside and renamed: a reader never sees half a still.
                            let tmp = paths[i].with_extension(format!("{k}.part"));
                            std::fs::write(&tmp, png)
                                .and_then(|_| std::fs::rename(&tmp, &paths[i]))
                                .map_err(|e| ExportError::Io(e.to_string()))?;
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(ExportError::Io("a still could not be drawn".into()))
                    })
                })
                .collect::<Result<Vec<()>, ExportError>>()
        })?;
    }
    Ok(paths)
}

/// Drops cached stills the latest preview did not use once there are many more than it needs.
fn prune_stills(cache: &Path, used: &[PathBuf]) {
    let Ok(entries) = std::fs::read_dir(cache) else {
        return;
    };
    let files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    if files.len() <= used.len() * 4 + 16 {
        return;
    }
    for f in files {
        if !used.contains(&f) {
            let _ = std::fs::remove_file(f);
        }
    }
}

fn blank(size: (u32, u32)) -> image::RgbImage {
    image::RgbImage::from_pixel(size.0, size.1, image::Rgb([38, 38, 46]))
}

/// The concat list: each still (by absolute path, quoted for the demuxer) held for its shot
/// (frame-aligned), the last one named twice so the demuxer applies its duration.
pub fn concat_list(plan: &Plan, stills: &[PathBuf]) -> String {
    let mut list = String::from("ffconcat version 1.0\n");
    let fps = plan.settings.fps as f64;
    let quoted = |p: &Path| p.to_string_lossy().replace('\'', "'\\''");
    for (i, still) in stills.iter().enumerate() {
        let _ = writeln!(list, "file '{}'", quoted(still));
        let _ = writeln!(list, "duration {:.6}", plan.frames[i] as f64 / fps);
    }
    if let Some(last) = stills.last() {
        let _ = writeln!(list, "file '{}'", quoted(last));
    }
    list
}

/// The preview's ffmpeg arguments and filter graph (run in the directory holding `stills.txt`).
pub fn preview_command(plan: &Plan, output: &str) -> (Vec<String>, String) {
    let total = format!("{:.6}", plan.total_secs());
    let mut args: Vec<String> = [
        "-hide_banner",
        "-y",
        "-nostdin",
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        "stills.txt",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let mut filter = String::from("[0:v]setsar=1,format=yuv420p[vout];\n");
    // Mono at 24 kHz: speech stays clear and the audio costs the encoder half as much.
    let _ = writeln!(filter, "anullsrc=r=24000:cl=mono,atrim=end={total}[bed];");
    let mut labels = vec!["[bed]".to_string()];
    for line in plan.shots.iter().flat_map(|s| &s.lines) {
        let Some(audio) = &line.audio else { continue };
        let k = labels.len();
        args.extend(["-i".into(), audio.to_string_lossy().into_owned()]);
        let delay = line.start_ms.max(0);
        let _ = writeln!(
            filter,
            "[{k}:a]aresample=24000,aformat=sample_fmts=fltp:channel_layouts=mono,adelay={delay}[a{k}];"
        );
        labels.push(format!("[a{k}]"));
    }
    let _ = write!(
        filter,
        "{}amix=inputs={}:duration=first:dropout_transition=0:normalize=0,atrim=end={total}[aout]",
        labels.concat(),
        labels.len()
    );
    args.extend(
        [
            "-filter_complex_script",
            super::plan::FILTER_NAME,
            "-map",
            "[vout]",
            "-map",
            "[aout]",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "stillimage",
            "-crf",
            "26",
            "-pix_fmt",
            "yuv420p",
            // One frame per still: the frame rate varies (the final export stays constant).
            "-fps_mode",
            "vfr",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-ac",
            "1",
            "-ar",
            "24000",
            "-t",
        ]
        .map(String::from),
    );
    args.push(total);
    args.extend(["-movflags", "+faststart", "-f", "mp4"].map(String::from));
    args.push(output.to_string());
    (args, filter)
}

/// The tools, checked once per process (each check runs `ffmpeg -version`, a fair share of an
/// instant preview); a failed check is not kept, so installing ffmpeg needs no restart.
fn located_tools(configured: Option<&Path>) -> Result<ffmpeg::Tools, ExportError> {
    static FOUND: std::sync::Mutex<Option<(Option<PathBuf>, ffmpeg::Tools)>> =
        std::sync::Mutex::new(None);
    let mut found = FOUND.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((path, tools)) = found.as_ref() {
        if path.as_deref() == configured && tools.ffmpeg.is_file() {
            return Ok(tools.clone());
        }
    }
    let tools = ffmpeg::Tools::locate(configured)?;
    *found = Some((configured.map(Path::to_path_buf), tools.clone()));
    Ok(tools)
}

fn owner_dir(state: &AppState, owner_id: &str) -> PathBuf {
    use sha2::{Digest, Sha256};
    let tag = hex::encode(&Sha256::digest(owner_id.as_bytes())[..8]);
    state.config.data_dir.join("tmp").join("previews").join(tag)
}

/// Keeps the newest [`KEEP`] previews of a directory.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "mp4"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort();
    let extra = files.len().saturating_sub(KEEP);
    for (_, path) in files.into_iter().take(extra) {
        let _ = std::fs::remove_file(path);
    }
}

/// Makes a preview of a project version's storyboard as it stands.
#[tracing::instrument(skip(state, req))]
pub async fn preview(
    state: &AppState,
    owner_id: &str,
    req: PreviewRequest,
) -> Result<Preview, ExportError> {
    let started = Instant::now();
    let project_id = req
        .project_id
        .clone()
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| invalid("project_id", "project_id is required"))?;
    let board = crate::storyboard::storyboard(
        state,
        owner_id,
        &project_id,
        req.version_id.as_deref().filter(|v| !v.is_empty()),
    )
    .await
    .map_err(|e| match e {
        crate::versions::EditError::NotFound { what, id } => ExportError::NotFound { what, id },
        other => ExportError::Io(other.to_string()),
    })?;
    let (owner, blobs) = (owner_id.to_string(), state.blobs.clone());
    let g = state
        .db
        .read(move |c| gather(c, &blobs, &owner, &req, &board))
        .await?;
    let size = preview_size(g.aspect);
    let preview_id = state.ids.new_id().to_string();
    let dir = owner_dir(state, owner_id);
    let work = dir.join(format!("work-{preview_id}"));
    let configured = state.config.ffmpeg_path.clone();
    let font = state.config.font_path.clone();
    let (plan, has_frame) = (g.plan.clone(), g.has_frame.clone());
    let id2 = preview_id.clone();
    let dir2 = dir.clone();
    tokio::task::spawn_blocking(move || {
        let work_guard = super::WorkDir(work.clone());
        std::fs::create_dir_all(&work).map_err(|e| ExportError::Io(e.to_string()))?;
        let cache = dir2.join("stills");
        let stills = write_stills(&plan, &has_frame, size, &cache, font.as_deref())?;
        std::fs::write(work.join("stills.txt"), concat_list(&plan, &stills))
            .map_err(|e| ExportError::Io(e.to_string()))?;
        let (args, filter) = preview_command(&plan, "preview.mp4");
        std::fs::write(work.join(super::plan::FILTER_NAME), filter)
            .map_err(|e| ExportError::Io(e.to_string()))?;
        let tools = located_tools(configured.as_deref())?;
        ffmpeg::run(&tools, &work, &args, &ffmpeg::KillSwitch::default(), |_| {})?;
        std::fs::rename(work.join("preview.mp4"), dir2.join(format!("{id2}.mp4")))
            .map_err(|e| ExportError::Io(e.to_string()))?;
        drop(work_guard);
        prune(&dir2);
        prune_stills(&cache, &stills);
        Ok::<_, ExportError>(())
    })
    .await
    .map_err(|e| ExportError::Io(e.to_string()))??;

    let fps = g.plan.settings.fps as f64;
    let mut frame = 0u64;
    let shots = g
        .plan
        .shots
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let start = frame as f64 / fps;
            frame += g.plan.frames[i] as u64;
            PreviewShot {
                shot_id: s.shot_id.clone(),
                number: s.number,
                scene_number: g.scene_numbers[i],
                start,
                duration: g.plan.frames[i] as f64 / fps,
                has_frame: g.has_frame[i],
            }
        })
        .collect();
    let cues = g
        .plan
        .cues()
        .into_iter()
        .map(|c| PreviewCue {
            start: c.start_ms as f64 / 1000.0,
            end: c.end_ms as f64 / 1000.0,
            text: c.text,
        })
        .collect();
    let voiced_lines = g
        .plan
        .shots
        .iter()
        .flat_map(|s| &s.lines)
        .filter(|l| l.audio.is_some())
        .count();
    Ok(Preview {
        video_url: format!("/api/v1/export/previews/{preview_id}"),
        preview_id,
        project_id: g.project_id,
        version_id: g.version_id,
        width: size.0,
        height: size.1,
        aspect_ratio: g.aspect.as_str().into(),
        duration: g.plan.total_secs(),
        shots,
        cues,
        voiced_lines,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// The file of a preview this owner made (None when it is unknown or was pruned).
pub fn preview_file(state: &AppState, owner_id: &str, preview_id: &str) -> Option<PathBuf> {
    let valid = !preview_id.is_empty()
        && preview_id.len() <= 64
        && preview_id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'-');
    if !valid {
        return None;
    }
    let path = owner_dir(state, owner_id).join(format!("{preview_id}.mp4"));
    path.is_file().then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        let shot = |i: u32, ms: i64| PlanShot {
            shot_id: format!("s{i}"),
            number: i,
            image: PathBuf::new(),
            spec: None,
            clip: None,
            duration_ms: ms,
            camera_move: None,
            lines: vec![PlanLine {
                character: "林晓".into(),
                text: "你好".into(),
                start_ms: 0,
                end_ms: ms,
                audio: Some(PathBuf::from("/v/0.wav")),
                audio_ms: Some(500),
            }],
        };
        let settings = Settings {
            resolution: Resolution::P480,
            aspect: Aspect::Portrait,
            fps: 30,
            container: Container::Mp4,
            subtitles: SubtitleMode::Soft,
            transition: Transition::Cut,
            motion: false,
            music_asset_id: None,
            overlays: false,
            speaker_names: false,
        };
        Plan::new(settings, vec![shot(1, 2000), shot(2, 1010)], None).unwrap()
    }

    #[test]
    fn the_concat_list_holds_each_still_for_its_shot_and_names_the_last_twice() {
        let stills = [PathBuf::from("/c/a.png"), PathBuf::from("/c/it's.png")];
        let list = concat_list(&plan(), &stills);
        assert_eq!(
            list,
            "ffconcat version 1.0\nfile '/c/a.png'\nduration 2.000000\n\
             file '/c/it'\\''s.png'\nduration 1.000000\nfile '/c/it'\\''s.png'\n"
        );
    }

    #[test]
    fn the_preview_is_one_frame_per_still_at_a_variable_rate() {
        let (args, filter) = preview_command(&plan(), "p.mp4");
        let joined = args.join(" ");
        assert!(
            joined.contains("-f concat -safe 0 -i stills.txt"),
            "{joined}"
        );
        assert!(joined.contains("-preset ultrafast"), "{joined}");
        assert!(joined.contains("-fps_mode vfr"), "{joined}");
        assert!(!joined.contains("-r "), "no constant rate: {joined}");
        assert!(filter.contains("adelay=0["), "{filter}");
        assert!(filter.contains("amix=inputs=3"), "{filter}");
        assert_eq!(preview_size(Aspect::Portrait), (360, 640));
        assert_eq!(preview_size(Aspect::Landscape), (640, 360));
    }
}
