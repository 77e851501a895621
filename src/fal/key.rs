//! The caller's fal key: a secret that is redacted in Debug and only ever becomes fal's `Authorization` header.

use std::{
    collections::hash_map::RandomState,
    fmt,
    hash::{BuildHasher, Hasher},
    sync::{Arc, LazyLock, OnceLock},
};

use reqwest::header::HeaderValue;
use sha2::{Digest, Sha256};

/// Longest key accepted; real fal keys are `<uuid>:<hex>`, well under this.
const MAX_KEY_LEN: usize = 1024;

/// A per-process salt, so a fingerprint seen in memory cannot be checked against guessed keys elsewhere.
static SALT: LazyLock<[u8; 16]> = LazyLock::new(|| {
    let mut salt = [0u8; 16];
    for chunk in salt.chunks_mut(8) {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(0x6661_6c6d_6370);
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    salt
});

/// A short, salted digest of a key; it tells callers apart without holding the key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct Fingerprint([u8; 16]);

/// A caller's fal API key. Cloning shares the same allocation; Debug never shows it.
#[derive(Clone)]
pub(crate) struct FalKey {
    secret: Arc<str>,
    /// Computed when a cache first asks (most requests, tools/list among them, never do).
    fingerprint: Arc<OnceLock<Fingerprint>>,
}

impl FalKey {
    /// What a fal key looks like, for the messages that refuse one.
    pub(crate) const SHAPE: &str = "fal keys look like key_id:key_secret (create one at https://fal.ai/dashboard/keys)";

    /// Accepts a key shaped as fal's are, `key_id:key_secret`: two non-empty parts of visible
    /// ASCII (no spaces) around one colon, at most 1024 characters. Anything else cannot be a
    /// key fal would accept, so it is never sent to fal.
    pub(crate) fn new(secret: &str) -> Option<Self> {
        let valid = secret.len() <= MAX_KEY_LEN
            && secret.bytes().all(|b| b.is_ascii_graphic())
            && secret
                .split_once(':')
                .is_some_and(|(id, rest)| !id.is_empty() && !rest.is_empty() && !rest.contains(':'));
        if !valid {
            return None;
        }
        Some(Self { secret: secret.into(), fingerprint: Arc::default() })
    }

    /// A cheap identity of the key within this process (SipHash under a random per-process key),
    /// for counting its requests in flight on every request without a SHA-256; it never leaves
    /// the process and tells nothing outside it.
    pub(crate) fn tally(&self) -> u64 {
        static STATE: LazyLock<RandomState> = LazyLock::new(RandomState::new);
        STATE.hash_one(&*self.secret)
    }

    pub(crate) fn fingerprint(&self) -> Fingerprint {
        *self.fingerprint.get_or_init(|| {
            let mut hasher = Sha256::new();
            hasher.update(*SALT);
            hasher.update(self.secret.as_bytes());
            let digest = hasher.finalize();
            let mut fingerprint = [0u8; 16];
            fingerprint.copy_from_slice(&digest[..16]);
            Fingerprint(fingerprint)
        })
    }

    /// fal's header value, `Key <key>`, marked sensitive so HTTP layers never print it.
    pub(crate) fn header_value(&self) -> HeaderValue {
        let mut value = HeaderValue::try_from(format!("Key {}", self.secret))
            .expect("a key of visible ASCII is a valid header value");
        value.set_sensitive(true);
        value
    }

    /// Replaces every occurrence of the key in upstream text (fal may echo what it was sent).
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut out = text.replace(&*self.secret, "[redacted]");
        if let Some((id, secret)) = self.secret.split_once(':') {
            for part in [id, secret] {
                if part.len() >= 8 {
                    out = out.replace(part, "[redacted]");
                }
            }
        }
        out
    }
}

impl fmt::Debug for FalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FalKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key_and_fingerprints_tell_keys_apart() {
        let a = FalKey::new("id-1:secret-aaaaaaaa").unwrap();
        let b = FalKey::new("id-1:secret-bbbbbbbb").unwrap();
        assert!(!format!("{a:?}").contains("secret"));
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint(), FalKey::new("id-1:secret-aaaaaaaa").unwrap().fingerprint());
        assert!(a.header_value().is_sensitive());
    }

    #[test]
    fn only_key_id_colon_secret_is_a_key() {
        let long = format!("id:{}", "x".repeat(1022));
        for bad in ["", "a b:c", "a:b\tc", "ключ:x", "abc123", ":secret", "id:", "a:b:c", "falmcp_at_AAAA", &long] {
            assert!(FalKey::new(bad).is_none(), "{bad:?}");
        }
        for good in ["id:secret", "0b1d2c9e-8a7f-4c3b-9e2d-1f0a5b6c7d8e:5f3a9c0e1b2d4f6a8c0e2b4d6f8a0c1e", &long[1..]] {
            assert!(FalKey::new(good).is_some(), "{good:?}");
        }
    }

    #[test]
    fn redact_removes_the_key_and_its_halves() {
        let key = FalKey::new("0123456789ab:fedcba9876543210").unwrap();
        let text = "bad key 0123456789ab:fedcba9876543210 (id 0123456789ab, secret fedcba9876543210)";
        let out = key.redact(text);
        assert!(!out.contains("0123456789ab") && !out.contains("fedcba9876543210"), "{out}");
    }
}
