//! `POST /api/bookings/{bookingId}/cancel`: an unpaid booking is cancelled
//! and its seats released.

use lambda_http::{Body, Request, Response};
use shared::http::views::bookings::CancelledBookingBody;
use shared::http::{self, path_id};
use shared::service::bookings::cancel_booking;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let booking_id = path_id(&req, "bookingId")?;
        let cancelled = cancel_booking(svc, &caller, booking_id).await?;
        Ok(http::json(&CancelledBookingBody::new(&cancelled)))
    })
    .await
}
