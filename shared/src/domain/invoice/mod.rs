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
//! - A cashback granted after payment but before the invoice is issued does not change the
//!   taxable supply: it is shown below the total for information only, with the net amount
//!   after it. Once issued, an invoice never changes: money going back after that (a cashback,
//!   a cancellation refund) is a credit note against it ([`compute_credit_note`]).
//! - Negative amounts in the input count as zero; a discount is capped at the sum of the fares
//!   and a cashback at the invoice total.

mod credit_note;
mod debit_note;
mod document;
mod gst;
mod pdf;
#[cfg(test)]
mod sample_inputs;
mod words;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::seat_charges::SeatProduct;
use super::seating::Cabin;
use super::travellers::PassengerType;

pub use credit_note::{compute_credit_note, CreditNote, CreditReason};
pub use debit_note::{compute_debit_note, DebitNote};
pub use document::{GstDocument, GstNote, NoteKind};
pub use gst::{airport_state, gst_included, gst_rate_percent, INDIAN_AIRPORTS};
pub use pdf::{render_credit_note_pdf, render_debit_note_pdf, render_pdf};
pub use words::amount_in_words;

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

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceLineInput {
    pub passenger: String,
    pub passenger_type: PassengerType,
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
    /// A seat's charge (`fare` is the charge), not a flight's fare.
    pub seat_product: Option<SeatProduct>,
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
    /// Invoices issued before passenger types read as adults.
    #[serde(default)]
    pub passenger_type: PassengerType,
    pub flight_number: String,
    pub origin: String,
    pub destination: String,
    pub departure_date: NaiveDate,
    pub cabin: Cabin,
    pub seat: String,
    pub ticket_number: String,
    /// A line for the charge of a chosen seat; fare lines (and every line
    /// issued before paid seats) have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_product: Option<SeatProduct>,
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
    let shares = gst::apportion(discount, &fares);
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
    let (place_of_supply, treatment) = gst::place_of_supply(&input.origin, &input.origin_country);
    let rate = gst::applicable_rate_percent(treatment, input.cabin);
    let total = fare - discount;
    let taxable_value = gst::taxable_value(total, rate);
    let tax = total - taxable_value;
    let (cgst, sgst, igst) = gst::split_tax(tax, treatment);
    InvoiceLine {
        passenger: input.passenger,
        passenger_type: input.passenger_type,
        flight_number: input.flight_number,
        origin: input.origin.trim().to_ascii_uppercase(),
        destination: input.destination.trim().to_ascii_uppercase(),
        departure_date: input.departure_date,
        cabin: input.cabin,
        seat: input.seat,
        ticket_number: input.ticket_number,
        seat_product: input.seat_product,
        sac: SAC_PASSENGER_AIR_TRANSPORT.to_string(),
        place_of_supply,
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

#[cfg(test)]
mod tests {
    use super::sample_inputs::{date, input, line, BOM_DEL, DEL_BOM, SIN_DEL};
    use super::*;
    use chrono::TimeZone;

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
}
