use proptest::prelude::*;

use super::{
    canvas::pixel,
    fonts::preferred_face,
    scene::{self, char_look, layout, parse_kind, parse_setting, parse_tod, Kind, Setting, Tod},
    text, *,
};

fn fonts() -> Fonts {
    Fonts::shared(None).expect("a CJK font (apt-get install fonts-noto-cjk)")
}

fn who(id: &str, name: &str) -> FrameCharacter {
    FrameCharacter::new(id, name, None)
}

fn spec() -> FrameSpec {
    FrameSpec {
        shot_number: 12,
        scene_number: 3,
        location: Some("公园".into()),
        time_of_day: Some("日".into()),
        int_ext: Some("exterior".into()),
        shot_type: Some("medium".into()),
        characters: vec![who("char-lin", "林晓")],
        caption: Some("你怎么会在这里？".into()),
        description: "林晓转身，看见顾辰站在长椅旁。".into(),
        ..FrameSpec::default()
    }
}

fn png(s: &FrameSpec) -> Vec<u8> {
    render_png(s, &fonts()).expect("renders")
}

/// Mean absolute difference of two same-sized frames over rows `y0..y1`.
fn band_difference(a: &image::RgbImage, b: &image::RgbImage, y0: u32, y1: u32) -> f64 {
    let mut sum = 0u64;
    for y in y0..y1 {
        for x in 0..a.width() {
            let (p, q) = (a.get_pixel(x, y), b.get_pixel(x, y));
            sum += (0..3)
                .map(|i| (p[i] as i32 - q[i] as i32).unsigned_abs() as u64)
                .sum::<u64>();
        }
    }
    sum as f64 / ((y1 - y0) * a.width() * 3) as f64
}

#[test]
fn a_frame_without_overlays_is_the_picture_alone() {
    // Issue 14: a finished video's frames carry no shot number, slug, shot size, name labels or
    // corner marks, and no caption when the caption is left out.
    let (w, h) = (270, 480);
    let review = FrameSpec {
        width: w,
        height: h,
        caption: None,
        ..spec()
    };
    let clean = FrameSpec {
        overlays: false,
        ..review.clone()
    };
    let (a, b) = (
        render_frame(&review, &fonts()).unwrap(),
        render_frame(&clean, &fonts()).unwrap(),
    );
    // The top band (shot pill, scene, slug, description) is gone.
    assert!(band_difference(&a, &b, 0, h / 10) > 8.0);
    // The picture itself is the same: sky and background are drawn alike.
    assert!(band_difference(&a, &b, h / 4, h / 3) < 1.0);
    // Turning overlays off is not written into the spec, so existing cache keys stay the same.
    let json = serde_json::to_value(&review).unwrap();
    assert!(json.get("overlays").is_none(), "{json}");
    assert_eq!(serde_json::to_value(&clean).unwrap()["overlays"], false);
    let back: FrameSpec = serde_json::from_value(json).unwrap();
    assert!(back.overlays);
}

#[test]
fn same_spec_gives_identical_png_bytes() {
    let s = spec();
    let a = png(&s);
    assert_eq!(a, png(&s));
    assert_eq!(&a[1..4], b"PNG");
    // Only the mandatory chunks: nothing that could carry a time or a path.
    let mut i = 8;
    let mut chunks = Vec::new();
    while i + 8 <= a.len() {
        let len = u32::from_be_bytes(a[i..i + 4].try_into().unwrap()) as usize;
        chunks.push(String::from_utf8_lossy(&a[i + 4..i + 8]).to_string());
        i += 12 + len;
    }
    assert!(
        chunks
            .iter()
            .all(|c| ["IHDR", "IDAT", "IEND"].contains(&c.as_str())),
        "{chunks:?}"
    );
}

#[test]
fn character_id_decides_the_figure_colour() {
    let f = fonts();
    let a = spec();
    let mut b = spec();
    b.characters[0].id = "char-gu".into();
    assert_ne!(png(&a), png(&b));
    let (ia, ib) = (render_frame(&a, &f).unwrap(), render_frame(&b, &f).unwrap());
    let (la, lb) = (layout(&a), layout(&b));
    let (xa, ya) = la.figures[0].torso_center();
    let (xb, yb) = lb.figures[0].torso_center();
    let (pa, pb) = (pixel(&ia, xa, ya), pixel(&ib, xb, yb));
    assert_eq!(pa, la.figures[0].look.clothes);
    assert_eq!(pb, lb.figures[0].look.clothes);
    assert_ne!(pa, pb, "two ids, two colours");
}

#[test]
fn same_character_has_the_same_colour_in_different_shots() {
    let f = fonts();
    let a = spec();
    let mut b = spec();
    b.shot_number = 40;
    b.scene_number = 9;
    b.location = Some("咖啡馆".into());
    b.int_ext = Some("interior".into());
    b.shot_type = Some("wide".into());
    b.characters = vec![who("char-gu", "顾辰"), who("char-lin", "林晓")];
    b.caption = Some("Long time no see.".into());
    let (ia, ib) = (render_frame(&a, &f).unwrap(), render_frame(&b, &f).unwrap());
    let (la, lb) = (layout(&a), layout(&b));
    let fa = &la.figures[0];
    let fb = lb.figures.iter().find(|x| x.index == 1).unwrap();
    assert_eq!(fa.look, fb.look);
    let (xa, ya) = fa.torso_center();
    let (xb, yb) = fb.torso_center();
    assert_eq!(pixel(&ia, xa, ya), pixel(&ib, xb, yb));
    assert_eq!(pixel(&ia, xa, ya), char_look(&who("char-lin", "")).clothes);
}

#[test]
fn feedback_changes_the_frame_deterministically() {
    let f = fonts();
    let a = spec();
    let mut b = spec();
    b.feedback = Some("人物太靠左了".into());
    let (pa, pb) = (png(&a), png(&b));
    assert_ne!(pa, pb);
    assert_eq!(pb, png(&b));
    // The figure moved: the camera takes a different position.
    let (la, lb) = (layout(&a), layout(&b));
    assert!((la.figures[0].cx - lb.figures[0].cx).abs() >= 0.03 * a.width as f32 - 0.5);
    // The note itself is drawn on the frame, so a reviewer sees their comment was heard.
    assert_eq!(
        super::scene::camera(&b).tag.as_deref(),
        Some("Note: 人物太靠左了")
    );
    let mut long = spec();
    long.feedback = Some("x".repeat(40));
    assert_eq!(
        super::scene::camera(&long).tag.unwrap(),
        format!("Note: {}…", "x".repeat(28))
    );
    let mut c = spec();
    c.feedback = Some("换个角度".into());
    assert_ne!(png(&c), pb);
    // A whitespace-only comment is no comment.
    let mut d = spec();
    d.feedback = Some("  ".into());
    assert_eq!(png(&d), pa);
    // The seed varies the frame too.
    let mut e = spec();
    e.seed = 7;
    assert_ne!(png(&e), pa);
    assert_eq!(render_frame(&e, &f).unwrap(), render_frame(&e, &f).unwrap());
}

#[test]
fn time_of_day_changes_the_sky() {
    let f = fonts();
    let mut day = spec();
    day.characters.clear();
    day.shot_type = Some("wide".into());
    let sky_luma = |tod: &str| {
        let mut s = day.clone();
        s.time_of_day = Some(tod.into());
        let img = render_frame(&s, &f).unwrap();
        // Left edge, a fifth of the way down: sky in a wide exterior, below the top overlay.
        let lay = layout(&s);
        let y = lay.horizon * 0.6;
        assert!(y > s.height as f32 * 0.15);
        pixel(&img, 2.0, y).luma()
    };
    let (d, n, dusk) = (sky_luma("日"), sky_luma("夜"), sky_luma("黄昏"));
    assert!(n + 60.0 < d, "night {n} should be much darker than day {d}");
    assert!(sky_luma("NIGHT") < sky_luma("DAY"));
    assert_ne!(dusk, d);
}

#[test]
fn time_of_day_words() {
    assert_eq!(parse_tod(Some("日")), Tod::Day);
    assert_eq!(parse_tod(Some("夜")), Tod::Night);
    assert_eq!(parse_tod(Some("晨")), Tod::Morning);
    assert_eq!(parse_tod(Some("黄昏")), Tod::Dusk);
    assert_eq!(parse_tod(Some("傍晚")), Tod::Dusk);
    assert_eq!(parse_tod(Some("NIGHT")), Tod::Night);
    assert_eq!(parse_tod(Some("EVENING")), Tod::Dusk);
    assert_eq!(parse_tod(Some("DAWN")), Tod::Morning);
    assert_eq!(parse_tod(Some("CONTINUOUS")), Tod::Day);
    assert_eq!(parse_tod(None), Tod::Day);
    assert_eq!(parse_setting(Some("interior"), ""), Setting::Interior);
    assert_eq!(parse_setting(Some("interior_exterior"), ""), Setting::Both);
    assert_eq!(parse_setting(None, "医院病房"), Setting::Interior);
    assert_eq!(parse_setting(None, "街道"), Setting::Exterior);
    assert_eq!(parse_kind(Some("close_up"), 1), Kind::CloseUp);
    assert_eq!(parse_kind(Some("over-the-shoulder"), 2), Kind::OverShoulder);
    assert_eq!(parse_kind(None, 0), Kind::Wide);
    // Every storyboard shot type has its own framing.
    let kinds: std::collections::BTreeSet<String> = crate::render::SHOT_TYPES
        .iter()
        .map(|t| format!("{:?}", parse_kind(Some(t), 1)))
        .collect();
    assert_eq!(kinds.len(), crate::render::SHOT_TYPES.len());
}

/// Pixels in rows `y0..y1` that are clearly brighter than the dark caption bar.
fn ink(img: &RgbImage, y0: u32, y1: u32) -> usize {
    (y0..y1.min(img.height()))
        .flat_map(|y| (0..img.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c > 170))
        .count()
}

#[test]
fn cjk_caption_draws_ink_in_the_caption_bar() {
    let f = fonts();
    let mut with = spec();
    with.caption = Some("我等了你整整三年。".into());
    let mut without = with.clone();
    without.caption = Some(String::new());
    let (iw, io) = (
        render_frame(&with, &f).unwrap(),
        render_frame(&without, &f).unwrap(),
    );
    let h = with.height;
    let bar = h - h / 10;
    let (inked, empty) = (ink(&iw, bar, h), ink(&io, bar, h));
    assert!(inked > 2_000, "caption ink {inked}");
    assert!(inked > empty * 3 + 1_000, "{inked} vs {empty}");
    // The glyphs are real shapes, not notdef boxes: each CJK char has its own glyph.
    assert!(f.font_glyph_ok('我') && f.font_glyph_ok('年'));
}

impl Fonts {
    fn font_glyph_ok(&self, c: char) -> bool {
        use ab_glyph::Font;
        self.font().glyph_id(c).0 != 0
    }
}

#[test]
fn long_captions_wrap_inside_the_frame() {
    let f = fonts();
    let size = 0.045 * 1080.0;
    let max_w = 1080.0 * 0.88;
    let cjk = "我".repeat(500);
    let lines = text::wrap(f.font(), size, &cjk, max_w, 4);
    assert_eq!(lines.len(), 4);
    assert!(lines.last().unwrap().ends_with('…'));
    for l in &lines {
        assert!(text::measure(f.font(), size, l) <= max_w, "{l}");
    }
    let latin = "the quick brown fox jumps over the lazy dog ".repeat(10);
    let lines = text::wrap(f.font(), size, &latin, max_w, 4);
    assert_eq!(lines.len(), 4);
    for l in &lines[..3] {
        // Latin breaks between words: every line ends with a whole word.
        assert!(latin.contains(&format!("{l} ")), "{l:?}");
    }
    // CJK punctuation never starts a line.
    let punct = "好，".repeat(200);
    for l in text::wrap(f.font(), size, &punct, max_w, 10) {
        assert!(!l.starts_with('，'), "{l}");
    }
    // Short text is one line, as is.
    assert_eq!(
        text::wrap(f.font(), size, "你好 world", max_w, 4),
        vec!["你好 world"]
    );
    // In the image: a 500-character caption leaves the top half of the frame untouched by the bar.
    let mut s = spec();
    s.caption = Some(cjk);
    let img = render_frame(&s, &f).unwrap();
    assert_eq!(img.dimensions(), (1080, 1920));
    let lay = layout(&s);
    let (x, y) = lay.figures[0].torso_center();
    assert_eq!(pixel(&img, x, y), lay.figures[0].look.clothes);
}

#[test]
fn bad_sizes_are_errors() {
    let f = fonts();
    for (w, h) in [
        (0, 0),
        (63, 1080),
        (1080, 63),
        (4097, 1080),
        (1080, u32::MAX),
    ] {
        let s = FrameSpec {
            width: w,
            height: h,
            ..spec()
        };
        let err = render_frame(&s, &f).unwrap_err();
        assert!(matches!(err, RenderError::InvalidSize { .. }), "{err}");
        assert!(err.to_string().contains("64 to 4096"), "{err}");
    }
    for (w, h) in [(64, 64), (64, 4096), (4096, 64)] {
        let s = FrameSpec {
            width: w,
            height: h,
            ..spec()
        };
        assert_eq!(render_frame(&s, &f).unwrap().dimensions(), (w, h));
    }
    assert!(encode_png(&RgbImage::new(0, 0)).is_empty());
}

#[test]
fn every_shot_type_and_setting_renders() {
    let cast = vec![
        who("a", "甲"),
        who("b", "乙"),
        who("c", "丙"),
        who("d", "丁"),
        who("e", "戊"),
        who("f", "己"),
        who("g", "庚"),
        who("h", "辛"),
        who("i", "壬"),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for t in crate::render::SHOT_TYPES.iter().chain(&["nonsense"]) {
        for ie in ["interior", "exterior", "interior_exterior"] {
            for (n, tod) in [(0usize, "夜"), (1, "日"), (2, "黄昏"), (9, "MORNING")] {
                let s = FrameSpec {
                    width: 216,
                    height: 384,
                    shot_type: Some((*t).into()),
                    int_ext: Some(ie.into()),
                    time_of_day: Some(tod.into()),
                    characters: cast[..n].to_vec(),
                    ..spec()
                };
                let bytes = png(&s);
                seen.insert(bytes);
            }
        }
    }
    // Every combination looks different, except the 12 where an unknown shot type falls back to the
    // framing its cast size picks (wide, medium, medium, full).
    assert_eq!(seen.len(), 11 * 3 * 4 - 12);
}

#[test]
fn framing_by_shot_type() {
    let base = FrameSpec {
        characters: vec![who("a", "A"), who("b", "B")],
        ..spec()
    };
    let hf = |t: &str| {
        let s = FrameSpec {
            shot_type: Some(t.into()),
            ..base.clone()
        };
        let lay = layout(&s);
        lay.figures
            .iter()
            .map(|f| f.hf / f.look.height)
            .fold(0.0, f32::max)
    };
    assert!(hf("extreme_wide") < hf("wide"));
    assert!(hf("wide") < hf("full"));
    assert!(hf("full") < hf("medium"));
    assert!(hf("medium") <= hf("close_up"));
    assert!(hf("close_up") < hf("extreme_close_up"));
    let cu = layout(&FrameSpec {
        shot_type: Some("close_up".into()),
        ..base.clone()
    });
    assert_eq!(cu.figures.len(), 1, "a close-up shows one face");
    assert_eq!(cu.hidden, 1);
    let ins = layout(&FrameSpec {
        shot_type: Some("insert".into()),
        ..base.clone()
    });
    assert!(ins.figures.is_empty());
    let ots = layout(&FrameSpec {
        shot_type: Some("over_the_shoulder".into()),
        ..base
    });
    assert_eq!(ots.shoulder, Some(Some(char_look(&who("b", "B")))));
    // Figures are placed left to right in cast order.
    let wide = layout(&FrameSpec {
        shot_type: Some("wide".into()),
        characters: vec![who("a", "A"), who("b", "B"), who("c", "C")],
        ..spec()
    });
    assert!(wide.figures.windows(2).all(|p| p[0].cx < p[1].cx));
}

#[test]
fn same_location_looks_the_same_and_another_differs() {
    let f = fonts();
    let base = FrameSpec {
        characters: Vec::new(),
        caption: None,
        description: String::new(),
        shot_type: Some("wide".into()),
        location: Some("老街".into()),
        ..spec()
    };
    let a = render_frame(&base, &f).unwrap();
    let mut other_shot = base.clone();
    other_shot.shot_number = 99;
    let b = render_frame(&other_shot, &f).unwrap();
    // Same place, same background away from the number badge.
    let y0 = a.height() / 4;
    assert_eq!(
        a.as_raw()[(y0 * a.width() * 3) as usize..],
        b.as_raw()[(y0 * b.width() * 3) as usize..]
    );
    let mut elsewhere = base.clone();
    elsewhere.location = Some("海边".into());
    let c = render_frame(&elsewhere, &f).unwrap();
    assert_ne!(
        a.as_raw()[(y0 * a.width() * 3) as usize..],
        c.as_raw()[(y0 * c.width() * 3) as usize..]
    );
}

#[test]
fn missing_font_error_says_what_to_install() {
    let err = Fonts::load_from(None, &[], &[], &[]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("apt-get install fonts-noto-cjk"), "{msg}");
    let err = Fonts::load_from(Some("/nonexistent/font.ttf".into()), &[], &[], &[]).unwrap_err();
    assert!(err.to_string().contains("STORYLOOM_FONT"), "{err}");
    // A font with no Chinese glyphs is passed over.
    let dejavu = std::path::PathBuf::from("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    if dejavu.is_file() {
        let err = Fonts::load_from(None, &[], &[dejavu], &[]).unwrap_err();
        assert!(err.to_string().contains("no Chinese"), "{err}");
    }
}

#[test]
fn noto_collection_picks_the_simplified_chinese_face() {
    let path = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    assert_eq!(preferred_face(&bytes), 2);
    let f = Fonts::from_path(std::path::Path::new(path)).unwrap();
    assert_eq!(f.face_index(), 2);
    assert_eq!(preferred_face(b"not a font"), 0);
    assert_eq!(preferred_face(b"ttcf\0\0\0\0\xff\xff\xff\xff"), 0);
}

#[test]
fn frame_sizes_for_aspect_ratios() {
    assert_eq!(frame_size("9:16"), (1080, 1920));
    assert_eq!(frame_size("16:9"), (1920, 1080));
    assert_eq!(frame_size("1:1"), (1080, 1080));
    let f = fonts();
    for ar in ["16:9", "1:1"] {
        let (width, height) = frame_size(ar);
        let s = FrameSpec {
            width,
            height,
            characters: vec![who("a", "A"), who("b", "B"), who("c", "C")],
            ..spec()
        };
        assert_eq!(render_frame(&s, &f).unwrap().dimensions(), (width, height));
    }
}

#[test]
fn spec_round_trips_through_json_with_defaults() {
    let s: FrameSpec =
        serde_json::from_str(r#"{"width": 1920, "height": 1080, "shot_number": 4}"#).unwrap();
    assert_eq!(
        (s.width, s.height, s.shot_number, s.seed),
        (1920, 1080, 4, 0)
    );
    let json = serde_json::to_string(&spec()).unwrap();
    assert_eq!(serde_json::from_str::<FrameSpec>(&json).unwrap(), spec());
    let _ = scene::camera(&spec());
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\PC]{0,300}",
        "[你我他的了是在，。！？ a-zA-Z\\n😀🎬]{0,120}",
        Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(
        location in proptest::option::of(arb_text()),
        tod in proptest::option::of(arb_text()),
        int_ext in proptest::option::of(arb_text()),
        shot in proptest::option::of(prop_oneof![arb_text(), proptest::sample::select(crate::render::SHOT_TYPES.to_vec()).prop_map(String::from)]),
        names in proptest::collection::vec((arb_text(), arb_text()), 0..10),
        caption in proptest::option::of(arb_text()),
        description in arb_text(),
        feedback in proptest::option::of(arb_text()),
        seed in any::<u64>(),
        shot_number in any::<u32>(),
        w in 64u32..200,
        h in 64u32..260,
    ) {
        let s = FrameSpec {
            width: w,
            height: h,
            shot_number,
            scene_number: shot_number / 3,
            location,
            time_of_day: tod,
            int_ext,
            shot_type: shot,
            characters: names.into_iter().map(|(id, name)| FrameCharacter::new(id, name, None)).collect(),
            caption,
            description,
            seed,
            feedback,
            overlays: seed % 2 == 0,
        };
        let img = render_frame(&s, &fonts()).unwrap();
        prop_assert_eq!(img.dimensions(), (w, h));
        prop_assert!(!encode_png(&img).is_empty());
    }
}
