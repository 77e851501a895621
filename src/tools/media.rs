//! Finds the media in a model's output (every object with a `url`) so clients can show it, both as
//! a `media` list in the structured result and as `resource_link` content blocks.

use rmcp::model::{CallToolResult, ContentBlock, Resource};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// One file in a model's output.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Media {
    pub(crate) url: String,
    pub(crate) content_type: String,
    /// image, video, audio, 3d or file.
    pub(crate) kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) width: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) height: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) file_name: Option<String>,
}

/// Every object with an http(s) `url` in `output`, in document order. Inline `data:` URLs are
/// left in the output and not repeated here.
pub(crate) fn extract(output: &Value) -> Vec<Media> {
    let mut found = Vec::new();
    walk(output, &mut found);
    found
}

fn walk(value: &Value, found: &mut Vec<Media>) {
    match value {
        Value::Object(map) => {
            if let Some(url) = map.get("url").and_then(Value::as_str).filter(|u| u.starts_with("http")) {
                let file_name = map.get("file_name").and_then(Value::as_str).map(str::to_owned);
                let content_type = map
                    .get("content_type")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| guess_content_type(file_name.as_deref().unwrap_or(url)).to_string());
                found.push(Media {
                    url: url.to_string(),
                    kind: kind_of(&content_type, url).to_string(),
                    content_type,
                    width: map.get("width").and_then(Value::as_u64),
                    height: map.get("height").and_then(Value::as_u64),
                    file_name,
                });
                return;
            }
            map.values().for_each(|v| walk(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
        _ => {}
    }
}

const MESH_EXTENSIONS: &[&str] = &["glb", "gltf", "obj", "fbx", "usdz", "ply", "stl"];

fn extension(name: &str) -> String {
    let path = name.split(['?', '#']).next().unwrap_or(name);
    let last = path.rsplit('/').next().unwrap_or(path);
    last.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default()
}

fn kind_of(content_type: &str, url: &str) -> &'static str {
    match content_type.split('/').next().unwrap_or("") {
        "image" => "image",
        "video" => "video",
        "audio" => "audio",
        "model" => "3d",
        _ if MESH_EXTENSIONS.contains(&extension(url).as_str()) => "3d",
        _ => "file",
    }
}

/// A content type from a file name or URL's extension.
pub(crate) fn guess_content_type(name: &str) -> &'static str {
    match extension(name).as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mov" => "video/quicktime",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" => "audio/ogg",
        "flac" => "audio/flac",
        "m4a" => "audio/mp4",
        "glb" => "model/gltf-binary",
        "gltf" => "model/gltf+json",
        "obj" => "model/obj",
        "stl" => "model/stl",
        "ply" => "model/ply",
        "usdz" => "model/vnd.usdz+zip",
        "zip" => "application/zip",
        "pdf" => "application/pdf",
        "json" => "application/json",
        "txt" => "text/plain",
        "safetensors" => "application/octet-stream",
        _ => "application/octet-stream",
    }
}

/// Appends a `resource_link` block per media file to a successful result.
pub(crate) fn with_links(mut result: CallToolResult, media: &[Media]) -> CallToolResult {
    for m in media {
        let name = m.file_name.clone().unwrap_or_else(|| {
            let path = m.url.split(['?', '#']).next().unwrap_or(&m.url);
            path.rsplit('/').next().unwrap_or(path).to_string()
        });
        let resource = Resource::new(m.url.clone(), name).with_mime_type(m.content_type.clone());
        result.content.push(ContentBlock::resource_link(resource));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_images_video_audio_and_meshes() {
        let output = json!({
            "images": [{"url": "https://v3.fal.media/files/a/x.png", "width": 1024, "height": 768, "content_type": "image/png"}],
            "video": {"url": "https://v3.fal.media/files/b/clip.mp4"},
            "audio_file": {"url": "https://v3.fal.media/files/c/speech", "content_type": "audio/wav", "file_name": "speech.wav"},
            "model_mesh": {"url": "https://v3.fal.media/files/d/chair.glb?x=1", "content_type": "application/octet-stream"},
            "inline": {"url": "data:image/png;base64,AAAA"},
            "seed": 42
        });
        let media = extract(&output);
        let kinds: Vec<(&str, &str)> = media.iter().map(|m| (m.kind.as_str(), m.content_type.as_str())).collect();
        assert_eq!(
            kinds,
            [
                ("image", "image/png"),
                ("video", "video/mp4"),
                ("audio", "audio/wav"),
                ("3d", "application/octet-stream")
            ]
        );
        assert_eq!((media[0].width, media[0].height), (Some(1024), Some(768)));
        assert_eq!(media[2].file_name.as_deref(), Some("speech.wav"));
    }
}
