//! Export benchmark (issue 5): the same ~60-second 1080×1920 animatic exported (a) through Storyloom's
//! export service and (b) by one hand-written ffmpeg command over the same frames and audio with the
//! same codec settings (libx264 veryfast crf 20, AAC 160k, 30 fps), side by side in one run.
//!
//! The hand-written command is the one a person writes for a slideshow: `-loop 1 -t D -i frame.png`
//! per shot, scale/crop, concat, each voice line `adelay`ed into an `amix`. Storyloom is measured
//! with motion off (the like-for-like comparison: the same still frames) and with its default
//! seeded pan/zoom. Peak memory is each ffmpeg's VmHWM (polled from /proc) and this process's.
//!
//! Beside them, in the same run: the instant preview (issue 14), `export::preview::preview` over the
//! same storyboard: one encoded frame per still (concat demuxer, variable frame rate, 360 px,
//! ultrafast), voices mixed, goal under 2 s for a 60 s episode. `STORYLOOM_BENCH_QUICK=1` leaves out
//! the hand-written command and the pan/zoom export (the preview against the motion-off export).
//!
//! `cargo bench --bench export` (needs ffmpeg; espeak-ng for voices, else the lines are silence).
use std::{
    fmt::Write as _,
    path::Path,
    process::Command,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use serde_json::json;
use storyloom::{
    config::Config,
    export::{self, preview::PreviewRequest, ExportRequest},
    job, AppState,
};

/// Peak RSS (KiB) of every ffmpeg child of this process, polled while `running` is set.
fn watch_ffmpeg(running: Arc<AtomicBool>, peak: Arc<AtomicU64>) -> std::thread::JoinHandle<()> {
    let me = std::process::id().to_string();
    std::thread::spawn(move || {
        while running.load(Ordering::Relaxed) {
            if let Ok(dir) = std::fs::read_dir("/proc") {
                for e in dir.flatten() {
                    let status =
                        std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
                    let field = |k: &str| {
                        status
                            .lines()
                            .find(|l| l.starts_with(k))
                            .map(|l| l[k.len()..].trim().to_string())
                    };
                    if field("Name:").as_deref() == Some("ffmpeg")
                        && field("PPid:").as_deref() == Some(&me)
                    {
                        let kb: u64 = field("VmHWM:")
                            .and_then(|v| v.split_whitespace().next().map(str::to_string))
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0);
                        peak.fetch_max(kb, Ordering::Relaxed);
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    })
}

fn self_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

struct Measured {
    secs: f64,
    ffmpeg_peak_kib: u64,
}

fn measure(f: impl FnOnce()) -> Measured {
    let running = Arc::new(AtomicBool::new(true));
    let peak = Arc::new(AtomicU64::new(0));
    let watcher = watch_ffmpeg(running.clone(), peak.clone());
    let t = Instant::now();
    f();
    let secs = t.elapsed().as_secs_f64();
    running.store(false, Ordering::Relaxed);
    let _ = watcher.join();
    Measured {
        secs,
        ffmpeg_peak_kib: peak.load(Ordering::Relaxed),
    }
}

fn duration_of(file: &Path) -> f64 {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(file)
        .output()
        .expect("ffprobe");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0.0)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::open(Config::desktop(dir.path().to_path_buf())).unwrap();
    let owner = state.local_owner_id.clone().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();

    // ~60 s of animatic: 20 shots, half of them with a line of dialogue.
    let mut script = String::from("INT. NIGHT TRAIN - NIGHT\n\n");
    for i in 0..10 {
        let _ = write!(
            script,
            "Maya looks out at station {i}.\n\nMAYA\nWhere are we going now?\n\n"
        );
    }
    let script_path = dir.path().join("bench.fountain");
    std::fs::write(&script_path, script).unwrap();
    let prepared = rt
        .block_on(job::prepare(
            &state,
            &owner,
            &script_path,
            Some("bench".into()),
            None,
            true,
            |_| {},
        ))
        .unwrap();
    assert_eq!(prepared.run.status.as_str(), "completed");
    let req = |motion: bool| ExportRequest {
        project_id: Some(prepared.project_id.clone()),
        run_id: Some(prepared.run.id.clone()),
        resolution: Some(json!("1080p")),
        fps: Some(json!(30)),
        include_subtitles: Some(json!("none")),
        motion: Some(json!(motion)),
        ..Default::default()
    };
    let plan = rt
        .block_on(export::plan_of(&state, &owner, req(false)))
        .unwrap();
    let (w, h) = plan.settings.size();
    println!(
        "animatic: {} shots, {:.2} s, {} frames at {w}x{h}, {} voice lines",
        plan.shots.len(),
        plan.total_secs(),
        plan.total_frames,
        plan.shots
            .iter()
            .flat_map(|s| &s.lines)
            .filter(|l| l.audio.is_some())
            .count()
    );

    let storyloom_export = |motion: bool| {
        let mut out = None;
        let m = measure(|| {
            rt.block_on(async {
                let e = export::start(&state, &owner, req(motion)).await.unwrap();
                loop {
                    let e = export::get(&state, &owner, &e.id).await.unwrap();
                    match e.status.as_str() {
                        "completed" => {
                            out = Some(export::video_file(&state, &owner, &e).await.unwrap());
                            break;
                        }
                        "failed" | "cancelled" => panic!("export {}: {:?}", e.status, e.error),
                        _ => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
            })
        });
        (m, out.unwrap())
    };

    // The hand-written command over the same frames and audio.
    let hand_dir = dir.path().join("hand");
    std::fs::create_dir_all(&hand_dir).unwrap();
    let hand_out = hand_dir.join("hand.mp4");
    let mut args: Vec<String> = vec!["-hide_banner".into(), "-y".into(), "-nostdin".into()];
    let mut filter = String::new();
    for (i, shot) in plan.shots.iter().enumerate() {
        let d = plan.frames[i] as f64 / 30.0;
        args.extend(["-loop", "1", "-framerate", "30", "-t"].map(String::from));
        args.push(format!("{d:.6}"));
        args.extend(["-i".into(), shot.image.display().to_string()]);
        let _ = write!(
            filter,
            "[{i}:v]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1,format=yuv420p[v{i}];"
        );
    }
    let n = plan.shots.len();
    let inputs: String = (0..n).map(|i| format!("[v{i}]")).collect();
    let _ = write!(filter, "{inputs}concat=n={n}:v=1:a=0[vout];");
    let mut labels = Vec::new();
    let mut k = n;
    for line in plan.shots.iter().flat_map(|s| &s.lines) {
        if let Some(a) = &line.audio {
            args.extend(["-i".into(), a.display().to_string()]);
            let _ = write!(
                filter,
                "[{k}:a]aresample=48000,aformat=channel_layouts=stereo,adelay={0}|{0}[a{k}];",
                line.start_ms
            );
            labels.push(format!("[a{k}]"));
            k += 1;
        }
    }
    let total = plan.total_secs();
    let _ = write!(
        filter,
        "anullsrc=r=48000:cl=stereo,atrim=end={total:.6}[bed];[bed]{}amix=inputs={}:duration=first:normalize=0,loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000,aformat=channel_layouts=stereo[aout]",
        labels.join(""),
        labels.len() + 1
    );
    std::fs::write(hand_dir.join("filter.txt"), &filter).unwrap();
    args.extend(
        [
            "-filter_complex_script",
            "filter.txt",
            "-map",
            "[vout]",
            "-map",
            "[aout]",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "20",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "160k",
            "-ar",
            "48000",
            "-r",
            "30",
            "-movflags",
            "+faststart",
        ]
        .map(String::from),
    );
    args.push(hand_out.display().to_string());
    let hand = || {
        measure(|| {
            let out = Command::new("ffmpeg")
                .args(&args)
                .current_dir(&hand_dir)
                .output()
                .expect("ffmpeg");
            assert!(
                out.status.success(),
                "hand-written ffmpeg failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        })
    };

    // The instant preview of the same storyboard (what the export dialog's "Preview" asks for).
    let preview_dir = dir.path().join("preview");
    std::fs::create_dir_all(&preview_dir).unwrap();
    let preview = || {
        let mut made = None;
        let m = measure(|| {
            made = Some(
                rt.block_on(export::preview::preview(
                    &state,
                    &owner,
                    PreviewRequest {
                        project_id: Some(prepared.project_id.clone()),
                        ..Default::default()
                    },
                ))
                .unwrap(),
            );
        });
        let p = made.unwrap();
        let file = export::preview::preview_file(&state, &owner, &p.preview_id).unwrap();
        let copy = preview_dir.join(format!("{}.mp4", p.preview_id));
        std::fs::copy(&file, &copy).unwrap();
        (m, copy)
    };
    let quick = std::env::var_os("STORYLOOM_BENCH_QUICK").is_some();

    // Interleaved, twice each, so a slow moment of the machine does not favour one side.
    let mut rows = Vec::new();
    for round in 1..=2 {
        let (p, f) = preview();
        rows.push(("storyloom preview (360p, VFR)", round, p, duration_of(&f)));
        if !quick {
            let h = hand();
            rows.push((
                "hand-written ffmpeg (stills)",
                round,
                h,
                duration_of(&hand_out),
            ));
        }
        let (s, f) = storyloom_export(false);
        rows.push(("storyloom export, motion off", round, s, duration_of(&f)));
        if !quick {
            let (s, f) = storyloom_export(true);
            rows.push(("storyloom export, pan/zoom", round, s, duration_of(&f)));
        }
    }
    println!("\n| what | round | wall s | video s | ffmpeg peak RSS MiB |");
    println!("|---|---|---|---|---|");
    for (name, round, m, d) in &rows {
        println!(
            "| {name} | {round} | {:.2} | {d:.2} | {:.0} |",
            m.secs,
            m.ffmpeg_peak_kib as f64 / 1024.0
        );
    }
    let best = |name: &str| {
        rows.iter()
            .filter(|r| r.0 == name)
            .map(|r| r.2.secs)
            .fold(f64::INFINITY, f64::min)
    };
    println!(
        "\nbest of 2: preview {:.2} s against the motion-off export {:.2} s ({:.0}× faster)",
        best("storyloom preview (360p, VFR)"),
        best("storyloom export, motion off"),
        best("storyloom export, motion off") / best("storyloom preview (360p, VFR)"),
    );
    let hand_best = best("hand-written ffmpeg (stills)");
    if quick {
        return;
    }
    println!(
        "\nbest of 2: hand-written {hand_best:.2} s; storyloom motion off {:.2} s (ratio {:.2}); pan/zoom {:.2} s (ratio {:.2})",
        best("storyloom export, motion off"),
        best("storyloom export, motion off") / hand_best,
        best("storyloom export, pan/zoom"),
        best("storyloom export, pan/zoom") / hand_best,
    );
    println!(
        "storyloom process peak RSS: {:.0} MiB",
        self_hwm_kib() as f64 / 1024.0
    );
}
