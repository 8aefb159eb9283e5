//! The offline animatic renderer through its public API (issue 4): a short sequence rendered to
//! `target/animatic-samples/` for people to look at, and determinism across separately loaded fonts.
use std::path::PathBuf;

use storyloom::render::{
    frame_size, render_frame, render_png, Fonts, FrameCharacter, FrameSpec, RENDERER_VERSION,
};

fn who(id: &str, name: &str) -> FrameCharacter {
    FrameCharacter {
        id: id.into(),
        name: name.into(),
    }
}

/// Shot type, location, time of day, int/ext, cast, caption, description.
type Shot<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Vec<FrameCharacter>,
    Option<&'a str>,
    &'a str,
);

/// A little scene in every framing, in all three aspect ratios.
fn sequence() -> Vec<(String, FrameSpec)> {
    let lin = who("char-lin", "林晓");
    let gu = who("char-gu", "顾辰");
    let mom = who("char-mom", "Mrs. Chen");
    let shots: Vec<Shot> = vec![
        ("extreme_wide", "城市街道", "夜", "exterior", vec![lin.clone()], None, "雨夜，林晓独自走在空荡的街上。"),
        ("wide", "公园", "日", "exterior", vec![lin.clone(), gu.clone()], Some("你怎么会在这里？"), "长椅旁，两人对视。"),
        ("full", "海边", "黄昏", "exterior", vec![lin.clone(), gu.clone(), mom.clone()], Some("We should go home before it gets dark."), "Sunset at the beach."),
        ("medium", "医院病房", "夜", "interior", vec![gu.clone(), lin.clone()], Some("好，那你好好休息，我明天再来看你。"), "顾辰站在床边。"),
        ("medium_close", "咖啡馆", "晨", "interior_exterior", vec![lin.clone()], Some("我等了你整整三年，三年！你知道这三年我是怎么过的吗？每一天，每一夜，我都在想你会不会回来。"), "林晓的眼眶红了。"),
        ("close_up", "公园", "日", "exterior", vec![lin.clone()], Some("……谢谢。"), "林晓的脸。"),
        ("extreme_close_up", "公园", "日", "exterior", vec![gu.clone()], None, "顾辰的眼睛。"),
        ("over_the_shoulder", "办公室", "DAY", "interior", vec![gu.clone(), lin.clone()], Some("Sign it. Now."), "Over Lin's shoulder onto Gu."),
        ("pov", "楼道", "NIGHT", "interior", vec![mom.clone()], Some("Who's there?"), "POV through the door's peephole."),
        ("insert", "办公室", "DAY", "interior", vec![], None, "桌上的合同，签名处还空着。"),
    ];
    let mut out = Vec::new();
    for (aspect, tag) in [
        ("9:16", "portrait"),
        ("16:9", "landscape"),
        ("1:1", "square"),
    ] {
        let (width, height) = frame_size(aspect);
        for (i, (shot, loc, tod, ie, cast, caption, desc)) in shots.iter().enumerate() {
            // Landscape and square runs keep a few shots: enough to check the layout there.
            if tag != "portrait" && i % 3 != 1 {
                continue;
            }
            let spec = FrameSpec {
                width,
                height,
                shot_number: i as u32 + 1,
                scene_number: 1 + i as u32 / 4,
                location: Some(loc.to_string()),
                time_of_day: Some(tod.to_string()),
                int_ext: Some(ie.to_string()),
                shot_type: Some(shot.to_string()),
                characters: cast.clone(),
                caption: caption.map(str::to_string),
                description: desc.to_string(),
                seed: 0,
                feedback: None,
                overlays: true,
            };
            out.push((format!("{tag}-{:02}-{shot}", i + 1), spec));
        }
    }
    out
}

#[test]
fn writes_sample_frames_for_people_to_look_at() {
    let fonts = Fonts::shared().expect("a CJK font (apt-get install fonts-noto-cjk)");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/animatic-samples");
    std::fs::create_dir_all(&dir).unwrap();
    let mut written = 0;
    for (name, spec) in sequence() {
        let bytes = render_png(&spec, &fonts).unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!(
            (decoded.width(), decoded.height()),
            (spec.width, spec.height)
        );
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, &bytes).unwrap();
        assert!(path.is_file());
        written += 1;
    }
    // The regenerated version of a shot after a reviewer's comment, next to the original.
    let (name, mut spec) = sequence().remove(1);
    spec.feedback = Some("两人离得太远，靠近一点".into());
    let bytes = render_png(&spec, &fonts).unwrap();
    std::fs::write(dir.join(format!("{name}-feedback.png")), bytes).unwrap();
    assert_eq!(written, 10 + 3 + 3);
    assert!(!RENDERER_VERSION.is_empty());
}

#[test]
fn separately_loaded_fonts_give_the_same_bytes() {
    let shared = Fonts::shared().unwrap();
    let fresh = Fonts::load().unwrap();
    assert_eq!(shared.path(), fresh.path());
    for (_, spec) in sequence().into_iter().step_by(4) {
        let a = render_png(&spec, &shared).unwrap();
        let b = render_png(&spec, &fresh).unwrap();
        assert_eq!(a, b);
    }
}

#[test]
fn rendering_from_many_threads_is_deterministic() {
    let fonts = Fonts::shared().unwrap();
    let (_, spec) = sequence().remove(3);
    let expected = render_frame(&spec, &fonts).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| render_frame(&spec, &fonts).unwrap()))
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), expected);
        }
    });
}
