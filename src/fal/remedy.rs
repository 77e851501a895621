//! fal's error types and what each asks of the caller: the one table behind a failed call's or
//! job's `type`, its advice and whether a retry can succeed. The types are fal's documented ones:
//! model errors (https://fal.ai/docs/documentation/model-apis/errors, a 4xx/5xx whose `detail`
//! entries carry the type) and request errors (.../model-apis/request-errors, `error_type` in the
//! body and `X-Fal-Error-Type`), plus the queue's `client_cancelled`.

/// What a caller can do about a failure of a given type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Remedy {
    /// The input (a field's value, a file) is what failed: change it; the same input fails again.
    FixInput,
    /// A content checker refused the prompt or a file: change that input, or use another model.
    ChangeContent,
    /// fal's side, or a passing condition: the same input may succeed later.
    RetryLater,
    /// The request was cancelled (by the client or on its behalf).
    Cancelled,
}

const TYPES: &[(&str, Remedy)] = &[
    // Model errors.
    ("content_policy_violation", Remedy::ChangeContent),
    ("internal_server_error", Remedy::RetryLater),
    ("generation_timeout", Remedy::RetryLater),
    ("downstream_service_error", Remedy::RetryLater),
    ("downstream_service_unavailable", Remedy::RetryLater),
    ("image_too_small", Remedy::FixInput),
    ("image_too_large", Remedy::FixInput),
    ("image_load_error", Remedy::FixInput),
    ("file_download_error", Remedy::FixInput),
    ("face_detection_error", Remedy::FixInput),
    ("file_too_large", Remedy::FixInput),
    ("greater_than", Remedy::FixInput),
    ("greater_than_equal", Remedy::FixInput),
    ("less_than", Remedy::FixInput),
    ("less_than_equal", Remedy::FixInput),
    ("multiple_of", Remedy::FixInput),
    ("sequence_too_short", Remedy::FixInput),
    ("sequence_too_long", Remedy::FixInput),
    ("one_of", Remedy::FixInput),
    ("feature_not_supported", Remedy::FixInput),
    ("invalid_archive", Remedy::FixInput),
    ("archive_file_count_below_minimum", Remedy::FixInput),
    ("archive_file_count_exceeds_maximum", Remedy::FixInput),
    ("audio_duration_too_long", Remedy::FixInput),
    ("audio_duration_too_short", Remedy::FixInput),
    ("unsupported_audio_format", Remedy::FixInput),
    ("unsupported_image_format", Remedy::FixInput),
    ("unsupported_video_format", Remedy::FixInput),
    ("video_duration_too_long", Remedy::FixInput),
    ("video_duration_too_short", Remedy::FixInput),
    // Request errors.
    ("request_timeout", Remedy::RetryLater),
    ("startup_timeout", Remedy::RetryLater),
    ("runner_scheduling_failure", Remedy::RetryLater),
    ("runner_connection_timeout", Remedy::RetryLater),
    ("runner_disconnected", Remedy::RetryLater),
    ("runner_connection_refused", Remedy::RetryLater),
    ("runner_connection_error", Remedy::RetryLater),
    ("runner_incomplete_response", Remedy::RetryLater),
    ("runner_server_error", Remedy::RetryLater),
    ("internal_error", Remedy::RetryLater),
    ("client_disconnected", Remedy::Cancelled),
    ("client_cancelled", Remedy::Cancelled),
    ("bad_request", Remedy::FixInput),
];

/// Whether `kind` is one of fal's typed errors (as opposed to a generic field-validation type).
pub(crate) fn is_typed(kind: &str) -> bool {
    TYPES.iter().any(|(t, _)| *t == kind)
}

/// What a failure of type `kind` asks; a type fal may add later is read by its HTTP status.
pub(crate) fn remedy(kind: &str, status: Option<u16>) -> Remedy {
    if let Some((_, remedy)) = TYPES.iter().find(|(t, _)| *t == kind) {
        return *remedy;
    }
    match status {
        Some(499) => Remedy::Cancelled,
        Some(408 | 429) => Remedy::RetryLater,
        Some(s) if s >= 500 => Remedy::RetryLater,
        _ => Remedy::FixInput,
    }
}

impl Remedy {
    pub(crate) fn retryable(self) -> bool {
        self == Remedy::RetryLater
    }

    /// What to do once a job ended this way (nothing is left to follow).
    pub(crate) fn after_job(self) -> &'static str {
        match self {
            Remedy::FixInput => {
                "fix the input fal names (get_model_schema shows the schema) and run the model again; the same input fails the same way"
            }
            Remedy::ChangeContent => {
                "a content checker refused the prompt or a file: change the flagged input (or use another model) and run it again; the same input fails the same way"
            }
            Remedy::RetryLater => "the failure was on fal's side: the same input may succeed if run again in a minute",
            Remedy::Cancelled => "the job was cancelled before it finished; run the model again if it is still wanted",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_one_remedy_and_unknown_types_go_by_status() {
        let mut seen = std::collections::HashSet::new();
        assert!(TYPES.iter().all(|(t, _)| seen.insert(*t)), "a type is listed twice");
        assert_eq!(remedy("content_policy_violation", Some(422)), Remedy::ChangeContent);
        assert_eq!(remedy("runner_server_error", Some(500)), Remedy::RetryLater);
        assert!(remedy("runner_server_error", None).retryable());
        assert!(!remedy("image_too_small", Some(422)).retryable());
        assert_eq!(remedy("a_type_fal_adds_later", Some(503)), Remedy::RetryLater);
        assert_eq!(remedy("a_type_fal_adds_later", Some(422)), Remedy::FixInput);
        assert_eq!(remedy("missing", Some(422)), Remedy::FixInput);
        assert!(is_typed("content_policy_violation") && !is_typed("missing"));
    }
}
