#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::services::run_http(openapi::handle).await
}
