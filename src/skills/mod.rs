//! What an assistant should know to use these tools well, as skills (SEP-2640,
//! `io.modelcontextprotocol/skills`): three SKILL.md files built into the binary, listed by
//! skills/list, returned by skills/get, and read through resources/read like any resource, so a
//! host without the extension reads them from resources/list.

use rmcp::model::{
    ReadResourceResult, Resource, ResourceContents, Skill, SkillFrontmatter, SkillResource, SkillResources,
};

const MIME: &str = "text/markdown";
const FILES: [&str; 3] =
    [include_str!("choosing-a-model.md"), include_str!("confirming-cost.md"), include_str!("following-long-jobs.md")];

/// One skill: its SKILL.md and the name and description of its front matter.
pub(crate) struct Guide {
    pub(crate) uri: String,
    name: &'static str,
    description: &'static str,
    text: &'static str,
}

/// Every skill, in the order they are listed.
pub(crate) fn all() -> Vec<Guide> {
    FILES.iter().map(|text| parse(text).expect("a built-in skill has front matter")).collect()
}

/// The skill whose SKILL.md is at `uri`.
pub(crate) fn find(uri: &str) -> Option<Guide> {
    all().into_iter().find(|g| g.uri == uri)
}

impl Guide {
    pub(crate) fn skill(&self) -> Skill {
        let files = vec![SkillResource::from_bytes(&self.uri, self.text.as_bytes())];
        Skill::new(&self.uri, SkillFrontmatter::new(self.name, self.description), SkillResources::Files(files))
    }

    /// The SKILL.md as resources/list shows it.
    pub(crate) fn listed(&self) -> Resource {
        Resource::new(&self.uri, self.name)
            .with_description(self.description)
            .with_mime_type(MIME)
            .with_size(self.text.len() as u64)
    }

    pub(crate) fn read(&self) -> ReadResourceResult {
        ReadResourceResult::new(vec![ResourceContents::TextResourceContents {
            uri: self.uri.clone(),
            mime_type: Some(MIME.into()),
            text: self.text.into(),
            meta: None,
        }])
    }
}

/// A SKILL.md's `name` and `description` from its front matter (`---` lines around `key: value`).
fn parse(text: &'static str) -> Option<Guide> {
    let front = text.strip_prefix("---\n")?.split("\n---\n").next()?;
    let field = |key: &str| front.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(": ")).map(str::trim);
    let name = field("name")?;
    Some(Guide { uri: format!("skill://fal-mcp/{name}/SKILL.md"), name, description: field("description")?, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_skill_is_valid_and_names_only_tools_the_server_serves() {
        let guides = all();
        assert_eq!(guides.len(), FILES.len());
        let skills: Vec<Skill> = guides.iter().map(Guide::skill).collect();
        rmcp::model::validate_skills(&skills).unwrap();
        let known = crate::tools::vocabulary();
        for guide in &guides {
            assert!(guide.description.len() <= 1024 && !guide.description.is_empty(), "{}", guide.name);
            let named = guide.text.split('`').skip(1).step_by(2).filter(|w| w.contains('_') && !w.contains(' '));
            for word in named.filter(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '_')) {
                assert!(known.iter().any(|k| k == word), "{} names {word}, which no tool is or has", guide.name);
            }
        }
    }
}
