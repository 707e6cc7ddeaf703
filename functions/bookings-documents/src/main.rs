#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::services::run_http(bookings_documents::handle).await
}
