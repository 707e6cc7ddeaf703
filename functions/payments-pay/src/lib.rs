//! `POST /api/payments/pay {bookingId, amount?, userId?, method?}` through
//! the mock gateway, honouring `Idempotency-Key`. See `domain::payment` for
//! the test cards.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::Value;
use shared::domain::payment::PaymentMethod;
use shared::http::idempotency::idempotent;
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
    /// `"card" | "upi" | "wallet"`, or `{type, cardNumber | vpa}`.
    method: Option<Value>,
    card_number: Option<String>,
    vpa: Option<String>,
}

fn payment_method(body: &PayBody) -> Result<PaymentMethod, ApiError> {
    let invalid = |e: String| ApiError::invalid_field("method", e);
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let (kind, card, vpa) = match &body.method {
        None => (None, body.card_number.clone(), body.vpa.clone()),
        Some(Value::String(kind)) => (Some(kind.to_ascii_lowercase()), body.card_number.clone(), body.vpa.clone()),
        Some(object @ Value::Object(_)) => (
            text(object, "type").map(|t| t.to_ascii_lowercase()),
            text(object, "cardNumber").or_else(|| text(object, "number")).or(body.card_number.clone()),
            text(object, "vpa").or(body.vpa.clone()),
        ),
        Some(_) => return Err(invalid("expected a string or an object".into())),
    };
    match (kind.as_deref(), card, vpa) {
        (Some("card") | None, Some(number), _) => PaymentMethod::card(&number).map_err(invalid),
        (Some("card"), None, _) => Err(invalid("a card payment needs cardNumber".into())),
        (Some("upi") | None, None, Some(vpa)) => PaymentMethod::upi(&vpa).map_err(invalid),
        (Some("upi"), _, None) => Err(invalid("a UPI payment needs vpa".into())),
        (Some("wallet") | None, None, None) => Ok(PaymentMethod::Wallet),
        (Some("upi"), Some(_), Some(_)) => Err(invalid("a UPI payment takes vpa, not cardNumber".into())),
        (Some("wallet"), _, _) => Err(invalid("a wallet payment takes no cardNumber or vpa".into())),
        (Some(other), _, _) => Err(invalid(format!("unknown method {other:?}; use card, upi or wallet"))),
    }
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
        let method = payment_method(&body)?;
        let request = PayRequest { booking_id: body.booking_id.0, expected_amount, method, idempotency_key };
        idempotent(svc.idempotency_store(), &req, &caller, "payments-pay", || async {
            let receipt = pay(svc, &caller, request).await?;
            Ok(http::json(&PaymentBody::new(&receipt)))
        })
        .await
    })
    .await
}
