//! Parse benchmark (issue 3): a 200,000-character script built from the two samples, parsed from
//! scratch, then re-parsed after a one-line edit and matched against the old shots (what keeps shot
//! ids and manual edits). Run: `cargo bench --bench parse`. Prints a Markdown table row per case.
use std::time::{Duration, Instant};

use storyloom::script::{diff_shots, parse};

const CN: &str = include_str!("../assets/samples/rebirth_ep1.txt");
const FOUNTAIN: &str = include_str!("../assets/samples/last_train.fountain");
const TARGET_CHARS: usize = 200_000;
const RUNS: usize = 30;

/// Peak resident memory of this process so far (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn stats(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort();
    let median = samples[samples.len() / 2];
    let p90 = samples[samples.len() * 9 / 10];
    (samples[0], median, p90)
}

fn main() {
    let unit = format!("{CN}\n\n{FOUNTAIN}\n\n");
    let copies = TARGET_CHARS / unit.chars().count() + 1;
    let script = unit.repeat(copies);
    let chars = script.chars().count();
    // The edit: one dialogue line in the middle of the script gets new words.
    let target = "顾辰：好，那你好好休息，我明天再来看你。";
    let occurrences: Vec<usize> = script.match_indices(target).map(|(i, _)| i).collect();
    let at = occurrences[occurrences.len() / 2];
    let mut edited = script.clone();
    edited.replace_range(at..at + target.len(), "顾辰：好，你休息吧，我后天再来。");

    let before = peak_rss_mib();
    let base = parse(&script).expect("parses");
    let mut full = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        std::hint::black_box(parse(std::hint::black_box(&script)).expect("parses"));
        full.push(t.elapsed());
    }
    let mut reparse = Vec::with_capacity(RUNS);
    let mut unchanged = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let new = parse(std::hint::black_box(&edited)).expect("parses");
        let matches = diff_shots(&base.shots, &new.shots);
        reparse.push(t.elapsed());
        unchanged = matches.iter().filter(|m| m.old_index.is_some()).count();
    }
    let after = peak_rss_mib();

    println!(
        "input: {chars} characters, {} scenes, {} shots; re-parse kept {unchanged} of {} shots",
        base.scenes.len(),
        base.shots.len(),
        base.shots.len()
    );
    println!("| case | min | median | p90 |");
    println!("|---|---|---|---|");
    for (name, samples) in [
        ("parse", full),
        ("re-parse after a one-line edit + match", reparse),
    ] {
        let (min, median, p90) = stats(samples);
        println!("| {name} | {min:.2?} | {median:.2?} | {p90:.2?} |");
    }
    if let (Some(b), Some(a)) = (before, after) {
        println!("peak RSS: {b:.1} MiB before parsing, {a:.1} MiB after all runs (process peak, includes the input)");
    }
}
