use proptest::prelude::*;

use super::*;

const CN_FIXTURE: &str = include_str!("../../assets/samples/rebirth_ep1.txt");
const FOUNTAIN_FIXTURE: &str = include_str!("../../assets/samples/last_train.fountain");

fn p(text: &str) -> Breakdown {
    match parse(text) {
        Ok(b) => b,
        Err(e) => panic!("parse failed on {text:?}: {e}"),
    }
}

fn kinds(b: &Breakdown) -> Vec<ShotKind> {
    b.shots.iter().map(|s| s.kind).collect()
}

fn names(b: &Breakdown) -> Vec<&str> {
    b.characters.iter().map(|c| c.name.as_str()).collect()
}

fn only_line(b: &Breakdown) -> &DialogueLine {
    let lines: Vec<&DialogueLine> = b.shots.iter().flat_map(|s| &s.dialogue).collect();
    assert_eq!(lines.len(), 1, "{b:#?}");
    lines[0]
}

// ---------------------------------------------------------------- Fountain

#[test]
fn fountain_heading_variants() {
    use IntExt::*;
    // (line, heading, location, time, int/ext, source number)
    type Row = (
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<IntExt>,
        Option<&'static str>,
    );
    let table: &[Row] = &[
        (
            "INT. KITCHEN - NIGHT",
            "INT. KITCHEN - NIGHT",
            Some("KITCHEN"),
            Some("NIGHT"),
            Some(Interior),
            None,
        ),
        (
            "ext. park - day",
            "ext. park - day",
            Some("park"),
            Some("day"),
            Some(Exterior),
            None,
        ),
        (
            "INT./EXT. CAR - DAY",
            "INT./EXT. CAR - DAY",
            Some("CAR"),
            Some("DAY"),
            Some(InteriorExterior),
            None,
        ),
        (
            "INT/EXT CAR - DAY",
            "INT/EXT CAR - DAY",
            Some("CAR"),
            Some("DAY"),
            Some(InteriorExterior),
            None,
        ),
        (
            "I/E CAR - DAY",
            "I/E CAR - DAY",
            Some("CAR"),
            Some("DAY"),
            Some(InteriorExterior),
            None,
        ),
        (
            "EST. CITY SKYLINE - DAWN",
            "EST. CITY SKYLINE - DAWN",
            Some("CITY SKYLINE"),
            Some("DAWN"),
            Some(Exterior),
            None,
        ),
        (
            "INT.KITCHEN",
            "INT.KITCHEN",
            Some("KITCHEN"),
            None,
            Some(Interior),
            None,
        ),
        (
            "INT. HOUSE - KITCHEN - NIGHT",
            "INT. HOUSE - KITCHEN - NIGHT",
            Some("HOUSE - KITCHEN"),
            Some("NIGHT"),
            Some(Interior),
            None,
        ),
        (
            "INT. KITCHEN - NIGHT #12#",
            "INT. KITCHEN - NIGHT",
            Some("KITCHEN"),
            Some("NIGHT"),
            Some(Interior),
            Some("12"),
        ),
        (
            "EXT. ROOF - DAY #1A#",
            "EXT. ROOF - DAY",
            Some("ROOF"),
            Some("DAY"),
            Some(Exterior),
            Some("1A"),
        ),
        (
            ".SNIPER SCOPE POV",
            "SNIPER SCOPE POV",
            Some("SNIPER SCOPE POV"),
            None,
            None,
            None,
        ),
        (
            ".公园 夜 外",
            "公园 夜 外",
            Some("公园"),
            Some("夜"),
            Some(Exterior),
            None,
        ),
        (
            "INT. *LAB* - NIGHT",
            "INT. LAB - NIGHT",
            Some("LAB"),
            Some("NIGHT"),
            Some(Interior),
            None,
        ),
    ];
    for (line, heading, location, time, int_ext, number) in table {
        let b = p(&format!("{line}\n\nSomething happens.\n"));
        assert_eq!(b.scenes.len(), 1, "{line}: {b:#?}");
        let s = &b.scenes[0];
        assert_eq!(s.heading.as_deref(), Some(*heading), "{line}");
        assert_eq!(s.location.as_deref(), *location, "{line}");
        assert_eq!(s.time_of_day.as_deref(), *time, "{line}");
        assert_eq!(s.int_ext, *int_ext, "{line}");
        assert_eq!(s.source_number.as_deref(), *number, "{line}");
        assert_eq!(s.shot_numbers, vec![1], "{line}");
    }
}

#[test]
fn fountain_non_headings_stay_action() {
    for line in [
        "...and then silence.",
        "Interesting times.",
        "INTERIOR DESIGN matters.",
        "EXT",
    ] {
        let b = p(&format!("{line}\n"));
        assert_eq!(b.scenes.len(), 1, "{line}");
        assert_eq!(b.scenes[0].heading, None, "{line}: implicit scene");
        assert_eq!(kinds(&b), vec![ShotKind::Action], "{line}");
    }
}

#[test]
fn fountain_cues_extensions_and_dual() {
    let b = p("INT. BAR - NIGHT\n\nBOB (V.O.)\nI knew it.\n\nBRICK\nScrew retirement.\n\nSTEEL ^\nScrew retirement.\n\nBOB (CONT'D)\nStill here.\n\n@McCLANE\nYippee ki-yay.\n");
    assert_eq!(kinds(&b), vec![ShotKind::Dialogue; 5]);
    let first = &b.shots[0].dialogue[0];
    assert_eq!(first.character, "BOB");
    assert_eq!(first.extension.as_deref(), Some("V.O."));
    assert_eq!(first.text, "I knew it.");
    assert!(!first.dual);
    assert!(
        b.shots[1].dialogue[0].dual,
        "the block before `^` becomes dual"
    );
    assert!(b.shots[2].dialogue[0].dual);
    assert_eq!(b.shots[2].dialogue[0].character, "STEEL");
    assert_eq!(b.shots[3].dialogue[0].extension.as_deref(), Some("CONT'D"));
    assert_eq!(b.shots[4].dialogue[0].character, "McCLANE");
    assert_eq!(names(&b), vec!["BOB", "BRICK", "STEEL", "McCLANE"]);
    assert_eq!(
        b.characters[0].dialogue_lines, 2,
        "BOB and BOB (CONT'D) are one character"
    );
    assert_eq!(b.shots[0].description, "BOB: I knew it.");
}

#[test]
fn fountain_cue_needs_blank_before_and_text_after() {
    // Caps line inside a paragraph, and caps line followed by a blank: both action.
    let b = p("He shouts.\nSTOP\nNobody listens.\n\nBOOM\n\nDone.\n");
    assert_eq!(kinds(&b), vec![ShotKind::Action; 3]);
    assert!(b.characters.is_empty());
    // `!` forces action even where a cue would be read.
    let b = p("!SCANNING THE AISLES\nNothing.\n");
    assert_eq!(kinds(&b), vec![ShotKind::Action]);
    assert_eq!(b.shots[0].description, "SCANNING THE AISLES Nothing.");
}

#[test]
fn fountain_parentheticals_split_dialogue_lines() {
    let b = p("\nHANK\n(quietly)\nDon't move.\nNot an inch.\n(beat)\nGood.\n(sighs)\n");
    let lines = &b.shots[0].dialogue;
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].parenthetical.as_deref(), Some("quietly"));
    assert_eq!(lines[0].text, "Don't move. Not an inch.");
    assert_eq!(lines[1].parenthetical.as_deref(), Some("beat"));
    assert_eq!(lines[1].text, "Good.");
    assert_eq!(lines[2].parenthetical.as_deref(), Some("sighs"));
    assert_eq!(lines[2].text, "");
}

#[test]
fn fountain_transitions() {
    let b = p("INT. A - DAY\n\nShe leaves.\n\nCUT TO:\n\nINT. B - DAY\n\nHe waits.\n\n> BURN TO WHITE.\n\nSMASH CUT TO:\n");
    assert_eq!(b.scenes[0].transitions, vec!["CUT TO:"]);
    assert_eq!(
        b.scenes[1].transitions,
        vec!["BURN TO WHITE.", "SMASH CUT TO:"]
    );
    assert_eq!(
        kinds(&b),
        vec![ShotKind::Action; 2],
        "transitions are not shots"
    );
    // Lower case "to:" is prose.
    let b = p("He walks to:\n");
    assert!(b.scenes[0].transitions.is_empty());
    // A fade before the first heading leads into the first scene.
    let b = p("FADE IN:\n\nEXT. SEA - DAY\n\nWaves.\n");
    assert_eq!(b.scenes.len(), 1);
    assert_eq!(b.scenes[0].transitions, vec!["FADE IN:"]);
}

#[test]
fn fountain_centered_lyrics_and_page_breaks() {
    let b = p(">THE END<\n\n===\n\n~Willy Wonka! Willy Wonka!\n\nSINGER\n~La la la\n");
    assert_eq!(b.shots.len(), 3);
    assert_eq!(b.shots[0].description, "THE END");
    assert_eq!(b.shots[1].description, "Willy Wonka! Willy Wonka!");
    assert_eq!(b.shots[2].dialogue[0].text, "La la la");
}

#[test]
fn fountain_notes_and_boneyard_are_removed_across_lines() {
    let text = "INT. LAB - NIGHT\n\nShe types [[check this\nwith legal]] fast.\n\n/* Cut scene:\nBOB\nHello.\n*/\nThe screen flickers.\n\nANNA\nIt works. [[really?]]\n";
    let b = p(text);
    assert_eq!(b.shots.len(), 3, "{b:#?}");
    assert_eq!(b.shots[0].description, "She types fast.");
    assert_eq!(b.shots[1].description, "The screen flickers.");
    assert_eq!(b.shots[2].dialogue[0].text, "It works.");
    assert!(!names(&b).contains(&"BOB"));
    assert!(b.warnings.is_empty());
}

#[test]
fn unterminated_boneyard_and_note_warn_and_hide_the_rest() {
    let b = p("Visible.\n\n/* never closed\nHidden.\n\nBOB\nHi.\n");
    assert_eq!(b.shots.len(), 1);
    assert_eq!(b.warnings.len(), 1);
    assert!(b.warnings[0].contains("line 3"), "{:?}", b.warnings);
    let b = p("Visible. [[oops\n\nHidden.\n");
    assert_eq!(b.shots.len(), 1);
    assert_eq!(b.shots[0].description, "Visible.");
    assert!(b.warnings[0].contains("[["), "{:?}", b.warnings);
}

#[test]
fn fountain_title_page() {
    let b = p("Title:\n    _**BRICK & STEEL**_\n    _**FULL RETIRED**_\nCredit: Written by\nAuthor: Stu Maschwitz\nDraft date: 1/20/2012\n\nEXT. BRICK'S PATIO - DAY\n\nA gorgeous day.\n");
    assert_eq!(b.title.as_deref(), Some("BRICK & STEEL FULL RETIRED"));
    let keys: Vec<&str> = b.metadata.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, vec!["Title", "Credit", "Author", "Draft date"]);
    assert_eq!(b.metadata[2].value, "Stu Maschwitz");
    assert_eq!(b.scenes.len(), 1);
    assert_eq!(b.shots.len(), 1);
    // Only a known key opens a title page; later `Key: value` lines are action.
    let b = p("He said: no.\n\nTitle: not here\n");
    assert!(b.metadata.is_empty());
    assert_eq!(b.shots.len(), 2);
}

#[test]
fn fountain_title_page_with_full_width_colons() {
    // The title page of a Chinese Fountain script: full-width colons, read as `角色名：台词` before.
    let b = p("Title：重生之逆袭\nAuthor：张三\nDraft date：2024年5月1日\n\nINT. 医院病房 - 夜\n\n林雪睁开眼睛。\n");
    assert_eq!(b.title.as_deref(), Some("重生之逆袭"));
    let meta: Vec<(&str, &str)> = b
        .metadata
        .iter()
        .map(|m| (m.key.as_str(), m.value.as_str()))
        .collect();
    assert_eq!(
        meta,
        vec![
            ("Title", "重生之逆袭"),
            ("Author", "张三"),
            ("Draft date", "2024年5月1日")
        ]
    );
    assert!(b.characters.is_empty(), "{:?}", b.characters);
    assert_eq!(kinds(&b), vec![ShotKind::Action]);
    assert_eq!(b.scenes.len(), 1);

    // Every title-page key, in any case, with either colon.
    let b = p("TITLE：The Last Train\ncredit: Written by\nAuthors：Jane Doe\nSource：a novel\nContact：jane@example.com\nNOTES：second draft\nCopyright：2024\n\nEXT. STATION - NIGHT\n\nRain.\n");
    let keys: Vec<&str> = b.metadata.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "TITLE",
            "credit",
            "Authors",
            "Source",
            "Contact",
            "NOTES",
            "Copyright"
        ]
    );
    assert_eq!(b.title.as_deref(), Some("The Last Train"));
    assert!(b.characters.is_empty(), "{:?}", b.characters);
    assert_eq!(kinds(&b), vec![ShotKind::Action]);

    // Chinese keys open a title page when they start the file; English keys may follow.
    let b = p("标题：重生之逆袭\n作者：张三\nDraft date：2024-05-01\nContact：zhang@example.com\n\n第1集\n场景1：医院 夜 内\n林雪：我没死？\n");
    assert_eq!(b.title.as_deref(), Some("重生之逆袭"));
    let keys: Vec<&str> = b.metadata.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, vec!["标题", "作者", "Draft date", "Contact"]);
    assert_eq!(names(&b), vec!["林雪"]);
    assert_eq!(kinds(&b), vec![ShotKind::Dialogue]);
    let b = p("编剧：林晓\nTitle：逆袭\n\n林雪：走吧。\n");
    assert_eq!(b.title.as_deref(), Some("逆袭"));
    assert_eq!(names(&b), vec!["林雪"]);

    // Without a blank line the page ends at the first line that is not one of its fields, so the
    // script's own header lines and dialogue are read as before.
    let b = p("标题：逆袭\n编剧：王五\n人物：张三、李四\n场景1：天台 夜 外\nLisa：你来了。\n");
    assert_eq!(b.metadata.len(), 2);
    assert_eq!(b.scenes.len(), 1);
    assert_eq!(b.scenes[0].characters, vec!["张三", "李四", "Lisa"]);
    assert_eq!(kinds(&b), vec![ShotKind::Dialogue]);
    // A title-page key later in the script does not open a title page.
    let b = p("林雪：走吧。\n\nTitle：不是标题\n");
    assert!(b.metadata.is_empty());
    assert_eq!(b.title, None);
}

#[test]
fn fountain_transitions_with_full_width_colons() {
    let b = p("INT. 站台 - 夜\n\n雨。\n\nCUT TO：\n\nEXT. 街道 - 夜\n\n风。\n\nFADE OUT：\n");
    assert_eq!(b.scenes.len(), 2);
    assert_eq!(b.scenes[0].transitions, vec!["CUT TO："]);
    assert_eq!(b.scenes[1].transitions, vec!["FADE OUT："]);
    assert_eq!(kinds(&b), vec![ShotKind::Action; 2]);
}

#[test]
fn fountain_cjk_character_cues() {
    let b = p("INT. 咖啡馆 - 日\n\n林晓推门进来。\n\n林晓\n（低声）\n你终于来了。\n\n王强（V.O.）\n我一直都在。\n\n林晓\n(whispering)\n骗子。\n\n欧阳·娜娜 ^\n都别说了。\n");
    assert_eq!(
        kinds(&b),
        vec![
            ShotKind::Action,
            ShotKind::Dialogue,
            ShotKind::Dialogue,
            ShotKind::Dialogue,
            ShotKind::Dialogue
        ],
        "{b:#?}"
    );
    let l = &b.shots[1].dialogue[0];
    assert_eq!(l.character, "林晓");
    assert_eq!(l.parenthetical.as_deref(), Some("低声"));
    assert_eq!(l.text, "你终于来了。");
    let l = &b.shots[2].dialogue[0];
    assert_eq!(l.character, "王强");
    assert_eq!(l.extension.as_deref(), Some("V.O."));
    assert_eq!(l.text, "我一直都在。");
    let l = &b.shots[3].dialogue[0];
    assert_eq!(l.parenthetical.as_deref(), Some("whispering"));
    assert_eq!(l.text, "骗子。");
    assert_eq!(b.shots[4].dialogue[0].character, "欧阳·娜娜");
    assert!(b.shots[4].dialogue[0].dual && b.shots[3].dialogue[0].dual);
    assert_eq!(names(&b), vec!["林晓", "王强", "欧阳·娜娜"]);
    assert_eq!(b.characters[0].dialogue_lines, 2);
    assert_eq!(b.shots[0].characters, vec!["林晓"]);
    assert_eq!(b.shots[1].description, "林晓: 你终于来了。");

    // 内景/外景 headings, and a Fountain title page, make a Fountain document too.
    let b = p("内景 咖啡馆 - 日\n\n林晓（画外音）\n你终于来了。\n");
    assert_eq!(b.scenes.len(), 1);
    assert_eq!(b.scenes[0].int_ext, Some(IntExt::Interior));
    assert_eq!(b.scenes[0].location.as_deref(), Some("咖啡馆"));
    assert_eq!(b.scenes[0].time_of_day.as_deref(), Some("日"));
    let l = only_line(&b);
    assert_eq!(
        (l.character.as_str(), l.extension.as_deref()),
        ("林晓", Some("画外音"))
    );
    let b = p("外景。街道 夜\n\n林晓\n走吧。\n");
    assert_eq!(b.scenes[0].int_ext, Some(IntExt::Exterior));
    assert_eq!(only_line(&b).character, "林晓");
    let b = p("Title：重生\n\n林晓\n走吧。\n");
    assert_eq!(only_line(&b).character, "林晓");
    let b = p("\n林晓（画外音）（电话）\n喂？\n\nINT. 家 - 夜\n");
    assert_eq!(only_line(&b).extension.as_deref(), Some("画外音，电话"));

    // A full-width bracket after a caps cue is an extension, not part of the name.
    let b = p("\nBOB（V.O.）\nHello.\n");
    assert_eq!(only_line(&b).character, "BOB");
    assert_eq!(only_line(&b).extension.as_deref(), Some("V.O."));

    // Not cues: sentence punctuation, too long, followed by a blank line, not after a blank line,
    // a header word.
    let b = p("INT. 咖啡馆 - 日\n\n门开了。\n他进来。\n\n她看着窗外很久很久没有说话\n风吹进来\n\n林晓\n\n他坐下。\n林晓\n喝了口咖啡。\n\n人物\n张三\n");
    assert!(b.characters.iter().all(|c| c.dialogue_lines == 0), "{b:#?}");
    assert!(kinds(&b).iter().all(|k| *k == ShotKind::Action));
    assert_eq!(b.shots[0].description, "门开了。他进来。");
    // A Chinese short-drama script (no Fountain headings) keeps a lone name line as action.
    for text in [
        "林晓\n你终于来了。\n",
        "场景1：咖啡馆 日 内\n\n林晓\n你终于来了。\n",
    ] {
        let b = p(text);
        assert_eq!(kinds(&b), vec![ShotKind::Action], "{text}");
        assert!(b.characters.is_empty(), "{text}");
    }
}

#[test]
fn fountain_sections_and_synopses_are_notes() {
    let b = p("# Act One\n\n## The heist\n\n= They plan the job.\n\nINT. VAN - NIGHT\n\n= Tension rises.\n\nThey wait.\n");
    let notes: Vec<(NoteKind, Option<u8>, &str, Option<u32>)> = b
        .notes
        .iter()
        .map(|n| (n.kind, n.level, n.text.as_str(), n.scene_number))
        .collect();
    assert_eq!(
        notes,
        vec![
            (NoteKind::Section, Some(1), "Act One", None),
            (NoteKind::Section, Some(2), "The heist", None),
            (NoteKind::Synopsis, None, "They plan the job.", None),
            (NoteKind::Synopsis, None, "Tension rises.", Some(1)),
        ]
    );
    assert_eq!(b.scenes.len(), 1);
    assert_eq!(b.shots.len(), 1);
}

#[test]
fn fountain_emphasis_is_stripped() {
    let b = p(
        "He is *very* **bold** and ***loud***, _underlined_, snake_case stays, \\*literal\\*.\n",
    );
    assert_eq!(
        b.shots[0].description,
        "He is very bold and loud, underlined, snake_case stays, *literal*."
    );
}

// ---------------------------------------------------------------- Chinese conventions

#[test]
fn chinese_episode_headings() {
    let table: &[(&str, u32, Option<&str>)] = &[
        ("第1集", 1, None),
        ("第一集", 1, None),
        ("第12集：复仇开始", 12, Some("复仇开始")),
        ("第二十三集 《真相》", 23, Some("真相")),
        ("第一百零五集:终章", 105, Some("终章")),
        ("第 3 集", 3, None),
        ("第１２集", 12, None),
    ];
    for (line, number, title) in table {
        let b = p(&format!("{line}\n△她笑了。\n"));
        assert_eq!(b.episodes.len(), 1, "{line}");
        assert_eq!(b.episodes[0].number, *number, "{line}");
        assert_eq!(b.episodes[0].title.as_deref(), *title, "{line}");
        assert_eq!(b.scenes[0].episode, Some(*number), "{line}");
    }
    // Prose that merely starts with 第…集 is not a heading.
    let b = p("第一集里他还没出场。\n");
    assert!(b.episodes.is_empty());
    assert_eq!(kinds(&b), vec![ShotKind::Action]);
}

#[test]
fn chinese_scene_heading_forms() {
    use IntExt::*;
    type Row = (
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        Option<IntExt>,
    );
    // (line, source number, location, time, int/ext)
    let table: &[Row] = &[
        (
            "场景1：公园 日 外",
            Some("1"),
            Some("公园"),
            Some("日"),
            Some(Exterior),
        ),
        (
            "场景十二：公园 日 外",
            Some("十二"),
            Some("公园"),
            Some("日"),
            Some(Exterior),
        ),
        (
            "场景：公园 夜 内",
            None,
            Some("公园"),
            Some("夜"),
            Some(Interior),
        ),
        (
            "场1 公园 日 外",
            Some("1"),
            Some("公园"),
            Some("日"),
            Some(Exterior),
        ),
        (
            "1-2 公园 夜 内",
            Some("1-2"),
            Some("公园"),
            Some("夜"),
            Some(Interior),
        ),
        (
            "3、咖啡馆 傍晚 内",
            Some("3"),
            Some("咖啡馆"),
            Some("傍晚"),
            Some(Interior),
        ),
        (
            "【场景】公园 夜 内",
            None,
            Some("公园"),
            Some("夜"),
            Some(Interior),
        ),
        (
            "【场景3：天台】夜 外",
            Some("3"),
            Some("天台"),
            Some("夜"),
            Some(Exterior),
        ),
        ("【公园 夜】", None, Some("公园"), Some("夜"), None),
        (
            "场景2：城中村·出租屋 清晨 内外",
            Some("2"),
            Some("城中村 出租屋"),
            Some("清晨"),
            Some(InteriorExterior),
        ),
        (
            "1-3 走廊 夜内",
            Some("1-3"),
            Some("走廊"),
            Some("夜"),
            Some(Interior),
        ),
    ];
    for (line, number, location, time, int_ext) in table {
        let b = p(&format!("{line}\n△门开了。\n"));
        assert_eq!(b.scenes.len(), 1, "{line}: {b:#?}");
        let s = &b.scenes[0];
        assert_eq!(s.heading.as_deref(), Some(*line), "{line}");
        assert_eq!(s.source_number.as_deref(), *number, "{line}");
        assert_eq!(s.location.as_deref(), *location, "{line}");
        assert_eq!(s.time_of_day.as_deref(), *time, "{line}");
        assert_eq!(s.int_ext, *int_ext, "{line}");
        assert_eq!(b.shots.len(), 1, "{line}");
    }
    // Look-alikes that are not headings.
    for line in [
        "场景很美，她看呆了。",
        "【闪回】",
        "3个人站在门口。",
        "12 号房间",
    ] {
        let b = p(&format!("{line}\n"));
        assert_eq!(b.scenes[0].heading, None, "{line}");
        assert_eq!(kinds(&b), vec![ShotKind::Action], "{line}");
    }
}

#[test]
fn chinese_dialogue_colons_emotions_and_os() {
    // (line, name, extension, parenthetical, text)
    type Row = (
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        &'static str,
    );
    let table: &[Row] = &[
        ("张三：你好。", "张三", None, None, "你好。"),
        ("张三:你好。", "张三", None, None, "你好。"),
        ("张三 ： 你好。", "张三", None, None, "你好。"),
        (
            "张三（哭着）：你别走！",
            "张三",
            None,
            Some("哭着"),
            "你别走！",
        ),
        (
            "张三(冷笑)：你也配？",
            "张三",
            None,
            Some("冷笑"),
            "你也配？",
        ),
        (
            "张三（OS）：他不会发现的。",
            "张三",
            Some("OS"),
            None,
            "他不会发现的。",
        ),
        (
            "张三(VO):那一年我十八岁。",
            "张三",
            Some("VO"),
            None,
            "那一年我十八岁。",
        ),
        (
            "张三（OS，冷笑）：果然。",
            "张三",
            Some("OS"),
            Some("冷笑"),
            "果然。",
        ),
        (
            "张三：（压低声音）快走。",
            "张三",
            None,
            Some("压低声音"),
            "快走。",
        ),
        ("Lisa：你来了。", "Lisa", None, None, "你来了。"),
        ("旁白：三年后。", "旁白", None, None, "三年后。"),
    ];
    for (line, name, ext, paren, text) in table {
        let b = p(&format!("{line}\n"));
        let l = only_line(&b);
        assert_eq!(l.character, *name, "{line}");
        assert_eq!(l.extension.as_deref(), *ext, "{line}");
        assert_eq!(l.parenthetical.as_deref(), *paren, "{line}");
        assert_eq!(l.text, *text, "{line}");
        assert_eq!(b.shots[0].characters, vec![name.to_string()], "{line}");
    }
}

#[test]
fn chinese_colon_false_positives_are_action() {
    for line in [
        "他缓缓地走到窗前看着外面说道：今天的天气真好啊",
        "凌晨3:00，他醒了。",
        "Note: this stays action.",
        "时间：夜",
        "他停下，说：走吧。",
        "http://example.com",
    ] {
        let b = p(&format!("{line}\n"));
        assert!(
            b.shots.iter().all(|s| s.kind == ShotKind::Action),
            "{line}: {b:#?}"
        );
        assert!(b.characters.is_empty(), "{line}");
    }
}

#[test]
fn chinese_action_lines() {
    let b = p("场景1：客厅 夜 内\n人物：张三、李四\n△张三推门而入，\n看见李四坐在沙发上。\n▲灯灭了。\n（李四起身，走向窗边）\n张三：你怎么还不睡？\n");
    assert_eq!(
        kinds(&b),
        vec![
            ShotKind::Action,
            ShotKind::Action,
            ShotKind::Action,
            ShotKind::Dialogue
        ]
    );
    assert_eq!(b.shots[0].description, "张三推门而入，看见李四坐在沙发上。");
    assert_eq!(b.shots[0].characters, vec!["张三", "李四"]);
    assert_eq!(b.shots[1].description, "灯灭了。");
    assert!(b.shots[1].characters.is_empty());
    assert_eq!(b.shots[2].description, "李四起身，走向窗边");
    assert_eq!(b.shots[2].characters, vec!["李四"]);
}

#[test]
fn chinese_cast_line_records_characters_without_dialogue() {
    let b = p("场景1：客厅 夜 内\n人物：张三、李四（女，25岁）、王五等\n△张三看着窗外。\n");
    assert_eq!(b.scenes[0].characters, vec!["张三", "李四", "王五"]);
    assert_eq!(kinds(&b), vec![ShotKind::Action]);
    assert_eq!(names(&b), vec!["张三", "李四", "王五"]);
    assert!(b
        .characters
        .iter()
        .all(|c| c.dialogue_lines == 0 && c.first_scene == 1));
    // A cast list above the heading belongs to the scene below it.
    let b = p("第1集\n人物：张三\n场景1：客厅 夜 内\n△门开了。\n");
    assert_eq!(b.scenes.len(), 1);
    assert_eq!(b.scenes[0].characters, vec!["张三"]);
}

#[test]
fn chinese_header_fields() {
    let b = p("剧名：逆袭\n编剧：王五\n场景1\n时间：夜\n地点：天台\n备注：外景需要夜拍\n字幕：三年后\n张三：走吧。\n");
    assert_eq!(b.title.as_deref(), Some("逆袭"));
    assert_eq!(b.metadata.len(), 2);
    assert_eq!(b.scenes[0].time_of_day.as_deref(), Some("夜"));
    assert_eq!(b.scenes[0].location.as_deref(), Some("天台"));
    assert_eq!(b.notes.len(), 1);
    assert_eq!(b.notes[0].kind, NoteKind::Remark);
    assert_eq!(b.notes[0].scene_number, Some(1));
    assert_eq!(kinds(&b), vec![ShotKind::Action, ShotKind::Dialogue]);
    assert_eq!(b.shots[0].description, "字幕：三年后");
    assert_eq!(names(&b), vec!["张三"], "header words are never speakers");
    // 《书名》 before anything else is the title.
    assert_eq!(
        p("《霸总的替身》\n第1集\n△开场。\n").title.as_deref(),
        Some("霸总的替身")
    );
}

#[test]
fn chinese_transitions_and_dialogue_on_next_line() {
    let b = p("场景1：街 夜 外\n张三：\n（颤抖）\n你……你是谁？\n\n淡出\n");
    let l = only_line(&b);
    assert_eq!(l.parenthetical.as_deref(), Some("颤抖"));
    assert_eq!(l.text, "你……你是谁？");
    assert_eq!(b.scenes[0].transitions, vec!["淡出"]);
}

#[test]
fn os_variants_are_one_character() {
    let b = p(
        "场景1：家 夜 内\n张三：你好。\n张三（OS）：不对劲。\n张三(画外音)：快跑。\n李四：嗯？\n",
    );
    assert_eq!(names(&b), vec!["张三", "李四"]);
    assert_eq!(b.characters[0].dialogue_lines, 3);
    assert_eq!(b.shots[2].dialogue[0].extension.as_deref(), Some("画外音"));
}

#[test]
fn implicit_scene_and_mixed_syntax() {
    let b = p("△开场前的空镜。\n\nINT. OFFICE - DAY\n\nBOSS\nYou're fired.\n\n场景2：楼道 日 内\n张三：凭什么？\n");
    assert_eq!(b.scenes.len(), 3);
    assert_eq!(b.scenes[0].heading, None);
    assert_eq!(b.scenes[0].shot_numbers, vec![1]);
    assert_eq!(b.scenes[1].shot_numbers, vec![2]);
    assert_eq!(b.scenes[2].shot_numbers, vec![3]);
    assert_eq!(names(&b), vec!["BOSS", "张三"]);
    // A new episode starts a new (implicit) scene even without a heading.
    let b = p("第1集\n△甲。\n第2集\n△乙。\n");
    assert_eq!(b.scenes.len(), 2);
    assert_eq!(b.scenes[1].episode, Some(2));
}

#[test]
fn action_names_match_capitalised_words_only() {
    let b = p("\nAL\nHi.\n\nAl waves. A normal guy walks by. Al's dog barks. ALBERT sneezes.\n");
    assert_eq!(b.shots[1].characters, vec!["AL"]);
    let b = p("\nMAN\nHey.\n\nThe man turns.\n");
    assert!(b.shots[1].characters.is_empty());
}

#[test]
fn merged_lines_keep_cjk_and_latin_punctuation() {
    // Chinese sentences ending and starting in quotes join without a space.
    let b = p("场景1：客厅 夜 内\n△她说：“走吧。”\n“不。”他摇头。\n");
    assert_eq!(b.shots[0].description, "她说：“走吧。”“不。”他摇头。");
    let b = p("INT. 客厅 - 夜\n\n@林晓\n“你听我说……”\n“不听。”\n");
    assert_eq!(only_line(&b).text, "“你听我说……”“不听。”");
    assert_eq!(b.shots[0].description, "林晓: “你听我说……”“不听。”");
    // English keeps its spaces, quotes or not.
    let b = p("He said “go.”\n“No.” She stays.\n");
    assert_eq!(b.shots[0].description, "He said “go.” “No.” She stays.");
    let b = p("\nBOB\n\"Wait.\"\n\"Why?\"\n");
    assert_eq!(only_line(&b).text, "\"Wait.\" \"Why?\"");
    // A title written over several lines.
    let b = p("Title:\n    重生之\n    逆袭\n\n林雪：走吧。\n");
    assert_eq!(b.title.as_deref(), Some("重生之逆袭"));
    let b = p("Title:\n    The Last\n    Train\n\nRain.\n");
    assert_eq!(b.title.as_deref(), Some("The Last Train"));
    // Separators the parser writes itself: `, ` in English, `，` in Chinese, never a bare space.
    let b = p("Lisa（smiling, softly）：Hi there.\n");
    assert_eq!(
        only_line(&b).parenthetical.as_deref(),
        Some("smiling, softly")
    );
    let b = p("张三（哭着，颤抖）：你别走！\n");
    assert_eq!(only_line(&b).parenthetical.as_deref(), Some("哭着，颤抖"));
    let b = p("林雪（画外音，内心）：我不能哭。\n");
    assert_eq!(only_line(&b).extension.as_deref(), Some("画外音，内心"));
    let b = p("Lisa（O.S.，V.O.）：Hi.\n");
    assert_eq!(only_line(&b).extension.as_deref(), Some("O.S., V.O."));
    let b = p("\nBOB (V.O.) (CONT'D)\nStill here.\n");
    assert_eq!(only_line(&b).extension.as_deref(), Some("V.O., CONT'D"));
}

// ---------------------------------------------------------------- durations and order

#[test]
fn duration_estimates() {
    let cn45 = "一二三四五六七八九十".repeat(4) + "一二三四五";
    assert_eq!(cn45.chars().count(), 45);
    let b = p(&format!("张三：{cn45}\n"));
    // 45 / 4.5 + 0.5 = 10.5 s
    assert!(
        (10.0..=11.0).contains(&b.shots[0].duration_secs),
        "{}",
        b.shots[0].duration_secs
    );
    assert_eq!(b.shots[0].duration_secs, 10.5);

    let en17 = "I told you a hundred times that we should never have come back to this town again";
    assert_eq!(en17.split_whitespace().count(), 17);
    let b = p(&format!("\nBOB\n{en17}\n"));
    // 17 / 2.8 + 0.5 = 6.57 s
    assert!(
        (6.0..=7.0).contains(&b.shots[0].duration_secs),
        "{}",
        b.shots[0].duration_secs
    );
    assert_eq!(b.shots[0].duration_secs, 6.6);

    // Action: 2.5 s base, clamped to [1.5, 12].
    assert_eq!(p("△走。\n").shots[0].duration_secs, 2.6);
    assert_eq!(
        p(&format!("△{}\n", "走".repeat(1000))).shots[0].duration_secs,
        12.0
    );
    assert_eq!(p("He runs.\n").shots[0].duration_secs, 3.1);

    let b = p("张三：好。\n△走。\n");
    // 1 / 4.5 + 0.5 = 0.7 s, plus 2.6 s.
    assert_eq!(b.total_duration_secs, 3.3);
    assert_eq!(b.scenes[0].duration_secs, b.total_duration_secs);
}

#[test]
fn shots_are_numbered_in_order() {
    let b = p(CN_FIXTURE);
    let numbers: Vec<u32> = b.shots.iter().map(|s| s.number).collect();
    assert_eq!(numbers, (1..=b.shots.len() as u32).collect::<Vec<_>>());
    assert!(b
        .shots
        .windows(2)
        .all(|w| w[0].scene_number <= w[1].scene_number));
    let from_scenes: Vec<u32> = b
        .scenes
        .iter()
        .flat_map(|s| s.shot_numbers.clone())
        .collect();
    assert_eq!(from_scenes, numbers);
    assert_eq!(p(CN_FIXTURE), b, "same input, same output");
}

// ---------------------------------------------------------------- malformed input

#[test]
fn empty_input_is_an_error() {
    assert_eq!(parse(""), Err(ScriptError::Empty));
    assert_eq!(parse(" \n\t\r\n　"), Err(ScriptError::Empty));
    assert_eq!(decode_script(b""), Err(ScriptError::Empty));
    assert_eq!(decode_script(b"  \r\n \n"), Err(ScriptError::Empty));
    assert_eq!(decode_script(b"\xEF\xBB\xBF"), Err(ScriptError::Empty));
}

#[test]
fn binary_input_is_refused() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0";
    assert_eq!(decode_script(png), Err(ScriptError::Binary));
    assert_eq!(decode_script(&[0x01; 64]), Err(ScriptError::Binary));
    assert_eq!(
        decode_script(b"abc\x01\x02\x03\x04\x05\x06"),
        Err(ScriptError::Binary)
    );
    // A couple of stray control bytes in real text are tolerated.
    let mut text = "正文。".repeat(20).into_bytes();
    text.push(0x07);
    assert!(decode_script(&text).is_ok());
    assert_eq!(
        decode_script(&[0xFF, 0xFF, 0x80]),
        Err(ScriptError::Encoding)
    );
}

#[test]
fn decodes_utf8_gb18030_and_utf16() {
    assert_eq!(
        decode_script(b"\xEF\xBB\xBFINT. A - DAY\r\nHi.\rBye.").as_deref(),
        Ok("INT. A - DAY\nHi.\nBye.")
    );
    let sample = "第1集：重生\r\n场景1：医院 夜 内\r\n林雪：我……没死？\r\n";
    let (gb, _, had_errors) = encoding_rs::GB18030.encode(sample);
    assert!(!had_errors);
    assert!(
        std::str::from_utf8(&gb).is_err(),
        "the sample must not be valid UTF-8"
    );
    let text = decode_script(&gb).expect("GB18030 decodes");
    assert_eq!(text, sample.replace("\r\n", "\n"));
    let b = p(&text);
    assert_eq!(b.episodes[0].number, 1);
    assert_eq!(b.shots[0].dialogue[0].character, "林雪");

    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(sample.encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(
        decode_script(&utf16).as_deref(),
        Ok(sample.replace("\r\n", "\n").as_str())
    );
}

#[test]
fn a_single_line_as_long_as_the_limit_is_one_action_shot() {
    let line = "他一步一步往前走，".repeat(MAX_SCRIPT_BYTES / 27);
    assert!(line.len() > MAX_SCRIPT_BYTES - 27 && line.len() <= MAX_SCRIPT_BYTES);
    let b = p(&line);
    assert_eq!(kinds(&b), vec![ShotKind::Action]);
    assert_eq!(b.shots[0].duration_secs, 12.0);

    let too_big = "a".repeat(MAX_SCRIPT_BYTES + 1);
    assert!(matches!(parse(&too_big), Err(ScriptError::TooLarge { .. })));
    assert!(matches!(
        decode_script(too_big.as_bytes()),
        Err(ScriptError::TooLarge { .. })
    ));
}

#[test]
fn two_hundred_thousand_characters_parse_completely() {
    // Both samples, repeated: realistic density (a shot every ~25 characters of Chinese).
    let copies = 200_000 / (CN_FIXTURE.chars().count() + FOUNTAIN_FIXTURE.chars().count()) + 1;
    let samples = format!("{CN_FIXTURE}\n\n{FOUNTAIN_FIXTURE}\n\n").repeat(copies);
    // Synthetic: a scene heading every few lines, both syntaxes.
    let mut synthetic = String::new();
    let mut n = 0;
    while synthetic.chars().count() < 200_000 {
        for _ in 0..100 {
            n += 1;
            synthetic.push_str(&format!(
                "场景{n}：客厅 夜 内\n人物：林雪、顾辰\n△林雪推门而入，顾辰抬起头。\n林雪（冷笑）：你还有脸回来？\n\
                 顾辰：我只是想解释清楚。\n\nINT. OFFICE - DAY #{n}#\n\nMaya walks in. LEO looks up.\n\n\
                 LEO (O.S.)\nYou're late, and you know it.\n\n"
            ));
        }
    }
    for (name, text, scenes) in [
        ("samples", &samples, 7 * copies),
        ("synthetic", &synthetic, 2 * n),
    ] {
        let chars = text.chars().count();
        assert!(chars >= 200_000);
        let b = p(text);
        // Speed is measured by the parse benchmark (docs/BENCHMARKS.md), not asserted here.
        assert_eq!(b.scenes.len(), scenes, "{name}");
        let numbers: Vec<u32> = b.shots.iter().map(|s| s.number).collect();
        let expected: Vec<u32> = (1..=b.shots.len() as u32).collect();
        assert_eq!(
            numbers, expected,
            "{name}: shots numbered 1..n without gaps"
        );
    }
}

fn script_text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '.', '!', '@', '#', '~', '>', '=', '<', '[', ']', '/', '*', '^', '：', '（', '）', '△',
        '【', '】', '\n', '\n', '\n', ' ', '(', ')', ':', '-', '_', '\\', '第', '集', '场', '景',
        '夜', '内', '外', 'I', 'N', 'T', 'E', 'X', 'A', 'B', 'a', '1', '2', '、', '人', '物', '张',
        '三', '《', '》', '\r', '\t', '　', '▲', '^',
    ]);
    prop::collection::vec(prop_oneof![4 => special, 1 => any::<char>()], 0..300)
        .prop_map(|chars| chars.into_iter().collect())
}

fn script_lines() -> impl Strategy<Value = String> {
    let fragments = prop::sample::select(vec![
        "",
        "",
        "INT. HOUSE - DAY",
        ".FORCED",
        "BOB",
        "BOB (V.O.) ^",
        "@bob",
        "(beat)",
        "Hello there.",
        "CUT TO:",
        "> FADE",
        ">CENTER<",
        "# Act",
        "= synopsis",
        "===",
        "[[note",
        "]]",
        "/*",
        "*/",
        "~lyric",
        "!FORCED",
        "Title: X",
        "第1集",
        "第十二集：标题",
        "场景1：公园 日 外",
        "1-2 公园 夜 内",
        "【场景】公园",
        "【公园 夜】",
        "张三：你好",
        "张三（OS）：嗯",
        "张三：",
        "（动作）",
        "△走",
        "人物：张三、李四",
        "时间：夜",
        "剧名：X",
        "淡出",
        "《标题》",
        "*_bold_*",
        "#1#",
    ]);
    prop::collection::vec(fragments, 0..40).prop_map(|v| v.join("\n"))
}

proptest! {
    #[test]
    fn parse_never_panics_and_is_deterministic(text in script_text()) {
        let first = parse(&text);
        prop_assert_eq!(&first, &parse(&text));
        if let Ok(b) = first {
            let numbers: Vec<u32> = b.shots.iter().map(|s| s.number).collect();
            prop_assert_eq!(numbers, (1..=b.shots.len() as u32).collect::<Vec<_>>());
        }
    }

    #[test]
    fn parse_handles_any_unicode(text in any::<String>()) {
        prop_assert_eq!(parse(&text), parse(&text));
    }

    #[test]
    fn parse_handles_mixed_structures(text in script_lines()) {
        let first = parse(&text);
        prop_assert_eq!(&first, &parse(&text));
        if let Ok(b) = first {
            for scene in &b.scenes {
                for n in &scene.shot_numbers {
                    let shot = &b.shots[*n as usize - 1];
                    prop_assert_eq!(shot.scene_number, scene.number);
                }
            }
            prop_assert!(b.shots.iter().all(|s| s.duration_secs.is_finite() && s.duration_secs > 0.0));
        }
    }

    #[test]
    fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode_script(&bytes);
    }
}

// ---------------------------------------------------------------- re-parse

#[test]
fn editing_one_line_changes_only_that_fingerprint() {
    let old = p(CN_FIXTURE);
    let edited_text = CN_FIXTURE.replace(
        "苏婉（一愣）：姐姐说什么呢，我听不懂。",
        "苏婉（一愣）：姐姐在说什么？",
    );
    assert_ne!(edited_text, CN_FIXTURE);
    let new = p(&edited_text);
    assert_eq!(old.shots.len(), new.shots.len());
    let changed: Vec<u32> = old
        .shots
        .iter()
        .zip(&new.shots)
        .filter(|(a, b)| a.fingerprint != b.fingerprint)
        .map(|(a, _)| a.number)
        .collect();
    let edited = old
        .shots
        .iter()
        .find(|s| s.description.starts_with("苏婉: 姐姐说什么呢"))
        .map(|s| s.number);
    assert_eq!(changed, edited.into_iter().collect::<Vec<_>>());

    let matches = diff_shots(&old.shots, &new.shots);
    assert_eq!(matches.len(), new.shots.len());
    for m in &matches {
        let expected =
            (new.shots[m.new_index].number != edited.unwrap_or(0)).then_some(m.new_index);
        assert_eq!(m.old_index, expected, "{m:?}");
    }
}

#[test]
fn diff_follows_inserted_and_removed_shots() {
    let old = p("张三：一。\n△二。\n张三：一。\n李四：三。\n");
    let new = p("△新的。\n张三：一。\n张三：一。\n李四：三。\n");
    let pairs: Vec<(usize, Option<usize>)> = diff_shots(&old.shots, &new.shots)
        .into_iter()
        .map(|m| (m.new_index, m.old_index))
        .collect();
    // Duplicates pair up in order; the removed action is left unmatched.
    assert_eq!(
        pairs,
        vec![(0, None), (1, Some(0)), (2, Some(2)), (3, Some(3))]
    );
    // Re-wrapping whitespace is not an edit; scene numbers do not matter.
    let a = p("He  walks\nin.\n");
    let b = p("INT. X - DAY\n\nHe walks in.\n");
    assert_eq!(a.shots[0].fingerprint, b.shots[0].fingerprint);
    assert_eq!(a.shots[0].fingerprint.len(), 64);
}

// ---------------------------------------------------------------- sample scripts

#[test]
fn chinese_sample_episode_breakdown() {
    let b = p(CN_FIXTURE);
    assert!(b.warnings.is_empty(), "{:?}", b.warnings);
    assert_eq!(b.title.as_deref(), Some("重生之逆袭千金"));
    assert_eq!(b.metadata.len(), 2);
    assert_eq!(
        b.episodes,
        vec![Episode {
            number: 1,
            title: Some("重生归来".into()),
            heading: "第1集：重生归来".into()
        }]
    );
    assert_eq!(b.scenes.len(), 4);
    type Head<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<IntExt>,
        usize,
    );
    let heads: Vec<Head<'_>> = b
        .scenes
        .iter()
        .map(|s| {
            (
                s.source_number.as_deref(),
                s.location.as_deref(),
                s.time_of_day.as_deref(),
                s.int_ext,
                s.shot_numbers.len(),
            )
        })
        .collect();
    assert_eq!(
        heads,
        vec![
            (
                Some("1"),
                Some("医院病房"),
                Some("夜"),
                Some(IntExt::Interior),
                12
            ),
            (
                Some("1-2"),
                Some("林家客厅"),
                Some("日"),
                Some(IntExt::Interior),
                11
            ),
            (
                None,
                Some("林家花园"),
                Some("黄昏"),
                Some(IntExt::Exterior),
                9
            ),
            (
                Some("4"),
                Some("林雪卧室"),
                Some("夜"),
                Some(IntExt::Interior),
                4
            ),
        ]
    );
    assert!(b.scenes.iter().all(|s| s.episode == Some(1)));
    assert_eq!(b.shots.len(), 36);
    assert_eq!(
        b.shots
            .iter()
            .filter(|s| s.kind == ShotKind::Dialogue)
            .count(),
        22
    );
    assert_eq!(
        b.characters,
        vec![
            CharacterSummary {
                name: "林雪".into(),
                dialogue_lines: 9,
                first_scene: 1
            },
            CharacterSummary {
                name: "顾辰".into(),
                dialogue_lines: 6,
                first_scene: 1
            },
            CharacterSummary {
                name: "苏婉".into(),
                dialogue_lines: 7,
                first_scene: 2
            },
        ]
    );
    let scene_chars: Vec<Vec<&str>> = b
        .scenes
        .iter()
        .map(|s| s.characters.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        scene_chars,
        vec![
            vec!["林雪", "顾辰"],
            vec!["林雪", "苏婉"],
            vec!["顾辰", "苏婉", "林雪"],
            vec!["林雪"]
        ]
    );
    let os: Vec<&DialogueLine> = b
        .shots
        .iter()
        .flat_map(|s| &s.dialogue)
        .filter(|l| l.extension.is_some())
        .collect();
    assert_eq!(os.len(), 2);
    assert!(os
        .iter()
        .all(|l| l.character == "林雪" && l.extension.as_deref() == Some("OS")));
    assert_eq!(b.shots[6].description, "林雪别过头，眼中闪过一丝冷意");
    assert_eq!(b.shots[35].description, "【字幕：第1集 完】");
    assert!(
        b.total_duration_secs > 100.0 && b.total_duration_secs < 250.0,
        "{}",
        b.total_duration_secs
    );
}

#[test]
fn fountain_sample_screenplay_breakdown() {
    let b = p(FOUNTAIN_FIXTURE);
    assert!(b.warnings.is_empty(), "{:?}", b.warnings);
    assert_eq!(b.title.as_deref(), Some("The Last Train"));
    let meta: Vec<(&str, &str)> = b
        .metadata
        .iter()
        .map(|m| (m.key.as_str(), m.value.as_str()))
        .collect();
    assert_eq!(
        meta,
        vec![
            ("Title", "The Last Train"),
            ("Credit", "Written by"),
            ("Author", "Jane Doe"),
            ("Draft date", "2024-05-01"),
            ("Contact", "jane@example.com"),
        ]
    );
    assert_eq!(b.scenes.len(), 3);
    let s = &b.scenes;
    assert_eq!(s[0].heading.as_deref(), Some("EXT. TRAIN STATION - NIGHT"));
    assert_eq!(s[0].source_number.as_deref(), Some("1"));
    assert_eq!(s[0].transitions, vec!["FADE IN:", "CUT TO:"]);
    assert_eq!(s[1].time_of_day.as_deref(), Some("CONTINUOUS"));
    assert_eq!(
        s[2].heading.as_deref(),
        Some("FLASHBACK - MAYA'S APARTMENT")
    );
    assert_eq!(s[2].int_ext, None);
    let per_scene: Vec<usize> = s.iter().map(|s| s.shot_numbers.len()).collect();
    assert_eq!(per_scene, vec![7, 5, 3]);
    assert_eq!(b.shots.len(), 15);
    assert_eq!(
        b.characters,
        vec![
            CharacterSummary {
                name: "MAYA".into(),
                dialogue_lines: 4,
                first_scene: 1
            },
            CharacterSummary {
                name: "LEO".into(),
                dialogue_lines: 2,
                first_scene: 1
            },
            CharacterSummary {
                name: "CONDUCTOR".into(),
                dialogue_lines: 2,
                first_scene: 2
            },
        ]
    );
    let dual: Vec<u32> = b
        .shots
        .iter()
        .filter(|s| s.dialogue.iter().any(|l| l.dual))
        .map(|s| s.number)
        .collect();
    assert_eq!(dual, vec![6, 7]);
    assert_eq!(b.shots[0].characters, vec!["MAYA"]);
    assert_eq!(b.shots[4].characters, vec!["MAYA", "LEO"]);
    assert_eq!(b.shots[9].characters, vec!["LEO", "MAYA"]);
    assert_eq!(
        b.shots[10].dialogue[0].text,
        "She doesn't look like a Maya."
    );
    assert_eq!(b.shots[10].dialogue[0].extension.as_deref(), Some("CONT'D"));
    assert_eq!(
        b.shots[11].dialogue[0].parenthetical.as_deref(),
        Some("dry")
    );
    assert_eq!(b.shots[13].dialogue[0].extension.as_deref(), Some("V.O."));
    assert_eq!(b.shots[14].description, "THE END");
    assert!(b.notes.is_empty());
}

#[test]
fn breakdown_round_trips_through_json() {
    let b = p(FOUNTAIN_FIXTURE);
    let json = serde_json::to_string(&b).expect("serialise");
    assert!(json.contains("\"kind\":\"dialogue\""));
    assert!(json.contains("\"int_ext\":\"exterior\""));
    let back: Breakdown = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, b);
}

#[test]
fn whole_sentences_join_without_a_space_only_between_chinese() {
    use super::text::join_sentences;
    assert_eq!(
        join_sentences("雨夜，街道空无一人。", "她撑伞走过。"),
        "雨夜，街道空无一人。她撑伞走过。"
    );
    assert_eq!(
        join_sentences("A close-up of trembling hands.", "林雪: 我……我没死？"),
        "A close-up of trembling hands. 林雪: 我……我没死？"
    );
    assert_eq!(
        join_sentences("Rain falls.", "A train arrives."),
        "Rain falls. A train arrives."
    );
    assert_eq!(join_sentences("", "只有一句。"), "只有一句。");
}
