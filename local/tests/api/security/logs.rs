//! The gateway binary's logs at debug level: never passwords, hashes or tokens, always request ids.

use crate::support::*;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The gateway binary as a child process, killed on drop.
struct GatewayProcess {
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

#[tokio::test]
async fn passwords_and_tokens_never_reach_the_logs_but_request_ids_do() {
    within(90, async {
        let stack = TestStack::new().await;
        let port = free_port();
        let log = std::env::temp_dir().join(format!("fb-gateway-{}-{port}.log", stack.prefix));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_gateway"))
            .arg("--template")
            .arg(local_stack::testing::template_path())
            .env("DATABASE_URL", &stack.database_url)
            .env("REDIS_KEY_PREFIX", &stack.prefix)
            .env("LOCAL_RESOURCE_PREFIX", format!("{}-", stack.prefix))
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("starting the gateway binary");
        let gateway = GatewayProcess { child, log };
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        let started = Instant::now();
        while http.get(format!("{base}/api/health")).send().await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(45), "the gateway did not start");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        let password = "Quokka-Zebra-7731-distinct";
        let wrong = "Quokka-Wrong-4410-distinct";
        let weak = "ßßßßßßßß";
        let mut request_ids = Vec::new();
        let mut tokens = Vec::new();
        for (path, body) in [
            ("/api/auth/signup", json!({"name": "Logged", "email": "logged@example.com", "password": password})),
            ("/api/auth/signup", json!({"name": "Weak", "email": "weak@example.com", "password": weak})),
            ("/api/auth/login", json!({"email": "logged@example.com", "password": wrong})),
            ("/api/auth/login", json!({"email": "logged@example.com", "password": password})),
            ("/api/auth/login", json!({"email": "nobody@example.com", "password": password})),
        ] {
            let response = http.post(format!("{base}{path}")).json(&body).send().await.unwrap();
            request_ids.push(response.headers()["x-request-id"].to_str().unwrap().to_string());
            let doc: Value = response.json().await.unwrap();
            if let Some(token) = doc["token"].as_str() {
                tokens.push(token.to_string());
            }
        }
        assert_eq!(tokens.len(), 2, "signup and login should have succeeded");
        let me = http.get(format!("{base}/api/auth/me")).bearer_auth(&tokens[0]).send().await.unwrap();
        assert_eq!(me.status(), 200);
        tokio::time::sleep(Duration::from_millis(500)).await;

        let logs = std::fs::read_to_string(&gateway.log).unwrap();
        assert!(logs.lines().count() > 10, "the gateway logged almost nothing:\n{logs}");
        let hash: String = stack
            .db()
            .await
            .query_one("SELECT password_hash FROM users WHERE email = 'logged@example.com'", &[])
            .await
            .unwrap()
            .get(0);
        for (what, secret) in
            [("password", password), ("wrong password", wrong), ("weak password", weak), ("hash", &hash)]
        {
            assert!(!logs.contains(secret), "the {what} is in the logs");
        }
        for token in &tokens {
            let signature = token.rsplit('.').next().unwrap();
            assert!(!logs.contains(signature), "a token is in the logs");
        }
        for id in &request_ids {
            assert!(logs.contains(id.as_str()), "request id {id} is not in the logs");
        }
        drop(gateway);
    })
    .await
}
