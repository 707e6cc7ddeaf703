//! GST tax invoices for bookings: the numbers ([`compute_invoice`]) and the A4 PDF
//! ([`render_pdf`]). Amounts are integer minor units (paise) throughout; no floats touch money.
//!
//! The rules:
//! - The seller is FlightBook Travels Private Limited, GSTIN 07AAFCF1234M1Z5, registered in
//!   Delhi (state code 07). Every line is SAC 996425 (passenger transport by air).
//! - Fares are GST-inclusive. The rate goes by cabin: economy 5 %; premium economy, business
//!   and first 12 %. Taxable value = round(fare × 100 / (100 + rate)), halves up, and
//!   tax = fare − taxable value, so every line adds up exactly.
//! - The place of supply is the state where the passenger embarks (the origin airport).
//!   Embarking in Delhi: CGST + SGST, half the tax each (CGST rounded down, SGST the rest).
//!   Elsewhere in India, or at an Indian airport missing from [`INDIAN_AIRPORTS`]: IGST, the
//!   whole tax. Outside India: outside the scope of GST (taxable value = fare, no tax).
//! - A discount applied before payment lowers the price of the supply: it is spread over the
//!   lines in proportion to their fares (largest remainder, so the parts add up to the
//!   discount) and each line's taxable value and tax are worked out from its discounted fare.
//! - A cashback granted after payment does not change the taxable supply: it is shown below
//!   the total for information only, with the net amount after it.
//! - Negative amounts in the input count as zero; a discount is capped at the sum of the fares
//!   and a cashback at the invoice total.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use pdf_writer::{Content, Date, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use serde::{Deserialize, Serialize};

use super::money::Money;
use super::seating::Cabin;

pub const SELLER_NAME: &str = "FlightBook Travels Private Limited";
pub const SELLER_GSTIN: &str = "07AAFCF1234M1Z5";
const SELLER_STATE_CODE: &str = "07";
const SELLER_STATE_NAME: &str = "Delhi";
const SELLER_ADDRESS: [&str; 3] = [
    "Plot 12, Aerocity Hospitality District",
    "Near Indira Gandhi International Airport",
    "New Delhi, Delhi 110037, India",
];
/// Services Accounting Code for passenger transport by air.
pub const SAC_PASSENGER_AIR_TRANSPORT: &str = "996425";
pub const CASHBACK_DESCRIPTION: &str = "Cashback credited to original payment method";
pub const OUTSIDE_SCOPE_NOTE: &str = "Outside the scope of GST";

/// Indian airports by IATA code → (GST state code, state or union territory).
pub const INDIAN_AIRPORTS: &[(&str, &str, &str)] = &[
    ("AGR", "09", "Uttar Pradesh"),
    ("AJL", "15", "Mizoram"),
    ("AMD", "24", "Gujarat"),
    ("ATQ", "03", "Punjab"),
    ("BBI", "21", "Odisha"),
    ("BDQ", "24", "Gujarat"),
    ("BHO", "23", "Madhya Pradesh"),
    ("BLR", "29", "Karnataka"),
    ("BOM", "27", "Maharashtra"),
    ("CCJ", "32", "Kerala"),
    ("CCU", "19", "West Bengal"),
    ("CJB", "33", "Tamil Nadu"),
    ("CNN", "32", "Kerala"),
    ("COK", "32", "Kerala"),
    ("DED", "05", "Uttarakhand"),
    ("DEL", "07", "Delhi"),
    ("DHM", "02", "Himachal Pradesh"),
    ("DIB", "18", "Assam"),
    ("DMU", "13", "Nagaland"),
    ("GAU", "18", "Assam"),
    ("GAY", "10", "Bihar"),
    ("GOI", "30", "Goa"),
    ("GOX", "30", "Goa"),
    ("GWL", "23", "Madhya Pradesh"),
    ("HBX", "29", "Karnataka"),
    ("HYD", "36", "Telangana"),
    ("IDR", "23", "Madhya Pradesh"),
    ("IMF", "14", "Manipur"),
    ("IXA", "16", "Tripura"),
    ("IXB", "19", "West Bengal"),
    ("IXC", "04", "Chandigarh"),
    ("IXE", "29", "Karnataka"),
    ("IXJ", "01", "Jammu and Kashmir"),
    ("IXL", "38", "Ladakh"),
    ("IXM", "33", "Tamil Nadu"),
    ("IXR", "20", "Jharkhand"),
    ("IXU", "27", "Maharashtra"),
    ("IXZ", "35", "Andaman and Nicobar Islands"),
    ("JAI", "08", "Rajasthan"),
    ("JDH", "08", "Rajasthan"),
    ("JLR", "23", "Madhya Pradesh"),
    ("LKO", "09", "Uttar Pradesh"),
    ("MAA", "33", "Tamil Nadu"),
    ("NAG", "27", "Maharashtra"),
    ("PAT", "10", "Bihar"),
    ("PNQ", "27", "Maharashtra"),
    ("PNY", "34", "Puducherry"),
    ("PYG", "11", "Sikkim"),
    ("RAJ", "24", "Gujarat"),
    ("RPR", "22", "Chhattisgarh"),
    ("SHL", "17", "Meghalaya"),
    ("STV", "24", "Gujarat"),
    ("SXR", "01", "Jammu and Kashmir"),
    ("TIR", "37", "Andhra Pradesh"),
    ("TRV", "32", "Kerala"),
    ("TRZ", "33", "Tamil Nadu"),
    ("UDR", "08", "Rajasthan"),
    ("VGA", "37", "Andhra Pradesh"),
    ("VNS", "09", "Uttar Pradesh"),
    ("VTZ", "37", "Andhra Pradesh"),
];

/// The GST state code and name of an Indian airport, `None` when it is not in the table.
pub fn airport_state(iata: &str) -> Option<(&'static str, &'static str)> {
    let iata = iata.trim().to_ascii_uppercase();
    INDIAN_AIRPORTS
        .iter()
        .find(|(code, _, _)| *code == iata)
        .map(|(_, state_code, state_name)| (*state_code, *state_name))
}

/// The GST rate in percent for a cabin (fares of passenger air transport).
pub fn gst_rate_percent(cabin: Cabin) -> u32 {
    match cabin {
        Cabin::Economy => 5,
        Cabin::PremiumEconomy | Cabin::Business | Cabin::First => 12,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceLineInput {
    pub passenger: String,
    pub flight_number: String,
    /// IATA code of the airport where the passenger embarks.
    pub origin: String,
    /// ISO 3166-1 alpha-2 country of the origin airport.
    pub origin_country: String,
    pub destination: String,
    pub departure_date: NaiveDate,
    pub cabin: Cabin,
    pub seat: String,
    pub ticket_number: String,
    /// GST-inclusive, minor units.
    pub fare: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceInput {
    pub invoice_number: String,
    pub issued_at: DateTime<Utc>,
    pub pnr: String,
    pub buyer_name: String,
    pub buyer_email: String,
    pub currency: String,
    pub lines: Vec<InvoiceLineInput>,
    /// Applied before payment, minor units.
    pub discount: i64,
    /// Granted after payment, minor units.
    pub cashback: i64,
    pub discount_code: Option<String>,
}

/// A computed tax invoice, as stored (jsonb) and served by the API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    pub invoice_number: String,
    pub issued_at: DateTime<Utc>,
    /// The date printed on the invoice: the issue time's date in India (IST).
    pub invoice_date: NaiveDate,
    pub pnr: String,
    pub currency: String,
    pub seller: Seller,
    pub buyer: Buyer,
    /// The lines' places of supply as printed (`Maharashtra (27)`), joined by `; ` when several.
    pub place_of_supply: String,
    pub lines: Vec<InvoiceLine>,
    /// Sum of the fares before the discount.
    pub fare_total: i64,
    pub discount: Option<DiscountLine>,
    pub taxable_value: i64,
    pub cgst: i64,
    pub sgst: i64,
    pub igst: i64,
    pub total_tax: i64,
    /// What the buyer paid: the sum of the discounted fares.
    pub invoice_total: i64,
    /// `invoice_total` in words, Indian numbering (`Rupees One Lakh Only`).
    pub amount_in_words: String,
    pub cashback: Option<CashbackLine>,
    pub net_amount_after_cashback: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seller {
    pub name: String,
    pub address: Vec<String>,
    pub gstin: String,
    pub state_code: String,
    pub state_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Buyer {
    pub name: String,
    pub email: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLine {
    pub passenger: String,
    pub flight_number: String,
    pub origin: String,
    pub destination: String,
    pub departure_date: NaiveDate,
    pub cabin: Cabin,
    pub seat: String,
    pub ticket_number: String,
    pub sac: String,
    pub place_of_supply: PlaceOfSupply,
    pub gst_treatment: GstTreatment,
    /// 0 outside the scope of GST.
    pub gst_rate_percent: u32,
    /// GST-inclusive fare before the discount.
    pub fare: i64,
    /// This line's share of the invoice discount.
    pub discount: i64,
    pub taxable_value: i64,
    pub cgst: i64,
    pub sgst: i64,
    pub igst: i64,
    pub total_tax: i64,
    /// `fare - discount` = `taxable_value + total_tax`.
    pub total: i64,
    /// `Outside the scope of GST` for journeys starting abroad.
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceOfSupply {
    /// ISO 3166-1 alpha-2 country where the passenger embarks.
    pub country: String,
    /// GST state code; `None` outside India or for an airport missing from the table.
    pub state_code: Option<String>,
    pub state_name: Option<String>,
}

impl PlaceOfSupply {
    /// `Maharashtra (27)`, `India (state not known)`, `Outside India (SG)`.
    pub fn label(&self) -> String {
        match (&self.state_code, &self.state_name) {
            (Some(code), Some(name)) => format!("{name} ({code})"),
            _ if self.country == "IN" => "India (state not known)".to_string(),
            _ => format!("Outside India ({})", self.country),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GstTreatment {
    /// Embarks in the seller's state: CGST + SGST.
    IntraState,
    /// Embarks in another Indian state: IGST.
    InterState,
    /// Embarks outside India: no Indian GST.
    OutsideScope,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscountLine {
    pub code: Option<String>,
    pub description: String,
    pub amount: i64,
}

/// Informational: granted after payment, so it does not reduce the taxable value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CashbackLine {
    pub description: String,
    pub amount: i64,
}

pub fn compute_invoice(input: InvoiceInput) -> Invoice {
    let fares: Vec<i64> = input.lines.iter().map(|line| line.fare.max(0)).collect();
    let fare_total: i64 = fares.iter().sum();
    let discount = input.discount.clamp(0, fare_total);
    let shares = apportion(discount, &fares);
    let lines: Vec<InvoiceLine> = input
        .lines
        .into_iter()
        .zip(fares.iter().zip(&shares))
        .map(|(line, (fare, share))| invoice_line(line, *fare, *share))
        .collect();

    let sum = |amount: fn(&InvoiceLine) -> i64| lines.iter().map(amount).sum::<i64>();
    let invoice_total = sum(|line| line.total);
    let cashback = input.cashback.clamp(0, invoice_total);

    let mut places: Vec<String> = Vec::new();
    for label in lines.iter().map(|line| line.place_of_supply.label()) {
        if !places.contains(&label) {
            places.push(label);
        }
    }

    Invoice {
        invoice_date: input.issued_at.with_timezone(&chrono_tz::Asia::Kolkata).date_naive(),
        invoice_number: input.invoice_number,
        issued_at: input.issued_at,
        pnr: input.pnr,
        seller: Seller {
            name: SELLER_NAME.to_string(),
            address: SELLER_ADDRESS.iter().map(|line| line.to_string()).collect(),
            gstin: SELLER_GSTIN.to_string(),
            state_code: SELLER_STATE_CODE.to_string(),
            state_name: SELLER_STATE_NAME.to_string(),
        },
        buyer: Buyer { name: input.buyer_name, email: input.buyer_email },
        place_of_supply: places.join("; "),
        fare_total,
        discount: (discount > 0).then(|| DiscountLine {
            description: match &input.discount_code {
                Some(code) => format!("Discount ({code})"),
                None => "Discount".to_string(),
            },
            code: input.discount_code,
            amount: discount,
        }),
        taxable_value: sum(|line| line.taxable_value),
        cgst: sum(|line| line.cgst),
        sgst: sum(|line| line.sgst),
        igst: sum(|line| line.igst),
        total_tax: sum(|line| line.total_tax),
        invoice_total,
        amount_in_words: amount_in_words(invoice_total, &input.currency),
        cashback: (cashback > 0)
            .then(|| CashbackLine { description: CASHBACK_DESCRIPTION.to_string(), amount: cashback }),
        net_amount_after_cashback: invoice_total - cashback,
        currency: input.currency,
        lines,
    }
}

fn invoice_line(input: InvoiceLineInput, fare: i64, discount: i64) -> InvoiceLine {
    let country = input.origin_country.trim().to_ascii_uppercase();
    let state = (country == "IN").then(|| airport_state(&input.origin)).flatten();
    let treatment = match state {
        _ if country != "IN" => GstTreatment::OutsideScope,
        Some((code, _)) if code == SELLER_STATE_CODE => GstTreatment::IntraState,
        _ => GstTreatment::InterState,
    };
    let rate = match treatment {
        GstTreatment::OutsideScope => 0,
        _ => gst_rate_percent(input.cabin),
    };
    let total = fare - discount;
    let taxable_value = taxable_value(total, rate);
    let tax = total - taxable_value;
    let (cgst, sgst, igst) = match treatment {
        GstTreatment::IntraState => (tax / 2, tax - tax / 2, 0),
        GstTreatment::InterState => (0, 0, tax),
        GstTreatment::OutsideScope => (0, 0, 0),
    };
    InvoiceLine {
        passenger: input.passenger,
        flight_number: input.flight_number,
        origin: input.origin.trim().to_ascii_uppercase(),
        destination: input.destination.trim().to_ascii_uppercase(),
        departure_date: input.departure_date,
        cabin: input.cabin,
        seat: input.seat,
        ticket_number: input.ticket_number,
        sac: SAC_PASSENGER_AIR_TRANSPORT.to_string(),
        place_of_supply: PlaceOfSupply {
            country,
            state_code: state.map(|(code, _)| code.to_string()),
            state_name: state.map(|(_, name)| name.to_string()),
        },
        gst_treatment: treatment,
        gst_rate_percent: rate,
        fare,
        discount,
        taxable_value,
        cgst,
        sgst,
        igst,
        total_tax: tax,
        total,
        note: (treatment == GstTreatment::OutsideScope).then(|| OUTSIDE_SCOPE_NOTE.to_string()),
    }
}

/// round(inclusive × 100 / (100 + rate)), halves up; `inclusive` is not negative.
fn taxable_value(inclusive: i64, rate_percent: u32) -> i64 {
    let divisor = 100 + i128::from(rate_percent);
    ((i128::from(inclusive) * 200 + divisor) / (2 * divisor)) as i64
}

/// Splits `amount` over `weights` in proportion, largest remainder first (ties to the earlier
/// weight), so the parts add up to `amount` exactly. `0 <= amount <= sum(weights)`.
fn apportion(amount: i64, weights: &[i64]) -> Vec<i64> {
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

// ---------------------------------------------------------------------------------------------
// PDF rendering: A4 portrait, the built-in Helvetica fonts (WinAnsiEncoding, nothing embedded).
// Positions are kept as distances from the top of the page and flipped when drawn.

const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 40.0;
const RIGHT_EDGE: f32 = PAGE_WIDTH - MARGIN;
/// Body content ends here; the footer lives below.
const BODY_BOTTOM: f32 = PAGE_HEIGHT - 62.0;
const CELL_PADDING: f32 = 3.0;

#[derive(Clone, Copy)]
enum Font {
    Regular,
    Bold,
}

/// Advance widths (1/1000 em) of the printable ASCII characters, from Adobe's AFM files.
const HELVETICA_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space…/
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0…9
    278, 278, 584, 584, 584, 556, 1015, // :…@
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, // A…M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N…Z
    278, 278, 278, 469, 556, 333, // [ \ ] ^ _ `
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, // a…m
    556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // n…z
    334, 260, 334, 584, // { | } ~
];
const HELVETICA_BOLD_WIDTHS: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // space…/
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0…9
    333, 333, 584, 584, 584, 611, 975, // :…@
    722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, // A…M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N…Z
    333, 278, 333, 584, 556, 333, // [ \ ] ^ _ `
    556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, // a…m
    611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, // n…z
    389, 280, 389, 584, // { | } ~
];

impl Font {
    fn resource(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
        }
    }

    fn advance(self, byte: u8) -> f32 {
        let widths = match self {
            Font::Regular => &HELVETICA_WIDTHS,
            Font::Bold => &HELVETICA_BOLD_WIDTHS,
        };
        match byte {
            32..=126 => f32::from(widths[usize::from(byte - 32)]),
            // Accented capitals are the widest Latin-1 letters: never under-measure.
            _ => 778.0,
        }
    }
}

#[derive(Clone, Copy)]
struct Style {
    font: Font,
    size: f32,
    /// 0 = black.
    gray: f32,
}

const TITLE: Style = Style { font: Font::Bold, size: 18.0, gray: 0.0 };
const HEADING: Style = Style { font: Font::Bold, size: 10.5, gray: 0.0 };
const BODY: Style = Style { font: Font::Regular, size: 8.5, gray: 0.0 };
const BODY_BOLD: Style = Style { font: Font::Bold, size: 8.5, gray: 0.0 };
const LABEL: Style = Style { font: Font::Regular, size: 8.5, gray: 0.4 };
const SMALL_MUTED: Style = Style { font: Font::Regular, size: 7.5, gray: 0.4 };
const CELL: Style = Style { font: Font::Regular, size: 7.5, gray: 0.0 };
const CELL_BOLD: Style = Style { font: Font::Bold, size: 7.5, gray: 0.0 };
const CELL_MUTED: Style = Style { font: Font::Regular, size: 7.0, gray: 0.4 };
const TOTAL: Style = Style { font: Font::Bold, size: 10.5, gray: 0.0 };

/// The PDF fonts' single-byte encoding; characters it lacks become `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{A0}'..='\u{FF}' => c as u32 as u8,
            '€' => 0x80,
            '…' => 0x85,
            'Š' => 0x8A,
            'Œ' => 0x8C,
            'Ž' => 0x8E,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            'š' => 0x9A,
            'œ' => 0x9C,
            'ž' => 0x9E,
            'Ÿ' => 0x9F,
            c if c.is_whitespace() => b' ',
            _ => b'?',
        })
        .collect()
}

fn text_width(text: &str, style: Style) -> f32 {
    let units: f32 = win_ansi(text).into_iter().map(|b| style.font.advance(b)).sum();
    units * style.size / 1000.0
}

/// `text`, cut with `...` so that it is at most `max_width` wide.
fn fit(text: &str, style: Style, max_width: f32) -> String {
    if text_width(text, style) <= max_width {
        return text.to_string();
    }
    let mut cut: String = text.to_string();
    while !cut.is_empty() && text_width(&format!("{cut}..."), style) > max_width {
        cut.pop();
    }
    format!("{}...", cut.trim_end())
}

/// Greedy word wrap; a word wider than the line is cut.
fn wrap(text: &str, style: Style, max_width: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() { word.to_string() } else { format!("{current} {word}") };
        if text_width(&candidate, style) <= max_width || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines.into_iter().map(|line| fit(&line, style, max_width)).collect()
}

/// `4,900.00` (Indian grouping for INR) without a currency sign.
fn grouped(amount: i64, currency: &str) -> String {
    let formatted = Money::new(amount.abs(), currency).formatted();
    let digits = formatted.trim_start_matches(|c: char| !c.is_ascii_digit());
    if amount < 0 {
        format!("-{digits}")
    } else {
        digits.to_string()
    }
}

/// `INR 4,900.00`: the built-in PDF fonts have no rupee sign.
fn with_code(amount: i64, currency: &str) -> String {
    format!("{currency} {}", grouped(amount, currency))
}

fn long_date(date: NaiveDate) -> String {
    date.format("%d %b %Y").to_string()
}

fn cabin_label(cabin: Cabin) -> &'static str {
    match cabin {
        Cabin::Economy => "Economy",
        Cabin::PremiumEconomy => "Premium Economy",
        Cabin::Business => "Business",
        Cabin::First => "First",
    }
}

/// Half of a whole percentage, for CGST and SGST: `2.5%`, `6%`.
fn half_rate_label(rate_percent: u32) -> String {
    if rate_percent.is_multiple_of(2) {
        format!("{}%", rate_percent / 2)
    } else {
        format!("{}.5%", rate_percent / 2)
    }
}

/// Content streams of the pages drawn so far and the cursor on the current one.
struct Canvas {
    pages: Vec<Content>,
    page: usize,
    /// Distance of the cursor from the top of the page.
    top: f32,
}

impl Canvas {
    fn new() -> Self {
        Canvas { pages: vec![Content::new()], page: 0, top: MARGIN }
    }

    fn content(&mut self) -> &mut Content {
        &mut self.pages[self.page]
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.page = self.pages.len() - 1;
        self.top = MARGIN;
    }

    fn fits(&self, height: f32) -> bool {
        self.top + height <= BODY_BOTTOM
    }

    /// Text with its baseline `baseline` below the top of the page.
    fn text(&mut self, x: f32, baseline: f32, style: Style, text: &str) {
        let bytes = win_ansi(text);
        let content = self.content();
        if style.gray > 0.0 {
            content.set_fill_gray(style.gray);
        }
        content.begin_text();
        content.set_font(style.font.resource(), style.size);
        content.next_line(x, PAGE_HEIGHT - baseline);
        content.show(Str(&bytes));
        content.end_text();
        if style.gray > 0.0 {
            content.set_fill_gray(0.0);
        }
    }

    fn text_right(&mut self, right: f32, baseline: f32, style: Style, text: &str) {
        self.text(right - text_width(text, style), baseline, style, text);
    }

    fn text_centered(&mut self, center: f32, baseline: f32, style: Style, text: &str) {
        self.text(center - text_width(text, style) / 2.0, baseline, style, text);
    }

    fn rule(&mut self, from: f32, to: f32, at: f32, width: f32, gray: f32) {
        let content = self.content();
        content.set_stroke_gray(gray);
        content.set_line_width(width);
        content.move_to(from, PAGE_HEIGHT - at);
        content.line_to(to, PAGE_HEIGHT - at);
        content.stroke();
    }

    fn shade(&mut self, x: f32, top: f32, width: f32, height: f32, gray: f32) {
        let content = self.content();
        content.set_fill_gray(gray);
        content.rect(x, PAGE_HEIGHT - top - height, width, height);
        content.fill_nonzero();
        content.set_fill_gray(0.0);
    }
}

struct Column {
    title: [&'static str; 2],
    width: f32,
    numeric: bool,
}

const COLUMNS: [Column; 10] = [
    Column { title: ["#", ""], width: 14.0, numeric: false },
    Column { title: ["Passenger", "Ticket No."], width: 104.0, numeric: false },
    Column { title: ["Flight", "Date"], width: 54.0, numeric: false },
    Column { title: ["Route, Seat", "Cabin"], width: 66.0, numeric: false },
    Column { title: ["Taxable", "Value"], width: 56.0, numeric: true },
    Column { title: ["GST", "Rate"], width: 27.0, numeric: true },
    Column { title: ["CGST", ""], width: 45.0, numeric: true },
    Column { title: ["SGST", ""], width: 45.0, numeric: true },
    Column { title: ["IGST", ""], width: 45.0, numeric: true },
    Column { title: ["Line", "Total"], width: RIGHT_EDGE - MARGIN - 456.0, numeric: true },
];
const TABLE_HEADER_HEIGHT: f32 = 22.0;
const CELL_LEADING: f32 = 9.0;

fn column_left(index: usize) -> f32 {
    MARGIN + COLUMNS[..index].iter().map(|c| c.width).sum::<f32>()
}

/// A4 tax invoice; more pages when the lines do not fit on one.
pub fn render_pdf(invoice: &Invoice) -> Vec<u8> {
    let mut canvas = Canvas::new();
    draw_header(&mut canvas, invoice);
    draw_lines(&mut canvas, invoice);
    draw_totals(&mut canvas, invoice);
    let page_count = canvas.pages.len();
    for page in 0..page_count {
        canvas.page = page;
        draw_footer(&mut canvas, invoice, page + 1, page_count);
    }
    assemble(canvas, invoice)
}

fn draw_header(canvas: &mut Canvas, invoice: &Invoice) {
    let top = canvas.top;
    canvas.text(MARGIN, top + 18.0, TITLE, "TAX INVOICE");
    canvas.text_right(RIGHT_EDGE, top + 18.0, SMALL_MUTED, "Original for recipient");

    // Seller on the left, the invoice's particulars on the right.
    let mut left = top + 44.0;
    canvas.text(MARGIN, left, HEADING, &invoice.seller.name);
    for line in &invoice.seller.address {
        left += 11.0;
        canvas.text(MARGIN, left, BODY, line);
    }
    left += 13.0;
    canvas.text(MARGIN, left, BODY_BOLD, &format!("GSTIN: {}", invoice.seller.gstin));
    left += 11.0;
    let state = format!("State: {} ({})", invoice.seller.state_name, invoice.seller.state_code);
    canvas.text(MARGIN, left, BODY, &state);

    let (label_x, value_x) = (330.0, 412.0);
    let mut right = top + 44.0;
    let date = long_date(invoice.invoice_date);
    let details: [(&str, &str, Style); 4] = [
        ("Invoice No.", &invoice.invoice_number, BODY_BOLD),
        ("Invoice Date", &date, BODY),
        ("PNR", &invoice.pnr, BODY_BOLD),
        ("Reverse Charge", "No", BODY),
    ];
    for (label, value, style) in details {
        canvas.text(label_x, right, LABEL, label);
        canvas.text(value_x, right, style, &fit(value, style, RIGHT_EDGE - value_x));
        right += 12.0;
    }
    canvas.text(label_x, right, LABEL, "Place of Supply");
    for line in wrap(&invoice.place_of_supply, BODY, RIGHT_EDGE - value_x) {
        canvas.text(value_x, right, BODY, &line);
        right += 11.0;
    }

    let mut top = left.max(right) + 8.0;
    canvas.rule(MARGIN, RIGHT_EDGE, top, 0.6, 0.6);

    // Buyer on the left, the service on the right.
    top += 14.0;
    canvas.text(MARGIN, top, LABEL, "Billed to");
    canvas.text(label_x, top, LABEL, "Service");
    canvas.text(value_x, top, BODY, &format!("SAC {SAC_PASSENGER_AIR_TRANSPORT}"));
    top += 13.0;
    canvas.text(MARGIN, top, HEADING, &fit(&invoice.buyer.name, HEADING, 280.0));
    canvas.text(value_x, top, BODY, "Passenger transport by air");
    top += 11.0;
    canvas.text(MARGIN, top, BODY, &fit(&invoice.buyer.email, BODY, 280.0));
    canvas.top = top + 18.0;
}

/// The small header repeated at the top of every page after the first.
fn draw_continuation_header(canvas: &mut Canvas, invoice: &Invoice) {
    let baseline = canvas.top + 10.0;
    let title = format!("TAX INVOICE {} (continued)", invoice.invoice_number);
    canvas.text(MARGIN, baseline, BODY_BOLD, &title);
    canvas.text_right(RIGHT_EDGE, baseline, BODY, &format!("PNR {}", invoice.pnr));
    canvas.top = baseline + 14.0;
}

fn draw_table_header(canvas: &mut Canvas, currency: &str) {
    let top = canvas.top;
    let note = format!("Amounts in {currency}");
    canvas.text_right(RIGHT_EDGE, top - 4.0, SMALL_MUTED, &note);
    canvas.shade(MARGIN, top, RIGHT_EDGE - MARGIN, TABLE_HEADER_HEIGHT, 0.9);
    for (index, column) in COLUMNS.iter().enumerate() {
        for (row, title) in column.title.iter().enumerate() {
            let baseline = top + 9.5 + row as f32 * 8.5;
            if column.numeric {
                let right = column_left(index) + column.width - CELL_PADDING;
                canvas.text_right(right, baseline, CELL_BOLD, title);
            } else {
                canvas.text(column_left(index) + CELL_PADDING, baseline, CELL_BOLD, title);
            }
        }
    }
    canvas.top = top + TABLE_HEADER_HEIGHT;
}

/// The text of one table row: cells of up to two sub-lines each, then note lines under the
/// descriptive columns.
struct Row {
    cells: Vec<[String; 2]>,
    notes: Vec<String>,
}

fn table_row(index: usize, line: &InvoiceLine, currency: &str, show_place: bool) -> Row {
    let amount = |value: i64| {
        if value == 0 {
            "-".to_string()
        } else {
            grouped(value, currency)
        }
    };
    let outside = line.gst_treatment == GstTreatment::OutsideScope;
    let half = half_rate_label(line.gst_rate_percent);
    let cell_width = |column: usize| COLUMNS[column].width - 2.0 * CELL_PADDING;
    let cells = vec![
        [(index + 1).to_string(), String::new()],
        [fit(&line.passenger, CELL, cell_width(1)), fit(&line.ticket_number, CELL_MUTED, cell_width(1))],
        [fit(&line.flight_number, CELL, cell_width(2)), long_date(line.departure_date)],
        [
            fit(&format!("{}-{}, {}", line.origin, line.destination, line.seat), CELL, cell_width(3)),
            cabin_label(line.cabin).to_string(),
        ],
        [amount(line.taxable_value), String::new()],
        [if outside { "-".to_string() } else { format!("{}%", line.gst_rate_percent) }, String::new()],
        [amount(line.cgst), if line.cgst + line.sgst > 0 { format!("@{half}") } else { String::new() }],
        [amount(line.sgst), if line.cgst + line.sgst > 0 { format!("@{half}") } else { String::new() }],
        [amount(line.igst), if line.igst > 0 { format!("@{}%", line.gst_rate_percent) } else { String::new() }],
        [grouped(line.total, currency), String::new()],
    ];

    let mut note_parts: Vec<String> = Vec::new();
    if show_place {
        note_parts.push(format!("Place of supply: {}", line.place_of_supply.label()));
    }
    if let Some(note) = &line.note {
        note_parts.push(note.clone());
    }
    if line.discount > 0 {
        note_parts.push(format!(
            "Fare {} less discount {}",
            grouped(line.fare, currency),
            grouped(line.discount, currency)
        ));
    }
    let note_width = COLUMNS[1..4].iter().map(|c| c.width).sum::<f32>() - 2.0 * CELL_PADDING;
    Row { cells, notes: wrap(&note_parts.join("; "), CELL_MUTED, note_width) }
}

fn draw_lines(canvas: &mut Canvas, invoice: &Invoice) {
    draw_table_header(canvas, &invoice.currency);
    let show_place = invoice.place_of_supply.contains(';');
    for (index, line) in invoice.lines.iter().enumerate() {
        let row = table_row(index, line, &invoice.currency, show_place);
        let height = (2 + row.notes.len()) as f32 * CELL_LEADING + 6.0;
        if !canvas.fits(height) {
            canvas.new_page();
            draw_continuation_header(canvas, invoice);
            draw_table_header(canvas, &invoice.currency);
        }
        let top = canvas.top;
        for (column_index, (column, cell)) in COLUMNS.iter().zip(&row.cells).enumerate() {
            for (sub, text) in cell.iter().enumerate() {
                let style = match (column_index, sub) {
                    (9, _) => CELL_BOLD,
                    (_, 1) if column_index == 1 || column_index >= 4 => CELL_MUTED,
                    _ => CELL,
                };
                let baseline = top + CELL_LEADING * (sub + 1) as f32;
                if column.numeric {
                    let right = column_left(column_index) + column.width - CELL_PADDING;
                    canvas.text_right(right, baseline, style, text);
                } else {
                    let x = column_left(column_index) + CELL_PADDING;
                    canvas.text(x, baseline, style, text);
                }
            }
        }
        for (n, note) in row.notes.iter().enumerate() {
            let baseline = top + CELL_LEADING * (3 + n) as f32;
            canvas.text(column_left(1) + CELL_PADDING, baseline, CELL_MUTED, note);
        }
        canvas.top = top + height;
        canvas.rule(MARGIN, RIGHT_EDGE, canvas.top, 0.4, 0.75);
    }
}

fn draw_totals(canvas: &mut Canvas, invoice: &Invoice) {
    let currency = invoice.currency.as_str();
    let mut rows: Vec<(String, String, Style)> = Vec::new();
    if let Some(discount) = &invoice.discount {
        rows.push(("Total fare before discount".into(), with_code(invoice.fare_total, currency), BODY));
        rows.push((
            format!("Less: {}", discount.description),
            format!("- {}", with_code(discount.amount, currency)),
            BODY,
        ));
    }
    rows.push(("Taxable value".into(), with_code(invoice.taxable_value, currency), BODY));
    rows.push(("CGST".into(), with_code(invoice.cgst, currency), BODY));
    rows.push(("SGST".into(), with_code(invoice.sgst, currency), BODY));
    rows.push(("IGST".into(), with_code(invoice.igst, currency), BODY));
    rows.push(("Total GST".into(), with_code(invoice.total_tax, currency), BODY_BOLD));

    let words = wrap(&invoice.amount_in_words, BODY_BOLD, RIGHT_EDGE - MARGIN);
    let cashback_height = if invoice.cashback.is_some() { 52.0 } else { 0.0 };
    let height = 16.0 + rows.len() as f32 * 12.0 + 28.0 + 24.0 + words.len() as f32 * 11.0 + cashback_height;
    if !canvas.fits(height) {
        canvas.new_page();
        draw_continuation_header(canvas, invoice);
    }

    let (label_x, value_right) = (330.0, RIGHT_EDGE - CELL_PADDING);
    let mut top = canvas.top + 16.0;
    for (label, value, style) in &rows {
        canvas.text(label_x, top, Style { gray: LABEL.gray, ..*style }, label);
        canvas.text_right(value_right, top, *style, value);
        top += 12.0;
    }
    canvas.rule(label_x, RIGHT_EDGE, top - 6.0, 0.8, 0.0);
    top += 10.0;
    canvas.text(label_x, top, TOTAL, "Invoice Total");
    canvas.text_right(value_right, top, TOTAL, &with_code(invoice.invoice_total, currency));
    top += 8.0;
    canvas.rule(label_x, RIGHT_EDGE, top, 0.8, 0.0);

    top += 20.0;
    canvas.text(MARGIN, top, LABEL, "Amount chargeable (in words)");
    for line in &words {
        top += 11.0;
        canvas.text(MARGIN, top, BODY_BOLD, line);
    }

    if let Some(cashback) = &invoice.cashback {
        top += 12.0;
        canvas.shade(MARGIN, top, RIGHT_EDGE - MARGIN, 40.0, 0.95);
        canvas.text(MARGIN + 6.0, top + 12.0, BODY, &cashback.description);
        let amount = with_code(cashback.amount, currency);
        canvas.text_right(value_right, top + 12.0, BODY, &amount);
        canvas.text(MARGIN + 6.0, top + 24.0, BODY_BOLD, "Net amount after cashback");
        let net = with_code(invoice.net_amount_after_cashback, currency);
        canvas.text_right(value_right, top + 24.0, BODY_BOLD, &net);
        let note = "Granted after payment: for information only, it does not reduce the \
                    taxable value or the GST above.";
        canvas.text(MARGIN + 6.0, top + 35.0, SMALL_MUTED, note);
        top += 40.0;
    }
    canvas.top = top;
}

fn draw_footer(canvas: &mut Canvas, invoice: &Invoice, page: usize, page_count: usize) {
    let rule_at = PAGE_HEIGHT - 48.0;
    canvas.rule(MARGIN, RIGHT_EDGE, rule_at, 0.4, 0.75);
    let baseline = rule_at + 14.0;
    let seller = format!("{} | GSTIN {}", invoice.seller.name, invoice.seller.gstin);
    canvas.text(MARGIN, baseline, SMALL_MUTED, &seller);
    canvas.text_right(RIGHT_EDGE, baseline, SMALL_MUTED, &format!("Page {page} of {page_count}"));
    canvas.text_centered(PAGE_WIDTH / 2.0, baseline + 11.0, SMALL_MUTED, "This is a computer-generated invoice.");
}

fn assemble(canvas: Canvas, invoice: &Invoice) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let page_tree_id = Ref::new(2);
    let regular_id = Ref::new(3);
    let bold_id = Ref::new(4);
    let info_id = Ref::new(5);
    let page_ids: Vec<Ref> = (0..canvas.pages.len()).map(|i| Ref::new(6 + 2 * i as i32)).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(page_tree_id);
    pdf.pages(page_tree_id).kids(page_ids.iter().copied()).count(page_ids.len() as i32);
    for (page_id, content) in page_ids.iter().zip(canvas.pages) {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(*page_id);
        page.parent(page_tree_id).media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT)).contents(content_id);
        page.resources().fonts().pair(Font::Regular.resource(), regular_id).pair(Font::Bold.resource(), bold_id);
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    for (id, base_font) in [(regular_id, "Helvetica"), (bold_id, "Helvetica-Bold")] {
        pdf.type1_font(id).base_font(Name(base_font.as_bytes())).encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    let issued = invoice.issued_at;
    pdf.document_info(info_id)
        .title(TextStr(&format!("Tax invoice {}", invoice.invoice_number)))
        .author(TextStr(&invoice.seller.name))
        .creation_date(
            Date::new(issued.year().clamp(0, 9999) as u16)
                .month(issued.month() as u8)
                .day(issued.day() as u8)
                .hour(issued.hour() as u8)
                .minute(issued.minute() as u8)
                .second(issued.second() as u8)
                .utc_offset_hour(0),
        );
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn line(passenger: &str, route: (&str, &str, &str), cabin: Cabin, seat: &str, fare: i64) -> InvoiceLineInput {
        let (origin, origin_country, destination) = route;
        InvoiceLineInput {
            passenger: passenger.to_string(),
            flight_number: "AI 101".to_string(),
            origin: origin.to_string(),
            origin_country: origin_country.to_string(),
            destination: destination.to_string(),
            departure_date: date(2025, 3, 20),
            cabin,
            seat: seat.to_string(),
            ticket_number: format!("098{:010}", fare + seat.len() as i64),
            fare,
        }
    }

    fn input(lines: Vec<InvoiceLineInput>, discount: i64, cashback: i64) -> InvoiceInput {
        InvoiceInput {
            invoice_number: "FB/2024-25/000123".to_string(),
            issued_at: Utc.with_ymd_and_hms(2025, 3, 14, 9, 30, 0).unwrap(),
            pnr: "X7K2QP".to_string(),
            buyer_name: "Asha Verma".to_string(),
            buyer_email: "asha@example.com".to_string(),
            currency: "INR".to_string(),
            lines,
            discount,
            cashback,
            discount_code: None,
        }
    }

    const DEL_BOM: (&str, &str, &str) = ("DEL", "IN", "BOM");
    const BOM_DEL: (&str, &str, &str) = ("BOM", "IN", "DEL");
    const SIN_DEL: (&str, &str, &str) = ("SIN", "SG", "DEL");

    fn assert_line_adds_up(line: &InvoiceLine) {
        assert_eq!(line.fare - line.discount, line.total);
        assert_eq!(line.taxable_value + line.total_tax, line.total);
        assert_eq!(line.cgst + line.sgst + line.igst, line.total_tax);
    }

    fn assert_totals_add_up(invoice: &Invoice) {
        let sum = |f: fn(&InvoiceLine) -> i64| invoice.lines.iter().map(f).sum::<i64>();
        assert_eq!(invoice.taxable_value, sum(|l| l.taxable_value));
        assert_eq!(invoice.cgst, sum(|l| l.cgst));
        assert_eq!(invoice.sgst, sum(|l| l.sgst));
        assert_eq!(invoice.igst, sum(|l| l.igst));
        assert_eq!(invoice.total_tax, invoice.cgst + invoice.sgst + invoice.igst);
        assert_eq!(invoice.invoice_total, invoice.taxable_value + invoice.total_tax);
        assert_eq!(invoice.invoice_total, sum(|l| l.total));
        let discount = invoice.discount.as_ref().map_or(0, |d| d.amount);
        assert_eq!(invoice.invoice_total, invoice.fare_total - discount);
        invoice.lines.iter().for_each(assert_line_adds_up);
    }

    #[test]
    fn economy_from_delhi_is_intra_state_cgst_and_sgst() {
        let invoice = compute_invoice(input(vec![line("Asha Verma", DEL_BOM, Cabin::Economy, "12A", 250000)], 0, 0));
        let l = &invoice.lines[0];
        assert_eq!(l.gst_treatment, GstTreatment::IntraState);
        assert_eq!(l.gst_rate_percent, 5);
        assert_eq!(l.place_of_supply.label(), "Delhi (07)");
        assert_eq!((l.taxable_value, l.total_tax, l.cgst, l.sgst, l.igst), (238095, 11905, 5952, 5953, 0));
        assert_eq!(l.sac, "996425");
        assert_eq!(l.note, None);
        assert_eq!(invoice.place_of_supply, "Delhi (07)");
        assert_totals_add_up(&invoice);
    }

    #[test]
    fn business_from_mumbai_is_inter_state_igst_at_twelve_percent() {
        let invoice = compute_invoice(input(vec![line("Asha Verma", BOM_DEL, Cabin::Business, "2A", 1120000)], 0, 0));
        let l = &invoice.lines[0];
        assert_eq!(l.gst_treatment, GstTreatment::InterState);
        assert_eq!(l.gst_rate_percent, 12);
        assert_eq!(l.place_of_supply.label(), "Maharashtra (27)");
        assert_eq!((l.taxable_value, l.cgst, l.sgst, l.igst), (1000000, 0, 0, 120000));
        assert_eq!((invoice.igst, invoice.total_tax), (120000, 120000));
        assert_totals_add_up(&invoice);
    }

    #[test]
    fn journey_starting_abroad_is_outside_the_scope_of_gst() {
        let invoice = compute_invoice(input(vec![line("Asha Verma", SIN_DEL, Cabin::Business, "3C", 1500000)], 0, 0));
        let l = &invoice.lines[0];
        assert_eq!(l.gst_treatment, GstTreatment::OutsideScope);
        assert_eq!((l.gst_rate_percent, l.taxable_value, l.total_tax), (0, 1500000, 0));
        assert_eq!(l.note.as_deref(), Some("Outside the scope of GST"));
        assert_eq!(invoice.place_of_supply, "Outside India (SG)");
        assert_totals_add_up(&invoice);
    }

    #[test]
    fn unknown_indian_airport_is_taxed_as_inter_state() {
        let invoice =
            compute_invoice(input(vec![line("Asha Verma", ("ZZZ", "in", "DEL"), Cabin::Economy, "1A", 105000)], 0, 0));
        let l = &invoice.lines[0];
        assert_eq!(l.gst_treatment, GstTreatment::InterState);
        assert_eq!((l.taxable_value, l.igst), (100000, 5000));
        assert_eq!(l.place_of_supply.label(), "India (state not known)");
    }

    #[test]
    fn walkthrough_two_economy_seats_with_cashback() {
        let invoice = compute_invoice(input(
            vec![
                line("Asha Verma", DEL_BOM, Cabin::Economy, "12A", 250000),
                line("Ravi Verma", DEL_BOM, Cabin::Economy, "12B", 250000),
            ],
            0,
            10000,
        ));
        assert_eq!(invoice.invoice_total, 500000);
        assert_eq!(invoice.taxable_value, 476190);
        assert_eq!((invoice.cgst, invoice.sgst, invoice.igst), (11904, 11906, 0));
        assert_eq!(invoice.discount, None);
        assert_eq!(
            invoice.cashback,
            Some(CashbackLine {
                description: "Cashback credited to original payment method".to_string(),
                amount: 10000,
            })
        );
        assert_eq!(invoice.net_amount_after_cashback, 490000);
        assert_eq!(invoice.amount_in_words, "Rupees Five Thousand Only");
        assert_eq!(amount_in_words(invoice.net_amount_after_cashback, "INR"), "Rupees Four Thousand Nine Hundred Only");
        assert_totals_add_up(&invoice);
    }

    #[test]
    fn pre_payment_discount_is_apportioned_exactly_and_lowers_the_tax() {
        let mut request = input(
            vec![
                line("Asha Verma", DEL_BOM, Cabin::Economy, "12A", 250000),
                line("Ravi Verma", BOM_DEL, Cabin::Business, "2A", 400000),
            ],
            20000,
            0,
        );
        request.discount_code = Some("SAVE200".to_string());
        let invoice = compute_invoice(request);
        let shares: Vec<i64> = invoice.lines.iter().map(|l| l.discount).collect();
        // 20000 × 25/65 = 7692.31, 20000 × 40/65 = 12307.69: the spare paisa goes to the second.
        assert_eq!(shares, vec![7692, 12308]);
        let first = &invoice.lines[0];
        assert_eq!((first.total, first.taxable_value, first.cgst, first.sgst), (242308, 230770, 5769, 5769));
        let second = &invoice.lines[1];
        assert_eq!((second.total, second.taxable_value, second.igst), (387692, 346154, 41538));
        assert_eq!(invoice.fare_total, 650000);
        assert_eq!(invoice.invoice_total, 630000);
        assert_eq!(
            invoice.discount,
            Some(DiscountLine {
                code: Some("SAVE200".to_string()),
                description: "Discount (SAVE200)".to_string(),
                amount: 20000,
            })
        );
        assert_eq!(invoice.amount_in_words, "Rupees Six Thousand Three Hundred Only");
        assert_totals_add_up(&invoice);
    }

    #[test]
    fn apportioning_always_sums_to_the_amount() {
        assert_eq!(apportion(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(apportion(0, &[5, 7]), vec![0, 0]);
        assert_eq!(apportion(7, &[0, 0]), vec![0, 0]);
        assert_eq!(apportion(10, &[10, 0, 0]), vec![10, 0, 0]);
        for (amount, weights) in
            [(20001, vec![333333, 1, 666668, 250000]), (27, vec![1, 2, 3, 4, 5, 6, 7]), (1, vec![3, 3, 3])]
        {
            let parts = apportion(amount, &weights);
            assert_eq!(parts.iter().sum::<i64>(), amount);
            for (part, weight) in parts.iter().zip(&weights) {
                assert!(*part >= 0 && part <= weight);
            }
        }
    }

    #[test]
    fn discount_and_cashback_are_capped() {
        let invoice =
            compute_invoice(input(vec![line("Asha Verma", DEL_BOM, Cabin::Economy, "12A", 105000)], 500000, 900000));
        assert_eq!(invoice.discount.as_ref().map(|d| d.amount), Some(105000));
        assert_eq!((invoice.invoice_total, invoice.total_tax), (0, 0));
        assert_eq!(invoice.cashback, None);
        assert_eq!(invoice.net_amount_after_cashback, 0);
        assert_eq!(invoice.amount_in_words, "Rupees Zero Only");
    }

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

    #[test]
    fn airport_table_is_well_formed() {
        let mut codes: Vec<&str> = INDIAN_AIRPORTS.iter().map(|(code, _, _)| *code).collect();
        let count = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), count, "duplicate IATA code");
        for (code, state_code, _) in INDIAN_AIRPORTS {
            assert!(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()));
            let n: u32 = state_code.parse().unwrap();
            assert!(state_code.len() == 2 && (1..=38).contains(&n));
        }
        for (iata, expected) in [
            ("DEL", ("07", "Delhi")),
            ("bom", ("27", "Maharashtra")),
            ("BLR", ("29", "Karnataka")),
            ("HYD", ("36", "Telangana")),
            ("IXC", ("04", "Chandigarh")),
            ("VTZ", ("37", "Andhra Pradesh")),
            ("ATQ", ("03", "Punjab")),
            ("DED", ("05", "Uttarakhand")),
        ] {
            assert_eq!(airport_state(iata), Some(expected));
        }
        assert_eq!(airport_state("SIN"), None);
    }

    #[test]
    fn invoice_date_is_the_date_in_india() {
        let mut request = input(vec![], 0, 0);
        request.issued_at = Utc.with_ymd_and_hms(2025, 3, 14, 20, 0, 0).unwrap();
        assert_eq!(compute_invoice(request).invoice_date, date(2025, 3, 15));
    }

    #[test]
    fn json_uses_camel_case_and_round_trips() {
        let invoice =
            compute_invoice(input(vec![line("Asha Verma", DEL_BOM, Cabin::Economy, "12A", 250000)], 0, 10000));
        let json = serde_json::to_value(&invoice).unwrap();
        for key in [
            "invoiceNumber",
            "invoiceDate",
            "placeOfSupply",
            "taxableValue",
            "totalTax",
            "invoiceTotal",
            "amountInWords",
            "netAmountAfterCashback",
        ] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        assert_eq!(json["seller"]["gstin"], "07AAFCF1234M1Z5");
        assert_eq!(json["lines"][0]["gstTreatment"], "INTRA_STATE");
        assert_eq!(json["lines"][0]["cabin"], "ECONOMY");
        assert_eq!(json["lines"][0]["placeOfSupply"]["stateCode"], "07");
        assert_eq!(json["cashback"]["amount"], 10000);
        let back: Invoice = serde_json::from_value(json).unwrap();
        assert_eq!(back, invoice);
    }

    #[test]
    fn amounts_print_with_the_currency_code_and_indian_grouping() {
        assert_eq!(with_code(490000, "INR"), "INR 4,900.00");
        assert_eq!(with_code(12345678990, "INR"), "INR 12,34,56,789.90");
        assert_eq!(grouped(-7692, "INR"), "-76.92");
        assert_eq!(win_ansi("José (₹)"), b"Jos\xe9 (?)".to_vec());
        assert_eq!(fit("Abcdefghijklmnopqrstuvwxyz", CELL, 40.0), "Abcdefghi...");
    }

    fn pdf_text(pdf: &[u8]) -> String {
        assert!(pdf.starts_with(b"%PDF-"));
        pdf_extract::extract_text_from_mem(pdf).expect("extractable text")
    }

    #[test]
    fn pdf_shows_the_invoice() {
        let mut request = input(
            vec![
                line("Asha Verma", DEL_BOM, Cabin::Economy, "12A", 250000),
                line("Ravi Verma", DEL_BOM, Cabin::Economy, "12B", 250000),
            ],
            0,
            10000,
        );
        request.lines[0].ticket_number = "0981234567890".to_string();
        let invoice = compute_invoice(request);
        let text = pdf_text(&render_pdf(&invoice));
        for expected in [
            "TAX INVOICE",
            "FB/2024-25/000123",
            "07AAFCF1234M1Z5",
            "X7K2QP",
            "0981234567890",
            "INR 5,000.00",
            "Rupees Five Thousand Only",
            "Cashback credited to original payment method",
            "INR 4,900.00",
            "Delhi (07)",
            "14 Mar 2025",
            "This is a computer-generated invoice.",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
    }

    #[test]
    fn pdf_with_discount_and_mixed_places_of_supply() {
        let mut request = input(
            vec![
                line("Asha Verma", DEL_BOM, Cabin::Economy, "12A", 250000),
                line("Asha Verma", BOM_DEL, Cabin::PremiumEconomy, "8C", 400000),
                line("Asha Verma", SIN_DEL, Cabin::First, "1A", 2500000),
            ],
            20000,
            0,
        );
        request.discount_code = Some("SAVE200".to_string());
        let invoice = compute_invoice(request);
        let text = pdf_text(&render_pdf(&invoice));
        for expected in [
            "Less: Discount (SAVE200)",
            "- INR 200.00",
            "Outside the scope of GST",
            "Place of supply: Maharashtra (27)",
            &with_code(invoice.invoice_total, "INR"),
        ] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
        assert!(!text.contains("Cashback"));
    }

    #[test]
    fn many_lines_flow_onto_more_pages() {
        let lines: Vec<InvoiceLineInput> = (0..60)
            .map(|i| {
                let mut l = line("Passenger", DEL_BOM, Cabin::Economy, "1A", 250000 + i);
                l.ticket_number = format!("0989{i:09}");
                l
            })
            .collect();
        let invoice = compute_invoice(input(lines, 0, 0));
        let pdf = render_pdf(&invoice);
        let pages = pdf_extract::extract_text_from_mem_by_pages(&pdf).unwrap();
        assert!(pages.len() >= 3, "{} pages", pages.len());
        for (n, page) in pages.iter().enumerate() {
            assert!(page.contains("This is a computer-generated invoice."));
            assert!(page.contains(&format!("Page {} of {}", n + 1, pages.len())));
        }
        let all = pages.concat();
        for i in 0..60 {
            assert!(all.contains(&format!("0989{i:09}")), "ticket {i} missing");
        }
        assert!(all.contains(&with_code(invoice.invoice_total, "INR")));
    }
}
