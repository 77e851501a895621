//! Bounding text that came from elsewhere (fal's messages, catalog descriptions, caller input)
//! before it goes into an answer or a log.

/// `text` cut to at most `max` characters, with `…` where it was cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", text[..at].trim_end()),
        None => text.to_string(),
    }
}

/// A bounded, printable echo of caller input for error messages: 80 characters, escaped.
pub(crate) fn shown(text: &str) -> String {
    text.chars().take(80).flat_map(char::escape_default).collect()
}

#[cfg(test)]
mod tests {
    use super::{clip, shown};

    #[test]
    fn clips_on_characters_and_escapes_echoes() {
        assert_eq!(clip("héllo wörld", 6), "héllo…");
        assert_eq!(clip("short", 10), "short");
        assert_eq!(shown("a\nb"), "a\\nb");
        assert_eq!(shown(&"x".repeat(200)).len(), 80);
    }
}
