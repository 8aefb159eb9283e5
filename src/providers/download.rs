//! Fetching what a provider made (an image URL, a task's video), with a size limit, a type check and
//! the call's cancel and timeout; and [`check_image`], so an answer that is not an image is a clear
//! error rather than a broken asset.

use std::io::Cursor;

use http::StatusCode;

use super::{
    http_error_to_provider_error,
    remote::{bounded, excerpt, reqwest_error},
    CallContext, ProviderError,
};

/// The largest image we accept from a provider.
pub const MAX_IMAGE_BYTES: u64 = 32 * 1024 * 1024;
/// The largest video clip we accept from a provider.
pub const MAX_VIDEO_BYTES: u64 = 512 * 1024 * 1024;
/// The largest audio file we accept from a provider.
pub const MAX_AUDIO_BYTES: u64 = 64 * 1024 * 1024;

/// How much of an error answer we read to quote it.
const ERROR_BODY_BYTES: u64 = 16 * 1024;

/// GETs `url` and returns its body and MIME type. Fails clearly when the answer is an error status
/// (mapped like any upstream answer), says it is longer than `max_bytes` or turns out to be,
/// or has a `Content-Type` that starts with none of `accept` (e.g. `["image/"]`; empty accepts
/// anything; a missing type is let through for the caller to check the bytes). Bounded by
/// `ctx.timeout` and stopped at once by `ctx.cancel`.
pub async fn download(
    client: &reqwest::Client,
    url: &str,
    max_bytes: u64,
    accept: &[&str],
    ctx: &CallContext,
) -> Result<(Vec<u8>, String), ProviderError> {
    bounded(ctx, "the download", async {
        let response = client
            .get(url)
            .timeout(ctx.timeout)
            .send()
            .await
            .map_err(reqwest_error)?;
        read_body(response, max_bytes, accept, "the download").await
    })
    .await
}

/// Reads an answer's body under the same rules as [`download`] (an error status is mapped with
/// [`http_error_to_provider_error`]). `what` names the body in messages.
pub(super) async fn read_body(
    mut response: reqwest::Response,
    max_bytes: u64,
    accept: &[&str],
    what: &str,
) -> Result<(Vec<u8>, String), ProviderError> {
    let status = response.status();
    if !status.is_success() {
        let headers = response.headers().clone();
        let (bytes, _) = read_limited(&mut response, ERROR_BODY_BYTES).await?;
        return Err(http_error_to_provider_error(
            status,
            &headers,
            &String::from_utf8_lossy(&bytes),
        ));
    }
    let mime = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|v| !v.is_empty());
    if let Some(mime) = &mime {
        if !accept.is_empty() && !accept.iter().any(|a| mime.starts_with(a)) {
            let (start, _) = read_limited(&mut response, 512).await.unwrap_or_default();
            return Err(ProviderError::upstream(
                status.as_u16(),
                format!(
                    "{what} is {mime}, not {}; it begins {}",
                    accept.join(" or "),
                    excerpt(&String::from_utf8_lossy(&start))
                ),
            ));
        }
    }
    if let Some(len) = response.content_length() {
        if len > max_bytes {
            return Err(too_big(status, what, Some(len), max_bytes));
        }
    }
    let (bytes, over) = read_limited(&mut response, max_bytes).await?;
    if over {
        return Err(too_big(status, what, None, max_bytes));
    }
    let mime = mime.unwrap_or_else(|| "application/octet-stream".into());
    Ok((bytes, mime))
}

fn too_big(status: StatusCode, what: &str, len: Option<u64>, max: u64) -> ProviderError {
    let size = match len {
        Some(len) => format!("{len} bytes"),
        None => "longer".into(),
    };
    ProviderError::upstream(
        status.as_u16(),
        format!("{what} is {size}, over the limit of {max} bytes"),
    )
}

/// Reads at most `max` bytes; the flag says the body had more (and was not read further).
async fn read_limited(
    response: &mut reqwest::Response,
    max: u64,
) -> Result<(Vec<u8>, bool), ProviderError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(reqwest_error)? {
        if bytes.len() as u64 + chunk.len() as u64 > max {
            let room = (max as usize).saturating_sub(bytes.len());
            bytes.extend_from_slice(&chunk[..room.min(chunk.len())]);
            return Ok((bytes, true));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((bytes, false))
}

/// Decodes `bytes` as an image (PNG, JPEG, WebP or GIF) and returns its width, height and MIME
/// type from what the bytes are (not what a header said). Anything else is a clear, non-retryable
/// error. CPU-bound: call it from `spawn_blocking` for large images.
pub fn check_image(bytes: &[u8]) -> Result<(u32, u32, String), ProviderError> {
    let not_image = |detail: String| {
        ProviderError::upstream(
            StatusCode::OK.as_u16(),
            format!("the image does not decode: {detail}"),
        )
    };
    if bytes.is_empty() {
        return Err(not_image("it is empty".into()));
    }
    let format = image::guess_format(bytes).map_err(|_| {
        not_image(format!(
            "not PNG, JPEG, WebP or GIF; it begins {}",
            excerpt(&String::from_utf8_lossy(&bytes[..bytes.len().min(64)]))
        ))
    })?;
    let reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let decoded = reader.decode().map_err(|e| not_image(e.to_string()))?;
    Ok((
        decoded.width(),
        decoded.height(),
        format.to_mime_type().to_owned(),
    ))
}

/// The MIME type of a video container from its first bytes (MP4/MOV, WebM/Matroska, animated GIF
/// or WebP), or a clear error for anything else (an HTML page, a JSON error, nothing).
pub(super) fn check_video(bytes: &[u8]) -> Result<&'static str, ProviderError> {
    let mime = if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        if &bytes[8..10] == b"qt" {
            Some("video/quicktime")
        } else {
            Some("video/mp4")
        }
    } else if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("video/webm")
    } else if bytes.starts_with(b"GIF8") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    };
    mime.ok_or_else(|| {
        ProviderError::upstream(
            StatusCode::OK.as_u16(),
            format!(
                "the video is not MP4, WebM, GIF or WebP; it begins {}",
                excerpt(&String::from_utf8_lossy(&bytes[..bytes.len().min(64)]))
            ),
        )
    })
}

/// [`check_image`] off the async threads.
pub(super) async fn check_image_blocking(
    bytes: Vec<u8>,
) -> Result<(Vec<u8>, u32, u32, String), ProviderError> {
    tokio::task::spawn_blocking(move || {
        let (w, h, mime) = check_image(&bytes)?;
        Ok((bytes, w, h, mime))
    })
    .await
    .map_err(|e| ProviderError::unavailable(format!("image check failed: {e}"), false))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 10, 10]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn check_image_reads_sizes_and_refuses_junk() {
        assert_eq!(check_image(&png(3, 2)).unwrap(), (3, 2, "image/png".into()));
        let e = check_image(b"<html>not found</html>").unwrap_err();
        assert!(e.message.contains("does not decode"), "{}", e.message);
        assert!(!e.retryable());
        let mut cut = png(64, 64);
        cut.truncate(cut.len() / 2);
        assert!(
            check_image(&cut).is_err(),
            "a truncated PNG is not an image"
        );
        assert!(check_image(&[]).is_err());
    }

    #[test]
    fn check_video_sniffs_containers() {
        let mut mp4 = vec![0, 0, 0, 0x18];
        mp4.extend_from_slice(b"ftypisom\0\0\0\0");
        assert_eq!(check_video(&mp4).unwrap(), "video/mp4");
        assert_eq!(
            check_video(&[0x1A, 0x45, 0xDF, 0xA3, 1]).unwrap(),
            "video/webm"
        );
        assert_eq!(check_video(b"GIF89a....").unwrap(), "image/gif");
        let e = check_video(b"<html>expired</html>").unwrap_err();
        assert!(e.message.contains("not MP4"), "{}", e.message);
    }
}
