//! Checks shared by every service for user-typed text: each failure names its field, and every
//! domain error converts from [`Invalid`] into its own `Invalid { field, message }`.

/// A field's value is not acceptable (becomes a 422 naming `field`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

/// A name: trimmed, not empty, at most `max` characters, no control characters.
pub fn name(field: &'static str, value: &str, max: usize) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid {
            field,
            message: format!("{field} must not be empty"),
        });
    }
    max_chars(field, value, max)?;
    if value.chars().any(char::is_control) {
        return Err(Invalid {
            field,
            message: format!("{field} must not contain control characters"),
        });
    }
    Ok(value.to_string())
}

/// At most `max` characters (not bytes: Chinese text counts per character).
pub fn max_chars(field: &'static str, value: &str, max: usize) -> Result<(), Invalid> {
    if value.chars().count() > max {
        return Err(Invalid {
            field,
            message: format!("{field} must be at most {max} characters"),
        });
    }
    Ok(())
}

/// Optional short text: trimmed; absent or blank is `None`.
pub fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, Invalid> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => {
            max_chars(field, v, max)?;
            Ok(Some(v.to_string()))
        }
    }
}

/// For `Option<Option<T>>` fields: absent is `None`, `null` is `Some(None)` (clear the value).
pub mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(name("name", "  林雪 ", 10).unwrap(), "林雪");
        assert_eq!(name("name", " ", 10).unwrap_err().field, "name");
        assert!(name("name", "一二三", 2)
            .unwrap_err()
            .message
            .contains("at most 2"));
        assert!(name("title", "a\u{7}b", 10)
            .unwrap_err()
            .message
            .contains("control"));
        assert_eq!(optional_text("voice", Some("  "), 5).unwrap(), None);
        assert_eq!(
            optional_text("voice", Some(" cmn "), 5).unwrap().as_deref(),
            Some("cmn")
        );
        assert_eq!(
            optional_text("voice", Some("toolong"), 5)
                .unwrap_err()
                .field,
            "voice"
        );
    }
}
