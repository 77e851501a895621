//! The README's settings and client configurations, taken from the README itself: every
//! `SETTING=value` it writes starts the real binary (the settings on one line together), and every
//! JSON snippet is valid and says what a client needs. The README's commands (`cargo run`,
//! the curl transcript, `claude mcp add`) are run verbatim by tests/interop/run.sh.

use std::{process::Stdio, time::Duration};

use clap::CommandFactory;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::FakeFal;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// Every environment variable a setting reads.
fn setting_names() -> Vec<String> {
    fal_mcp::Cli::command()
        .get_arguments()
        .filter_map(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()))
        .collect()
}

/// `NAME=value` assignments of settings, grouped by the README line they are on.
fn assignments() -> Vec<Vec<(String, String)>> {
    let names = setting_names();
    readme()
        .lines()
        .map(|line| {
            // `$(openssl rand -base64 32)` is what the README tells operators to run: do it.
            let line = line.replace("$(openssl rand -base64 32)", &random_secret());
            line.split(|c: char| c.is_whitespace() || "`'\"(),".contains(c))
                .filter_map(|word| word.split_once('='))
                .filter(|(name, value)| names.iter().any(|n| n == name) && !value.is_empty())
                .filter_map(|(name, value)| {
                    let value = match value {
                        v if v.starts_with('$') => return None,
                        v => v.trim_end_matches(['.', ';']).to_string(),
                    };
                    Some((name.to_string(), value))
                })
                .collect::<Vec<_>>()
        })
        .filter(|group| !group.is_empty())
        .collect()
}

fn random_secret() -> String {
    use base64::Engine;
    let bytes: Vec<u8> = (0..32).map(|i| (std::process::id() as u8).wrapping_mul(31).wrapping_add(i * 7)).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn every_setting_the_readme_writes_starts_the_server() {
    let fake = FakeFal::start().await;
    let groups = assignments();
    assert!(groups.len() >= 4, "the README's settings were not found: {groups:?}");
    for group in groups {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_fal-mcp"));
        command
            .env_clear()
            .env("PORT", "0")
            .env("FAL_API_URL", format!("{}/api", fake.url))
            .env("FAL_QUEUE_URL", format!("{}/queue", fake.url))
            .env("FAL_REST_URL", format!("{}/rest", fake.url))
            .env("FAL_DOCS_URL", format!("{}/docs", fake.url))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (name, value) in &group {
            command.env(name, value);
        }
        if group.iter().any(|(n, _)| n == "PORT") {
            command.env("PORT", "0");
        }
        let mut child = command.spawn().unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut said = Vec::new();
        let started = tokio::time::timeout(Duration::from_secs(10), async {
            while let Ok(Some(line)) = lines.next_line().await {
                let listening = line.contains("listening on http://");
                said.push(line);
                if listening {
                    return true;
                }
            }
            false
        })
        .await;
        child.kill().await.ok();
        assert_eq!(started, Ok(true), "the README's {group:?} did not start the server: {said:?}");
    }
}

#[test]
fn the_readme_client_configurations_are_valid() {
    let readme = readme();
    let mut snippets = 0;
    for block in readme.split("```json").skip(1) {
        let text = block.split("```").next().unwrap();
        let json: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"));
        let server = &json["mcpServers"]["fal"];
        assert!(server.is_object(), "{text}");
        let remote = server.get("url").or_else(|| server.get("serverUrl")).and_then(|u| u.as_str());
        match remote {
            Some(url) => {
                assert!(url.ends_with("/mcp"), "{url}");
                if let Some(auth) = server["headers"]["Authorization"].as_str() {
                    assert!(auth.starts_with("Bearer "), "{auth}");
                }
            }
            None => assert_eq!(server["args"][0], "stdio", "{text}"),
        }
        snippets += 1;
    }
    assert!(snippets >= 3, "only {snippets} JSON snippets");
}
