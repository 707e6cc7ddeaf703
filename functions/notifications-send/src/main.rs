#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::services::run_http(notifications_send::handle).await
}
