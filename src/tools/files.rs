//! upload_file: a public URL, inline data or a local file (through an upload ticket) onto fal's CDN.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use base64::Engine;
use rmcp::{
    RoleServer,
    model::{CallToolResult, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{FalMcp, args, failure::Failure, media::guess_content_type, output};
use crate::{
    fal::FalKey,
    fetch::{self, FetchError},
    text::shown,
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadFileArgs {
    /// A public http(s) URL to copy onto fal's CDN.
    pub(crate) url: Option<String>,
    /// The file as base64 or a data: URI (10 MiB unless the server allows more).
    pub(crate) data: Option<String>,
    /// e.g. "photo.png"; sets the content type if none is given.
    pub(crate) file_name: Option<String>,
    /// MIME type (default: from the URL or file_name).
    pub(crate) content_type: Option<String>,
    /// true: a signed upload ticket for a local file (the default without url or data).
    pub(crate) prepare_upload: Option<bool>,
    /// With prepare_upload: the file's size in bytes, checked first.
    pub(crate) file_size: Option<u64>,
}

/// The uploaded file, or a ticket to upload a local one.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub(crate) struct UploadOutput {
    /// The file's public URL on fal's CDN: pass it as a model input such as image_url.
    pub(crate) cdn_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) file_name: Option<String>,
    pub(crate) content_type: String,
    /// Bytes uploaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) size: Option<u64>,
    /// Ticket only: the signed URL to PUT the file to (no key needed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) upload_url: Option<String>,
    /// Ticket only: the exact command that uploads the local file, to run where the file is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) curl: Option<String>,
}

impl UploadOutput {
    fn uploaded(cdn_url: String, file_name: String, content_type: String, size: u64) -> Self {
        Self { cdn_url, file_name: Some(file_name), content_type, size: Some(size), ..Self::default() }
    }
}

#[tool_router(router = file_tools, vis = "pub(crate)")]
impl FalMcp {
    #[tool(
        name = "upload_file",
        title = "Upload a file to fal's CDN",
        description = "Put a file on fal's CDN and get a cdn_url to pass as a model input (image_url, audio_url…): \
from a public url, from data (small files), or for a local file a signed upload_url and its curl (prepare_upload).",
        input_schema = output::input::<UploadFileArgs>(),
        output_schema = output::schema::<UploadOutput>(),
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true)
    )]
    async fn upload_file(
        &self,
        arguments: JsonObject,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, Failure> {
        const ACTION: &str = "upload the file";
        let args: UploadFileArgs = args::parse(ACTION, arguments)?;
        let file_name = args
            .file_name
            .as_deref()
            .map(clean_name)
            .transpose()
            .map_err(|message| Failure::invalid(ACTION, message, "pass a plain file name such as photo.png"))?;
        if let Some(ct) = args.content_type.as_deref().filter(|ct| !valid_content_type(ct)) {
            return Err(Failure::invalid(
                ACTION,
                format!("content_type '{}' is not a MIME type", shown(ct)),
                "pass e.g. image/png",
            ));
        }
        let direct = args.url.is_some() || args.data.is_some();
        let ticket = args.prepare_upload.unwrap_or(!direct);
        match (ticket, direct) {
            (true, true) => {
                return Err(Failure::invalid(
                    ACTION,
                    "prepare_upload asks for a ticket, but url or data was given too",
                    "pass url or data to upload now, or prepare_upload without them for a local file",
                ));
            }
            (false, false) => {
                return Err(Failure::invalid(
                    ACTION,
                    "prepare_upload is false and neither url nor data was given",
                    "pass url or data, or prepare_upload true for a local file",
                ));
            }
            _ => {}
        }
        if let Some(size) = args.file_size {
            self.ticket_size(ticket, size)?;
        }
        let key = self.key(&ctx, ACTION)?;
        let answer = match (args.url, args.data) {
            (Some(_), Some(_)) => {
                return Err(Failure::invalid(ACTION, "both url and data were given", "pass one of them"));
            }
            (Some(url), None) => self.upload_url(&key, &url, file_name, args.content_type).await?,
            (None, Some(data)) => self.upload_data(&key, &data, file_name, args.content_type).await?,
            (None, None) => self.upload_ticket(&key, file_name, args.content_type).await?,
        };
        Ok(output::success(&answer))
    }
}

impl FalMcp {
    /// A ticket is one signed PUT, which fal's CDN takes up to the server's upload limit.
    fn ticket_size(&self, ticket: bool, size: u64) -> Result<(), Failure> {
        const ACTION: &str = "upload the file";
        let max = self.settings.max_upload_bytes;
        if !ticket {
            return Err(Failure::invalid(
                ACTION,
                "file_size goes with prepare_upload, not with url or data",
                "leave file_size out when passing url or data",
            ));
        }
        if size == 0 || size > max {
            return Err(Failure::invalid(
                ACTION,
                format!(
                    "file_size {size} is outside 1 byte to {}, the largest file this server signs an upload for",
                    crate::text::bytes(max)
                ),
                "nothing was signed; for a larger file use fal's own client (fal_client.upload_file splits it into parts)",
            ));
        }
        Ok(())
    }

    async fn upload_url(
        &self,
        key: &FalKey,
        url: &str,
        file_name: Option<String>,
        content_type: Option<String>,
    ) -> Result<UploadOutput, Failure> {
        let action = format!("upload {}", shown(url));
        // Key first: the caller's URL is fetched (slow, and on this server's network) only for a
        // key fal has accepted.
        self.fal.accepted_key(key).await.map_err(|e| Failure::fal(&action, &e))?;
        let fetched = self.fetcher.get(url).await.map_err(|e| fetch_failure(&action, &e))?;
        let file_name = file_name
            .or_else(|| {
                fetched.final_url.path_segments().and_then(|mut s| s.next_back()).and_then(|n| clean_name(n).ok())
            })
            .unwrap_or_else(|| "upload".into());
        let content_type =
            content_type.or(fetched.content_type.clone()).unwrap_or_else(|| guess_content_type(&file_name).to_string());
        let target =
            self.fal.initiate_upload(key, &content_type, &file_name).await.map_err(|e| Failure::fal(&action, &e))?;
        let length = fetched.response.content_length();
        let seen = Arc::new(AtomicU64::new(0));
        let max = self.fetcher.max_bytes();
        let body = reqwest::Body::wrap_stream(fetch::capped_body(fetched.response, max, seen.clone()));
        let put = self.fal.put_upload(&target, &content_type, length, body).await;
        let size = seen.load(Ordering::Relaxed);
        if size > max {
            return Err(fetch_failure(&action, &FetchError::TooLarge { limit: max }));
        }
        put.map_err(|e| Failure::fal(&action, &e).with_hint("the copy to fal's CDN failed; retry in a few seconds"))?;
        Ok(UploadOutput::uploaded(target.file_url, file_name, content_type, size))
    }

    async fn upload_data(
        &self,
        key: &FalKey,
        data: &str,
        file_name: Option<String>,
        content_type: Option<String>,
    ) -> Result<UploadOutput, Failure> {
        const ACTION: &str = "upload the data";
        let max = self.settings.max_data_bytes;
        let (declared, payload) = split_data_uri(data).map_err(|message| {
            Failure::invalid(ACTION, message, "pass base64, or a data URI like data:image/png;base64,…")
        })?;
        if (payload.len() as u64).saturating_mul(3) / 4 > max {
            return Err(Failure::invalid(
                ACTION,
                format!("the data is larger than this server's limit of {}", crate::text::bytes(max)),
                too_large_hint(),
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(payload.trim().as_bytes())
            .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(payload.trim().as_bytes()))
            .map_err(|e| {
                Failure::invalid(
                    ACTION,
                    format!("data is not valid base64: {}", base64_problem(&e)),
                    "encode the file with standard base64",
                )
            })?;
        let file_name = file_name.unwrap_or_else(|| "upload".into());
        let content_type = content_type.or(declared).unwrap_or_else(|| guess_content_type(&file_name).to_string());
        let target =
            self.fal.initiate_upload(key, &content_type, &file_name).await.map_err(|e| Failure::fal(ACTION, &e))?;
        let size = bytes.len() as u64;
        self.fal.put_upload(&target, &content_type, Some(size), bytes.into()).await.map_err(|e| {
            Failure::fal(ACTION, &e).with_hint("the upload to fal's CDN failed; retry in a few seconds")
        })?;
        Ok(UploadOutput::uploaded(target.file_url, file_name, content_type, size))
    }

    async fn upload_ticket(
        &self,
        key: &FalKey,
        file_name: Option<String>,
        content_type: Option<String>,
    ) -> Result<UploadOutput, Failure> {
        const ACTION: &str = "create an upload ticket";
        let name = file_name.clone().unwrap_or_else(|| "upload".into());
        let content_type = content_type.unwrap_or_else(|| guess_content_type(&name).to_string());
        let target = self.fal.initiate_upload(key, &content_type, &name).await.map_err(|e| Failure::fal(ACTION, &e))?;
        let path = file_name.as_deref().unwrap_or("<path-to-file>");
        let curl = format!(
            "curl -sS -X PUT -H {} --data-binary @{} {}",
            quote(&format!("Content-Type: {content_type}")),
            quote(path),
            quote(&target.upload_url)
        );
        Ok(UploadOutput {
            cdn_url: target.file_url,
            file_name,
            content_type,
            upload_url: Some(target.upload_url),
            curl: Some(curl),
            ..Default::default()
        })
    }
}

fn fetch_failure(action: &str, error: &FetchError) -> Failure {
    let failure = Failure::invalid(action, error.to_string(), "");
    match error {
        FetchError::Refused(_) => failure.with_hint(
            "upload_file only fetches public http(s) addresses; for a file on your machine call upload_file without url or data and run the curl it returns",
        ),
        FetchError::TooLarge { .. } => failure.with_hint(too_large_hint()),
        FetchError::Status(_) => failure.with_hint("check that the URL is public and points at the file itself"),
        FetchError::Timeout(_) | FetchError::Network(_) => {
            Failure::unreachable(action, error.to_string(), "retry; check that the URL is reachable from the internet")
        }
    }
}

fn too_large_hint() -> &'static str {
    "for a large local file call upload_file without url or data and run the curl it returns"
}

/// Splits `data:<type>[;base64],<payload>` into its declared type and payload; plain base64 passes through.
fn split_data_uri(data: &str) -> Result<(Option<String>, &str), String> {
    let Some(rest) = data.strip_prefix("data:") else { return Ok((None, data)) };
    let (header, payload) = rest.split_once(',').ok_or("the data URI has no ',' before its payload")?;
    let mut parts = header.split(';');
    let declared = parts.next().filter(|t| valid_content_type(t)).map(str::to_owned);
    if !parts.any(|p| p.eq_ignore_ascii_case("base64")) {
        return Err("only base64 data URIs are accepted (data:<type>;base64,<payload>)".into());
    }
    Ok((declared, payload))
}

fn clean_name(name: &str) -> Result<String, String> {
    let cleaned: String =
        name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')).take(128).collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() { Err(format!("file_name '{}' has no usable characters", shown(name))) } else { Ok(cleaned) }
}

fn valid_content_type(ct: &str) -> bool {
    let mut parts = ct.splitn(2, '/');
    let token = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c));
    ct.len() <= 100 && parts.next().is_some_and(token) && parts.next().is_some_and(token)
}

/// Single-quotes a word for POSIX shells.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// What is wrong with a base64 text, said as people would: where, and which character.
fn base64_problem(error: &base64::DecodeError) -> String {
    let character = |byte: u8| match byte {
        b' ' => "a space".to_string(),
        b'\n' | b'\r' => "a line break".to_string(),
        b'\t' => "a tab".to_string(),
        b if b.is_ascii_graphic() => format!("'{}'", b as char),
        b => format!("the byte 0x{b:02x}"),
    };
    match error {
        base64::DecodeError::InvalidByte(at, byte) | base64::DecodeError::InvalidLastSymbol(at, byte) => {
            format!("character {} is {}, which base64 does not use", at + 1, character(*byte))
        }
        base64::DecodeError::InvalidLength(length) => {
            format!("its {length} characters cannot be whole base64 (it looks cut off)")
        }
        base64::DecodeError::InvalidPadding => "its '=' padding at the end is wrong".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_uris_names_and_types() {
        assert_eq!(split_data_uri("data:image/png;base64,AAAA").unwrap(), (Some("image/png".into()), "AAAA"));
        assert_eq!(split_data_uri("AAAA").unwrap(), (None, "AAAA"));
        assert!(split_data_uri("data:text/plain,hello").is_err());
        assert_eq!(clean_name("../../etc/pass wd.png").unwrap(), "etcpasswd.png");
        assert!(clean_name("///").is_err());
        assert!(valid_content_type("image/svg+xml") && !valid_content_type("image") && !valid_content_type("a/b c"));
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
