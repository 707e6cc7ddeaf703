#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::services::run_http(seats_lock::handle).await
}
