//! Small text helpers shared by the parsers. All are linear in their input.

use std::borrow::Cow;

/// CJK ideographs, kana and hangul: read character by character, written without spaces.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(
        u32::from(c),
        0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xF900..=0xFAFF
            | 0x20000..=0x3134F
            | 0x3040..=0x30FF
            | 0x31F0..=0x31FF
            | 0xAC00..=0xD7AF
            | 0x3005
            | 0x3007
    )
}

/// CJK plus CJK and full-width punctuation: text around these is joined without a space.
/// (Curly quotes and dashes are shared with English, so they do not count.)
pub(crate) fn is_wide(c: char) -> bool {
    is_cjk(c) || matches!(u32::from(c), 0x3000..=0x303F | 0xFF00..=0xFFEF)
}

pub(crate) fn normalise_newlines(s: &str) -> Cow<'_, str> {
    if !s.contains('\r') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
}

/// Display text: Fountain emphasis markers (`*`, `**`, `***`, `_`) removed, whitespace runs
/// collapsed to one space, ends trimmed. `\*` and `\_` stay as literal characters, and an
/// underscore inside a word (`snake_case`) is kept. Every stored text goes through this, so
/// fingerprints can hash it as is.
pub(crate) fn clean(s: &str) -> String {
    let s = s.trim();
    // Most lines need nothing; one byte scan is much cheaper than the char loop below.
    if is_plain(s.as_bytes()) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut prev: Option<char> = None;
    let mut space = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let emit = match c {
            '\\' if matches!(chars.peek(), Some('*' | '_')) => chars.next(),
            '*' => None,
            '_' => {
                let inside_word = prev.is_some_and(char::is_alphanumeric)
                    && chars.peek().is_some_and(|n| n.is_alphanumeric());
                inside_word.then_some('_')
            }
            c if c.is_whitespace() => {
                space = true;
                None
            }
            c => Some(c),
        };
        if let Some(e) = emit {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(e);
        }
        prev = Some(c);
    }
    out
}

/// No emphasis marker and no whitespace other than single ASCII spaces. An index loop over
/// bytes: this runs on every stored text and iterator adapters are slow in debug builds.
fn is_plain(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        let unusual = match b[i] {
            b'*' | b'_' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C => true,
            b' ' => b.get(i + 1) == Some(&b' '),
            // U+0085, U+00A0
            0xC2 => matches!(b.get(i + 1), Some(0x85 | 0xA0)),
            // U+1680, U+2000–U+200A, U+2028/9, U+202F, U+205F, U+3000
            0xE1..=0xE3 => matches!(
                b.get(i..i + 3),
                Some([0xE1, 0x9A, 0x80])
                    | Some([0xE2, 0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF])
                    | Some([0xE2, 0x81, 0x9F])
                    | Some([0xE3, 0x80, 0x80])
            ),
            _ => false,
        };
        if unusual {
            return false;
        }
        i += 1;
    }
    true
}

/// Quotes, dashes and the ellipsis: written in both scripts, so the text around them decides.
fn is_shared_punct(c: char) -> bool {
    matches!(c, '"' | '\'' | '\u{2010}'..='\u{201F}' | '\u{2026}')
}

/// How far past shared punctuation [`touches_wide`] looks: enough for `”」` or `……”`, and a
/// bound that keeps a join constant-time on odd input.
const SHARED_PUNCT_LOOKAHEAD: usize = 8;

/// Whether the first character of `chars` that is not shared punctuation is CJK or full-width.
fn touches_wide(chars: impl Iterator<Item = char>) -> bool {
    chars
        .take(SHARED_PUNCT_LOOKAHEAD)
        .find(|c| !is_shared_punct(*c))
        .is_some_and(is_wide)
}

/// Whether a separator between `left` and `right` sits next to CJK text (looking past quotes and
/// dashes, so `“走吧。”` + `“不。”` counts as Chinese and `“go.”` + `“No.”` as English).
fn wide_between(left: &str, right: &str) -> bool {
    touches_wide(left.chars().rev()) || touches_wide(right.chars())
}

/// Appends `next` to `acc`, with a space between Latin words but none around CJK text.
pub(crate) fn join_into(acc: &mut String, next: &str) {
    let next = next.trim();
    if next.is_empty() {
        return;
    }
    if !acc.is_empty() && !wide_between(acc, next) {
        acc.push(' ');
    }
    acc.push_str(next);
}

/// Joins two whole sentences or descriptions (a storyboard merge): no space when both sides are
/// Chinese (`…空无一人。她…`), a space otherwise (`…hands. 林雪: …`).
pub(crate) fn join_sentences(left: &str, right: &str) -> String {
    let (left, right) = (left.trim(), right.trim());
    if left.is_empty() || right.is_empty() {
        return format!("{left}{right}");
    }
    let sep = if touches_wide(left.chars().rev()) && touches_wide(right.chars()) {
        ""
    } else {
        " "
    };
    format!("{left}{sep}{right}")
}

/// Joins list items the parser separates itself (bracket notes, extensions): `，` next to CJK
/// text, `, ` between Latin ones.
pub(crate) fn join_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for item in items {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str(if wide_between(&out, item) {
                "，"
            } else {
                ", "
            });
        }
        out.push_str(item);
    }
    out
}

/// Lines of a multi-line value (a title written over several lines) as one line.
pub(crate) fn join_lines(s: &str) -> String {
    let mut out = String::new();
    for line in s.split('\n') {
        join_into(&mut out, line);
    }
    out
}

/// `(…)` or `（…）` (either bracket style at either end) → the inside, trimmed.
pub(crate) fn strip_wrapping_parens(t: &str) -> Option<&str> {
    let rest = t.strip_prefix('(').or_else(|| t.strip_prefix('（'))?;
    let inner = rest.strip_suffix(')').or_else(|| rest.strip_suffix('）'))?;
    Some(inner.trim())
}

/// Removes every bracketed part (`(…)`, `（…）`), nesting included.
pub(crate) fn remove_parens(s: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '(' | '（' => depth = depth.saturating_add(1),
            ')' | '）' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// At most `max` characters, with `…` when something was cut.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    // Count characters by their first byte; stop at the first one past `max`.
    let b = s.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] & 0xC0 != 0x80 {
            if count == max {
                let mut out = s.get(..i).unwrap_or(s).trim_end().to_owned();
                out.push('…');
                return out;
            }
            count += 1;
        }
        i += 1;
    }
    s.to_owned()
}

/// At least one upper-case letter and no lower-case one (CJK has no case, so it is not "caps").
pub(crate) fn is_all_caps(s: &str) -> bool {
    let mut upper = false;
    for c in s.chars() {
        if c.is_lowercase() {
            return false;
        }
        upper |= c.is_uppercase();
    }
    upper
}

pub(crate) fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

pub(crate) fn is_cn_numeral(c: char) -> bool {
    matches!(
        c,
        '零' | '〇'
            | '一'
            | '二'
            | '两'
            | '三'
            | '四'
            | '五'
            | '六'
            | '七'
            | '八'
            | '九'
            | '十'
            | '百'
            | '千'
    )
}

/// `12`, `１２`, `十二`, `一百零五` → the number; anything else (or an overflow) → `None`.
pub(crate) fn parse_number(s: &str) -> Option<u32> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.chars().all(is_digit) {
        return s.chars().try_fold(0u32, |acc, c| {
            let d = c.to_digit(10).or_else(|| {
                u32::from(c)
                    .checked_sub(u32::from('０'))
                    .filter(|d| *d < 10)
            })?;
            acc.checked_mul(10)?.checked_add(d)
        });
    }
    parse_chinese_numeral(s)
}

fn parse_chinese_numeral(s: &str) -> Option<u32> {
    let mut total = 0u32;
    let mut digit: Option<u32> = None;
    for c in s.chars() {
        let unit = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            _ => {
                let d = match c {
                    '零' | '〇' => 0,
                    '一' => 1,
                    '二' | '两' => 2,
                    '三' => 3,
                    '四' => 4,
                    '五' => 5,
                    '六' => 6,
                    '七' => 7,
                    '八' => 8,
                    '九' => 9,
                    _ => return None,
                };
                // Two digits in a row ("一二") is not a numeral, except after 零 ("一百零五").
                if digit.is_some_and(|prev| prev != 0) {
                    return None;
                }
                digit = Some(d);
                continue;
            }
        };
        // "十二" means one ten; "百" alone is read the same way.
        let d = digit.take().unwrap_or(1);
        total = total.checked_add(d.checked_mul(unit)?)?;
    }
    total.checked_add(digit.unwrap_or(0))
}

/// Characters of CJK text and words of everything else, for reading-time estimates.
pub(crate) fn count_units(s: &str) -> (usize, usize) {
    let mut cjk = 0usize;
    let mut words = 0usize;
    let mut in_word = false;
    for c in s.chars() {
        if is_cjk(c) {
            cjk += 1;
            in_word = false;
        } else if c.is_alphanumeric() {
            if !in_word {
                words += 1;
                in_word = true;
            }
        } else if !(in_word && matches!(c, '\'' | '’' | '-')) {
            // An apostrophe or hyphen inside a word ("don't", "well-known") does not split it.
            in_word = false;
        }
    }
    (cjk, words)
}
