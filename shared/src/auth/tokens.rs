//! RS256 access tokens. Asymmetric so API Gateway's JWT authorizer (and any
//! other service) can verify them from the public JWKS without the secret.

use crate::auth::keys::{KeyRing, SigningKeySecret};
use crate::config::{JwtConfig, JwtKeys};
use crate::store::secrets::SecretStore;
use crate::ApiError;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

pub use crate::domain::accounts::Role;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id, as a string (RFC 7519).
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub role: Role,
    /// The account's name (the OpenID Connect `name` claim), so a booking
    /// can name its passenger without reading the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Claims {
    pub fn user_id(&self) -> Result<i64, ApiError> {
        Some(self.sub.as_str())
            .filter(|sub| !sub.is_empty() && sub.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|sub| sub.parse::<i64>().ok())
            .filter(|id| *id > 0)
            .ok_or_else(|| ApiError::Unauthorized("token subject is not a user id".into()))
    }
}

pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Signs and verifies tokens. The keys come from `JWT_PRIVATE_KEY` (one key
/// that signs and verifies: local runs and tests) or from Secrets Manager
/// (`keys`), read on first use and again after `SECRETS_TTL_SECONDS`.
pub struct TokenService {
    config: JwtConfig,
    validation: Validation,
    ring: RwLock<Arc<KeyRing>>,
    /// When the ring was read from the secrets; `None` before the first read.
    loaded_at: Mutex<Option<Instant>>,
    /// When a token with an unknown kid last made us read the JWKS again.
    forced_at: Mutex<Option<Instant>>,
    verified: VerifiedTokens,
}

/// At most one extra JWKS read per this interval for unknown kids, so
/// garbage tokens cannot turn into Secrets Manager traffic.
const UNKNOWN_KID_REFRESH: Duration = Duration::from_secs(10);

/// Tokens this instance has already verified, by the SHA-256 of the whole
/// token: an RS256 check costs ~185 µs of CPU and a client sends the same
/// token with every request, so repeats cost a hash (~2 µs) instead. Only a
/// byte-identical token hits; its expiry is still checked on every use.
/// Bounded: when full it starts again empty (tokens are re-verified then).
#[derive(Default)]
struct VerifiedTokens {
    entries: std::sync::Mutex<std::collections::HashMap<[u8; 32], Claims>>,
}

/// Distinct tokens remembered per instance (~200 bytes each).
const VERIFIED_TOKENS_MAX: usize = 20_000;

impl VerifiedTokens {
    fn get(&self, digest: &[u8; 32], now: i64, leeway: i64) -> Option<Claims> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(digest).filter(|claims| claims.exp + leeway >= now).cloned()
    }

    fn clear(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn put(&self, digest: [u8; 32], claims: &Claims) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= VERIFIED_TOKENS_MAX {
            entries.clear();
        }
        entries.insert(digest, claims.clone());
    }
}

impl TokenService {
    pub fn from_config(config: &JwtConfig) -> Result<Self, String> {
        let ring = match &config.keys {
            JwtKeys::PrivateKey(pem) => KeyRing::from_private_pem(pem)?,
            // Read on first use (`refresh`): no network during cold start.
            JwtKeys::Secrets { .. } => KeyRing::empty(),
        };
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        validation.leeway = 30;
        Ok(TokenService {
            config: config.clone(),
            validation,
            ring: RwLock::new(Arc::new(ring)),
            loaded_at: Mutex::new(None),
            forced_at: Mutex::new(None),
            verified: VerifiedTokens::default(),
        })
    }

    fn ring(&self) -> Arc<KeyRing> {
        self.ring.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads the keys from Secrets Manager when they are older than the
    /// secrets' TTL (nothing to do with a configured private key). A failed
    /// read keeps the keys already held; with none held it is a `503`.
    pub async fn refresh(&self, secrets: &SecretStore) -> Result<(), ApiError> {
        self.refresh_with(secrets, false).await
    }

    /// `force`: now, and past Secrets Manager's per-instance cache too.
    async fn refresh_with(&self, secrets: &SecretStore, force: bool) -> Result<(), ApiError> {
        let JwtKeys::Secrets { signing, public } = &self.config.keys else { return Ok(()) };
        let loaded_at = *self.loaded_at.lock().unwrap_or_else(|e| e.into_inner());
        if !force && loaded_at.is_some_and(|at| at.elapsed() < secrets.ttl()) {
            return Ok(());
        }
        // Boxed: the SDK's future is large and deep, and this sits in every
        // authenticated handler's future.
        match Box::pin(self.load(secrets, signing.as_deref(), public, force)).await {
            Ok(()) => Ok(()),
            Err(e) if loaded_at.is_some() => {
                tracing::warn!(error = %e, "keeping the token keys already held");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// `fresh`: past the per-instance secrets cache (a kid we do not know
    /// means the cached JWKS may be older than the token).
    async fn load(
        &self,
        secrets: &SecretStore,
        signing: Option<&str>,
        public: &str,
        fresh: bool,
    ) -> Result<(), ApiError> {
        let jwks: Value = if fresh { secrets.fetch_json(public).await? } else { secrets.get_json(public).await? };
        let mut ring = KeyRing::from_jwks(&jwks).map_err(|e| ApiError::internal(format!("{public}: {e}")))?;
        if let Some(signing) = signing {
            let secret: SigningKeySecret =
                if fresh { secrets.fetch_json(signing).await? } else { secrets.get_json(signing).await? };
            ring = ring.with_signer(&secret).map_err(|e| ApiError::internal(format!("{signing}: {e}")))?;
        }
        let changed = {
            let current = self.ring();
            current.jwks != ring.jwks || current.signer.as_ref().map(|s| &s.kid) != ring.signer.as_ref().map(|s| &s.kid)
        };
        if changed {
            // A retired key's tokens must not stay accepted from memory.
            self.verified.clear();
            *self.ring.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(ring);
            tracing::info!(kids = ?self.ring().kids(), "token keys loaded");
        }
        *self.loaded_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        Ok(())
    }

    /// `verify`, after `refresh`; a token whose kid is not among the keys
    /// held makes the instance read the keys again (a rotation it has not
    /// seen yet) before it is refused.
    pub async fn verify_current(&self, token: &str, secrets: &SecretStore) -> Result<Claims, ApiError> {
        self.refresh(secrets).await?;
        match self.verify(token) {
            Err(e) if self.unknown_kid(token) && self.may_force_refresh() => {
                self.refresh_with(secrets, true).await?;
                self.verify(token).map_err(|_| e)
            }
            other => other,
        }
    }

    fn unknown_kid(&self, token: &str) -> bool {
        matches!(&self.config.keys, JwtKeys::Secrets { .. })
            && jsonwebtoken::decode_header(token)
                .ok()
                .and_then(|h| h.kid)
                .is_some_and(|kid| self.ring().verifying_key(Some(&kid)).is_none())
    }

    fn may_force_refresh(&self) -> bool {
        let mut forced = self.forced_at.lock().unwrap_or_else(|e| e.into_inner());
        if forced.is_some_and(|at| at.elapsed() < UNKNOWN_KID_REFRESH) {
            return false;
        }
        *forced = Some(Instant::now());
        true
    }

    pub fn issue(&self, user_id: i64, role: Role) -> Result<IssuedToken, ApiError> {
        self.issue_named(user_id, role, None)
    }

    /// Needs the signing key: a configured private key, or the signing
    /// secret read by `refresh` (only the signing functions can read it).
    pub fn issue_named(&self, user_id: i64, role: Role, name: Option<&str>) -> Result<IssuedToken, ApiError> {
        let ring = self.ring();
        let signer = ring.signer.as_ref().ok_or_else(|| ApiError::internal("this function holds no signing key"))?;
        let now = Utc::now();
        let expires_at = now + chrono::Duration::from_std(self.config.ttl).map_err(ApiError::internal)?;
        let claims = Claims {
            iss: self.config.issuer.clone(),
            aud: self.config.audience.clone(),
            sub: user_id.to_string(),
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
            role,
            name: name.map(str::to_owned),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(signer.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &signer.key).map_err(ApiError::internal)?;
        Ok(IssuedToken { token, expires_at })
    }

    /// The public keys (current first, then the previous one during a rotation).
    pub fn jwks(&self) -> Value {
        self.ring().jwks.clone()
    }

    pub fn openid_configuration(&self) -> Value {
        let issuer = self.config.issuer.trim_end_matches('/');
        json!({
            "issuer": self.config.issuer,
            "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "claims_supported": ["iss", "aud", "sub", "exp", "iat", "jti", "role", "name"],
        })
    }

    /// Any token that is not an RS256 token signed by one of our keys (by
    /// kid), for our audience, unexpired, is refused; `alg: none` and HS256
    /// with the public key as secret fail the algorithm check.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let leeway = self.validation.leeway as i64;
        if let Some(claims) = self.verified.get(&digest, Utc::now().timestamp(), leeway) {
            return Ok(claims);
        }
        let claims = self.verify_signature(token)?;
        self.verified.put(digest, &claims);
        Ok(claims)
    }

    fn verify_signature(&self, token: &str) -> Result<Claims, ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ApiError::Unauthorized("the token is malformed or invalid".into()))?;
        let ring = self.ring();
        let key = ring.verifying_key(header.kid.as_deref()).ok_or_else(|| {
            ApiError::Unauthorized("the token is signed with a key that is not ours (any more)".into())
        })?;
        jsonwebtoken::decode::<Claims>(token, key, &self.validation).map(|data| data.claims).map_err(|e| {
            let reason = match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => "the token has expired",
                jsonwebtoken::errors::ErrorKind::InvalidSignature => "the token signature is invalid",
                jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => "the token algorithm is not accepted",
                jsonwebtoken::errors::ErrorKind::InvalidAudience => "the token is for another audience",
                jsonwebtoken::errors::ErrorKind::InvalidIssuer => "the token is from another issuer",
                _ => "the token is malformed or invalid",
            };
            ApiError::Unauthorized(reason.into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::EncodingKey;
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    use rsa::{RsaPrivateKey, RsaPublicKey};
    use std::sync::OnceLock;
    use std::time::Duration;

    fn private_key() -> &'static RsaPrivateKey {
        static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
        KEY.get_or_init(|| RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap())
    }

    fn service(ttl_secs: u64) -> TokenService {
        let pem = private_key().to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
        TokenService::from_config(&JwtConfig {
            keys: JwtKeys::PrivateKey(pem),
            issuer: "https://issuer.test".into(),
            audience: "api".into(),
            ttl: Duration::from_secs(ttl_secs),
        })
        .unwrap()
    }

    fn b64(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    #[test]
    fn issued_tokens_verify_and_carry_the_claims() {
        let tokens = service(600);
        let issued = tokens.issue(42, Role::Admin).unwrap();
        let claims = tokens.verify(&issued.token).unwrap();
        assert_eq!(claims.user_id().unwrap(), 42);
        assert_eq!(claims.role, Role::Admin);
        assert_eq!(claims.iss, "https://issuer.test");
        assert!(!claims.jti.is_empty());
        let header = jsonwebtoken::decode_header(&issued.token).unwrap();
        assert_eq!(header.kid.as_deref(), tokens.jwks()["keys"][0]["kid"].as_str());
    }

    #[test]
    fn refuses_tampered_expired_none_and_hs256_confusion() {
        let tokens = service(600);
        let good = tokens.issue(1, Role::Customer).unwrap().token;
        let parts: Vec<&str> = good.split('.').collect();
        let verify = |t: &str| tokens.verify(t).unwrap_err().status().as_u16();

        // Payload changed to admin, signature kept.
        let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        claims["role"] = json!("admin");
        assert_eq!(verify(&format!("{}.{}.{}", parts[0], b64(&claims), parts[2])), 401);

        // alg: none with no signature.
        let none = format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), parts[1]);
        assert_eq!(verify(&none), 401);

        // HS256 signed with the public key as the HMAC secret.
        let public_pem = RsaPublicKey::from(private_key()).to_public_key_pem(LineEnding::LF).unwrap();
        let forged = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap(),
            &EncodingKey::from_secret(public_pem.as_bytes()),
        )
        .unwrap();
        assert_eq!(verify(&forged), 401);

        // Expired well beyond the leeway.
        let mut old: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        old["exp"] = json!(Utc::now().timestamp() - 3600);
        let expired =
            jsonwebtoken::encode(&Header::new(Algorithm::RS256), &old, &tokens.ring().signer.as_ref().unwrap().key)
                .unwrap();
        let err = tokens.verify(&expired).unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");

        for garbage in ["", "abc", "a.b.c", "....", &"x".repeat(10_000)] {
            assert_eq!(verify(garbage), 401, "{garbage}");
        }
    }

    #[test]
    fn a_remembered_token_is_still_refused_once_expired() {
        let tokens = service(600);
        let token = tokens.issue(7, Role::Customer).unwrap().token;
        let first = tokens.verify(&token).unwrap();
        let again = tokens.verify(&token).unwrap();
        assert_eq!((first.sub.as_str(), first.jti.as_str()), (again.sub.as_str(), again.jti.as_str()));
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let remembered = &tokens.verified;
        assert!(remembered.get(&digest, first.exp + 30, 30).is_some(), "within the leeway");
        assert!(remembered.get(&digest, first.exp + 31, 30).is_none(), "past the leeway");
        // A token differing in one byte is verified afresh (and refused).
        let mut tampered = token.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(tokens.verify(std::str::from_utf8(&tampered).unwrap()).is_err());
    }

    #[test]
    fn jwks_exposes_only_the_public_key() {
        let jwks = service(600).jwks();
        let key = &jwks["keys"][0];
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["e"], "AQAB");
        assert!(key.get("d").is_none() && key.get("p").is_none());
        let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
        assert_eq!(n.len(), 256);
    }
}
