use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn walkthrough_signup_and_login_first_customer_is_user_1() {
    let stack = TestStack::new().await;
    // The admin exists before any customer and must not take id 1.
    let admin_id = stack.create_admin("admin@flightbook.local", "admin-change-me-42").await;
    assert!(admin_id > 1_000_000_000);

    let response = signup(&stack, "John", "john@example.com", "test123").await;
    assert_eq!(response.status(), 201);
    let doc = body_json(&response);
    assert_eq!(doc["userId"], 1);
    assert_eq!(doc["user"]["email"], "john@example.com");
    assert_eq!(doc["user"]["role"], "customer");
    assert!(doc["user"].get("passwordHash").is_none() && !doc.to_string().contains("argon2"));
    let claims = stack.services.tokens.verify(doc["token"].as_str().unwrap()).unwrap();
    assert_eq!(claims.sub, "1");

    let response = login(&stack, "john@example.com", "test123").await;
    let doc = body_json(&response);
    assert_eq!(response.status(), 200, "{doc}");
    assert_eq!(doc["userId"], 1);
    assert!(doc["expiresAt"].as_str().is_some());
    let me =
        auth_me::handle(&stack.services, request("GET", "/api/auth/me", None, doc["token"].as_str())).await.unwrap();
    assert_eq!(body_json(&me)["email"], "john@example.com");

    // The admin logs in with the admin role.
    let response = login(&stack, "ADMIN@flightbook.local ", "admin-change-me-42").await;
    let token = body_json(&response)["token"].as_str().unwrap().to_string();
    assert_eq!(stack.services.tokens.verify(&token).unwrap().role, shared::auth::tokens::Role::Admin);
}

#[tokio::test]
async fn duplicate_email_is_409_whatever_its_case_or_spacing() {
    let stack = TestStack::new().await;
    assert_eq!(signup(&stack, "A", "dup@example.com", "test123").await.status(), 201);
    let response = signup(&stack, "B", "  DUP@Example.com ", "another-pass").await;
    assert_problem(&response, 409, "EMAIL_TAKEN");
}

#[tokio::test]
async fn concurrent_signups_with_one_email_create_exactly_one_account() {
    let stack = TestStack::new().await;
    let attempts = (0..16).map(|i| {
        let stack = &stack;
        async move { signup(stack, &format!("Racer {i}"), "race@example.com", "test123").await.status().as_u16() }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    let count: i64 = stack
        .db()
        .await
        .query_one("SELECT count(*) FROM users WHERE email = 'race@example.com'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 1);
}

#[tokio::test]
async fn signup_rejects_bad_input_with_400_naming_the_problem() {
    let stack = TestStack::new().await;
    let cases = [
        (json!({"name": "J", "email": "j@example.com", "password": "12345"}), "WEAK_PASSWORD", "password"),
        (json!({"name": "J", "email": "j@example.com", "password": "password"}), "WEAK_PASSWORD", "common"),
        (json!({"name": "J", "email": "not-an-email", "password": "test123"}), "INVALID_FIELD", "email"),
        (json!({"name": "   ", "email": "j@example.com", "password": "test123"}), "INVALID_FIELD", "name"),
        (json!({"email": "j@example.com", "password": "test123"}), "INVALID_FIELD", "name"),
        (json!({"name": 5, "email": "j@example.com", "password": "test123"}), "INVALID_FIELD", "name"),
        (
            json!({"name": "J", "email": "j'; DROP TABLE users; --@x.com", "password": "test123"}),
            "INVALID_FIELD",
            "email",
        ),
        (json!(["not", "an", "object"]), "INVALID_JSON", "object"),
        (json!("a string"), "INVALID_FIELD", "expected"),
    ];
    for (body, code, mention) in cases {
        let response =
            auth_signup::handle(&stack.services, request("POST", "/api/auth/signup", Some(body.clone()), None))
                .await
                .unwrap();
        let doc = assert_problem(&response, 400, code);
        assert!(doc["detail"].as_str().unwrap().contains(mention), "{body} → {doc}");
    }
    let raw = request_with("POST", "/api/auth/signup", Some("{not json".into()), None, &[], &[]);
    assert_problem(&auth_signup::handle(&stack.services, raw).await.unwrap(), 400, "INVALID_JSON");
    let form = request_with(
        "POST",
        "/api/auth/signup",
        Some("a=b".into()),
        None,
        &[],
        &[("content-type", "application/x-www-form-urlencoded")],
    );
    assert_problem(&auth_signup::handle(&stack.services, form).await.unwrap(), 415, "UNSUPPORTED_MEDIA_TYPE");
    let count: i64 = stack.db().await.query_one("SELECT count(*) FROM users", &[]).await.unwrap().get(0);
    assert_eq!(count, 0, "no account may be written by a rejected sign-up");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_401_then_429() {
    let stack = TestStack::new().await;
    customer(&stack, "victim@example.com").await;
    let wrong = body_json(&login(&stack, "victim@example.com", "wrong-password").await);
    let unknown = body_json(&login(&stack, "nobody@example.com", "wrong-password").await);
    assert_eq!(wrong["status"], 401);
    assert_eq!(wrong["detail"], unknown["detail"]);
    assert_eq!(wrong["code"], unknown["code"]);

    // Attempts 2..=5 are still answered; the 6th in the window is throttled,
    // even with the right password.
    for _ in 0..4 {
        assert_problem(&login(&stack, "victim@example.com", "wrong-password").await, 401, "UNAUTHORIZED");
    }
    let throttled = login(&stack, "victim@example.com", "correct horse battery").await;
    assert_problem(&throttled, 429, "RATE_LIMITED");
    let retry_after: u64 = throttled.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
}

#[tokio::test]
async fn a_burst_of_concurrent_guesses_cannot_pass_the_limit() {
    let stack = TestStack::new().await;
    customer(&stack, "burst@example.com").await;
    let guesses = (0..30).map(|i| {
        let stack = &stack;
        async move { login(stack, "burst@example.com", &format!("guess-{i}")).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(guesses).await;
    let answered = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(answered, 5, "exactly the limit is checked against the hash: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 25);
}

#[tokio::test]
async fn a_successful_login_resets_the_counter() {
    let stack = TestStack::new().await;
    customer(&stack, "forgetful@example.com").await;
    for _ in 0..4 {
        login(&stack, "forgetful@example.com", "nope-nope").await;
    }
    assert_eq!(login(&stack, "forgetful@example.com", "correct horse battery").await.status(), 200);
    for _ in 0..5 {
        assert_eq!(login(&stack, "forgetful@example.com", "nope-nope").await.status(), 401);
    }
}

#[tokio::test]
async fn authenticated_routes_refuse_missing_bad_and_forged_tokens() {
    let stack = TestStack::new().await;
    let (_, token) = customer(&stack, "me@example.com").await;
    let mut tampered = token.clone();
    tampered.replace_range(tampered.len() - 4.., "AAAA");
    let header_none = base64_url(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = token.split('.').nth(1).unwrap();
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "missing"),
        (Some("Basic abc".into()), "basic scheme"),
        (Some("Bearer".into()), "empty bearer"),
        (Some(format!("Bearer {tampered}")), "tampered"),
        (Some(format!("Bearer {header_none}.{payload}.")), "alg none"),
        (Some("Bearer not.a.jwt".into()), "garbage"),
    ];
    for (authorization, why) in cases {
        let headers: Vec<(&str, &str)> = authorization.iter().map(|a| ("authorization", a.as_str())).collect();
        let req = request_with("GET", "/api/auth/me", None, None, &[], &headers);
        let response = auth_me::handle(&stack.services, req).await.unwrap();
        assert_problem(&response, 401, "UNAUTHORIZED");
        let _ = why;
    }
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn jwks_verifies_the_issued_tokens() {
    let stack = TestStack::new().await;
    let (_, token) = customer(&stack, "jwks@example.com").await;
    let response =
        auth_jwks::handle(&stack.services, request("GET", "/.well-known/jwks.json", None, None)).await.unwrap();
    assert_eq!(response.status(), 200);
    let jwks = body_json(&response);
    let key = &jwks["keys"][0];
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    let decoding =
        jsonwebtoken::DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[stack.services.config.jwt.audience.as_str()]);
    let data = jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation).unwrap();
    assert_eq!(data.claims["role"], "customer");

    let response = auth_jwks::handle(&stack.services, request("GET", "/.well-known/openid-configuration", None, None))
        .await
        .unwrap();
    let config = body_json(&response);
    assert!(config["jwks_uri"].as_str().unwrap().ends_with("/.well-known/jwks.json"));
    assert_eq!(config["issuer"], stack.services.config.jwt.issuer);
}

/// The login throttle's keys in Redis, for this test's prefix.
async fn throttle_keys(stack: &TestStack) -> Vec<String> {
    let mut conn = stack.services.redis.connection().await.unwrap();
    let pattern = format!("{}:login-attempts:*", stack.prefix);
    let mut keys: Vec<String> = redis::cmd("KEYS").arg(&pattern).query_async(&mut conn).await.unwrap();
    keys.sort();
    keys
}

#[tokio::test]
async fn a_malformed_email_is_400_and_writes_no_throttle_key() {
    let stack = TestStack::new().await;
    let huge = format!("{}@example.com", "x".repeat(60_000));
    for bad in ["not-an-email", huge.as_str(), "a\u{0}b@example.com", ""] {
        let response = login(&stack, bad, "whatever").await;
        let doc = assert_problem(&response, 400, "INVALID_FIELD");
        assert!(doc["detail"].as_str().unwrap().starts_with("email:"), "{doc}");
    }
    assert_eq!(throttle_keys(&stack).await, Vec::<String>::new(), "a refused email must write nothing");
}

#[tokio::test]
async fn throttle_keys_are_fixed_size_hashes_of_the_normalised_email() {
    let stack = TestStack::new().await;
    customer(&stack, "keys@example.com").await;
    for spelling in ["  Keys@Example.COM ", "keys@example.com"] {
        assert_problem(&login(&stack, spelling, "wrong-password").await, 401, "UNAUTHORIZED");
    }
    let keys = throttle_keys(&stack).await;
    assert_eq!(keys.len(), 2, "one key for the address, one for the email in both spellings: {keys:?}");
    let prefix = format!("{}:login-attempts:", stack.prefix);
    for key in &keys {
        let id = key.strip_prefix(&prefix).unwrap().split_once(':').unwrap().1;
        assert!(id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()), "not a hash: {key}");
    }
    let mut conn = stack.services.redis.connection().await.unwrap();
    let email_key = keys.iter().find(|k| k.contains(":email:")).unwrap();
    let count: i64 = redis::cmd("GET").arg(email_key).query_async(&mut conn).await.unwrap();
    assert_eq!(count, 2, "both spellings count against one email");
}

#[tokio::test]
async fn the_address_limit_is_checked_before_any_email_key_is_written() {
    let stack = TestStack::new().await;
    let limit = shared::store::login_throttle::MAX_ATTEMPTS_PER_IP as usize;
    for i in 0..limit {
        assert_problem(&login(&stack, &format!("spray{i}@example.com"), "guess").await, 401, "UNAUTHORIZED");
    }
    let before = throttle_keys(&stack).await;
    assert_eq!(before.len(), limit + 1, "one key per email and the address");
    for i in 0..20 {
        assert_problem(&login(&stack, &format!("more{i}@example.com"), "guess").await, 429, "RATE_LIMITED");
    }
    assert_eq!(throttle_keys(&stack).await, before, "attempts over the address limit wrote email keys");
}
