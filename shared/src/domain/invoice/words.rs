//! Amounts in words for the invoice, with the Indian numbering system for rupees.

const ONES: [&str; 20] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
];
const TENS: [&str; 10] = ["", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"];

fn below_hundred_words(n: u64) -> String {
    match n {
        0..=19 => ONES[n as usize].to_string(),
        _ if n.is_multiple_of(10) => TENS[(n / 10) as usize].to_string(),
        _ => format!("{} {}", TENS[(n / 10) as usize], ONES[(n % 10) as usize]),
    }
}

/// A whole number in words with the Indian system: crore (10^7), lakh (10^5), thousand, hundred.
fn indian_number_words(n: u64) -> String {
    if n == 0 {
        return ONES[0].to_string();
    }
    let mut parts = Vec::new();
    let (crores, rest) = (n / 10_000_000, n % 10_000_000);
    if crores > 0 {
        parts.push(format!("{} Crore", indian_number_words(crores)));
    }
    for (unit, name) in [(100_000, "Lakh"), (1_000, "Thousand"), (100, "Hundred")] {
        let count = rest / unit % if unit == 100 { 10 } else { 100 };
        if count > 0 {
            parts.push(format!("{} {name}", below_hundred_words(count)));
        }
    }
    if rest % 100 > 0 {
        parts.push(below_hundred_words(rest % 100));
    }
    parts.join(" ")
}

/// `Rupees Four Thousand Nine Hundred Only`, `Rupees One Crore … and Ninety Paise Only`.
/// Other currencies: `USD Twelve and 50/100 Only`.
pub fn amount_in_words(amount: i64, currency: &str) -> String {
    let sign = if amount < 0 { "Minus " } else { "" };
    let minor = amount.unsigned_abs();
    let (major, fraction) = (indian_number_words(minor / 100), minor % 100);
    match (currency, fraction) {
        ("INR", 0) => format!("Rupees {sign}{major} Only"),
        ("INR", paise) => format!("Rupees {sign}{major} and {} Paise Only", below_hundred_words(paise)),
        (other, 0) => format!("{other} {sign}{major} Only"),
        (other, cents) => format!("{other} {sign}{major} and {cents:02}/100 Only"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_words_use_lakh_and_crore() {
        assert_eq!(amount_in_words(0, "INR"), "Rupees Zero Only");
        assert_eq!(amount_in_words(500, "INR"), "Rupees Five Only");
        assert_eq!(amount_in_words(5, "INR"), "Rupees Zero and Five Paise Only");
        assert_eq!(amount_in_words(10000000, "INR"), "Rupees One Lakh Only");
        assert_eq!(
            amount_in_words(1234567890, "INR"),
            "Rupees One Crore Twenty Three Lakh Forty Five Thousand Six Hundred Seventy \
             Eight and Ninety Paise Only"
        );
        assert_eq!(amount_in_words(490050, "INR"), "Rupees Four Thousand Nine Hundred and Fifty Paise Only");
        assert_eq!(amount_in_words(11_000_000_000, "INR"), "Rupees Eleven Crore Only");
        assert_eq!(amount_in_words(100_000_000_000_000, "INR"), "Rupees One Lakh Crore Only");
        assert_eq!(amount_in_words(10101010100, "INR"), "Rupees Ten Crore Ten Lakh Ten Thousand One Hundred One Only");
        assert_eq!(amount_in_words(1250, "USD"), "USD Twelve and 50/100 Only");
    }
}
