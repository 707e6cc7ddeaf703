//! The command line, as `local/bench` passes it (a test below parses exactly that).

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The benchmark suite behind `local/bench`: run it through that script, which brings up the
/// `bench` stack, seeds the bench-scale network, builds the release binaries and starts the
/// local gateway.
#[derive(Parser, Debug)]
#[command(
    name = "bench",
    after_help = "With --render bench/results.json [--md bench/results.md], only the report again \
                  (targets and Markdown) from a results file."
)]
pub struct Options {
    /// The local gateway, for the gateway phase.
    #[arg(long, value_name = "HOST:PORT")]
    pub gateway: Option<SocketAddr>,
    /// The gateway's process, whose memory is measured.
    #[arg(long, value_name = "PID")]
    pub gateway_pid: Option<u32>,
    /// The results, as JSON.
    #[arg(long, value_name = "FILE", default_value = "bench/results.json")]
    pub out: PathBuf,
    /// The report, as Markdown.
    #[arg(long, value_name = "FILE", default_value = "bench/results.md")]
    pub md: PathBuf,
    /// Scratch files: zips, wrk scripts, the pgbench script.
    #[arg(long, value_name = "DIR", default_value = ".stack/bench/work")]
    pub work: PathBuf,
    /// The release binaries whose sizes are measured.
    #[arg(long, value_name = "DIR", default_value = "target/release")]
    pub bin_dir: PathBuf,
    /// The SAM template: the functions, their routes and environment.
    #[arg(long, value_name = "FILE", default_value = "template.yaml")]
    pub template: PathBuf,
    /// The cold starts measured by `lambda_stub`, copied into the results.
    #[arg(long, value_name = "FILE")]
    pub cold_start: Option<PathBuf>,
    /// Seconds of load before each measured closed-loop run.
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = seconds)]
    pub warmup: Duration,
    /// Seconds of each measured closed-loop run (and of pgbench).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = seconds)]
    pub duration: Duration,
    /// Seconds of each open-loop run.
    #[arg(long, value_name = "SECONDS", default_value = "8", value_parser = seconds)]
    pub open_duration: Duration,
    /// The phases to run (sizes, ceilings, inprocess, gateway).
    #[arg(long, value_name = "PHASE,...", value_delimiter = ',', default_value = "sizes,ceilings,inprocess,gateway")]
    pub phases: Vec<String>,
    /// Only these parts (search, writes, flow, or gateway scenario names).
    #[arg(long, value_name = "PART,...", value_delimiter = ',')]
    pub only: Option<Vec<String>>,
    /// A line added to the report (repeatable); any text, even one starting with `-`.
    #[arg(long = "note", value_name = "TEXT", allow_hyphen_values = true)]
    pub notes: Vec<String>,
    /// Only the report again, from this results file.
    #[arg(long, value_name = "FILE")]
    pub render: Option<PathBuf>,
}

fn seconds(value: &str) -> Result<Duration, std::num::ParseIntError> {
    value.parse().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    const NOTES: [&str; 2] = [
        "Stack: Postgres 15 with fsync=off and synchronous_commit=off (STACK_EPHEMERAL=1), Redis without persistence, moto for SQS/SNS/DynamoDB, all on this machine; gateway and functions built with the release profile; RUST_LOG=warn.",
        "Per-user limits raised for the load (HOLD_RATE_LIMIT_PER_MINUTE=1000000, PAYMENT_RATE_LIMIT_PER_MINUTE=1000000); every request still goes through the limiter.",
    ];

    /// `local/bench`'s first invocation with its defaults, then `BENCH_ONLY` and `BENCH_NOTE`.
    fn main_run(only: Option<&str>, note: Option<&str>) -> Vec<String> {
        let mut args: Vec<String> = [
            "bench",
            "--gateway",
            "127.0.0.1:8090",
            "--gateway-pid",
            "4242",
            "--bin-dir",
            "/work/target/release",
            "--template",
            "template.yaml",
            "--work",
            ".stack/bench/work",
            "--cold-start",
            ".stack/bench/work/cold-start.json",
            "--out",
            "bench/results.json",
            "--md",
            "bench/results.md",
            "--duration",
            "10",
            "--warmup",
            "3",
            "--open-duration",
            "8",
            "--phases",
            "sizes,ceilings,inprocess,gateway",
        ]
        .map(String::from)
        .into();
        if let Some(only) = only {
            args.extend(["--only".to_string(), only.to_string()]);
        }
        for note in NOTES.iter().copied().chain(note) {
            args.extend(["--note".to_string(), note.to_string()]);
        }
        args
    }

    /// Its second invocation, on the plaintext baseline (`BENCH_PLAINTEXT=1`).
    fn plaintext_run(only: Option<&str>) -> Vec<String> {
        let mut args: Vec<String> = [
            "bench",
            "--gateway",
            "127.0.0.1:8090",
            "--gateway-pid",
            "4343",
            "--bin-dir",
            "/work/target/release",
            "--template",
            "template.yaml",
            "--work",
            ".stack/bench/work",
            "--cold-start",
            ".stack/bench/work/cold-start.json",
            "--out",
            "bench/plaintext.json",
            "--md",
            "bench/plaintext.md",
            "--duration",
            "10",
            "--warmup",
            "3",
            "--open-duration",
            "8",
            "--phases",
            "gateway",
        ]
        .map(String::from)
        .into();
        if let Some(only) = only {
            args.extend(["--only".to_string(), only.to_string()]);
        }
        args.extend([
            "--note".to_string(),
            "Baseline: the gateway on Postgres directly without TLS (sslmode=disable) and Redis without TLS, both still with passwords.".to_string(),
        ]);
        for note in NOTES {
            args.extend(["--note".to_string(), note.to_string()]);
        }
        args
    }

    #[test]
    fn the_parser_is_well_formed() {
        Options::command().debug_assert();
    }

    #[test]
    fn parses_what_local_bench_passes() {
        let opts = Options::try_parse_from(main_run(None, None)).unwrap();
        assert_eq!(opts.gateway, Some("127.0.0.1:8090".parse().unwrap()));
        assert_eq!(opts.gateway_pid, Some(4242));
        assert_eq!(opts.bin_dir, PathBuf::from("/work/target/release"));
        assert_eq!(opts.template, PathBuf::from("template.yaml"));
        assert_eq!(opts.work, PathBuf::from(".stack/bench/work"));
        assert_eq!(opts.cold_start, Some(PathBuf::from(".stack/bench/work/cold-start.json")));
        assert_eq!(opts.out, PathBuf::from("bench/results.json"));
        assert_eq!(opts.md, PathBuf::from("bench/results.md"));
        assert_eq!(opts.duration, Duration::from_secs(10));
        assert_eq!(opts.warmup, Duration::from_secs(3));
        assert_eq!(opts.open_duration, Duration::from_secs(8));
        assert_eq!(opts.phases, ["sizes", "ceilings", "inprocess", "gateway"]);
        assert_eq!(opts.only, None);
        assert_eq!(opts.notes, NOTES);
        assert_eq!(opts.render, None);

        let opts = Options::try_parse_from(main_run(Some("search,flow,hold"), Some("-- a note starting with dashes")))
            .unwrap();
        assert_eq!(opts.only, Some(vec!["search".to_string(), "flow".to_string(), "hold".to_string()]));
        assert_eq!(opts.notes, [NOTES[0], NOTES[1], "-- a note starting with dashes"]);

        let opts = Options::try_parse_from(plaintext_run(Some("search_cached"))).unwrap();
        assert_eq!(opts.gateway_pid, Some(4343));
        assert_eq!(opts.out, PathBuf::from("bench/plaintext.json"));
        assert_eq!(opts.md, PathBuf::from("bench/plaintext.md"));
        assert_eq!(opts.phases, ["gateway"]);
        assert_eq!(opts.only, Some(vec!["search_cached".to_string()]));
        assert_eq!(opts.notes.len(), 3);
        assert!(opts.notes[0].starts_with("Baseline: "));
        assert_eq!(opts.notes[1..], NOTES);
    }

    #[test]
    fn defaults_and_render_mode() {
        let opts = Options::try_parse_from(["bench"]).unwrap();
        assert_eq!(opts.gateway, None);
        assert_eq!(opts.gateway_pid, None);
        assert_eq!(opts.out, PathBuf::from("bench/results.json"));
        assert_eq!(opts.md, PathBuf::from("bench/results.md"));
        assert_eq!(opts.work, PathBuf::from(".stack/bench/work"));
        assert_eq!(opts.bin_dir, PathBuf::from("target/release"));
        assert_eq!(opts.template, PathBuf::from("template.yaml"));
        assert_eq!(opts.cold_start, None);
        assert_eq!(
            (opts.warmup, opts.duration, opts.open_duration),
            (Duration::from_secs(3), Duration::from_secs(10), Duration::from_secs(8))
        );
        assert_eq!(opts.phases, ["sizes", "ceilings", "inprocess", "gateway"]);
        assert!(opts.only.is_none() && opts.notes.is_empty() && opts.render.is_none());

        let opts = Options::try_parse_from(["bench", "--render", "bench/results.json", "--md", "x.md"]).unwrap();
        assert_eq!(opts.render, Some(PathBuf::from("bench/results.json")));
        assert_eq!(opts.md, PathBuf::from("x.md"));

        assert!(Options::try_parse_from(["bench", "--gateway", "localhost"]).is_err(), "HOST:PORT as an address");
        assert!(Options::try_parse_from(["bench", "--duration", "ten"]).is_err());
    }

    /// Every option in `local/bench`'s calls of this binary is one the parser knows, so a flag
    /// added to the script alone fails here rather than at the end of a 12-minute run.
    #[test]
    fn knows_every_option_local_bench_passes() {
        let script = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/bench")).unwrap();
        let known: Vec<String> =
            Options::command().get_arguments().filter_map(|a| a.get_long()).map(|l| format!("--{l}")).collect();
        let mut calls = 0;
        let mut lines = script.lines();
        while let Some(line) = lines.next() {
            if !line.trim_start().starts_with("\"$bin/bench\"") {
                continue;
            }
            calls += 1;
            let mut call = line.to_string();
            while call.trim_end().ends_with('\\') {
                call.push_str(lines.next().expect("the call goes on"));
            }
            let passed: Vec<&str> = call
                .split(|c: char| c.is_whitespace() || c == '+' || c == '(' || c == '"')
                .filter(|word| word.starts_with("--"))
                .collect();
            assert!(passed.len() >= 10, "{call}");
            for option in passed {
                assert!(known.iter().any(|k| k == option), "local/bench passes {option}, unknown to bench");
            }
        }
        assert_eq!(calls, 2, "local/bench calls bench twice (the run, the plaintext baseline)");
    }
}
