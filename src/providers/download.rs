//! Checks on what an upstream sends back (placeholder until the adapters land).
use super::ProviderError;

/// Decodes `bytes` as an image: its size and mime type, or a clear error.
pub fn check_image(bytes: &[u8]) -> Result<(u32, u32, String), ProviderError> {
    let format = image::guess_format(bytes)
        .map_err(|_| ProviderError::upstream(200, "the answer is not an image"))?;
    let img = image::load_from_memory_with_format(bytes, format)
        .map_err(|e| ProviderError::upstream(200, format!("the image does not decode: {e}")))?;
    Ok((img.width(), img.height(), format.to_mime_type().to_string()))
}
