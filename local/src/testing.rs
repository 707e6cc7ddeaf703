//! The integration-test harness: each [`TestStack`] gets its own Postgres
//! database (cloned from a migrated template), its own Redis key prefix and
//! its own queues, topic and tables in the emulator, so tests run in
//! parallel against the real servers that `local/test` starts.

use crate::database;
use crate::gateway::{self, Gateway};
use crate::provision::{provision_aws, resolve_environment, LocalResources};
use crate::template::{EnvValue, Template};
use rand::Rng;
use shared::{Config, Services};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The template's pool size suits a Lambda serving one request at a time;
/// the local gateway serves every function concurrently in one process.
pub const LOCAL_POOL_SIZE: usize = 16;

pub fn template_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml")
}

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with local/test, which starts Postgres, Redis and the AWS emulator")
    })
}

pub struct TestStack {
    pub services: Arc<Services>,
    /// The functions' database URL (the app role, through the pooler).
    pub database_url: String,
    /// The same database as its owner, directly (set-up and assertions).
    pub owner_url: String,
    /// Prefix of this test's Redis keys and emulator resources.
    pub prefix: String,
    pub resources: LocalResources,
    pub template: Template,
    pub env: BTreeMap<String, String>,
}

impl TestStack {
    pub async fn new() -> Self {
        Self::try_new().await.expect("setting up the test stack")
    }

    pub async fn try_new() -> anyhow::Result<Self> {
        // Logs go to the test's captured output (RUST_LOG filters them).
        shared::telemetry::init_local();
        let base_url = required_env("DATABASE_URL");
        required_env("REDIS_URL");
        required_env("AWS_ENDPOINT_URL");
        let id: String = rand::thread_rng()
            .sample_iter(rand::distributions::Alphanumeric)
            .take(10)
            .map(|c| (c as char).to_ascii_lowercase())
            .collect();
        let prefix = format!("t{id}");
        let database_url = database::create_test_database(&base_url, &format!("test_{id}")).await?;
        let template = Template::load(template_path())?;
        let aws = shared::store::aws::load().await;
        let resources = provision_aws(&template, &aws, &format!("{prefix}-")).await?;

        let mut env = resolve_environment(&template, &resources, |k| std::env::var(k).ok());
        // This test's own resources, even if the shell exported the shared ones.
        for (name, value) in &template.environment {
            if let EnvValue::Ref(target) = value {
                if let Some(resolved) = resources.refs.get(target) {
                    env.insert(name.clone(), resolved.clone());
                }
            }
        }
        let owner_url = database::admin_url(&database_url);
        env.insert("DATABASE_URL".into(), database_url.clone());
        crate::provision::strip_secret_passwords(&mut env);
        env.insert("REDIS_KEY_PREFIX".into(), prefix.clone());
        // One process plays every function and consumer at once.
        env.insert("DB_POOL_SIZE".into(), LOCAL_POOL_SIZE.to_string());
        let config = Config::from_lookup(|k| env.get(k).cloned().or_else(|| std::env::var(k).ok()))?;
        let services = Arc::new(Services::new(config).map_err(anyhow::Error::msg)?);
        Ok(TestStack { services, database_url, owner_url, prefix, resources, template, env })
    }

    /// A direct connection to this test's database as its owner, for set-up
    /// and assertions (the functions connect as the app role, through the
    /// pooler).
    pub async fn db(&self) -> tokio_postgres::Client {
        database::connect(&self.owner_url).await.expect("connecting to the test database")
    }

    /// Starts the local gateway for this stack on a free loopback port and
    /// returns its base URL; it stops when the test's runtime ends.
    pub async fn start_gateway(&self) -> String {
        let gateway = Gateway::new(&self.template, self.services.clone()).expect("building the gateway");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding a port");
        let address = listener.local_addr().expect("local address");
        tokio::spawn(gateway::serve(listener, gateway, std::future::pending()));
        format!("http://{address}")
    }

    /// Starts the template's SQS consumers against this stack's queues.
    pub fn start_queue_consumers(&self) {
        crate::queues::run_consumers(&self.template, &self.resources, self.services.clone())
            .expect("starting consumers");
    }

    /// Creates the admin account and returns its id.
    pub async fn create_admin(&self, email: &str, password: &str) -> i64 {
        let users = shared::store::users::PgUsers::new(&self.services.db);
        shared::auth::accounts::ensure_admin(&users, email, password).await.expect("creating the admin").id
    }
}
