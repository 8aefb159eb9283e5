//! Storyboard sheet pages (for reviewers who work on paper): six shots to an A4 page, each with its
//! frame, number, scene, duration, camera and dialogue. Pages are pictures so CJK text needs no font
//! embedding in the PDF; the PDF itself is assembled in `export::sheet`.
use image::{imageops::FilterType, RgbImage};

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
    pub shots: Vec<SheetShot>,
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
    let margin = 70.0;
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

    let (cols, rows) = (2usize, 3usize);
    let gap = 40.0;
    let top = 200.0;
    let cell_w = (PAGE_W as f32 - 2.0 * margin - gap) / cols as f32;
    let cell_h = (PAGE_H as f32 - top - margin - gap * (rows as f32 - 1.0)) / rows as f32;
    for (i, shot) in page.shots.iter().take(SHOTS_PER_PAGE).enumerate() {
        let (col, row) = (i % cols, i / cols);
        let x0 = margin + col as f32 * (cell_w + gap);
        let y0 = top + row as f32 * (cell_h + gap);
        let frame_h = cell_h * 0.58;
        c.fill_rect(x0, y0, x0 + cell_w, y0 + frame_h, Rgb(236, 236, 240), 1.0);
        match &shot.frame {
            Some(img) if img.width() > 0 && img.height() > 0 => {
                let scale = (cell_w / img.width() as f32).min(frame_h / img.height() as f32);
                let (w, h) = (
                    ((img.width() as f32 * scale) as u32).max(1),
                    ((img.height() as f32 * scale) as u32).max(1),
                );
                let thumb = image::imageops::resize(img, w, h, FilterType::Triangle);
                let x = x0 + (cell_w - w as f32) / 2.0;
                let y = y0 + (frame_h - h as f32) / 2.0;
                c.blit(&thumb, x as i32, y as i32);
            }
            _ => text::draw_centered(
                &mut c,
                font,
                26.0,
                x0 + cell_w / 2.0,
                y0 + frame_h / 2.0,
                "no frame yet",
                MUTED,
                1.0,
            ),
        }
        let mut y = y0 + frame_h + 36.0;
        let label = format!(
            "Shot {} · Scene {} · {:.1} s",
            shot.number, shot.scene_number, shot.duration_secs
        );
        text::draw(
            &mut c,
            font,
            26.0,
            x0,
            y,
            &text::fit_line(font, 26.0, &label, cell_w),
            INK,
            1.0,
        );
        let camera: Vec<&str> = [shot.shot_type.as_deref(), shot.camera_move.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
        let meta = if camera.is_empty() {
            shot.heading.clone()
        } else {
            format!("{} · {}", shot.heading, camera.join(" / "))
        };
        y += 30.0;
        text::draw(
            &mut c,
            font,
            20.0,
            x0,
            y,
            &text::fit_line(font, 20.0, &meta, cell_w),
            MUTED,
            1.0,
        );
        let mut body = String::new();
        for (who, line) in &shot.dialogue {
            body.push_str(&format!("{who}：{line}\n"));
        }
        if body.is_empty() {
            body = shot.description.clone();
        }
        let room = ((y0 + cell_h - y - 10.0) / 28.0).max(1.0) as usize;
        for l in text::wrap(font, 21.0, body.trim_end(), cell_w, room) {
            y += 28.0;
            text::draw(&mut c, font, 21.0, x0, y, &l, INK, 1.0);
        }
    }
    c.into_image()
        .unwrap_or_else(|| RgbImage::new(PAGE_W, PAGE_H))
}
