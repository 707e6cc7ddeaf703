#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::services::run_http(schedule_changes_list::handle).await
}
