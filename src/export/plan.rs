//! The export plan: frames per shot, where each line of dialogue sits, and the ffmpeg command that
//! encodes it. Pure functions of their inputs, so the command can be tested without running ffmpeg.
//!
//! Speed (docs/BENCHMARKS.md, "Export"): each still is decoded once (`-i frame.png` with no
//! `-loop`); `zoompan` (or `loop` for a still shot) makes its frames. The still is scaled to twice
//! the output size once per shot so pan/zoom moves in half pixels, which keeps slow motion from
//! jittering.
use std::{fmt::Write as _, path::PathBuf};

use sha2::{Digest, Sha256};

use super::{
    preset::{Container, Settings, SubtitleMode, Transition},
    subtitles::{self, Cue},
    ExportError,
};

/// One shot as the export sees it.
#[derive(Debug, Clone)]
pub struct PlanShot {
    pub shot_id: String,
    pub number: u32,
    pub image: PathBuf,
    /// What a built-in animatic frame was drawn from: the export redraws it clean (issue 14).
    pub spec: Option<crate::render::FrameSpec>,
    /// A generated clip that plays in place of the still (looped if shorter than the shot).
    pub clip: Option<PathBuf>,
    pub duration_ms: i64,
    pub camera_move: Option<String>,
    pub lines: Vec<PlanLine>,
}

/// One line of dialogue, with times on the whole video's clock.
#[derive(Debug, Clone)]
pub struct PlanLine {
    pub character: String,
    pub text: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub audio: Option<PathBuf>,
    /// The voice clip's length, when known.
    pub audio_ms: Option<i64>,
}

/// Moves cues so no voice runs past its subtitle (issue 14): a line's cue lasts at least as long as
/// its voice (to the next 10 ms, the coarsest subtitle clock), and a line whose predecessor's voice
/// is still speaking starts when it ends. Returns the time the last cue ends.
pub fn fit_voices(lines: &mut [&mut PlanLine]) -> i64 {
    let mut free_at = 0i64;
    for line in lines.iter_mut() {
        let length = (line.end_ms - line.start_ms).max(0);
        if line.start_ms < free_at {
            // Keep the cue's end where it fits; a cue pushed past it still shows for a moment.
            line.start_ms = free_at;
            line.end_ms = line.end_ms.max(line.start_ms + length.min(500));
        }
        if let (Some(_), Some(voice)) = (&line.audio, line.audio_ms) {
            let voice_end = line.start_ms + voice.max(0);
            let voice_end = (voice_end + 9) / 10 * 10;
            line.end_ms = line.end_ms.max(voice_end);
        }
        free_at = free_at.max(line.end_ms);
    }
    free_at
}

/// Splits a shot's time among its lines in proportion to their length (the subtitle cues and the
/// voice placement use the same split, so speech starts when its subtitle appears).
pub fn split_shot_time(start_ms: i64, duration_ms: i64, texts: &[&str]) -> Vec<(i64, i64)> {
    let weights: Vec<i64> = texts
        .iter()
        .map(|t| t.chars().count().max(1) as i64)
        .collect();
    let total: i64 = weights.iter().sum::<i64>().max(1);
    let mut t = start_ms;
    weights
        .iter()
        .map(|w| {
            let share = duration_ms * w / total;
            let cue = (t, t + share);
            t += share;
            cue
        })
        .collect()
}

/// How a still moves during its shot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Motion {
    Still,
    ZoomIn,
    ZoomOut,
    PanLeft,
    PanRight,
    TiltUp,
    TiltDown,
}

impl Motion {
    /// From the shot's camera move (English or Chinese), else a choice seeded by the shot id, so the
    /// same shot always moves the same way.
    pub fn for_shot(shot_id: &str, camera_move: Option<&str>) -> Self {
        let m = camera_move.unwrap_or("").to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
        if has(&["static", "fixed", "固定", "静止"]) {
            return Self::Still;
        }
        if has(&["push", "zoom in", "dolly in", "推"]) {
            return Self::ZoomIn;
        }
        if has(&["pull", "zoom out", "dolly out", "拉"]) {
            return Self::ZoomOut;
        }
        if has(&["pan left", "左"]) {
            return Self::PanLeft;
        }
        if has(&["pan right", "pan", "摇", "右", "track"]) {
            return Self::PanRight;
        }
        if has(&["tilt up", "上"]) {
            return Self::TiltUp;
        }
        if has(&["tilt down", "tilt", "下"]) {
            return Self::TiltDown;
        }
        let seed = Sha256::digest(shot_id.as_bytes())[0];
        [Self::ZoomIn, Self::ZoomOut, Self::PanRight, Self::PanLeft][(seed % 4) as usize]
    }

    /// zoompan's `z`, `x`, `y` over `p` = 0…1 through the shot (no commas: they would split filters).
    fn expressions(self, frames: u32) -> (String, String, String) {
        let p = format!("(on/{})", frames.saturating_sub(1).max(1));
        let cx = "(iw-iw/zoom)/2".to_string();
        let cy = "(ih-ih/zoom)/2".to_string();
        // Gentle amounts: an animatic should breathe, not swim.
        match self {
            Self::Still => ("1".into(), "0".into(), "0".into()),
            Self::ZoomIn => (format!("1+0.12*{p}"), cx, cy),
            Self::ZoomOut => (format!("1.12-0.12*{p}"), cx, cy),
            Self::PanLeft => ("1.1".into(), format!("(iw-iw/zoom)*(1-{p})"), cy),
            Self::PanRight => ("1.1".into(), format!("(iw-iw/zoom)*{p}"), cy),
            Self::TiltUp => ("1.1".into(), cx, format!("(ih-ih/zoom)*(1-{p})")),
            Self::TiltDown => ("1.1".into(), cx, format!("(ih-ih/zoom)*{p}")),
        }
    }
}

/// What ffmpeg will be asked to make.
#[derive(Debug, Clone)]
pub struct Plan {
    pub settings: Settings,
    pub shots: Vec<PlanShot>,
    pub music: Option<PathBuf>,
    /// Frames each shot shows (before crossfade overlap).
    pub frames: Vec<u32>,
    pub total_frames: u64,
    pub total_ms: i64,
    /// Crossfade length in frames (0 for cuts).
    pub transition_frames: u32,
}

impl Plan {
    /// Checks the shots and places them on frame boundaries. Frame counts come from the cumulative
    /// time, so rounding never drifts: the video is within one frame of the storyboard's total.
    pub fn new(
        settings: Settings,
        shots: Vec<PlanShot>,
        music: Option<PathBuf>,
    ) -> Result<Self, ExportError> {
        if shots.is_empty() {
            return Err(ExportError::Invalid {
                field: "shots",
                message: "the storyboard has no shots to export".into(),
            });
        }
        let mut shots = shots;
        let last_cue = fit_voices(
            &mut shots
                .iter_mut()
                .flat_map(|s| s.lines.iter_mut())
                .collect::<Vec<_>>(),
        );
        // The last words are never cut off: the last shot holds until its voice ends.
        let planned: i64 = shots.iter().map(|s| s.duration_ms.max(0)).sum();
        if last_cue > planned {
            if let Some(last) = shots.last_mut() {
                last.duration_ms += last_cue - planned;
            }
        }
        let fps = settings.fps as i64;
        let mut starts = Vec::with_capacity(shots.len() + 1);
        let mut t = 0i64;
        for (i, s) in shots.iter().enumerate() {
            if s.duration_ms <= 0 {
                return Err(ExportError::Shot {
                    field: format!("shots[{i}].duration"),
                    message: format!("shot {} has no length: give it a duration", s.number),
                });
            }
            starts.push((t * fps + 500) / 1000);
            t += s.duration_ms;
        }
        let total_frames = (t * fps + 500) / 1000;
        starts.push(total_frames);
        let mut frames = Vec::with_capacity(shots.len());
        for (i, s) in shots.iter().enumerate() {
            let n = starts[i + 1] - starts[i];
            if n < 1 {
                return Err(ExportError::Shot {
                    field: format!("shots[{i}].duration"),
                    message: format!(
                        "shot {} lasts {} ms, shorter than one frame at {fps} fps: lengthen it",
                        s.number, s.duration_ms
                    ),
                });
            }
            frames.push(n as u32);
        }
        let transition_frames = match settings.transition {
            Transition::Cut => 0,
            // Half a second, but never more than half the shortest shot.
            Transition::Crossfade if shots.len() > 1 => {
                let shortest = frames.iter().copied().min().unwrap_or(1);
                (settings.fps / 2).min(shortest / 2)
            }
            Transition::Crossfade => 0,
        };
        Ok(Self {
            settings,
            shots,
            music,
            frames,
            total_frames: total_frames as u64,
            total_ms: t,
            transition_frames,
        })
    }

    /// The subtitle cues (every line, in order), with the speaker's name only when the settings ask.
    pub fn cues(&self) -> Vec<Cue> {
        let names = self.settings.speaker_names;
        self.shots
            .iter()
            .flat_map(|s| &s.lines)
            .map(|l| Cue {
                start_ms: l.start_ms,
                end_ms: l.end_ms,
                text: if !names || l.character.is_empty() {
                    l.text.clone()
                } else {
                    format!("{}：{}", l.character, l.text)
                },
            })
            .collect()
    }

    pub fn total_secs(&self) -> f64 {
        self.total_frames as f64 / self.settings.fps as f64
    }
}

/// Files the command refers to by relative name (it runs in its work directory).
pub const SRT_NAME: &str = "subtitles.srt";
pub const ASS_NAME: &str = "subtitles.ass";
pub const FILTER_NAME: &str = "filter.txt";

/// The ffmpeg arguments and the filter graph (written to [`FILTER_NAME`]) for a plan.
#[derive(Debug, Clone)]
pub struct Command {
    pub args: Vec<String>,
    pub filter: String,
    /// Written beside the filter when there are cues: the `.srt` (always) and the `.ass` (burn-in).
    pub srt: Option<String>,
    pub ass: Option<String>,
}

fn secs(frames: u64, fps: u32) -> String {
    format!("{:.6}", frames as f64 / fps as f64)
}

/// Builds the command. `output` is the file to write; `font_name` is the subtitle font family.
pub fn command(plan: &Plan, output: &str, font_name: &str) -> Command {
    let s = &plan.settings;
    let (w, h) = s.size();
    let fps = s.fps;
    let mut args: Vec<String> = ["-hide_banner", "-y", "-nostdin"]
        .iter()
        .map(|a| a.to_string())
        .collect();
    let mut filter = String::new();
    let n = plan.shots.len();

    // Video: one input per still, decoded once; a generated clip loops until its shot ends.
    for shot in &plan.shots {
        match &shot.clip {
            Some(clip) => args.extend([
                "-stream_loop".into(),
                "-1".into(),
                "-i".into(),
                clip.to_string_lossy().into_owned(),
            ]),
            None => args.extend(["-i".into(), shot.image.to_string_lossy().into_owned()]),
        }
    }
    let last = n - 1;
    for (i, shot) in plan.shots.iter().enumerate() {
        let mut frames = plan.frames[i];
        if i < last {
            frames += plan.transition_frames;
        }
        let motion = if s.motion {
            Motion::for_shot(&shot.shot_id, shot.camera_move.as_deref())
        } else {
            Motion::Still
        };
        if shot.clip.is_some() {
            let _ = writeln!(
                filter,
                "[{i}:v]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1,\
                 fps={fps},trim=end_frame={frames},setpts=PTS-STARTPTS,format=yuv420p[v{i}];"
            );
        } else if motion == Motion::Still {
            let _ = writeln!(
                filter,
                "[{i}:v]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1,\
                 format=yuv420p,loop=loop={}:size=1:start=0,setpts=N/({fps}*TB),fps={fps}[v{i}];",
                frames - 1
            );
        } else {
            let (z, x, y) = motion.expressions(frames);
            let (w2, h2) = (w * 2, h * 2);
            let _ = writeln!(
                filter,
                "[{i}:v]scale={w2}:{h2}:force_original_aspect_ratio=increase,crop={w2}:{h2},setsar=1,\
                 zoompan=z='{z}':x='{x}':y='{y}':d={frames}:s={w}x{h}:fps={fps},format=yuv420p[v{i}];"
            );
        }
    }
    let video = if n == 1 {
        "v0".to_string()
    } else if plan.transition_frames > 0 {
        let dur = secs(plan.transition_frames as u64, fps);
        let mut acc = "v0".to_string();
        let mut offset = 0u64;
        for i in 1..n {
            offset += plan.frames[i - 1] as u64;
            let out = format!("x{i}");
            let _ = writeln!(
                filter,
                "[{acc}][v{i}]xfade=transition=fade:duration={dur}:offset={}[{out}];",
                secs(offset, fps)
            );
            acc = out;
        }
        acc
    } else {
        let inputs: String = (0..n).map(|i| format!("[v{i}]")).collect();
        let _ = writeln!(filter, "{inputs}concat=n={n}:v=1:a=0[vcat];");
        "vcat".to_string()
    };

    let cues = plan.cues();
    let srt = (!cues.is_empty()).then(|| subtitles::srt(&cues));
    let burn = s.subtitles == SubtitleMode::Burn && !cues.is_empty();
    let ass = burn.then(|| subtitles::ass(&cues, w, h, font_name));
    if burn {
        let _ = writeln!(filter, "[{video}]ass={ASS_NAME}[vout];");
    } else {
        let _ = writeln!(filter, "[{video}]null[vout];");
    }

    // Audio: a silent bed the length of the video, each line at its cue, music ducked under speech.
    let total = secs(plan.total_frames, fps);
    let _ = writeln!(filter, "anullsrc=r=48000:cl=stereo,atrim=end={total}[bed];");
    let mut next_input = n;
    let mut speech_labels = vec!["bed".to_string()];
    for line in plan.shots.iter().flat_map(|s| &s.lines) {
        let Some(audio) = &line.audio else { continue };
        args.extend(["-i".into(), audio.to_string_lossy().into_owned()]);
        let label = format!("a{next_input}");
        let delay = line.start_ms.max(0);
        let _ = writeln!(
            filter,
            "[{next_input}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,\
             adelay={delay}|{delay}[{label}];"
        );
        speech_labels.push(label);
        next_input += 1;
    }
    let spoken = speech_labels.len() > 1;
    let inputs: String = speech_labels.iter().map(|l| format!("[{l}]")).collect();
    let _ = writeln!(
        filter,
        "{inputs}amix=inputs={}:duration=first:dropout_transition=0:normalize=0[speech];",
        speech_labels.len()
    );
    let mixed = if let Some(music) = &plan.music {
        args.extend([
            "-stream_loop".into(),
            "-1".into(),
            "-i".into(),
            music.to_string_lossy().into_owned(),
        ]);
        let _ = writeln!(
            filter,
            "[{next_input}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,\
             volume=0.35,atrim=end={total}[music];\
             [speech]asplit=2[sp][sc];\
             [music][sc]sidechaincompress=threshold=0.02:ratio=8:attack=20:release=400[ducked];\
             [sp][ducked]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[mixed];"
        );
        next_input += 1;
        "mixed"
    } else {
        "speech"
    };
    if spoken || plan.music.is_some() {
        // Social platforms normalise to about −14 LUFS; loudnorm resamples to 192 kHz, so come back,
        // and name the layout: espeak's mono WAVs have none, which breaks negotiation otherwise.
        let _ = write!(
            filter,
            "[{mixed}]loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000,\
             aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end={total}[aout]"
        );
    } else {
        let _ = write!(
            filter,
            "[{mixed}]aformat=sample_fmts=fltp:channel_layouts=stereo[aout]"
        );
    }

    let soft = s.subtitles == SubtitleMode::Soft && srt.is_some();
    if soft {
        args.extend(["-i".into(), SRT_NAME.into()]);
    }
    args.extend([
        "-filter_complex_script".into(),
        FILTER_NAME.into(),
        "-map".into(),
        "[vout]".into(),
        "-map".into(),
        "[aout]".into(),
    ]);
    if soft {
        args.extend(["-map".into(), format!("{next_input}:s")]);
    }
    let codec: &[&str] = match s.container {
        Container::Mp4 => &[
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a",
            "aac", "-b:a", "160k",
        ],
        Container::Webm => &[
            "-c:v",
            "libvpx-vp9",
            "-b:v",
            "0",
            "-crf",
            "34",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-row-mt",
            "1",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "libopus",
            "-b:a",
            "128k",
        ],
    };
    args.extend(codec.iter().map(|a| a.to_string()));
    if soft {
        let sub_codec = match s.container {
            Container::Mp4 => "mov_text",
            Container::Webm => "webvtt",
        };
        args.extend([
            "-c:s".into(),
            sub_codec.into(),
            "-metadata:s:s:0".into(),
            "language=chi".into(),
        ]);
    }
    args.extend([
        "-ar".into(),
        "48000".into(),
        "-r".into(),
        fps.to_string(),
        "-frames:v".into(),
        plan.total_frames.to_string(),
        "-t".into(),
        total,
    ]);
    match s.container {
        Container::Mp4 => args.extend([
            "-movflags".into(),
            "+faststart".into(),
            "-f".into(),
            "mp4".into(),
        ]),
        Container::Webm => args.extend(["-f".into(), "webm".into()]),
    }
    args.push(output.to_string());
    Command {
        args,
        filter,
        srt,
        ass,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::preset::{Aspect, Resolution};

    fn settings() -> Settings {
        Settings {
            resolution: Resolution::P480,
            aspect: Aspect::Portrait,
            fps: 30,
            container: Container::Mp4,
            subtitles: SubtitleMode::Soft,
            transition: Transition::Cut,
            motion: true,
            music_asset_id: None,
            overlays: false,
            speaker_names: false,
        }
    }

    fn shot(i: u32, ms: i64, lines: Vec<PlanLine>) -> PlanShot {
        PlanShot {
            shot_id: format!("shot-{i}"),
            number: i,
            image: PathBuf::from(format!("/frames/{i}.png")),
            spec: None,
            clip: None,
            duration_ms: ms,
            camera_move: None,
            lines,
        }
    }

    #[test]
    fn a_generated_clip_loops_in_place_of_its_still_and_is_cut_to_the_shot() {
        let mut first = shot(1, 2000, vec![]);
        first.clip = Some(PathBuf::from("/clips/1.mp4"));
        let plan = Plan::new(settings(), vec![first, shot(2, 1000, vec![])], None).unwrap();
        let cmd = command(&plan, "out.mp4", "Noto Sans CJK SC");
        let i = cmd
            .args
            .iter()
            .position(|a| a == "/clips/1.mp4")
            .expect("the clip is an input");
        assert_eq!(cmd.args[i - 3..i], ["-stream_loop", "-1", "-i"]);
        assert!(
            !cmd.args.iter().any(|a| a == "/frames/1.png"),
            "the still is not used"
        );
        assert!(cmd.args.iter().any(|a| a == "/frames/2.png"));
        let frames = plan.frames[0] + plan.transition_frames;
        assert!(cmd.filter.contains("[0:v]scale="), "{}", cmd.filter);
        assert!(
            cmd.filter
                .contains(&format!("trim=end_frame={frames},setpts=PTS-STARTPTS")),
            "{}",
            cmd.filter
        );
    }

    #[test]
    fn frames_follow_the_cumulative_time_without_drift() {
        // 3 × 1.01 s at 30 fps = 3.03 s = 90.9 frames → 91, split 30/31/30 (never 30+30+30).
        let plan = Plan::new(
            settings(),
            vec![
                shot(1, 1010, vec![]),
                shot(2, 1010, vec![]),
                shot(3, 1010, vec![]),
            ],
            None,
        )
        .unwrap();
        assert_eq!(plan.total_frames, 91);
        assert_eq!(plan.frames.iter().map(|&f| f as u64).sum::<u64>(), 91);
        assert_eq!(plan.frames, vec![30, 31, 30]);
    }

    #[test]
    fn a_shot_shorter_than_a_frame_is_named() {
        let err = Plan::new(
            settings(),
            vec![shot(1, 2000, vec![]), shot(2, 10, vec![])],
            None,
        )
        .unwrap_err();
        match err {
            ExportError::Shot { field, message } => {
                assert_eq!(field, "shots[1].duration");
                assert!(message.contains("shot 2"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Plan::new(settings(), vec![shot(1, 0, vec![])], None),
            Err(ExportError::Shot { .. })
        ));
        assert!(matches!(
            Plan::new(settings(), vec![], None),
            Err(ExportError::Invalid { field: "shots", .. })
        ));
    }

    #[test]
    fn crossfades_overlap_without_changing_the_length() {
        let mut s = settings();
        s.transition = Transition::Crossfade;
        let plan = Plan::new(s, vec![shot(1, 2000, vec![]), shot(2, 3000, vec![])], None).unwrap();
        assert_eq!(plan.transition_frames, 15);
        let cmd = command(&plan, "out.mp4", "Noto Sans CJK SC");
        // The first clip is extended by the fade; the fade starts where shot 2 starts.
        assert!(cmd.filter.contains("d=75:"), "{}", cmd.filter);
        assert!(
            cmd.filter
                .contains("xfade=transition=fade:duration=0.500000:offset=2.000000"),
            "{}",
            cmd.filter
        );
        let frames_at = cmd.args.iter().position(|a| a == "-frames:v").unwrap();
        assert_eq!(cmd.args[frames_at + 1], "150");
    }

    #[test]
    fn each_line_is_placed_at_its_cue_and_subtitles_follow_the_mode() {
        let line = |start, end, audio: Option<&str>| PlanLine {
            character: "林晓".into(),
            text: "你好".into(),
            start_ms: start,
            end_ms: end,
            audio: audio.map(PathBuf::from),
            audio_ms: None,
        };
        let shots = vec![
            shot(1, 2000, vec![line(0, 2000, Some("/a/0.wav"))]),
            shot(2, 2000, vec![line(2000, 4000, Some("/a/1.wav"))]),
        ];
        let plan = Plan::new(settings(), shots.clone(), None).unwrap();
        let cmd = command(&plan, "out.mp4", "Noto Sans CJK SC");
        assert!(cmd.filter.contains("adelay=2000|2000"), "{}", cmd.filter);
        // No speaker names unless asked.
        assert!(
            cmd.srt.as_deref().unwrap().contains("\n你好\n"),
            "{:?}",
            cmd.srt
        );
        let mut named = settings();
        named.speaker_names = true;
        let with_names = command(&Plan::new(named, shots.clone(), None).unwrap(), "o", "F");
        assert!(with_names.srt.unwrap().contains("林晓：你好"));
        assert!(cmd.filter.contains("amix=inputs=3"), "{}", cmd.filter);
        assert!(cmd.filter.contains("loudnorm=I=-14"));
        assert!(cmd.args.iter().any(|a| a == "mov_text"));
        assert!(cmd
            .srt
            .as_deref()
            .unwrap()
            .contains("00:00:02,000 --> 00:00:04,000"));
        assert!(cmd.ass.is_none());

        let mut burn = settings();
        burn.subtitles = SubtitleMode::Burn;
        let cmd = command(&Plan::new(burn, shots.clone(), None).unwrap(), "o", "F");
        assert!(cmd.filter.contains("ass=subtitles.ass"));
        assert!(!cmd.args.iter().any(|a| a == "mov_text"));
        assert!(cmd
            .ass
            .unwrap()
            .contains("Dialogue: 0,0:00:02.00,0:00:04.00"));

        let mut none = settings();
        none.subtitles = SubtitleMode::None;
        none.container = Container::Webm;
        let cmd = command(&Plan::new(none, shots, None).unwrap(), "o", "F");
        assert!(!cmd.args.iter().any(|a| a == "-c:s"));
        assert!(cmd.args.iter().any(|a| a == "libvpx-vp9"));
        assert!(
            cmd.srt.is_some(),
            "the .srt is written beside the video whatever the mode"
        );
    }

    #[test]
    fn music_is_looped_and_ducked() {
        let plan = Plan::new(
            settings(),
            vec![shot(1, 2000, vec![])],
            Some(PathBuf::from("/m.wav")),
        )
        .unwrap();
        let cmd = command(&plan, "o", "F");
        let i = cmd.args.iter().position(|a| a == "-stream_loop").unwrap();
        assert_eq!(cmd.args[i + 1], "-1");
        assert!(cmd.filter.contains("sidechaincompress"));
    }

    #[test]
    fn motion_follows_the_camera_move_or_the_shot_id() {
        assert_eq!(Motion::for_shot("a", Some("Push in")), Motion::ZoomIn);
        assert_eq!(Motion::for_shot("a", Some("拉镜头")), Motion::ZoomOut);
        assert_eq!(Motion::for_shot("a", Some("static")), Motion::Still);
        assert_eq!(Motion::for_shot("a", Some("pan left")), Motion::PanLeft);
        let seeded = Motion::for_shot("shot-42", None);
        assert_eq!(seeded, Motion::for_shot("shot-42", None));
        assert_ne!(seeded, Motion::Still);
    }

    #[test]
    fn no_voice_runs_past_its_cue() {
        let line = |start, end, voice: Option<i64>| PlanLine {
            character: "林晓".into(),
            text: "你好".into(),
            start_ms: start,
            end_ms: end,
            audio: voice.map(|_| PathBuf::from("/a.wav")),
            audio_ms: voice,
        };
        // Two lines share a 3 s shot by text length; the first voice is longer than its share.
        let shots = vec![
            shot(
                1,
                3000,
                vec![line(0, 1000, Some(1733)), line(1000, 3000, Some(900))],
            ),
            shot(2, 1000, vec![line(3000, 4000, Some(2400))]),
        ];
        let plan = Plan::new(settings(), shots, None).unwrap();
        let lines: Vec<&PlanLine> = plan.shots.iter().flat_map(|s| &s.lines).collect();
        for l in &lines {
            assert!(l.end_ms >= l.start_ms + l.audio_ms.unwrap(), "{l:?}");
        }
        assert_eq!((lines[0].start_ms, lines[0].end_ms), (0, 1740));
        assert_eq!(lines[1].start_ms, 1740, "waits for the first voice");
        assert!(lines[1].end_ms <= lines[2].start_ms);
        // The last voice ends at 5.4 s: the video holds its last shot until then.
        assert_eq!(plan.total_ms, 5400);
        let cmd = command(&plan, "o", "F");
        assert!(cmd.filter.contains("adelay=1740|1740"), "{}", cmd.filter);
    }

    #[test]
    fn shot_time_is_split_by_line_length() {
        assert_eq!(
            split_shot_time(1000, 3000, &["ab", "abcd"]),
            vec![(1000, 2000), (2000, 4000)]
        );
        assert!(split_shot_time(0, 1000, &[]).is_empty());
    }
}
