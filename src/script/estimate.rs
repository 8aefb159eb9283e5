//! Shot duration estimates from reading speed.

use super::{text::count_units, DialogueLine};

/// Spoken Chinese (and other CJK) runs at about 4.5 characters a second.
const CJK_CHARS_PER_SEC: f64 = 4.5;
/// About 170 words a minute.
const WORDS_PER_SEC: f64 = 2.8;
/// Breath between lines.
const LINE_PADDING_SECS: f64 = 0.5;

const ACTION_BASE_SECS: f64 = 2.5;
const ACTION_SECS_PER_CJK: f64 = 0.06;
const ACTION_SECS_PER_WORD: f64 = 0.3;
const ACTION_MIN_SECS: f64 = 1.5;
const ACTION_MAX_SECS: f64 = 12.0;

/// Rounds to 0.1 s. Computed in f64 so the result does not depend on summation noise.
pub(crate) fn round_tenth(secs: f64) -> f32 {
    let rounded = (secs * 10.0).round() / 10.0;
    if rounded.is_finite() {
        rounded as f32
    } else {
        0.0
    }
}

pub(crate) fn dialogue_secs(lines: &[DialogueLine]) -> f64 {
    lines
        .iter()
        .map(|l| {
            let (cjk, words) = count_units(&l.text);
            cjk as f64 / CJK_CHARS_PER_SEC + words as f64 / WORDS_PER_SEC + LINE_PADDING_SECS
        })
        .sum()
}

pub(crate) fn action_secs(text: &str) -> f64 {
    let (cjk, words) = count_units(text);
    (ACTION_BASE_SECS + cjk as f64 * ACTION_SECS_PER_CJK + words as f64 * ACTION_SECS_PER_WORD)
        .clamp(ACTION_MIN_SECS, ACTION_MAX_SECS)
}
