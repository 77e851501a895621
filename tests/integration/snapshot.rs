//! What the model sees is a reviewed diff: a snapshot of tools/list, and the README's generated tool table.

use crate::support::spawn_app;

#[tokio::test]
async fn tools_list_snapshot() {
    let app = spawn_app().await;
    let client = app.client("snap-id:snap-secret").await;
    let tools = client.list_all_tools().await.unwrap();
    client.cancel().await.ok();
    insta::assert_json_snapshot!("tools_list", tools);
    let wire = app
        .post(&[("authorization", "Bearer snap-id:snap-secret")], r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .await;
    let bytes = wire.bytes().await.unwrap().len();
    println!("tools/list: {bytes} bytes");
    assert!(bytes < 13_000, "tools/list is {bytes} bytes; it must stay under 13 KB");
}

#[test]
fn readme_tool_table_matches_the_code() {
    let readme_path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(readme_path).unwrap();
    let (start, end) = ("<!-- tools:start -->\n", "<!-- tools:end -->");
    let from = readme.find(start).expect("README has a tools:start marker") + start.len();
    let to = readme.find(end).expect("README has a tools:end marker");
    let table = fal_mcp::tool_table();
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(readme_path, format!("{}{table}{}", &readme[..from], &readme[to..])).unwrap();
        return;
    }
    assert_eq!(
        &readme[from..to],
        table,
        "README tool table is stale: run `UPDATE_README=1 cargo test readme_tool_table`"
    );
}

#[test]
fn readme_configuration_table_lists_every_setting_with_its_default() {
    use clap::CommandFactory;
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let command = fal_mcp::Cli::command();
    let mut checked = 0;
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long().filter(|l| !matches!(*l, "help" | "version")) else { continue };
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| `--{long}` |")))
            .unwrap_or_else(|| panic!("the README's configuration table lacks --{long}"));
        let env = arg.get_env().unwrap_or_else(|| panic!("--{long} has no environment variable"));
        assert!(row.contains(&format!("`{}`", env.to_string_lossy())), "{row}");
        if let Some(default) = arg.get_default_values().first() {
            assert!(row.contains(&format!("`{}`", default.to_string_lossy())), "README default drifted: {row}");
        }
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} settings found");
}
