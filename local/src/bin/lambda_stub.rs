//! `lambda_stub`: cold starts of the release function binaries, measured
//! against a local Lambda Runtime API stub on loopback.
//!
//! For every function of `template.yaml` whose binary is in `--bin-dir`,
//! it starts the binary `--runs` times (default 20) with the environment
//! Lambda would give it (`AWS_LAMBDA_RUNTIME_API` pointing at the stub, the
//! function's variables resolved from the template as the gateway does,
//! `AWS_LAMBDA_FUNCTION_NAME`, memory size, log format…) and records:
//!
//! - **ready**: exec → the first `GET /2018-06-01/runtime/invocation/next`
//!   (the process is initialised and asks for work);
//! - **first response**: exec → the `POST …/invocation/{id}/response` of the
//!   first event. HTTP functions get an API Gateway v2 event that needs no
//!   dependency (no token → `401`, an empty body → `400`, the JWKS), except
//!   `health`, which really checks Postgres, Redis and the emulator; SQS
//!   consumers get an empty batch, the schedule and `db-migrate` do their
//!   real work against the stack;
//! - **RSS**: `VmRSS` (idle, once the response is in and the runtime waits
//!   for the next event) and `VmHWM` (peak) from `/proc/<pid>/status`.
//!
//! A second pass starts each function once with `DATABASE_URL`,
//! `REDIS_URL` and `AWS_ENDPOINT_URL` pointing at listeners of the stub and
//! counts the connections they receive before the first `next` (plus a
//! 100 ms grace): init must open none (clients connect lazily).
//!
//! Output: JSON on stdout, or in `--out FILE`. Loopback only; every child is
//! killed after its run, and each run is bounded (5 s).

use anyhow::{anyhow, bail, Context};
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use local_stack::provision::{provision_aws, resolve_environment};
use local_stack::template::Template;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

const RUN_LIMIT: Duration = Duration::from_secs(5);

/// What one run of one function saw; times from exec.
#[derive(Default)]
struct Run {
    started: Option<Instant>,
    event: Value,
    request_id: String,
    nexts: usize,
    ready: Option<Duration>,
    responded: Option<Duration>,
    response: Option<Value>,
    error: Option<String>,
    /// Keep even the first `next` waiting: the run counts what init alone
    /// connects to, and an event would let the invocation connect too.
    no_event: bool,
}

#[derive(Clone)]
struct Stub {
    run: Arc<Mutex<Run>>,
    changed: Arc<Notify>,
}

async fn next_invocation(State(stub): State<Stub>) -> axum::response::Response {
    let first = {
        let mut run = stub.run.lock().unwrap();
        run.nexts += 1;
        if run.nexts == 1 {
            run.ready = run.started.map(|s| s.elapsed());
            (!run.no_event).then(|| (run.event.to_string(), run.request_id.clone()))
        } else {
            None
        }
    };
    stub.changed.notify_waiters();
    let Some((body, request_id)) = first else {
        // The runtime waits for its next event: keep it waiting (idle)
        // until the run ends and the process is killed.
        std::future::pending::<()>().await;
        unreachable!()
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64 + 10_000)
        .unwrap_or_default();
    (
        [
            ("content-type", "application/json".to_string()),
            ("lambda-runtime-aws-request-id", request_id),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            ("lambda-runtime-invoked-function-arn", "arn:aws:lambda:ap-south-1:000000000000:function:bench".into()),
            ("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Sampled=0".into()),
        ],
        body,
    )
        .into_response()
}

async fn invocation_response(State(stub): State<Stub>, Path(_id): Path<String>, body: String) -> impl IntoResponse {
    {
        let mut run = stub.run.lock().unwrap();
        run.responded = run.started.map(|s| s.elapsed());
        run.response = Some(serde_json::from_str(&body).unwrap_or(Value::String(body)));
    }
    stub.changed.notify_waiters();
    (axum::http::StatusCode::ACCEPTED, "{\"status\":\"OK\"}")
}

async fn invocation_error(State(stub): State<Stub>, Path(_id): Path<String>, body: String) -> impl IntoResponse {
    {
        let mut run = stub.run.lock().unwrap();
        run.responded = run.started.map(|s| s.elapsed());
        run.error = Some(body);
    }
    stub.changed.notify_waiters();
    (axum::http::StatusCode::ACCEPTED, "{\"status\":\"OK\"}")
}

async fn init_error(State(stub): State<Stub>, body: String) -> impl IntoResponse {
    stub.run.lock().unwrap().error = Some(format!("init error: {body}"));
    stub.changed.notify_waiters();
    (axum::http::StatusCode::ACCEPTED, "{\"status\":\"OK\"}")
}

/// A listener that accepts connections and never answers: counts the
/// connections a process opens to what it takes for Postgres/Redis/AWS.
async fn trap(counter: Arc<AtomicUsize>) -> anyhow::Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    Ok(port)
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// How the stub invokes a function for its first event.
fn first_event(template: &Template, package: &str) -> (String, Value) {
    let now = chrono::Utc::now();
    let function = template.functions.iter().find(|f| f.package == package);
    if let Some(route) = template.routes.iter().find(|r| r.function == package) {
        let path = route
            .path
            .replace("{flightId}", "1")
            .replace("{bookingId}", "1")
            .replace("{userId}", "1")
            .replace("{ticketId}", "1");
        let (body, what) = match route.method.as_str() {
            "POST" => (Some("{}"), "no token / empty body"),
            _ => (None, "no token"),
        };
        let what = match package {
            "health" => "dependency check (real)",
            "auth-jwks" => "public keys",
            _ => what,
        };
        let mut event = json!({
            "version": "2.0",
            "routeKey": format!("{} {}", route.method, route.path),
            "rawPath": path,
            "rawQueryString": "",
            "headers": {"host": "localhost", "user-agent": "lambda-stub", "content-type": "application/json"},
            "requestContext": {
                "accountId": "000000000000", "apiId": "local", "domainName": "localhost", "domainPrefix": "localhost",
                "http": {"method": route.method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "lambda-stub"},
                "requestId": uuid::Uuid::new_v4().to_string(), "routeKey": format!("{} {}", route.method, route.path),
                "stage": "$default", "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(), "timeEpoch": now.timestamp_millis(),
            },
            "isBase64Encoded": false,
        });
        if path != route.path {
            let params: serde_json::Map<String, Value> = route
                .path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(|name| (name.to_string(), Value::String("1".into())))
                .collect();
            event["pathParameters"] = Value::Object(params);
        }
        if let Some(body) = body {
            event["body"] = Value::String(body.into());
        }
        return (format!("HTTP {} {} ({what})", route.method, route.path), event);
    }
    if function.is_some_and(|f| !f.sqs_sources.is_empty()) {
        return ("SQS, empty batch".into(), json!({"Records": []}));
    }
    if function.is_some_and(|f| !f.schedules.is_empty()) {
        return (
            "scheduled event (real sweep)".into(),
            json!({"version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "Scheduled Event",
                   "source": "aws.scheduler", "time": now.to_rfc3339(), "detail": {}}),
        );
    }
    ("direct invoke (real migration check)".into(), json!({}))
}

fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)).and_then(|n| n.parse().ok())
}

fn memory_sizes(template_path: &str) -> anyhow::Result<BTreeMap<String, u64>> {
    let doc: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(template_path)?)?;
    let default = doc["Globals"]["Function"]["MemorySize"].as_u64().unwrap_or(128);
    let mut sizes = BTreeMap::new();
    if let Some(resources) = doc["Resources"].as_mapping() {
        for (_, resource) in resources {
            if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
                continue;
            }
            if let Some(code) = resource["Properties"]["CodeUri"].as_str() {
                let package = code.rsplit('/').next().unwrap_or(code).to_string();
                sizes.insert(package, resource["Properties"]["MemorySize"].as_u64().unwrap_or(default));
            }
        }
    }
    Ok(sizes)
}

struct Measured {
    ready: Duration,
    responded: Option<Duration>,
    rss_kib: Option<u64>,
    hwm_kib: Option<u64>,
    response: Option<Value>,
    error: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn run_once(
    stub: &Stub,
    port: u16,
    binary: &std::path::Path,
    package: &str,
    memory: u64,
    env: &BTreeMap<String, String>,
    event: &Value,
    wait_for_response: bool,
    log: &std::path::Path,
) -> anyhow::Result<Measured> {
    {
        let mut run = stub.run.lock().unwrap();
        *run = Run {
            event: event.clone(),
            request_id: uuid::Uuid::new_v4().to_string(),
            no_event: !wait_for_response,
            ..Run::default()
        };
    }
    let mut command = Command::new(binary);
    command
        .env_clear()
        .envs(env)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", format!("flightbook-{package}"))
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory.to_string())
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/flightbook-{package}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/01/01/[$LATEST]bench")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
        .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
        .env("_HANDLER", "bootstrap")
        .env("LAMBDA_TASK_ROOT", binary.parent().unwrap_or(binary))
        .env("TZ", ":UTC")
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::fs::OpenOptions::new().create(true).append(true).open(log)?))
        .stderr(Stdio::from(std::fs::OpenOptions::new().create(true).append(true).open(log)?));
    let started = Instant::now();
    stub.run.lock().unwrap().started = Some(started);
    let mut child = command.spawn().with_context(|| format!("starting {}", binary.display()))?;
    let pid = child.id();
    let outcome = async {
        loop {
            let notified = stub.changed.notified();
            {
                let run = stub.run.lock().unwrap();
                let done = if wait_for_response { run.responded.is_some() } else { run.ready.is_some() };
                if done || run.error.is_some() {
                    break;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(anyhow!("{package} exited with {status} (log: {})", log.display()));
            }
            let _ = tokio::time::timeout(Duration::from_millis(20), notified).await;
            if started.elapsed() > RUN_LIMIT {
                return Err(anyhow!("{package} did not answer within {RUN_LIMIT:?} (log: {})", log.display()));
            }
        }
        Ok(())
    }
    .await;
    let measured = match outcome {
        Ok(()) => {
            if wait_for_response {
                // Let the runtime go back to `next` so the RSS is the idle one.
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            let (rss, hwm) = (proc_status_kib(pid, "VmRSS:"), proc_status_kib(pid, "VmHWM:"));
            let run = stub.run.lock().unwrap();
            Ok(Measured {
                ready: run.ready.unwrap_or_default(),
                responded: run.responded,
                rss_kib: rss,
                hwm_kib: hwm,
                response: run.response.clone(),
                error: run.error.clone(),
            })
        }
        Err(e) => Err(e),
    };
    let _ = child.kill();
    let _ = child.wait();
    measured
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: lambda_stub [--bin-dir target/release] [--template template.yaml] [--runs 20] [--only a,b] [--out FILE] [--log-dir DIR]");
        return Ok(());
    }
    let bin_dir = std::path::PathBuf::from(flag(&args, "--bin-dir").unwrap_or_else(|| "target/release".into()));
    let template_path = flag(&args, "--template").unwrap_or_else(|| "template.yaml".into());
    let runs: usize = flag(&args, "--runs").map(|r| r.parse()).transpose()?.unwrap_or(20);
    let only: Option<Vec<String>> = flag(&args, "--only").map(|o| o.split(',').map(str::to_owned).collect());
    let log_dir = std::path::PathBuf::from(
        flag(&args, "--log-dir").unwrap_or_else(|| std::env::temp_dir().display().to_string()),
    );
    std::fs::create_dir_all(&log_dir)?;

    let template = Template::load(&template_path)?;
    let memory = memory_sizes(&template_path)?;
    // The functions' environment, resolved as the gateway resolves it; the
    // stack's endpoints and credentials come from this process's environment.
    let prefix = std::env::var("LOCAL_RESOURCE_PREFIX").unwrap_or_else(|_| "flightbook-".into());
    let aws = shared::store::aws::load().await;
    let resources = provision_aws(&template, &aws, &prefix).await.context("provisioning the emulator's resources")?;
    let mut env = resolve_environment(&template, &resources, |k| std::env::var(k).ok());
    for name in [
        "JWT_PRIVATE_KEY_FILE",
        "REDIS_CA_FILE",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        if let Ok(value) = std::env::var(name) {
            env.insert(name.into(), value);
        }
    }
    for required in ["DATABASE_URL", "REDIS_URL"] {
        if !env.contains_key(required) {
            bail!("{required} is not set: run lambda_stub inside a stack (local/bench does)");
        }
    }

    let stub = Stub { run: Arc::new(Mutex::new(Run::default())), changed: Arc::new(Notify::new()) };
    let app = axum::Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(invocation_response))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(invocation_error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let connections = Arc::new(AtomicUsize::new(0));
    let (trap_pg, trap_redis, trap_aws) =
        (trap(connections.clone()).await?, trap(connections.clone()).await?, trap(connections.clone()).await?);
    let mut trapped_env = env.clone();
    trapped_env.insert("DATABASE_URL".into(), format!("postgres://postgres@127.0.0.1:{trap_pg}/flightbook"));
    trapped_env.insert("REDIS_URL".into(), format!("rediss://127.0.0.1:{trap_redis}"));
    trapped_env.insert("AWS_ENDPOINT_URL".into(), format!("http://127.0.0.1:{trap_aws}"));

    let mut results = Vec::new();
    for function in &template.functions {
        let package = &function.package;
        if only.as_ref().is_some_and(|o| !o.contains(package)) {
            continue;
        }
        let binary = bin_dir.join(package);
        if !binary.exists() {
            eprintln!("[cold-start] {package}: no binary at {} (build with cargo build --release)", binary.display());
            continue;
        }
        let mem = memory.get(package).copied().unwrap_or(256);
        let (kind, event) = first_event(&template, package);
        let log = log_dir.join(format!("{package}.log"));
        let _ = std::fs::remove_file(&log);

        // Network during init: none may reach the (trap) endpoints.
        connections.store(0, Ordering::SeqCst);
        run_once(&stub, port, &binary, package, mem, &trapped_env, &event, false, &log).await?;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let init_connections = connections.load(Ordering::SeqCst);

        let mut ready = Vec::new();
        let mut responded = Vec::new();
        let mut rss = Vec::new();
        let mut hwm = Vec::new();
        let mut answer = Value::Null;
        let mut errors = Vec::new();
        for _ in 0..runs {
            let m = run_once(&stub, port, &binary, package, mem, &env, &event, true, &log).await?;
            ready.push(ms(m.ready));
            if let Some(r) = m.responded {
                responded.push(ms(r));
            }
            rss.extend(m.rss_kib.map(|k| k as f64));
            hwm.extend(m.hwm_kib.map(|k| k as f64));
            if let Some(e) = m.error {
                errors.push(e);
            }
            if let Some(r) = m.response {
                answer = r;
            }
        }
        let status = answer.get("statusCode").cloned().unwrap_or(Value::Null);
        let size = std::fs::metadata(&binary)?.len();
        let result = json!({
            "function": package,
            "memoryMb": mem,
            "event": kind,
            "runs": runs,
            "readyMsMedian": median(ready.clone()),
            "readyMsMin": ready.iter().copied().fold(f64::INFINITY, f64::min),
            "readyMsMax": ready.iter().copied().fold(0.0, f64::max),
            "firstResponseMsMedian": median(responded.clone()),
            "firstResponseStatus": status,
            "idleRssMibMedian": median(rss) / 1024.0,
            "peakRssMibMax": hwm.iter().copied().fold(0.0, f64::max) / 1024.0,
            "initConnections": init_connections,
            "errors": errors.len(),
            "firstError": errors.first(),
            "binaryBytes": size,
        });
        eprintln!(
            "[cold-start] {package:<22} ready {:>6.2} ms  first response {:>7.2} ms ({})  idle RSS {:>5.1} MiB  peak {:>5.1} MiB  init connections {}",
            result["readyMsMedian"].as_f64().unwrap_or(f64::NAN),
            result["firstResponseMsMedian"].as_f64().unwrap_or(f64::NAN),
            status,
            result["idleRssMibMedian"].as_f64().unwrap_or(f64::NAN),
            result["peakRssMibMax"].as_f64().unwrap_or(f64::NAN),
            init_connections
        );
        results.push(result);
    }
    let output = serde_json::to_string_pretty(&json!({"runsPerFunction": runs, "functions": results}))?;
    match flag(&args, "--out") {
        Some(path) => std::fs::write(&path, output).with_context(|| format!("writing {path}"))?,
        None => println!("{output}"),
    }
    Ok(())
}
