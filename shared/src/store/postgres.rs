//! Postgres connection pool and schema migrations.

use crate::config::Config;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

mod embedded {
    refinery::embed_migrations!("../migrations");
}

/// A pool whose connections are opened lazily and verified on checkout
/// (`RecyclingMethod::Verified`), so a Lambda environment thawed after a
/// freeze, or a restarted Postgres, gets fresh connections instead of errors.
pub fn pool(config: &Config) -> Result<Pool, String> {
    pool_from_url(&config.database_url, config.db_pool_size, config.dependency_timeout)
}

pub fn pool_from_url(url: &str, size: usize, timeout: Duration) -> Result<Pool, String> {
    let mut pg: tokio_postgres::Config =
        url.parse().map_err(|e| format!("DATABASE_URL is not a valid Postgres URL: {e}"))?;
    pg.connect_timeout(timeout);
    if pg.get_application_name().is_none() {
        pg.application_name("flightbook");
    }
    // Short indexed queries only: JIT compilation costs more than it saves
    // (400 ms on loading a day of the bench-scale schedule).
    if pg.get_options().is_none() {
        pg.options("-c jit=off");
    }
    let manager = Manager::from_config(pg, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Verified });
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(Duration::from_secs(2)))
        .build()
        .map_err(|e| format!("cannot build the Postgres pool: {e}"))
}

/// Applies pending migrations from `migrations/`. Safe to run repeatedly.
pub async fn migrate(client: &mut tokio_postgres::Client) -> Result<usize, refinery::Error> {
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
