//! Postgres connection pool and schema migrations.

use crate::config::Config;
use crate::store::secrets::{Credentials, SecretError, SecretStore};
use crate::store::tls::{postgres_target, PostgresTarget, PostgresTls};
use deadpool_postgres::{Connect, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

mod embedded {
    refinery::embed_migrations!("../migrations");
}

/// A pool whose connections are opened lazily and verified on checkout
/// (`RecyclingMethod::Verified`), so a Lambda environment thawed after a
/// freeze, or a restarted Postgres, gets fresh connections instead of errors.
/// With `DATABASE_SECRET_ID` the password (and user) come from Secrets
/// Manager each time a connection opens, not from the environment.
pub fn pool(config: &Config, secrets: Arc<SecretStore>) -> Result<Pool, String> {
    let credentials = config.database_secret_id.clone().map(|id| (id, secrets));
    build_pool(&config.database_url, credentials, config.db_pool_size, config.dependency_timeout)
}

/// One connection's pool at `config.database_url` as the user of another
/// secret: `db-migrate` connects as the schema's owner
/// (`DATABASE_OWNER_SECRET_ID`) where the functions connect as the app role.
pub fn pool_as(config: &Config, secrets: Arc<SecretStore>, secret_id: &str) -> Result<Pool, String> {
    build_pool(&config.database_url, Some((secret_id.to_string(), secrets)), 1, config.dependency_timeout)
}

/// Session settings (`jit`, timeouts) are never sent as startup parameters:
/// RDS Proxy and PgBouncer refuse `options`. They belong to the role (see
/// the `role_settings` migration).
pub fn pool_from_url(url: &str, size: usize, timeout: Duration) -> Result<Pool, String> {
    build_pool(url, None, size, timeout)
}

fn build_pool(
    url: &str,
    credentials: Option<(String, Arc<SecretStore>)>,
    size: usize,
    timeout: Duration,
) -> Result<Pool, String> {
    let PostgresTarget { config: mut pg, tls } = postgres_target(url)?;
    pg.connect_timeout(timeout);
    if pg.get_application_name().is_none() {
        pg.application_name("flightbook");
    }
    let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Verified };
    let manager = match credentials {
        Some((secret_id, secrets)) => {
            Manager::from_connect(pg, SecretConnect { tls, secret_id, secrets }, manager_config)
        }
        None => Manager::from_config(pg, tls, manager_config),
    };
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(Duration::from_secs(2)))
        .build()
        .map_err(|e| format!("cannot build the Postgres pool: {e}"))
}

/// Opens connections with the password Secrets Manager holds now. A
/// password refused by the server is read again once (it was rotated). When
/// the secret cannot be read the attempt goes on without a password, so the
/// caller gets Postgres' own refusal: a connection error, answered `503`.
struct SecretConnect {
    tls: PostgresTls,
    secret_id: String,
    secrets: Arc<SecretStore>,
}

impl SecretConnect {
    async fn credentials(&self, again: bool) -> Option<Credentials> {
        let text =
            if again { self.secrets.fetch(&self.secret_id).await } else { self.secrets.get(&self.secret_id).await };
        let parsed = text.and_then(|text| {
            serde_json::from_str::<Credentials>(&text)
                .map_err(|e| SecretError::Malformed { id: self.secret_id.clone(), reason: e.to_string() })
        });
        parsed.map_err(|e| tracing::error!(error = %e, "database credentials")).ok()
    }
}

impl Connect for SecretConnect {
    fn connect(
        &self,
        pg_config: &tokio_postgres::Config,
    ) -> BoxFuture<'_, Result<(tokio_postgres::Client, JoinHandle<()>), tokio_postgres::Error>> {
        let base = pg_config.clone();
        Box::pin(async move {
            let mut again = false;
            loop {
                let mut config = base.clone();
                if let Some(credentials) = self.credentials(again).await {
                    if let Some(user) = &credentials.username {
                        config.user(user);
                    }
                    config.password(&credentials.password);
                }
                match config.connect(self.tls.clone()).await {
                    Ok((client, connection)) => {
                        let task = tokio::spawn(async move {
                            if let Err(e) = connection.await {
                                tracing::debug!(error = %e, "postgres connection closed");
                            }
                        });
                        return Ok((client, task));
                    }
                    Err(e) if !again && super::pg_errors::is_invalid_password(&e) => again = true,
                    Err(e) => return Err(e),
                }
            }
        })
    }
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

/// Applies pending migrations from `migrations/`, then grants the
/// functions' role what it needs (`app_privileges.sql`). Safe to run
/// repeatedly. Runs as the schema's owner, without the timeouts the app role
/// has: a migration may rewrite a large table. `app_role` is the role the
/// functions connect as; `None`, or the owner itself, grants nothing (one
/// role for both, as with a preset URL).
pub async fn migrate(
    client: &mut tokio_postgres::Client,
    app_role: Option<&str>,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    client.batch_execute("SET statement_timeout = 0; SET lock_timeout = 0").await?;
    let report = embedded::migrations::runner().run_async(client).await?;
    if let Some(role) = app_role {
        let owner: String = client.query_one("SELECT current_user::text", &[]).await?.get(0);
        if role != owner {
            client.batch_execute(&app_privileges(role)).await?;
        }
    }
    Ok(report.applied_migrations().len())
}

/// The statements that give `role` the functions' privileges.
pub fn app_privileges(role: &str) -> String {
    let quoted = format!("\"{}\"", role.replace('"', "\"\""));
    format!("BEGIN;\n{}\nCOMMIT;", APP_PRIVILEGES.replace("{app}", &quoted))
}

const APP_PRIVILEGES: &str = include_str!("app_privileges.sql");

/// The role a Postgres URL connects as, if it names one.
pub fn url_user(url: &str) -> Option<String> {
    postgres_target(url).ok()?.config.get_user().map(str::to_owned)
}
