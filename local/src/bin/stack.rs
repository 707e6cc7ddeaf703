//! `stack provision | seed | admin`: prepares the local stack named by the
//! environment (`DATABASE_URL`, `REDIS_URL`, `AWS_ENDPOINT_URL`).
//!
//! - `provision [--template T] [--env-out FILE] [--lambda-env-out FILE]
//!   [--test-template]`: creates the database, applies migrations, creates
//!   the template's queues, topic, subscriptions, tables and secrets in the
//!   emulator, and writes the resolved resource variables as `export
//!   NAME='value'` lines (and, with `--lambda-env-out`, a function's whole
//!   environment as `NAME=value` lines for `cargo lambda watch --env-file`).
//! - `seed [--days N]`: loads the demo schedule for today (in India) and the
//!   next N-1 days (default 30); flight 1 is the walkthrough's AI101.
//! - `bench-seed [--days 7] [--airports 500] [--flights-per-day 50000]`:
//!   loads the large synthetic network the search benchmarks run on.
//! - `admin`: creates or resets the admin from `ADMIN_EMAIL` / `ADMIN_PASSWORD`.
//! - `jwt-keys init|rotate|retire --signing ID --public ID [--key-file PEM]`:
//!   the token keys in Secrets Manager (the emulator's, or AWS's with the
//!   caller's `AWS_*` credentials): `init` puts a first key into empty
//!   secrets, `rotate` makes a new key the signing key and keeps the
//!   previous one published, `retire` unpublishes the previous key.

use anyhow::{bail, Context};
use local_stack::provision::{provision_aws, resolve_environment};
use local_stack::template::{EnvValue, Template};
use local_stack::{database, seed};

fn flag_value(args: &[String], flag: &str) -> Option<String> {
    args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned()
}

fn env(name: &str) -> anyhow::Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("provision") => provision(&args).await,
        Some("seed") => seed(&args).await,
        Some("bench-seed") => bench_seed(&args).await,
        Some("admin") => admin().await,
        Some("jwt-keys") => jwt_keys(&args).await,
        _ => bail!("usage: stack provision [--template T] [--env-out FILE] [--test-template] | seed [--days N] | bench-seed [--days N] [--airports N] [--flights-per-day N] | admin | jwt-keys init|rotate|retire --signing ID --public ID [--key-file PEM]"),
    }
}

async fn provision(args: &[String]) -> anyhow::Result<()> {
    let database_url = env("DATABASE_URL")?;
    let owner_url = database::admin_url(&database_url);
    database::ensure_database(&owner_url).await?;
    let applied = database::migrate(&owner_url, database::app_role(&database_url).as_deref()).await?;
    println!("database: {applied} migration(s) applied");
    if args.iter().any(|a| a == "--test-template") {
        let name = database::ensure_test_template(&database_url).await?;
        println!("database: test template {name} ready");
    }

    let template = Template::load(flag_value(args, "--template").unwrap_or_else(|| "template.yaml".into()))?;
    let prefix = std::env::var("LOCAL_RESOURCE_PREFIX").unwrap_or_else(|_| "flightbook-".into());
    let aws = shared::store::aws::load().await;
    let resources = provision_aws(&template, &aws, &prefix).await.context("provisioning the emulator")?;
    println!(
        "emulator: {} queue(s), {} topic(s), {} subscription(s), {} table(s)",
        template.queues.len(),
        template.topics.len(),
        template.subscriptions.len(),
        template.tables.len()
    );
    let resolved = resolve_environment(&template, &resources, |_| None);
    let lines: String = template
        .environment
        .iter()
        .filter(|(_, value)| matches!(value, EnvValue::Ref(target) if resources.refs.contains_key(target)))
        .filter_map(|(name, _)| resolved.get(name).map(|v| format!("export {name}='{}'\n", v.replace('\'', "'\\''"))))
        .collect();
    match flag_value(args, "--env-out") {
        Some(path) => std::fs::write(&path, lines).with_context(|| format!("writing {path}"))?,
        None => print!("{lines}"),
    }
    if let Some(path) = flag_value(args, "--lambda-env-out") {
        write_lambda_env(&path, &template, &resources)?;
    }
    Ok(())
}

/// Everything one function needs to run on its own (`cargo lambda watch
/// --env-file`): the template's variables resolved as the gateway resolves
/// them (no password where a secret holds it), and the emulator's endpoint,
/// credentials, region and the stack's CA.
fn write_lambda_env(
    path: &str,
    template: &Template,
    resources: &local_stack::provision::LocalResources,
) -> anyhow::Result<()> {
    let mut env = resolve_environment(template, resources, |k| std::env::var(k).ok());
    for name in
        ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "REDIS_CA_FILE", "RUST_LOG"]
    {
        if let Ok(value) = std::env::var(name) {
            env.insert(name.to_string(), value);
        }
    }
    let text: String = env.iter().map(|(name, value)| local_stack::provision::env_file_line(name, value)).collect();
    std::fs::write(path, text).with_context(|| format!("writing {path}"))?;
    println!("lambda env: {} variables in {path}", env.len());
    Ok(())
}

fn number_flag(args: &[String], flag: &str, default: u32) -> anyhow::Result<u32> {
    match flag_value(args, flag) {
        Some(raw) => raw.parse().with_context(|| format!("{flag} takes a whole number, not {raw:?}")),
        None => Ok(default),
    }
}

async fn seed(args: &[String]) -> anyhow::Result<()> {
    let days = number_flag(args, "--days", 30)?;
    // Reference data and the schedule are the owner's: the app role only reads them.
    let client = database::connect(&database::admin_url(&env("DATABASE_URL")?)).await?;
    let today = seed::demo_today();
    let started = std::time::Instant::now();
    let report = seed::seed_demo(&client, today, days).await?;
    println!("seed: {report} from {today} in {:.1} s", started.elapsed().as_secs_f64());
    match seed::describe_flight(&client, 1).await? {
        Some(flight) => println!("flight 1: {flight}"),
        None => println!("flight 1: missing"),
    }
    Ok(())
}

async fn bench_seed(args: &[String]) -> anyhow::Result<()> {
    let days = number_flag(args, "--days", 7)?;
    let airports = number_flag(args, "--airports", 500)?;
    let flights_per_day = number_flag(args, "--flights-per-day", 50_000)?;
    // Reference data and the schedule are the owner's: the app role only reads them.
    let client = database::connect(&database::admin_url(&env("DATABASE_URL")?)).await?;
    // From tomorrow: a day seeded from today holds thousands of flights
    // already gone, which the first schedule sweep would mark departed at
    // once (the benchmark searches and books tomorrow's flights).
    let first = seed::demo_today().succ_opt().expect("a next day");
    let started = std::time::Instant::now();
    let report = seed::seed_bench(&client, first, days, airports, flights_per_day).await?;
    println!("bench-seed: {report} from {first} in {:.1} s", started.elapsed().as_secs_f64());
    let pairs: Vec<String> = seed::bench_busy_pairs()
        .into_iter()
        .zip(["direct-heavy", "1 stop", "2 stops"])
        .map(|((from, to), kind)| format!("{from}→{to} ({kind})"))
        .collect();
    println!("busy pairs: {}", pairs.join(", "));
    Ok(())
}

async fn admin() -> anyhow::Result<()> {
    let database_url = env("DATABASE_URL")?;
    let email = env("ADMIN_EMAIL")?;
    let password = env("ADMIN_PASSWORD")?;
    let pool = shared::store::postgres::pool_from_url(&database_url, 1, std::time::Duration::from_secs(5))
        .map_err(anyhow::Error::msg)?;
    let users = shared::store::users::PgUsers::new(&pool);
    let admin =
        shared::auth::accounts::ensure_admin(&users, &email, &password).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("admin: {} (user id {})", admin.email, admin.id);
    Ok(())
}

async fn jwt_keys(args: &[String]) -> anyhow::Result<()> {
    use local_stack::secrets;
    let signing = flag_value(args, "--signing").context("--signing SECRET_ID is required")?;
    let public = flag_value(args, "--public").context("--public SECRET_ID is required")?;
    let key = match flag_value(args, "--key-file") {
        Some(path) => Some(std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?),
        None => None,
    };
    let aws = shared::store::aws::load().await;
    match args.get(1).map(String::as_str) {
        Some("init") => {
            let made = secrets::init_token_keys(&aws, &signing, &public, key.as_deref()).await?;
            println!(
                "{}",
                if made { "jwt-keys: first key stored" } else { "jwt-keys: keys already there; nothing changed" }
            );
        }
        Some("rotate") => {
            let pem = match key {
                Some(pem) => pem,
                None => shared::auth::keys::generate_private_pem().map_err(anyhow::Error::msg)?,
            };
            let kid = secrets::rotate_token_keys(&aws, &signing, &public, &pem).await?;
            println!("jwt-keys: {kid} signs from now on; the previous key verifies until `retire`");
        }
        Some("retire") => {
            secrets::retire_previous_token_key(&aws, &signing, &public).await?;
            println!("jwt-keys: only the signing key is published; the previous key's tokens are refused");
        }
        _ => bail!("usage: stack jwt-keys init|rotate|retire --signing ID --public ID [--key-file PEM]"),
    }
    Ok(())
}
