//! Applies database migrations in a deployed stack (invoke once after each
//! `sam deploy`: `sam remote invoke DbMigrateFunction`), and creates or
//! resets the admin account from the `ADMIN_SECRET_ID` secret
//! (`{"email", "password"}`). The password is never part of the invocation
//! event: events are kept in CloudTrail and in the caller's shell history.

use lambda_runtime::LambdaEvent;
use serde_json::{json, Value};
use shared::auth::accounts::ensure_admin;
use shared::store::postgres::migrate;
use shared::store::users::PgUsers;
use shared::Services;

#[derive(serde::Deserialize)]
struct AdminSecret {
    email: String,
    password: String,
}

pub async fn handle(svc: &Services, event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    if event.payload.get("adminPassword").is_some() {
        return Err("the admin's password is read from the ADMIN_SECRET_ID secret, never from the event".into());
    }
    let mut client = svc.db.get().await?;
    let applied = migrate(&mut client).await?;
    tracing::info!(applied, "migrations applied");
    let admin = match std::env::var("ADMIN_SECRET_ID").ok().filter(|id| !id.is_empty()) {
        Some(id) => {
            let secret: AdminSecret = svc.secrets.get_json(&id).await?;
            Some(ensure_admin(&PgUsers::new(&svc.db), &secret.email, &secret.password).await?.id)
        }
        None => None,
    };
    Ok(json!({ "appliedMigrations": applied, "adminUserId": admin }))
}
