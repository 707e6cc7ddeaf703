use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use shared::Services;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init_lambda();
    let svc: &'static Services = Box::leak(Box::new(Services::from_env()?));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| bookings_expire::handle(svc, event.payload))).await
}
