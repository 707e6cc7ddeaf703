//! End to end over HTTP through the local gateway, and the template ⇄ code check.

use crate::support::*;
use local_stack::registry::{http_handler, schedule_handler, sqs_handler, MANUAL_FUNCTIONS};
use local_stack::template::Template;
use serde_json::{json, Value};

#[test]
fn every_function_package_is_in_the_template_and_every_template_function_is_served() {
    let template = Template::load(local_stack::testing::template_path()).unwrap();
    let functions_dir = local_stack::testing::template_path().parent().unwrap().join("functions");
    let mut packages: Vec<String> = std::fs::read_dir(functions_dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    packages.sort();
    for package in &packages {
        assert!(
            template.functions.iter().any(|f| &f.package == package),
            "functions/{package} is not in template.yaml"
        );
    }
    for function in &template.functions {
        let has_route = template.routes.iter().any(|r| r.function == function.package);
        let served = (has_route && http_handler(&function.package).is_some())
            || (!function.schedules.is_empty() && schedule_handler(&function.package).is_some())
            || (!function.sqs_sources.is_empty() && sqs_handler(&function.package).is_some());
        let manual = MANUAL_FUNCTIONS.contains(&function.package.as_str())
            && !has_route
            && function.sqs_sources.is_empty()
            && function.schedules.is_empty();
        assert!(served || manual, "{} has no way to run locally", function.logical_id);
        assert!(packages.contains(&function.package), "{} points at a missing package", function.logical_id);
    }
}

#[test]
fn the_cargo_lambda_watch_router_mirrors_the_template() {
    let root = local_stack::testing::template_path().parent().unwrap().to_path_buf();
    let manifest: toml::Value = toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap()).unwrap();
    let router = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"].as_table().unwrap();
    let mut in_cargo: Vec<(String, String, String)> = router
        .iter()
        .flat_map(|(path, routes)| {
            routes.as_array().unwrap().iter().map(move |r| {
                (r["method"].as_str().unwrap().to_string(), path.clone(), r["function"].as_str().unwrap().to_string())
            })
        })
        .collect();
    let template = Template::load(root.join("template.yaml")).unwrap();
    let mut in_template: Vec<(String, String, String)> =
        template.routes.iter().map(|r| (r.method.clone(), r.path.clone(), r.function.clone())).collect();
    in_cargo.sort();
    in_template.sort();
    assert_eq!(
        in_cargo, in_template,
        "Cargo.toml [workspace.metadata.lambda.watch.router] must list template.yaml's routes"
    );
}

#[tokio::test]
async fn the_foundation_over_http() {
    let stack = TestStack::new().await;
    let base = stack.start_gateway().await;
    let http = reqwest::Client::new();

    let health = http.get(format!("{base}/api/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));

    let signup = http
        .post(format!("{base}/api/auth/signup"))
        .json(&json!({"name": "John", "email": "john@example.com", "password": "test123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(signup.status(), 201);
    let request_id = signup.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(!request_id.is_empty());
    let body: Value = signup.json().await.unwrap();
    assert_eq!(body["userId"], 1);

    let duplicate = http
        .post(format!("{base}/api/auth/signup"))
        .json(&json!({"name": "John", "email": "john@example.com", "password": "test123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(duplicate.status(), 409);
    assert_eq!(duplicate.headers()["content-type"], "application/problem+json");

    // The original's Postman collection sends ids and everything as strings.
    let login = http
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": "john@example.com", "password": "test123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let token = login.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();

    let me = http.get(format!("{base}/api/auth/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let anonymous = http.get(format!("{base}/api/auth/me")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["content-type"], "application/problem+json");

    let jwks: Value = http.get(format!("{base}/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "RSA");

    let missing = http.get(format!("{base}/api/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["content-type"], "application/problem+json");
    let wrong_method = http.delete(format!("{base}/api/auth/signup")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(wrong_method.headers()["allow"], "POST");

    let oversized = http
        .post(format!("{base}/api/auth/signup"))
        .header("content-type", "application/json")
        .body(format!(r#"{{"name":"{}","email":"a@b.co","password":"test123"}}"#, "x".repeat(100_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), 413);
}
