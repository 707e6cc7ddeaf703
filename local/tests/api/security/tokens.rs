//! Tokens: every authenticated route refuses missing, expired and forged tokens (alg none, HS256 with the public key, tampering).

use super::Api;
use crate::support::*;
use base64::Engine as _;
use serde_json::{json, Value};

fn url_b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// DER: tag, length, content.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    if content.len() < 128 {
        out.push(content.len() as u8);
    } else {
        let length: Vec<u8> = content.len().to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | length.len() as u8);
        out.extend(length);
    }
    out.extend_from_slice(content);
    out
}

fn der_unsigned(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = if trimmed.first().is_some_and(|b| b & 0x80 != 0) { vec![0] } else { Vec::new() };
    content.extend(trimmed);
    der(0x02, &content)
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// The signing key's public half as PEM (SPKI and PKCS#1), rebuilt from the
/// JWKS: what an attacker has when trying HS256 with the public key.
fn public_key_pems(jwks: &Value) -> (String, String) {
    let decode = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap();
    let key = &jwks["keys"][0];
    let pkcs1 = der(0x30, &[der_unsigned(&decode(&key["n"])), der_unsigned(&decode(&key["e"]))].concat());
    let rsa_encryption = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let algorithm = der(0x30, &[der(0x06, &rsa_encryption), vec![0x05, 0x00]].concat());
    let spki = der(0x30, &[algorithm, der(0x03, &[vec![0], pkcs1.clone()].concat())].concat());
    (pem("PUBLIC KEY", &spki), pem("RSA PUBLIC KEY", &pkcs1))
}

/// Every way a token can be wrong, for `user`: (what, token).
fn forged_tokens(stack: &TestStack, jwks: &Value, user: i64, valid: &str) -> Vec<(String, String)> {
    let key_file =
        stack.env.get("JWT_PRIVATE_KEY_FILE").cloned().or_else(|| std::env::var("JWT_PRIVATE_KEY_FILE").ok());
    let private_pem = match key_file {
        Some(path) => std::fs::read_to_string(path).unwrap(),
        None => std::env::var("JWT_PRIVATE_KEY").expect("JWT_PRIVATE_KEY_FILE or JWT_PRIVATE_KEY"),
    };
    let signing = jsonwebtoken::EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
    let kid = jwks["keys"][0]["kid"].as_str().unwrap().to_string();
    let config = &stack.services.config.jwt;
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64, iss: &str, aud: &str| {
        json!({"iss": iss, "aud": aud, "sub": user.to_string(), "exp": exp, "iat": exp - 3600,
               "jti": uuid::Uuid::new_v4().to_string(), "role": "customer"})
    };
    let rs256 = |claims: &Value| {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(kid.clone());
        jsonwebtoken::encode(&header, claims, &signing).unwrap()
    };
    let good_claims = claims(now + 3600, &config.issuer, &config.audience);
    // Sanity: the key and claims used here make a token the API accepts.
    assert!(stack.services.tokens.verify(&rs256(&good_claims)).is_ok());

    let (spki, pkcs1) = public_key_pems(jwks);
    let decoding = jsonwebtoken::DecodingKey::from_rsa_pem(spki.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[&config.audience]);
    assert!(jsonwebtoken::decode::<Value>(valid, &decoding, &validation).is_ok(), "the rebuilt public key is wrong");
    let hs256 = |secret: &str| {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(kid.clone());
        jsonwebtoken::encode(&header, &good_claims, &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes())).unwrap()
    };
    let unsigned = |alg: &str| {
        let header = url_b64(json!({"alg": alg, "typ": "JWT", "kid": kid}).to_string().as_bytes());
        format!("{header}.{}.", url_b64(good_claims.to_string().as_bytes()))
    };
    let parts: Vec<&str> = valid.split('.').collect();
    // A different signature byte in the middle (the last character may only carry padding bits).
    let mut signature = parts[2].to_string();
    let middle = signature.len() / 2;
    let flipped = if &signature[middle..=middle] == "A" { "B" } else { "A" };
    signature.replace_range(middle..=middle, flipped);
    let someone_else = url_b64(
        claims(now + 3600, &config.issuer, &config.audience)
            .to_string()
            .replace(&format!("\"sub\":\"{user}\""), &format!("\"sub\":\"{}\"", user + 1))
            .as_bytes(),
    );
    let admin_claims = {
        let mut c = good_claims.clone();
        c["role"] = json!("admin");
        url_b64(c.to_string().as_bytes())
    };
    vec![
        ("expired".into(), rs256(&claims(now - 3600, &config.issuer, &config.audience))),
        ("wrong issuer".into(), rs256(&claims(now + 3600, "https://evil.example", &config.audience))),
        ("wrong audience".into(), rs256(&claims(now + 3600, &config.issuer, "another-api"))),
        ("tampered signature".into(), format!("{}.{}.{signature}", parts[0], parts[1])),
        ("tampered subject".into(), format!("{}.{someone_else}.{}", parts[0], parts[2])),
        ("tampered role".into(), format!("{}.{admin_claims}.{}", parts[0], parts[2])),
        ("no signature".into(), format!("{}.{}.", parts[0], parts[1])),
        ("alg none".into(), unsigned("none")),
        ("alg None".into(), unsigned("None")),
        ("HS256 with the SPKI public key".into(), hs256(&spki)),
        ("HS256 with the PKCS#1 public key".into(), hs256(&pkcs1)),
        ("HS256 with the public key, trimmed".into(), hs256(spki.trim())),
        ("garbage".into(), "not.a.jwt".into()),
    ]
}

fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/api/health"
            | "/api/auth/signup"
            | "/api/auth/login"
            | "/.well-known/jwks.json"
            | "/.well-known/openid-configuration"
    ) || path.contains("openapi")
}

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|part| if part.starts_with('{') && part.ends_with('}') { "1" } else { part })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_authenticated_route_refuses_missing_expired_and_forged_tokens_over_http() {
    within(60, async {
        let stack = TestStack::new().await;
        let api = Api::new(&stack).await;
        let (user, valid) = customer(&stack, "tokens@example.com").await;
        let jwks = api.call("GET", "/.well-known/jwks.json", None, None).await.json();
        let forged = forged_tokens(&stack, &jwks, user, &valid);
        let template = local_stack::template::Template::load(local_stack::testing::template_path()).unwrap();
        let routes: Vec<_> = template.routes.iter().filter(|r| !is_public(&r.path)).collect();
        assert!(routes.len() >= 18, "only {} authenticated routes found", routes.len());

        let mut failures = Vec::new();
        let mut checked = 0;
        for route in &routes {
            let path = concrete(&route.path);
            let body = (route.method == "POST").then(|| json!({}));
            // The route is really there and the token is what decides.
            let accepted = api.call(&route.method, &path, Some(&valid), body.as_ref()).await;
            if accepted.status == 401 || accepted.status >= 500 {
                failures
                    .push(format!("{} {path} with a valid token: {} {}", route.method, accepted.status, accepted.text));
            }
            let mut variants: Vec<(String, Vec<(&str, String)>)> = vec![
                ("no Authorization".into(), vec![]),
                ("Basic scheme".into(), vec![("authorization", "Basic dXNlcjpwYXNz".into())]),
                ("empty Bearer".into(), vec![("authorization", "Bearer ".into())]),
                ("token without scheme".into(), vec![("authorization", valid.clone())]),
            ];
            for (what, token) in &forged {
                variants.push((what.clone(), vec![("authorization", format!("Bearer {token}"))]));
            }
            for (what, mut headers) in variants {
                checked += 1;
                if body.is_some() {
                    headers.push(("content-type", "application/json".into()));
                }
                let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let answer =
                    api.raw(&route.method, &path, &headers, body.as_ref().map(|b| b.to_string().into_bytes())).await;
                let wrong = answer.problem_faults(401, Some("UNAUTHORIZED"));
                if !wrong.is_empty() {
                    failures.push(format!("{} {path} ({what}): {} — {}", route.method, wrong.join(", "), answer.text));
                }
            }
        }
        assert!(failures.is_empty(), "{} of {checked} token checks failed:\n{}", failures.len(), failures.join("\n"));
    })
    .await
}
