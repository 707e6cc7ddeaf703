//! The command line, as `local/bench` passes it.

use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub struct Options {
    pub gateway: Option<SocketAddr>,
    pub gateway_pid: Option<u32>,
    pub out: PathBuf,
    pub md: PathBuf,
    pub work: PathBuf,
    pub bin_dir: PathBuf,
    pub template: PathBuf,
    pub cold_start: Option<PathBuf>,
    pub warmup: Duration,
    pub duration: Duration,
    pub open_duration: Duration,
    pub phases: Vec<String>,
    /// Only these parts (search, writes, flow, or gateway scenario names).
    pub only: Option<Vec<String>>,
    pub notes: Vec<String>,
    pub render: Option<PathBuf>,
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

pub fn options() -> anyhow::Result<Options> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!(
            "usage: bench [--gateway 127.0.0.1:PORT] [--gateway-pid PID] [--out bench/results.json] [--md bench/results.md]\n\
             \x20            [--work DIR] [--bin-dir target/release] [--template template.yaml] [--cold-start FILE]\n\
             \x20            [--duration 10] [--warmup 3] [--open-duration 8] [--phases sizes,ceilings,inprocess,gateway]\n\
             \x20            [--only search,writes,flow,SCENARIO...] [--note TEXT]...\n\
             \x20      bench --render bench/results.json [--md bench/results.md]   (the report again)"
        );
        std::process::exit(0);
    }
    let secs = |name: &str, default: u64| -> anyhow::Result<Duration> {
        Ok(Duration::from_secs(flag(&args, name).map(|v| v.parse()).transpose()?.unwrap_or(default)))
    };
    let notes =
        args.iter().enumerate().filter(|(_, a)| *a == "--note").filter_map(|(i, _)| args.get(i + 1).cloned()).collect();
    Ok(Options {
        gateway: flag(&args, "--gateway").map(|g| g.parse()).transpose().context("--gateway takes HOST:PORT")?,
        gateway_pid: flag(&args, "--gateway-pid").map(|p| p.parse()).transpose()?,
        out: flag(&args, "--out").unwrap_or_else(|| "bench/results.json".into()).into(),
        md: flag(&args, "--md").unwrap_or_else(|| "bench/results.md".into()).into(),
        work: flag(&args, "--work").unwrap_or_else(|| ".stack/bench/work".into()).into(),
        bin_dir: flag(&args, "--bin-dir").unwrap_or_else(|| "target/release".into()).into(),
        template: flag(&args, "--template").unwrap_or_else(|| "template.yaml".into()).into(),
        cold_start: flag(&args, "--cold-start").map(PathBuf::from),
        warmup: secs("--warmup", 3)?,
        duration: secs("--duration", 10)?,
        open_duration: secs("--open-duration", 8)?,
        phases: flag(&args, "--phases")
            .unwrap_or_else(|| "sizes,ceilings,inprocess,gateway".into())
            .split(',')
            .map(str::to_owned)
            .collect(),
        only: flag(&args, "--only").map(|v| v.split(',').map(str::to_owned).collect()),
        notes,
        render: flag(&args, "--render").map(PathBuf::from),
    })
}
