//! A small RGB raster with anti-aliased shape fills. Everything writes straight into one byte buffer:
//! solid runs are copied, only edge pixels evaluate a distance function, and nothing allocates per
//! pixel. Only `+ - * / sqrt` are used (no `sin`/`powf`), so results are the same on every platform.
use image::RgbImage;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub(crate) fn scale(self, f: f32) -> Self {
        let s = |c: u8| (f32::from(c) * f).round().clamp(0.0, 255.0) as u8;
        Rgb(s(self.0), s(self.1), s(self.2))
    }

    pub(crate) fn mix(self, other: Self, t: f32) -> Self {
        let t = t.clamp(0.0, 1.0);
        Rgb(
            lerp_u8(self.0, other.0, t),
            lerp_u8(self.1, other.1, t),
            lerp_u8(self.2, other.2, t),
        )
    }

    #[cfg(test)]
    pub(crate) fn luma(self) -> f32 {
        0.299 * f32::from(self.0) + 0.587 * f32::from(self.1) + 0.114 * f32::from(self.2)
    }
}

/// HSV (hue in degrees, s and v in 0..=1) to RGB, by sectors: no trigonometry.
pub(crate) fn hsv(h: f32, s: f32, v: f32) -> Rgb {
    let h = h.rem_euclid(360.0) / 60.0;
    let sector = h.floor();
    let f = h - sector;
    let (s, v) = (s.clamp(0.0, 1.0), v.clamp(0.0, 1.0));
    let p = v * (1.0 - s);
    let q = v * (1.0 - s * f);
    let t = v * (1.0 - s * (1.0 - f));
    let (r, g, b) = match sector as u32 {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    };
    let c = |x: f32| (x * 255.0).round().clamp(0.0, 255.0) as u8;
    Rgb(c(r), c(g), c(b))
}

#[inline]
fn lerp_u8(a: u8, b: u8, t: f32) -> u8 {
    // The result lies between a and b, so adding 0.5 and truncating rounds it.
    (f32::from(a) + (f32::from(b) - f32::from(a)) * t + 0.5) as u8
}

#[inline]
fn blend(px: &mut [u8], c: Rgb, a: f32) {
    if a >= 1.0 {
        px[0] = c.0;
        px[1] = c.1;
        px[2] = c.2;
    } else if a > 0.0 {
        px[0] = lerp_u8(px[0], c.0, a);
        px[1] = lerp_u8(px[1], c.1, a);
        px[2] = lerp_u8(px[2], c.2, a);
    }
}

/// A float coordinate to a pixel index in `0..=max` (NaN and infinities included).
#[inline]
fn clampi(v: f32, max: usize) -> usize {
    if v.is_nan() {
        0
    } else {
        v.clamp(0.0, max as f32) as usize
    }
}

fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Filled shapes, each with a signed distance (negative inside) and a row span.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Shape {
    Circle {
        cx: f32,
        cy: f32,
        r: f32,
    },
    Ellipse {
        cx: f32,
        cy: f32,
        rx: f32,
        ry: f32,
    },
    RRect {
        x0: f32,
        y0: f32,
        x1: f32,
        y1: f32,
        r: f32,
    },
}

impl Shape {
    pub(crate) fn circle(cx: f32, cy: f32, r: f32) -> Self {
        Shape::Circle { cx, cy, r }
    }

    pub(crate) fn ellipse(cx: f32, cy: f32, rx: f32, ry: f32) -> Self {
        Shape::Ellipse { cx, cy, rx, ry }
    }

    /// A rounded rectangle; corners are clamped to half the shorter side.
    pub(crate) fn rrect(x0: f32, y0: f32, x1: f32, y1: f32, r: f32) -> Self {
        let (x0, x1) = (x0.min(x1), x0.max(x1));
        let (y0, y1) = (y0.min(y1), y0.max(y1));
        let r = r.max(0.0).min((x1 - x0).min(y1 - y0) / 2.0);
        Shape::RRect { x0, y0, x1, y1, r }
    }

    fn bbox(&self) -> (f32, f32, f32, f32) {
        match *self {
            Shape::Circle { cx, cy, r } => (cx - r, cy - r, cx + r, cy + r),
            Shape::Ellipse { cx, cy, rx, ry } => (cx - rx, cy - ry, cx + rx, cy + ry),
            Shape::RRect { x0, y0, x1, y1, .. } => (x0, y0, x1, y1),
        }
    }

    fn sdf(&self, x: f32, y: f32) -> f32 {
        match *self {
            Shape::Circle { cx, cy, r } => ((x - cx) * (x - cx) + (y - cy) * (y - cy)).sqrt() - r,
            Shape::Ellipse { cx, cy, rx, ry } => {
                // The usual first-order approximation: exact enough for a one-pixel edge.
                let (rx, ry) = (rx.max(1e-3), ry.max(1e-3));
                let (px, py) = (x - cx, y - cy);
                let k0 = ((px / rx) * (px / rx) + (py / ry) * (py / ry)).sqrt();
                let k1 = ((px / (rx * rx)) * (px / (rx * rx))
                    + (py / (ry * ry)) * (py / (ry * ry)))
                    .sqrt();
                if k1 <= f32::EPSILON {
                    -rx.min(ry)
                } else {
                    k0 * (k0 - 1.0) / k1
                }
            }
            Shape::RRect { x0, y0, x1, y1, r } => {
                let (hx, hy) = ((x1 - x0) / 2.0, (y1 - y0) / 2.0);
                let qx = (x - (x0 + hx)).abs() - (hx - r);
                let qy = (y - (y0 + hy)).abs() - (hy - r);
                let outside = (qx.max(0.0) * qx.max(0.0) + qy.max(0.0) * qy.max(0.0)).sqrt();
                outside + qx.max(qy).min(0.0) - r
            }
        }
    }

    /// The horizontal extent at height `y` of the shape grown by `d` pixels (shrunk if negative).
    fn span(&self, y: f32, d: f32) -> Option<(f32, f32)> {
        match *self {
            Shape::Circle { cx, cy, r } => chord(cx, y - cy, r + d, r + d),
            Shape::Ellipse { cx, cy, rx, ry } => chord(cx, y - cy, rx + d, ry + d),
            Shape::RRect { x0, y0, x1, y1, r } => {
                let (hx, hy) = ((x1 - x0) / 2.0 + d, (y1 - y0) / 2.0 + d);
                if hx <= 0.0 || hy <= 0.0 {
                    return None;
                }
                let r = (r + d).clamp(0.0, hx.min(hy));
                let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
                let dy = (y - cy).abs();
                if dy > hy {
                    return None;
                }
                let straight = hy - r;
                let half = if dy <= straight {
                    hx
                } else {
                    let e = dy - straight;
                    hx - r + (r * r - e * e).max(0.0).sqrt()
                };
                Some((cx - half, cx + half))
            }
        }
    }
}

fn chord(cx: f32, dy: f32, rx: f32, ry: f32) -> Option<(f32, f32)> {
    if rx <= 0.0 || ry <= 0.0 || dy.abs() > ry {
        return None;
    }
    let t = dy / ry;
    let half = rx * (1.0 - t * t).max(0.0).sqrt();
    Some((cx - half, cx + half))
}

pub(crate) struct Canvas {
    w: usize,
    h: usize,
    buf: Vec<u8>,
}

impl Canvas {
    pub(crate) fn new(w: u32, h: u32, fill: Rgb) -> Self {
        let (w, h) = (w as usize, h as usize);
        let mut buf = vec![0u8; w * h * 3];
        for px in buf.chunks_exact_mut(3) {
            px.copy_from_slice(&[fill.0, fill.1, fill.2]);
        }
        Self { w, h, buf }
    }

    pub(crate) fn into_image(self) -> Option<RgbImage> {
        RgbImage::from_raw(self.w as u32, self.h as u32, self.buf)
    }

    /// Blends one pixel; coordinates outside the canvas are ignored.
    #[inline]
    pub(crate) fn blend_px(&mut self, x: i32, y: i32, c: Rgb, a: f32) {
        if x < 0 || y < 0 || x as usize >= self.w || y as usize >= self.h {
            return;
        }
        let i = (y as usize * self.w + x as usize) * 3;
        blend(&mut self.buf[i..i + 3], c, a);
    }

    /// Rows `y0..y1`, a vertical gradient from `top` (at y0) to `bottom` (at y1), fully opaque.
    pub(crate) fn vgradient(&mut self, y0: f32, y1: f32, top: Rgb, bottom: Rgb) {
        let (ya, yb) = (clampi(y0.round(), self.h), clampi(y1.round(), self.h));
        let span = (y1 - y0).max(1.0);
        for y in ya..yb {
            let c = top.mix(bottom, (y as f32 + 0.5 - y0) / span);
            let row = &mut self.buf[y * self.w * 3..(y + 1) * self.w * 3];
            for px in row.chunks_exact_mut(3) {
                px.copy_from_slice(&[c.0, c.1, c.2]);
            }
        }
    }

    /// Rows `y0..y1` blended with `c`, opacity going from `a0` to `a1`.
    pub(crate) fn vgradient_alpha(&mut self, y0: f32, y1: f32, c: Rgb, a0: f32, a1: f32) {
        let (ya, yb) = (clampi(y0.round(), self.h), clampi(y1.round(), self.h));
        let span = (y1 - y0).max(1.0);
        for y in ya..yb {
            let t = ((y as f32 + 0.5 - y0) / span).clamp(0.0, 1.0);
            let a = a0 + (a1 - a0) * t;
            let row = &mut self.buf[y * self.w * 3..(y + 1) * self.w * 3];
            for px in row.chunks_exact_mut(3) {
                blend(px, c, a);
            }
        }
    }

    /// A rectangle snapped to whole pixels, filled with a vertical gradient (opaque).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn gradient_rect(
        &mut self,
        x0: f32,
        y0: f32,
        x1: f32,
        y1: f32,
        top: Rgb,
        bottom: Rgb,
    ) {
        let (xa, xb) = (clampi(x0.round(), self.w), clampi(x1.round(), self.w));
        let (ya, yb) = (clampi(y0.round(), self.h), clampi(y1.round(), self.h));
        if xa >= xb {
            return;
        }
        let span = (y1 - y0).max(1.0);
        for y in ya..yb {
            let c = top.mix(bottom, (y as f32 + 0.5 - y0) / span);
            let row = &mut self.buf[(y * self.w + xa) * 3..(y * self.w + xb) * 3];
            for px in row.chunks_exact_mut(3) {
                px.copy_from_slice(&[c.0, c.1, c.2]);
            }
        }
    }

    /// An axis-aligned rectangle snapped to whole pixels.
    pub(crate) fn fill_rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, c: Rgb, a: f32) {
        let (xa, xb) = (clampi(x0.round(), self.w), clampi(x1.round(), self.w));
        let (ya, yb) = (clampi(y0.round(), self.h), clampi(y1.round(), self.h));
        if xa >= xb {
            return;
        }
        for y in ya..yb {
            let row = &mut self.buf[(y * self.w + xa) * 3..(y * self.w + xb) * 3];
            for px in row.chunks_exact_mut(3) {
                blend(px, c, a);
            }
        }
    }

    /// An anti-aliased filled shape with opacity `a`.
    pub(crate) fn fill(&mut self, shape: Shape, c: Rgb, a: f32) {
        let (_, by0, _, by1) = shape.bbox();
        let (ya, yb) = (
            clampi((by0 - 1.0).floor(), self.h),
            clampi((by1 + 1.0).ceil(), self.h),
        );
        for y in ya..yb {
            let yc = y as f32 + 0.5;
            let Some((ox0, ox1)) = shape.span(yc, 1.0) else {
                continue;
            };
            let xa = clampi(ox0.floor(), self.w);
            let xb = clampi(ox1.ceil(), self.w);
            if xa >= xb {
                continue;
            }
            // Pixels whose centres lie inside the shape shrunk by one pixel are fully covered.
            let (ia, ib) = match shape.span(yc, -1.0) {
                Some((a0, a1)) => {
                    let ia = clampi(a0.ceil(), self.w).clamp(xa, xb);
                    let ib = clampi(a1.floor(), self.w).clamp(xa, xb);
                    if ia < ib {
                        (ia, ib)
                    } else {
                        (xb, xb)
                    }
                }
                None => (xb, xb),
            };
            let row = y * self.w * 3;
            for x in (xa..ia).chain(ib..xb) {
                let cov = (0.5 - shape.sdf(x as f32 + 0.5, yc)).clamp(0.0, 1.0);
                let i = row + x * 3;
                blend(&mut self.buf[i..i + 3], c, cov * a);
            }
            if ia < ib {
                for px in self.buf[row + ia * 3..row + ib * 3].chunks_exact_mut(3) {
                    blend(px, c, a);
                }
            }
        }
    }

    /// Multiplies every channel by `f` (0..=1).
    pub(crate) fn darken(&mut self, f: f32) {
        let k = (f.clamp(0.0, 1.0) * 256.0) as u32;
        for b in &mut self.buf {
            *b = ((u32::from(*b) * k) >> 8) as u8;
        }
    }

    /// Darkens towards the edges in an ellipse: the point-of-view "looking through" look.
    pub(crate) fn vignette(&mut self, strength: f32) {
        let (w, h) = (self.w as f32, self.h as f32);
        // Per-column and per-row squared offsets, computed once per frame.
        let dx2: Vec<f32> = (0..self.w)
            .map(|x| {
                let d = (x as f32 + 0.5 - w / 2.0) / (w / 2.0);
                d * d
            })
            .collect();
        for y in 0..self.h {
            let dy = (y as f32 + 0.5 - h / 2.0) / (h / 2.0);
            let dy2 = dy * dy;
            let row = &mut self.buf[y * self.w * 3..(y + 1) * self.w * 3];
            for (px, dx2) in row.chunks_exact_mut(3).zip(&dx2) {
                let d2 = dx2 + dy2;
                if d2 < 0.36 {
                    continue;
                }
                let f = 1.0 - strength * smoothstep(0.6, 1.35, d2.sqrt());
                let k = (f.clamp(0.0, 1.0) * 256.0) as u32;
                for b in px {
                    *b = ((u32::from(*b) * k) >> 8) as u8;
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) fn pixel(img: &RgbImage, x: f32, y: f32) -> Rgb {
    let x = clampi(x, img.width().saturating_sub(1) as usize) as u32;
    let y = clampi(y, img.height().saturating_sub(1) as usize) as u32;
    let p = img.get_pixel(x, y);
    Rgb(p[0], p[1], p[2])
}
