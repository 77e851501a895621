//! Endpoint ids (`owner/alias[/path…]`), checked before they go anywhere near a fal URL.

use std::fmt;

use crate::text::shown;

const MAX_LEN: usize = 256;

/// A validated fal endpoint id such as `fal-ai/flux/dev`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct EndpointId(String);

impl EndpointId {
    /// Accepts at least `owner/alias`; each segment is letters, digits, `.`, `_` or `-`;
    /// no `..`, at most 256 characters. The error says what is wrong in words a model can act on.
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
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

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The `[namespace/]owner/alias` part the queue's status, result and cancel routes use:
    /// the sub-path is dropped, the `workflows` and `comfy` namespaces are kept.
    pub(crate) fn app(&self) -> &str {
        let namespaced = matches!(self.0.split('/').next(), Some("workflows" | "comfy"));
        let keep = if namespaced { 3 } else { 2 };
        match self.0.match_indices('/').nth(keep - 1) {
            Some((at, _)) => &self.0[..at],
            None => &self.0,
        }
    }
}

/// A validated queue request id (letters, digits and `-`, at most 128 characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RequestId(String);

impl RequestId {
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("request_id is empty; pass the request_id submit_job or run_model returned".into());
        }
        if raw.len() > 128 {
            return Err(format!("request_id is {} characters long; the limit is 128", raw.len()));
        }
        if let Some(bad) = raw.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
            return Err(format!(
                "request_id '{}' contains {bad:?}; request ids are letters, digits and '-'",
                shown(raw)
            ));
        }
        Ok(Self(raw.to_string()))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{EndpointId, RequestId};

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
    fn app_drops_the_sub_path_and_keeps_namespaces() {
        for (id, app) in [
            ("fal-ai/flux/dev", "fal-ai/flux"),
            ("fal-ai/flux", "fal-ai/flux"),
            ("fal-ai/kling-video/v2.5-turbo/pro/image-to-video", "fal-ai/kling-video"),
            ("workflows/someone/my-flow", "workflows/someone/my-flow"),
            ("workflows/someone/my-flow/step", "workflows/someone/my-flow"),
            ("comfy/owner/app/extra/path", "comfy/owner/app"),
            ("workflows/x", "workflows/x"),
        ] {
            assert_eq!(EndpointId::parse(id).unwrap().app(), app, "{id}");
        }
    }

    #[test]
    fn request_ids_are_letters_digits_and_dashes() {
        assert!(RequestId::parse("6c1c0e9e-1234-4abc-9def-0123456789ab").is_ok());
        for bad in ["", "../x", "a/b", "a?b", "a b", "a%2f", "é", &"a".repeat(129)] {
            assert!(RequestId::parse(bad).is_err(), "{bad:?}");
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
