//! The prompt body language, kept deliberately small: `{{ name }}` placeholders (whitespace inside
//! the braces allowed) and `\{{` for a literal `{{`. No conditionals or loops.
//!
//! Everything here is pure and total: any string parses (mistakes become syntax errors and stay as
//! literal text) and rendering never panics, so a stored body can always be rendered.
use std::collections::BTreeMap;

use serde_json::Value;

/// A piece of a parsed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    /// A placeholder: the variable's name and the source text (`{{ name }}`) it came from.
    Var {
        name: &'a str,
        raw: &'a str,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub pieces: Vec<Piece<'a>>,
    /// Human-readable syntax problems (at most [`MAX_SYNTAX_ERRORS`]); their text stays literal.
    pub errors: Vec<String>,
}

/// Enough to fix a body; a body full of stray braces should not produce a megabyte of errors.
pub const MAX_SYNTAX_ERRORS: usize = 10;

/// `[A-Za-z_][A-Za-z0-9_]*`, the only variable names a body can refer to.
pub fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn line_of(body: &str, byte: usize) -> usize {
    body.as_bytes()[..byte]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn snippet(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_string(),
    }
}

fn push_text<'a>(pieces: &mut Vec<Piece<'a>>, s: &'a str) {
    if !s.is_empty() {
        pieces.push(Piece::Text(s));
    }
}

/// Splits a body into text and placeholders. Linear in the body's length.
pub fn parse(body: &str) -> Parsed<'_> {
    let b = body.as_bytes();
    let mut errors = Vec::new();
    // Messages are built only while under the cap: building one is linear in the body.
    let mut error = |msg: &dyn Fn() -> String| {
        if errors.len() < MAX_SYNTAX_ERRORS {
            errors.push(msg());
        }
    };
    let mut pieces = Vec::new();
    // The first `}}` at or after some position; searches only move forward, so it is reused
    // until passed, and once none is found none ever will be (keeps stray `{{` runs linear).
    let mut next_close: Option<usize> = None;
    let mut closes_left = true;
    let (mut i, mut text_start) = (0, 0);
    while i < b.len() {
        // All delimiters are ASCII, so every index sliced at below is a char boundary.
        if b[i] == b'\\' && b[i + 1..].starts_with(b"{{") {
            push_text(&mut pieces, &body[text_start..i]);
            pieces.push(Piece::Text(&body[i + 1..i + 3]));
            i += 3;
            text_start = i;
            continue;
        }
        if !b[i..].starts_with(b"{{") {
            i += 1;
            continue;
        }
        // In a run like `{{{name}}}` the last two braces open the placeholder; the rest are text.
        let mut open = i;
        while b.get(open + 2) == Some(&b'{') {
            open += 1;
        }
        let from = open + 2;
        if closes_left && next_close.is_none_or(|c| c < from) {
            next_close = b[from..]
                .windows(2)
                .position(|w| w == b"}}")
                .map(|p| p + from);
            closes_left = next_close.is_some();
        }
        let Some(close) = next_close.filter(|_| closes_left) else {
            error(&|| {
                format!(
                    "`{{{{` on line {} is never closed by `}}}}` (write `\\{{{{` for a literal `{{{{`)",
                    line_of(body, open)
                )
            });
            // Keep it as text; escapes after it still count.
            i = from;
            continue;
        };
        let name = body[from..close].trim();
        if is_identifier(name) {
            push_text(&mut pieces, &body[text_start..open]);
            pieces.push(Piece::Var {
                name,
                raw: &body[open..close + 2],
            });
            i = close + 2;
            text_start = i;
        } else {
            error(&|| {
                format!(
                    "`{}` on line {} is not a placeholder: a name is letters, digits and `_`, \
                     not starting with a digit (write `\\{{{{` for a literal `{{{{`)",
                    snippet(&body[open..close + 2]),
                    line_of(body, open)
                )
            });
            // Keep it as text and look for placeholders inside it.
            i = from;
        }
    }
    push_text(&mut pieces, &body[text_start..]);
    Parsed { pieces, errors }
}

impl<'a> Parsed<'a> {
    /// Each placeholder name once, in order of first use.
    pub fn names(&self) -> Vec<&'a str> {
        let mut seen = Vec::new();
        for p in &self.pieces {
            if let Piece::Var { name, .. } = p {
                if !seen.contains(name) {
                    seen.push(*name);
                }
            }
        }
        seen
    }
}

/// How a value appears in a rendered prompt: strings as they are, booleans `true`/`false`, whole
/// numbers without `.0`, lists joined with ", ", null as nothing.
pub fn format_value(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                // Rust's Display never prints a trailing `.0` or an exponent.
                n.as_f64().map(|f| f.to_string()).unwrap_or_default()
            }
        }
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                // Type checks allow only scalars in lists; anything else is shown as JSON.
                Value::Array(_) | Value::Object(_) => item.to_string(),
                scalar => format_value(scalar),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(_) => v.to_string(),
    }
}

/// Renders a body. A placeholder without a value stays as written; callers check variables first.
pub fn render(body: &str, values: &BTreeMap<String, Value>) -> String {
    let mut out = String::with_capacity(body.len());
    for piece in parse(body).pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var { name, raw } => match values.get(name) {
                Some(v) => out.push_str(&format_value(v)),
                None => out.push_str(raw),
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn vals(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn render_table() {
        let values = vals(json!({
            "name": "林晓", "n": 3, "f": 2.5, "whole": 4.0, "neg": -7, "big": 18446744073709551615u64,
            "yes": true, "no": false, "tags": ["雨夜", 2, true, 1.5], "empty": [], "none": null,
        }));
        let cases: &[(&str, &str)] = &[
            ("plain text", "plain text"),
            ("", ""),
            ("Hi {{name}}!", "Hi 林晓!"),
            ("Hi {{ name }}!", "Hi 林晓!"),
            ("Hi {{\tname\n}}!", "Hi 林晓!"),
            ("{{n}}/{{f}}/{{whole}}/{{neg}}", "3/2.5/4/-7"),
            ("{{big}}", "18446744073709551615"),
            ("{{yes}} {{no}}", "true false"),
            ("[{{tags}}]", "[雨夜, 2, true, 1.5]"),
            ("[{{empty}}]", "[]"),
            ("[{{none}}]", "[]"),
            ("{{name}}{{name}}", "林晓林晓"),
            (r"\{{name}}", "{{name}}"),
            (r"a \{{ b", "a {{ b"),
            (r"\\{{name}}", r"\{{name}}"),
            (r"C:\path {{n}}", r"C:\path 3"),
            ("{{{name}}}", "{林晓}"),
            ("{{{{n}}}}", "{{3}}"),
            ("}} {{n}} }}", "}} 3 }}"),
            ("{{missing}}", "{{missing}}"),
            ("{{ not valid }} {{n}}", "{{ not valid }} 3"),
            ("{{1abc}}", "{{1abc}}"),
            ("{{}}", "{{}}"),
            ("tail {{", "tail {{"),
            ("tail {{n", "tail {{n"),
            ("{single} {n}", "{single} {n}"),
        ];
        for (body, want) in cases {
            assert_eq!(render(body, &values), *want, "body {body:?}");
        }
    }

    #[test]
    fn syntax_errors_name_the_problem_and_line() {
        let cases: &[(&str, usize, &str)] = &[
            ("fine {{a}} \\{{ b", 0, ""),
            ("x\n{{ a b }}", 1, "`{{ a b }}` on line 2"),
            ("{{}}", 1, "`{{}}` on line 1"),
            ("{{1x}}", 1, "is not a placeholder"),
            ("ok\n\n{{a", 1, "`{{` on line 3 is never closed"),
            ("{{a}} {{", 1, "never closed"),
        ];
        for (body, count, needle) in cases {
            let p = parse(body);
            assert_eq!(p.errors.len(), *count, "{body:?}: {:?}", p.errors);
            if *count > 0 {
                assert!(p.errors[0].contains(needle), "{body:?}: {:?}", p.errors);
            }
        }
        let many = "{{ x y }} ".repeat(50);
        assert_eq!(parse(&many).errors.len(), MAX_SYNTAX_ERRORS);
    }

    #[test]
    fn names_are_unique_in_order_of_use() {
        let p = parse("{{b}} {{ a }} {{b}} \\{{c}} {{d}}");
        assert_eq!(p.names(), ["b", "a", "d"]);
        assert!(p.errors.is_empty());
    }

    #[test]
    fn identifiers() {
        for ok in ["a", "_", "_x1", "Name_2", "ABC"] {
            assert!(is_identifier(ok), "{ok}");
        }
        for bad in ["", "1a", "a-b", "a b", "名字", "a.b", "$a"] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }

    #[test]
    fn stray_openers_stay_linear() {
        // Quadratic scanning would take seconds here; this must stay instant in debug builds.
        let body = "{{ ".repeat(40_000) + "}}";
        let p = parse(&body);
        assert_eq!(p.errors.len(), MAX_SYNTAX_ERRORS);
        assert_eq!(render(&body, &BTreeMap::new()), body);
    }

    fn brace_heavy() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("{{".to_string()),
                Just("}}".to_string()),
                Just("{".to_string()),
                Just("}".to_string()),
                Just("\\".to_string()),
                Just(" ".to_string()),
                "[a-z_0-9]{1,3}",
                any::<char>().prop_map(String::from),
            ],
            0..40,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn rendering_never_panics(body in any::<String>(), tricky in brace_heavy()) {
            let values = vals(json!({"a": "x", "b": [1, "y"], "c": 1.5}));
            let _ = render(&body, &values);
            let _ = render(&tricky, &values);
            let _ = parse(&tricky).names();
        }

        #[test]
        fn text_without_braces_or_backslashes_renders_as_is(body in "[^{\\\\]*") {
            prop_assert_eq!(render(&body, &BTreeMap::new()), body);
        }

        #[test]
        fn unknown_placeholders_round_trip(body in brace_heavy()) {
            // With no values every piece renders as its own source, except escapes drop the `\`.
            let p = parse(&body);
            let rebuilt: String = p.pieces.iter().map(|piece| match piece {
                Piece::Text(t) => *t,
                Piece::Var { raw, .. } => *raw,
            }).collect();
            prop_assert_eq!(rebuilt, body.replace("\\{{", "{{"));
        }
    }
}
