//! The offline animatic renderer through its public API (issue 4): a short sequence rendered to
//! `target/animatic-samples/` for people to look at, and determinism across separately loaded fonts.
use std::path::PathBuf;

use sha2::Digest;
use storyloom::render::{
    figures, frame_size, render_frame, render_png, Fonts, FrameCharacter, FrameSpec,
    DISTINCT_LOOKS, RENDERER_VERSION,
};

fn who(id: &str, name: &str) -> FrameCharacter {
    FrameCharacter::new(id, name, None)
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
    let fonts = Fonts::shared(None).expect("a CJK font (apt-get install fonts-noto-cjk)");
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
    let shared = Fonts::shared(None).unwrap();
    let fresh = Fonts::load(None).unwrap();
    assert_eq!(shared.path(), fresh.path());
    for (_, spec) in sequence().into_iter().step_by(4) {
        let a = render_png(&spec, &shared).unwrap();
        let b = render_png(&spec, &fresh).unwrap();
        assert_eq!(a, b);
    }
}

#[test]
fn rendering_from_many_threads_is_deterministic() {
    let fonts = Fonts::shared(None).unwrap();
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

use std::collections::BTreeMap;

/// A UUIDv7 like the ones the server gives characters, fixed per name so the test is repeatable.
fn character_id(project: usize, name: &str) -> String {
    let digest = sha2::Sha256::digest(format!("{project}/{name}").as_bytes());
    let mut random = [0u8; 10];
    random.copy_from_slice(&digest[..10]);
    uuid::Builder::from_unix_timestamp_millis(1_765_000_000_000 + project as u64, &random)
        .into_uuid()
        .to_string()
}

/// Distance between two colours in RGB.
fn distance(a: [u8; 3], b: [u8; 3]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (f32::from(*x) - f32::from(y)).powi(2))
        .sum::<f32>()
        .sqrt()
}

fn pixel_at(img: &image::RgbImage, (x, y): (f32, f32)) -> [u8; 3] {
    img.get_pixel(x as u32, y as u32).0
}

/// Casts of several scripts (2–6 people, Chinese and English names), each character with the
/// slot the server gives it (its rank in the project's cast, `characters::look_slots_in`).
fn casts() -> Vec<Vec<FrameCharacter>> {
    let names: [&[&str]; 5] = [
        &["林晓", "顾辰"],
        &["Anna", "Ben", "Mrs. Chen"],
        &["苏婉", "陆景深", "林薇薇", "管家"],
        &["Detective Hale", "Mara", "Old Tom", "小周", "Rivera"],
        &["夏沫", "江辰", "夏母", "江父", "秘书", "Lily"],
    ];
    names
        .iter()
        .enumerate()
        .map(|(p, cast)| {
            cast.iter()
                .enumerate()
                .map(|(slot, n)| FrameCharacter::new(character_id(p, n), *n, Some(slot as u32)))
                .collect()
        })
        .collect()
}

/// The shots of one cast: everyone wide and full (in two orders), each pair in a medium shot,
/// each one in a close-up.
fn shots_of(cast: &[FrameCharacter]) -> Vec<FrameSpec> {
    let mut shots: Vec<(&str, Vec<FrameCharacter>)> = vec![
        ("wide", cast.to_vec()),
        ("full", cast.iter().rev().cloned().collect()),
    ];
    for pair in cast.windows(2) {
        shots.push(("medium", vec![pair[1].clone(), pair[0].clone()]));
    }
    for c in cast {
        shots.push(("close_up", vec![c.clone()]));
    }
    let places = [("公园", "日"), ("办公室", "夜"), ("Beach", "DUSK")];
    shots
        .into_iter()
        .enumerate()
        .map(|(i, (shot, characters))| {
            let (location, tod) = places[i % places.len()];
            FrameSpec {
                width: 270,
                height: 480,
                shot_number: i as u32 + 1,
                location: Some(location.into()),
                time_of_day: Some(tod.into()),
                shot_type: Some(shot.into()),
                caption: Some(format!("{}：……", characters[0].name)),
                characters,
                ..FrameSpec::default()
            }
        })
        .collect()
}

/// Issue 14: two characters of a script were drawn as the same figure. In every project, each
/// character keeps one look in every shot, and no two characters share clothes colours.
#[test]
fn every_character_of_a_project_has_its_own_look_in_every_shot() {
    let fonts = Fonts::shared(None).unwrap();
    for cast in casts() {
        // Character id → the torso pixels (when the torso is in view) and face pixels seen.
        let mut torsos: BTreeMap<String, Vec<[u8; 3]>> = BTreeMap::new();
        let mut faces: BTreeMap<String, Vec<[u8; 3]>> = BTreeMap::new();
        for spec in shots_of(&cast) {
            let img = render_frame(&spec, &fonts).unwrap();
            let drawn = figures(&spec);
            assert_eq!(drawn.len(), spec.characters.len(), "{spec:?}");
            for f in drawn {
                let who = &spec.characters[f.index];
                let face = pixel_at(&img, f.face_center);
                assert_eq!(face, f.skin, "the face is skin: {spec:?} {f:?}");
                faces.entry(who.id.clone()).or_default().push(face);
                // A close-up's torso is below the frame or under the caption.
                if spec.shot_type.as_deref() != Some("close_up") {
                    let torso = pixel_at(&img, f.torso_center);
                    assert_eq!(torso, f.clothes, "the torso is clothes: {spec:?} {f:?}");
                    torsos.entry(who.id.clone()).or_default().push(torso);
                }
            }
        }
        assert_eq!(torsos.len(), cast.len(), "every character appears");
        for (id, seen) in torsos.iter().chain(&faces) {
            assert!(seen.len() >= 3, "{id} is in several shots");
            assert!(
                seen.iter().all(|p| *p == seen[0]),
                "{id} looks the same in every shot: {seen:?}"
            );
        }
        let names: Vec<&str> = cast.iter().map(|c| c.name.as_str()).collect();
        for (i, a) in cast.iter().enumerate() {
            for b in &cast[i + 1..] {
                let (ca, cb) = (torsos[&a.id][0], torsos[&b.id][0]);
                assert!(
                    distance(ca, cb) >= 60.0,
                    "{} {ca:?} and {} {cb:?} look alike (cast {names:?})",
                    a.name,
                    b.name
                );
            }
        }
    }
}

/// The slot decides the clothes; the id the rest. Up to DISTINCT_LOOKS characters never share a
/// look, whatever their ids.
#[test]
fn slots_give_distinct_clothes_up_to_the_limit() {
    let specs: Vec<FrameSpec> = (0..DISTINCT_LOOKS)
        .map(|slot| FrameSpec {
            width: 270,
            height: 480,
            shot_type: Some("medium".into()),
            characters: vec![FrameCharacter::new("same-id", "X", Some(slot))],
            ..FrameSpec::default()
        })
        .collect();
    let fonts = Fonts::shared(None).unwrap();
    let mut looks = Vec::new();
    for spec in &specs {
        let f = &figures(spec)[0];
        let img = render_frame(spec, &fonts).unwrap();
        assert_eq!(pixel_at(&img, f.torso_center), f.clothes);
        // The sleeves tell apart slots 12 apart.
        assert_eq!(pixel_at(&img, f.sleeve_center), f.sleeves);
        looks.push((f.clothes, f.sleeves));
    }
    for (i, a) in looks.iter().enumerate() {
        for (j, b) in looks.iter().enumerate().skip(i + 1) {
            assert_ne!(a, b, "slots {i} and {j} look alike");
        }
    }
}
