//! The ranking's pure parts on small catalogs: the meaning signal, languages, reasons, the
//! catalog's check of a sub-task, deprecation and the floor under words that name nothing.

use serde_json::json;

use super::{Index, index::meaning_text, language, rank, read, search};
use crate::fal::Model;

fn model(id: &str, category: &str, description: &str, status: &str) -> Model {
    serde_json::from_value(json!({"endpoint_id": id, "metadata": {
        "display_name": id.rsplit('/').next(), "category": category, "description": description, "status": status}}))
    .unwrap()
}

/// A few real fal models, with their real descriptions.
fn catalog() -> Vec<Model> {
    vec![
        model(
            "fal-ai/birefnet/v2",
            "image-to-image",
            "bilateral reference framework (BiRefNet) for high-resolution dichotomous image segmentation (background removal)",
            "active",
        ),
        model(
            "fal-ai/kokoro/spanish",
            "text-to-speech",
            "A natural and expressive Spanish text-to-speech model for lively narrations.",
            "active",
        ),
        model(
            "fal-ai/flux/dev",
            "text-to-image",
            "FLUX.1 [dev] is a 12B parameter flow transformer that generates high-quality images from text.",
            "active",
        ),
        model(
            "fal-ai/demucs",
            "audio-to-audio",
            "SOTA stemming model for voice, drums, bass, guitar and more.",
            "active",
        ),
        model(
            "fal-ai/minimax-music",
            "text-to-audio",
            "Generate music from text prompts with the MiniMax model, which uses advanced AI techniques to create high-quality, diverse musical compositions.",
            "active",
        ),
        model(
            "fal-ai/image-preprocessors/depth-anything/v2",
            "image-to-image",
            "Depth Anything v2 preprocessor: produces a depth map from an image.",
            "active",
        ),
        model(
            "fal-ai/stable-diffusion-v15",
            "text-to-image",
            "Original Stable Diffusion 1.5 that generates photorealistic images, logos and illustrations from text.",
            "deprecated",
        ),
        model(
            "fal-ai/recraft/v3/text-to-image",
            "text-to-image",
            "Recraft V3 generates photorealistic images, logos and illustrations, with long texts in them.",
            "active",
        ),
    ]
}

fn ranked_ids(task: &str, index: &Index) -> Vec<String> {
    rank(task, &read(task, None, None), index, &[], &[]).ranked.iter().map(|r| r.model.endpoint_id.clone()).collect()
}

#[test]
fn the_meaning_signal_reads_across_languages() {
    // crates/meaning checks the encoder against its package's own vectors.
    let texts =
        ["Remove the background from product photos", "Quitar el fondo de esta foto", "Lis ce texte à voix haute"];
    let vectors: Vec<meaning::Embedding> = texts.iter().map(|text| meaning::embed(text).unwrap()).collect();
    assert!(vectors[0].similarity(&vectors[1]) > 3.0 * vectors[0].similarity(&vectors[2]));
    assert_eq!(meaning::pieces("Ein Video aus meinem Foto!").len(), 6, "▁ein ▁video ▁aus ▁meine m ▁foto");
    assert_eq!(meaning::embed("  ?! -- "), None);
    assert!((meaning::embed("Foto").unwrap().similarity(&meaning::embed("FOTO").unwrap()) - 1.0).abs() < 1e-6);
}

#[test]
fn a_model_like_many_others_is_discounted_for_its_likeness() {
    let mut models = catalog();
    let generic = "FLUX.1 generates high-quality images from text prompts.";
    for version in ["a", "b", "c", "d"] {
        models.push(model(&format!("fal-ai/flux-copy/{version}"), "text-to-image", generic, "active"));
    }
    let index = Index::build(models);
    let hubness = |id: &str| index.hubness(index.models().iter().position(|m| m.endpoint_id == id).unwrap());
    let (copy, demucs) = (hubness("fal-ai/flux-copy/a"), hubness("fal-ai/demucs"));
    assert!(copy > demucs + 0.1, "a copy among copies {copy}, a stem splitter {demucs}");
    // A model outside the index (a private app) is measured against the index's models.
    let outside = meaning::embed(&meaning_text(&model("me/flux-copy", "text-to-image", generic, "active"))).unwrap();
    assert!(index.hubness_outside(&outside) > demucs + 0.1);
}

#[test]
fn requests_in_other_languages_mean_the_same_and_say_their_language() {
    let index = Index::build(catalog());
    for task in [
        "quitar el fondo de esta foto de producto",
        "enlever l'arrière-plan de cette photo",
        "Hintergrund von meinem Produktfoto entfernen",
        "remover o fundo desta foto",
        "rimuovere lo sfondo da questa foto",
    ] {
        let meaning = meaning::embed(task);
        let scores = index.scores(meaning.as_ref(), &[]);
        let nearest = scores.meaning.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        assert_eq!(index.models()[nearest].endpoint_id, "fal-ai/birefnet/v2", "{task}");
        assert!(read(task, None, None).language.is_some_and(|l| l != whatlang::Lang::Eng), "{task}");
    }
    assert_eq!(language::in_english(" minha foto "), " my photo ");
    // A word the encoder only knows in fragments stands for nothing: no English word is forced on it.
    assert_eq!(language::in_english(" qwxzvpl "), " qwxzvpl ");
}

#[test]
fn the_catalog_decides_between_two_sub_tasks_the_words_name() {
    let index = Index::build(catalog());
    let task = "my band recorded a song and I want a karaoke version of it, the same track without the singer";
    let request = read(task, None, None);
    assert!(request.subtask.is_some() && !request.alternatives.is_empty(), "{:?}", request.subtask);
    let ranking = rank(task, &request, &index, &[], &[]);
    assert_eq!(ranking.ranked[0].model.endpoint_id, "fal-ai/demucs");
    assert_eq!(ranking.category.as_deref(), Some("audio-to-audio"));
    // Asked for a song, the music model stays first.
    assert_eq!(ranked_ids("write a lo-fi song for studying", &index)[0], "fal-ai/minimax-music");
}

#[test]
fn reasons_quote_the_description_and_say_what_the_model_takes() {
    let index = Index::build(catalog());
    let task = "make a depth map from my landscape photo";
    let request = read(task, None, None);
    let ranking = rank(task, &request, &index, &[], &[]);
    let best = &ranking.ranked[0];
    assert_eq!(best.model.endpoint_id, "fal-ai/image-preprocessors/depth-anything/v2");
    let reason = format!("{}{}", best.reason, super::explain(&request, &[best], &index)[0]);
    assert!(
        reason.contains("its description: \"Depth Anything v2 preprocessor: produces a depth map from an image\""),
        "{reason}"
    );
    assert!(reason.contains("takes an image"), "{reason}");
}

#[test]
fn deprecated_models_rank_below_active_ones_and_say_so() {
    let index = Index::build(catalog());
    // The deprecated model's description matches these words best of all.
    let ranking = rank(
        "photorealistic images, logos and illustrations",
        &read("photorealistic images, logos and illustrations", None, None),
        &index,
        &[],
        &[],
    );
    let position = ranking.ranked.iter().position(|r| r.model.endpoint_id == "fal-ai/stable-diffusion-v15").unwrap();
    let active_below = ranking.ranked[position..].iter().filter(|r| r.model.status() == "active").count();
    assert_eq!(active_below, 0, "deprecated ranks below every active model");
    assert!(
        ranking.ranked[position].reason.to_lowercase().contains("deprecated"),
        "{}",
        ranking.ranked[position].reason
    );
}

#[test]
fn words_that_name_nothing_recommend_nothing_and_a_model_outside_the_index_still_counts() {
    let index = Index::build(catalog());
    assert!(rank("qwxzv plorbt", &read("qwxzv plorbt", None, None), &index, &[], &[]).ranked.is_empty());
    // A private app fal's search found for the caller ranks with the rest.
    let private = [model(
        "acme/private-background-remover",
        "image-to-image",
        "Removes the background of product photos for our shop.",
        "active",
    )];
    let task = "remove the background from product photos";
    let ranking =
        rank(task, &read(task, None, None), &index, &private, &["acme/private-background-remover".to_string()]);
    let top: Vec<&str> = ranking.ranked.iter().take(2).map(|r| r.model.endpoint_id.as_str()).collect();
    assert!(top.contains(&"acme/private-background-remover"), "{top:?}");
}

#[test]
fn a_rebuilt_index_embeds_a_changed_text_again() {
    let sentence = "Now it also relights portraits.";
    let first = Index::build(catalog());
    let mut changed = catalog();
    changed[0] = model("fal-ai/birefnet/v2", "image-to-image", sentence, "active");
    let second = Index::build(changed);
    // The nearest sentence of the changed model's description, as each index scores it.
    let query = meaning::embed(sentence).unwrap();
    let nearest = |index: &Index| {
        let at = index.models().iter().position(|m| m.endpoint_id == "fal-ai/birefnet/v2").unwrap();
        index.phrases(Some(&query))[at]
    };
    assert!(nearest(&second) > 0.98 && nearest(&first) < 0.9, "{} then {}", nearest(&first), nearest(&second));
    assert_eq!(meaning_text(&second.models()[3]), meaning_text(&first.models()[3]));
}

#[test]
fn search_puts_names_first_and_reads_descriptions_by_meaning() {
    let index = Index::build(catalog());
    let ids = |query: &str| -> Vec<String> {
        search(query, &index, &[], None).iter().map(|m| m.endpoint_id.clone()).collect()
    };
    assert_eq!(ids("fal-ai/demucs")[0], "fal-ai/demucs");
    assert_eq!(ids("separate the drums from the vocals")[0], "fal-ai/demucs");
    assert_eq!(ids("quitar el fondo de una foto")[0], "fal-ai/birefnet/v2");
    assert_eq!(read("make my photo talk", None, None).language, Some(whatlang::Lang::Eng));
    assert!(search("music", &index, &[], Some("text-to-image")).iter().all(|m| m.category() == "text-to-image"));
    assert!(ids("qwxzv plorbt").is_empty());
}

/// Rounds 16 and 17: video-to-video's flagship, a lip-sync model, was picked for foley, a voice
/// change and a dance; it leads its category for lip sync only.
#[test]
fn a_specialist_flagship_leads_only_for_its_own_job() {
    let mut models = catalog();
    models.push(model(
        "fal-ai/sync-lipsync/v2",
        "video-to-video",
        "Generate realistic lipsync animations from audio using advanced algorithms.",
        "active",
    ));
    let index = Index::build(models);
    let reason = |task: &str| {
        let ranking = rank(task, &read(task, None, None), &index, &[], &[]);
        ranking.ranked.into_iter().find(|r| r.model.endpoint_id == "fal-ai/sync-lipsync/v2").unwrap().reason
    };
    assert!(reason("lip sync my video to this new voiceover").contains("flagship"));
    let other = reason("add footsteps and wind sounds to my silent video");
    assert!(!other.contains("flagship"), "{other}");
}
