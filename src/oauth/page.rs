//! The sign-in page and the error page: plain HTML with inline CSS, no script, no external
//! asset, every caller-supplied string escaped, and headers that keep it out of frames, caches
//! and referrers.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use crate::text::html as escape;

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#f6f6f7;color:#1b1b1f}\
main{max-width:26rem;margin:8vh auto;background:#fff;border-radius:12px;padding:1.6rem 1.8rem;box-shadow:0 1px 4px #0002}\
h1{font-size:1.25rem;margin:0 0 .6rem}p{margin:.5rem 0}label{display:block;font-weight:600;margin:1rem 0 .3rem}\
input[type=password]{box-sizing:border-box;width:100%;padding:.55rem .6rem;border:1px solid #bbb;border-radius:8px;font:inherit}\
.row{display:flex;flex-direction:row-reverse;gap:.6rem;margin-top:1.2rem}button{flex:1;padding:.6rem;border-radius:8px;border:1px solid #bbb;background:#fff;font:inherit;cursor:pointer}\
button.go{background:#1b1b1f;color:#fff;border-color:#1b1b1f}.err{background:#fdecec;color:#8a1c1c;border-radius:8px;padding:.5rem .7rem}\
.muted{color:#666;font-size:.85rem}a{color:#3b5bdb}\
@media (prefers-color-scheme:dark){body{background:#141417;color:#e8e8ea}main{background:#1e1e22;box-shadow:none}\
input[type=password],button{background:#141417;color:#e8e8ea;border-color:#444}button.go{background:#e8e8ea;color:#141417}\
.err{background:#3b1f1f;color:#f4b4b4}.muted{color:#9a9aa2}a{color:#91a7ff}}";

/// What the sign-in page shows.
pub(super) struct SignIn<'a> {
    pub(super) client_name: &'a str,
    pub(super) server: &'a str,
    pub(super) form_token: &'a str,
    pub(super) problem: Option<&'a str>,
    /// The origin the form's redirect goes to, which CSP's form-action must allow.
    pub(super) redirect_origin: &'a str,
    /// Where the browser goes after Connect: the one thing a client cannot fake about itself.
    pub(super) redirect_host: &'a str,
}

/// Connect comes first in the form so that Enter in the key field connects (a browser submits with
/// the first button); the row is drawn reversed so Cancel still sits on the left.
pub(super) fn sign_in(page: &SignIn<'_>, status: StatusCode) -> Response {
    let problem =
        page.problem.map(|p| format!("<p class=\"err\" role=\"alert\">{}</p>", escape(p))).unwrap_or_default();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>Connect {client} to fal</title><style>{STYLE}</style></head><body><main>\
<h1>Connect {client} to fal</h1>\
<p><strong>{client}</strong> asks to use fal models through <strong>{server}</strong> on your behalf. \
Connecting sends you back to <strong>{redirect}</strong>.</p>\
<p>It can then run paid models and spend your fal balance until you revoke the key. Connect only if you started this from {client} and trust {redirect}.</p>\
{problem}\
<form method=\"post\" action=\"/authorize\">\
<input type=\"hidden\" name=\"request\" value=\"{token}\">\
<label for=\"key\">Your fal API key</label>\
<input id=\"key\" type=\"password\" name=\"fal_key\" autocomplete=\"off\" spellcheck=\"false\" placeholder=\"key_id:key_secret\">\
<p class=\"muted\">Create one at <a href=\"https://fal.ai/dashboard/keys\" target=\"_blank\" rel=\"noopener noreferrer\">fal.ai/dashboard/keys</a> \
with the <strong>API</strong> preset (run models and upload files). \
It is checked with fal once and then kept only inside the tokens {client} receives; this server stores nothing.</p>\
<div class=\"row\"><button class=\"go\" type=\"submit\" name=\"action\" value=\"connect\">Connect</button>\
<button type=\"submit\" name=\"action\" value=\"cancel\" formnovalidate>Cancel</button></div>\
</form></main></body></html>",
        client = escape(page.client_name),
        server = escape(page.server),
        redirect = escape(page.redirect_host),
        token = escape(page.form_token),
    );
    guarded(html, status, page.redirect_origin)
}

/// A request that cannot be sent back to the client safely: shown here, never redirected.
pub(super) fn problem(message: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>Cannot sign in</title><style>{STYLE}</style></head><body><main><h1>This sign-in cannot go on</h1>\
<p class=\"err\" role=\"alert\">{}</p><p class=\"muted\">Start again from the app you were connecting.</p></main></body></html>",
        escape(message)
    );
    guarded(html, StatusCode::BAD_REQUEST, "")
}

fn guarded(html: String, status: StatusCode, redirect_origin: &str) -> Response {
    // Browsers apply form-action to the redirect that follows the form's POST, so the client's
    // origin is allowed there beside this server's own.
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' {redirect_origin}; frame-ancestors 'none'; base-uri 'none'"
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(csp.trim()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_everything_a_client_could_inject() {
        assert_eq!(
            escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(escape("a\u{0}b\nc"), "abc");
    }
}
