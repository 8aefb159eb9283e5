//! Voices: what a character's `voice` means to a TTS provider, and the voices a provider offers.
//!
//! A character's voice is either a voice *name* the provider knows (`cmn`, `en-us+f3`) or a
//! *description* written for people (`温柔女声，略带沙哑`, "deep old man"). A description maps to
//! the nearest espeak-ng voice — the line's language, a gendered variant, a pitch — and never
//! fails a run. A name espeak-ng turns out not to know falls back the same way, with a note.

use serde::Serialize;
use utoipa::ToSchema;

/// The voices of OpenAI's `/audio/speech` (and the servers that copy it), for a picker.
pub const OPENAI_VOICES: [&str; 6] = ["alloy", "echo", "fable", "onyx", "nova", "shimmer"];

/// espeak-ng's own pitch (`-p`, 0–99).
pub const DEFAULT_PITCH: u8 = 50;

/// The espeak-ng voice to use for a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceChoice {
    /// What goes to `-v`: a language voice, optionally with a variant (`cmn+f3`).
    pub voice: String,
    /// What goes to `-p`, when the description asked for a higher or lower voice.
    pub pitch: Option<u8>,
    /// What the node log should say about the choice (a description mapped, a name replaced).
    pub note: Option<String>,
}

/// Gender as a voice listing or a description gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    Female,
    Male,
}

/// Whether `s` is shaped like a voice name (`cmn`, `en-us+f3`, `mb/mb-en1`): only such strings are
/// ever handed to espeak-ng's `-v`. Everything else is a description.
pub fn is_voice_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '/'))
}

/// The language of a line of dialogue: `zh` when it has Han characters, else `en`.
pub fn language_of(text: &str) -> &'static str {
    if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        "zh"
    } else {
        "en"
    }
}

/// espeak-ng's voice for a language (`zh` → `cmn`, `zh-HK` → `yue`, `en-US` → `en-us`); another
/// language is its own voice when it is shaped like a name. Mandarin is `cmn` (espeak-ng 1.51 also
/// lists it as `zh`/`zh-cmn`).
pub fn language_voice(language: &str) -> Option<String> {
    let lang = language.trim().to_ascii_lowercase().replace('_', "-");
    let voice = match lang.as_str() {
        "" => "cmn",
        l if l == "yue" || l.starts_with("zh-yue") || l == "zh-hk" => "yue",
        l if l == "zh" || l.starts_with("zh-") || l.starts_with("cmn") => "cmn",
        "en-us" => "en-us",
        "en-gb" => "en-gb",
        l if l == "en" || l.starts_with("en-") => "en",
        other => return is_voice_name(other).then(|| other.to_owned()),
    };
    Some(voice.to_owned())
}

/// The voice for a request's `voice` (a name, a description, or nothing) in `language`.
pub fn choose(voice: Option<&str>, language: &str) -> VoiceChoice {
    match voice.map(str::trim).filter(|v| !v.is_empty()) {
        Some(name) if is_voice_name(name) => VoiceChoice {
            voice: name.to_owned(),
            pitch: None,
            note: None,
        },
        Some(description) => from_description(description, language),
        None => VoiceChoice {
            voice: language_voice(language).unwrap_or_else(|| "en".into()),
            pitch: None,
            note: None,
        },
    }
}

/// What to use when espeak-ng does not know the voice *name* `name`: the language's voice, with
/// whatever the name says about gender and pitch (`warm-male` is read as a description).
pub fn fallback_for_unknown(name: &str, language: &str) -> VoiceChoice {
    let mapped = from_description(name, language);
    let note = format!(
        "espeak-ng has no voice {name:?}: used {}",
        describe(&mapped.voice, mapped.pitch)
    );
    VoiceChoice {
        note: Some(note),
        ..mapped
    }
}

fn describe(voice: &str, pitch: Option<u8>) -> String {
    match pitch {
        Some(p) => format!("{voice} at pitch {p}"),
        None => voice.to_owned(),
    }
}

/// Maps a description of a voice to the nearest espeak-ng voice: the language's voice (an accent
/// word may pick another of its family), a female (`+f3`) or male (`+m3`) variant when the words
/// say so, and a pitch moved down by deep/old/husky words and up by high/young/child words.
/// Never fails: a description that says nothing useful is the language's plain voice.
pub fn from_description(description: &str, language: &str) -> VoiceChoice {
    let text = description.to_lowercase();
    let words: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has_word = |list: &[&str]| words.iter().any(|w| list.contains(w));
    let has_han = |list: &[&str]| list.iter().any(|s| text.contains(s));

    let mut base = language_voice(language).unwrap_or_else(|| "en".into());
    if base == "cmn" || base == "yue" {
        if has_han(&["粤语", "广东话", "粤"]) || has_word(&["cantonese"]) {
            base = "yue".into();
        }
    } else if base.starts_with("en") {
        if has_word(&["british", "uk", "english"]) || has_han(&["英式", "英国"]) {
            base = "en-gb".into();
        } else if has_word(&["american", "us"]) || has_han(&["美式", "美国"]) {
            base = "en-us".into();
        }
    }

    // The earliest gender word wins ("女声，不要男声" is female).
    const FEMALE_HAN: [&str; 8] = ["女", "姐", "妹", "娘", "妈", "母", "婆", "姑"];
    const MALE_HAN: [&str; 8] = ["男", "哥", "弟", "爷", "叔", "爸", "父", "伯"];
    const FEMALE_EN: [&str; 11] = [
        "female", "woman", "women", "girl", "girls", "lady", "feminine", "she", "her", "mother",
        "grandma",
    ];
    const MALE_EN: [&str; 11] = [
        "male",
        "man",
        "men",
        "boy",
        "boys",
        "gentleman",
        "masculine",
        "he",
        "his",
        "father",
        "grandpa",
    ];
    let first_han = |list: &[&str]| list.iter().filter_map(|s| text.find(s)).min();
    let first_word = |list: &[&str]| {
        words
            .iter()
            .position(|w| list.contains(w))
            .map(|i| text.find(words[i]).unwrap_or(usize::MAX))
    };
    let female = [first_han(&FEMALE_HAN), first_word(&FEMALE_EN)]
        .into_iter()
        .flatten()
        .min();
    let male = [first_han(&MALE_HAN), first_word(&MALE_EN)]
        .into_iter()
        .flatten()
        .min();
    let gender = match (female, male) {
        (Some(f), Some(m)) if m < f => Some(Gender::Male),
        (Some(_), _) => Some(Gender::Female),
        (None, Some(_)) => Some(Gender::Male),
        (None, None) => None,
    };

    let mut shift: i32 = 0;
    if has_han(&["低沉", "浑厚", "深沉", "沉稳", "磁性", "老", "苍"])
        || has_word(&[
            "deep", "low", "old", "elderly", "aged", "bass", "baritone", "grandpa", "grandma",
        ])
    {
        shift -= 20;
    }
    if has_han(&[
        "尖", "高亢", "清脆", "少女", "少年", "童", "孩", "萝莉", "稚",
    ]) || has_word(&[
        "high", "young", "child", "kid", "little", "squeaky", "shrill", "girl", "boy", "teen",
        "teenage",
    ]) {
        shift += 20;
    }
    if has_han(&["沙哑", "嘶哑", "粗"])
        || has_word(&["husky", "hoarse", "raspy", "gravelly", "rough"])
    {
        shift -= 8;
    }
    let pitch = (shift != 0).then(|| (i32::from(DEFAULT_PITCH) + shift).clamp(10, 90) as u8);

    let voice = match gender {
        Some(Gender::Female) => format!("{base}+f3"),
        Some(Gender::Male) => format!("{base}+m3"),
        None => base,
    };
    let note = Some(format!(
        "voice {description:?} is a description: {}",
        describe(&voice, pitch)
    ));
    VoiceChoice { voice, pitch, note }
}

/// One voice a provider offers, for a picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VoiceInfo {
    /// What to put in a character's `voice`.
    pub id: String,
    /// A readable name.
    pub name: String,
    /// The language the voice speaks, when the provider says.
    pub language: Option<String>,
    pub gender: Option<Gender>,
}

/// Parses `espeak-ng --voices[=<lang>]`: one voice per line after the header
/// (`Pty Language Age/Gender VoiceName File Other Languages`). MBROLA voices (`mb/…`) are left out:
/// they need a separate program and data that are rarely installed. Variants (`--voices=variant`)
/// come back with their file name as the id (`f3`, to be used as `cmn+f3`).
pub fn parse_espeak_voices(listing: &str) -> Vec<VoiceInfo> {
    let mut out: Vec<VoiceInfo> = Vec::new();
    for line in listing.lines().skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let [_, language, age_gender, name, file, ..] = cols[..] else {
            continue;
        };
        if file.starts_with("mb/") {
            continue;
        }
        let gender = match age_gender.rsplit('/').next() {
            Some("F") => Some(Gender::Female),
            Some("M") => Some(Gender::Male),
            _ => None,
        };
        let (id, language) = if language == "variant" {
            (file.trim_start_matches("!v/").to_owned(), None)
        } else if out.iter().any(|v| v.id == language) {
            // A second voice for the same language: only its file names it.
            (file.to_owned(), Some(language.to_owned()))
        } else {
            (language.to_owned(), Some(language.to_owned()))
        };
        if !is_voice_name(&id) {
            continue;
        }
        out.push(VoiceInfo {
            id,
            name: name.replace('_', " "),
            language,
            gender,
        });
    }
    out
}

/// The fixed voices of an OpenAI-compatible speech model.
pub fn openai_voices() -> Vec<VoiceInfo> {
    OPENAI_VOICES
        .iter()
        .map(|v| VoiceInfo {
            id: (*v).to_owned(),
            name: v[..1].to_uppercase() + &v[1..],
            language: None,
            gender: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(desc: &str, language: &str) -> (String, Option<u8>) {
        let c = from_description(desc, language);
        assert!(c.note.is_some(), "a mapped description is noted");
        (c.voice, c.pitch)
    }

    #[test]
    fn chinese_descriptions_map_to_a_mandarin_voice() {
        // The UI's placeholder: gentle female voice, slightly husky.
        assert_eq!(
            pick("温柔女声，略带沙哑", "zh"),
            ("cmn+f3".into(), Some(42))
        );
        assert_eq!(pick("低沉男声", "zh"), ("cmn+m3".into(), Some(30)));
        assert_eq!(pick("少女音，尖细", "zh"), ("cmn+f3".into(), Some(70)));
        assert_eq!(pick("童声", "zh"), ("cmn".into(), Some(70)));
        assert_eq!(pick("苍老的男声", "zh"), ("cmn+m3".into(), Some(30)));
        assert_eq!(pick("温柔", "zh"), ("cmn".into(), None));
        assert_eq!(pick("粤语女声", "zh"), ("yue+f3".into(), None));
        // The earliest gender word wins.
        assert_eq!(pick("女声，不要男声", "zh").0, "cmn+f3");
    }

    #[test]
    fn english_descriptions_map_to_an_english_voice() {
        assert_eq!(pick("deep old man", "en"), ("en+m3".into(), Some(30)));
        assert_eq!(pick("young girl, bright", "en"), ("en+f3".into(), Some(70)));
        assert_eq!(pick("Warm female voice", "en"), ("en+f3".into(), None));
        // "female" is not read as "male".
        assert_eq!(pick("a husky female", "en"), ("en+f3".into(), Some(42)));
        assert_eq!(pick("British gentleman", "en"), ("en-gb+m3".into(), None));
        assert_eq!(pick("calm", "en"), ("en".into(), None));
        // The language comes from the line: an English description for a Chinese line.
        assert_eq!(pick("gentle woman", "zh"), ("cmn+f3".into(), None));
        assert_eq!(pick("温柔女声", "en"), ("en+f3".into(), None));
    }

    #[test]
    fn names_pass_descriptions_map_and_nothing_fails() {
        let c = choose(Some("en-us+f3"), "zh");
        assert_eq!(
            (c.voice.as_str(), c.pitch, c.note),
            ("en-us+f3", None, None)
        );
        assert_eq!(choose(None, "zh").voice, "cmn");
        assert_eq!(choose(Some("  "), "en").voice, "en");
        assert_eq!(choose(Some("温柔女声，略带沙哑"), "zh").voice, "cmn+f3");
        // Never handed to espeak-ng: not a name, so a description.
        for hostile in ["--stdout", "en; rm -rf /", "$(reboot)", "\"quoted\""] {
            let c = choose(Some(hostile), "zh");
            assert!(is_voice_name(&c.voice), "{hostile:?} -> {c:?}");
            assert_eq!(c.voice, "cmn");
        }
        assert_eq!(choose(Some("x"), "").voice, "x");
        assert_eq!(
            choose(None, "x y").voice,
            "en",
            "an odd language is English"
        );
    }

    #[test]
    fn an_unknown_name_falls_back_with_a_note() {
        let c = fallback_for_unknown("warm-male", "zh");
        assert_eq!(c.voice, "cmn+m3");
        assert!(c.note.unwrap().contains("no voice \"warm-male\""));
        let c = fallback_for_unknown("xx-nope", "en");
        assert_eq!((c.voice.as_str(), c.pitch), ("en", None));
    }

    #[test]
    fn parses_espeak_listings() {
        let listing = "Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  cmn             --/M      Chinese_(Mandarin,_latin_as_English) sit/cmn              (zh-cmn 5)(zh 5)
 5  zh              --/M      chinese-mb-cn1     mb/mb-cn1
 5  yue             --/M      Chinese_(Cantonese) sit/yue              (zh-yue 5)(zh 8)
 5  yue             --/M      Chinese_(Cantonese,_latin_as_Jyutping) sit/yue-Latn-jyutping (zh-yue 5)(zh 8)
";
        let v = parse_espeak_voices(listing);
        let ids: Vec<&str> = v.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["cmn", "yue", "sit/yue-Latn-jyutping"]);
        assert_eq!(v[0].name, "Chinese (Mandarin, latin as English)");
        assert_eq!(v[0].gender, Some(Gender::Male));
        let variants = parse_espeak_voices(
            "Pty Language Age/Gender VoiceName File Other Languages\n 5  variant  --/F  female3  !v/f3\n",
        );
        assert_eq!(variants[0].id, "f3");
        assert_eq!(variants[0].gender, Some(Gender::Female));
        assert_eq!(openai_voices().len(), 6);
    }
}
