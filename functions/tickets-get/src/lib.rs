//! `GET /api/tickets/{ticketId}`: owner only; passenger, PNR, legs with
//! times and seats, fare and the invoice summary.

use lambda_http::{Body, Request, Response};
use shared::http::{self, path_id, views::tickets::TicketBody};
use shared::service::tickets::ticket;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let ticket_id = path_id(&req, "ticketId")?;
        let ticket = ticket(svc, &caller, ticket_id).await?;
        Ok(http::json(&TicketBody::from(&ticket)))
    })
    .await
}
