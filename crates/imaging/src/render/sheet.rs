//! Storyboard sheet pages (for reviewers who work on paper): six shots to an A4 page, each with its
//! frame, number, scene, duration, camera and dialogue. Pages are pictures so CJK text needs no font
//! embedding in the PDF; the PDF itself is assembled in `export::sheet`.
use image::RgbImage;

use super::{
    canvas::{Canvas, Rgb},
    text, Fonts,
};

/// A4 at 150 dpi.
pub const PAGE_W: u32 = 1240;
pub const PAGE_H: u32 = 1754;
/// Shots per page (2 columns × 3 rows).
pub const SHOTS_PER_PAGE: usize = 6;

#[derive(Debug, Clone)]
pub struct SheetShot {
    pub number: u32,
    pub scene_number: u32,
    pub heading: String,
    pub duration_secs: f64,
    pub shot_type: Option<String>,
    pub camera_move: Option<String>,
    pub description: String,
    /// (character, line)
    pub dialogue: Vec<(String, String)>,
    pub frame: Option<RgbImage>,
}

#[derive(Debug, Clone)]
pub struct SheetPage {
    pub title: String,
    pub subtitle: String,
    pub page: usize,
    pub pages: usize,
    /// The project's frame shape, width over height (9:16 → 0.5625): every frame box has it.
    pub frame_aspect: f32,
    pub shots: Vec<SheetShot>,
}

/// A storyboard value for people: `close_up` → "Close-up", `dolly_in` → "Dolly in". Values the
/// storyboard does not know (free text, Chinese) are shown as written.
pub fn humanize_term(value: &str) -> String {
    let known = match value.trim() {
        "extreme_wide" => "Extreme wide",
        "wide" => "Wide",
        "full" => "Full",
        "medium" => "Medium",
        "medium_close" => "Medium close-up",
        "close_up" => "Close-up",
        "extreme_close_up" => "Extreme close-up",
        "over_the_shoulder" => "Over the shoulder",
        "pov" => "POV",
        "insert" => "Insert",
        "static" => "Static",
        "pan" => "Pan",
        "tilt" => "Tilt",
        "dolly_in" => "Dolly in",
        "dolly_out" => "Dolly out",
        "truck" => "Truck",
        "crane" => "Crane",
        "handheld" => "Handheld",
        "zoom_in" => "Zoom in",
        "zoom_out" => "Zoom out",
        "orbit" => "Orbit",
        other => {
            let spaced = other.replace('_', " ");
            let mut chars = spaced.chars();
            return match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            };
        }
    };
    known.to_string()
}

/// "Close-up · Dolly in": the shot size and the camera move, whichever are set.
pub fn camera_label(shot_type: Option<&str>, camera_move: Option<&str>) -> String {
    [shot_type, camera_move]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(humanize_term)
        .collect::<Vec<_>>()
        .join(" · ")
}

const MARGIN: f32 = 70.0;
const GAP: f32 = 40.0;
const TOP: f32 = 200.0;
const COLS: usize = 2;
const ROWS: usize = 3;

fn cell(slot: usize) -> (f32, f32, f32, f32) {
    let cell_w = (PAGE_W as f32 - 2.0 * MARGIN - GAP) / COLS as f32;
    let cell_h = (PAGE_H as f32 - TOP - MARGIN - GAP * (ROWS as f32 - 1.0)) / ROWS as f32;
    let (col, row) = (slot % COLS, slot / COLS);
    let x0 = MARGIN + col as f32 * (cell_w + GAP);
    let y0 = TOP + row as f32 * (cell_h + GAP);
    (x0, y0, cell_w, cell_h)
}

/// Where shot `slot` (0–5) of a page has its frame, `(x0, y0, x1, y1)` in page pixels, at the
/// project's aspect ratio: a portrait frame stands on the left of its cell with the text beside it;
/// a landscape or square one sits above its text.
pub fn frame_box(slot: usize, frame_aspect: f32) -> (f32, f32, f32, f32) {
    let (x0, y0, cell_w, cell_h) = cell(slot);
    let aspect = if frame_aspect.is_finite() && frame_aspect > 0.0 {
        frame_aspect
    } else {
        9.0 / 16.0
    };
    if aspect < 1.0 {
        let h = cell_h;
        let w = (h * aspect).min(cell_w * 0.5);
        (x0, y0, x0 + w, y0 + w / aspect)
    } else {
        let max_h = cell_h * 0.58;
        let w = (max_h * aspect).min(cell_w);
        (x0, y0, x0 + w, y0 + w / aspect)
    }
}

const INK: Rgb = Rgb(30, 30, 36);
const MUTED: Rgb = Rgb(110, 110, 122);
const RULE: Rgb = Rgb(210, 210, 218);

impl Canvas {
    /// Copies `img` with its top-left corner at (x, y); what falls outside is dropped.
    pub(crate) fn blit(&mut self, img: &RgbImage, x: i32, y: i32) {
        for (px, py, p) in img.enumerate_pixels() {
            self.blend_px(x + px as i32, y + py as i32, Rgb(p[0], p[1], p[2]), 1.0);
        }
    }
}

/// Draws one page.
pub fn render_sheet_page(page: &SheetPage, fonts: &Fonts) -> RgbImage {
    let font = fonts.font();
    let mut c = Canvas::new(PAGE_W, PAGE_H, Rgb(255, 255, 255));
    let margin = MARGIN;
    text::draw(
        &mut c,
        font,
        40.0,
        margin,
        110.0,
        &text::fit_line(font, 40.0, &page.title, 900.0),
        INK,
        1.0,
    );
    text::draw(
        &mut c,
        font,
        24.0,
        margin,
        150.0,
        &text::fit_line(font, 24.0, &page.subtitle, 900.0),
        MUTED,
        1.0,
    );
    let folio = format!("{} / {}", page.page, page.pages);
    let fw = text::measure(font, 24.0, &folio);
    text::draw(
        &mut c,
        font,
        24.0,
        PAGE_W as f32 - margin - fw,
        150.0,
        &folio,
        MUTED,
        1.0,
    );
    c.fill_rect(margin, 172.0, PAGE_W as f32 - margin, 174.0, RULE, 1.0);

    for (i, shot) in page.shots.iter().take(SHOTS_PER_PAGE).enumerate() {
        let (cx0, cy0, cell_w, cell_h) = cell(i);
        let (fx0, fy0, fx1, fy1) = frame_box(i, page.frame_aspect);
        c.fill_rect(fx0, fy0, fx1, fy1, Rgb(236, 236, 240), 1.0);
        let (bw, bh) = (
            ((fx1 - fx0).round() as u32).max(1),
            ((fy1 - fy0).round() as u32).max(1),
        );
        match &shot.frame {
            Some(img) if img.width() > 0 && img.height() > 0 => {
                c.blit(
                    &crate::media::cover(img, (bw, bh)),
                    fx0.round() as i32,
                    fy0.round() as i32,
                );
            }
            _ => text::draw_centered(
                &mut c,
                font,
                22.0,
                (fx0 + fx1) / 2.0,
                (fy0 + fy1) / 2.0,
                "no frame yet",
                MUTED,
                1.0,
            ),
        }
        // Text beside a portrait frame, under a landscape or square one.
        let beside = fx1 - cx0 < cell_w * 0.6;
        let (tx, text_w, mut y) = if beside {
            let tx = fx1 + 20.0;
            (tx, cx0 + cell_w - tx, cy0 + 8.0)
        } else {
            (cx0, cell_w, fy1 + 8.0)
        };
        let bottom = cy0 + cell_h;
        y += 28.0;
        let label = format!(
            "Shot {} · Scene {} · {:.1} s",
            shot.number, shot.scene_number, shot.duration_secs
        );
        text::draw(
            &mut c,
            font,
            26.0,
            tx,
            y,
            &text::fit_line(font, 26.0, &label, text_w),
            INK,
            1.0,
        );
        let camera = camera_label(shot.shot_type.as_deref(), shot.camera_move.as_deref());
        for (size, line, colour) in [(20.0, shot.heading.clone(), MUTED), (20.0, camera, INK)] {
            if line.trim().is_empty() {
                continue;
            }
            for l in text::wrap(font, size, line.trim(), text_w, 2) {
                y += 27.0;
                text::draw(&mut c, font, size, tx, y, &l, colour, 1.0);
            }
        }
        y += 6.0;
        let mut body = String::new();
        for (who, line) in &shot.dialogue {
            body.push_str(&format!("{who}：{line}\n"));
        }
        if body.is_empty() {
            body = shot.description.clone();
        }
        let room = ((bottom - y - 6.0) / 28.0).max(0.0) as usize;
        if room > 0 {
            for l in text::wrap(font, 21.0, body.trim_end(), text_w, room) {
                y += 28.0;
                text::draw(&mut c, font, 21.0, tx, y, &l, INK, 1.0);
            }
        }
    }
    c.into_image()
        .unwrap_or_else(|| RgbImage::new(PAGE_W, PAGE_H))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storyboard_values_print_as_words() {
        assert_eq!(
            camera_label(Some("close_up"), Some("dolly_in")),
            "Close-up · Dolly in"
        );
        assert_eq!(camera_label(Some("pov"), None), "POV");
        assert_eq!(camera_label(None, Some("  ")), "");
        // Free text and Chinese are shown as written (a first Latin letter capitalised).
        assert_eq!(
            camera_label(Some("推镜头"), Some("slow_push")),
            "推镜头 · Slow push"
        );
        for v in crate::render::SHOT_TYPES
            .iter()
            .chain(crate::render::CAMERA_MOVES)
        {
            let words = humanize_term(v);
            assert!(!words.contains('_'), "{v} → {words}");
            assert!(
                words.chars().next().unwrap().is_uppercase(),
                "{v} → {words}"
            );
        }
    }

    #[test]
    fn frame_boxes_have_the_project_shape_and_stay_in_their_cells() {
        for aspect in [9.0 / 16.0, 16.0 / 9.0, 1.0] {
            for slot in 0..SHOTS_PER_PAGE {
                let (x0, y0, x1, y1) = frame_box(slot, aspect);
                assert!((((x1 - x0) / (y1 - y0)) - aspect).abs() < 1e-3);
                let (cx, cy, cw, ch) = cell(slot);
                assert!(x0 >= cx && y0 >= cy && x1 <= cx + cw + 0.01 && y1 <= cy + ch + 0.01);
            }
        }
        // A portrait frame leaves room for the text beside it.
        let (x0, _, x1, _) = frame_box(0, 9.0 / 16.0);
        assert!(x1 - x0 < cell(0).2 * 0.6);
    }
}
