//! Endpoint ids (`owner/alias[/path…]`), checked before they go anywhere near a fal URL.

use std::fmt;

const MAX_LEN: usize = 256;

/// A validated fal endpoint id such as `fal-ai/flux/dev`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EndpointId(String);

impl EndpointId {
    /// Accepts at least `owner/alias`; each segment is letters, digits, `.`, `_` or `-`;
    /// no `..`, at most 256 characters. The error says what is wrong in words a model can act on.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let id = raw;
        if id.is_empty() {
            return Err("endpoint_id is empty; pass an id like 'fal-ai/flux/dev'".into());
        }
        if id.len() > MAX_LEN {
            return Err(format!("endpoint_id is {} characters long; the limit is {MAX_LEN}", id.len()));
        }
        if id.contains("..") {
            return Err(format!("endpoint_id '{}' contains '..'", shown(id)));
        }
        if let Some(bad) = id.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))) {
            return Err(format!(
                "endpoint_id '{}' contains {bad:?}; only letters, digits, '.', '_', '-' and '/' between segments are allowed",
                shown(id)
            ));
        }
        let segments: Vec<&str> = id.split('/').collect();
        if segments.len() < 2 {
            return Err(format!(
                "endpoint_id '{}' has no owner; fal ids look like 'owner/alias' (e.g. 'fal-ai/flux/dev')",
                shown(id)
            ));
        }
        if segments.iter().any(|s| s.is_empty()) {
            return Err(format!("endpoint_id '{}' has an empty segment", shown(id)));
        }
        Ok(Self(id.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bounded, printable echo of caller input for error messages.
fn shown(id: &str) -> String {
    id.chars().take(80).flat_map(char::escape_default).collect()
}

#[cfg(test)]
mod tests {
    use super::EndpointId;

    #[test]
    fn accepts_real_ids() {
        for ok in [
            "fal-ai/flux/dev",
            "fal-ai/kling-video/v2.1/pro/image-to-video",
            "workflows/someone/my-flow",
            "comfy/owner/app",
            "owner_1/alias.v2",
        ] {
            assert_eq!(EndpointId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_hostile_or_malformed_ids() {
        for bad in [
            "",
            "flux",
            "fal-ai/",
            "/fal-ai/flux",
            "fal-ai//flux",
            "fal-ai/../admin",
            "fal-ai/flux..dev",
            "fal-ai/flux%2fdev",
            "fal-ai/flux?x=1",
            "fal-ai/flux#frag",
            "fal-ai\\flux",
            "fal-ai/fl ux",
            "fal-ai/flux\n",
            "fal-ai/flüx",
            "http://evil/x",
        ] {
            assert!(EndpointId::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("a/{}", "b".repeat(255));
        assert!(EndpointId::parse(&long).unwrap_err().contains("limit is 256"));
    }
}
