//! The local data path is the AWS one: the functions reach Postgres through a
//! pooler that behaves as RDS Proxy does (TLS, passwords, no startup
//! options), Postgres and Redis refuse plaintext and anonymous clients, and
//! the session settings the product needs come from the role, not from the
//! connection. Each test fails on a stack (or code) that differs from AWS
//! where production would fail.

use crate::support::*;
use std::time::Duration;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run through local/test"))
}

/// `url` with `sslmode` (and `sslrootcert`, when `root` is given) replaced.
fn with_tls(url: &str, mode: &str, root: Option<&str>) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("sslmode=") && !p.starts_with("sslrootcert="))
        .map(str::to_string)
        .collect();
    params.push(format!("sslmode={mode}"));
    if let Some(root) = root {
        params.push(format!("sslrootcert={root}"));
    }
    format!("{base}?{}", params.join("&"))
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, String> {
    tokio::time::timeout(Duration::from_secs(10), shared::store::postgres::connect(url))
        .await
        .unwrap_or_else(|_| panic!("connecting to {} hung", address_of(url)))
}

#[tokio::test]
async fn functions_reach_postgres_through_the_pooler_over_tls_with_the_roles_settings() {
    let stack = TestStack::new().await;
    let pooler = address_of(&stack.database_url);
    let direct = address_of(&env("DATABASE_ADMIN_URL"));
    assert_ne!(pooler, direct, "DATABASE_URL must name the pooler, not Postgres");

    // The product's own pool: this is what every function does on its first query.
    let client = stack.services.db.get().await.expect("a pooled connection through PgBouncer");
    let row = client
        .query_one(
            "SELECT current_setting('jit'), current_setting('statement_timeout'), current_setting('lock_timeout'),
                    current_setting('idle_in_transaction_session_timeout'), inet_server_port(),
                    (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), current_user::text,
                    (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "off", "jit comes from the role");
    assert_eq!(row.get::<_, String>(1), "5s", "statement_timeout under the 6 s handler deadline");
    assert_eq!(row.get::<_, String>(2), "4s");
    assert_eq!(row.get::<_, String>(3), "10s");
    let server_port: i32 = row.get(4);
    assert_eq!(direct, format!("127.0.0.1:{server_port}"), "the pooler forwards to Postgres");
    assert!(row.get::<_, bool>(5), "the pooler's own connection to Postgres is TLS too");
    assert!(!row.get::<_, bool>(7), "the functions' role {} must not be a superuser", row.get::<_, String>(6));
}

#[tokio::test]
async fn the_pooler_refuses_startup_options_as_rds_proxy_does() {
    // What the old pool sent on every connection (`options=-c jit=off`).
    let url = env("DATABASE_URL");
    let target = shared::store::tls::postgres_target(&url).unwrap();
    let mut config = target.config.clone();
    config.options("-c jit=off");
    let error = tokio::time::timeout(Duration::from_secs(10), config.connect(target.tls))
        .await
        .expect("the pooler answers")
        .err()
        .expect("the pooler must refuse the options startup parameter");
    let text = shared::store::postgres::describe(&error);
    assert!(text.contains("unsupported startup parameter"), "{text}");
}

#[tokio::test]
async fn postgres_and_the_pooler_take_only_tls_with_a_password() {
    for (what, url) in [("pooler", env("DATABASE_URL")), ("postgres", env("DATABASE_ADMIN_URL"))] {
        let plaintext = with_tls(&url, "disable", None);
        let error = connect(&plaintext).await.err().unwrap_or_else(|| panic!("{what} accepted plaintext"));
        assert!(error.contains("SSL") || error.contains("ssl") || error.contains("no encryption"), "{what}: {error}");

        let user_end = url.find('@').unwrap();
        let password_start = url[..user_end].rfind(':').unwrap();
        let wrong = format!("{}:not-the-password{}", &url[..password_start], &url[user_end..]);
        let error = connect(&wrong).await.err().unwrap_or_else(|| panic!("{what} accepted a wrong password"));
        assert!(error.contains("password authentication failed") || error.contains("SASL"), "{what}: {error}");
    }
}

#[tokio::test]
async fn sslmode_is_honoured_as_libpq_does() {
    let url = env("DATABASE_URL");
    let ca = env("STACK_TLS_DIR") + "/ca.pem";
    // verify-full against the public roots: our local CA is not among them.
    let error = connect(&with_tls(&url, "verify-full", None)).await.expect_err("an unknown CA must be refused");
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    // Named CA: full verification passes (the certificate is for 127.0.0.1).
    connect(&with_tls(&url, "verify-full", Some(&ca))).await.expect("verify-full with the stack's CA");
    connect(&with_tls(&url, "verify-ca", Some(&ca))).await.expect("verify-ca with the stack's CA");
    // require without a CA encrypts without verifying, as libpq.
    let client = connect(&with_tls(&url, "require", None)).await.expect("require without a root certificate");
    let ssl: bool =
        client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).await.unwrap().get(0);
    assert!(ssl);
    // verify-full checks the name against the host connected to.
    let by_name =
        with_address(&with_tls(&url, "verify-full", Some(&ca)), &address_of(&url).replace("127.0.0.1", "localhost"));
    connect(&by_name).await.expect("localhost is one of the certificate's names");
}

#[tokio::test]
async fn redis_takes_only_tls_with_its_acl_user() {
    let stack = TestStack::new().await;
    stack.services.redis.ping().await.expect("the product's client: TLS, ACL user, private CA");

    let url = env("REDIS_URL");
    let ca = env("REDIS_CA_FILE");
    assert!(url.starts_with("rediss://"), "{url}");
    let ping = |client: redis::Client| async move {
        let attempt = async {
            let mut conn = client.get_multiplexed_async_connection().await?;
            redis::cmd("PING").query_async::<String>(&mut conn).await
        };
        tokio::time::timeout(Duration::from_secs(5), attempt)
            .await
            .map_err(|_| "timed out".to_string())?
            .map_err(|e| e.to_string())
    };

    let address = address_of(&url);
    let plaintext = shared::store::redis::client(&format!("redis://{address}"), None).unwrap();
    assert!(ping(plaintext).await.is_err(), "Redis answered a plaintext client");

    let anonymous = shared::store::redis::client(&format!("rediss://{address}"), Some(&ca)).unwrap();
    let error = ping(anonymous).await.expect_err("Redis answered a client without its user");
    assert!(error.contains("NOAUTH") || error.contains("uthentication"), "{error}");

    let public_roots = shared::store::redis::client(&url, None).unwrap();
    assert!(ping(public_roots).await.is_err(), "a certificate from an unknown CA was trusted");

    assert_eq!(ping(shared::store::redis::client(&url, Some(&ca)).unwrap()).await.unwrap(), "PONG");
}

#[test]
fn a_ca_file_with_a_plaintext_redis_url_is_a_configuration_error() {
    let ca = env("REDIS_CA_FILE");
    let error = shared::store::redis::client("redis://127.0.0.1:6379", Some(&ca)).err().unwrap();
    assert!(error.contains("rediss://"), "{error}");
}

/// A write stuck behind another transaction's lock is cut by the role's
/// `lock_timeout` (4 s) and answered `503` + `Retry-After`, before the
/// handler's own 6 s deadline and long before the function's 10 s timeout.
#[tokio::test]
async fn a_lock_wait_is_cut_by_the_roles_lock_timeout_and_is_a_503() {
    let stack = TestStack::new().await;
    let holder = stack.db().await;
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
    holder
        .batch_execute(&format!(
            "BEGIN; INSERT INTO users (name, email, password_hash) VALUES ('Holder', 'locked@example.com', '{hash}')"
        ))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let response = signup(&stack, "Late", "locked@example.com", "correct horse battery").await;
    let elapsed = started.elapsed();
    let doc = assert_problem(&response, 503, "SERVICE_UNAVAILABLE");
    assert!(doc["detail"].as_str().unwrap().contains("postgres"), "{doc}");
    assert!(response.headers().contains_key("retry-after"));
    assert!(elapsed >= Duration::from_millis(3500), "answered after {elapsed:?}: not the lock wait");
    assert!(
        elapsed < stack.services.deadline() - Duration::from_millis(500),
        "{elapsed:?}: the deadline cut it, not lock_timeout"
    );
    holder.batch_execute("ROLLBACK").await.unwrap();
}

#[tokio::test]
async fn the_functions_role_owns_nothing_and_only_reads_and_writes_rows() {
    let stack = TestStack::new().await;
    let client = stack.services.db.get().await.expect("a pooled connection");
    let row = client
        .query_one(
            "SELECT current_user::text, pg_get_userbyid(d.datdba)::text, r.rolcreatedb, r.rolcreaterole
               FROM pg_database d, pg_roles r WHERE d.datname = current_database() AND r.rolname = current_user",
            &[],
        )
        .await
        .unwrap();
    let (app, owner): (String, String) = (row.get(0), row.get(1));
    assert_ne!(app, owner, "the functions must not connect as the database's owner");
    assert!(!row.get::<_, bool>(2) && !row.get::<_, bool>(3), "{app} may create neither databases nor roles");

    // What a compromised function (or an injected statement) would try.
    for statement in [
        "CREATE TABLE stolen (x int)",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "DROP TABLE bookings",
        "ALTER TABLE bookings ADD COLUMN x int",
        "TRUNCATE bookings",
        "DELETE FROM bookings",
        "DELETE FROM payments",
        "UPDATE payments SET amount = 0",
        "INSERT INTO airports DEFAULT VALUES",
        // Retiming (departs_at, arrives_at) is the admin reschedule's; the route is not.
        "UPDATE flights SET origin = origin",
        "UPDATE flight_fares SET amount = 1",
    ] {
        let error = client.batch_execute(statement).await.expect_err(statement);
        assert_eq!(
            error.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{statement}: {error}"
        );
    }

    // Every table the migrations make is readable (a table missing from
    // shared/src/store/app_privileges.sql is not).
    let unreadable: Vec<String> = client
        .query(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                AND c.relname NOT IN ('refinery_schema_history', 'template_ready')
                AND NOT has_table_privilege(c.oid, 'SELECT')",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(unreadable.is_empty(), "{app} cannot read {unreadable:?}");
}
