//! `POST /api/change-quotes/{quoteId}/confirm {method?}`: carries out a
//! change quote once (a retry under the same `Idempotency-Key` gets the
//! same answer): charges or refunds the difference, moves the seats,
//! reissues the tickets.

use lambda_http::{Body, Request, Response};
use shared::http::idempotency::idempotent;
use shared::http::payment_method::MethodFields;
use shared::http::views::changes::ConfirmedChangeBody;
use shared::http::{self, path_id};
use shared::service::bookings::confirm_change;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let quote_id = path_id(&req, "quoteId")?;
        let fields: MethodFields = if req.body().is_empty() { MethodFields::default() } else { http::json_body(&req)? };
        let method = fields.payment_method()?;
        idempotent(svc.idempotency_store(), &req, &caller, "change-quotes-confirm", || async {
            let confirmed = confirm_change(svc, &caller, quote_id, method).await?;
            Ok(http::json(&ConfirmedChangeBody::new(&confirmed)))
        })
        .await
    })
    .await
}
