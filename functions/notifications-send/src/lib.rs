//! `POST /api/notifications/send {userId, message, channel?}`: publishes a
//! message for the user on the notifications topic; `202`, delivery follows
//! through the queue. Customers message themselves; admins anyone.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::http::{self, json_body, views::notifications::QueuedNotificationBody, Id, StatusCode};
use shared::service::notifications::{send_message, Channel};
use shared::Services;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendBody {
    user_id: Option<Id>,
    message: String,
    channel: Option<Channel>,
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let body: SendBody = json_body(&req)?;
        let sent = send_message(svc, &caller, body.user_id.map(|Id(id)| id), body.channel, &body.message).await?;
        Ok(http::json_with_status(StatusCode::ACCEPTED, &QueuedNotificationBody::from(&sent)))
    })
    .await
}
