//! Postgres connection pool and schema migrations.

use crate::config::Config;
use crate::store::tls::{postgres_target, PostgresTarget};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::time::Duration;
use tokio_postgres::error::SqlState;

mod embedded {
    refinery::embed_migrations!("../migrations");
}

/// A pool whose connections are opened lazily and verified on checkout
/// (`RecyclingMethod::Verified`), so a Lambda environment thawed after a
/// freeze, or a restarted Postgres, gets fresh connections instead of errors.
pub fn pool(config: &Config) -> Result<Pool, String> {
    pool_from_url(&config.database_url, config.db_pool_size, config.dependency_timeout)
}

/// Session settings (`jit`, timeouts) are never sent as startup parameters:
/// RDS Proxy and PgBouncer refuse `options`. They belong to the role (see
/// the `role_settings` migration).
pub fn pool_from_url(url: &str, size: usize, timeout: Duration) -> Result<Pool, String> {
    let PostgresTarget { config: mut pg, tls } = postgres_target(url)?;
    pg.connect_timeout(timeout);
    if pg.get_application_name().is_none() {
        pg.application_name("flightbook");
    }
    let manager = Manager::from_config(pg, tls, ManagerConfig { recycling_method: RecyclingMethod::Verified });
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(Duration::from_secs(2)))
        .build()
        .map_err(|e| format!("cannot build the Postgres pool: {e}"))
}

/// One connection outside any pool (migrations, tools, tests), with the
/// same TLS handling as the pool.
pub async fn connect(url: &str) -> Result<tokio_postgres::Client, String> {
    let PostgresTarget { config, tls } = postgres_target(url)?;
    let (client, connection) = config.connect(tls).await.map_err(|e| describe(&e))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "postgres connection closed");
        }
    });
    Ok(client)
}

/// The error with its causes ("db error" alone says nothing).
pub fn describe(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Applies pending migrations from `migrations/`. Safe to run repeatedly.
/// Runs without the app role's statement and lock timeouts: a migration may
/// rewrite a large table.
pub async fn migrate(client: &mut tokio_postgres::Client) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    client.batch_execute("SET statement_timeout = 0; SET lock_timeout = 0").await?;
    let report = embedded::migrations::runner().run_async(client).await?;
    Ok(report.applied_migrations().len())
}

/// True when the error means "Postgres is not reachable right now" rather
/// than a bug in our SQL: the caller answers 503 instead of 500.
pub fn is_connection_error(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        let class = &code.code()[..2];
        return class == "08"
            || code == &SqlState::ADMIN_SHUTDOWN
            || code == &SqlState::CRASH_SHUTDOWN
            || code == &SqlState::CANNOT_CONNECT_NOW
            || code == &SqlState::TOO_MANY_CONNECTIONS
            || code == &SqlState::QUERY_CANCELED;
    }
    // No SQLSTATE: an I/O or protocol failure on the connection.
    std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()) || e.as_db_error().is_none()
}

/// True for a unique-constraint violation on the named constraint.
pub fn is_unique_violation(e: &tokio_postgres::Error, constraint: &str) -> bool {
    e.as_db_error().is_some_and(|db| db.code() == &SqlState::UNIQUE_VIOLATION && db.constraint() == Some(constraint))
}
