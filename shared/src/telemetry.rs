//! Structured logs: JSON lines, filtered by level.

use std::str::FromStr;

use tracing::Level;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::FmtSpan;

/// Lambda's advanced logging controls: `AWS_LAMBDA_LOG_LEVEL` (else
/// `RUST_LOG`, else info) and `AWS_LAMBDA_LOG_FORMAT` (`JSON`, which the
/// template sets, or text). The runtime's span carries the request id.
///
/// A `Targets` filter (`info`, `warn,shared=debug`) rather than
/// `EnvFilter`: the latter's regex engine was a twentieth of each binary, and
/// functions never filter on span fields.
///
/// At `debug`, each call to Postgres, Redis or AWS is a span of its own
/// (`postgres.bookings.create`, `redis.seat_holds.hold`…, see `store`),
/// logged when it closes with its busy and idle time, under the request's
/// span: one request's lines show where its time went. At `info` those
/// spans are off and cost nothing.
pub fn init_lambda() {
    let filter = filter_from(std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG")).ok());
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let span_events = span_events(filter.would_enable("shared::store", &Level::DEBUG));
    let builder = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(LevelFilter::TRACE)
        .with_span_events(span_events);
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let _ =
        if json { builder.json().finish().with(filter).try_init() } else { builder.finish().with(filter).try_init() };
}

/// Spans' closings are logged only when the store's spans are on: at
/// `info` the request span's closing would repeat "request done".
fn span_events(store_spans: bool) -> FmtSpan {
    if store_spans {
        FmtSpan::CLOSE
    } else {
        FmtSpan::NONE
    }
}

fn filter_from(spec: Option<String>) -> Targets {
    spec.as_deref()
        .and_then(|s| Targets::from_str(s).ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

/// JSON logs for long-running local processes (the gateway), filtered by
/// `RUST_LOG`. Each line carries its span list, the request's first, so a
/// store call's line (at `debug`) still names its request id.
pub fn init_local() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let store_spans = filter.max_level_hint().is_none_or(|level| level >= LevelFilter::DEBUG);
    let _ = tracing_subscriber::fmt()
        .json()
        .with_current_span(false)
        .with_span_list(true)
        .with_span_events(span_events(store_spans))
        .with_env_filter(filter)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

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
