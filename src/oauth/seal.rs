//! Sealed artefacts: every client id, form token, code, access and refresh token is its payload
//! encrypted and authenticated (ChaCha20-Poly1305 from ring) under a key derived from the server
//! secret with HKDF-SHA256 and a label per kind, so one kind can never pass as another, and a
//! token made under another secret never opens. Nothing is stored: the artefact is the state.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ring::{
    aead::{self, Aad, LessSafeKey, Nonce, UnboundKey},
    hkdf,
    rand::{SecureRandom, SystemRandom},
};
use serde::{Serialize, de::DeserializeOwned};

/// Shortest secret accepted, in bytes.
pub(crate) const MIN_SECRET_BYTES: usize = 32;

/// What an artefact is; each kind has its own key, its own prefix and its own AAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Client,
    Form,
    Code,
    Access,
    Refresh,
}

impl Kind {
    const ALL: [Kind; 5] = [Kind::Client, Kind::Form, Kind::Code, Kind::Access, Kind::Refresh];

    fn label(self) -> &'static [u8] {
        match self {
            Kind::Client => b"fal-mcp v1 client id",
            Kind::Form => b"fal-mcp v1 sign-in form",
            Kind::Code => b"fal-mcp v1 authorization code",
            Kind::Access => b"fal-mcp v1 access token",
            Kind::Refresh => b"fal-mcp v1 refresh token",
        }
    }

    /// The visible prefix: it tells a caller (and the /mcp auth layer) what the string is.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Kind::Client => "falmcp_c_",
            Kind::Form => "falmcp_f_",
            Kind::Code => "falmcp_k_",
            Kind::Access => "falmcp_at_",
            Kind::Refresh => "falmcp_rt_",
        }
    }
}

/// The server secret, from FAL_MCP_TOKEN_SECRET (base64) or made at start-up. Debug never shows it.
#[derive(Clone)]
pub(crate) struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    /// A secret from its base64 form (standard or URL-safe, padded or not), at least 32 bytes.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let engines = [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::STANDARD_NO_PAD,
            base64::engine::general_purpose::URL_SAFE,
            URL_SAFE_NO_PAD,
        ];
        let bytes = engines
            .iter()
            .find_map(|e| e.decode(text).ok())
            .ok_or("the token secret is not base64 (make one with `openssl rand -base64 32`)")?;
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the token secret is {} bytes; it needs at least {MIN_SECRET_BYTES} random bytes (`openssl rand -base64 32`)",
                bytes.len()
            ));
        }
        Ok(Self(bytes))
    }

    /// A fresh random secret, for a server that was given none.
    pub(crate) fn random() -> Self {
        let mut bytes = vec![0u8; MIN_SECRET_BYTES];
        SystemRandom::new().fill(&mut bytes).expect("the system's random source works");
        Self(bytes)
    }
}

/// One key per kind, derived from one secret.
struct Keys(Vec<(Kind, LessSafeKey)>);

impl Keys {
    fn derive(secret: &Secret) -> Self {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"fal-mcp token keys").extract(&secret.0);
        let keys = Kind::ALL
            .into_iter()
            .map(|kind| {
                let info = [kind.label()];
                let okm = prk.expand(&info, &aead::CHACHA20_POLY1305).expect("32 bytes fit HKDF-SHA256's output");
                (kind, LessSafeKey::new(UnboundKey::from(okm)))
            })
            .collect();
        Self(keys)
    }

    fn get(&self, kind: Kind) -> &LessSafeKey {
        &self.0.iter().find(|(k, _)| *k == kind).expect("every kind has a key").1
    }
}

/// Seals with the current secret; opens with the current one or, while it rotates, the previous one.
pub(crate) struct Sealer {
    current: Keys,
    previous: Option<Keys>,
    random: SystemRandom,
}

impl Sealer {
    pub(crate) fn new(current: &Secret, previous: Option<&Secret>) -> Self {
        Self { current: Keys::derive(current), previous: previous.map(Keys::derive), random: SystemRandom::new() }
    }

    /// `payload` as an artefact of `kind`: its prefix, then base64url(nonce ‖ ciphertext ‖ tag).
    pub(crate) fn seal<T: Serialize>(&self, kind: Kind, payload: &T) -> String {
        let mut data = serde_json::to_vec(payload).expect("payloads serialize");
        let mut nonce = [0u8; aead::NONCE_LEN];
        self.random.fill(&mut nonce).expect("the system's random source works");
        self.current
            .get(kind)
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(kind.label()), &mut data)
            .expect("sealing a short payload cannot fail");
        let mut out = Vec::with_capacity(nonce.len() + data.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&data);
        format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(out))
    }

    /// The payload of an artefact of `kind`, or None when it is not one (wrong kind, tampered,
    /// made under another secret, malformed). Says nothing about expiry: callers check that.
    pub(crate) fn open<T: DeserializeOwned>(&self, kind: Kind, artefact: &str) -> Option<T> {
        let raw = URL_SAFE_NO_PAD.decode(artefact.strip_prefix(kind.prefix())?).ok()?;
        if raw.len() < aead::NONCE_LEN + aead::CHACHA20_POLY1305.tag_len() {
            return None;
        }
        [Some(&self.current), self.previous.as_ref()].into_iter().flatten().find_map(|keys| {
            let (nonce, sealed) = raw.split_at(aead::NONCE_LEN);
            let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
            let mut data = sealed.to_vec();
            let plain = keys.get(kind).open_in_place(nonce, Aad::from(kind.label()), &mut data).ok()?;
            serde_json::from_slice(plain).ok()
        })
    }

    /// Random bytes as URL-safe text, for identifiers that must not repeat.
    pub(crate) fn random_id(&self) -> String {
        let mut bytes = [0u8; 16];
        self.random.fill(&mut bytes).expect("the system's random source works");
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Payload {
        key: String,
        exp: u64,
    }

    fn secret(fill: u8) -> Secret {
        Secret(vec![fill; 32])
    }

    #[test]
    fn opens_what_it_sealed_and_nothing_else() {
        let sealer = Sealer::new(&secret(1), None);
        let payload = Payload { key: "id:secret".into(), exp: 9 };
        let token = sealer.seal(Kind::Access, &payload);
        assert!(token.starts_with("falmcp_at_") && !token.contains("id:secret"));
        assert_eq!(sealer.open::<Payload>(Kind::Access, &token), Some(payload));
        let as_refresh = token.replacen("falmcp_at_", "falmcp_rt_", 1);
        assert_eq!(sealer.open::<Payload>(Kind::Refresh, &as_refresh), None, "one kind never passes as another");
        let mut tampered = token.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(sealer.open::<Payload>(Kind::Access, &String::from_utf8(tampered).unwrap()), None);
        assert_eq!(Sealer::new(&secret(2), None).open::<Payload>(Kind::Access, &token), None, "another secret");
        assert_eq!(sealer.open::<Payload>(Kind::Access, "falmcp_at_"), None);
        assert_eq!(sealer.open::<Payload>(Kind::Access, "falmcp_at_!!!"), None);
    }

    #[test]
    fn a_rotating_secret_still_opens_what_the_previous_one_sealed() {
        let old = Sealer::new(&secret(1), None);
        let token = old.seal(Kind::Refresh, &Payload { key: "k".into(), exp: 1 });
        let rotated = Sealer::new(&secret(2), Some(&secret(1)));
        assert!(rotated.open::<Payload>(Kind::Refresh, &token).is_some());
        assert!(Sealer::new(&secret(2), None).open::<Payload>(Kind::Refresh, &token).is_none());
    }

    #[test]
    fn secrets_are_base64_of_at_least_32_bytes() {
        assert!(Secret::parse(&base64::engine::general_purpose::STANDARD.encode([7u8; 32])).is_ok());
        assert!(Secret::parse(&URL_SAFE_NO_PAD.encode([7u8; 48])).is_ok());
        assert!(
            Secret::parse(&base64::engine::general_purpose::STANDARD.encode([7u8; 31]))
                .unwrap_err()
                .contains("31 bytes")
        );
        assert!(Secret::parse("not base64 at all!").unwrap_err().contains("not base64"));
        assert_eq!(format!("{:?}", secret(9)), "Secret(<redacted>)");
    }
}
