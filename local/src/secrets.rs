//! The template's secrets in the emulator's Secrets Manager, so that locally
//! too every password and key is read at run time, as in AWS:
//!
//! - `AWS::SecretsManager::Secret` resources are created as
//!   `<prefix><LogicalId>`: the token keys (`auth::keys`) from the stack's
//!   key (`JWT_PRIVATE_KEY_FILE`), the admin from `ADMIN_EMAIL` /
//!   `ADMIN_PASSWORD`, others generated as the template says;
//! - the parameters naming secrets that exist outside the stack
//!   (`DatabaseSecretArn`, `RedisAuthSecretArn`) get a secret holding the
//!   user and password of `DATABASE_URL` / `REDIS_URL`, and the functions see
//!   those URLs without their password ([`without_password`]);
//!   `DatabaseOwnerSecretArn` (db-migrate's) holds the schema owner's, from
//!   `DATABASE_ADMIN_URL`.
//!
//! `stack jwt-keys` uses the same calls to rotate the token key, here or in AWS.

use crate::template::Template;
use anyhow::{anyhow, Context};
use rand::Rng;
use serde_json::{json, Value};
use shared::auth::keys;
use shared::store::aws::AwsClients;
use std::collections::BTreeMap;

/// Template parameters that name a secret made outside the stack, and the
/// URL variable whose credentials such a secret holds locally.
pub const CREDENTIAL_PARAMETERS: [(&str, &str); 3] = [
    ("DatabaseSecretArn", "DATABASE_URL"),
    ("DatabaseOwnerSecretArn", "DATABASE_ADMIN_URL"),
    ("RedisAuthSecretArn", "REDIS_URL"),
];

/// Creates the secrets (idempotent: existing values are kept, except the
/// credentials, which follow the URLs) and returns `!Ref` → ARN.
pub async fn provision_secrets(
    template: &Template,
    aws: &AwsClients,
    prefix: &str,
    process_env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut refs = BTreeMap::new();
    for (parameter, url_variable) in CREDENTIAL_PARAMETERS {
        if !template.parameters.contains_key(parameter) {
            continue;
        }
        let Some(url) = process_env(url_variable) else { continue };
        let (username, password) = credentials_of(&url);
        let value = json!({ "username": username, "password": password }).to_string();
        let name = format!("{prefix}{}", parameter.trim_end_matches("Arn"));
        refs.insert(parameter.to_string(), put(aws, &name, &value, true).await?);
    }
    for secret in &template.secrets {
        let name = format!("{prefix}{}", secret.logical_id);
        let arn = match existing(aws, &name).await? {
            Some(arn) => arn,
            None => put(aws, &name, &initial_value(secret, &process_env)?, false).await?,
        };
        refs.insert(secret.logical_id.clone(), arn);
    }
    if let (Some(signing), Some(public)) = (refs.get("JwtSigningKeySecret"), refs.get("JwtPublicKeysSecret")) {
        let pem = local_private_key(&process_env)?;
        init_token_keys(aws, signing, public, pem.as_deref()).await?;
    }
    Ok(refs)
}

fn initial_value(secret: &crate::template::Secret, env: &impl Fn(&str) -> Option<String>) -> anyhow::Result<String> {
    if secret.logical_id == "AdminSecret" {
        if let (Some(email), Some(password)) = (env("ADMIN_EMAIL"), env("ADMIN_PASSWORD")) {
            return Ok(json!({ "email": email, "password": password }).to_string());
        }
    }
    Ok(match &secret.generate {
        Some((template, key)) => {
            let mut value: Value = serde_json::from_str(template).context("GenerateSecretString template")?;
            value[key.as_str()] = json!(random_password());
            value.to_string()
        }
        // Filled by whoever owns it (the token keys: below).
        None => "{}".into(),
    })
}

fn random_password() -> String {
    rand::thread_rng().sample_iter(rand::distributions::Alphanumeric).take(32).map(char::from).collect()
}

fn local_private_key(env: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<String>> {
    if let Some(pem) = env("JWT_PRIVATE_KEY") {
        return Ok(Some(pem));
    }
    match env("JWT_PRIVATE_KEY_FILE") {
        Some(path) => Ok(Some(std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?)),
        None => Ok(None),
    }
}

/// The user and password of a URL (percent-decoded).
fn credentials_of(url: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let userinfo = authority.rsplit_once('@').map_or("", |(userinfo, _)| userinfo);
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    (shared::store::tls::percent_decode(user), shared::store::tls::percent_decode(password))
}

/// The URL without its password (the user stays).
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            if user.is_empty() {
                format!("{scheme}://{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            }
        }
        None => url.to_string(),
    }
}

async fn existing(aws: &AwsClients, name: &str) -> anyhow::Result<Option<String>> {
    match aws.secrets.describe_secret().secret_id(name).send().await {
        Ok(found) => Ok(found.arn),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(None),
        Err(e) => Err(anyhow!("reading secret {name}: {:?}", e.into_service_error())),
    }
}

/// Creates the secret, or (with `overwrite`) gives it this value; its ARN.
pub async fn put(aws: &AwsClients, name: &str, value: &str, overwrite: bool) -> anyhow::Result<String> {
    if let Some(arn) = existing(aws, name).await? {
        if overwrite {
            set(aws, &arn, value).await?;
        }
        return Ok(arn);
    }
    let created = aws.secrets.create_secret().name(name).secret_string(value).send().await;
    match created {
        Ok(created) => created.arn.ok_or_else(|| anyhow!("secret {name} has no ARN")),
        // Made in between by a concurrent provision.
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_exists_exception()) => {
            existing(aws, name).await?.ok_or_else(|| anyhow!("secret {name} vanished"))
        }
        Err(e) => Err(anyhow!("creating secret {name}: {:?}", e.into_service_error())),
    }
}

/// A new version of the secret's value.
pub async fn set(aws: &AwsClients, id: &str, value: &str) -> anyhow::Result<()> {
    aws.secrets
        .put_secret_value()
        .secret_id(id)
        .secret_string(value)
        .send()
        .await
        .map_err(|e| anyhow!("writing secret {id}: {:?}", e.into_service_error()))?;
    Ok(())
}

pub async fn get(aws: &AwsClients, id: &str) -> anyhow::Result<String> {
    let value = aws
        .secrets
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| anyhow!("reading secret {id}: {:?}", e.into_service_error()))?;
    value.secret_string.ok_or_else(|| anyhow!("secret {id} holds no string"))
}

/// `stack jwt-keys init`: a first key when the secrets hold none (a new
/// stack); nothing when they do. `pem`: the key to use, else a new one.
pub async fn init_token_keys(aws: &AwsClients, signing: &str, public: &str, pem: Option<&str>) -> anyhow::Result<bool> {
    let jwks: Value = serde_json::from_str(&get(aws, public).await?).unwrap_or(Value::Null);
    if jwks["keys"].as_array().is_some_and(|keys| !keys.is_empty()) {
        return Ok(false);
    }
    let pem = match pem {
        Some(pem) => pem.to_string(),
        None => keys::generate_private_pem().map_err(anyhow::Error::msg)?,
    };
    let (signing_value, jwks) = keys::initial_secrets(&pem).map_err(anyhow::Error::msg)?;
    // The public key first: a verifier must know it before a token carries it.
    set(aws, public, &jwks.to_string()).await?;
    set(aws, signing, &serde_json::to_string(&signing_value)?).await?;
    Ok(true)
}

/// `stack jwt-keys rotate`: a new key signs; the previous one still verifies.
pub async fn rotate_token_keys(aws: &AwsClients, signing: &str, public: &str, new_pem: &str) -> anyhow::Result<String> {
    let current: Value = serde_json::from_str(&get(aws, public).await?).context("the public keys secret")?;
    let (signing_value, jwks) = keys::rotated_secrets(&current, new_pem).map_err(anyhow::Error::msg)?;
    set(aws, public, &jwks.to_string()).await?;
    set(aws, signing, &serde_json::to_string(&signing_value)?).await?;
    Ok(signing_value.kid)
}

/// `stack jwt-keys retire`: only the signing key stays published; tokens
/// signed with the previous key are refused from then on.
pub async fn retire_previous_token_key(aws: &AwsClients, signing: &str, public: &str) -> anyhow::Result<()> {
    let current: Value = serde_json::from_str(&get(aws, public).await?).context("the public keys secret")?;
    let signer: keys::SigningKeySecret =
        serde_json::from_str(&get(aws, signing).await?).context("the signing key secret")?;
    set(aws, public, &keys::retired_jwks(&current, &signer.kid).to_string()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_out_of_urls_and_passwords_are_removed() {
        let url = "postgres://app:s%40cret@db:6432/fb?sslmode=verify-full";
        assert_eq!(credentials_of(url), ("app".into(), "s@cret".into()));
        assert_eq!(without_password(url), "postgres://app@db:6432/fb?sslmode=verify-full");
        assert_eq!(without_password("rediss://u:p@h:1"), "rediss://u@h:1");
        assert_eq!(without_password("rediss://:p@h:1"), "rediss://h:1");
        assert_eq!(without_password("redis://h:1"), "redis://h:1");
        assert_eq!(credentials_of("redis://h:1"), (String::new(), String::new()));
    }
}
