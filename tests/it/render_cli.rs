//! The headless main job: `storyloom render <script> -o out.mp4` on the shipped samples, checked
//! with ffprobe: the video lasts the storyboard's total (within a frame), has the asked size and
//! codecs, voice and a subtitle track, and the `.srt` beside it says the script's lines.
use std::{path::Path, process::Command};

use crate::common::ffprobe;

/// The storyboard's total seconds, from the same parser the job uses.
fn storyboard_secs(script: &Path) -> f64 {
    let text = std::fs::read_to_string(script).unwrap();
    storyloom::script::parse(&text).unwrap().total_duration_secs as f64
}

fn render(script: &str, out: &Path, extra: &[&str]) -> String {
    let res = Command::new(env!("CARGO_BIN_EXE_storyloom"))
        .arg("render")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(script))
        .arg("-o")
        .arg(out)
        .args(extra)
        .env("RUST_LOG", "warn")
        .output()
        .expect("storyloom render runs");
    let stdout = String::from_utf8_lossy(&res.stdout).into_owned();
    assert!(
        res.status.success(),
        "render failed: {stdout}\n{}",
        String::from_utf8_lossy(&res.stderr)
    );
    stdout
}

#[test]
fn the_chinese_sample_becomes_a_vertical_mp4_with_voice_and_subtitles() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("episode.mp4");
    let stdout = render(
        "assets/samples/rebirth_ep1.txt",
        &out,
        &["--preset", "480p"],
    );
    assert!(stdout.contains("wrote"), "{stdout}");
    let probe = ffprobe(&out);
    let streams = probe["streams"].as_array().unwrap();
    let kinds: Vec<&str> = streams
        .iter()
        .filter_map(|s| s["codec_type"].as_str())
        .collect();
    assert_eq!(kinds, ["video", "audio", "subtitle"], "{probe}");
    assert_eq!(streams[0]["codec_name"], "h264");
    assert_eq!(streams[0]["width"], 480);
    assert_eq!(streams[0]["height"], 854);
    assert_eq!(streams[1]["codec_name"], "aac");
    assert_eq!(streams[2]["codec_name"], "mov_text");
    let d: f64 = probe["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let total = storyboard_secs(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples/rebirth_ep1.txt"),
    );
    // The storyboard's length, or longer when the last voice line (whose cue lasts as long as the
    // voice, docs/API-EXPORT.md) ends after it: the last shot is held until then.
    let srt = std::fs::read_to_string(dir.path().join("episode.srt")).unwrap();
    let last_cue_end = srt
        .lines()
        .filter_map(|l| l.split_once(" --> ").map(|(_, end)| end.trim().to_string()))
        .map(|end| {
            let (hms, ms) = end.split_once(',').unwrap();
            let p: Vec<f64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
            p[0] * 3600.0 + p[1] * 60.0 + p[2] + ms.parse::<f64>().unwrap() / 1000.0
        })
        .fold(0.0, f64::max);
    let expected = total.max(last_cue_end);
    assert!(
        (d - expected).abs() <= 1.0 / 30.0 + 0.02,
        "video {d} s, storyboard {total} s, last cue ends {last_cue_end} s"
    );
    assert!(srt.contains(" --> "), "{srt}");
    assert!(srt.lines().count() > 10);
    // No temporary data directory is left behind by a job without --data-dir.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn the_fountain_sample_becomes_a_landscape_webm() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("last_train.webm");
    render(
        "assets/samples/last_train.fountain",
        &out,
        &[
            "--preset",
            "480p",
            "--aspect",
            "16:9",
            "--fps",
            "24",
            "--transition",
            "crossfade",
        ],
    );
    let probe = ffprobe(&out);
    let v = &probe["streams"][0];
    assert_eq!(v["codec_name"], "vp9");
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(854), Some(480))
    );
    assert_eq!(probe["streams"][1]["codec_name"], "opus");
    let d: f64 = probe["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let total = storyboard_secs(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples/last_train.fountain"),
    );
    assert!(
        (d - total).abs() <= 1.0 / 24.0 + 0.001,
        "video {d} s, storyboard {total} s"
    );
}

#[test]
fn bad_arguments_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["-o", "x.avi"], "--output must end in .mp4 or .webm"),
        (vec!["-o", "x.mp4", "--preset", "8k"], "resolution"),
        (vec!["-o", "x.mp4", "--review"], "--data-dir"),
    ] {
        let res = Command::new(env!("CARGO_BIN_EXE_storyloom"))
            .arg("render")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples/rebirth_ep1.txt"))
            .args(&args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(!res.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&res.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}
