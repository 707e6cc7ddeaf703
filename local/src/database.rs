//! Database set-up for the local stack and the tests: create, migrate, and
//! clone a migrated template so each test gets a fresh database in ~100 ms.

use anyhow::{anyhow, Context};
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

/// A connection for set-up, seeding and test assertions: the product's TLS
/// handling, without the app role's statement and lock timeouts (a seed of
/// the bench network or a cluster-wide DDL may take longer).
pub async fn connect(url: &str) -> anyhow::Result<Client> {
    let client = shared::store::postgres::connect(url)
        .await
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("connecting to {}", redact(url)))?;
    client.batch_execute("SET statement_timeout = 0; SET lock_timeout = 0").await?;
    Ok(client)
}

/// Where databases are created and migrated: `DATABASE_ADMIN_URL` (Postgres
/// itself, as an operator reaches the instance behind RDS Proxy) when set,
/// else the URL given. Cloning a template fails while anyone is connected to
/// it, and a pooler keeps idle server connections to every database it served.
pub fn admin_url(url: &str) -> String {
    match std::env::var("DATABASE_ADMIN_URL") {
        Ok(admin) if !admin.trim().is_empty() => match database_name(url) {
            Some(name) => with_database(&admin, &name),
            None => admin,
        },
        _ => url.to_string(),
    }
}

/// The same URL pointing at another database.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..].find('/').map(|i| i + scheme_end).unwrap_or(base.len());
    let mut out = format!("{}/{database}", &base[..host_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

pub fn database_name(url: &str) -> Option<String> {
    let target = shared::store::tls::postgres_target(url).ok()?;
    target.config.get_dbname().map(str::to_owned)
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Creates the database named in `url` if it does not exist (`url` as an
/// operator reaches Postgres: see [`admin_url`]).
pub async fn ensure_database(url: &str) -> anyhow::Result<()> {
    let name = database_name(url).ok_or_else(|| anyhow!("DATABASE_URL names no database"))?;
    let admin = connect(&with_database(url, "postgres")).await?;
    let exists = admin.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name]).await?.is_some();
    if !exists {
        match admin.batch_execute(&format!("CREATE DATABASE {}", quote_ident(&name))).await {
            Ok(()) => {}
            // Another process created it in between.
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Migrates the database at `owner_url` (as the schema's owner) and grants
/// `app_role`, the role the functions connect as, its privileges.
pub async fn migrate(owner_url: &str, app_role: Option<&str>) -> anyhow::Result<usize> {
    let mut client = connect(owner_url).await?;
    shared::store::postgres::migrate(&mut client, app_role).await.map_err(|e| anyhow!(e)).context("applying migrations")
}

/// The role the functions connect as: the user of their `DATABASE_URL`.
pub fn app_role(database_url: &str) -> Option<String> {
    shared::store::postgres::url_user(database_url)
}

/// A fingerprint of the migrations and the app role's privileges, so the
/// test template is rebuilt when they change.
fn migrations_fingerprint() -> anyhow::Result<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("../migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    files.push(root.join("../shared/src/store/app_privileges.sql"));
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.file_name().unwrap_or_default().to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&file)?);
    }
    Ok(format!("{:x}", hasher.finalize())[..12].to_string())
}

/// Ensures a migrated template database exists and returns its name.
/// Serialised across processes with an advisory lock (tests run in parallel).
pub async fn ensure_test_template(database_url: &str) -> anyhow::Result<String> {
    let app_role = app_role(database_url);
    let base_url = &admin_url(database_url);
    let name = format!("flightbook_template_{}", migrations_fingerprint()?);
    let admin = connect(&with_database(base_url, "postgres")).await?;
    admin.execute("SELECT pg_advisory_lock(7261)", &[]).await?;
    let result = async {
        let ready =
            admin.query_opt("SELECT 1 FROM pg_database WHERE datname = $1 AND datallowconn", &[&name]).await?.is_some();
        let marked = if ready {
            let url = with_database(base_url, &name);
            let client = connect(&url).await?;
            client.query_opt("SELECT 1 FROM pg_tables WHERE tablename = 'template_ready'", &[]).await?.is_some()
        } else {
            false
        };
        if !marked {
            admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(&name))).await?;
            admin.batch_execute(&format!("CREATE DATABASE {}", quote_ident(&name))).await?;
            let url = with_database(base_url, &name);
            migrate(&url, app_role.as_deref()).await?;
            let client = connect(&url).await?;
            client.batch_execute("CREATE TABLE template_ready ()").await?;
        }
        anyhow::Ok(())
    }
    .await;
    admin.execute("SELECT pg_advisory_unlock(7261)", &[]).await?;
    result?;
    Ok(name)
}

/// A fresh database cloned from the migrated template; returns its URL.
pub async fn create_test_database(base_url: &str, name: &str) -> anyhow::Result<String> {
    let template = ensure_test_template(base_url).await?;
    let admin = connect(&with_database(&admin_url(base_url), "postgres")).await?;
    // Cloning fails while anyone is connected to the template; the only
    // connections are our own short-lived ones, so retry briefly.
    let statement = format!("CREATE DATABASE {} TEMPLATE {}", quote_ident(name), quote_ident(&template));
    let mut attempt = 0;
    loop {
        match admin.batch_execute(&statement).await {
            Ok(()) => break,
            Err(e) if attempt < 50 && e.code() == Some(&tokio_postgres::error::SqlState::OBJECT_IN_USE) => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => return Err(e).context("cloning the test template database"),
        }
    }
    Ok(with_database(base_url, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_the_database_in_a_url() {
        assert_eq!(with_database("postgres://u:p@h:5432/a", "b"), "postgres://u:p@h:5432/b");
        assert_eq!(with_database("postgres://u@h:1/a?sslmode=disable", "b"), "postgres://u@h:1/b?sslmode=disable");
        assert_eq!(with_database("postgres://h", "b"), "postgres://h/b");
        assert_eq!(database_name("postgres://u@h:1/abc").as_deref(), Some("abc"));
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://***@h/db");
    }
}
