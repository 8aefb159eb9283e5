//! What is in a frame and where: parsing the spec's loose strings, the layout (pure numbers, tested
//! directly), and painting it in back-to-front order.
use ab_glyph::FontVec;

use super::{
    canvas::{hsv, Canvas, Rgb, Shape},
    rng::{hash64, Rng},
    text, FrameCharacter, FrameSpec,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tod {
    Day,
    Morning,
    Dusk,
    Night,
}

/// Chinese and English time-of-day words; unknown or absent means day.
pub(crate) fn parse_tod(s: Option<&str>) -> Tod {
    let Some(s) = s else { return Tod::Day };
    let l = s.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| l.contains(w));
    // Order matters: 傍晚 contains 晚, 日落 contains 日.
    if has(&[
        "黄昏", "傍晚", "日落", "dusk", "evening", "sunset", "twilight",
    ]) {
        Tod::Dusk
    } else if has(&["黎明", "晨", "早", "日出", "dawn", "morning", "sunrise"]) {
        Tod::Morning
    } else if has(&["夜", "晚", "night"]) {
        Tod::Night
    } else {
        Tod::Day
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Setting {
    Interior,
    Exterior,
    /// Inside, with a large opening onto the outside.
    Both,
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase().replace(['-', ' ', '.', '/'], "_")
}

pub(crate) fn parse_setting(int_ext: Option<&str>, location: &str) -> Setting {
    match int_ext.map(norm).as_deref() {
        Some("interior" | "int" | "内" | "室内") => return Setting::Interior,
        Some("exterior" | "ext" | "外" | "室外") => return Setting::Exterior,
        Some("interior_exterior" | "int_ext" | "i_e" | "内外" | "内_外") => {
            return Setting::Both
        }
        _ => {}
    }
    // No marker: guess from the place name.
    let l = location.to_lowercase();
    const INSIDE: &[&str] = &[
        "室",
        "房",
        "厅",
        "屋",
        "办公",
        "病",
        "店",
        "馆",
        "教室",
        "卧",
        "厨",
        "车内",
        "家",
        "room",
        "office",
        "house",
        "apartment",
        "hospital",
        "shop",
        "store",
        "bar",
        "kitchen",
        "hall",
    ];
    if INSIDE.iter().any(|w| l.contains(w)) {
        Setting::Interior
    } else {
        Setting::Exterior
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Biome {
    City,
    Park,
    Water,
    Open,
}

fn biome(location: &str) -> Biome {
    let l = location.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| l.contains(w));
    if has(&[
        "海", "湖", "河", "江", "港", "beach", "sea", "lake", "river", "harbo", "shore",
    ]) {
        Biome::Water
    } else if has(&[
        "公园", "园", "林", "山", "树", "田", "park", "forest", "garden", "wood", "field",
    ]) {
        Biome::Park
    } else if has(&[
        "街", "路", "城", "市", "楼", "门口", "广场", "站", "street", "road", "city", "town",
        "plaza", "alley", "station",
    ]) {
        Biome::City
    } else {
        [Biome::City, Biome::Park, Biome::Open]
            [(hash64("biome", &[location.as_bytes()]) % 3) as usize]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    ExtremeWide,
    Wide,
    Full,
    Medium,
    MediumClose,
    CloseUp,
    ExtremeCloseUp,
    OverShoulder,
    Pov,
    Insert,
}

impl Kind {
    fn abbr(self) -> &'static str {
        match self {
            Kind::ExtremeWide => "EWS",
            Kind::Wide => "WS",
            Kind::Full => "FS",
            Kind::Medium => "MS",
            Kind::MediumClose => "MCU",
            Kind::CloseUp => "CU",
            Kind::ExtremeCloseUp => "ECU",
            Kind::OverShoulder => "OTS",
            Kind::Pov => "POV",
            Kind::Insert => "INS",
        }
    }
}

/// The storyboard's shot types (plus common abbreviations and Chinese names); absent or unknown
/// picks by cast size.
pub(crate) fn parse_kind(s: Option<&str>, cast: usize) -> Kind {
    match s.map(norm).as_deref() {
        Some("extreme_wide" | "ews" | "els" | "大远景") => Kind::ExtremeWide,
        Some("wide" | "ws" | "ls" | "long" | "远景") => Kind::Wide,
        Some("full" | "fs" | "全景") => Kind::Full,
        Some("medium" | "ms" | "中景") => Kind::Medium,
        Some("medium_close" | "medium_close_up" | "mcu" | "近景") => Kind::MediumClose,
        Some("close_up" | "closeup" | "cu" | "特写") => Kind::CloseUp,
        Some("extreme_close_up" | "ecu" | "大特写") => Kind::ExtremeCloseUp,
        Some("over_the_shoulder" | "ots" | "过肩") => Kind::OverShoulder,
        Some("pov" | "主观") => Kind::Pov,
        Some("insert" | "ins" | "插入") => Kind::Insert,
        _ => match cast {
            0 => Kind::Wide,
            1 | 2 => Kind::Medium,
            _ => Kind::Full,
        },
    }
}

/// A character's look: the clothes from its slot in the project's cast (so no two characters of a
/// project share them), everything else from a hash of its id. The same in every shot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct CharLook {
    pub clothes: Rgb,
    pub sleeves: Rgb,
    pub trousers: Rgb,
    pub skin: Rgb,
    pub hair: Rgb,
    pub hair_style: u32,
    pub height: f32,
    pub build: f32,
    pub head: f32,
}

/// Clothes colours far apart from each other (every pair at least 90 apart in RGB), in the order
/// slots take them: the first few are the most distinct.
pub(crate) const CLOTHES: [Rgb; 12] = [
    Rgb(200, 36, 56),   // red
    Rgb(46, 104, 214),  // blue
    Rgb(236, 196, 40),  // yellow
    Rgb(40, 150, 60),   // green
    Rgb(140, 66, 190),  // purple
    Rgb(246, 246, 240), // white
    Rgb(244, 110, 10),  // orange
    Rgb(10, 176, 170),  // teal
    Rgb(232, 110, 178), // pink
    Rgb(110, 24, 60),   // maroon
    Rgb(140, 220, 110), // lime
    Rgb(130, 180, 244), // sky
];

/// Sleeve styles that tell apart two characters of the same clothes colour (slots 12 apart).
const SLEEVE_STYLES: u32 = 3;

/// Characters of one project with guaranteed distinct looks.
pub(crate) const DISTINCT_LOOKS: u32 = CLOTHES.len() as u32 * SLEEVE_STYLES;

pub(crate) fn char_look(c: &FrameCharacter) -> CharLook {
    const TROUSERS: [Rgb; 6] = [
        Rgb(52, 58, 80),
        Rgb(70, 62, 56),
        Rgb(40, 40, 46),
        Rgb(96, 92, 84),
        Rgb(60, 78, 100),
        Rgb(88, 60, 60),
    ];
    const SKIN: [Rgb; 6] = [
        Rgb(255, 224, 196),
        Rgb(241, 200, 164),
        Rgb(224, 178, 140),
        Rgb(198, 146, 108),
        Rgb(160, 112, 80),
        Rgb(236, 206, 180),
    ];
    const HAIR: [Rgb; 6] = [
        Rgb(30, 26, 26),
        Rgb(64, 44, 32),
        Rgb(110, 76, 46),
        Rgb(20, 20, 28),
        Rgb(150, 120, 80),
        Rgb(96, 96, 104),
    ];
    let mut r = Rng::from_parts("character", &[c.id.as_bytes()]);
    // Drawn before the other choices so a slot does not shift them.
    let hashed = hsv(r.range(0.0, 360.0), r.range(0.45, 0.78), r.range(0.66, 0.9));
    let (clothes, sleeves) = match c.slot.filter(|s| *s < DISTINCT_LOOKS) {
        Some(slot) => {
            let clothes = CLOTHES[(slot % CLOTHES.len() as u32) as usize];
            let sleeves = match slot / CLOTHES.len() as u32 {
                0 => clothes.scale(0.8),
                1 => Rgb(246, 246, 240).mix(clothes, 0.15),
                _ => Rgb(36, 36, 42),
            };
            (clothes, sleeves)
        }
        // No slot (or more characters than looks): a hashed colour, which may be near another's.
        None => (hashed, hashed.scale(0.8)),
    };
    CharLook {
        clothes,
        sleeves,
        trousers: TROUSERS[r.below(6) as usize],
        skin: SKIN[r.below(6) as usize],
        hair: HAIR[r.below(6) as usize],
        hair_style: r.below(3),
        height: r.range(0.9, 1.05),
        build: r.range(0.86, 1.14),
        head: r.range(0.92, 1.08),
    }
}

/// Framing variation from the seed and the reviewer's feedback; neutral when neither is given.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Camera {
    /// Horizontal shift, a fraction of the width.
    pub pan: f32,
    pub zoom: f32,
    /// Vertical shift, a fraction of the height.
    pub tilt: f32,
    /// A short mark naming the feedback revision, drawn in a corner.
    pub tag: Option<String>,
}

fn feedback(spec: &FrameSpec) -> Option<&str> {
    spec.feedback
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

pub(crate) fn camera(spec: &FrameSpec) -> Camera {
    let fb = feedback(spec);
    if spec.seed == 0 && fb.is_none() {
        return Camera {
            pan: 0.0,
            zoom: 1.0,
            tilt: 0.0,
            tag: None,
        };
    }
    let mut r = Rng::from_parts(
        "camera",
        &[
            &spec.seed.to_le_bytes(),
            &[u8::from(fb.is_some())],
            fb.unwrap_or_default().as_bytes(),
        ],
    );
    // At least 3% of the width, so a regenerated frame visibly moves.
    let sign = if r.chance(0.5) { 1.0 } else { -1.0 };
    Camera {
        pan: sign * r.range(0.03, 0.08),
        zoom: r.range(0.9, 1.1),
        tilt: r.range(-0.03, 0.03),
        // The reviewer's note itself, so a redraw visibly answers it (docs/API-WORKFLOWS.md, "The reject loop").
        tag: fb.map(feedback_note),
    }
}

/// "Note: …", cut to a length that fits a corner pill on the narrowest frame.
fn feedback_note(feedback: &str) -> String {
    const MAX_CHARS: usize = 28;
    let mut note: String = feedback.chars().take(MAX_CHARS).collect();
    if feedback.chars().count() > MAX_CHARS {
        note.push('…');
    }
    format!("Note: {note}")
}

/// One drawn character: `top` is the top of the head, `hf` the full height (feet at `top + hf`).
#[derive(Clone, Debug)]
pub(crate) struct Figure {
    pub index: usize,
    pub cx: f32,
    pub top: f32,
    pub hf: f32,
    pub look: CharLook,
}

impl Figure {
    fn head_r(&self) -> f32 {
        0.085 * self.hf * self.look.head
    }

    fn torso(&self) -> (f32, f32, f32) {
        let top = self.top + 2.0 * self.head_r() + 0.015 * self.hf;
        let hip = self.top + 0.56 * self.hf;
        (top, hip, 0.30 * self.hf * self.look.build)
    }

    /// The middle of the torso: always clothes-coloured when the figure is in view.
    pub(crate) fn torso_center(&self) -> (f32, f32) {
        let (top, hip, _) = self.torso();
        (self.cx, (top + hip) / 2.0)
    }

    fn arm(&self) -> (f32, f32) {
        (0.075 * self.hf * self.look.build, self.top + 0.53 * self.hf)
    }

    /// The middle of the right arm's sleeve.
    pub(crate) fn sleeve_center(&self) -> (f32, f32) {
        let (torso_top, _, sw) = self.torso();
        let (arm_w, arm_bottom) = self.arm();
        (
            self.cx + sw / 2.0 + arm_w * 0.2,
            (torso_top + 0.01 * self.hf + arm_bottom) / 2.0,
        )
    }

    /// The middle of the face, between the eyes and the mouth: skin-coloured.
    pub(crate) fn face_center(&self) -> (f32, f32) {
        (self.cx, self.top + self.head_r() * 1.35)
    }

    fn feet(&self) -> f32 {
        self.top + self.hf
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub w: f32,
    pub h: f32,
    pub u: f32,
    pub kind: Kind,
    pub tod: Tod,
    pub setting: Setting,
    pub biome: Biome,
    pub cam: Camera,
    /// Where the sky meets the ground (exterior), at the eye line of the figures.
    pub horizon: f32,
    /// Where the wall meets the floor (interior).
    pub floor_y: f32,
    /// The reference figure height: props scale with it.
    pub base_hf: f32,
    pub figures: Vec<Figure>,
    /// Characters in the shot but not drawn (a "+N" chip).
    pub hidden: usize,
    /// Over-the-shoulder: the foreground character's look (`None` = anonymous).
    pub shoulder: Option<Option<CharLook>>,
}

pub(crate) fn layout(spec: &FrameSpec) -> Layout {
    let (w, h) = (spec.width as f32, spec.height as f32);
    let u = w.min(h);
    let cast = spec.characters.len();
    let kind = parse_kind(spec.shot_type.as_deref(), cast);
    let location = spec.location.as_deref().unwrap_or_default();
    let cam = camera(spec);
    let (pan, tilt) = (cam.pan * w, cam.tilt * h);
    let mut figures = Vec::new();
    let (horizon, floor_y, base_hf, hidden);
    let mut shoulder = None;
    match kind {
        Kind::CloseUp | Kind::ExtremeCloseUp => {
            let (r, cy) = if kind == Kind::CloseUp {
                (0.28 * u, 0.42 * h)
            } else {
                (0.62 * u, 0.45 * h)
            };
            let (r, cy) = (r * cam.zoom, cy + tilt);
            if let Some(c) = spec.characters.first() {
                let look = char_look(c);
                figures.push(Figure {
                    index: 0,
                    cx: w / 2.0 + pan,
                    top: cy - r,
                    hf: r / (0.085 * look.head),
                    look,
                });
            }
            base_hf = r / 0.085;
            horizon = cy.clamp(0.2 * h, 0.75 * h);
            floor_y = cy - r + base_hf * 0.8;
            hidden = cast.saturating_sub(1);
        }
        Kind::Insert => {
            base_hf = 0.32 * h;
            horizon = 0.55 * h + tilt;
            floor_y = 0.72 * h + tilt;
            hidden = 0;
        }
        _ => {
            // (figure height, feet line) as fractions of the frame height, and how many fit.
            let (fig, feet_line, max_shown) = match kind {
                Kind::ExtremeWide => (0.15, 0.80, 8),
                Kind::Wide => (0.32, 0.82, 6),
                Kind::Full => (0.62, 0.90, 6),
                Kind::MediumClose => (1.60, 1.82, 3),
                Kind::Pov => (0.70, 0.98, 4),
                Kind::OverShoulder => (1.0, 1.24, 1),
                _ => (1.10, 1.34, 4),
            };
            let shown = cast.min(max_shown);
            hidden = if kind == Kind::OverShoulder {
                cast.saturating_sub(2)
            } else {
                cast - shown
            };
            let (x0, span) = if kind == Kind::OverShoulder {
                (0.40 * w, 0.6 * w)
            } else {
                (0.04 * w, 0.92 * w)
            };
            let slot = span / shown.max(1) as f32;
            let target = fig * h * cam.zoom;
            // Too many people for the width: smaller figures, heads kept at the same line.
            // Closer shots let neighbours overlap, as real two-shots do; wider ones keep them apart.
            let min_width = match kind {
                Kind::Medium | Kind::MediumClose | Kind::OverShoulder => 0.28,
                _ => 0.42,
            };
            base_hf = target.min(slot * 0.95 / min_width).max(1.0);
            let feet = (feet_line - fig) * h + tilt + base_hf;
            for (i, c) in spec.characters.iter().take(shown).enumerate() {
                let look = char_look(c);
                let hf = base_hf * look.height;
                figures.push(Figure {
                    index: i,
                    cx: x0 + slot * (i as f32 + 0.5) + pan,
                    top: feet - hf,
                    hf,
                    look,
                });
            }
            horizon = (feet - base_hf * 0.9).clamp(0.22 * h, 0.72 * h);
            floor_y = (feet - 0.2 * base_hf).max(horizon + 0.04 * h);
            if kind == Kind::OverShoulder {
                shoulder = Some(spec.characters.get(1).map(char_look));
            }
        }
    }
    Layout {
        w,
        h,
        u,
        kind,
        tod: parse_tod(spec.time_of_day.as_deref()),
        setting: parse_setting(spec.int_ext.as_deref(), location),
        biome: biome(location),
        cam,
        horizon,
        floor_y,
        base_hf,
        figures,
        hidden,
        shoulder,
    }
}

fn sky(tod: Tod) -> (Rgb, Rgb) {
    match tod {
        Tod::Day => (Rgb(96, 160, 226), Rgb(196, 224, 246)),
        Tod::Morning => (Rgb(140, 172, 220), Rgb(252, 214, 170)),
        Tod::Dusk => (Rgb(58, 48, 108), Rgb(248, 138, 72)),
        Tod::Night => (Rgb(6, 10, 32), Rgb(28, 38, 82)),
    }
}

/// The world's colours under the time of day's light (figures are not lit: they stay recognisable).
fn lit(tod: Tod, c: Rgb) -> Rgb {
    match tod {
        Tod::Day => c,
        Tod::Morning => c.scale(0.95).mix(Rgb(255, 220, 180), 0.08),
        Tod::Dusk => c.scale(0.78).mix(Rgb(255, 140, 60), 0.18),
        Tod::Night => c.scale(0.42).mix(Rgb(30, 40, 90), 0.25),
    }
}

const INK: Rgb = Rgb(28, 24, 30);
const WHITE: Rgb = Rgb(255, 255, 255);

/// Paints the whole frame.
pub(crate) fn paint(spec: &FrameSpec, font: &FontVec) -> Canvas {
    let lay = layout(spec);
    let location = spec.location.as_deref().unwrap_or_default();
    let mut cv = Canvas::new(spec.width, spec.height, Rgb(0, 0, 0));
    match lay.setting {
        Setting::Exterior => paint_exterior(&mut cv, &lay, location),
        Setting::Interior | Setting::Both => paint_interior(&mut cv, &lay, location),
    }
    if lay.kind == Kind::Insert {
        cv.darken(0.55);
    }
    for f in &lay.figures {
        if f.feet() < lay.h * 1.02 {
            // A contact shadow grounds standing figures.
            let rx = 0.2 * f.hf * f.look.build;
            cv.fill(
                Shape::ellipse(f.cx, f.feet(), rx, 0.025 * f.hf),
                Rgb(0, 0, 0),
                0.25,
            );
        }
    }
    for f in &lay.figures {
        paint_figure(&mut cv, f);
    }
    if let Some(sh) = lay.shoulder {
        paint_shoulder(&mut cv, &lay, sh);
    }
    if lay.kind == Kind::Pov {
        cv.vignette(0.85);
    }
    if spec.overlays {
        safe_area_marks(&mut cv, &lay);
    }
    let bar_top = caption_bar(&mut cv, &lay, spec, font);
    if lay.kind == Kind::Insert {
        insert_card(&mut cv, &lay, spec, font, bar_top);
    }
    // The review's working marks; a finished video's frame is the picture alone (issue 14).
    if spec.overlays {
        name_labels(&mut cv, &lay, spec, font, bar_top);
        top_overlay(&mut cv, &lay, spec, font);
    }
    cv
}

fn paint_exterior(cv: &mut Canvas, lay: &Layout, location: &str) {
    let (w, h, u, tod) = (lay.w, lay.h, lay.u, lay.tod);
    let horizon = lay.horizon;
    let (top, bottom) = sky(tod);
    cv.vgradient(0.0, horizon, top, bottom);
    let sky_at = |y: f32| top.mix(bottom, y / horizon.max(1.0));
    // Background layers move half as much as the figures when the camera pans (parallax).
    let par = lay.cam.pan * w * 0.5;
    let s = (lay.base_hf / h).clamp(0.25, 1.6);

    // Separate streams for sky and props, so the place looks the same at any time of day.
    let mut sr = Rng::from_parts("sky", &[location.as_bytes()]);
    let sun_x = w * sr.range(0.12, 0.88) + par;
    match tod {
        Tod::Night => {
            for _ in 0..60 {
                let (x, y) = (sr.unit() * w, sr.unit() * horizon * 0.9);
                let r = u * 0.0025 * sr.range(0.6, 1.4);
                let a = sr.range(0.4, 0.9);
                cv.fill(Shape::circle(x, y, r.max(0.6)), Rgb(255, 255, 240), a);
            }
            let (my, mr) = (horizon * 0.25, u * 0.05);
            cv.fill(Shape::circle(sun_x, my, mr), Rgb(238, 236, 220), 1.0);
            cv.fill(
                Shape::circle(sun_x + mr * 0.45, my - mr * 0.2, mr * 0.9),
                sky_at(my),
                1.0,
            );
        }
        Tod::Day | Tod::Morning | Tod::Dusk => {
            let (cy, r, col, halo) = match tod {
                Tod::Day => (horizon * 0.22, u * 0.05, Rgb(255, 246, 206), 0.22),
                Tod::Morning => (horizon * 0.8, u * 0.06, Rgb(255, 228, 176), 0.25),
                _ => (horizon - u * 0.01, u * 0.09, Rgb(255, 150, 72), 0.3),
            };
            cv.fill(Shape::circle(sun_x, cy, r * 1.7), col, halo);
            cv.fill(Shape::circle(sun_x, cy, r), col, 1.0);
            if tod != Tod::Dusk {
                for _ in 0..3 {
                    let (cx, cy) = (w * sr.range(-0.1, 1.1) + par, horizon * sr.range(0.12, 0.6));
                    let cw = u * sr.range(0.08, 0.16);
                    for k in 0..3 {
                        let k = k as f32;
                        cv.fill(
                            Shape::ellipse(
                                cx + (k - 1.0) * cw * 0.7,
                                cy - (k % 2.0) * cw * 0.2,
                                cw * 0.7,
                                cw * 0.38,
                            ),
                            Rgb(255, 255, 255),
                            0.85,
                        );
                    }
                }
            }
        }
    }

    let mut r = Rng::from_parts("props", &[location.as_bytes()]);
    let hue = r.range(0.0, 360.0);
    match lay.biome {
        Biome::City => {
            let base_col = hsv(hue, 0.15, 0.55);
            let mut x = -0.2 * w + par;
            while x < 1.2 * w + par {
                let bw = w * r.range(0.07, 0.16);
                let bh = h * r.range(0.06, 0.26) * s;
                let col = lit(tod, base_col.scale(r.range(0.7, 1.1))).mix(bottom, 0.3);
                cv.fill_rect(x, horizon - bh, x + bw, horizon + 1.0, col, 1.0);
                let ww = (bw * 0.14).max(1.0);
                let rows = ((bh * 0.85) / (ww * 2.2)).clamp(0.0, 24.0) as usize;
                for row in 0..rows {
                    for col_i in 0..3 {
                        let on = r.chance(0.4);
                        let wx = x + bw * (0.16 + 0.28 * col_i as f32);
                        let wy = horizon - bh + ww * (1.0 + 2.2 * row as f32);
                        let (wc, a) = match (tod, on) {
                            (Tod::Night, true) => (Rgb(255, 216, 120), 0.95),
                            (Tod::Night, false) => (Rgb(10, 12, 20), 0.5),
                            _ => (bottom, 0.45),
                        };
                        cv.fill_rect(wx, wy, wx + ww, wy + ww * 1.3, wc, a);
                    }
                }
                x += bw * r.range(0.85, 1.1);
            }
        }
        Biome::Park => {
            let green = lit(tod, hsv(100.0 + hue / 12.0, 0.45, 0.42)).mix(bottom, 0.2);
            for i in 0..16 {
                let x = w * (-0.1 + 1.2 * i as f32 / 15.0) + par + u * r.range(-0.03, 0.03);
                let rad = u * r.range(0.05, 0.09) * s;
                cv.fill(Shape::circle(x, horizon - rad * 0.3, rad), green, 1.0);
            }
        }
        Biome::Open => {
            for _ in 0..3 {
                let col =
                    lit(tod, hsv(60.0 + hue / 6.0, 0.3, r.range(0.45, 0.65))).mix(bottom, 0.35);
                let (cx, rx, ry) = (
                    w * r.range(0.0, 1.0) + par,
                    w * r.range(0.3, 0.55),
                    h * r.range(0.05, 0.12) * s,
                );
                cv.fill(Shape::ellipse(cx, horizon + 1.0, rx, ry), col, 1.0);
            }
        }
        Biome::Water => {}
    }

    // The ground, hazier towards the horizon.
    let (far, near) = match lay.biome {
        Biome::City => (Rgb(150, 146, 140), Rgb(104, 100, 96)),
        Biome::Park => (Rgb(124, 172, 92), Rgb(72, 122, 56)),
        Biome::Water => (Rgb(226, 206, 160), Rgb(200, 176, 128)),
        Biome::Open => (Rgb(176, 160, 110), Rgb(128, 114, 76)),
    };
    cv.vgradient(horizon, h, lit(tod, far).mix(bottom, 0.25), lit(tod, near));
    if lay.biome == Biome::Water {
        let sea_end = horizon + (h - horizon) * 0.35;
        cv.gradient_rect(
            0.0,
            horizon,
            w,
            sea_end,
            lit(tod, Rgb(64, 122, 176)),
            lit(tod, Rgb(40, 92, 150)),
        );
        for _ in 0..10 {
            let y = r.range(horizon, sea_end);
            let x = w * r.range(-0.1, 1.0) + par;
            cv.fill_rect(
                x,
                y,
                x + w * r.range(0.05, 0.2),
                y + (u * 0.004).max(1.0),
                Rgb(255, 255, 255),
                0.3,
            );
        }
    }
    // A few props standing on the ground, nearer than the horizon.
    for _ in 0..3 {
        let x = w * r.range(0.0, 1.0) + par;
        let y = horizon + (h - horizon) * r.range(0.05, 0.25);
        let k = u * 0.1 * s;
        match lay.biome {
            Biome::Park => {
                cv.fill_rect(
                    x - k * 0.08,
                    y - k * 1.2,
                    x + k * 0.08,
                    y,
                    lit(tod, Rgb(92, 64, 40)),
                    1.0,
                );
                let leaf = lit(tod, hsv(95.0 + hue / 10.0, 0.5, 0.5));
                cv.fill(Shape::circle(x, y - k * 1.4, k * 0.6), leaf, 1.0);
            }
            Biome::City => {
                let pole = lit(tod, Rgb(60, 62, 70));
                cv.fill_rect(x - k * 0.03, y - k * 1.8, x + k * 0.03, y, pole, 1.0);
                let (lamp, a) = if tod == Tod::Night {
                    (Rgb(255, 224, 150), 1.0)
                } else {
                    (Rgb(220, 220, 210), 0.9)
                };
                if tod == Tod::Night {
                    cv.fill(Shape::circle(x, y - k * 1.8, k * 0.5), lamp, 0.18);
                }
                cv.fill(Shape::circle(x, y - k * 1.8, k * 0.12), lamp, a);
            }
            Biome::Open | Biome::Water => {
                let rock = lit(tod, hsv(30.0, 0.15, r.range(0.4, 0.6)));
                cv.fill(Shape::ellipse(x, y, k * 0.4, k * 0.2), rock, 1.0);
            }
        }
    }
}

fn paint_interior(cv: &mut Canvas, lay: &Layout, location: &str) {
    const WALLS: [Rgb; 6] = [
        Rgb(226, 214, 196),
        Rgb(206, 222, 214),
        Rgb(214, 206, 226),
        Rgb(236, 226, 206),
        Rgb(200, 210, 222),
        Rgb(228, 204, 196),
    ];
    const FLOORS: [Rgb; 5] = [
        Rgb(150, 106, 70),
        Rgb(176, 138, 96),
        Rgb(190, 190, 186),
        Rgb(120, 96, 80),
        Rgb(160, 160, 168),
    ];
    let (w, h, u, tod) = (lay.w, lay.h, lay.u, lay.tod);
    let par = lay.cam.pan * w * 0.5;
    let mut r = Rng::from_parts("room", &[location.as_bytes()]);
    let wall = WALLS[r.below(6) as usize];
    let floor = FLOORS[r.below(5) as usize];
    let accent = hsv(r.range(0.0, 360.0), 0.4, 0.6);
    let floor_y = lay.floor_y;
    cv.vgradient(0.0, floor_y, lit(tod, wall.scale(0.88)), lit(tod, wall));

    // A window on one side, a door on the other.
    let window_left = r.chance(0.5);
    let big = lay.setting == Setting::Both;
    let win_w = w * if big { 0.5 } else { r.range(0.2, 0.3) };
    let wx = if window_left {
        w * r.range(0.04, 0.18)
    } else {
        w * r.range(0.55, 0.72)
    } + par;
    let wy0 = floor_y.min(h) * 0.16;
    let wy1 = if big {
        floor_y - (h * 0.01)
    } else {
        floor_y.min(h) * r.range(0.55, 0.68)
    };
    let fr = (u * 0.012).max(1.0);
    let frame = lit(tod, Rgb(245, 242, 236));
    cv.fill_rect(wx - fr, wy0 - fr, wx + win_w + fr, wy1 + fr, frame, 1.0);
    let (st, sb) = sky(tod);
    cv.gradient_rect(wx, wy0, wx + win_w, wy1, st, sb);
    if tod == Tod::Night {
        cv.fill(
            Shape::circle(wx + win_w * 0.7, wy0 + (wy1 - wy0) * 0.25, u * 0.025),
            Rgb(238, 236, 220),
            1.0,
        );
    } else {
        // Distant rooftops through the glass.
        let roof = lit(tod, Rgb(150, 160, 176));
        for i in 0..4 {
            let bx = wx + win_w * (i as f32 * 0.26);
            let bh = (wy1 - wy0) * r.range(0.15, 0.4);
            cv.fill_rect(bx, wy1 - bh, bx + win_w * 0.22, wy1, roof, 1.0);
        }
    }
    cv.fill_rect(
        wx + win_w / 2.0 - fr / 2.0,
        wy0,
        wx + win_w / 2.0 + fr / 2.0,
        wy1,
        frame,
        1.0,
    );
    cv.fill_rect(
        wx,
        (wy0 + wy1) / 2.0 - fr / 2.0,
        wx + win_w,
        (wy0 + wy1) / 2.0 + fr / 2.0,
        frame,
        1.0,
    );

    let door_h = (lay.base_hf * 1.15).min(floor_y * 0.9);
    let door_w = door_h * 0.42;
    let dx = if window_left {
        w * r.range(0.6, 0.78)
    } else {
        w * r.range(0.06, 0.22)
    } + par;
    let door = lit(tod, Rgb(130, 92, 62).mix(accent, 0.2));
    cv.fill_rect(
        dx - fr,
        floor_y - door_h - fr,
        dx + door_w + fr,
        floor_y,
        lit(tod, wall.scale(0.7)),
        1.0,
    );
    cv.fill_rect(dx, floor_y - door_h, dx + door_w, floor_y, door, 1.0);
    cv.fill(
        Shape::circle(
            dx + door_w * 0.82,
            floor_y - door_h * 0.48,
            (door_w * 0.05).max(1.0),
        ),
        lit(tod, Rgb(220, 190, 90)),
        1.0,
    );
    // A picture on the wall, above the door's side.
    let (px, py, pw) = (
        if window_left {
            dx - u * r.range(0.2, 0.3)
        } else {
            dx + door_w * r.range(1.2, 1.6)
        },
        floor_y.min(h) * r.range(0.2, 0.32),
        u * 0.12,
    );
    // Not over the window.
    if px + pw < wx - fr || px > wx + win_w + fr {
        cv.fill_rect(
            px,
            py,
            px + pw,
            py + pw * 0.75,
            lit(tod, Rgb(60, 48, 40)),
            1.0,
        );
        cv.fill_rect(
            px + pw * 0.08,
            py + pw * 0.06,
            px + pw * 0.92,
            py + pw * 0.69,
            lit(tod, accent.mix(WHITE, 0.3)),
            1.0,
        );
    }

    cv.vgradient(floor_y, h, lit(tod, floor.scale(0.85)), lit(tod, floor));
    cv.fill_rect(
        0.0,
        floor_y - (h * 0.008).max(1.0),
        w,
        floor_y,
        lit(tod, wall.scale(0.7)),
        1.0,
    );
    // A sofa or table behind the figures.
    let fw = w * r.range(0.25, 0.4);
    let fx = w * r.range(0.1, 0.9) - fw / 2.0 + par;
    let fh = lay.base_hf * 0.3;
    let furniture = lit(tod, accent.scale(0.8));
    if r.chance(0.5) {
        cv.fill(
            Shape::rrect(
                fx,
                floor_y - fh * 1.4,
                fx + fw,
                floor_y - fh * 0.5,
                fh * 0.2,
            ),
            furniture.scale(0.85),
            1.0,
        );
        cv.fill(
            Shape::rrect(
                fx - fw * 0.04,
                floor_y - fh * 0.8,
                fx + fw * 1.04,
                floor_y - fh * 0.1,
                fh * 0.2,
            ),
            furniture,
            1.0,
        );
    } else {
        cv.fill_rect(
            fx,
            floor_y - fh * 1.2,
            fx + fw,
            floor_y - fh * 1.05,
            furniture,
            1.0,
        );
        cv.fill_rect(
            fx + fw * 0.06,
            floor_y - fh * 1.05,
            fx + fw * 0.1,
            floor_y - fh * 0.1,
            furniture.scale(0.8),
            1.0,
        );
        cv.fill_rect(
            fx + fw * 0.9,
            floor_y - fh * 1.05,
            fx + fw * 0.94,
            floor_y - fh * 0.1,
            furniture.scale(0.8),
            1.0,
        );
    }
    if tod == Tod::Night {
        // A warm lamp glow: the room is lived in at night.
        let (lx, ly) = (w * r.range(0.3, 0.7) + par, floor_y.min(h) * 0.05);
        for (k, a) in [(0.3, 0.05), (0.2, 0.07), (0.11, 0.1)] {
            cv.fill(Shape::circle(lx, ly, u * k), Rgb(255, 210, 140), a);
        }
        cv.fill(Shape::circle(lx, ly, u * 0.03), Rgb(255, 236, 190), 1.0);
    }
}

fn paint_figure(cv: &mut Canvas, f: &Figure) {
    let (cx, top, hf, l) = (f.cx, f.top, f.hf, &f.look);
    let r = f.head_r();
    let head_cy = top + r;
    let (torso_top, hip, sw) = f.torso();
    let (arm_w, arm_bottom) = f.arm();
    let leg_w = 0.11 * hf * l.build;
    let gap = 0.02 * hf;
    for side in [-1.0f32, 1.0] {
        let lx = cx + side * (gap / 2.0 + leg_w / 2.0);
        cv.fill(
            Shape::rrect(
                lx - leg_w / 2.0,
                hip - 0.04 * hf,
                lx + leg_w / 2.0,
                top + 0.96 * hf,
                leg_w * 0.3,
            ),
            l.trousers,
            1.0,
        );
        cv.fill(
            Shape::ellipse(
                lx + side * leg_w * 0.1,
                top + 0.965 * hf,
                leg_w * 0.62,
                0.022 * hf,
            ),
            Rgb(34, 30, 30),
            1.0,
        );
    }
    if l.hair_style == 1 {
        // Long hair falls behind the shoulders.
        cv.fill(
            Shape::rrect(
                cx - 1.05 * r,
                head_cy - 0.2 * r,
                cx + 1.05 * r,
                head_cy + 1.9 * r,
                0.5 * r,
            ),
            l.hair,
            1.0,
        );
    }
    for side in [-1.0f32, 1.0] {
        let ax = cx + side * (sw / 2.0 + arm_w * 0.2);
        cv.fill(
            Shape::rrect(
                ax - arm_w / 2.0,
                torso_top + 0.01 * hf,
                ax + arm_w / 2.0,
                arm_bottom,
                arm_w / 2.0,
            ),
            l.sleeves,
            1.0,
        );
        cv.fill(Shape::circle(ax, arm_bottom, arm_w * 0.55), l.skin, 1.0);
    }
    cv.fill(
        Shape::rrect(cx - sw / 2.0, torso_top, cx + sw / 2.0, hip, sw * 0.28),
        l.clothes,
        1.0,
    );
    cv.fill(
        Shape::rrect(
            cx - 0.35 * r,
            head_cy + 0.6 * r,
            cx + 0.35 * r,
            torso_top + 0.02 * hf,
            0.0,
        ),
        l.skin,
        1.0,
    );
    if l.hair_style == 2 {
        cv.fill(Shape::circle(cx, top - 0.1 * r, 0.42 * r), l.hair, 1.0);
    }
    cv.fill(Shape::circle(cx, head_cy - 0.08 * r, 1.04 * r), l.hair, 1.0);
    cv.fill(
        Shape::ellipse(cx, head_cy + 0.1 * r, 0.9 * r, 0.88 * r),
        l.skin,
        1.0,
    );
    if r > 5.0 {
        for side in [-1.0f32, 1.0] {
            cv.fill(
                Shape::circle(cx + side * 0.33 * r, head_cy + 0.14 * r, 0.085 * r),
                INK,
                1.0,
            );
        }
    }
    if r > 18.0 {
        let my = head_cy + 0.5 * r;
        cv.fill(
            Shape::rrect(cx - 0.17 * r, my, cx + 0.17 * r, my + 0.06 * r, 0.03 * r),
            Rgb(150, 78, 78),
            1.0,
        );
    }
}

/// The dark foreground shoulder and back of the head of an over-the-shoulder shot.
fn paint_shoulder(cv: &mut Canvas, lay: &Layout, who: Option<CharLook>) {
    let (w, h, u) = (lay.w, lay.h, lay.u);
    let (body, hair) = match who {
        Some(l) => (l.clothes.scale(0.28), l.hair.scale(0.5)),
        None => (Rgb(26, 26, 30), Rgb(14, 14, 16)),
    };
    let cx = 0.14 * w + lay.cam.pan * w * 1.3;
    cv.fill(Shape::ellipse(cx, h * 1.0, 0.55 * u, 0.3 * h), body, 1.0);
    let skin = who.map_or(Rgb(40, 34, 32), |l| l.skin.scale(0.45));
    cv.fill(
        Shape::ellipse(cx + 0.25 * u, h * 0.68, 0.035 * u, 0.06 * u),
        skin,
        1.0,
    );
    cv.fill(Shape::circle(cx + 0.06 * u, h * 0.66, 0.2 * u), hair, 1.0);
}

/// Corner marks of the 5% title-safe area.
fn safe_area_marks(cv: &mut Canvas, lay: &Layout) {
    let (w, h) = (lay.w, lay.h);
    let (mx, my) = (0.05 * w, 0.05 * h);
    let len = 0.04 * lay.u;
    let t = (lay.u * 0.002).max(1.0);
    for (x, y, sx, sy) in [
        (mx, my, 1.0, 1.0),
        (w - mx, my, -1.0, 1.0),
        (mx, h - my, 1.0, -1.0),
        (w - mx, h - my, -1.0, -1.0),
    ] {
        cv.fill_rect(
            x.min(x + sx * len),
            y.min(y + sy * t),
            x.max(x + sx * len),
            y.max(y + sy * t),
            WHITE,
            0.35,
        );
        cv.fill_rect(
            x.min(x + sx * t),
            y.min(y + sy * len),
            x.max(x + sx * t),
            y.max(y + sy * len),
            WHITE,
            0.35,
        );
    }
}

/// The dialogue bar; returns its top edge (the frame height when there is no caption).
fn caption_bar(cv: &mut Canvas, lay: &Layout, spec: &FrameSpec, font: &FontVec) -> f32 {
    let caption = spec.caption.as_deref().map(str::trim).unwrap_or_default();
    if caption.is_empty() {
        return lay.h;
    }
    let size = 0.045 * lay.u;
    let m = text::metrics(font, size);
    let lines = text::wrap(font, size, caption, lay.w * 0.88, 4);
    let pad = 0.028 * lay.u;
    let top = lay.h - pad * 2.0 - m.line_h * lines.len() as f32;
    cv.fill_rect(0.0, top, lay.w, lay.h, Rgb(0, 0, 0), 0.72);
    cv.fill_rect(
        0.0,
        top,
        lay.w,
        top + (lay.u * 0.003).max(1.0),
        Rgb(255, 200, 90),
        0.9,
    );
    for (i, line) in lines.iter().enumerate() {
        let baseline = top + pad + m.ascent + m.line_h * i as f32;
        text::draw_centered(cv, font, size, lay.w / 2.0, baseline, line, WHITE, 1.0);
    }
    top
}

/// A rounded label with `label` in it, left edge at `x` and top at `y`; returns its width.
#[allow(clippy::too_many_arguments)]
fn pill(
    cv: &mut Canvas,
    font: &FontVec,
    size: f32,
    x: f32,
    y: f32,
    label: &str,
    fg: Rgb,
    bg: Rgb,
    alpha: f32,
) -> f32 {
    let m = text::metrics(font, size);
    let tw = text::measure(font, size, label);
    let (px, py) = (size * 0.45, size * 0.18);
    let (pw, ph) = (tw + 2.0 * px, m.line_h + 2.0 * py);
    cv.fill(Shape::rrect(x, y, x + pw, y + ph, ph / 2.0), bg, alpha);
    text::draw(cv, font, size, x + px, y + py + m.ascent, label, fg, 1.0);
    pw
}

fn name_labels(cv: &mut Canvas, lay: &Layout, spec: &FrameSpec, font: &FontVec, bar_top: f32) {
    let size = 0.03 * lay.u;
    let m = text::metrics(font, size);
    let ph = m.line_h + size * 0.36;
    let slot = if lay.figures.is_empty() {
        lay.w
    } else {
        lay.w * 0.92 / lay.figures.len() as f32
    };
    for f in &lay.figures {
        let Some(c) = spec.characters.get(f.index) else {
            continue;
        };
        let name = if c.name.trim().is_empty() {
            &c.id
        } else {
            &c.name
        };
        if name.trim().is_empty() {
            continue;
        }
        let label = text::fit_line(font, size, name.trim(), (slot * 0.9 - size).max(size));
        let pw = text::measure(font, size, &label) + size * 0.9;
        let y = (f.feet() + 0.012 * lay.h).min(bar_top - ph - 0.015 * lay.h);
        pill(
            cv,
            font,
            size,
            f.cx - pw / 2.0,
            y,
            &label,
            WHITE,
            f.look.clothes.scale(0.45),
            0.85,
        );
    }
    if lay.hidden > 0 {
        let label = format!("+{}", lay.hidden);
        let y = bar_top - ph - 0.015 * lay.h;
        pill(
            cv,
            font,
            size,
            lay.w * 0.94 - size * 3.0,
            y,
            &label,
            WHITE,
            Rgb(0, 0, 0),
            0.6,
        );
    }
}

fn tod_label(spec: &FrameSpec) -> Option<String> {
    spec.time_of_day
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn top_overlay(cv: &mut Canvas, lay: &Layout, spec: &FrameSpec, font: &FontVec) {
    let (w, u) = (lay.w, lay.u);
    let pad = 0.04 * u;
    let size = 0.042 * u;
    let small = 0.03 * u;
    let desc = if lay.kind == Kind::Insert {
        String::new()
    } else {
        text::clean(spec.description.trim())
    };
    let desc_size = 0.028 * u;
    let desc_lines = if desc.is_empty() {
        Vec::new()
    } else {
        text::wrap(font, desc_size, &desc, w - 2.0 * pad, 2)
    };
    let m = text::metrics(font, size);
    let sm = text::metrics(font, small);
    let dm = text::metrics(font, desc_size);
    let band = pad * 2.5 + m.line_h + sm.line_h + dm.line_h * desc_lines.len() as f32;
    cv.vgradient_alpha(0.0, band, Rgb(0, 0, 0), 0.55, 0.0);

    let mut x = pad;
    x += pill(
        cv,
        font,
        size,
        x,
        pad,
        &format!("#{}", spec.shot_number),
        INK,
        Rgb(255, 214, 90),
        0.95,
    );
    pill(
        cv,
        font,
        size,
        x + size * 0.3,
        pad,
        &format!("S{}", spec.scene_number),
        WHITE,
        Rgb(40, 40, 48),
        0.85,
    );
    let abbr = lay.kind.abbr();
    let aw = text::measure(font, size, abbr) + size * 0.9;
    pill(
        cv,
        font,
        size,
        w - pad - aw,
        pad,
        abbr,
        WHITE,
        Rgb(40, 40, 48),
        0.85,
    );
    let mut y = pad + m.line_h + size * 0.36 + pad * 0.4;
    if let Some(tag) = &lay.cam.tag {
        let tw = text::measure(font, small, tag) + small * 0.9;
        pill(
            cv,
            font,
            small,
            w - pad - tw,
            y,
            tag,
            INK,
            Rgb(140, 230, 160),
            0.95,
        );
    }

    let ie = match lay.setting {
        Setting::Interior => "INT",
        Setting::Exterior => "EXT",
        Setting::Both => "INT/EXT",
    };
    let mut meta: Vec<String> = Vec::new();
    if let Some(loc) = spec
        .location
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        meta.push(loc.to_string());
    }
    if let Some(t) = tod_label(spec) {
        meta.push(t);
    }
    meta.push(ie.to_string());
    let meta = text::fit_line(font, small, &meta.join(" · "), w * 0.6);
    text::draw(cv, font, small, pad, y + sm.ascent, &meta, WHITE, 0.95);
    y += sm.line_h + pad * 0.3;
    for line in &desc_lines {
        text::draw(
            cv,
            font,
            desc_size,
            pad,
            y + dm.ascent,
            line,
            Rgb(236, 236, 236),
            0.9,
        );
        y += dm.line_h;
    }
}

/// An insert shot: the object on a card, with the description written under it.
fn insert_card(cv: &mut Canvas, lay: &Layout, spec: &FrameSpec, font: &FontVec, bar_top: f32) {
    let (w, h, u) = (lay.w, lay.h, lay.u);
    let (x0, x1) = (0.1 * w, 0.9 * w);
    let y0 = 0.22 * h;
    let y1 = (bar_top - 0.05 * h).max(y0 + 0.2 * h).min(h * 0.95);
    let rad = 0.03 * u;
    cv.fill(
        Shape::rrect(
            x0 + u * 0.012,
            y0 + u * 0.016,
            x1 + u * 0.012,
            y1 + u * 0.016,
            rad,
        ),
        Rgb(0, 0, 0),
        0.35,
    );
    cv.fill(Shape::rrect(x0, y0, x1, y1, rad), Rgb(246, 241, 229), 1.0);

    let description = spec.description.trim();
    let mut r = Rng::from_parts("insert", &[description.as_bytes()]);
    let col = hsv(r.range(0.0, 360.0), 0.5, 0.6);
    let (cx, cy) = ((x0 + x1) / 2.0, y0 + (y1 - y0) * 0.3);
    let k = ((y1 - y0) * 0.18).min((x1 - x0) * 0.3);
    match r.below(4) {
        0 => {
            // A phone.
            cv.fill(
                Shape::rrect(cx - k * 0.5, cy - k, cx + k * 0.5, cy + k, k * 0.12),
                INK,
                1.0,
            );
            cv.fill(
                Shape::rrect(
                    cx - k * 0.42,
                    cy - k * 0.86,
                    cx + k * 0.42,
                    cy + k * 0.8,
                    k * 0.05,
                ),
                col.mix(WHITE, 0.5),
                1.0,
            );
        }
        1 => {
            // A letter.
            cv.fill(
                Shape::rrect(
                    cx - k * 1.2,
                    cy - k * 0.8,
                    cx + k * 1.2,
                    cy + k * 0.8,
                    k * 0.05,
                ),
                WHITE,
                1.0,
            );
            for i in 0..4 {
                let ly = cy - k * 0.5 + i as f32 * k * 0.3;
                cv.fill_rect(
                    cx - k,
                    ly,
                    cx + k * (0.9 - 0.3 * (i / 3) as f32),
                    ly + (k * 0.05).max(1.0),
                    INK.mix(WHITE, 0.4),
                    1.0,
                );
            }
        }
        2 => {
            // A key.
            cv.fill(Shape::circle(cx - k * 0.7, cy, k * 0.45), col, 1.0);
            cv.fill(
                Shape::circle(cx - k * 0.7, cy, k * 0.2),
                Rgb(246, 241, 229),
                1.0,
            );
            cv.fill_rect(
                cx - k * 0.3,
                cy - k * 0.1,
                cx + k * 1.1,
                cy + k * 0.1,
                col,
                1.0,
            );
            cv.fill_rect(cx + k * 0.7, cy, cx + k * 0.85, cy + k * 0.35, col, 1.0);
        }
        _ => {
            // A cup.
            cv.fill(
                Shape::rrect(
                    cx - k * 0.6,
                    cy - k * 0.7,
                    cx + k * 0.6,
                    cy + k * 0.8,
                    k * 0.2,
                ),
                col,
                1.0,
            );
            cv.fill(Shape::circle(cx + k * 0.75, cy, k * 0.3), col, 1.0);
            cv.fill(
                Shape::circle(cx + k * 0.75, cy, k * 0.15),
                Rgb(246, 241, 229),
                1.0,
            );
        }
    }
    if description.is_empty() {
        return;
    }
    let size = 0.04 * u;
    let m = text::metrics(font, size);
    let top = cy + k * 1.3;
    let room = ((y1 - top - size) / m.line_h).max(1.0) as usize;
    let lines = text::wrap(font, size, description, (x1 - x0) * 0.86, room.min(8));
    for (i, line) in lines.iter().enumerate() {
        let baseline = top + m.ascent + m.line_h * i as f32;
        text::draw_centered(cv, font, size, cx, baseline, line, INK, 1.0);
    }
}
