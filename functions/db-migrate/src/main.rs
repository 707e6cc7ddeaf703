use lambda_runtime::service_fn;
use shared::Services;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init_lambda();
    let svc: &'static Services = Box::leak(Box::new(Services::from_env()?));
    lambda_runtime::run(service_fn(move |event| db_migrate::handle(svc, event))).await
}
