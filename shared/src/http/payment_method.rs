//! How a request names its payment method (payments and change confirms):
//! `method: "card" | "upi" | "wallet"` or `{type, cardNumber | vpa}`, or
//! `cardNumber` / `vpa` beside it; nothing at all is the wallet.

use crate::domain::payment::PaymentMethod;
use crate::ApiError;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct MethodFields {
    pub method: Option<Value>,
    pub card_number: Option<String>,
    pub vpa: Option<String>,
}

impl MethodFields {
    pub fn payment_method(&self) -> Result<PaymentMethod, ApiError> {
        let invalid = |e: String| ApiError::invalid_field("method", e);
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        let (kind, card, vpa) = match &self.method {
            None => (None, self.card_number.clone(), self.vpa.clone()),
            Some(Value::String(kind)) => (Some(kind.to_ascii_lowercase()), self.card_number.clone(), self.vpa.clone()),
            Some(object @ Value::Object(_)) => (
                text(object, "type").map(|t| t.to_ascii_lowercase()),
                text(object, "cardNumber").or_else(|| text(object, "number")).or(self.card_number.clone()),
                text(object, "vpa").or(self.vpa.clone()),
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
}
