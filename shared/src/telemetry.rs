//! Structured logs. In Lambda the runtime's subscriber honours
//! `LoggingConfig: {LogFormat: JSON}`; locally we emit JSON lines too.

pub fn init_lambda() {
    lambda_http::tracing::init_default_subscriber();
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
