//! The RSA keys behind access tokens, and the two secrets that hold them:
//!
//! - the **signing key** `{"kid", "privateKeyPem"}`, readable only by the
//!   functions that sign (auth-signup, auth-login);
//! - the **public keys**, a JWKS `{"keys": [current, previous?]}`, readable
//!   by every function and published at `/.well-known/jwks.json`.
//!
//! Rotation (`stack jwt-keys rotate|retire`, README "Rotating the token
//! signing key"): `rotate` publishes a new key beside the current one and
//! makes it the signing key in one step (a verifier that meets a token with
//! a kid it does not know reads the JWKS again before refusing it); tokens
//! signed with the previous key verify until they expire; `retire` drops the
//! previous key, and its tokens are `401` from then on.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The signing key's secret.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningKeySecret {
    pub kid: String,
    pub private_key_pem: String,
}

impl std::fmt::Debug for SigningKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeySecret").field("kid", &self.kid).field("private_key_pem", &"<redacted>").finish()
    }
}

/// The key that signs, with its kid.
pub struct Signer {
    pub kid: String,
    pub key: EncodingKey,
}

/// What one instance signs and verifies with.
pub struct KeyRing {
    pub signer: Option<Signer>,
    verifying: Vec<(String, DecodingKey)>,
    /// The public keys as published.
    pub jwks: Value,
}

impl KeyRing {
    /// No key yet: every token is refused and nothing can be signed.
    pub fn empty() -> Self {
        KeyRing { signer: None, verifying: Vec::new(), jwks: json!({ "keys": [] }) }
    }

    /// One key that both signs and verifies (`JWT_PRIVATE_KEY`: local runs and tests).
    pub fn from_private_pem(pem: &str) -> Result<Self, String> {
        let (signer, jwk) = signer_from_pem(pem, None)?;
        let jwks = json!({ "keys": [jwk] });
        let mut ring = KeyRing::from_jwks(&jwks)?;
        ring.signer = Some(signer);
        Ok(ring)
    }

    /// Verifying keys from a JWKS (no signer).
    pub fn from_jwks(jwks: &Value) -> Result<Self, String> {
        let keys = jwks["keys"].as_array().ok_or("the JWKS has no `keys` array")?;
        let mut verifying = Vec::new();
        for key in keys {
            let kid = key["kid"].as_str().ok_or("a JWKS key has no kid")?;
            let (n, e) = (key["n"].as_str().ok_or("a JWKS key has no n")?, key["e"].as_str().ok_or("no e")?);
            let decoding = DecodingKey::from_rsa_components(n, e).map_err(|e| format!("JWKS key {kid}: {e}"))?;
            verifying.push((kid.to_string(), decoding));
        }
        if verifying.is_empty() {
            return Err("the JWKS holds no key".into());
        }
        Ok(KeyRing { signer: None, verifying, jwks: jwks.clone() })
    }

    pub fn with_signer(mut self, secret: &SigningKeySecret) -> Result<Self, String> {
        let (signer, _) = signer_from_pem(&secret.private_key_pem, Some(&secret.kid))?;
        self.signer = Some(signer);
        Ok(self)
    }

    /// The verifying key for a token's kid; a token without a kid is tried
    /// against the only key when there is just one.
    pub fn verifying_key(&self, kid: Option<&str>) -> Option<&DecodingKey> {
        match kid {
            Some(kid) => self.verifying.iter().find(|(k, _)| k == kid).map(|(_, key)| key),
            None if self.verifying.len() == 1 => Some(&self.verifying[0].1),
            None => None,
        }
    }

    pub fn kids(&self) -> Vec<&str> {
        self.verifying.iter().map(|(kid, _)| kid.as_str()).collect()
    }
}

fn parse_private(pem: &str) -> Result<RsaPrivateKey, String> {
    let pem = pem.trim();
    let private = RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|e| format!("the JWT private key is not an RSA PEM key: {e}"))?;
    if private.size() < 256 {
        return Err("the JWT private key must be at least 2048 bits".into());
    }
    Ok(private)
}

/// The signer and its public JWK; the kid is the RFC 7638 thumbprint unless given.
fn signer_from_pem(pem: &str, kid: Option<&str>) -> Result<(Signer, Value), String> {
    let private = parse_private(pem)?;
    let jwk = public_jwk(&RsaPublicKey::from(&private), kid);
    let key = EncodingKey::from_rsa_pem(pem.trim().as_bytes()).map_err(|e| format!("JWT private key: {e}"))?;
    let kid = jwk["kid"].as_str().unwrap_or_default().to_string();
    Ok((Signer { kid, key }, jwk))
}

/// The public JWK of a key; kid = RFC 7638 thumbprint unless given.
pub fn public_jwk(public: &RsaPublicKey, kid: Option<&str>) -> Value {
    let n = URL_SAFE_NO_PAD.encode(public.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(public.e().to_bytes_be());
    // Members in lexicographic order, no spaces.
    let thumbprint_input = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let kid = kid.map(str::to_owned).unwrap_or_else(|| URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint_input)));
    json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e})
}

/// The secrets' contents for a first key.
pub fn initial_secrets(private_pem: &str) -> Result<(SigningKeySecret, Value), String> {
    let (signer, jwk) = signer_from_pem(private_pem, None)?;
    Ok((SigningKeySecret { kid: signer.kid, private_key_pem: private_pem.trim().to_string() }, json!({"keys": [jwk]})))
}

/// Rotation, step one: `new_pem` signs from now on; the JWKS lists it first
/// and keeps the key that signed until now (older ones are dropped).
pub fn rotated_secrets(current_jwks: &Value, new_pem: &str) -> Result<(SigningKeySecret, Value), String> {
    let (signing, fresh) = initial_secrets(new_pem)?;
    let mut keys = fresh["keys"].as_array().cloned().unwrap_or_default();
    if let Some(current) = current_jwks["keys"].as_array().and_then(|k| k.first()) {
        if current["kid"] != keys[0]["kid"] {
            keys.push(current.clone());
        }
    }
    Ok((signing, json!({ "keys": keys })))
}

/// Rotation, step two: only the signing key stays published.
pub fn retired_jwks(current_jwks: &Value, signing_kid: &str) -> Value {
    let keys: Vec<Value> = current_jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|key| key["kid"] == signing_kid)
        .cloned()
        .collect();
    json!({ "keys": keys })
}

/// A new 2048-bit RSA key as PKCS#8 PEM.
pub fn generate_private_pem() -> Result<String, String> {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(|e| e.to_string())?;
    key.to_pkcs8_pem(LineEnding::LF).map(|pem| pem.to_string()).map_err(|e| e.to_string())
}

/// `n`/`e` back into a key, for tests that compare.
pub fn jwk_public_key(jwk: &Value) -> Option<RsaPublicKey> {
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str()?).ok()?;
    let e = URL_SAFE_NO_PAD.decode(jwk["e"].as_str()?).ok()?;
    RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).ok()
}
