#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::services::run_http(flights_reschedule::handle).await
}
