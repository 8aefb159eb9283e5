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

/// Largest `.docx` accepted: room for pictures and styles around the text.
pub const MAX_DOCX_BYTES: usize = 32 * 1024 * 1024;
/// Largest `word/document.xml` read: markup is many times the text, and a zip can inflate a small
/// file into a huge one.
const MAX_DOCUMENT_XML_BYTES: u64 = 64 * 1024 * 1024;

/// Whether the bytes start like a zip archive (a `.docx` is one).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

fn docx_error(message: impl Into<String>) -> ScriptError {
    ScriptError::Docx(message.into())
}

/// The text of a Word `.docx` (Office Open XML): the paragraphs of `word/document.xml`, one per line,
/// with tabs and line breaks kept, then the same checks as a text upload (empty, too large, binary).
/// Deleted text of tracked changes and field codes are left out; tables give one line per cell
/// paragraph. A file that is not a zip, has no `word/document.xml` or holds bad XML is
/// [`ScriptError::Docx`], naming what is wrong.
#[tracing::instrument(skip_all, fields(bytes = bytes.len()))]
pub fn decode_docx(bytes: &[u8]) -> Result<String, ScriptError> {
    use std::io::Read;

    if bytes.len() > MAX_DOCX_BYTES {
        return Err(ScriptError::TooLarge {
            size: bytes.len(),
            limit: MAX_DOCX_BYTES,
        });
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| docx_error(format!("it is not a zip archive ({e})")))?;
    let mut part = archive.by_name("word/document.xml").map_err(|e| match e {
        zip::result::ZipError::FileNotFound => {
            docx_error("it has no word/document.xml (is it a Word document?)")
        }
        other => docx_error(format!("word/document.xml cannot be opened ({other})")),
    })?;
    let mut xml = Vec::new();
    part.by_ref()
        .take(MAX_DOCUMENT_XML_BYTES + 1)
        .read_to_end(&mut xml)
        .map_err(|e| docx_error(format!("word/document.xml cannot be read ({e})")))?;
    if xml.len() as u64 > MAX_DOCUMENT_XML_BYTES {
        return Err(docx_error(format!(
            "word/document.xml is larger than {MAX_DOCUMENT_XML_BYTES} bytes"
        )));
    }
    let xml =
        std::str::from_utf8(&xml).map_err(|_| docx_error("word/document.xml is not UTF-8"))?;
    let text = document_text(xml)?;
    if text.len() > MAX_SCRIPT_BYTES {
        return Err(ScriptError::TooLarge {
            size: text.len(),
            limit: MAX_SCRIPT_BYTES,
        });
    }
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\t' | '\n'))
        .count();
    if controls.saturating_mul(10) > text.chars().count() {
        return Err(ScriptError::Binary);
    }
    if text.trim().is_empty() {
        return Err(ScriptError::Empty);
    }
    Ok(text)
}

/// Paragraph text of WordprocessingML: `w:t` runs joined, `w:tab` as a tab, `w:br`/`w:cr` as a line
/// break, one line per `w:p` (a text box's paragraphs come before the one holding it; the
/// `mc:Fallback` copy of a drawing is skipped so its text is not read twice).
fn document_text(xml: &str) -> Result<String, ScriptError> {
    use quick_xml::events::Event;

    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = String::new();
    // Open paragraphs, innermost last.
    let mut paragraphs: Vec<String> = Vec::new();
    let mut in_text = false;
    let mut fallback_depth = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| {
            docx_error(format!(
                "word/document.xml is not valid XML at byte {} ({e})",
                reader.error_position()
            ))
        })?;
        if fallback_depth > 0 {
            match event {
                Event::Start(e) if e.local_name().as_ref() == "Fallback" => fallback_depth += 1,
                Event::End(e) if e.local_name().as_ref() == "Fallback" => fallback_depth -= 1,
                Event::Eof => break,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "p" => paragraphs.push(String::new()),
                "t" => in_text = true,
                "Fallback" => fallback_depth = 1,
                _ => {}
            },
            Event::Empty(e) => match (e.local_name().as_ref(), paragraphs.last_mut()) {
                ("tab", Some(p)) => p.push('\t'),
                ("br" | "cr", Some(p)) => p.push('\n'),
                // An empty paragraph is a blank line: scene breaks are often written that way.
                ("p", _) => out.push('\n'),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "p" => {
                    let p = paragraphs.pop().unwrap_or_default();
                    out.push_str(p.trim_end_matches([' ', '\t']));
                    out.push('\n');
                }
                "t" => in_text = false,
                _ => {}
            },
            Event::Text(t) if in_text => {
                if let Some(p) = paragraphs.last_mut() {
                    p.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) if in_text => {
                if let Some(p) = paragraphs.last_mut() {
                    p.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) if in_text => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    Ok(None) => match &*r {
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "amp" => Some('&'),
                        "apos" => Some('\''),
                        "quot" => Some('"'),
                        _ => None,
                    },
                    Err(_) => None,
                };
                let Some(c) = c else {
                    return Err(docx_error(format!(
                        "word/document.xml has an unknown entity &{};",
                        &*r
                    )));
                };
                if let Some(p) = paragraphs.last_mut() {
                    p.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}
