//! `GET /api/bookings/{bookingId}` and the original
//! `GET /api/bookings/{bookingId}/{userId}`: owner only (`404` for others;
//! `403` when the path names another user).

use lambda_http::{Body, Request, RequestExt, Response};
use shared::http::views::bookings::BookingBody;
use shared::http::{self, path_id};
use shared::service::bookings::{details, owned_booking};
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let booking_id = path_id(&req, "bookingId")?;
        let has_user = req.path_parameters_ref().is_some_and(|p| p.first("userId").is_some());
        if has_user {
            caller.ensure_self(Some(path_id(&req, "userId")?))?;
        }
        let record = owned_booking(svc, &caller, booking_id).await?;
        let booking = details(svc, record).await?;
        Ok(http::json(&BookingBody::new(&booking)))
    })
    .await
}
