//! Security sweep over HTTP through the local gateway: ownership of every
//! id-taking route, token forgeries on every authenticated route, hostile
//! and oversized bodies on every POST route, rate limits, the admin role,
//! secrets in the repository and passwords in the logs.

mod admin;
mod hostile_input;
mod logs;
mod ownership;
mod rate_limits;
mod repository;
mod tokens;

use crate::support::*;
use serde_json::Value;
use std::time::Duration;

/// A client of one gateway.
struct Api {
    base: String,
    http: reqwest::Client,
}

/// One HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Problems that are wrong with this answer as an RFC 9457 problem of
    /// the given status (empty when it is one).
    fn problem_faults(&self, status: u16, code: Option<&str>) -> Vec<String> {
        let doc = self.json();
        let mut wrong = Vec::new();
        if self.status != status {
            wrong.push(format!("status {} (expected {status})", self.status));
        }
        if self.header("content-type") != "application/problem+json" {
            wrong.push(format!("content-type {:?}", self.header("content-type")));
        }
        if doc["status"] != self.status {
            wrong.push("problem status differs".into());
        }
        match code {
            Some(code) if doc["code"] != code => wrong.push(format!("code {} (expected {code})", doc["code"])),
            _ if !doc["code"].is_string() => wrong.push("no code".into()),
            _ => {}
        }
        if self.header("x-request-id").is_empty() {
            wrong.push("no x-request-id".into());
        }
        wrong
    }

    #[track_caller]
    fn assert_problem(&self, status: u16, code: &str) -> Value {
        let wrong = self.problem_faults(status, Some(code));
        assert!(wrong.is_empty(), "{}: {}", wrong.join(", "), self.text);
        self.json()
    }
}

impl Api {
    async fn new(stack: &TestStack) -> Api {
        let base = start_gateway_with(stack).await;
        Api { base, http: reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap() }
    }

    async fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Vec<u8>>) -> Answer {
        let mut request = self.http.request(method.parse().unwrap(), format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{method} {path}: no answer: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        Answer { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
        let authorization = token.map(|t| format!("Bearer {t}"));
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(authorization) = &authorization {
            headers.push(("authorization", authorization));
        }
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.raw(method, path, &headers, body.map(|b| b.to_string().into_bytes())).await
    }
}
