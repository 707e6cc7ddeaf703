//! Structured logs: JSON lines, filtered by level.

use std::str::FromStr;

use tracing_subscriber::filter::{LevelFilter, Targets};

/// Lambda's advanced logging controls: `AWS_LAMBDA_LOG_LEVEL` (else
/// `RUST_LOG`, else info) and `AWS_LAMBDA_LOG_FORMAT` (`JSON`, which the
/// template sets, or text). The runtime's span carries the request id.
///
/// A `Targets` filter (`info`, `warn,shared=debug`) rather than
/// `EnvFilter`: the latter's regex engine was a twentieth of each binary, and
/// functions never filter on span fields.
pub fn init_lambda() {
    let filter = filter_from(std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG")).ok());
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt().with_target(false).without_time().with_max_level(LevelFilter::TRACE);
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let _ =
        if json { builder.json().finish().with(filter).try_init() } else { builder.finish().with(filter).try_init() };
}

fn filter_from(spec: Option<String>) -> Targets {
    spec.as_deref()
        .and_then(|s| Targets::from_str(s).ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

/// JSON logs for long-running local processes (the gateway), filtered by `RUST_LOG`.
pub fn init_local() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn levels_parse_in_either_case_and_bad_ones_fall_back_to_info() {
        assert!(filter_from(Some("WARN".into())).would_enable("shared", &Level::WARN));
        assert!(!filter_from(Some("WARN".into())).would_enable("shared", &Level::INFO));
        let per_target = filter_from(Some("warn,shared=debug".into()));
        assert!(per_target.would_enable("shared::store", &Level::DEBUG));
        assert!(!per_target.would_enable("hyper", &Level::INFO));
        assert!(filter_from(Some("not a level=%%".into())).would_enable("x", &Level::INFO));
        assert!(!filter_from(None).would_enable("x", &Level::DEBUG));
    }
}
