#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::services::run_mock_gateway_http(change_quotes_confirm::handle).await
}
