//! The line-by-line pass that builds a [`Breakdown`] from both syntaxes at once, and the final
//! pass that numbers shots, estimates durations and gathers characters.

use std::collections::BTreeMap;

use super::{
    chinese::{self, CnDialogue, Field},
    diff, estimate,
    fountain::{self, Cue, CueNames},
    heading::HeadingParts,
    prepare, text as tx, Breakdown, CharacterSummary, DialogueLine, Episode, IntExt, MetadataEntry,
    Note, NoteKind, Scene, ScriptError, Shot, ShotKind, MAX_SCRIPT_BYTES,
};

/// Known names searched for in action text. Real scripts have far fewer; the cap keeps the scan
/// linear on pathological input.
const MAX_MATCHED_NAMES: usize = 256;
/// Characters of dialogue quoted in a dialogue shot's description.
const SUMMARY_CHARS: usize = 40;

pub(crate) fn parse_text(input: &str) -> Result<Breakdown, ScriptError> {
    if input.len() > MAX_SCRIPT_BYTES {
        return Err(ScriptError::TooLarge {
            size: input.len(),
            limit: MAX_SCRIPT_BYTES,
        });
    }
    let normalised = tx::normalise_newlines(input);
    let body = normalised.strip_prefix('\u{feff}').unwrap_or(&normalised);
    if body.trim().is_empty() {
        return Err(ScriptError::Empty);
    }
    let prepared = prepare::strip_hidden(body);
    let title_page = fountain::title_page(&prepared.lines);
    let start = title_page.end;
    // A title page opened by `标题：` names the script as a `标题：` header line would.
    let cn_title = title_page
        .entries
        .iter()
        .find(|m| chinese::is_title_key(&m.key) && !m.value.is_empty())
        .map(|m| tx::join_lines(&m.value));
    // Trimmed once: each line is looked at as itself and as the next line of its predecessor.
    let lines: Vec<(usize, &str)> = prepared
        .lines
        .iter()
        .map(|l| (l.number, l.text.trim()))
        .collect();
    let fountain = title_page.fountain
        || lines
            .get(start..)
            .unwrap_or_default()
            .iter()
            .any(|&(_, t)| fountain::is_heading_line(t));
    let mut builder = Builder {
        metadata: title_page.entries,
        cn_title,
        fountain,
        warnings: prepared.warnings,
        boundary: true,
        ..Builder::default()
    };
    for i in start..lines.len() {
        builder.line(&lines, i);
    }
    Ok(builder.finish())
}

/// Names in first-seen order, without repeats. Lists are short (a scene has a handful of
/// characters), so lookups scan the list; a map takes over only for long lists, which keeps odd
/// input linear.
#[derive(Default)]
struct OrderedNames {
    items: Vec<String>,
    /// Filled once `items` outgrows [`OrderedNames::SCAN_LIMIT`].
    index: BTreeMap<String, usize>,
}

impl OrderedNames {
    const SCAN_LIMIT: usize = 16;

    fn position(&self, name: &str) -> Option<usize> {
        if self.items.len() <= Self::SCAN_LIMIT {
            self.items.iter().position(|n| n == name)
        } else {
            self.index.get(name).copied()
        }
    }

    /// Adds `name` if new; returns its position either way.
    fn add(&mut self, name: &str) -> usize {
        if let Some(i) = self.position(name) {
            return i;
        }
        let i = self.items.len();
        self.items.push(name.to_owned());
        if self.items.len() > Self::SCAN_LIMIT {
            if self.index.is_empty() {
                for (j, n) in self.items.iter().enumerate() {
                    self.index.insert(n.clone(), j);
                }
            } else {
                self.index.insert(name.to_owned(), i);
            }
        }
        i
    }
}

#[derive(Default)]
struct DraftScene {
    parts: Option<HeadingParts>,
    episode: Option<u32>,
    transitions: Vec<String>,
    cast: OrderedNames,
}

struct DraftShot {
    scene: usize,
    kind: ShotKind,
    text: String,
    speaker: Option<String>,
    lines: Vec<DialogueLine>,
}

/// A dialogue block being read: a Fountain cue, or a Chinese `角色：` with its text on later lines.
struct DialogueDraft {
    name: String,
    extension: Option<String>,
    dual: bool,
    lines: Vec<DialogueLine>,
    pending_paren: Option<String>,
    /// The cue line, kept as action if no dialogue follows.
    source: String,
    line_number: usize,
}

impl DialogueDraft {
    fn line(&self, parenthetical: Option<String>, text: String) -> DialogueLine {
        DialogueLine {
            character: self.name.clone(),
            extension: self.extension.clone(),
            parenthetical,
            text,
            dual: self.dual,
        }
    }
}

#[derive(Default)]
enum Open {
    #[default]
    Nothing,
    Action(String),
    Dialogue(DialogueDraft),
}

#[derive(Default)]
struct Builder {
    metadata: Vec<MetadataEntry>,
    cn_title: Option<String>,
    episodes: Vec<Episode>,
    current_episode: Option<u32>,
    scenes: Vec<DraftScene>,
    shots: Vec<DraftShot>,
    notes: Vec<Note>,
    warnings: Vec<String>,
    /// Transitions and cast lists seen before their scene exists.
    pending_transitions: Vec<String>,
    pending_cast: OrderedNames,
    open: Open,
    /// True after a blank line or a closed element: where a Fountain cue may start.
    boundary: bool,
    /// A Fountain document (a Fountain title page or scene heading): a short CJK name line may be
    /// a character cue.
    fountain: bool,
    known: OrderedNames,
}

impl Builder {
    /// Reads line `i` of the trimmed lines (with their original line numbers).
    fn line(&mut self, lines: &[(usize, &str)], i: usize) {
        let Some(&(number, t)) = lines.get(i) else {
            return;
        };
        if t.is_empty() || fountain::is_page_break(t) {
            self.close_open();
            self.boundary = true;
            return;
        }
        let next_has_text = lines
            .get(i + 1)
            .is_some_and(|&(_, n)| !n.is_empty() && !fountain::is_page_break(n));

        // Chinese conventions are unambiguous, so they also end an open Fountain element.
        if let Some((number, title)) = chinese::parse_episode(t) {
            self.start_episode(number, title, t);
            return;
        }
        if let Some(parts) = chinese::parse_heading(t) {
            self.start_scene(parts);
            return;
        }
        let colon = chinese::find_colon(t);
        if let Some(field) = colon.and_then(|c| chinese::parse_field(t, c)) {
            self.field(field, t);
            return;
        }
        if let Some(rest) = chinese::action_marker(t) {
            self.close_open();
            self.action(rest);
            return;
        }
        if let Some(d) = colon.and_then(|c| chinese::parse_dialogue(t, c)) {
            self.cn_dialogue(d, t, number);
            return;
        }

        // Inside a Fountain dialogue block everything up to the blank line is dialogue.
        if matches!(self.open, Open::Dialogue(_)) {
            self.dialogue_line(t);
            return;
        }

        if let Some(parts) = fountain::parse_heading(t) {
            self.start_scene(parts);
            return;
        }
        if let Some((level, text)) = fountain::section(t) {
            self.note(NoteKind::Section, Some(level), text);
            return;
        }
        if let Some(text) = fountain::synopsis(t) {
            self.note(NoteKind::Synopsis, None, text);
            return;
        }
        if let Some(text) = fountain::centered(t) {
            self.action(text);
            return;
        }
        if let Some(text) = fountain::forced_transition(t) {
            self.transition(text);
            return;
        }
        if (self.boundary && fountain::is_transition(t)) || chinese::transition(t).is_some() {
            self.transition(t);
            return;
        }
        if let Some(rest) = t.strip_prefix('!') {
            self.action(rest);
            return;
        }
        if let Some(rest) = t.strip_prefix('@') {
            if let Some(cue) = fountain::parse_cue(rest, CueNames::Forced).filter(|_| next_has_text)
            {
                self.open_cue(cue, t, number);
                return;
            }
        } else if self.boundary && next_has_text {
            // A CJK name has no capitals to tell it from action, so it must follow a blank line
            // (not just a heading or another element) and the document must be Fountain.
            let prev_blank = i
                .checked_sub(1)
                .and_then(|p| lines.get(p))
                .is_none_or(|&(_, p)| p.is_empty() || fountain::is_page_break(p));
            let names = if self.fountain && prev_blank {
                CueNames::CapsOrCjk
            } else {
                CueNames::Caps
            };
            if let Some(cue) = fountain::parse_cue(t, names) {
                self.open_cue(cue, t, number);
                return;
            }
        }
        if let Some(inner) = tx::strip_wrapping_parens(t) {
            // A stand-alone （动作） line is one action of its own.
            self.close_open();
            self.action(inner);
            self.close_open();
            return;
        }
        if t.starts_with('【') && t.ends_with('】') {
            // 【闪回】, 【字幕：…】: a marker of its own, never part of the paragraph above.
            self.close_open();
            self.action(t);
            self.close_open();
            return;
        }
        if let Some(rest) = t.strip_prefix('~') {
            self.action(rest);
            return;
        }
        if self.cn_title.is_none() && self.scenes.is_empty() && self.shots.is_empty() {
            if let Some(title) = t.strip_prefix('《').and_then(|s| s.strip_suffix('》')) {
                if !title.contains(['《', '》']) && !title.trim().is_empty() {
                    self.close_open();
                    self.cn_title = Some(tx::clean(title.trim()));
                    self.boundary = true;
                    return;
                }
            }
        }
        self.action(t);
    }

    /// The last scene, if it belongs to the current episode.
    fn current_scene(&self) -> Option<usize> {
        let idx = self.scenes.len().checked_sub(1)?;
        let scene = self.scenes.get(idx)?;
        (scene.episode == self.current_episode).then_some(idx)
    }

    fn current_scene_number(&self) -> Option<u32> {
        self.current_scene().map(|i| to_u32(i + 1))
    }

    /// The scene new content goes into; an implicit one when text comes before any heading.
    fn ensure_scene(&mut self) -> usize {
        match self.current_scene() {
            Some(i) => i,
            None => self.push_scene(None),
        }
    }

    fn push_scene(&mut self, parts: Option<HeadingParts>) -> usize {
        self.scenes.push(DraftScene {
            parts,
            episode: self.current_episode,
            transitions: std::mem::take(&mut self.pending_transitions),
            cast: std::mem::take(&mut self.pending_cast),
        });
        self.scenes.len() - 1
    }

    fn start_scene(&mut self, parts: HeadingParts) {
        self.close_open();
        self.push_scene(Some(parts));
        self.boundary = true;
    }

    fn start_episode(&mut self, number: u32, title: Option<String>, heading: &str) {
        self.close_open();
        self.episodes.push(Episode {
            number,
            title,
            heading: tx::clean(heading),
        });
        self.current_episode = Some(number);
        self.boundary = true;
    }

    fn note(&mut self, kind: NoteKind, level: Option<u8>, text: &str) {
        self.close_open();
        let text = tx::clean(text.trim());
        if !text.is_empty() {
            self.notes.push(Note {
                kind,
                level,
                text,
                scene_number: self.current_scene_number(),
            });
        }
        self.boundary = true;
    }

    fn transition(&mut self, text: &str) {
        self.close_open();
        let text = tx::clean(text.trim());
        match self.current_scene().and_then(|i| self.scenes.get_mut(i)) {
            Some(scene) => scene.transitions.push(text),
            None => self.pending_transitions.push(text),
        }
        self.boundary = true;
    }

    fn field(&mut self, field: Field, raw: &str) {
        self.close_open();
        self.boundary = true;
        let current = self.current_scene();
        match field {
            Field::Cast(names) => {
                for name in &names {
                    self.known.add(name);
                }
                let cast = match current.and_then(|i| self.scenes.get_mut(i)) {
                    Some(scene) => &mut scene.cast,
                    None => &mut self.pending_cast,
                };
                for name in &names {
                    cast.add(name);
                }
            }
            Field::Meta { key, value } => {
                if self.cn_title.is_none() && chinese::is_title_key(&key) && !value.is_empty() {
                    self.cn_title = Some(value.clone());
                }
                self.metadata.push(MetadataEntry { key, value });
            }
            Field::Time(value) => self.scene_field(current, true, value, raw),
            Field::Location(value) => self.scene_field(current, false, value, raw),
            Field::Remark => self.note(NoteKind::Remark, None, raw),
            Field::Action => {
                self.action(raw);
                self.close_open();
                self.boundary = false;
            }
        }
    }

    /// `时间：夜` / `地点：公园` fill the current scene's time or location when its heading did
    /// not; otherwise the line is kept as a remark.
    fn scene_field(&mut self, current: Option<usize>, is_time: bool, value: String, raw: &str) {
        let scene = current.and_then(|i| self.scenes.get_mut(i));
        let slot = scene.and_then(|scene| {
            let parts = scene.parts.get_or_insert_with(|| HeadingParts {
                heading: String::new(),
                source_number: None,
                location: None,
                time_of_day: None,
                int_ext: None,
            });
            let slot = if is_time {
                &mut parts.time_of_day
            } else {
                &mut parts.location
            };
            slot.is_none().then_some(slot)
        });
        match slot {
            Some(slot) if !value.is_empty() => *slot = Some(value),
            _ => self.note(NoteKind::Remark, None, raw),
        }
    }

    /// Adds an action line: continues the open action paragraph, or starts one.
    fn action(&mut self, text: &str) {
        let text = tx::clean(text.trim());
        match &mut self.open {
            Open::Action(paragraph) => tx::join_into(paragraph, &text),
            _ => {
                self.close_open();
                self.open = Open::Action(text);
            }
        }
        self.boundary = false;
    }

    fn open_cue(&mut self, cue: Cue, source: &str, line_number: usize) {
        self.close_open();
        let Cue {
            name,
            extension,
            dual,
        } = cue;
        if dual {
            self.mark_last_dual();
        }
        self.open = Open::Dialogue(DialogueDraft {
            name,
            extension,
            dual,
            lines: Vec::new(),
            pending_paren: None,
            source: source.to_owned(),
            line_number,
        });
        self.boundary = false;
    }

    /// The second cue of a dual dialogue (`^`) makes the block before it dual too.
    fn mark_last_dual(&mut self) {
        let current = self.current_scene();
        if let Some(last) = self.shots.last_mut() {
            if last.kind == ShotKind::Dialogue && Some(last.scene) == current {
                for line in &mut last.lines {
                    line.dual = true;
                }
            }
        }
    }

    fn dialogue_line(&mut self, t: &str) {
        let Open::Dialogue(d) = &mut self.open else {
            return;
        };
        if let Some(inner) = tx::strip_wrapping_parens(t) {
            let paren = tx::clean(inner);
            // Two parentheticals in a row: the first one stands alone.
            if let Some(previous) = d.pending_paren.replace(paren) {
                let line = d.line(Some(previous), String::new());
                d.lines.push(line);
            }
            return;
        }
        // `~` marks a sung line; it is still dialogue.
        let text = tx::clean(t.strip_prefix('~').unwrap_or(t).trim());
        match d.pending_paren.take() {
            Some(paren) => {
                let line = d.line(Some(paren), text);
                d.lines.push(line);
            }
            None => match d.lines.last_mut() {
                Some(last) => tx::join_into(&mut last.text, &text),
                None => {
                    let line = d.line(None, text);
                    d.lines.push(line);
                }
            },
        }
    }

    fn cn_dialogue(&mut self, d: CnDialogue, raw: &str, line_number: usize) {
        self.close_open();
        let CnDialogue {
            name,
            extension,
            parenthetical,
            text,
        } = d;
        if text.is_empty() {
            // `张三：` with the words on the following lines.
            self.open = Open::Dialogue(DialogueDraft {
                name,
                extension,
                dual: false,
                lines: Vec::new(),
                pending_paren: parenthetical,
                source: raw.to_owned(),
                line_number,
            });
            self.boundary = false;
            return;
        }
        let line = DialogueLine {
            character: name.clone(),
            extension,
            parenthetical,
            text,
            dual: false,
        };
        self.push_dialogue(name, vec![line]);
        self.boundary = true;
    }

    fn push_dialogue(&mut self, speaker: String, lines: Vec<DialogueLine>) {
        self.known.add(&speaker);
        let scene = self.ensure_scene();
        self.shots.push(DraftShot {
            scene,
            kind: ShotKind::Dialogue,
            text: String::new(),
            speaker: Some(speaker),
            lines,
        });
    }

    fn push_action(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let scene = self.ensure_scene();
        self.shots.push(DraftShot {
            scene,
            kind: ShotKind::Action,
            text: text.to_owned(),
            speaker: None,
            lines: Vec::new(),
        });
    }

    fn close_open(&mut self) {
        match std::mem::take(&mut self.open) {
            Open::Nothing => {}
            Open::Action(text) => self.push_action(&text),
            Open::Dialogue(mut d) => {
                if let Some(paren) = d.pending_paren.take() {
                    let line = d.line(Some(paren), String::new());
                    d.lines.push(line);
                }
                if d.lines.is_empty() {
                    self.warnings.push(format!(
                        "line {}: \"{}\" looks like a character cue but no dialogue follows; kept as action",
                        d.line_number, d.name
                    ));
                    self.push_action(&tx::clean(&d.source));
                } else {
                    self.push_dialogue(d.name, d.lines);
                }
            }
        }
    }

    fn finish(mut self) -> Breakdown {
        self.close_open();
        // Cast lists or transitions after the last scene belong to it (or to an implicit one).
        if !self.pending_cast.items.is_empty() || !self.pending_transitions.is_empty() {
            let cast = std::mem::take(&mut self.pending_cast);
            let transitions = std::mem::take(&mut self.pending_transitions);
            if self.scenes.is_empty() {
                self.push_scene(None);
            }
            if let Some(scene) = self.scenes.last_mut() {
                for name in &cast.items {
                    scene.cast.add(name);
                }
                scene.transitions.extend(transitions);
            }
        }

        if self.known.items.len() > MAX_MATCHED_NAMES {
            self.warnings.push(format!(
                "{} character names found; only the first {MAX_MATCHED_NAMES} are looked for in action text",
                self.known.items.len()
            ));
        }
        let matcher = NameMatcher::new(self.known.items.iter().take(MAX_MATCHED_NAMES));

        let mut scene_chars: Vec<OrderedNames> = Vec::with_capacity(self.scenes.len());
        let mut scenes: Vec<Scene> = Vec::with_capacity(self.scenes.len());
        for (i, draft) in self.scenes.into_iter().enumerate() {
            let parts = draft.parts;
            let heading = parts
                .as_ref()
                .map(|p| p.heading.clone())
                .filter(|h| !h.is_empty());
            let (source_number, location, time_of_day, int_ext) = match parts {
                Some(p) => (p.source_number, p.location, p.time_of_day, p.int_ext),
                None => (None, None, None, None::<IntExt>),
            };
            scenes.push(Scene {
                number: to_u32(i + 1),
                episode: draft.episode,
                heading,
                source_number,
                location,
                time_of_day,
                int_ext,
                transitions: draft.transitions,
                characters: Vec::new(),
                shot_numbers: Vec::new(),
                duration_secs: 0.0,
            });
            scene_chars.push(draft.cast);
        }

        let mut scene_secs = vec![0f64; scenes.len()];
        let mut shots: Vec<Shot> = Vec::with_capacity(self.shots.len());
        for (i, draft) in self.shots.into_iter().enumerate() {
            let number = to_u32(i + 1);
            let DraftShot {
                scene,
                kind,
                text,
                speaker,
                lines,
            } = draft;
            let fingerprint = diff::fingerprint(kind, &text, &lines);
            let (description, secs, characters) = match speaker {
                Some(speaker) => (
                    dialogue_summary(&speaker, &lines),
                    estimate::dialogue_secs(&lines),
                    vec![speaker],
                ),
                None => {
                    let found = matcher.find(&text);
                    let secs = estimate::action_secs(&text);
                    (text, secs, found)
                }
            };
            let duration_secs = estimate::round_tenth(secs);
            if let Some(s) = scenes.get_mut(scene) {
                s.shot_numbers.push(number);
            }
            if let Some(total) = scene_secs.get_mut(scene) {
                *total += f64::from(duration_secs);
            }
            if let Some(names) = scene_chars.get_mut(scene) {
                for name in &characters {
                    names.add(name);
                }
            }
            shots.push(Shot {
                number,
                scene_number: to_u32(scene + 1),
                kind,
                description,
                characters,
                dialogue: lines,
                duration_secs,
                fingerprint,
            });
        }

        let mut characters: Vec<CharacterSummary> = Vec::new();
        let mut order = OrderedNames::default();
        for ((scene, names), secs) in scenes.iter_mut().zip(scene_chars).zip(&scene_secs) {
            scene.duration_secs = estimate::round_tenth(*secs);
            for name in &names.items {
                if order.add(name) == characters.len() {
                    characters.push(CharacterSummary {
                        name: name.clone(),
                        dialogue_lines: 0,
                        first_scene: scene.number,
                    });
                }
            }
            scene.characters = names.items;
        }
        for line in shots.iter().flat_map(|s| &s.dialogue) {
            if let Some(summary) = order
                .position(&line.character)
                .and_then(|i| characters.get_mut(i))
            {
                summary.dialogue_lines = summary.dialogue_lines.saturating_add(1);
            }
        }

        let title = self
            .metadata
            .iter()
            .find(|m| m.key.eq_ignore_ascii_case("title"))
            .map(|m| tx::join_lines(&m.value))
            .filter(|t| !t.is_empty())
            .or(self.cn_title);
        let total_duration_secs =
            estimate::round_tenth(shots.iter().map(|s| f64::from(s.duration_secs)).sum());

        Breakdown {
            title,
            metadata: self.metadata,
            episodes: self.episodes,
            scenes,
            shots,
            characters,
            notes: self.notes,
            warnings: self.warnings,
            total_duration_secs,
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `张三: 台词…` for a dialogue shot's description.
fn dialogue_summary(speaker: &str, lines: &[DialogueLine]) -> String {
    let mut said = String::new();
    for line in lines {
        tx::join_into(&mut said, &line.text);
    }
    if said.is_empty() {
        if let Some(paren) = lines.iter().find_map(|l| l.parenthetical.as_deref()) {
            said = format!("({paren})");
        }
    }
    format!("{speaker}: {}", tx::truncate_chars(&said, SUMMARY_CHARS))
}

/// Finds known character names in action text in one left-to-right scan, longest name first at
/// each position. Latin names match whole words, case-insensitively, but only when the text
/// capitalises them (`Bob` or `BOB` for the cue `BOB`, not `bob`); CJK names match anywhere.
/// One-character names are skipped: they would match inside ordinary words.
struct NameMatcher {
    by_first: BTreeMap<char, Vec<String>>,
    /// Which Basic-Multilingual-Plane characters start some name: a table look-up per character
    /// instead of a map search.
    starts: Vec<bool>,
}

impl NameMatcher {
    fn new<'a>(names: impl Iterator<Item = &'a String>) -> Self {
        let mut by_first: BTreeMap<char, Vec<String>> = BTreeMap::new();
        for name in names {
            let mut chars = name.chars();
            let (Some(first), Some(_)) = (chars.next(), chars.next()) else {
                continue;
            };
            by_first
                .entry(first.to_ascii_lowercase())
                .or_default()
                .push(name.clone());
        }
        let mut starts = vec![false; 0x1_0000];
        for (first, list) in &mut by_first {
            list.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
            // Latin names only match capitalised, so only the upper-case letter is a start.
            if let Some(slot) = starts.get_mut(first.to_ascii_uppercase() as usize) {
                *slot = true;
            }
        }
        Self { by_first, starts }
    }

    fn find(&self, text: &str) -> Vec<String> {
        let mut found = OrderedNames::default();
        if self.by_first.is_empty() {
            return found.items;
        }
        let mut prev: Option<char> = None;
        let mut skip_to = 0;
        for (pos, c) in text.char_indices() {
            if pos < skip_to {
                continue;
            }
            // Characters outside the table (beyond the BMP) go to the map directly.
            let candidate = !matches!(self.starts.get(c as usize), Some(false));
            let hit = candidate
                .then(|| self.by_first.get(&c.to_ascii_lowercase()))
                .flatten()
                .and_then(|list| {
                    list.iter()
                        .find(|name| Self::matches_at(text, pos, c, prev, name))
                });
            match hit {
                Some(name) => {
                    found.add(name);
                    prev = name.chars().next_back();
                    skip_to = pos + name.len();
                }
                None => prev = Some(c),
            }
        }
        found.items
    }

    fn matches_at(text: &str, pos: usize, first: char, prev: Option<char>, name: &str) -> bool {
        let Some(slice) = text.get(pos..pos + name.len()) else {
            return false;
        };
        if !name.is_ascii() {
            return slice == name;
        }
        let next = text.get(pos + name.len()..).and_then(|s| s.chars().next());
        slice.eq_ignore_ascii_case(name)
            && first.is_uppercase()
            && !prev.is_some_and(char::is_alphanumeric)
            && !next.is_some_and(char::is_alphanumeric)
    }
}
