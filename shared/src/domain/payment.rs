//! The mock payment gateway: deterministic outcomes by test card or UPI id,
//! so clients can exercise every path.
//!
//! | method | outcome |
//! |---|---|
//! | none given, `upi` `success@upi`, card `4242 4242 4242 4242` or any other valid card | approved |
//! | card `4000 0000 0000 0002` | declined (`card_declined`) |
//! | card `4000 0000 0000 9995` | declined (`insufficient_funds`) |
//! | card `4000 0000 0000 0119` | gateway processing error: retry later |
//! | upi `failure@upi` | declined (`upi_declined`) |

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentMethod {
    /// The original walkthrough sends no method: a mock wallet that succeeds.
    Wallet,
    Card {
        number: String,
    },
    Upi {
        vpa: String,
    },
}

impl PaymentMethod {
    pub fn kind(&self) -> &'static str {
        match self {
            PaymentMethod::Wallet => "wallet",
            PaymentMethod::Card { .. } => "card",
            PaymentMethod::Upi { .. } => "upi",
        }
    }

    pub fn card_last4(&self) -> Option<String> {
        match self {
            PaymentMethod::Card { number } => Some(number[number.len().saturating_sub(4)..].to_string()),
            _ => None,
        }
    }

    /// Validates and normalises a card number (spaces and dashes allowed).
    pub fn card(raw: &str) -> Result<PaymentMethod, String> {
        let number: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err("card number must be 12 to 19 digits".into());
        }
        if !luhn_valid(&number) {
            return Err("card number fails the Luhn check".into());
        }
        Ok(PaymentMethod::Card { number })
    }

    pub fn upi(raw: &str) -> Result<PaymentMethod, String> {
        let vpa = raw.trim().to_ascii_lowercase();
        let valid = vpa.split_once('@').is_some_and(|(user, bank)| {
            !user.is_empty()
                && !bank.is_empty()
                && vpa.len() <= 100
                && vpa.chars().all(|c| c.is_ascii_alphanumeric() || ".-_@".contains(c))
        });
        if valid {
            Ok(PaymentMethod::Upi { vpa })
        } else {
            Err("UPI id must look like name@bank".into())
        }
    }
}

fn luhn_valid(number: &str) -> bool {
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GatewayDecision {
    Approved {
        reference: String,
    },
    Declined {
        code: &'static str,
        message: &'static str,
    },
    /// The gateway could not process it now; nothing was charged.
    ProcessingError,
}

pub fn decide(method: &PaymentMethod) -> GatewayDecision {
    let approved =
        || GatewayDecision::Approved { reference: format!("pay_{}", &uuid::Uuid::new_v4().simple().to_string()[..20]) };
    match method {
        PaymentMethod::Card { number } => match number.as_str() {
            "4000000000000002" => {
                GatewayDecision::Declined { code: "card_declined", message: "The card was declined." }
            }
            "4000000000009995" => {
                GatewayDecision::Declined { code: "insufficient_funds", message: "The card has insufficient funds." }
            }
            "4000000000000119" => GatewayDecision::ProcessingError,
            _ => approved(),
        },
        PaymentMethod::Upi { vpa } if vpa == "failure@upi" => {
            GatewayDecision::Declined { code: "upi_declined", message: "The UPI payment was declined." }
        }
        _ => approved(),
    }
}

/// The gateway is a mock: a stage named `prod` (or `production`) takes no
/// payment through it unless the deployer said so explicitly
/// (`AllowMockPayments=true`, `ALLOW_MOCK_PAYMENTS`).
pub fn mock_gateway_permitted(stage: Option<&str>, allow: Option<&str>) -> Result<(), String> {
    let production = stage.is_some_and(|s| matches!(s.trim().to_ascii_lowercase().as_str(), "prod" | "production"));
    if production && allow.map(str::trim) != Some("true") {
        return Err(format!(
            "stage {} would take payments through the mock gateway; deploy with AllowMockPayments=true to allow it",
            stage.unwrap_or_default()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_refuses_the_mock_gateway_unless_allowed() {
        assert!(mock_gateway_permitted(Some("prod"), None).is_err());
        assert!(mock_gateway_permitted(Some("Production"), Some("false")).is_err());
        assert!(mock_gateway_permitted(Some("prod"), Some("true")).is_ok());
        assert!(mock_gateway_permitted(Some("dev"), None).is_ok());
        assert!(mock_gateway_permitted(None, None).is_ok());
    }

    #[test]
    fn test_cards_are_deterministic() {
        let card = |n: &str| decide(&PaymentMethod::card(n).unwrap());
        assert!(matches!(card("4242 4242 4242 4242"), GatewayDecision::Approved { .. }));
        assert!(matches!(card("4000-0000-0000-0002"), GatewayDecision::Declined { code: "card_declined", .. }));
        assert!(matches!(card("4000000000009995"), GatewayDecision::Declined { code: "insufficient_funds", .. }));
        assert_eq!(card("4000000000000119"), GatewayDecision::ProcessingError);
        assert!(matches!(decide(&PaymentMethod::Wallet), GatewayDecision::Approved { .. }));
        assert!(matches!(decide(&PaymentMethod::upi("failure@upi").unwrap()), GatewayDecision::Declined { .. }));
    }

    #[test]
    fn card_numbers_are_validated() {
        assert!(PaymentMethod::card("4242424242424241").is_err(), "Luhn");
        assert!(PaymentMethod::card("4242").is_err());
        assert!(PaymentMethod::card("4242x24242424242").is_err());
        assert_eq!(PaymentMethod::card("4242424242424242").unwrap().card_last4().as_deref(), Some("4242"));
        assert!(PaymentMethod::upi("nobank").is_err());
    }
}
