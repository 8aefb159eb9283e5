//! Text on the canvas with `ab_glyph`: measuring, wrapping (CJK per character, Latin per word, no
//! closing punctuation at the start of a line) and drawing with coverage blended into the pixels.
use ab_glyph::{point, Font, FontVec, GlyphId, PxScale, ScaleFont};

use super::canvas::{Canvas, Rgb};

pub(crate) const ELLIPSIS: char = '…';

pub(crate) struct Metrics {
    pub ascent: f32,
    pub line_h: f32,
}

pub(crate) fn metrics(font: &FontVec, size: f32) -> Metrics {
    let s = font.as_scaled(PxScale::from(size));
    Metrics {
        ascent: s.ascent(),
        line_h: s.height() + s.line_gap(),
    }
}

/// Control characters would draw as boxes; tabs and the like become spaces.
pub(crate) fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

pub(crate) fn measure(font: &FontVec, size: f32, text: &str) -> f32 {
    let s = font.as_scaled(PxScale::from(size));
    let mut w = 0.0;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = s.glyph_id(c);
        if let Some(p) = prev {
            w += s.kern(p, id);
        }
        w += s.h_advance(id);
        prev = Some(id);
    }
    w
}

/// Draws one line with its left end at `x` and its baseline at `baseline`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw(
    canvas: &mut Canvas,
    font: &FontVec,
    size: f32,
    x: f32,
    baseline: f32,
    text: &str,
    color: Rgb,
    alpha: f32,
) {
    let scale = PxScale::from(size);
    let s = font.as_scaled(scale);
    let mut pen = x;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = s.glyph_id(c);
        if let Some(p) = prev {
            pen += s.kern(p, id);
        }
        if !c.is_whitespace() {
            let glyph = id.with_scale_and_position(scale, point(pen, baseline));
            if let Some(outline) = font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                let (ox, oy) = (b.min.x as i32, b.min.y as i32);
                outline.draw(|gx, gy, cov| {
                    canvas.blend_px(ox + gx as i32, oy + gy as i32, color, cov * alpha)
                });
            }
        }
        pen += s.h_advance(id);
        prev = Some(id);
    }
}

/// Draws `text` centred on `cx`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_centered(
    canvas: &mut Canvas,
    font: &FontVec,
    size: f32,
    cx: f32,
    baseline: f32,
    text: &str,
    color: Rgb,
    alpha: f32,
) {
    let w = measure(font, size, text);
    draw(
        canvas,
        font,
        size,
        cx - w / 2.0,
        baseline,
        text,
        color,
        alpha,
    );
}

/// Scripts written without spaces between words: a line may break after any of these characters.
fn breaks_anywhere(c: char) -> bool {
    let u = c as u32;
    (0x2E80..=0x9FFF).contains(&u)
        || (0xAC00..=0xD7AF).contains(&u)
        || (0xF900..=0xFAFF).contains(&u)
        || (0xFE30..=0xFE4F).contains(&u)
        || (0xFF00..=0xFFEF).contains(&u)
        || (0x1F000..=0x1FAFF).contains(&u)
        || (0x20000..=0x3FFFF).contains(&u)
}

/// Never starts a line (kinsoku): it stays with the character before it.
fn no_line_start(c: char) -> bool {
    "，。、！？；：）」』】》〉”’…—,.!?;:)]}%·～".contains(c)
}

/// Never ends a line: it stays with the character after it.
fn no_line_end(c: char) -> bool {
    "（「『【《〈“‘([{".contains(c)
}

/// Breakable units of one paragraph: words, single CJK characters (with punctuation glued on), and
/// runs of spaces (`None`).
fn units(paragraph: &str) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = Vec::new();
    // Whether the last unit is a Latin word that the next Latin character continues.
    let mut in_word = false;
    let mut glue_next = false;
    for c in paragraph.chars() {
        if c.is_whitespace() {
            if !matches!(out.last(), Some(None)) {
                out.push(None);
            }
            in_word = false;
            glue_next = false;
            continue;
        }
        let attach = glue_next || (no_line_start(c) && matches!(out.last(), Some(Some(_))));
        match out.last_mut() {
            Some(Some(unit)) if attach || (in_word && !breaks_anywhere(c)) => unit.push(c),
            _ => out.push(Some(c.to_string())),
        }
        in_word = !breaks_anywhere(c) && !no_line_start(c);
        glue_next = no_line_end(c);
    }
    out
}

/// Wraps `text` to `max_w` pixels in at most `max_lines` lines; the last kept line ends in `…` when
/// text was cut. Hard line breaks in the text are kept.
pub(crate) fn wrap(
    font: &FontVec,
    size: f32,
    text: &str,
    max_w: f32,
    max_lines: usize,
) -> Vec<String> {
    let max_lines = max_lines.max(1);
    let max_w = max_w.max(1.0);
    let space_w = measure(font, size, " ");
    let mut lines: Vec<String> = Vec::new();
    let mut truncated = false;
    'paragraphs: for paragraph in clean(text).split('\n') {
        let mut line = String::new();
        let mut line_w = 0.0f32;
        let mut pending_space = false;
        for unit in units(paragraph) {
            let Some(unit) = unit else {
                pending_space = !line.is_empty();
                continue;
            };
            let w = measure(font, size, &unit);
            let gap = if pending_space { space_w } else { 0.0 };
            pending_space = false;
            if line_w + gap + w <= max_w {
                if gap > 0.0 {
                    line.push(' ');
                }
                line.push_str(&unit);
                line_w += gap + w;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_w = 0.0;
                if lines.len() > max_lines {
                    truncated = true;
                    break 'paragraphs;
                }
            }
            if w <= max_w {
                line.push_str(&unit);
                line_w = w;
                continue;
            }
            // A unit wider than the whole line (a long URL, a run of glued punctuation): break it
            // between characters.
            for c in unit.chars() {
                let cw = measure(font, size, c.encode_utf8(&mut [0u8; 4]));
                if line_w + cw > max_w && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                    if lines.len() > max_lines {
                        truncated = true;
                        break 'paragraphs;
                    }
                }
                line.push(c);
                line_w += cw;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        if lines.len() > max_lines {
            truncated = true;
            break;
        }
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        truncated = true;
    }
    if truncated {
        if let Some(last) = lines.last_mut() {
            *last = with_ellipsis(font, size, last, max_w);
        }
    }
    lines
}

/// `text` cut so that it plus `…` fits in `max_w` (binary search: long strings stay cheap).
fn with_ellipsis(font: &FontVec, size: f32, text: &str, max_w: f32) -> String {
    let chars: Vec<char> = text.trim_end().chars().collect();
    let candidate = |k: usize| {
        let mut s: String = chars[..k].iter().collect();
        s.push(ELLIPSIS);
        s
    };
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if measure(font, size, &candidate(mid)) <= max_w {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    candidate(lo)
}

/// One line: `text` as is if it fits, otherwise cut with `…`.
pub(crate) fn fit_line(font: &FontVec, size: f32, text: &str, max_w: f32) -> String {
    let text = clean(text).replace('\n', " ");
    if measure(font, size, &text) <= max_w {
        return text;
    }
    with_ellipsis(font, size, &text, max_w)
}
