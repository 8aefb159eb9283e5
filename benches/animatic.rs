//! Animatic renderer benchmark (issue 4): 1080×1920 frames of distinct shots (every shot type, several
//! places and times, CJK captions), rendered with and without PNG encoding. Single-threaded per-frame
//! figures, then all cores rendering frames in parallel. Run: `cargo bench --bench animatic`.
use std::time::{Duration, Instant};

use storyloom::render::{
    encode_png, render_frame, Fonts, FrameCharacter, FrameSpec, RENDERER_VERSION, SHOT_TYPES,
};

const SHOTS: usize = 24;
const RUNS: usize = 5;

const PLACES: [(&str, &str); 6] = [
    ("公园", "exterior"),
    ("医院病房", "interior"),
    ("城市街道", "exterior"),
    ("咖啡馆", "interior_exterior"),
    ("海边", "exterior"),
    ("办公室", "interior"),
];
const TIMES: [&str; 4] = ["日", "夜", "黄昏", "晨"];
const LINES: [&str; 4] = [
    "你怎么会在这里？",
    "好，那你好好休息，我明天再来看你。",
    "我等了你整整三年，三年！你知道这三年我是怎么过的吗？每一天，每一夜，我都在想你会不会回来。",
    "签了它。现在就签。",
];

fn specs() -> Vec<FrameSpec> {
    let cast = [
        ("char-lin", "林晓"),
        ("char-gu", "顾辰"),
        ("char-mom", "陈母"),
        ("char-boss", "王总"),
    ];
    (0..SHOTS)
        .map(|i| {
            let (location, ie) = PLACES[i % PLACES.len()];
            FrameSpec {
                width: 1080,
                height: 1920,
                shot_number: i as u32 + 1,
                scene_number: i as u32 / 4 + 1,
                location: Some(location.into()),
                time_of_day: Some(TIMES[i % TIMES.len()].into()),
                int_ext: Some(ie.into()),
                shot_type: Some(SHOT_TYPES[i % SHOT_TYPES.len()].into()),
                characters: cast[..1 + i % cast.len()]
                    .iter()
                    .enumerate()
                    .map(|(slot, (id, name))| FrameCharacter::new(*id, *name, Some(slot as u32)))
                    .collect(),
                caption: Some(LINES[i % LINES.len()].into()),
                description: "两人在长椅旁对视，风吹起落叶。".into(),
                seed: 0,
                feedback: None,
                overlays: true,
            }
        })
        .collect()
}

fn stats(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort();
    (
        samples[0],
        samples[samples.len() / 2],
        samples[samples.len() * 9 / 10],
    )
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let t = Instant::now();
    let fonts = Fonts::load(
        std::env::var_os("STORYLOOM_FONT")
            .map(std::path::PathBuf::from)
            .as_deref(),
    )
    .expect("a CJK font (apt-get install fonts-noto-cjk)");
    let load = t.elapsed();
    let specs = specs();
    // Warm-up: page the font in and fault the allocator's pages.
    let mut png_bytes = 0usize;
    for s in &specs {
        png_bytes += encode_png(&render_frame(s, &fonts).unwrap()).len();
    }

    let mut render = Vec::with_capacity(RUNS * SHOTS);
    let mut with_png = Vec::with_capacity(RUNS * SHOTS);
    for _ in 0..RUNS {
        for s in &specs {
            let t = Instant::now();
            std::hint::black_box(render_frame(std::hint::black_box(s), &fonts).unwrap());
            render.push(t.elapsed());
            let t = Instant::now();
            let img = render_frame(std::hint::black_box(s), &fonts).unwrap();
            std::hint::black_box(encode_png(&img));
            with_png.push(t.elapsed());
        }
    }

    // Every core renders and encodes its share of the frames.
    let mut parallel = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        std::thread::scope(|scope| {
            for k in 0..cores {
                let (specs, fonts) = (&specs, &fonts);
                scope.spawn(move || {
                    for s in specs.iter().skip(k).step_by(cores) {
                        std::hint::black_box(encode_png(&render_frame(s, fonts).unwrap()));
                    }
                });
            }
        });
        parallel.push(t.elapsed());
    }

    println!(
        "renderer {RENDERER_VERSION}; font {} (face {}) loaded in {load:.1?}; {cores} cores",
        fonts.path().display(),
        fonts.face_index()
    );
    println!(
        "{SHOTS} distinct 1080x1920 shots (10 shot types, 6 places, 4 times, CJK captions), {RUNS} runs; \
         mean PNG {:.0} KiB",
        png_bytes as f64 / SHOTS as f64 / 1024.0
    );
    println!("| case | min | median | p90 | frames/s (median) |");
    println!("|---|---|---|---|---|");
    for (name, samples) in [
        ("render, one thread", render),
        ("render + PNG encode, one thread", with_png),
    ] {
        let (min, median, p90) = stats(samples);
        println!(
            "| {name} | {min:.2?} | {median:.2?} | {p90:.2?} | {:.1} |",
            1.0 / median.as_secs_f64()
        );
    }
    let (min, median, p90) = stats(parallel);
    let per = |d: Duration| d / SHOTS as u32;
    println!(
        "| render + PNG encode, {cores} threads (per frame) | {:.2?} | {:.2?} | {:.2?} | {:.1} |",
        per(min),
        per(median),
        per(p90),
        SHOTS as f64 / median.as_secs_f64()
    );
}
