//! What both syntaxes share about scene headings: splitting location, time of day and
//! interior/exterior out of the text after the heading marker.

use super::{text as tx, IntExt};

/// A recognised scene heading, before it becomes a [`super::Scene`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeadingParts {
    pub heading: String,
    pub source_number: Option<String>,
    pub location: Option<String>,
    pub time_of_day: Option<String>,
    pub int_ext: Option<IntExt>,
}

const EN_TIMES: &[&str] = &[
    "DAY",
    "NIGHT",
    "MORNING",
    "AFTERNOON",
    "EVENING",
    "DAWN",
    "DUSK",
    "SUNRISE",
    "SUNSET",
    "NOON",
    "MIDNIGHT",
    "CONTINUOUS",
    "LATER",
    "SAME",
    "TWILIGHT",
    "DAYTIME",
    "NIGHTTIME",
];

pub(crate) fn is_cn_time(tok: &str) -> bool {
    matches!(
        tok,
        "日" | "夜"
            | "晨"
            | "昏"
            | "早"
            | "晚"
            | "午"
            | "黄昏"
            | "清晨"
            | "早晨"
            | "早上"
            | "上午"
            | "中午"
            | "正午"
            | "下午"
            | "傍晚"
            | "晚上"
            | "白天"
            | "夜晚"
            | "夜间"
            | "深夜"
            | "凌晨"
            | "午夜"
            | "黎明"
            | "拂晓"
            | "日间"
            | "夜里"
            | "日景"
            | "夜景"
            | "同时"
            | "稍后"
    )
}

pub(crate) fn cn_int_ext(tok: &str) -> Option<IntExt> {
    match tok {
        "内" | "内景" | "室内" => Some(IntExt::Interior),
        "外" | "外景" | "室外" => Some(IntExt::Exterior),
        "内外" | "外内" | "内外景" => Some(IntExt::InteriorExterior),
        _ => None,
    }
}

/// `夜内` / `日外`: a time word glued to 内/外.
fn split_combined(tok: &str) -> Option<(&str, IntExt)> {
    let last = tok.chars().next_back()?;
    let ie = cn_int_ext(last.encode_utf8(&mut [0u8; 4]))?;
    let time = tok.get(..tok.len() - last.len_utf8())?;
    is_cn_time(time).then_some((time, ie))
}

fn is_time_like(seg: &str) -> bool {
    if is_cn_time(seg) {
        return true;
    }
    seg.split(|c: char| !c.is_alphabetic())
        .any(|w| EN_TIMES.iter().any(|t| t.eq_ignore_ascii_case(w)))
}

fn is_token_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '·' | '•' | '，' | ',' | '、' | '/' | '／' | '|' | '｜')
}

/// True when the text contains a separate time-of-day or 内/外 token (`公园 夜 内`).
pub(crate) fn has_scene_token(rest: &str) -> bool {
    rest.split(is_token_separator)
        .filter(|t| !t.is_empty())
        .any(|t| is_cn_time(t) || cn_int_ext(t).is_some() || split_combined(t).is_some())
}

fn non_empty(s: &str) -> Option<String> {
    let s = tx::clean(s.trim());
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// `KITCHEN - NIGHT` (Fountain) or `公园 夜 内` (Chinese tokens, any order) →
/// (location, time of day, interior/exterior).
pub(crate) fn split_location_time(rest: &str) -> (Option<String>, Option<String>, Option<IntExt>) {
    let rest = rest.trim();
    // Only Fountain-style headings have a dash; skip the three searches otherwise.
    let has_dash = rest.as_bytes().contains(&b'-') || rest.contains(['–', '—']);
    for sep in [" - ", " – ", " — "].into_iter().filter(|_| has_dash) {
        if let Some(pos) = rest.rfind(sep) {
            let loc = rest.get(..pos).unwrap_or("");
            let time = rest.get(pos + sep.len()..).unwrap_or("");
            if is_time_like(time.trim()) {
                return (non_empty(loc), non_empty(time), None);
            }
        }
    }
    let mut time = None;
    let (mut interior, mut exterior) = (false, false);
    let mut location: Vec<&str> = Vec::new();
    let mut mark = |ie: IntExt| match ie {
        IntExt::Interior => interior = true,
        IntExt::Exterior => exterior = true,
        IntExt::InteriorExterior => {
            interior = true;
            exterior = true;
        }
    };
    for tok in rest.split(is_token_separator).filter(|t| !t.is_empty()) {
        if time.is_none() && is_cn_time(tok) {
            time = Some(tok);
        } else if let Some(ie) = cn_int_ext(tok) {
            mark(ie);
        } else if let Some((t, ie)) = split_combined(tok) {
            time = time.or(Some(t));
            mark(ie);
        } else {
            location.push(tok);
        }
    }
    let int_ext = match (interior, exterior) {
        (true, true) => Some(IntExt::InteriorExterior),
        (true, false) => Some(IntExt::Interior),
        (false, true) => Some(IntExt::Exterior),
        (false, false) => None,
    };
    if time.is_none() && int_ext.is_none() {
        // Nothing recognised: keep the text as written (it may contain `/` or `,`).
        return (non_empty(rest), None, None);
    }
    (
        non_empty(&location.join(" ")),
        time.and_then(non_empty),
        int_ext,
    )
}

/// `… #12#` at the end of a heading → (heading without it, `12`).
pub(crate) fn extract_scene_number(s: &str) -> (&str, Option<String>) {
    let s = s.trim_end();
    if let Some(inner) = s.strip_suffix('#') {
        if let Some(pos) = inner.rfind('#') {
            let num = inner.get(pos + 1..).unwrap_or("");
            let valid = !num.is_empty()
                && num
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.'));
            if valid {
                return (
                    inner.get(..pos).unwrap_or("").trim_end(),
                    Some(num.to_owned()),
                );
            }
        }
    }
    (s, None)
}
