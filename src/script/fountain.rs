//! Fountain line recognisers (https://fountain.io/syntax). Each looks at one trimmed line; the
//! context rules (blank line before a cue, …) live in the parser.

use super::{
    chinese,
    heading::{extract_scene_number, split_location_time, HeadingParts},
    prepare::PreparedLine,
    text as tx, IntExt, MetadataEntry,
};

/// Longest first, so `INT./EXT` wins over `INT` (and `内外景` over `内景`).
const HEADING_PREFIXES: &[(&str, IntExt)] = &[
    ("INT./EXT", IntExt::InteriorExterior),
    ("INT/EXT", IntExt::InteriorExterior),
    ("EXT./INT", IntExt::InteriorExterior),
    ("EXT/INT", IntExt::InteriorExterior),
    ("I/E", IntExt::InteriorExterior),
    ("E/I", IntExt::InteriorExterior),
    ("INT", IntExt::Interior),
    ("EXT", IntExt::Exterior),
    ("EST", IntExt::Exterior),
    // Chinese Fountain: `内景 咖啡馆 - 日`, `外景。街道 夜`.
    ("内外景", IntExt::InteriorExterior),
    ("外内景", IntExt::InteriorExterior),
    ("内景", IntExt::Interior),
    ("外景", IntExt::Exterior),
];

/// Transitions that do not end in `TO:` but are written as transitions in practice.
const KNOWN_TRANSITIONS: &[&str] = &[
    "FADE IN:",
    "FADE IN.",
    "FADE OUT.",
    "FADE OUT:",
    "FADE OUT",
    "FADE TO BLACK.",
    "FADE TO BLACK",
    "CUT TO BLACK.",
    "CUT TO BLACK",
];

/// Keys that may open a title page (any key may follow once it is open).
const TITLE_KEYS: &[&str] = &[
    "title",
    "credit",
    "author",
    "authors",
    "source",
    "draft date",
    "date",
    "contact",
    "contact info",
    "copyright",
    "notes",
    "revision",
    "series",
    "episode",
];

fn int_ext_prefix(body: &str) -> Option<(IntExt, &str)> {
    for (prefix, ie) in HEADING_PREFIXES {
        let Some(head) = body.get(..prefix.len()) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(prefix) {
            continue;
        }
        let after = body.get(prefix.len()..).unwrap_or("");
        // `INT` must be followed by a dot or a space: "Interesting" is not a heading (nor is
        // "外景很美"); `内景` may also be followed by Chinese punctuation.
        let cjk = !prefix.is_ascii();
        let is_sep = |c: char| {
            c == '.' || c.is_whitespace() || (cjk && matches!(c, '。' | '．' | '·' | '：' | ':'))
        };
        if after.starts_with(is_sep) {
            return Some((*ie, after.trim_start_matches(is_sep)));
        }
    }
    None
}

/// Whether the line is a Fountain scene heading (`INT.`, `EXT.`, `内景`…; not a forced `.` one):
/// what marks a document as Fountain. A prefix check, cheap enough for a pass over every line.
pub(crate) fn is_heading_line(t: &str) -> bool {
    int_ext_prefix(extract_scene_number(t).0).is_some()
}

/// `INT. KITCHEN - NIGHT #12#`, `ext. park - day`, `I/E CAR - DAY`, forced `.SNIPER SCOPE POV`.
pub(crate) fn parse_heading(t: &str) -> Option<HeadingParts> {
    let (forced, body) = match t.strip_prefix('.') {
        // `..` starts an ellipsis, not a forced heading.
        Some(rest) if !rest.starts_with('.') && rest.starts_with(char::is_alphanumeric) => {
            (true, rest)
        }
        Some(_) => return None,
        None => (false, t),
    };
    let (body, source_number) = extract_scene_number(body);
    let (int_ext, rest) = match int_ext_prefix(body) {
        Some((ie, rest)) => (Some(ie), rest),
        None if forced => (None, body),
        None => return None,
    };
    let (location, time_of_day, token_ie) = split_location_time(rest);
    Some(HeadingParts {
        heading: tx::clean(body.trim()),
        source_number,
        location,
        time_of_day,
        int_ext: int_ext.or(token_ie),
    })
}

pub(crate) struct Cue {
    pub name: String,
    pub extension: Option<String>,
    pub dual: bool,
}

/// Which names a cue line may carry.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum CueNames {
    /// After `@`: any name.
    Forced,
    /// `BOB`: upper case.
    Caps,
    /// Upper case, or a short CJK name (`林晓`), as a Fountain document written in Chinese has.
    CapsOrCjk,
}

/// Longest CJK name read as a character cue: longer lines are action.
const MAX_CJK_CUE_CHARS: usize = 8;

/// `林晓`, `欧阳·娜娜`: CJK characters only (a middle dot may join two parts), short, and not a
/// Chinese header word such as `人物`. Sentence punctuation is not CJK, so a sentence never is.
fn is_cjk_name(name: &str) -> bool {
    let is_dot = |c: char| matches!(c, '·' | '・');
    let count = name.chars().count();
    (1..=MAX_CJK_CUE_CHARS).contains(&count)
        && name.chars().all(|c| tx::is_cjk(c) || is_dot(c))
        && !name.starts_with(is_dot)
        && !name.ends_with(is_dot)
        && !chinese::is_header_word(name)
}

/// `BOB`, `BOB (V.O.)`, `BOB（V.O.）`, `BOB (CONT'D) ^`, and with [`CueNames::CapsOrCjk`]
/// `林晓（画外音）`.
pub(crate) fn parse_cue(t: &str, names: CueNames) -> Option<Cue> {
    let mut s = t.trim();
    let mut dual = false;
    if let Some(rest) = s.strip_suffix('^') {
        s = rest.trim_end();
        dual = true;
    }
    let (name_part, ext_part) = match s.find(['(', '（']) {
        Some(p) => (s.get(..p)?, s.get(p..)?),
        None => (s, ""),
    };
    let name = tx::clean(name_part.trim()).trim().to_owned();
    if name.is_empty() {
        return None;
    }
    let caps = tx::is_all_caps(&name)
        && name.chars().count() <= 40
        && !name.ends_with(['!', '?', ':', '：']);
    let valid = match names {
        CueNames::Forced => true,
        CueNames::Caps => caps,
        CueNames::CapsOrCjk => caps || is_cjk_name(&name),
    };
    if !valid {
        return None;
    }
    let extension = parse_extensions(ext_part)?;
    Some(Cue {
        name,
        extension,
        dual,
    })
}

/// `(V.O.) (CONT'D)` → `Some(Some("V.O., CONT'D"))`, `（画外音）` → `Some(Some("画外音"))`; text
/// outside brackets → `None` (not a cue).
fn parse_extensions(s: &str) -> Option<Option<String>> {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let inner = rest.strip_prefix('(').or_else(|| rest.strip_prefix('（'))?;
        let close = inner.find([')', '）'])?;
        let part = tx::clean(inner.get(..close)?.trim());
        if !part.is_empty() {
            parts.push(part);
        }
        let close_len = inner.get(close..)?.chars().next()?.len_utf8();
        rest = inner.get(close + close_len..)?.trim_start();
    }
    Some((!parts.is_empty()).then(|| tx::join_list(parts.iter().map(String::as_str))))
}

/// `CUT TO:` (caps ending in `TO:`) or a well-known fade; the colon may be full-width (`CUT TO：`).
pub(crate) fn is_transition(t: &str) -> bool {
    let (body, colon) = match t.strip_suffix([':', '：']) {
        Some(body) => (body, ":"),
        None => (t, ""),
    };
    let known = |k: &&str| {
        k.strip_suffix(colon)
            .is_some_and(|k| k.eq_ignore_ascii_case(body))
    };
    (!colon.is_empty() && tx::is_all_caps(body) && body.ends_with("TO"))
        || KNOWN_TRANSITIONS.iter().any(known)
}

/// `> BURN TO WHITE.` (but not centered `>…<`).
pub(crate) fn forced_transition(t: &str) -> Option<&str> {
    let rest = t.strip_prefix('>')?;
    if rest.ends_with('<') {
        return None;
    }
    let rest = rest.trim();
    (!rest.is_empty()).then_some(rest)
}

/// `>THE END<` → `THE END`.
pub(crate) fn centered(t: &str) -> Option<&str> {
    let inner = t.strip_prefix('>')?.strip_suffix('<')?;
    Some(inner.trim())
}

/// `## Act two` → (2, `Act two`).
pub(crate) fn section(t: &str) -> Option<(u8, &str)> {
    if !t.starts_with('#') {
        return None;
    }
    let rest = t.trim_start_matches('#');
    let level = u8::try_from(t.len() - rest.len()).unwrap_or(u8::MAX);
    Some((level, rest.trim()))
}

/// `= The heist goes wrong.` (a page break `===` is handled before this).
pub(crate) fn synopsis(t: &str) -> Option<&str> {
    t.strip_prefix('=').map(str::trim)
}

/// `===` (three or more `=` and nothing else).
pub(crate) fn is_page_break(t: &str) -> bool {
    t.len() >= 3 && t.bytes().all(|b| b == b'=')
}

/// `Key: value` or `Key：value`: an ASCII key (Fountain's), or a Chinese header key that belongs on
/// a title page (`标题`, `作者`, `编剧`…). After a full-width colon an ASCII key must be a known
/// title-page key, because `Lisa：你来了。` is a line of dialogue.
fn title_key(line: &str) -> Option<(&str, &str)> {
    let pos = line.find([':', '：'])?;
    let full_width = line.get(pos..)?.starts_with('：');
    let key = line.get(..pos)?.trim();
    let value = line.get(pos + if full_width { '：'.len_utf8() } else { 1 }..)?;
    let ascii = key.len() <= 30
        && key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.'));
    let valid = if ascii {
        !full_width || is_fountain_title_key(key)
    } else {
        chinese::is_meta_key(key)
    };
    valid.then_some((key, value))
}

fn is_fountain_title_key(key: &str) -> bool {
    TITLE_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

pub(crate) struct TitlePage {
    pub entries: Vec<MetadataEntry>,
    /// The first line after the title page (0 when there is none).
    pub end: usize,
    /// Opened by a Fountain key (`Title:`, `Title：`), not a Chinese one (`标题：`).
    pub fountain: bool,
}

/// The title page: `Key: value` lines (either colon) at the very start, opened by a Fountain key
/// (`Title`, `Author`…, any case) or a Chinese one (`标题`, `作者`, `编剧`…), ending at the first
/// blank line. Indented lines continue the previous value, and so does an unindented line after a
/// key with no value of its own (`Contact:` then the address); any other line ends the page early,
/// so a Chinese header written without a blank line (`编剧：王五` then `场景1`) reads on as script.
pub(crate) fn title_page(lines: &[PreparedLine<'_>]) -> TitlePage {
    let none = TitlePage {
        entries: Vec::new(),
        end: 0,
        fountain: false,
    };
    let Some(first) = lines.iter().position(|l| !l.text.trim().is_empty()) else {
        return none;
    };
    let Some((key, _)) = lines.get(first).and_then(|l| title_key(&l.text)) else {
        return none;
    };
    let fountain = is_fountain_title_key(key);
    if !fountain && !chinese::is_meta_key(key) {
        return none;
    }
    let mut entries: Vec<MetadataEntry> = Vec::new();
    let mut i = first;
    while let Some(line) = lines.get(i) {
        let text: &str = &line.text;
        if text.trim().is_empty() {
            break;
        }
        let indented = text.starts_with([' ', '\t']);
        match (indented, title_key(text)) {
            (false, Some((key, value))) => entries.push(MetadataEntry {
                key: key.to_owned(),
                value: tx::clean(value.trim()),
            }),
            _ => match entries.last_mut() {
                Some(last) if indented || last.value.is_empty() => {
                    if !last.value.is_empty() {
                        last.value.push('\n');
                    }
                    last.value.push_str(&tx::clean(text.trim()));
                }
                _ => break,
            },
        }
        i += 1;
    }
    TitlePage {
        entries,
        end: i,
        fountain,
    }
}
