//! Subtitle files: SRT (beside the video, and the soft track's source) and ASS (burned in by libass,
//! sized for the video's pixels so captions scale with the resolution).
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
}

fn srt_time(ms: i64) -> String {
    let ms = ms.max(0);
    format!(
        "{:02}:{:02}:{:02},{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

fn ass_time(ms: i64) -> String {
    let cs = ms.max(0) / 10;
    format!(
        "{}:{:02}:{:02}.{:02}",
        cs / 360_000,
        cs / 6000 % 60,
        cs / 100 % 60,
        cs % 100
    )
}

/// One line per cue: SRT has no escaping, but a blank line would end the cue early.
fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn srt(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (i, c) in cues.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            srt_time(c.start_ms),
            srt_time(c.end_ms),
            one_line(&c.text)
        );
    }
    out
}

/// Width of a character in ems, roughly: CJK and full-width forms are square, the rest about half.
fn em_width(c: char) -> f64 {
    let u = c as u32;
    if (0x2E80..=0x9FFF).contains(&u)
        || (0xAC00..=0xD7AF).contains(&u)
        || (0xF900..=0xFAFF).contains(&u)
        || (0xFF00..=0xFFEF).contains(&u)
        || (0x3000..=0x303F).contains(&u)
    {
        1.0
    } else {
        0.55
    }
}

/// Breaks a line for libass, which wraps only at spaces (so Chinese would run off the picture):
/// at spaces where there are some, anywhere in CJK text, never more than `max_em` ems a line, and
/// never a closing mark at the start of a line.
fn wrap_em(text: &str, max_em: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut w = 0.0;
    let mut last_space: Option<usize> = None;
    for c in text.chars() {
        let cw = em_width(c);
        let closing = "，。！？、；：）》」』”’,.!?;:)".contains(c);
        if w + cw > max_em && !line.is_empty() && !closing {
            match last_space.filter(|_| cw < 1.0) {
                Some(i) => {
                    let rest = line.split_off(i);
                    lines.push(line.trim_end().to_string());
                    line = rest.trim_start().to_string();
                }
                None => lines.push(std::mem::take(&mut line)),
            }
            w = line.chars().map(em_width).sum();
            last_space = None;
        }
        if c == ' ' {
            last_space = Some(line.len());
        }
        line.push(c);
        w += cw;
    }
    if !line.trim().is_empty() {
        lines.push(line.trim().to_string());
    }
    lines
}

/// ASS with one bottom-centred style: white text, dark outline, a font size ~4.2% of the height,
/// above the bottom 15% that short-video apps cover with their own controls.
pub fn ass(cues: &[Cue], width: u32, height: u32, font_name: &str) -> String {
    let size = (height as f64 * 0.042).round().max(12.0) as u32;
    let outline = (size as f64 / 12.0).round().max(1.0) as u32;
    let margin_v = (height as f64 * 0.15).round() as u32;
    let margin_h = (width as f64 * 0.06).round() as u32;
    // Style names and font names cannot hold a comma in ASS.
    let font = font_name.replace(',', " ");
    let mut out = format!(
        "[Script Info]\nScriptType: v4.00+\nPlayResX: {width}\nPlayResY: {height}\nWrapStyle: 0\n\
         ScaledBorderAndShadow: yes\n\n[V4+ Styles]\n\
         Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, \
         Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, \
         Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n\
         Style: Default,{font},{size},&H00FFFFFF,&H000000FF,&H00101010,&H80000000,-1,0,0,0,100,100,0,0,1,\
         {outline},0,2,{margin_h},{margin_h},{margin_v},1\n\n[Events]\n\
         Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    );
    let max_em = (width - 2 * margin_h) as f64 / size as f64;
    for c in cues {
        // Braces start override blocks and a backslash starts a tag: keep the text literal.
        let literal = one_line(&c.text)
            .replace('\\', "＼")
            .replace('{', "｛")
            .replace('}', "｝");
        let text = wrap_em(&literal, max_em).join("\\N");
        let _ = writeln!(
            out,
            "Dialogue: 0,{},{},Default,,0,0,0,,{text}",
            ass_time(c.start_ms),
            ass_time(c.end_ms)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(s: i64, e: i64, t: &str) -> Cue {
        Cue {
            start_ms: s,
            end_ms: e,
            text: t.into(),
        }
    }

    #[test]
    fn srt_numbers_cues_and_keeps_each_on_one_line() {
        let out = srt(&[
            cue(0, 1500, "林晓：你来了"),
            cue(61_005, 3_723_450, "a\n\nb"),
        ]);
        assert_eq!(
            out,
            "1\n00:00:00,000 --> 00:00:01,500\n林晓：你来了\n\n\
             2\n00:01:01,005 --> 01:02:03,450\na b\n\n"
        );
    }

    #[test]
    fn long_lines_are_broken_for_libass() {
        let cn = "雪儿，你终于醒了！医生说你昏迷了整整三天。";
        let lines = wrap_em(cn, 10.0);
        assert_eq!(lines.concat(), cn);
        assert!(
            lines.len() >= 2 && lines.iter().all(|l| l.chars().count() <= 11),
            "{lines:?}"
        );
        assert!(lines
            .iter()
            .all(|l| !l.starts_with('，') && !l.starts_with('。')));
        let en = "The lights keep passing one after another";
        let lines = wrap_em(en, 10.0);
        assert!(
            lines
                .iter()
                .all(|l| !l.starts_with(' ') && !l.ends_with(' ')),
            "{lines:?}"
        );
        assert_eq!(lines.join(" "), en);
        let out = ass(&[cue(0, 1000, cn)], 720, 1280, "F");
        assert!(out.contains("\\N"), "{out}");
    }

    #[test]
    fn ass_is_sized_for_the_video_and_escapes_overrides() {
        let out = ass(
            &[cue(1230, 4560, "{\\b1}x")],
            1080,
            1920,
            "Noto Sans CJK SC",
        );
        assert!(out.contains("PlayResX: 1080\nPlayResY: 1920"));
        assert!(out.contains("Style: Default,Noto Sans CJK SC,81,"));
        assert!(out.contains("Dialogue: 0,0:00:01.23,0:00:04.56,Default,,0,0,0,,｛＼b1｝x"));
    }
}
