use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::Services;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init_lambda();
    let svc: &'static Services = Box::leak(Box::new(Services::from_env()?));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        notifications_deliver::handle(svc, event.payload)
    }))
    .await
}
