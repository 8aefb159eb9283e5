//! Video export over real TCP with the real ffmpeg: every file is checked with ffprobe (duration
//! within one frame of the storyboard, resolution, codecs, streams) and its subtitle text read back.
//! Also: cancel leaves no partial file, bad input is a clear 4xx with nothing written, the
//! storyboard sheet is a PDF with a page per six shots.
mod common;

use std::{path::Path, process::Command, time::Duration};

use common::{assert_error, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::config::AuthMode;

/// Short on purpose: three scenes, a handful of shots, Chinese dialogue.
const SCRIPT: &str = "第1集\n\
场景1：公园 日 外\n\
△ 林晓坐在长椅上看书。\n\
林晓：今天的风真舒服。\n\
王磊：我给你带了咖啡。\n\
场景2：咖啡馆 夜 内\n\
△ 两人面对面坐着，窗外下着雨。\n\
林晓（微笑）：谢谢你一直陪着我。\n\
场景3：街道 夜 外\n\
△ 王磊独自走在雨中。\n";

async fn project(s: &TestServer, text: &str) -> (String, String) {
    let (status, p) = s
        .post(
            "/api/v1/projects",
            json!({"name": "导出测试", "aspect_ratio": "9:16"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let (pid, vid) = (
        p["id"].as_str().unwrap().to_string(),
        p["current_version_id"].as_str().unwrap().to_string(),
    );
    let (status, body) = s
        .call(
            Method::PUT,
            &format!("/api/v1/projects/{pid}/versions/{vid}/script"),
            Some(json!({"text": text})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (pid, vid)
}

async fn run_state(s: &TestServer, id: &str) -> Value {
    let (status, run) = s.get(&format!("/api/v1/workflow-runs/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    run
}

/// Runs the animatic template on the project's current version, approving every frame.
async fn finished_run(s: &TestServer, pid: &str) -> Value {
    let (status, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": "animatic"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let id = run["id"].as_str().unwrap().to_string();
    for _ in 0..1200 {
        let run = run_state(s, &id).await;
        match run["status"].as_str().unwrap() {
            "waiting_review" => {
                let gate = run["steps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|st| st["kind"] == "review")
                    .unwrap()["node_run_id"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let (status, body) = s
                    .post(
                        &format!("/api/v1/workflow/node-runs/{gate}/review/continue"),
                        json!({}),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
            "completed" => return run,
            "failed" | "cancelled" => panic!("run ended: {run}"),
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("run {id} never finished");
}

async fn start_export(s: &TestServer, body: Value) -> Value {
    let (status, e) = s.post("/api/v1/export", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{e}");
    assert!(
        matches!(e["status"].as_str(), Some("queued" | "processing")),
        "{e}"
    );
    e
}

async fn wait_export(s: &TestServer, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..3000 {
        let (status, e) = s.get(&format!("/api/v1/export/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{e}");
        if done(&e) {
            return e;
        }
        assert_ne!(e["status"], "failed", "export failed: {e}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("export {id} never got there");
}

async fn download(s: &TestServer, url: &str, to: &Path) -> Vec<u8> {
    let res = s.client.get(s.url(url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    std::fs::write(to, &bytes).unwrap();
    bytes
}

fn ffprobe(file: &Path) -> Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(file)
        .output()
        .expect("ffprobe runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn streams<'a>(probe: &'a Value, kind: &str) -> Vec<&'a Value> {
    probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["codec_type"] == kind)
        .collect()
}

fn duration(probe: &Value) -> f64 {
    probe["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// The subtitle track read back by ffmpeg, as SRT text.
fn subtitle_text(file: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(["-map", "0:s:0", "-f", "srt", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Mean luma difference between two videos' frames at `t`, in a band of rows (fractions of height).
fn frame_difference(a: &Path, b: &Path, t: f64, rows: (f64, f64)) -> f64 {
    let gray = |f: &Path| {
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-ss", &format!("{t:.3}"), "-i"])
            .arg(f)
            .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let (ga, gb) = (gray(a), gray(b));
    assert_eq!(ga.len(), gb.len());
    let (w, h) = (480usize, ga.len() / 480);
    let (r0, r1) = ((rows.0 * h as f64) as usize, (rows.1 * h as f64) as usize);
    let mut sum = 0u64;
    for y in r0..r1 {
        for x in 0..w {
            sum += (ga[y * w + x] as i32 - gb[y * w + x] as i32).unsigned_abs() as u64;
        }
    }
    sum as f64 / ((r1 - r0) * w) as f64
}

/// Integrated loudness (LUFS) and the loudest sample (dBFS) of a file's audio.
fn loudness(file: &Path) -> (f64, f64) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(file)
        .args(["-af", "ebur128=peak=sample", "-f", "null", "-"])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    let summary = log.rsplit("Summary:").next().unwrap_or_default();
    let value = |key: &str| -> f64 {
        summary
            .lines()
            .find(|l| l.trim_start().starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in {summary}"))
    };
    (value("I:"), value("Peak:"))
}

/// The first cue's (start, end) in ms, from SRT text.
fn cue_span(srt: &str) -> (i64, i64) {
    let line = srt.lines().find(|l| l.contains(" --> ")).expect("a cue");
    let ms = |t: &str| -> i64 {
        let (hms, milli) = t.trim().split_once(',').unwrap();
        let p: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
        ((p[0] * 60 + p[1]) * 60 + p[2]) * 1000 + milli.parse::<i64>().unwrap()
    };
    let (a, b) = line.split_once(" --> ").unwrap();
    (ms(a), ms(b))
}

/// The statuses of the ledger holds made for an export.
fn hold_status(s: &TestServer, export_id: &str) -> Vec<String> {
    let id = export_id.to_string();
    s.state
        .db
        .read_sync(move |c| {
            let mut stmt = c.prepare(
                "SELECT status FROM ledger_holds WHERE purpose = 'export' AND work_id = ?1 ORDER BY created_at",
            )?;
            let rows = stmt
                .query_map([&id], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, storyloom::db::DbError>(rows)
        })
        .unwrap()
}

fn espeak_required() -> bool {
    std::env::var_os("STORYLOOM_REQUIRE_ESPEAK").is_some()
        || Command::new("espeak-ng").arg("--version").output().is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mp4_has_voice_soft_subtitles_an_srt_and_the_storyboard_length() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, vid) = project(&s, SCRIPT).await;
    let run = finished_run(&s, &pid).await;
    let (_, board) = s
        .get(&format!(
            "/api/v1/projects/{pid}/storyboard?version_id={vid}"
        ))
        .await;
    let total = board["total_duration"].as_f64().unwrap();
    assert!(total > 3.0, "{board}");

    let body = json!({"project_id": pid, "resolution": "480p", "format": "mp4", "fps": 30,
                      "include_subtitles": true});
    let (status, est) = s.post("/api/v1/export/estimate", body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{est}");
    assert_eq!(est["run_id"], run["id"]);
    assert_eq!(
        (est["width"].as_u64(), est["height"].as_u64()),
        (Some(480), Some(854))
    );
    assert!(
        (est["video_length"].as_f64().unwrap() - total).abs() < 1.0 / 30.0 + 1e-9,
        "{est}"
    );
    assert_eq!(est["estimated_cost"], 0);
    assert_eq!(est["sufficient_quota"], true);
    assert!(est["estimated_duration"].as_u64().unwrap() >= 1);

    let e = start_export(&s, body).await;
    let id = e["export_id"].as_str().unwrap().to_string();
    let done = wait_export(&s, &id, |e| e["status"] == "completed").await;
    assert_eq!(done["progress"], 1.0);
    assert_eq!(done["resolution"], "480p");
    assert_eq!(done["include_subtitles"], "soft");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.mp4");
    let bytes = download(&s, done["video_url"].as_str().unwrap(), &file).await;
    assert_eq!(bytes.len() as u64, done["file_size"].as_u64().unwrap());
    // faststart: the index comes before the media data.
    let find = |tag: &[u8]| bytes.windows(4).position(|w| w == tag).unwrap();
    assert!(
        find(b"moov") < find(b"mdat"),
        "moov must precede mdat (faststart)"
    );

    let probe = ffprobe(&file);
    let d = duration(&probe);
    assert!(
        (d - total).abs() <= 1.0 / 30.0 + 0.001,
        "duration {d} vs storyboard {total}"
    );
    let v = streams(&probe, "video");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["codec_name"], "h264");
    assert_eq!(
        (v[0]["width"].as_u64(), v[0]["height"].as_u64()),
        (Some(480), Some(854))
    );
    assert_eq!(v[0]["pix_fmt"], "yuv420p");
    assert_eq!(v[0]["r_frame_rate"], "30/1");
    let a = streams(&probe, "audio");
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["codec_name"], "aac");
    assert_eq!(a[0]["sample_rate"], "48000");
    let subs = streams(&probe, "subtitle");
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0]["codec_name"], "mov_text");

    // The soft track says what the .srt beside the video says, at the same times.
    let track = subtitle_text(&file);
    let srt_file = dir.path().join("out.srt");
    let srt =
        String::from_utf8(download(&s, done["subtitles_url"].as_str().unwrap(), &srt_file).await)
            .unwrap();
    assert!(srt.contains("林晓：今天的风真舒服。"), "{srt}");
    assert!(track.contains("林晓：今天的风真舒服。"), "{track}");
    assert!(track.contains("林晓：谢谢你一直陪着我。"), "{track}");
    let times = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.contains(" --> "))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(times(&track), times(&srt));
    assert_eq!(times(&srt).len(), 3);
    // Shot 1 is action only: the first line comes with shot 2, which starts where shot 1 ends.
    let first_shot_ms =
        (board["scenes"][0]["shots"][0]["duration"].as_f64().unwrap() * 1000.0).round() as i64;
    assert_eq!(cue_span(&srt).0, first_shot_ms, "{srt}");

    if espeak_required() {
        let (lufs, peak) = loudness(&file);
        assert!(
            (-20.0..=-10.0).contains(&lufs),
            "integrated loudness {lufs} LUFS"
        );
        assert!(peak <= 0.0, "clipping: peak {peak} dBFS");
    }

    // The export and its .srt are assets with provenance, and the history lists it.
    let (_, asset) = s
        .get(&format!(
            "/api/v1/assets/{}",
            done["asset_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(asset["type"], "export_video");
    assert_eq!(asset["mime_type"], "video/mp4");
    assert_eq!(asset["metadata"]["export_id"], id.as_str());
    assert_eq!(asset["metadata"]["video_codec"], "h264");
    let (status, history) = s.get("/api/v1/export/history?skip=0&limit=10").await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history["total"], 1);
    assert_eq!(history["items"][0]["export_id"], id.as_str());
    assert_eq!(history["items"][0]["project_name"], "导出测试");

    // Charged only on success, through the ledger: a settled zero-cost hold is its usage record.
    assert_eq!(hold_status(&s, &id), ["settled"]);

    // A finished export cannot be cancelled.
    let (status, body) = s
        .post(&format!("/api/v1/export/{id}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // The work directory is gone.
    assert!(!s
        .dir
        .path()
        .join("tmp")
        .join(format!("export-{id}"))
        .exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webm_with_crossfades_and_burned_subtitles() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, vid) = project(&s, SCRIPT).await;
    finished_run(&s, &pid).await;
    let (_, board) = s
        .get(&format!(
            "/api/v1/projects/{pid}/storyboard?version_id={vid}"
        ))
        .await;
    let total = board["total_duration"].as_f64().unwrap();

    let mut files = Vec::new();
    let mut srt = String::new();
    let dir = tempfile::tempdir().unwrap();
    for subs in ["burn", "none"] {
        let e = start_export(
            &s,
            json!({"project_id": pid, "resolution": "480p", "format": "webm", "fps": 25,
                   "transition": "crossfade", "include_subtitles": subs}),
        )
        .await;
        let done = wait_export(&s, e["id"].as_str().unwrap(), |e| {
            e["status"] == "completed"
        })
        .await;
        assert_eq!(done["format"], "webm");
        assert_eq!(done["transition"], "crossfade");
        let file = dir.path().join(format!("{subs}.webm"));
        download(&s, done["video_url"].as_str().unwrap(), &file).await;
        if subs == "burn" {
            let bytes = download(
                &s,
                done["subtitles_url"].as_str().unwrap(),
                &dir.path().join("s.srt"),
            )
            .await;
            srt = String::from_utf8(bytes).unwrap();
        }
        let probe = ffprobe(&file);
        assert_eq!(probe["format"]["format_name"], "matroska,webm");
        let d = duration(&probe);
        assert!(
            (d - total).abs() <= 1.0 / 25.0 + 0.001,
            "duration {d} vs {total}"
        );
        assert_eq!(streams(&probe, "video")[0]["codec_name"], "vp9");
        assert_eq!(streams(&probe, "audio")[0]["codec_name"], "opus");
        assert!(
            streams(&probe, "subtitle").is_empty(),
            "burned or none: no track"
        );
        files.push(file);
    }
    // Half-way through the first cue the burned captions differ from the clean export near the
    // bottom of the picture, and barely at the top.
    let (from, to) = cue_span(&srt);
    let mid = (from + to) as f64 / 2000.0;
    let bottom = frame_difference(&files[0], &files[1], mid, (0.75, 0.95));
    let top = frame_difference(&files[0], &files[1], mid, (0.05, 0.25));
    assert!(
        bottom > 2.0 && bottom > top * 4.0,
        "bottom {bottom}, top {top}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_kills_ffmpeg_and_leaves_no_partial_file() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, _) = project(&s, &SCRIPT.repeat(3)).await;
    finished_run(&s, &pid).await;
    let count_exports = |s: &TestServer| {
        s.state.db.read_sync(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM assets WHERE type = 'export_video'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(storyloom::db::DbError::from)
        })
    };
    // 2160p: slow enough to catch mid-encode.
    let e = start_export(&s, json!({"project_id": pid, "resolution": "2160p"})).await;
    let id = e["id"].as_str().unwrap().to_string();
    let work = s.dir.path().join("tmp").join(format!("export-{id}"));
    wait_export(&s, &id, |e| {
        e["status"] == "processing" && e["progress"].as_f64().unwrap_or(0.0) > 0.0
    })
    .await;
    assert!(
        work.join("video.mp4.part").exists(),
        "ffmpeg writes into the work directory"
    );
    let (status, body) = s
        .post(&format!("/api/v1/export/{id}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "cancelled");
    // ffmpeg is killed and the work directory (with the partial file) removed.
    for _ in 0..100 {
        if !work.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!work.exists(), "the partial file must go");
    let (_, after) = s.get(&format!("/api/v1/export/{id}")).await;
    assert_eq!(after["status"], "cancelled");
    assert!(after["video_url"].is_null());
    assert_eq!(count_exports(&s).unwrap(), 0);
    assert_eq!(
        hold_status(&s, &id),
        ["voided"],
        "a cancelled export is free"
    );
    // No ffmpeg of ours is left running.
    let ours = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            std::fs::read_link(e.path().join("cwd"))
                .map(|cwd| cwd.starts_with(s.dir.path()))
                .unwrap_or(false)
        })
        .count();
    assert_eq!(ours, 0, "an ffmpeg still runs in the data directory");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_clear_4xx_and_nothing_is_written() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, vid) = project(&s, SCRIPT).await;

    // Before any run: nothing to export.
    let (status, body) = s
        .post("/api/v1/export/estimate", json!({"project_id": pid}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("run the animatic workflow"));
    let (status, body) = s.post("/api/v1/export", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("project_id"));
    let (status, _) = s
        .post(
            "/api/v1/export",
            json!({"project_id": "0190f000-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    finished_run(&s, &pid).await;
    for (patch, field) in [
        (json!({"resolution": "1440p"}), "resolution"),
        (json!({"format": "avi"}), "format"),
        (json!({"fps": 60}), "fps"),
        (json!({"aspect_ratio": "4:3"}), "aspect_ratio"),
        (json!({"include_subtitles": "maybe"}), "include_subtitles"),
        (json!({"transition": "wipe"}), "transition"),
        (json!({"music_asset_id": "nope"}), "music_asset_id"),
    ] {
        let mut body = patch.clone();
        body["project_id"] = json!(pid);
        let (status, err) = s.post("/api/v1/export", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{patch}: {err}");
        assert_error(&err, "VALIDATION_ERROR", Some(field));
    }
    let (status, body) = s
        .post("/api/v1/export", json!({"project_id": pid, "fps": "x"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // A missing frame: trash shot 2's keyframe.
    let (_, board) = s
        .get(&format!(
            "/api/v1/projects/{pid}/storyboard?version_id={vid}"
        ))
        .await;
    let shots: Vec<Value> = board["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|sc| sc["shots"].as_array().unwrap().clone())
        .collect();
    let frame = shots[1]["keyframe_asset_id"].as_str().unwrap().to_string();
    let (status, _) = s
        .post(&format!("/api/v1/assets/{frame}/trash"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = s.post("/api/v1/export", json!({"project_id": pid})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_error(&err, "VALIDATION_ERROR", Some("shots[1].image"));
    assert!(err["detail"].as_str().unwrap().contains("shot 2"), "{err}");
    s.post(&format!("/api/v1/assets/{frame}/restore"), json!({}))
        .await;

    // A shot shorter than one frame (10 ms), run again so the timeline carries it.
    let shot = shots[0]["id"].as_str().unwrap();
    let (status, body) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/storyboards/{shot}"),
            Some(json!({"duration": 0.01})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    finished_run(&s, &pid).await;
    let (status, err) = s
        .post(
            "/api/v1/export/estimate",
            json!({"project_id": pid, "fps": 24}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_error(&err, "VALIDATION_ERROR", Some("shots[0].duration"));

    // Nothing was recorded by any of the refusals.
    let (_, history) = s.get("/api/v1/export/history").await;
    assert_eq!(history["total"], 0, "{history}");
    let (status, body) = s
        .get("/api/v1/export/0190f000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = s.get("/api/v1/export/history?limit=500").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_ffmpeg_is_a_503_that_says_how_to_install_it() {
    let s = TestServer::start_with(AuthMode::Local, |c| {
        c.ffmpeg_path = Some("/nonexistent/bin/ffmpeg".into());
    })
    .await;
    let (pid, _) = project(&s, SCRIPT).await;
    finished_run(&s, &pid).await;
    let (status, err) = s.post("/api/v1/export", json!({"project_id": pid})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{err}");
    assert_error(&err, "SERVICE_UNAVAILABLE", None);
    assert!(
        err["detail"]
            .as_str()
            .unwrap()
            .contains("apt install ffmpeg"),
        "{err}"
    );
    assert_eq!(err["retryable"], true);
    let (_, history) = s.get("/api/v1/export/history").await;
    assert_eq!(history["total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storyboard_sheet_is_a_pdf_with_six_shots_a_page() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, vid) = project(&s, &SCRIPT.repeat(3)).await;
    finished_run(&s, &pid).await;
    let (_, board) = s
        .get(&format!(
            "/api/v1/projects/{pid}/storyboard?version_id={vid}"
        ))
        .await;
    let shots: usize = board["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|sc| sc["shots"].as_array().unwrap().len())
        .sum();
    let res = s
        .client
        .get(s.url(&format!(
            "/api/v1/projects/{pid}/versions/{vid}/storyboard.pdf"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert_eq!(pages, shots.div_ceil(6), "{shots} shots");
    assert_eq!(text.matches("/DCTDecode").count(), pages);
    let (status, _) = s
        .get(&format!(
            "/api/v1/projects/{pid}/versions/0190f000-0000-7000-8000-000000000000/storyboard.pdf"
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
