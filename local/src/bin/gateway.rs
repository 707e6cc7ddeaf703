//! `gateway [--template template.yaml]`: the local API gateway on
//! `http://127.0.0.1:$PORT` (default 8080), serving every route of the template.

use anyhow::Context;
use local_stack::gateway::{self, Gateway};
use local_stack::provision::{provision_aws, resolve_environment};
use local_stack::template::Template;
use shared::{Config, Services};
use std::sync::Arc;

/// glibc serves a large block from a thread's heap once a block that size
/// has been freed (its mmap threshold follows the largest block freed).
/// Here every function shares one process and many threads: argon2's
/// 19 MiB blocks and the searches' large results, interleaved with small
/// allocations, then leave heaps that cannot shrink (2.9 GiB resident
/// after the benchmark's logins). A fixed threshold keeps every block of
/// 1 MiB or more in its own mapping, given back to the system when freed.
fn keep_large_blocks_out_of_the_heaps() {
    // SAFETY: mallopt only sets an allocator parameter; it is called before
    // any other thread exists.
    let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20) };
    if set != 1 {
        eprintln!("gateway: could not set the allocator's mmap threshold");
    }
}

/// Every 10 s, gives the system back what the heaps hold free: requests
/// run on many threads here, and glibc keeps what each thread's heap freed
/// (a Lambda instance serves one request at a time and needs none of this).
fn trim_freed_memory_every_10_seconds() {
    tokio::spawn(async {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(10));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            // SAFETY: malloc_trim only returns free pages to the system.
            let _ = tokio::task::spawn_blocking(|| unsafe { libc::malloc_trim(0) }).await;
        }
    });
}

fn main() -> anyhow::Result<()> {
    keep_large_blocks_out_of_the_heaps();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(serve())
}

async fn serve() -> anyhow::Result<()> {
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
    trim_freed_memory_every_10_seconds();
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
