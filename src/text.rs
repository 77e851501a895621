//! Bounding text that came from elsewhere (fal's messages, catalog descriptions, caller input)
//! before it goes into an answer or a log.

/// `text` cut to at most `max` characters, with `…` where it was cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", text[..at].trim_end()),
        None => text.to_string(),
    }
}

/// The candidates a caller most likely meant by `word` (a misspelled field or model id), nearest
/// first: at most `count`, each within a third of `word`'s length in edits (at least one edit),
/// compared without case.
pub(crate) fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>, count: usize) -> Vec<&'a str> {
    let word = word.to_lowercase();
    let reach = (word.chars().count() / 3).max(1);
    let mut close: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&word, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= reach && !c.eq_ignore_ascii_case(&word))
        .collect();
    close.sort();
    close.dedup_by(|a, b| a.1 == b.1);
    close.into_iter().take(count).map(|(_, c)| c).collect()
}

/// A size as people write it: 512 bytes, 64 KB, 10 MB, 1.5 GB (binary multiples, as the limits are).
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 3] = ["KB", "MB", "GB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let shown = if value.fract() < 0.05 || value >= 100.0 { format!("{value:.0}") } else { format!("{value:.1}") };
    format!("{shown} {}", UNITS[unit])
}

/// A bounded, printable echo of caller input for error messages: 80 characters, escaped.
pub(crate) fn shown(text: &str) -> String {
    text.chars().take(80).flat_map(char::escape_default).collect()
}

/// Text made safe for HTML text and attribute values.
pub(crate) fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{bytes, clip, nearest, shown};

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(bytes(512), "512 bytes");
        assert_eq!(bytes(64 * 1024), "64 KB");
        assert_eq!(bytes(10_485_760), "10 MB");
        assert_eq!(bytes(100 * 1024 * 1024), "100 MB");
        assert_eq!(bytes(1536 * 1024 * 1024), "1.5 GB");
    }

    #[test]
    fn nearest_finds_misspellings_and_nothing_far() {
        let fields = ["num_images", "image_size", "prompt", "seed", "guidance_scale"];
        assert_eq!(nearest("num_image", fields, 3), ["num_images"]);
        assert_eq!(nearest("Prompt", fields, 3), Vec::<&str>::new(), "the same word is no suggestion");
        assert_eq!(nearest("promt", fields, 3), ["prompt"]);
        assert!(nearest("aspect_ratio", fields, 3).is_empty());
        let ids = ["fal-ai/flux/dev", "fal-ai/flux/schnell", "fal-ai/flux-pro"];
        assert_eq!(nearest("fal-ai/flux/dvv", ids, 3)[0], "fal-ai/flux/dev");
    }

    #[test]
    fn clips_on_characters_and_escapes_echoes() {
        assert_eq!(clip("héllo wörld", 6), "héllo…");
        assert_eq!(clip("short", 10), "short");
        assert_eq!(shown("a\nb"), "a\\nb");
        assert_eq!(shown(&"x".repeat(200)).len(), 80);
    }
}
