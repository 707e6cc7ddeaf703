#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::services::run_mock_gateway_http(payments_pay::handle).await
}
