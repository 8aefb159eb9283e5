//! Bytes → script text: UTF-8 (BOM stripped), else GB18030, with binary files refused.

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE};

use super::{text::normalise_newlines, ScriptError, MAX_SCRIPT_BYTES};

/// Control bytes other than tab, LF, CR and form feed.
fn is_control_byte(b: u8) -> bool {
    matches!(b, 0x01..=0x08 | 0x0B | 0x0E..=0x1F | 0x7F)
}

fn decode_strict(encoding: &'static Encoding, bytes: &[u8]) -> Result<String, ScriptError> {
    encoding
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|s| s.into_owned())
        .ok_or(ScriptError::Encoding)
}

/// Decodes an uploaded script: UTF-8 (a BOM is stripped), UTF-16 when it carries a BOM (what
/// Windows Notepad calls "Unicode"), otherwise GB18030 when the bytes decode without errors.
/// Files with NUL bytes or more than 10% control characters are refused as binary. Line endings
/// come back as `\n`.
pub fn decode_script(bytes: &[u8]) -> Result<String, ScriptError> {
    decode_script_detected(bytes).map(|(text, _)| text)
}

/// [`decode_script`], also naming the encoding it found: `utf-8`, `utf-16le`, `utf-16be` or `gb18030`.
#[tracing::instrument(skip_all, fields(bytes = bytes.len()))]
pub fn decode_script_detected(bytes: &[u8]) -> Result<(String, &'static str), ScriptError> {
    if bytes.len() > MAX_SCRIPT_BYTES {
        return Err(ScriptError::TooLarge {
            size: bytes.len(),
            limit: MAX_SCRIPT_BYTES,
        });
    }
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        check_bytes(rest)?;
        let text = std::str::from_utf8(rest).map_err(|_| ScriptError::Encoding)?;
        (text.to_owned(), "utf-8")
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        (decode_strict(UTF_16LE, rest)?, "utf-16le")
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        (decode_strict(UTF_16BE, rest)?, "utf-16be")
    } else {
        check_bytes(bytes)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_owned(), "utf-8"),
            Err(_) => (decode_strict(GB18030, bytes)?, "gb18030"),
        }
    };
    // UTF-16 only reveals NULs and control characters once decoded.
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C'))
        .count();
    if text.contains('\0') || controls.saturating_mul(10) > text.chars().count() {
        return Err(ScriptError::Binary);
    }
    let text = normalise_newlines(&text).into_owned();
    // GB18030 has its own byte-order mark, which decodes to U+FEFF.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    };
    if text.trim().is_empty() {
        return Err(ScriptError::Empty);
    }
    Ok((text, encoding))
}

/// Cheap checks on the raw bytes before any decoding.
fn check_bytes(bytes: &[u8]) -> Result<(), ScriptError> {
    if bytes.contains(&0) {
        return Err(ScriptError::Binary);
    }
    let controls = bytes.iter().filter(|b| is_control_byte(**b)).count();
    if controls.saturating_mul(10) > bytes.len() {
        return Err(ScriptError::Binary);
    }
    Ok(())
}
