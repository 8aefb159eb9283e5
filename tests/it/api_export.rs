//! Video export over real TCP with the real ffmpeg: every file is checked with ffprobe (duration
//! within one frame of the storyboard, resolution, codecs, streams) and its subtitle text read back.
//! Also: cancel leaves no partial file, bad input is a clear 4xx with nothing written, the
//! storyboard sheet is a PDF with a page per six shots.
use crate::common;

use std::{path::Path, process::Command, time::Duration};

use common::{assert_error, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::config::AuthMode;

/// Short on purpose: three scenes, a handful of shots, Chinese dialogue.
pub(crate) const SCRIPT: &str = "第1集\n\
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
    s.project_with_script("导出测试", "9:16", text).await
}

async fn run_state(s: &TestServer, id: &str) -> Value {
    let (status, run) = s.get(&format!("/api/v1/workflow-runs/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    run
}

/// Runs the animatic template on the project's current version, approving every frame.
pub(crate) async fn finished_run(s: &TestServer, pid: &str) -> Value {
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

pub(crate) async fn start_export(s: &TestServer, body: Value) -> Value {
    let (status, e) = s.post("/api/v1/export", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{e}");
    assert!(
        matches!(e["status"].as_str(), Some("queued" | "processing")),
        "{e}"
    );
    e
}

pub(crate) async fn wait_export(s: &TestServer, id: &str, done: impl Fn(&Value) -> bool) -> Value {
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

use crate::common::ffprobe;

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
    // Without the speaker's name unless asked (issue 14).
    assert!(srt.contains("\n今天的风真舒服。\n"), "{srt}");
    assert!(track.contains("\n今天的风真舒服。"), "{track}");
    assert!(track.contains("谢谢你一直陪着我。"), "{track}");
    assert!(!track.contains("林晓："), "{track}");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storyboard_as_slides_has_a_keyframe_and_the_dialogue_on_each_shots_slide() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, vid) = project(&s, SCRIPT).await;
    finished_run(&s, &pid).await;
    let (_, board) = s
        .get(&format!(
            "/api/v1/projects/{pid}/storyboard?version_id={vid}"
        ))
        .await;
    let shots: Vec<&Value> = board["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|sc| sc["shots"].as_array().unwrap())
        .collect();
    let res = s
        .client
        .get(s.url(&format!(
            "/api/v1/projects/{pid}/versions/{vid}/storyboard.pptx"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let pptx = res.bytes().await.unwrap().to_vec();
    let slides = shots.len() + 1;
    let presentation = crate::common::pptx_part(&pptx, "ppt/presentation.xml");
    assert_eq!(presentation.matches("<p:sldId ").count(), slides);
    for (i, shot) in shots.iter().enumerate() {
        let n = i + 2;
        let rels = crate::common::pptx_part(&pptx, &format!("ppt/slides/_rels/slide{n}.xml.rels"));
        assert!(
            rels.contains("media/image"),
            "shot {i} has its keyframe: {rels}"
        );
        if let Some(line) = shot["dialogue"].as_array().and_then(|d| d.first()) {
            let notes =
                crate::common::pptx_part(&pptx, &format!("ppt/notesSlides/notesSlide{n}.xml"));
            assert!(
                notes.contains(line["text"].as_str().unwrap()),
                "shot {i}'s dialogue is its notes: {notes}"
            );
        }
    }
    if let Some(pages) = crate::common::libreoffice_pages(&pptx) {
        assert_eq!(pages, slides);
    }
}

/// The first shot of the version: (id, keyframe asset id).
fn first_shot(board: &Value) -> (String, String) {
    let shot = &board["scenes"][0]["shots"][0];
    (
        shot["id"].as_str().unwrap().to_string(),
        shot["keyframe_asset_id"].as_str().unwrap().to_string(),
    )
}

async fn image_asset(s: &TestServer, id: &str) -> image::RgbImage {
    let res = s
        .client
        .get(s.url(&format!("/api/v1/assets/{id}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    image::load_from_memory(&res.bytes().await.unwrap())
        .unwrap()
        .to_rgb8()
}

/// `img` scaled to cover `w`×`h`, cropped from the centre.
fn cover(img: &image::RgbImage, w: u32, h: u32) -> image::RgbImage {
    let scale = (w as f32 / img.width() as f32).max(h as f32 / img.height() as f32);
    let (sw, sh) = (
        ((img.width() as f32 * scale).ceil() as u32).max(w),
        ((img.height() as f32 * scale).ceil() as u32).max(h),
    );
    let scaled = image::imageops::resize(img, sw, sh, image::imageops::FilterType::Triangle);
    image::imageops::crop_imm(&scaled, (sw - w) / 2, (sh - h) / 2, w, h).to_image()
}

/// Mean absolute difference per channel of two same-sized images over rows `y0..y1` (fractions).
fn mean_diff(a: &image::RgbImage, b: &image::RgbImage, rows: (f64, f64)) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let (r0, r1) = (
        (rows.0 * a.height() as f64) as u32,
        (rows.1 * a.height() as f64) as u32,
    );
    let mut sum = 0u64;
    for y in r0..r1 {
        for x in 0..a.width() {
            let (p, q) = (a.get_pixel(x, y), b.get_pixel(x, y));
            for i in 0..3 {
                sum += (p[i] as i32 - q[i] as i32).unsigned_abs() as u64;
            }
        }
    }
    sum as f64 / ((r1 - r0) * a.width() * 3) as f64
}

/// The page images of a PDF made by `export::sheet` (one JPEG per page, in page order).
fn pdf_pages(pdf: &[u8]) -> Vec<image::RgbImage> {
    let mut pages = Vec::new();
    let mut at = 0;
    while let Some(start) = pdf[at..].windows(3).position(|w| w == [0xFF, 0xD8, 0xFF]) {
        let start = at + start;
        let end = start
            + pdf[start..]
                .windows(9)
                .position(|w| w == b"endstream")
                .unwrap();
        pages.push(
            image::load_from_memory_with_format(&pdf[start..end], image::ImageFormat::Jpeg)
                .unwrap()
                .to_rgb8(),
        );
        at = end;
    }
    pages
}

async fn sheet(s: &TestServer, pid: &str, vid: &str) -> Vec<image::RgbImage> {
    let res = s
        .client
        .get(s.url(&format!(
            "/api/v1/projects/{pid}/versions/{vid}/storyboard.pdf"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    pdf_pages(&res.bytes().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sheet_shows_each_keyframe_at_the_project_aspect_else_the_latest_candidate() {
    use storyloom::render::sheet::{frame_box, PAGE_H, PAGE_W};
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, vid) = project(&s, SCRIPT).await;
    finished_run(&s, &pid).await;
    let (_, board) = s
        .get(&format!(
            "/api/v1/projects/{pid}/storyboard?version_id={vid}"
        ))
        .await;
    let (shot_id, keyframe) = first_shot(&board);
    let frame = image_asset(&s, &keyframe).await;
    assert!(
        frame.width() < frame.height(),
        "a 9:16 project draws portrait frames"
    );

    let check = |pages: &[image::RgbImage], what: &str| {
        assert_eq!(pages[0].dimensions(), (PAGE_W, PAGE_H));
        // The first shot's box has the project's shape (9:16), not a landscape box.
        let (x0, y0, x1, y1) = frame_box(0, 9.0 / 16.0);
        let (w, h) = ((x1 - x0).round() as u32, (y1 - y0).round() as u32);
        assert!(
            ((w as f64 / h as f64) - 9.0 / 16.0).abs() < 0.01,
            "box {w}x{h}"
        );
        // What is printed there is the keyframe (JPEG-close), not an empty "no frame yet" box.
        let printed =
            image::imageops::crop_imm(&pages[0], x0.round() as u32, y0.round() as u32, w, h)
                .to_image();
        let expected = cover(&frame, w, h);
        let d = mean_diff(&printed, &expected, (0.0, 1.0));
        assert!(d < 10.0, "{what}: the printed frame differs by {d}");
        let empty = image::RgbImage::from_pixel(w, h, image::Rgb([236, 236, 240]));
        assert!(mean_diff(&expected, &empty, (0.0, 1.0)) > 30.0);
    };
    check(&sheet(&s, &pid, &vid).await, "the keyframe");

    // A shot that lost its keyframe link still shows its latest candidate.
    let id = shot_id.clone();
    s.state
        .db
        .write_sync(move |tx| {
            tx.execute(
                "UPDATE shots SET keyframe_asset_id = NULL WHERE id = ?1",
                [&id],
            )
            .map_err(storyloom::db::DbError::from)
        })
        .unwrap();
    check(&sheet(&s, &pid, &vid).await, "the latest candidate");
}

/// The picture of a video at `t`, as RGB.
fn video_frame(file: &Path, t: f64) -> image::RgbImage {
    let probe = ffprobe(file);
    let v = streams(&probe, "video")[0];
    let (w, h) = (
        v["width"].as_u64().unwrap() as u32,
        v["height"].as_u64().unwrap() as u32,
    );
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", &format!("{t:.3}"), "-i"])
        .arg(file)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    image::RgbImage::from_raw(w, h, out.stdout).unwrap()
}

async fn export_file(s: &TestServer, body: Value, to: &Path) -> Value {
    let e = start_export(s, body).await;
    let done = wait_export(s, e["id"].as_str().unwrap(), |e| e["status"] == "completed").await;
    download(s, done["video_url"].as_str().unwrap(), to).await;
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_final_export_has_clean_frames_one_caption_and_subtitles_without_names() {
    use storyloom::render::{render_frame, Fonts, FrameSpec};
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, vid) = project(&s, SCRIPT).await;
    finished_run(&s, &pid).await;
    let (_, board) = s
        .get(&format!(
            "/api/v1/projects/{pid}/storyboard?version_id={vid}"
        ))
        .await;
    // The first shot with dialogue: its animatic frame has a caption bar and the working marks.
    let shots: Vec<&Value> = board["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|sc| sc["shots"].as_array().unwrap())
        .collect();
    let mut start = 0.0;
    let mut found = None;
    for shot in &shots {
        if !shot["dialogue"].as_array().unwrap().is_empty() {
            found = Some((*shot, start));
            break;
        }
        start += shot["duration"].as_f64().unwrap();
    }
    let (shot, start) = found.expect("a shot with dialogue");
    let mid = start + shot["duration"].as_f64().unwrap() / 2.0;
    let (_, asset) = s
        .get(&format!(
            "/api/v1/assets/{}",
            shot["keyframe_asset_id"].as_str().unwrap()
        ))
        .await;
    let spec: FrameSpec = serde_json::from_value(asset["metadata"]["spec"].clone())
        .expect("the animatic frame records what it was drawn from");
    assert!(spec.caption.is_some() && spec.overlays);
    let fonts = Fonts::shared(None).unwrap();
    let at = |overlays: bool, caption: bool| {
        render_frame(
            &FrameSpec {
                width: 480,
                height: 854,
                overlays,
                caption: if caption { spec.caption.clone() } else { None },
                ..spec.clone()
            },
            &fonts,
        )
        .unwrap()
    };
    let (clean, review) = (at(false, false), at(true, true));

    let dir = tempfile::tempdir().unwrap();
    let base = json!({"project_id": pid, "resolution": "480p", "fps": 25, "motion": false});
    let mut body = base.clone();
    body["include_subtitles"] = json!("soft");
    let file = dir.path().join("clean.mp4");
    let done = export_file(&s, body, &file).await;
    let picture = video_frame(&file, mid);
    let to_clean = mean_diff(&picture, &clean, (0.0, 1.0));
    let to_review = mean_diff(&picture, &review, (0.0, 1.0));
    assert!(
        to_clean < 6.0 && to_review > to_clean * 2.0,
        "the video's frame is the clean picture ({to_clean}), not the review's ({to_review})"
    );
    // The top band (shot number, slug, shot size) and the caption bar are gone.
    assert!(mean_diff(&picture, &review, (0.0, 0.1)) > 10.0);
    assert!(mean_diff(&picture, &review, (0.85, 1.0)) > 10.0);
    // Subtitles say the line, without the speaker's name.
    let track = subtitle_text(&file);
    assert!(track.contains("今天的风真舒服。"), "{track}");
    assert!(!track.contains("林晓："), "{track}");
    let srt = String::from_utf8(
        download(
            &s,
            done["subtitles_url"].as_str().unwrap(),
            &dir.path().join("s.srt"),
        )
        .await,
    )
    .unwrap();
    assert!(
        !srt.contains("林晓：") && srt.contains("今天的风真舒服。"),
        "{srt}"
    );

    // Asked for: the working overlays (without a second caption) and names in the subtitles.
    let mut body = base.clone();
    body["include_subtitles"] = json!("soft");
    body["overlays"] = json!(true);
    body["speaker_names"] = json!(true);
    let file = dir.path().join("marked.mp4");
    export_file(&s, body, &file).await;
    let marked = video_frame(&file, mid);
    let with_marks = at(true, false);
    assert!(mean_diff(&marked, &with_marks, (0.0, 1.0)) < 6.0);
    assert!(mean_diff(&marked, &clean, (0.0, 0.1)) > 10.0);
    assert!(subtitle_text(&file).contains("林晓：今天的风真舒服。"));

    // No subtitles at all: the animatic's caption is the one caption.
    let mut body = base;
    body["include_subtitles"] = json!("none");
    let file = dir.path().join("captioned.mp4");
    export_file(&s, body, &file).await;
    let captioned = video_frame(&file, mid);
    assert!(mean_diff(&captioned, &at(false, true), (0.0, 1.0)) < 6.0);
    assert!(mean_diff(&captioned, &clean, (0.85, 1.0)) > 10.0);
}

/// Seconds of audio in a file, by ffprobe.
fn audio_secs(file: &Path) -> f64 {
    duration(&ffprobe(file))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_voice_runs_past_its_subtitle_cue() {
    if !espeak_required() {
        eprintln!("espeak-ng is not installed: no voices to measure");
        return;
    }
    let s = TestServer::start(AuthMode::Local).await;
    // Long lines with short text weights next to them: the split by text length gives the first
    // line less time than espeak takes to say it.
    let script = "第1集\n场景1：公园 日 外\n△ 林晓坐在长椅上。\n\
                  林晓：嗯。\n王磊：我给你带了咖啡，还有你最喜欢的那家店的蛋糕。\n\
                  林晓：谢谢你，今天的风真舒服，我们再坐一会儿吧。\n";
    let (pid, _) = project(&s, script).await;
    finished_run(&s, &pid).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("v.mp4");
    let done = export_file(
        &s,
        json!({"project_id": pid, "resolution": "480p", "include_subtitles": "soft"}),
        &file,
    )
    .await;
    let srt = String::from_utf8(
        download(
            &s,
            done["subtitles_url"].as_str().unwrap(),
            &dir.path().join("s.srt"),
        )
        .await,
    )
    .unwrap();
    let ms = |t: &str| -> i64 {
        let (hms, milli) = t.trim().split_once(',').unwrap();
        let p: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
        ((p[0] * 60 + p[1]) * 60 + p[2]) * 1000 + milli.parse::<i64>().unwrap()
    };
    let cues: Vec<(i64, i64)> = srt
        .lines()
        .filter_map(|l| l.split_once(" --> "))
        .map(|(a, b)| (ms(a), ms(b)))
        .collect();
    // The voices, in line order, from the run's timeline (the real files).
    let run_id = done["run_id"].as_str().unwrap().to_string();
    let timeline_id: String = s
        .state
        .db
        .read_sync(move |c| {
            let out: String = c.query_row(
                "SELECT output FROM node_runs WHERE run_id = ?1 AND kind = 'video.compose'",
                [&run_id],
                |r| r.get(0),
            )?;
            Ok::<_, storyloom::db::DbError>(
                serde_json::from_str::<Value>(&out).unwrap()["video"]["timeline_asset_id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .unwrap();
    let res = s
        .client
        .get(s.url(&format!("/api/v1/assets/{timeline_id}/download")))
        .send()
        .await
        .unwrap();
    let timeline: Value = res.json().await.unwrap();
    let voices: Vec<String> = timeline["shots"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|sh| sh["lines"].as_array().unwrap())
        .map(|l| {
            l["audio_asset_id"]
                .as_str()
                .expect("every line is voiced")
                .to_string()
        })
        .collect();
    assert_eq!(voices.len(), 3);
    assert_eq!(cues.len(), 3, "{srt}");
    let mut previous_end = 0;
    for (i, (id, (from, to))) in voices.iter().zip(&cues).enumerate() {
        let wav = dir.path().join(format!("{i}.wav"));
        download(&s, &format!("/api/v1/assets/{id}/download"), &wav).await;
        let voice_ms = (audio_secs(&wav) * 1000.0).ceil() as i64;
        assert!(
            *to >= from + voice_ms,
            "line {i}: cue {from}–{to} ms, voice {voice_ms} ms\n{srt}"
        );
        assert!(*from >= previous_end, "cues overlap\n{srt}");
        previous_end = *to;
    }
    // The video is long enough for the last voice.
    let d = duration(&ffprobe(&file));
    assert!(
        d * 1000.0 + 40.0 >= previous_end as f64,
        "video {d} s, last cue ends {previous_end} ms"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_is_one_frame_per_shot_with_voice_and_cues() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, vid) = project(&s, SCRIPT).await;
    // Before any run: the storyboard still previews (blank cards, no voice).
    let (status, early) = s
        .post("/api/v1/export/preview", json!({"project_id": pid}))
        .await;
    assert_eq!(status, StatusCode::OK, "{early}");
    assert!(early["shots"]
        .as_array()
        .unwrap()
        .iter()
        .all(|sh| sh["has_frame"] == false));
    assert_eq!(early["voiced_lines"], 0);

    finished_run(&s, &pid).await;
    let (_, board) = s
        .get(&format!(
            "/api/v1/projects/{pid}/storyboard?version_id={vid}"
        ))
        .await;
    let total = board["total_duration"].as_f64().unwrap();
    let count: usize = board["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|sc| sc["shots"].as_array().unwrap().len())
        .sum();
    let (status, p) = s
        .post("/api/v1/export/preview", json!({"project_id": pid}))
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(
        (p["width"].as_u64(), p["height"].as_u64()),
        (Some(360), Some(640))
    );
    let shots = p["shots"].as_array().unwrap();
    assert_eq!(shots.len(), count);
    assert!(shots.iter().all(|sh| sh["has_frame"] == true), "{p}");
    // Shots follow one another: each starts where the last ended.
    let mut t = 0.0;
    for sh in shots {
        assert!((sh["start"].as_f64().unwrap() - t).abs() < 1e-6, "{p}");
        t += sh["duration"].as_f64().unwrap();
    }
    let cues = p["cues"].as_array().unwrap();
    assert_eq!(cues.len(), 3);
    assert!(
        cues.iter()
            .all(|c| !c["text"].as_str().unwrap().contains('：')),
        "{p}"
    );
    if espeak_required() {
        assert_eq!(p["voiced_lines"], 3);
    }

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("preview.mp4");
    download(&s, p["video_url"].as_str().unwrap(), &file).await;
    let probe = ffprobe(&file);
    let d = duration(&probe);
    assert!(
        (d - total).abs() < 0.1,
        "preview {d} s vs storyboard {total} s"
    );
    assert_eq!(streams(&probe, "audio")[0]["codec_name"], "aac");
    // One encoded frame per still (the concat list names the last still twice).
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_frames",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let frames: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!(
        (count..=count + 1).contains(&frames),
        "{frames} frames for {count} shots"
    );
    // Seeking to a shot's start shows that shot's picture: the second shot's frame there differs
    // from the first shot's.
    let a = video_frame(&file, shots[0]["start"].as_f64().unwrap() + 0.05);
    let b = video_frame(&file, shots[1]["start"].as_f64().unwrap() + 0.05);
    assert!(mean_diff(&a, &b, (0.0, 1.0)) > 5.0);

    let (status, body) = s.post("/api/v1/export/preview", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("project_id"));
    let (status, _) = s
        .get("/api/v1/export/previews/0190f000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
