//! The TLS provider for every outgoing HTTPS client.

/// reqwest is built without a default TLS provider (ring builds faster and smaller than aws-lc);
/// every client constructor calls this first. Installing twice is harmless.
pub(crate) fn install() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
