#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let stage = std::env::var("STAGE").ok();
    let allow = std::env::var("ALLOW_MOCK_PAYMENTS").ok();
    if let Err(refusal) = shared::domain::payment::mock_gateway_permitted(stage.as_deref(), allow.as_deref()) {
        shared::telemetry::init_lambda();
        tracing::error!(%refusal, "not starting");
        return Err(refusal.into());
    }
    shared::services::run_http(change_quotes_confirm::handle).await
}
