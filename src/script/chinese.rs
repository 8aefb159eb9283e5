//! Recognisers for Chinese short-drama script conventions: `第1集`, `场景1：公园 日 外`,
//! `角色（情绪）：台词`, `△动作`, `人物：张三、李四`, header fields.

use super::{
    heading::{has_scene_token, split_location_time, HeadingParts},
    text as tx,
};

/// Longest speaker name accepted before a colon; longer text is a sentence, not a name.
const MAX_NAME_CHARS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    Cast,
    Meta,
    Time,
    Location,
    Remark,
    Action,
}

/// `键：值` header words. None of these is ever read as a speaker name. A `match` rather than a
/// table: it runs on every line with a colon and compiles to length checks and compares.
fn field_kind(key: &str) -> Option<FieldKind> {
    Some(match key {
        "人物" | "出场人物" | "登场人物" | "主要人物" | "角色" | "出场角色" => {
            FieldKind::Cast
        }
        "剧名" | "片名" | "标题" | "剧本名" | "编剧" | "作者" | "导演" | "类型" | "题材"
        | "集数" | "时长" | "主演" => FieldKind::Meta,
        "时间" => FieldKind::Time,
        "地点" => FieldKind::Location,
        "简介" | "梗概" | "故事梗概" | "剧情简介" | "剧情梗概" | "备注" | "注" | "说明"
        | "提示" => FieldKind::Remark,
        "字幕" | "画面" | "镜头" | "音效" | "音乐" | "背景音乐" | "BGM" | "特写" | "道具"
        | "服装" => FieldKind::Action,
        _ => return None,
    })
}

/// Words that are headers, never speakers, besides the [`field_kind`] keys.
const OTHER_HEADER_WORDS: &[&str] = &[
    "场景",
    "场次",
    "场",
    "景",
    "集",
    "第",
    "内景",
    "外景",
    "内外景",
    "外内景",
];

const TITLE_META_KEYS: &[&str] = &["剧名", "片名", "标题", "剧本名"];

const TRANSITIONS: &[&str] = &[
    "淡入", "淡出", "渐入", "渐出", "黑场", "转场", "叠化", "切至", "切换", "硬切", "闪白", "闪黑",
];

/// Bracketed words that mark how a line is heard rather than how it is acted.
const EXTENSIONS: &[&str] = &[
    "OS",
    "VO",
    "OC",
    "CONTD",
    "画外音",
    "画外",
    "内心",
    "内心OS",
    "内心独白",
    "独白",
    "心声",
    "旁白",
    "电话",
    "电话音",
    "画外OS",
];

pub(crate) enum Field {
    Cast(Vec<String>),
    Meta { key: String, value: String },
    Time(String),
    Location(String),
    Remark,
    Action,
}

pub(crate) struct CnDialogue {
    pub name: String,
    pub extension: Option<String>,
    pub parenthetical: Option<String>,
    pub text: String,
}

pub(crate) fn is_title_key(key: &str) -> bool {
    TITLE_META_KEYS.contains(&key)
}

/// `剧名`, `编剧`, `作者`…: a header key whose value is metadata (what a title page holds).
pub(crate) fn is_meta_key(key: &str) -> bool {
    field_kind(key) == Some(FieldKind::Meta)
}

fn is_sep(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '：' | ':' | '、' | '.' | '．' | '-' | '—' | '－' | '·' | '，' | ','
        )
}

/// Skips separators; reports whether there were any.
fn skip_seps(s: &str) -> (bool, &str) {
    let t = s.trim_start_matches(is_sep);
    (t.len() != s.len(), t)
}

/// `第1集`, `第一集`, `第12集：标题`, `第 3 集 《标题》`.
pub(crate) fn parse_episode(t: &str) -> Option<(u32, Option<String>)> {
    let rest = t.strip_prefix('第')?;
    // The number is short: bounding the search keeps a long line starting with 第 cheap.
    let (pos, _) = rest.char_indices().take(12).find(|(_, c)| *c == '集')?;
    let number = tx::parse_number(rest.get(..pos)?)?;
    let after = rest.get(pos + '集'.len_utf8()..)?;
    let (had_sep, title) = skip_seps(after);
    // "第一集里……" is a sentence; a title needs a separator or 《》.
    if !title.is_empty() && !had_sep && !title.starts_with('《') {
        return None;
    }
    let title = title
        .trim()
        .trim_start_matches('《')
        .trim_end_matches('》')
        .trim();
    let title = tx::clean(title);
    Some((number, (!title.is_empty()).then_some(title)))
}

/// Takes a scene number (`12`, `1-2`, `十二`) off the front of `s`.
fn take_number(s: &str, allow_cn: bool) -> (Option<&str>, &str) {
    let is_num = |c: char| tx::is_digit(c) || (allow_cn && tx::is_cn_numeral(c));
    let mut end = 0;
    for (i, c) in s.char_indices() {
        if !(is_num(c) || matches!(c, '-' | '－' | '.' | '．')) {
            break;
        }
        end = i + c.len_utf8();
    }
    let num = s
        .get(..end)
        .unwrap_or("")
        .trim_end_matches(['-', '－', '.', '．']);
    if !num.starts_with(is_num) {
        return (None, s);
    }
    (Some(num), s.get(num.len()..).unwrap_or(""))
}

fn heading_parts(line: &str, number: Option<&str>, rest: &str) -> HeadingParts {
    let (location, time_of_day, int_ext) = split_location_time(rest);
    HeadingParts {
        heading: tx::clean(line.trim()),
        source_number: number.map(str::to_owned),
        location,
        time_of_day,
        int_ext,
    }
}

/// `场景1：公园 日 外`, `场景：公园`, `场1 公园 日 外`, `1-2 公园 夜 内`, `【场景】公园 夜 内`,
/// `【场景3：公园】夜`, `【公园 夜】`.
pub(crate) fn parse_heading(t: &str) -> Option<HeadingParts> {
    if let Some(after_open) = t.strip_prefix('【') {
        let close = after_open.find('】')?;
        let inner = after_open.get(..close)?.trim();
        let after = after_open.get(close + '】'.len_utf8()..)?.trim();
        if let Some(x) = inner
            .strip_prefix("场景")
            .or_else(|| inner.strip_prefix("场次"))
        {
            let (number, r) = take_number(x, true);
            let (_, inside) = skip_seps(r);
            let rest = format!("{inside} {after}");
            return Some(heading_parts(t, number, &rest));
        }
        // A bracket holding a place and a time (not 【闪回】 or 【字幕：…】).
        if after.is_empty() && has_scene_token(inner) {
            return Some(heading_parts(t, None, inner));
        }
        return None;
    }
    for prefix in ["场景", "场次"] {
        if let Some(x) = t.strip_prefix(prefix) {
            let (number, r) = take_number(x, true);
            let (had_sep, rest) = skip_seps(r);
            // "场景很美" is prose: a heading needs a number or a separator after 场景.
            if number.is_none() && !had_sep {
                return None;
            }
            return Some(heading_parts(t, number, rest));
        }
    }
    if let Some(x) = t.strip_prefix('场') {
        if x.starts_with(tx::is_digit) {
            let (number, r) = take_number(x, false);
            let (_, rest) = skip_seps(r);
            return Some(heading_parts(t, number, rest));
        }
        return None;
    }
    if t.starts_with(tx::is_digit) {
        let (number, r) = take_number(t, false);
        let (had_sep, rest) = skip_seps(r);
        // A bare number needs a separator and a time or 内/外 token, or any numbered line would do.
        if number.is_some() && had_sep && has_scene_token(rest) {
            return Some(heading_parts(t, number, rest));
        }
    }
    None
}

/// Where a name or header key can end: the first colon (full- or half-width) within the first
/// few characters. Computed once per line and shared by [`parse_field`] and [`parse_dialogue`].
#[derive(Clone, Copy)]
pub(crate) struct Colon {
    pos: usize,
    ch: char,
    /// Characters before it.
    index: usize,
}

/// The colon must come early: names and header keys are short, and so is a bracket note.
/// A byte loop (`：` is EF BC 9A), as this runs on every line.
pub(crate) fn find_colon(t: &str) -> Option<Colon> {
    let b = t.as_bytes();
    let mut index = 0;
    let mut i = 0;
    while i < b.len() {
        let byte = b[i];
        if byte == b':' {
            return Some(Colon {
                pos: i,
                ch: ':',
                index,
            });
        }
        if byte == 0xEF && b.get(i + 1..i + 3) == Some(&[0xBC, 0x9A]) {
            return Some(Colon {
                pos: i,
                ch: '：',
                index,
            });
        }
        // Count characters by their first byte (not a UTF-8 continuation byte).
        if byte & 0xC0 != 0x80 {
            index += 1;
            if index > MAX_NAME_CHARS + 24 {
                return None;
            }
        }
        i += 1;
    }
    None
}

fn split_at_colon<'a>(t: &'a str, colon: &Colon) -> Option<(&'a str, &'a str)> {
    Some((
        t.get(..colon.pos)?.trim(),
        t.get(colon.pos + colon.ch.len_utf8()..)?.trim(),
    ))
}

/// `人物：张三、李四`, `剧名：…`, `时间：夜`, `备注：…`, `字幕：…`.
pub(crate) fn parse_field(t: &str, colon: Colon) -> Option<Field> {
    // Header keys are at most a few characters.
    if colon.index > 7 {
        return None;
    }
    let (key, value) = split_at_colon(t, &colon)?;
    let kind = field_kind(key)?;
    Some(match kind {
        FieldKind::Cast => Field::Cast(split_names(value)),
        FieldKind::Meta => Field::Meta {
            key: key.to_owned(),
            value: tx::clean(value),
        },
        FieldKind::Time => Field::Time(tx::clean(value)),
        FieldKind::Location => Field::Location(tx::clean(value)),
        FieldKind::Remark => Field::Remark,
        FieldKind::Action => Field::Action,
    })
}

/// `张三、李四（女，25岁），王五等` → `[张三, 李四, 王五]`.
fn split_names(value: &str) -> Vec<String> {
    let cleaned = tx::remove_parens(value);
    let mut names: Vec<String> = Vec::new();
    for raw in cleaned.split(|c: char| {
        c.is_whitespace() || matches!(c, '、' | '，' | ',' | ';' | '；' | '/' | '|' | '｜')
    }) {
        let name = tx::clean(raw.trim());
        let name = name.trim().trim_end_matches('等').trim();
        if !name.is_empty()
            && name.chars().count() <= MAX_NAME_CHARS * 2
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_owned());
        }
    }
    names
}

pub(crate) fn is_header_word(name: &str) -> bool {
    field_kind(name).is_some() || OTHER_HEADER_WORDS.contains(&name)
}

/// Punctuation that never appears in a speaker name (it means the "name" is a sentence or a
/// Fountain marker such as `!`, `@`, `>`, `.`).
fn is_name_breaker(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '，' | '。'
                | '！'
                | '？'
                | '、'
                | '；'
                | '：'
                | ','
                | '.'
                | '!'
                | '?'
                | ';'
                | ':'
                | '"'
                | '\''
                | '“'
                | '”'
                | '‘'
                | '’'
                | '《'
                | '》'
                | '【'
                | '】'
                | '['
                | ']'
                | '('
                | ')'
                | '（'
                | '）'
                | '△'
                | '▲'
                | '#'
                | '@'
                | '~'
                | '>'
                | '<'
                | '='
                | '*'
                | '/'
                | '\\'
                | '|'
                | '…'
                | '—'
        )
}

/// `name（…）` → (`name`, `…`); no trailing bracket → (`name`, None).
fn split_trailing_paren(head: &str) -> Option<(&str, Option<&str>)> {
    let Some(inner_end) = head.strip_suffix(')').or_else(|| head.strip_suffix('）')) else {
        return Some((head, None));
    };
    let open = inner_end.rfind(['(', '（'])?;
    let open_len = if inner_end.get(open..)?.starts_with('(') {
        1
    } else {
        '（'.len_utf8()
    };
    let name = inner_end.get(..open)?.trim();
    let paren = inner_end.get(open + open_len..)?.trim();
    Some((name, Some(paren)))
}

/// `（冷笑）台词` → (`冷笑`, `台词`).
fn split_leading_paren(text: &str) -> (Option<&str>, &str) {
    let Some(inner) = text.strip_prefix('(').or_else(|| text.strip_prefix('（')) else {
        return (None, text);
    };
    match inner.find([')', '）']) {
        Some(close) => {
            let close_len = if inner.get(close..).is_some_and(|s| s.starts_with(')')) {
                1
            } else {
                '）'.len_utf8()
            };
            (
                inner.get(..close).map(str::trim),
                inner.get(close + close_len..).unwrap_or("").trim(),
            )
        }
        None => (None, text),
    }
}

fn is_extension(part: &str) -> bool {
    if EXTENSIONS.contains(&part) {
        return true;
    }
    if !part.is_ascii() {
        return false;
    }
    // `O.S.`, `v.o.`, `CONT'D` → `OS`, `VO`, `CONTD`.
    let key: String = part
        .chars()
        .filter(|c| !matches!(c, '.' | ' ' | '\''))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    EXTENSIONS.contains(&key.as_str())
}

/// Splits bracket contents into the extension (`OS`, `画外音`) and the acting note (`冷笑`).
fn classify_parens<'a>(parts: impl Iterator<Item = &'a str>) -> (Option<String>, Option<String>) {
    let mut ext: Vec<&str> = Vec::new();
    let mut acting: Vec<&str> = Vec::new();
    for p in parts
        .flat_map(|p| p.split(['，', ',', '、', ';', '；', '/']))
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        if is_extension(p) {
            ext.push(p);
        } else {
            acting.push(p);
        }
    }
    let join = |v: Vec<&str>| (!v.is_empty()).then(|| tx::clean(&tx::join_list(v)));
    (join(ext), join(acting))
}

/// `张三：台词`, `张三:台词`, `张三（哭着）：台词`, `张三(OS)：台词`, `张三：（冷笑）台词`.
///
/// The name is at most 10 characters with no spaces or punctuation and not a header word; with a
/// half-width colon it must contain CJK, so English prose such as `Note: …` stays action.
pub(crate) fn parse_dialogue(t: &str, colon: Colon) -> Option<CnDialogue> {
    let (head, text) = split_at_colon(t, &colon)?;
    let colon = colon.ch;
    if colon == ':' {
        // `凌晨3:00` is a time, not a speaker.
        let before = head.chars().next_back();
        let after = text.chars().next();
        if before.is_some_and(|c| c.is_ascii_digit()) && after.is_some_and(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    let (name, head_paren) = split_trailing_paren(head)?;
    let name_chars = name.chars().count();
    let valid = (1..=MAX_NAME_CHARS).contains(&name_chars)
        && !name.chars().any(is_name_breaker)
        && name.chars().any(char::is_alphabetic)
        && !is_header_word(name)
        && (colon == '：' || name.chars().any(tx::is_cjk));
    if !valid {
        return None;
    }
    let (text_paren, text) = split_leading_paren(text);
    let (extension, parenthetical) = classify_parens(head_paren.into_iter().chain(text_paren));
    Some(CnDialogue {
        name: tx::clean(name),
        extension,
        parenthetical,
        text: tx::clean(text),
    })
}

/// `△张三推门而入` / `▲…` → the action text.
pub(crate) fn action_marker(t: &str) -> Option<&str> {
    t.strip_prefix('△')
        .or_else(|| t.strip_prefix('▲'))
        .map(str::trim)
}

/// `淡入`, `【转场】`, `黑场。` → the transition as written.
pub(crate) fn transition(t: &str) -> Option<&str> {
    let inner = t
        .strip_prefix('【')
        .and_then(|s| s.strip_suffix('】'))
        .unwrap_or(t)
        .trim()
        .trim_end_matches(['：', ':', '。', '.']);
    TRANSITIONS.contains(&inner).then_some(inner)
}
