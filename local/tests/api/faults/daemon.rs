//! `Daemon`: a throwaway Redis, Postgres or AWS emulator on a free loopback port, stopped and restarted at will.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Waits until the port accepts connections (`up`) or refuses them (`!up`).
async fn wait_for_port(port: u16, up: bool, limit: Duration) -> bool {
    let started = Instant::now();
    loop {
        let listening = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok();
        if listening == up {
            return true;
        }
        if started.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn find_program(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("{name} is not on PATH"))
}

/// The password of every fault daemon (throwaway, loopback only).
const DAEMON_PASSWORD: &str = "fault-daemon-secret";

/// The stack's CA and server certificate (local/lib/stack.sh makes them).
fn tls_dir() -> PathBuf {
    let dir = PathBuf::from(std::env::var("STACK_TLS_DIR").expect("STACK_TLS_DIR is not set: run through local/test"));
    assert!(dir.join("ca.pem").is_file(), "no ca.pem in {}", dir.display());
    dir
}

fn repo_root() -> PathBuf {
    local_stack::testing::template_path().parent().unwrap().to_path_buf()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Redis,
    Postgres,
    Emulator,
}

/// A throwaway dependency on a free loopback port that a test starts, stops
/// and restarts (on the same port), and that is killed and removed when
/// dropped. Postgres runs as the `postgres` OS user (it refuses root) from a
/// scratch directory holding its data, socket and log. Redis and Postgres
/// take TLS connections only, with a password, as the shared stack's do
/// (with its certificates, `STACK_TLS_DIR`).
pub(crate) struct Daemon {
    kind: Kind,
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
    postgres_running: bool,
}

impl Daemon {
    fn scratch(kind: Kind) -> PathBuf {
        let id: u32 = rand::random();
        let dir = std::env::temp_dir().join(format!("fb-fault-{kind:?}-{}-{id:08x}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creating a scratch directory");
        dir
    }

    pub async fn redis() -> Daemon {
        Self::launch(Kind::Redis, free_port(), Self::scratch(Kind::Redis)).await
    }

    pub async fn emulator(port: u16) -> Daemon {
        Self::launch(Kind::Emulator, port, Self::scratch(Kind::Emulator)).await
    }

    /// A fresh cluster (`initdb`) with a migrated `flightbook` database.
    pub async fn postgres() -> Daemon {
        let dir = Self::scratch(Kind::Postgres);
        let data = dir.join("data");
        let initdb = find_program("initdb");
        let password_file = dir.join("password");
        std::fs::write(&password_file, DAEMON_PASSWORD).unwrap();
        let tls = dir.join("tls");
        std::fs::create_dir_all(&tls).unwrap();
        for file in ["server.pem", "server.key"] {
            std::fs::copy(tls_dir().join(file), tls.join(file)).unwrap();
        }
        let owner = Command::new("chown").arg("-R").arg("postgres:postgres").arg(&dir).status().unwrap();
        assert!(owner.success(), "chown of {} to postgres failed", dir.display());
        let output = blocking(move || {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(initdb)
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync"])
                .args(["-E", "UTF8", "--locale=C"])
                .arg(format!("--pwfile={}", password_file.display()))
                .output()
                .unwrap()
        })
        .await;
        assert!(output.status.success(), "initdb failed: {}", String::from_utf8_lossy(&output.stderr));
        let hba = "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all all reject\n";
        std::fs::write(dir.join("data/pg_hba.conf"), hba).unwrap();
        let daemon = Self::launch(Kind::Postgres, free_port(), dir).await;
        let url = daemon.url();
        local_stack::database::ensure_database(&url).await.expect("creating the database");
        local_stack::database::migrate(&url, None).await.expect("migrating the database");
        daemon
    }

    async fn launch(kind: Kind, port: u16, dir: PathBuf) -> Daemon {
        let mut daemon = Daemon { kind, port, dir, child: None, postgres_running: false };
        daemon.start().await;
        daemon
    }

    pub fn url(&self) -> String {
        let ca = tls_dir().join("ca.pem");
        match self.kind {
            Kind::Redis => format!("rediss://flightbook:{DAEMON_PASSWORD}@127.0.0.1:{}", self.port),
            Kind::Postgres => format!(
                "postgres://postgres:{DAEMON_PASSWORD}@127.0.0.1:{}/flightbook?sslmode=verify-full&sslrootcert={}",
                self.port,
                ca.display()
            ),
            Kind::Emulator => format!("http://127.0.0.1:{}", self.port),
        }
    }

    fn log(&self) -> PathBuf {
        self.dir.join("log")
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log()).unwrap_or_default();
        text.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    fn pg_ctl(dir: &Path, args: &[&str]) -> std::process::Output {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(find_program("pg_ctl"))
            .arg("-D")
            .arg(dir.join("data"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("running pg_ctl")
    }

    pub async fn start(&mut self) {
        assert!(self.child.is_none() && !self.postgres_running, "{:?} is already running", self.kind);
        let port = self.port.to_string();
        let log = || {
            std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("log")).expect("opening the log")
        };
        match self.kind {
            Kind::Redis => {
                let tls = tls_dir();
                let config = format!(
                    "bind 127.0.0.1\nport 0\ntls-port {port}\ntls-auth-clients no\nsave \"\"\nappendonly no\n\
                     tls-cert-file {cert}\ntls-key-file {key}\ntls-ca-cert-file {ca}\n\
                     user default off\nuser flightbook on >{DAEMON_PASSWORD} ~* &* +@all\n",
                    cert = tls.join("server.pem").display(),
                    key = tls.join("server.key").display(),
                    ca = tls.join("ca.pem").display(),
                );
                let config_file = self.dir.join("redis.conf");
                std::fs::write(&config_file, config).expect("writing redis.conf");
                let child = Command::new("redis-server")
                    .arg(&config_file)
                    .stdin(Stdio::null())
                    .stdout(log())
                    .stderr(log())
                    .spawn()
                    .expect("redis-server must be on PATH");
                self.child = Some(child);
            }
            Kind::Emulator => {
                let moto = repo_root().join(".venv/bin/moto_server");
                assert!(moto.is_file(), "{} is missing: run local/test once to create the venv", moto.display());
                let child = Command::new(moto)
                    .args(["-H", "127.0.0.1", "-p", &port])
                    .stdin(Stdio::null())
                    .stdout(log())
                    .stderr(log())
                    .spawn()
                    .expect("starting moto_server");
                self.child = Some(child);
            }
            Kind::Postgres => {
                let dir = self.dir.clone();
                let options = format!(
                    "-h 127.0.0.1 -p {port} -k {dir} -c fsync=off -c ssl=on \
                     -c ssl_cert_file={dir}/tls/server.pem -c ssl_key_file={dir}/tls/server.key",
                    dir = dir.display()
                );
                let log = self.log();
                let output = blocking(move || {
                    Self::pg_ctl(&dir, &["-w", "-t", "30", "-l", log.to_str().unwrap(), "-o", &options, "start"])
                })
                .await;
                assert!(output.status.success(), "pg_ctl start failed: {}", String::from_utf8_lossy(&output.stderr));
                self.postgres_running = true;
            }
        }
        assert!(
            wait_for_port(self.port, true, Duration::from_secs(30)).await,
            "{:?} did not start on port {}:\n{}",
            self.kind,
            self.port,
            self.log_tail()
        );
    }

    /// Stops the server abruptly: SIGKILL, or Postgres' immediate shutdown
    /// (no checkpoint, clients cut off: a crash as far as they can tell).
    pub async fn stop(&mut self) {
        match self.kind {
            Kind::Postgres => {
                let dir = self.dir.clone();
                let output = blocking(move || Self::pg_ctl(&dir, &["-w", "-m", "immediate", "stop"])).await;
                assert!(output.status.success(), "pg_ctl stop failed: {}", String::from_utf8_lossy(&output.stderr));
                self.postgres_running = false;
            }
            _ => {
                let mut child = self.child.take().expect("not running");
                child.kill().expect("killing the server");
                blocking(move || child.wait()).await.expect("reaping the server");
            }
        }
        assert!(wait_for_port(self.port, false, Duration::from_secs(10)).await, "{:?} still listening", self.kind);
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if self.postgres_running {
            let _ = Self::pg_ctl(&self.dir, &["-w", "-m", "immediate", "stop"]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("a blocking step panicked")
}
