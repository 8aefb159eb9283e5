//! Image handling for uploads: sniff the format from the bytes (never the client's content type),
//! decode with limits so a decompression bomb is refused before it allocates, make a PNG thumbnail,
//! and derive a small colour palette (the built-in consistency model).
//!
//! Everything here is blocking CPU and file work: call it from `spawn_blocking`.
use std::{
    fs::File,
    io::{Cursor, Read},
    path::Path,
};

use image::{imageops::FilterType, DynamicImage, ImageFormat, ImageReader, Limits};

/// Widest or tallest image accepted, in pixels.
pub const MAX_DIMENSION: u32 = 16_384;
/// Most memory a decoder may allocate for one image.
pub const MAX_ALLOC_BYTES: u64 = 512 * 1024 * 1024;
/// Longest side of a thumbnail, in pixels.
pub const THUMBNAIL_MAX_SIDE: u32 = 256;
/// Colours in a derived palette.
pub const PALETTE_SIZE: usize = 5;

/// What an image upload turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    pub width: u32,
    pub height: u32,
    /// Sniffed from the bytes: `image/png`, `image/jpeg`, `image/webp` or `image/gif`.
    pub mime: &'static str,
    /// A PNG whose longest side is at most [`THUMBNAIL_MAX_SIDE`] (never upscaled).
    pub thumbnail_png: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the file is not an image (expected PNG, JPEG, WebP or GIF)")]
    NotAnImage,
    #[error(
        "the image is {width}×{height} pixels; at most {MAX_DIMENSION}×{MAX_DIMENSION} is accepted"
    )]
    TooLarge { width: u32, height: u32 },
    #[error("the image exceeds the decoding limits ({0})")]
    Limits(String),
    #[error("the image could not be decoded: {0}")]
    Corrupt(String),
    #[error("could not read the file: {0}")]
    Io(#[from] std::io::Error),
}

impl MediaError {
    /// True when the problem is the uploaded bytes (a 4xx), not the server.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::Io(_))
    }
}

/// The image formats this build decodes, recognised by their magic bytes.
pub fn sniff_image(head: &[u8]) -> Option<ImageFormat> {
    match image::guess_format(head).ok()? {
        f @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif) => {
            Some(f)
        }
        _ => None,
    }
}

fn mime_of(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Png => "image/png",
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::WebP => "image/webp",
        ImageFormat::Gif => "image/gif",
        _ => "application/octet-stream",
    }
}

/// The MIME type of a non-image file: magic bytes first, then the file name's extension for text
/// formats (which have no magic). Never `text/html` or anything a browser would run.
pub fn sniff_mime(head: &[u8], filename: &str) -> &'static str {
    if let Some(f) = sniff_image(head) {
        return mime_of(f);
    }
    let starts = |magic: &[u8]| head.starts_with(magic);
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return if &head[8..12] == b"M4A " {
            "audio/mp4"
        } else if &head[8..10] == b"qt" {
            "video/quicktime"
        } else {
            "video/mp4"
        };
    }
    if starts(b"\x1a\x45\xdf\xa3") {
        return "video/webm";
    }
    if starts(b"RIFF") && head.len() >= 12 && &head[8..12] == b"WAVE" {
        return "audio/wav";
    }
    if starts(b"ID3") || (head.len() >= 2 && head[0] == 0xff && head[1] & 0xe0 == 0xe0) {
        return "audio/mpeg";
    }
    if starts(b"OggS") {
        return "audio/ogg";
    }
    if starts(b"fLaC") {
        return "audio/flac";
    }
    if starts(b"%PDF-") {
        return "application/pdf";
    }
    if starts(b"PK\x03\x04") {
        return "application/zip";
    }
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "fountain" => "text/plain; charset=utf-8",
        "md" | "markdown" => "text/markdown; charset=utf-8",
        "srt" => "application/x-subrip",
        "vtt" => "text/vtt",
        "ass" | "ssa" => "text/x-ssa",
        "json" => "application/json",
        "csv" => "text/csv",
        _ => "application/octet-stream",
    }
}

/// Reads the first bytes of a file (enough for every magic number above).
pub fn read_head(path: &Path) -> Result<Vec<u8>, MediaError> {
    let mut head = Vec::with_capacity(64);
    File::open(path)?.take(64).read_to_end(&mut head)?;
    Ok(head)
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC_BYTES);
    limits
}

/// Decodes an image file with limits. The header is read first, so an image declaring absurd
/// dimensions is refused without decoding anything.
pub fn decode_limited(path: &Path) -> Result<(DynamicImage, ImageFormat), MediaError> {
    let format = sniff_image(&read_head(path)?).ok_or(MediaError::NotAnImage)?;
    let mut header = ImageReader::open(path)?;
    header.set_format(format);
    // Only the header is read here; without the size limits the real size can be reported.
    header.limits(Limits::default());
    let (width, height) = header.into_dimensions().map_err(classify)?;
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(MediaError::TooLarge { width, height });
    }
    let mut reader = ImageReader::open(path)?;
    reader.set_format(format);
    reader.limits(limits());
    let image = reader.decode().map_err(classify)?;
    Ok((image, format))
}

fn classify(e: image::ImageError) -> MediaError {
    match e {
        image::ImageError::Limits(l) => MediaError::Limits(l.to_string()),
        image::ImageError::IoError(io) if io.kind() != std::io::ErrorKind::UnexpectedEof => {
            MediaError::Io(io)
        }
        other => MediaError::Corrupt(other.to_string()),
    }
}

/// Size, sniffed type and a PNG thumbnail of an image file.
pub fn probe_and_thumbnail(path: &Path) -> Result<ImageInfo, MediaError> {
    let (image, format) = decode_limited(path)?;
    let thumbnail_png = thumbnail_png(&image)?;
    Ok(ImageInfo {
        width: image.width(),
        height: image.height(),
        mime: mime_of(format),
        thumbnail_png,
    })
}

/// `img` scaled to cover `(w, h)` and centre-cropped to it: a frame's picture in a cell or a
/// video frame of another shape, never letterboxed.
pub fn cover(img: &image::RgbImage, (w, h): (u32, u32)) -> image::RgbImage {
    let scale = (w as f32 / img.width() as f32).max(h as f32 / img.height() as f32);
    let (sw, sh) = (
        ((img.width() as f32 * scale).ceil() as u32).max(w),
        ((img.height() as f32 * scale).ceil() as u32).max(h),
    );
    let scaled = image::imageops::resize(img, sw, sh, FilterType::Triangle);
    image::imageops::crop_imm(&scaled, (sw - w) / 2, (sh - h) / 2, w, h).to_image()
}

/// `img` as a baseline JPEG of the given quality (1–100).
pub fn encode_jpeg(img: &image::RgbImage, quality: u8) -> Result<Vec<u8>, image::ImageError> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality).encode_image(img)?;
    Ok(jpeg)
}

/// An image file as a JPEG no larger than `max_side` on its longest side (never enlarged): the
/// pictures of a public share page, small enough for a phone on a slow network.
pub fn jpeg_preview(path: &Path, max_side: u32) -> Result<Vec<u8>, MediaError> {
    let (image, _) = decode_limited(path)?;
    let small = if image.width().max(image.height()) > max_side {
        image.thumbnail(max_side, max_side)
    } else {
        image
    };
    encode_jpeg(&small.to_rgb8(), 82).map_err(|e| MediaError::Corrupt(e.to_string()))
}

fn thumbnail_png(image: &DynamicImage) -> Result<Vec<u8>, MediaError> {
    let small = if image.width().max(image.height()) > THUMBNAIL_MAX_SIDE {
        image.thumbnail(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE)
    } else {
        image.clone()
    };
    // RGBA8 always encodes as PNG, whatever the source's colour type was.
    let rgba = DynamicImage::ImageRgba8(small.to_rgba8());
    let mut out = Cursor::new(Vec::new());
    rgba.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| MediaError::Corrupt(e.to_string()))?;
    Ok(out.into_inner())
}

/// The [`PALETTE_SIZE`] dominant colours of an image as `#rrggbb`, most common first, by median cut
/// over a 64×64 downsample. Deterministic: the same file always gives the same palette.
pub fn palette(path: &Path) -> Result<Vec<String>, MediaError> {
    let (image, _) = decode_limited(path)?;
    let small = image.resize_exact(64, 64, FilterType::Triangle).to_rgba8();
    // Transparent pixels carry no colour of the character.
    let pixels: Vec<[u8; 3]> = small
        .pixels()
        .filter(|p| p.0[3] >= 128)
        .map(|p| [p.0[0], p.0[1], p.0[2]])
        .collect();
    Ok(median_cut(pixels, PALETTE_SIZE)
        .into_iter()
        .map(|[r, g, b]| format!("#{r:02x}{g:02x}{b:02x}"))
        .collect())
}

/// Splits the pixels into `n` boxes (always the box with the widest channel range, at its median)
/// and averages each box; boxes are ordered by size, then colour, so ties are stable.
fn median_cut(pixels: Vec<[u8; 3]>, n: usize) -> Vec<[u8; 3]> {
    if pixels.is_empty() {
        return Vec::new();
    }
    fn range(b: &[[u8; 3]]) -> (usize, u8) {
        (0..3)
            .map(|c| {
                let (lo, hi) = b
                    .iter()
                    .fold((u8::MAX, 0u8), |(lo, hi), p| (lo.min(p[c]), hi.max(p[c])));
                (c, hi - lo)
            })
            .max_by_key(|&(c, r)| (r, std::cmp::Reverse(c)))
            .unwrap_or((0, 0))
    }
    let mut boxes = vec![pixels];
    while boxes.len() < n {
        let Some((i, channel)) = boxes
            .iter()
            .enumerate()
            .filter(|(_, b)| b.len() > 1)
            .map(|(i, b)| (i, range(b)))
            .filter(|(_, (_, r))| *r > 0)
            .max_by_key(|&(i, (_, r))| (r, std::cmp::Reverse(i)))
            .map(|(i, (c, _))| (i, c))
        else {
            break; // every box is a single colour: fewer colours than asked for
        };
        let mut b = boxes.swap_remove(i);
        b.sort_unstable_by_key(|p| (p[channel], p[0], p[1], p[2]));
        let upper = b.split_off(b.len() / 2);
        boxes.push(b);
        boxes.push(upper);
    }
    let mut colours: Vec<(usize, [u8; 3])> = boxes
        .iter()
        .map(|b| {
            let mut sum = [0u64; 3];
            for p in b {
                for c in 0..3 {
                    sum[c] += u64::from(p[c]);
                }
            }
            let len = b.len() as u64;
            let avg = |c: usize| ((sum[c] + len / 2) / len) as u8;
            (b.len(), [avg(0), avg(1), avg(2)])
        })
        .collect();
    colours.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    colours.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};
    use std::io::Write;

    fn write_tmp(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_jpeg_preview_is_shrunk_to_its_longest_side_and_never_enlarged() {
        let wide = DynamicImage::ImageRgb8(RgbImage::from_pixel(1200, 600, Rgb([200, 40, 40])));
        let f = write_tmp(&encode(&wide, ImageFormat::Png));
        let jpeg = jpeg_preview(f.path(), 480).unwrap();
        let back = image::load_from_memory_with_format(&jpeg, ImageFormat::Jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (480, 240));
        let px = back.to_rgb8().get_pixel(10, 10).0;
        assert!(px[0] > 180 && px[1] < 70, "colour kept: {px:?}");

        let small = DynamicImage::ImageRgb8(RgbImage::from_pixel(64, 32, Rgb([0, 0, 0])));
        let f = write_tmp(&encode(&small, ImageFormat::Png));
        let back = image::load_from_memory(&jpeg_preview(f.path(), 480).unwrap()).unwrap();
        assert_eq!((back.width(), back.height()), (64, 32));

        let f = write_tmp(b"not an image at all");
        assert!(matches!(
            jpeg_preview(f.path(), 480),
            Err(MediaError::NotAnImage)
        ));
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }

    /// A valid PNG header declaring `w`×`h` RGBA pixels, with a tiny zlib stream of zeros.
    fn bomb_png(w: u32, h: u32) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        chunk(&mut out, b"IHDR", &ihdr);
        // zlib: a stored empty block is enough; the decoder must refuse before reading it.
        chunk(
            &mut out,
            b"IDAT",
            &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        );
        chunk(&mut out, b"IEND", &[]);
        out
    }

    #[test]
    fn crc_matches_a_known_vector() {
        // The CRC of "IEND" with no data is the constant every PNG ends with.
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
    }

    #[test]
    fn png_and_jpeg_are_probed_with_a_small_png_thumbnail() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(600, 300, |x, _| {
            Rgb([(x % 256) as u8, 10, 200])
        }));
        for (format, mime) in [
            (ImageFormat::Png, "image/png"),
            (ImageFormat::Jpeg, "image/jpeg"),
        ] {
            let f = write_tmp(&encode(&img, format));
            let info = probe_and_thumbnail(f.path()).unwrap();
            assert_eq!((info.width, info.height, info.mime), (600, 300, mime));
            let thumb = image::load_from_memory(&info.thumbnail_png).unwrap();
            assert_eq!(
                image::guess_format(&info.thumbnail_png).unwrap(),
                ImageFormat::Png
            );
            assert_eq!((thumb.width(), thumb.height()), (256, 128));
        }
    }

    #[test]
    fn small_images_are_not_upscaled() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(20, 10, Rgb([1, 2, 3])));
        let f = write_tmp(&encode(&img, ImageFormat::Png));
        let info = probe_and_thumbnail(f.path()).unwrap();
        let thumb = image::load_from_memory(&info.thumbnail_png).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (20, 10));
    }

    #[test]
    fn decompression_bombs_are_refused() {
        let f = write_tmp(&bomb_png(100_000, 100_000));
        match probe_and_thumbnail(f.path()) {
            Err(MediaError::TooLarge { width, height }) => {
                assert_eq!((width, height), (100_000, 100_000))
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
        // Within the side limit but over the allocation limit (16384² RGBA = 1 GiB).
        let f = write_tmp(&bomb_png(16_384, 16_384));
        let err = probe_and_thumbnail(f.path()).unwrap_err();
        assert!(
            matches!(err, MediaError::Limits(_) | MediaError::Corrupt(_)),
            "{err:?}"
        );
        assert!(err.is_client_error());
    }

    #[test]
    fn non_images_and_truncated_images_are_client_errors() {
        let f = write_tmp(b"just some text, definitely not a picture");
        assert!(matches!(
            probe_and_thumbnail(f.path()),
            Err(MediaError::NotAnImage)
        ));
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(64, 64, Rgb([9, 9, 9])));
        let png = encode(&img, ImageFormat::Png);
        let f = write_tmp(&png[..png.len() / 2]);
        let err = probe_and_thumbnail(f.path()).unwrap_err();
        assert!(err.is_client_error(), "{err:?}");
    }

    #[test]
    fn sniffing_ignores_names_for_binaries_and_never_says_html() {
        assert_eq!(sniff_mime(b"\x89PNG\r\n\x1a\n....", "x.txt"), "image/png");
        assert_eq!(sniff_mime(b"\0\0\0\x18ftypisom", "clip.bin"), "video/mp4");
        assert_eq!(sniff_mime(b"ID3\x04", "a"), "audio/mpeg");
        assert_eq!(
            sniff_mime("第1集".as_bytes(), "剧本.TXT"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            sniff_mime(b"<html><script>", "x.html"),
            "application/octet-stream"
        );
    }

    #[test]
    fn palette_is_deterministic_and_finds_the_dominant_colours() {
        // Three quarters red, one quarter blue.
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(100, 100, |x, _| {
            if x < 75 {
                Rgb([255, 0, 0])
            } else {
                Rgb([0, 0, 255])
            }
        }));
        let f = write_tmp(&encode(&img, ImageFormat::Png));
        let a = palette(f.path()).unwrap();
        let b = palette(f.path()).unwrap();
        assert_eq!(a, b);
        assert!(!a.is_empty() && a.len() <= PALETTE_SIZE, "{a:?}");
        assert_eq!(a[0], "#ff0000", "{a:?}");
        assert!(a.contains(&"#0000ff".to_string()), "{a:?}");
    }

    #[test]
    fn median_cut_gives_n_colours_for_varied_input() {
        let pixels: Vec<[u8; 3]> = (0..=255u8).map(|v| [v, 255 - v, v / 2]).collect();
        assert_eq!(median_cut(pixels, 5).len(), 5);
        assert!(median_cut(Vec::new(), 5).is_empty());
    }
}
