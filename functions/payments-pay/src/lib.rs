//! `POST /api/payments/pay {bookingId, amount?, userId?, method?}` through
//! the mock gateway, honouring `Idempotency-Key`. See `domain::payment` for
//! the test cards.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::http::idempotency::idempotent;
use shared::http::payment_method::MethodFields;
use shared::http::views::bookings::PaymentBody;
use shared::http::{self, json_body, Id};
use shared::service::payments::{pay, PayRequest};
use shared::{ApiError, Services};

#[derive(Deserialize)]
#[serde(untagged)]
enum ClientAmount {
    Rupees(f64),
    Money { amount: i64 },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PayBody {
    booking_id: Id,
    amount: Option<ClientAmount>,
    user_id: Option<Id>,
    #[serde(flatten)]
    method: MethodFields,
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let body: PayBody = json_body(&req)?;
        caller.ensure_self(body.user_id.map(|id| id.0))?;
        let expected_amount = match &body.amount {
            None => None,
            Some(ClientAmount::Money { amount }) if *amount >= 0 => Some(*amount),
            Some(ClientAmount::Money { .. }) => {
                return Err(ApiError::invalid_field("amount", "must be a non-negative amount"))
            }
            Some(ClientAmount::Rupees(r)) if r.is_finite() && *r >= 0.0 && *r < 1e12 => {
                Some((r * 100.0).round() as i64)
            }
            Some(ClientAmount::Rupees(_)) => {
                return Err(ApiError::invalid_field("amount", "must be a non-negative amount"))
            }
        };
        let idempotency_key = req
            .headers()
            .get(shared::http::idempotency::HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty());
        let method = body.method.payment_method()?;
        let request = PayRequest { booking_id: body.booking_id.0, expected_amount, method, idempotency_key };
        idempotent(svc.idempotency_store(), &req, &caller, "payments-pay", || async {
            let receipt = pay(svc, &caller, request).await?;
            Ok(http::json(&PaymentBody::new(&receipt)))
        })
        .await
    })
    .await
}
