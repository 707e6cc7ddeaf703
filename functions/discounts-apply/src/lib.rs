//! `POST /api/discounts/apply {bookingId, code}`: before payment it lowers
//! the amount due; after payment it is granted as cashback.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::http::{self, json_body, views::discounts::AppliedDiscountBody, Id};
use shared::service::discounts::apply_discount;
use shared::Services;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApplyBody {
    booking_id: Id,
    code: String,
    user_id: Option<Id>,
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let body: ApplyBody = json_body(&req)?;
        caller.ensure_self(body.user_id.map(|id| id.0))?;
        let applied = apply_discount(svc, &caller, body.booking_id.0, &body.code).await?;
        Ok(http::json(&AppliedDiscountBody::from(&applied)))
    })
    .await
}
