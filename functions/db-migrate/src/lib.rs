//! Applies database migrations in a deployed stack (invoke once after each
//! `sam deploy`: `sam remote invoke DbMigrateFunction`), grants the
//! functions' role its privileges, and creates or resets the admin account
//! from the `ADMIN_SECRET_ID` secret (`{"email", "password"}`).
//!
//! It connects as the schema's owner, whose credentials are in
//! `DATABASE_OWNER_SECRET_ID`; the functions' role is the user named in
//! `DATABASE_URL`. Without an owner secret it connects as the functions do
//! (one role for both). The admin's password is never part of the
//! invocation event: events are kept in CloudTrail and in the caller's shell
//! history.

use lambda_runtime::LambdaEvent;
use serde_json::{json, Value};
use shared::auth::accounts::ensure_admin;
use shared::store::postgres::{migrate, pool_as, url_user};
use shared::store::users::PgUsers;
use shared::Services;

#[derive(serde::Deserialize)]
struct AdminSecret {
    email: String,
    password: String,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}

pub async fn handle(svc: &Services, event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    if event.payload.get("adminPassword").is_some() {
        return Err("the admin's password is read from the ADMIN_SECRET_ID secret, never from the event".into());
    }
    let owner = match env("DATABASE_OWNER_SECRET_ID") {
        Some(secret_id) => pool_as(&svc.config, svc.secrets.clone(), &secret_id)?,
        None => svc.db.clone(),
    };
    let app_role = url_user(&svc.config.database_url);
    // The pool's one connection goes back before the admin's upsert takes it.
    let applied = migrate(&mut *owner.get().await?, app_role.as_deref()).await?;
    tracing::info!(applied, app_role, "migrations applied");
    let admin = match env("ADMIN_SECRET_ID") {
        Some(id) => {
            let secret: AdminSecret = svc.secrets.get_json(&id).await?;
            Some(ensure_admin(&PgUsers::new(&owner), &secret.email, &secret.password).await?.id)
        }
        None => None,
    };
    Ok(json!({ "appliedMigrations": applied, "adminUserId": admin }))
}
