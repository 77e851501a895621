//! What directories and hosts list: the icons (server and tool groups, by URL, served here), the
//! skills (skills/list, skills/get, and as plain resources), and `fal-mcp server-json` checked
//! against the MCP Registry's published schema.

use reqwest::StatusCode;
use rmcp::model::{GetSkillRequestParams, ReadResourceRequestParams, ResourceContents};
use serde_json::{Value, json};

use crate::{
    oauth::SECRET,
    support::{TestApp, http, rpc_body, spawn_app, spawn_app_with},
};

const KEY: &str = "list-id:list-secret";
/// As long as a deployment's URL usually is, so the size check below means something.
const PUBLIC: &str = "https://fal-mcp.example-company.com";

async fn listed(app: &TestApp, method: &str) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let response = app.post(&[("authorization", &format!("Bearer {KEY}"))], &body.to_string()).await;
    assert_eq!(response.status(), StatusCode::OK);
    rpc_body(&response.text().await.unwrap())["result"].clone()
}

#[tokio::test]
async fn a_server_that_knows_its_url_names_its_icons_and_serves_them() {
    let app = spawn_app_with(&["--public-url", PUBLIC, "--token-secret", SECRET]).await;
    let info = listed(&app, "initialize").await["serverInfo"].clone();
    assert_eq!(info["icons"][0]["src"], format!("{PUBLIC}/icons/fal-mcp.svg"));
    assert_eq!(info["websiteUrl"], PUBLIC);
    assert_eq!(info["title"], "fal");

    let body = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).to_string();
    let wire = app.post(&[("authorization", &format!("Bearer {KEY}"))], &body).await.text().await.unwrap();
    assert!(wire.len() <= 13_000, "tools/list with icons is {} bytes; the budget is 13,000", wire.len());
    println!("tools/list with icons: {} bytes", wire.len());
    let tools = rpc_body(&wire)["result"]["tools"].as_array().unwrap().clone();
    let icon = |name: &str| {
        let tool = tools.iter().find(|t| t["name"] == name).unwrap();
        tool["icons"][0]["src"].as_str().unwrap().to_string()
    };
    assert_eq!(icon("search_models"), format!("{PUBLIC}/icons/discovery.svg"));
    assert_eq!(icon("run_model"), format!("{PUBLIC}/icons/execution.svg"));
    assert_eq!(icon("upload_file"), format!("{PUBLIC}/icons/utility.svg"));
    assert!(tools.iter().all(|t| t["icons"][0]["src"].as_str().is_some_and(|s| s.starts_with(PUBLIC))));

    // Each named icon is served here, under the same path.
    for file in ["fal-mcp.svg", "discovery.svg", "execution.svg", "utility.svg"] {
        let response = http().get(format!("{}/icons/{file}", app.base)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{file}");
        assert_eq!(response.headers()["content-type"], "image/svg+xml");
        assert!(response.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
        assert!(response.text().await.unwrap().starts_with("<svg"), "{file}");
    }
    let missing = http().get(format!("{}/icons/../Cargo.toml", app.base)).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let missing = http().get(format!("{}/icons/other.svg", app.base)).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_a_public_url_no_icon_is_named() {
    let app = spawn_app().await;
    assert!(listed(&app, "initialize").await["serverInfo"].get("icons").is_none());
    let client = app.client(KEY).await;
    let tools = client.list_all_tools().await.unwrap();
    client.cancel().await.ok();
    assert!(tools.iter().all(|t| t.icons.is_none()));
}

#[tokio::test]
async fn skills_are_listed_fetched_and_readable_as_plain_resources() {
    let app = spawn_app().await;
    let client = app.client(KEY).await;
    let info = client.peer_info().unwrap();
    assert!(info.capabilities.supports_skills(), "the skills extension is declared");
    let instructions = info.instructions.clone().unwrap();
    let skills = client.list_skills(None).await.unwrap().skills;
    let names: Vec<&str> = skills.iter().map(|s| s.name()).collect();
    assert_eq!(names, ["choosing-a-model", "confirming-cost", "following-long-jobs"]);
    let resources = client.list_all_resources().await.unwrap();
    for skill in &skills {
        assert!(instructions.contains(skill.name()), "the instructions point to {}", skill.name());
        let fetched = client.get_skill(GetSkillRequestParams::new(&skill.uri)).await.unwrap().skill;
        assert_eq!(&fetched, skill);
        // A host without the extension finds it in resources/list and reads it like any resource.
        assert!(resources.iter().any(|r| r.uri == skill.uri && r.mime_type.as_deref() == Some("text/markdown")));
        let read = client.read_resource(ReadResourceRequestParams::new(&skill.uri)).await.unwrap();
        let ResourceContents::TextResourceContents { text, .. } = &read.contents[0] else { panic!("text") };
        assert!(text.starts_with(&format!("---\nname: {}\n", skill.name())), "{text}");
        let rmcp::model::SkillResources::Files(files) = &skill.resources else { panic!("a manifest") };
        files[0].verify(text.as_bytes()).expect("the manifest's digest and size are the file's");
    }
    let unknown = client.get_skill(GetSkillRequestParams::new("skill://fal-mcp/other/SKILL.md")).await;
    assert!(unknown.unwrap_err().to_string().contains("skills/list"));
    client.cancel().await.ok();
}

fn server_json(env: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fal-mcp"));
    command.arg("server-json").env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into(),
        String::from_utf8_lossy(&output.stderr).into(),
    )
}

#[tokio::test]
async fn server_json_follows_the_registry_schema_and_the_served_tools() {
    let (ok, out, err) = server_json(&[("FAL_MCP_PUBLIC_URL", PUBLIC), ("FAL_MCP_TOKEN_SECRET", SECRET)]);
    assert!(ok, "{err}");
    let document: Value = serde_json::from_str(&out).unwrap();
    let schema: Value = serde_json::from_str(include_str!("../fixtures/server.schema.json")).unwrap();
    let validator = jsonschema::draft7::options().should_validate_formats(true).build(&schema).unwrap();
    let problems: Vec<String> =
        validator.iter_errors(&document).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(problems.is_empty(), "{problems:#?}\n{out}");
    assert_eq!(document["name"], "com.example-company.fal-mcp/fal");
    assert_eq!(document["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        document["remotes"][0],
        json!({"type": "streamable-http", "url": format!("{PUBLIC}/mcp"), "headers": document["remotes"][0]["headers"]})
    );
    assert_eq!(document["remotes"][1]["url"], format!("{PUBLIC}/mcp/readonly"));
    assert_eq!(document["icons"][0]["src"], format!("{PUBLIC}/icons/fal-mcp.svg"));

    // The tools it summarises are the ones the server lists, and the read-only ones /mcp/readonly serves.
    let app = spawn_app().await;
    let client = app.client(KEY).await;
    let tools: Vec<String> = client.list_all_tools().await.unwrap().into_iter().map(|t| t.name.into_owned()).collect();
    client.cancel().await.ok();
    let summary = &document["_meta"]["io.modelcontextprotocol.registry/publisher-provided"];
    assert_eq!(summary["tools"], json!(tools));
    let mut read_only_app = TestApp::attach(&app.base, app.fake.clone());
    read_only_app.mcp_url = format!("{}/mcp/readonly", app.base);
    let client = read_only_app.client(KEY).await;
    let read_only: Vec<String> =
        client.list_all_tools().await.unwrap().into_iter().map(|t| t.name.into_owned()).collect();
    client.cancel().await.ok();
    assert_eq!(summary["readOnlyTools"], json!(read_only));
}

#[test]
fn server_json_says_what_to_set_when_it_cannot_be_made() {
    for (env, says) in [
        (vec![], "needs FAL_MCP_PUBLIC_URL"),
        (vec![("FAL_MCP_PUBLIC_URL", "http://127.0.0.1:8080")], "only https"),
        (vec![("FAL_MCP_PUBLIC_URL", "https://203.0.113.7"), ("FAL_MCP_TOKEN_SECRET", SECRET)], "by their domain"),
    ] {
        let (ok, out, err) = server_json(&env);
        assert!(!ok && out.is_empty(), "{env:?}: {out}");
        assert!(err.contains(says), "{env:?}: {err}");
    }
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn the_readme_server_json_line_runs_as_written() {
    let readme = readme();
    let line =
        readme.lines().find(|l| l.starts_with("fal-mcp ") && l.contains("server-json")).expect("the README's line");
    let (command, redirect) = line.split_once(" > ").expect("the line writes server.json");
    assert_eq!(redirect, "server.json");
    let words: Vec<&str> = command.split_whitespace().skip(1).collect();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fal-mcp")).args(&words).env_clear().output().unwrap();
    assert!(output.status.success(), "{line}: {}", String::from_utf8_lossy(&output.stderr));
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    // The README says what the name comes out as.
    let name = document["name"].as_str().unwrap();
    assert!(readme.contains(&format!("`{name}`")), "the README names {name}");
}

#[test]
fn the_readme_install_links_are_the_ones_the_code_makes() {
    let readme = readme();
    for (client, link) in fal_mcp::install_links("https://mcp.example.com/mcp") {
        assert!(readme.contains(&format!("[Add to {client}]({link})")), "the README's {client} link is stale: {link}");
    }
    // Each decodes to the MCP URL, in the form that client reads.
    let [(_, vscode), (_, cursor)] = fal_mcp::install_links("https://mcp.example.com/mcp");
    let config = |link: &str| {
        let query = link.split_once('?').unwrap().1;
        url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "config").unwrap().1.into_owned()
    };
    assert_eq!(
        serde_json::from_str::<Value>(&config(&vscode)).unwrap(),
        json!({"type": "http", "url": "https://mcp.example.com/mcp"})
    );
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD.decode(config(&cursor)).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&decoded).unwrap(), json!({"url": "https://mcp.example.com/mcp"}));
}

#[tokio::test]
async fn the_home_page_offers_one_click_installs_for_its_own_url() {
    let app = spawn_app().await;
    let page = http().get(format!("{}/", app.base)).send().await.unwrap().text().await.unwrap();
    let own = format!("{}/mcp", app.base);
    for (client, link) in fal_mcp::install_links(&own) {
        assert!(
            page.contains(&format!("href=\"{}\">Add to {client}", link.replace('&', "&amp;"))),
            "{client}:\n{page}"
        );
    }
}
