//! First pass: removes Fountain boneyard (`/* … */`) and notes (`[[ … ]]`), both of which may span
//! lines, and splits the text into numbered lines.

use std::borrow::Cow;

pub(crate) struct PreparedLine<'a> {
    /// 1-based line number in the original text, for warnings.
    pub number: usize,
    /// Borrowed unless something was cut out of the line.
    pub text: Cow<'a, str>,
}

pub(crate) struct Prepared<'a> {
    pub lines: Vec<PreparedLine<'a>>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Copy)]
enum Hidden {
    No,
    /// Inside `/* … */`, opened on this line.
    Boneyard(usize),
    /// Inside `[[ … ]]`, opened on this line.
    Note(usize),
}

/// `text` must already use `\n` line endings.
pub(crate) fn strip_hidden(text: &str) -> Prepared<'_> {
    let mut state = Hidden::No;
    let mut lines = Vec::new();
    for (idx, line) in text.split('\n').enumerate() {
        let number = idx + 1;
        let bytes = line.as_bytes();
        // Fast path: no marker can start on this line.
        if matches!(state, Hidden::No) && !bytes.contains(&b'/') && !bytes.contains(&b'[') {
            lines.push(PreparedLine {
                number,
                text: Cow::Borrowed(line),
            });
            continue;
        }
        let mut touched = !matches!(state, Hidden::No);
        let mut out = String::new();
        let mut seg_start = 0;
        let mut i = 0;
        // A byte scan: the markers are ASCII, so every cut lands on a char boundary.
        while i < bytes.len() {
            let pair = bytes.get(i..i + 2);
            match state {
                Hidden::No => match pair {
                    Some([b'/', b'*']) | Some([b'[', b'[']) => {
                        out.push_str(line.get(seg_start..i).unwrap_or(""));
                        state = if pair == Some(b"/*") {
                            Hidden::Boneyard(number)
                        } else {
                            Hidden::Note(number)
                        };
                        touched = true;
                        i += 2;
                    }
                    _ => i += 1,
                },
                Hidden::Boneyard(_) | Hidden::Note(_) => {
                    let close: &[u8] = if matches!(state, Hidden::Boneyard(_)) {
                        b"*/"
                    } else {
                        b"]]"
                    };
                    if pair == Some(close) {
                        state = Hidden::No;
                        i += 2;
                        seg_start = i;
                    } else {
                        i += 1;
                    }
                }
            }
        }
        if !touched {
            lines.push(PreparedLine {
                number,
                text: Cow::Borrowed(line),
            });
            continue;
        }
        if matches!(state, Hidden::No) {
            out.push_str(line.get(seg_start..).unwrap_or(""));
        }
        // A line that held only hidden text disappears, so it does not split a paragraph.
        if !out.trim().is_empty() {
            lines.push(PreparedLine {
                number,
                text: Cow::Owned(out),
            });
        }
    }
    let mut warnings = Vec::new();
    match state {
        Hidden::No => {}
        Hidden::Boneyard(line) => warnings.push(format!(
            "line {line}: boneyard `/*` is never closed with `*/`; the rest of the script was ignored"
        )),
        Hidden::Note(line) => warnings.push(format!(
            "line {line}: note `[[` is never closed with `]]`; the rest of the script was ignored"
        )),
    }
    Prepared { lines, warnings }
}
