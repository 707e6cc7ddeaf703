#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::services::run_http(cancellation_quotes_create::handle).await
}
