//! The secrets IoT Center hands out — device tokens, API tokens, dashboard share links —
//! made one way, and kept (where they are kept) only as their SHA-256.

use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

/// 256 random bits as URL-safe base64 (43 characters).
pub fn random_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored of a secret: its SHA-256, in hex.
pub fn sha256_hex(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
