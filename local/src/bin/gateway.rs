//! `gateway [--template template.yaml]`: the local API gateway on
//! `http://127.0.0.1:$PORT` (default 8080), serving every route of the template.

use anyhow::Context;
use local_stack::gateway::{self, Gateway};
use local_stack::provision::{provision_aws, resolve_environment};
use local_stack::template::Template;
use shared::{Config, Services};
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init_local();
    let args: Vec<String> = std::env::args().collect();
    let template_path = args
        .iter()
        .position(|a| a == "--template")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "template.yaml".into());
    let template = Template::load(&template_path)?;
    let prefix = std::env::var("LOCAL_RESOURCE_PREFIX").unwrap_or_else(|_| "flightbook-".into());
    let aws = shared::store::aws::load().await;
    let resources = provision_aws(&template, &aws, &prefix).await.context("provisioning the emulator's resources")?;
    let mut env = resolve_environment(&template, &resources, |k| std::env::var(k).ok());
    if std::env::var("DB_POOL_SIZE").is_err() {
        env.insert("DB_POOL_SIZE".into(), local_stack::testing::LOCAL_POOL_SIZE.to_string());
    }
    let config = Config::from_lookup(|k| env.get(k).cloned().or_else(|| std::env::var(k).ok()))?;
    let services = Arc::new(Services::new(config).map_err(anyhow::Error::msg)?);
    let gateway = Gateway::new(&template, services.clone())?;
    gateway::run_schedules(&template, services.clone())?;
    local_stack::queues::run_consumers(&template, &resources, services)?;

    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    let listener = tokio::net::TcpListener::bind(format!("{host}:{port}"))
        .await
        .with_context(|| format!("binding {host}:{port}"))?;
    tracing::info!(url = %format!("http://{}", listener.local_addr()?), routes = template.routes.len(), "gateway listening");
    gateway::serve(listener, gateway, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
