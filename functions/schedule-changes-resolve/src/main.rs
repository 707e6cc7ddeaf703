#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::services::run_http(schedule_changes_resolve::handle).await
}
