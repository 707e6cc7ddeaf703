//! Secrets at run time, as deployed: the database and Redis passwords and the
//! token keys come from Secrets Manager (the emulator here), never from a
//! function's environment; a rotation takes effect without a restart; only
//! the signing functions can sign; the admin comes from a secret.

use crate::support::*;
use lambda_http::{Body, Response};
use serde_json::{json, Value};
use shared::Services;

async fn me(services: &Services, token: &str) -> Response<Body> {
    auth_me::handle(services, request("GET", "/api/auth/me", None, Some(token))).await.unwrap()
}

async fn signed_up(services: &Services, email: &str) -> String {
    let body = json!({"name": "Key Holder", "email": email, "password": "correct horse battery"});
    let response = auth_signup::handle(services, request("POST", "/api/auth/signup", Some(body), None)).await.unwrap();
    let doc = body_json(&response);
    assert_eq!(response.status(), 201, "{doc}");
    doc["token"].as_str().unwrap().to_string()
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.expect("tokens carry their key's id")
}

async fn jwks(services: &Services) -> Value {
    let response = auth_jwks::handle(services, request("GET", "/.well-known/jwks.json", None, None)).await.unwrap();
    assert_eq!(response.status(), 200);
    body_json(&response)
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_functions_environment_holds_no_password_or_key_and_everything_works() {
    let stack = TestStack::new().await;
    for name in ["DATABASE_SECRET_ID", "REDIS_AUTH_SECRET_ID", "JWT_PUBLIC_KEYS_SECRET_ID", "JWT_SIGNING_KEY_SECRET_ID"]
    {
        assert!(
            stack.env.get(name).is_some_and(|v| v.starts_with("arn:aws:secretsmanager:")),
            "{name}: {:?}",
            stack.env
        );
    }
    for url in ["DATABASE_URL", "REDIS_URL"] {
        assert!(!has_password(&stack.env[url]), "{url} carries a password: {}", stack.env[url]);
    }
    assert!(!stack.env.keys().any(|k| k.starts_with("JWT_PRIVATE_KEY")), "{:?}", stack.env.keys());
    // The services were built from that environment (plus the process's, which
    // the secrets' ids win over): sign-up writes to Postgres through the
    // pooler, counts in Redis and signs with the key read from the secret.
    let config = shared::Config::from_lookup(|k| stack.env.get(k).cloned()).unwrap();
    assert!(matches!(config.jwt.keys, shared::config::JwtKeys::Secrets { .. }));
    let token = signed_up(&stack.services, "secrets@example.com").await;
    assert_eq!(me(&stack.services, &token).await.status(), 200);
    stack.services.redis.ping().await.unwrap();
}

#[tokio::test]
async fn building_the_services_touches_no_network() {
    let stack = TestStack::new().await;
    let closed = format!("http://127.0.0.1:{}", free_port());
    let mut env = stack.env.clone();
    env.insert("AWS_ENDPOINT_URL".into(), closed);
    let config = shared::Config::from_lookup(|k| env.get(k).cloned().or_else(|| std::env::var(k).ok())).unwrap();
    // Nothing is read until a request needs it: a cold start never waits on Secrets Manager.
    let started = std::time::Instant::now();
    Services::new(config).expect("no secret is read while building the services");
    assert!(started.elapsed() < std::time::Duration::from_millis(200), "{:?}", started.elapsed());
}

#[tokio::test]
async fn token_keys_rotate_old_tokens_verify_until_retired_and_unknown_kids_are_looked_up() {
    let stack = TestStack::new().await;
    // Keys read on every use, as an instance whose TTL has run out.
    let fresh = stack_with(&stack, &[("SECRETS_TTL_SECONDS", "0".into())]);
    let (signing, public) = (&stack.env["JWT_SIGNING_KEY_SECRET_ID"], &stack.env["JWT_PUBLIC_KEYS_SECRET_ID"]);
    let aws = shared::store::aws::load().await;

    let old_token = signed_up(&fresh.services, "before@example.com").await;
    assert_eq!(me(&stack.services, &old_token).await.status(), 200, "the long-TTL instance has loaded the keys");
    let old_kid = kid(&old_token);

    let new_pem = shared::auth::keys::generate_private_pem().unwrap();
    let new_kid = local_stack::secrets::rotate_token_keys(&aws, signing, public, &new_pem).await.unwrap();
    assert_ne!(new_kid, old_kid);
    let new_token = signed_up(&fresh.services, "after@example.com").await;
    assert_eq!(kid(&new_token), new_kid, "the new key signs at once");
    assert_eq!(kids(&jwks(&fresh.services).await), [new_kid.clone(), old_kid.clone()], "both are published");
    assert_eq!(me(&fresh.services, &old_token).await.status(), 200, "the previous key still verifies");
    // An instance that read the keys before the rotation meets a kid it
    // does not know: it reads the JWKS again instead of refusing the token.
    assert_eq!(me(&stack.services, &new_token).await.status(), 200);

    local_stack::secrets::retire_previous_token_key(&aws, signing, public).await.unwrap();
    assert_problem(&me(&fresh.services, &old_token).await, 401, "UNAUTHORIZED");
    assert_eq!(me(&fresh.services, &new_token).await.status(), 200);
    assert_eq!(kids(&jwks(&fresh.services).await), [new_kid]);
}

#[tokio::test]
async fn a_function_without_the_signing_secret_verifies_but_cannot_sign() {
    let stack = TestStack::new().await;
    let token = signed_up(&stack.services, "verify-only@example.com").await;
    let mut env = stack.env.clone();
    env.remove("JWT_SIGNING_KEY_SECRET_ID");
    let config = shared::Config::from_lookup(|k| {
        env.get(k).cloned().or_else(|| std::env::var(k).ok().filter(|_| !k.starts_with("JWT_SIGNING")))
    })
    .unwrap();
    let verifier = Services::new(config).unwrap();
    assert_eq!(me(&verifier, &token).await.status(), 200);
    verifier.current_keys().await.unwrap();
    let jwks = jwks(&verifier).await;
    assert!(jwks["keys"].as_array().unwrap().iter().all(|k| k.get("d").is_none()), "{jwks}");
    assert!(verifier.tokens.issue(1, shared::auth::tokens::Role::Admin).is_err(), "a verifier signed a token");
}

#[tokio::test]
async fn a_rotated_database_password_is_picked_up_without_a_restart() {
    let stack = TestStack::new().await;
    let aws = shared::store::aws::load().await;
    // A Postgres of this test's own: it changes a role's password, and the
    // shared stack's role is what every other test uses.
    let pg = crate::faults::Daemon::postgres().await;
    let admin = local_stack::database::connect(&pg.url()).await.unwrap();
    let role = format!("rot_{}", stack.prefix);
    admin
        .batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD 'first-password'; GRANT SELECT ON users TO {role}"))
        .await
        .unwrap();
    let secret = format!("{}-rotating-db", stack.prefix);
    let value = json!({"username": role, "password": "first-password"}).to_string();
    let secret_arn = local_stack::secrets::put(&aws, &secret, &value, true).await.unwrap();
    let base = stack_with(&stack, &[("DATABASE_URL", local_stack::secrets::without_password(&pg.url()))]);
    let mut env = base.env.clone();
    env.insert("DATABASE_SECRET_ID".into(), secret_arn.clone());
    let config = shared::Config::from_lookup(|k| env.get(k).cloned().or_else(|| std::env::var(k).ok())).unwrap();
    let services = Services::new(config).unwrap();
    let whoami = |services: &Services| {
        let pool = services.db.clone();
        async move {
            let client = pool.get().await.map_err(|e| e.to_string())?;
            let row = client.query_one("SELECT current_user::text", &[]).await.map_err(|e| e.to_string())?;
            Ok::<String, String>(row.get(0))
        }
    };
    assert_eq!(whoami(&services).await.unwrap(), role);

    // Rotation as Secrets Manager's rotation function does it: the new
    // password on the role, then in the secret.
    admin.batch_execute(&format!("ALTER ROLE {role} PASSWORD 'second-password'")).await.unwrap();
    local_stack::secrets::set(&aws, &secret_arn, &json!({"username": role, "password": "second-password"}).to_string())
        .await
        .unwrap();
    // Open connections stay; a new one is made with the cached (old)
    // password, refused, and made again with the secret read afresh.
    services.db.retain(|_, _| false);
    assert_eq!(whoami(&services).await.unwrap(), role);
}

#[tokio::test]
async fn db_migrate_takes_the_admin_from_its_secret_never_from_the_event() {
    let stack = TestStack::new().await;
    let admin_secret = stack.env.get("ADMIN_SECRET_ID").expect("db-migrate's ADMIN_SECRET_ID").clone();
    std::env::set_var("ADMIN_SECRET_ID", &admin_secret);
    std::env::set_var("DATABASE_OWNER_SECRET_ID", &stack.env["DATABASE_OWNER_SECRET_ID"]);
    let event = |payload: Value| lambda_runtime::LambdaEvent::new(payload, lambda_runtime::Context::default());
    let refused =
        db_migrate::handle(&stack.services, event(json!({"adminEmail": "a@b.c", "adminPassword": "x"}))).await;
    assert!(refused.is_err(), "a password in the event must be refused");
    let answer = db_migrate::handle(&stack.services, event(json!({}))).await.unwrap();
    let admin_id = answer["adminUserId"].as_i64().expect("the admin was created");
    let aws = shared::store::aws::load().await;
    let secret: Value = serde_json::from_str(&local_stack::secrets::get(&aws, &admin_secret).await.unwrap()).unwrap();
    let row =
        stack.db().await.query_one("SELECT email, role::text FROM users WHERE id = $1", &[&admin_id]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), secret["email"].as_str().unwrap());
    assert_eq!(row.get::<_, String>(1), "admin");
    let token = login(&stack, secret["email"].as_str().unwrap(), secret["password"].as_str().unwrap()).await;
    assert_eq!(token.status(), 200, "the admin logs in with the secret's password");
}

#[tokio::test]
async fn db_migrate_builds_the_schema_as_its_owner_and_grants_the_functions_role_rows_only() {
    let stack = TestStack::new().await;
    let owner_secret =
        stack.env.get("DATABASE_OWNER_SECRET_ID").expect("db-migrate's DATABASE_OWNER_SECRET_ID").clone();
    // An empty database, as a new deployment has.
    // (Left for the stack's clean-up: the pooler's sessions in it are the
    // app role's, which its owner may not end.)
    let name = format!("test_{}_fresh", stack.prefix);
    let admin = stack.db().await;
    admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
    let app_url = local_stack::database::with_database(&stack.env["DATABASE_URL"], &name);
    // db-migrate as deployed: the functions' DATABASE_URL (the app role,
    // through the pooler, no password) and the owner's secret.
    let mut env = stack.env.clone();
    env.insert("DATABASE_URL".into(), app_url.clone());
    let config = shared::Config::from_lookup(|k| env.get(k).cloned().or_else(|| std::env::var(k).ok())).unwrap();
    let services = Services::new(config).unwrap();
    std::env::set_var("DATABASE_OWNER_SECRET_ID", &owner_secret);
    std::env::remove_var("ADMIN_SECRET_ID");
    let event = lambda_runtime::LambdaEvent::new(json!({}), lambda_runtime::Context::default());
    let answer = db_migrate::handle(&services, event).await.expect("db-migrate as the owner");
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations")).unwrap().count();
    assert_eq!(answer["appliedMigrations"].as_u64(), Some(migrations as u64), "{answer}");

    // The owner owns the tables; the functions' role reads and writes rows.
    let app = services.db.get().await.expect("the functions' role through the pooler");
    let row = app
        .query_one(
            "SELECT current_user::text, (SELECT tableowner::text FROM pg_tables WHERE tablename = 'bookings')",
            &[],
        )
        .await
        .unwrap();
    let (role, owner): (String, String) = (row.get(0), row.get(1));
    assert_ne!(role, owner);
    assert_eq!(Some(owner), shared::store::postgres::url_user(&std::env::var("DATABASE_ADMIN_URL").unwrap()));
    let count: i64 = app.query_one("SELECT count(*) FROM bookings", &[]).await.unwrap().get(0);
    assert_eq!(count, 0);
    let refused = app.batch_execute("CREATE TABLE later (x int)").await.expect_err("the app role creates nothing");
    assert_eq!(refused.code(), Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE));
    // Run again (every deploy does): nothing to apply, the grants stay.
    let event = lambda_runtime::LambdaEvent::new(json!({}), lambda_runtime::Context::default());
    let again = db_migrate::handle(&services, event).await.unwrap();
    assert_eq!(again["appliedMigrations"].as_u64(), Some(0));
}
