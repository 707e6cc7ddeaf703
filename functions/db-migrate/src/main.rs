//! Applies database migrations in a deployed stack (invoke once after each
//! `sam deploy`), and optionally creates or resets the admin account:
//! `sam remote invoke DbMigrateFunction --event '{"adminEmail": "...", "adminPassword": "..."}'`.

use lambda_runtime::{service_fn, LambdaEvent};
use serde::Deserialize;
use serde_json::{json, Value};
use shared::auth::accounts::ensure_admin;
use shared::store::postgres::migrate;
use shared::store::users::PgUsers;
use shared::Services;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct MigrateEvent {
    admin_email: Option<String>,
    admin_password: Option<String>,
}

async fn handle(svc: &Services, event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    let event: MigrateEvent = serde_json::from_value(event.payload).unwrap_or_default();
    let mut client = svc.db.get().await?;
    let applied = migrate(&mut client).await?;
    tracing::info!(applied, "migrations applied");
    let admin = match (event.admin_email, event.admin_password) {
        (Some(email), Some(password)) => Some(ensure_admin(&PgUsers::new(&svc.db), &email, &password).await?.id),
        _ => None,
    };
    Ok(json!({ "appliedMigrations": applied, "adminUserId": admin }))
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init_lambda();
    let svc: &'static Services = Box::leak(Box::new(Services::from_env()?));
    lambda_runtime::run(service_fn(move |event| handle(svc, event))).await
}
