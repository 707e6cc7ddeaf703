//! `stack provision | seed | admin`: prepares the local stack named by the
//! environment (`DATABASE_URL`, `REDIS_URL`, `AWS_ENDPOINT_URL`).
//!
//! - `provision [--template T] [--env-out FILE] [--test-template]`: creates
//!   the database, applies migrations, creates the template's queues, topic,
//!   subscriptions and tables in the emulator, and writes the resolved
//!   resource variables as `export NAME='value'` lines.
//! - `seed`: loads the demo data.
//! - `admin`: creates or resets the admin from `ADMIN_EMAIL` / `ADMIN_PASSWORD`.

use anyhow::{bail, Context};
use local_stack::database;
use local_stack::provision::{provision_aws, resolve_environment};
use local_stack::template::{EnvValue, Template};

fn flag_value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn env(name: &str) -> anyhow::Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("provision") => provision(&args).await,
        Some("seed") => seed().await,
        Some("admin") => admin().await,
        _ => bail!("usage: stack provision [--template T] [--env-out FILE] [--test-template] | seed | admin"),
    }
}

async fn provision(args: &[String]) -> anyhow::Result<()> {
    let database_url = env("DATABASE_URL")?;
    database::ensure_database(&database_url).await?;
    let applied = database::migrate(&database_url).await?;
    println!("database: {applied} migration(s) applied");
    if args.iter().any(|a| a == "--test-template") {
        let name = database::ensure_test_template(&database_url).await?;
        println!("database: test template {name} ready");
    }

    let template =
        Template::load(flag_value(args, "--template").unwrap_or_else(|| "template.yaml".into()))?;
    let prefix = std::env::var("LOCAL_RESOURCE_PREFIX").unwrap_or_else(|_| "flightbook-".into());
    let aws = shared::store::aws::load().await;
    let resources = provision_aws(&template, &aws, &prefix)
        .await
        .context("provisioning the emulator")?;
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
    Ok(())
}

async fn seed() -> anyhow::Result<()> {
    let database_url = env("DATABASE_URL")?;
    let client = database::connect(&database_url).await?;
    let users: i64 = client
        .query_one("SELECT count(*) FROM users", &[])
        .await?
        .get(0);
    println!("seed: no demo schedule yet (flights arrive with the flights issue); {users} account(s) present");
    Ok(())
}

async fn admin() -> anyhow::Result<()> {
    let database_url = env("DATABASE_URL")?;
    let email = env("ADMIN_EMAIL")?;
    let password = env("ADMIN_PASSWORD")?;
    let pool =
        shared::store::postgres::pool_from_url(&database_url, 1, std::time::Duration::from_secs(5))
            .map_err(anyhow::Error::msg)?;
    let users = shared::store::users::PgUsers::new(&pool);
    let admin = shared::auth::accounts::ensure_admin(&users, &email, &password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("admin: {} (user id {})", admin.email, admin.id);
    Ok(())
}
