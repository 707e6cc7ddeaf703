//! Money: integer minor units plus an ISO 4217 currency.

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// Serialises as the API's money object, `{amount, currency, formatted}`:
/// the one place that shape is written, for response bodies and problem
/// extensions alike.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Money {
    /// Minor units (paise for INR).
    pub amount: i64,
    pub currency: String,
}

impl Money {
    pub fn new(amount: i64, currency: impl Into<String>) -> Self {
        Money { amount, currency: currency.into() }
    }

    pub fn inr(amount: i64) -> Self {
        Money::new(amount, "INR")
    }

    /// `₹5,000.00`; INR uses Indian digit grouping (`₹1,00,000.00`).
    pub fn formatted(&self) -> String {
        let negative = self.amount < 0;
        let minor = self.amount.unsigned_abs();
        let (major, cents) = (minor / 100, minor % 100);
        let digits = major.to_string();
        let grouped = if self.currency == "INR" && digits.len() > 3 {
            let (head, tail) = digits.split_at(digits.len() - 3);
            let mut groups: Vec<String> = Vec::new();
            let head_chars: Vec<char> = head.chars().collect();
            let mut end = head_chars.len();
            while end > 0 {
                let start = end.saturating_sub(2);
                groups.insert(0, head_chars[start..end].iter().collect());
                end = start;
            }
            format!("{},{tail}", groups.join(","))
        } else {
            let chars: Vec<char> = digits.chars().collect();
            chars.rchunks(3).rev().map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(",")
        };
        let symbol = match self.currency.as_str() {
            "INR" => "₹",
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            other => return format!("{}{other} {grouped}.{cents:02}", if negative { "-" } else { "" }),
        };
        format!("{}{symbol}{grouped}.{cents:02}", if negative { "-" } else { "" })
    }

    /// The money object as a JSON value, for a problem's extension members.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("money serialises")
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Money", 3)?;
        object.serialize_field("amount", &self.amount)?;
        object.serialize_field("currency", &self.currency)?;
        object.serialize_field("formatted", &self.formatted())?;
        object.end()
    }
}

/// Splits `amount` over `weights` in proportion, largest remainder first (ties to the earlier
/// weight), so the parts add up to `amount` exactly. `0 <= amount <= sum(weights)`.
pub fn apportion(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total_weight: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if amount == 0 || total_weight == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<i128> = weights.iter().map(|w| i128::from(amount) * i128::from(*w)).collect();
    let mut parts: Vec<i64> = exact.iter().map(|e| (e / total_weight) as i64).collect();
    let leftover = amount - parts.iter().sum::<i64>();
    let mut by_remainder: Vec<usize> = (0..weights.len()).collect();
    by_remainder.sort_by_key(|i| std::cmp::Reverse(exact[*i] % total_weight));
    for i in by_remainder.into_iter().take(leftover as usize) {
        parts[i] += 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_indian_grouping_for_inr() {
        assert_eq!(Money::inr(500000).formatted(), "₹5,000.00");
        assert_eq!(Money::inr(10000000).formatted(), "₹1,00,000.00");
        assert_eq!(Money::inr(123456789).formatted(), "₹12,34,567.89");
        assert_eq!(Money::inr(5).formatted(), "₹0.05");
        assert_eq!(Money::inr(-10000).formatted(), "-₹100.00");
        assert_eq!(Money::new(123456789, "USD").formatted(), "$1,234,567.89");
    }

    #[test]
    fn serialises_as_the_money_object() {
        let json = serde_json::to_string(&Money::inr(500000)).unwrap();
        assert_eq!(json, r#"{"amount":500000,"currency":"INR","formatted":"₹5,000.00"}"#);
        assert_eq!(Money::inr(-1).to_json()["formatted"], "-₹0.01");
    }
}
