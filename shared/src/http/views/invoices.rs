//! GST invoices, credit notes and debit notes on the wire (`tickets-invoice`, the
//! `document` of `bookings-documents`): the document as it was stored at
//! issue, field for field and in its order, with a money object beside each
//! of its integer amounts — `invoiceTotal` and `invoiceTotalMoney`, a line's
//! `fare` and `fareMoney`. The integers stay because the original
//! walkthrough reads them (`invoiceTotal`, `taxableValue + totalTax`,
//! `cashback.amount`). The discount and cashback lines, already `{…,
//! amount}`, gain `currency` and `formatted` and so are money objects
//! themselves.
//!
//! The money objects are worked out from the stored figures and currency on
//! every read, never stored: a document issued before they existed reads
//! the same as a new one, the same document renders the same bytes every
//! time, and the PDF (drawn from the domain type) does not change.

use crate::domain::invoice::{Buyer, CashbackLine, DiscountLine, Invoice, InvoiceLine, Seller};
use crate::domain::invoice::{CreditReason, GstNote, GstTreatment, NoteKind, PlaceOfSupply};
use crate::domain::money::Money;
use crate::domain::seat_charges::SeatProduct;
use crate::domain::seating::Cabin;
use crate::domain::travellers::PassengerType;
use chrono::{DateTime, NaiveDate, Utc};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceBody<'a> {
    pub invoice_number: &'a str,
    pub issued_at: DateTime<Utc>,
    pub invoice_date: NaiveDate,
    pub pnr: &'a str,
    pub currency: &'a str,
    pub seller: &'a Seller,
    pub buyer: &'a Buyer,
    pub place_of_supply: &'a str,
    pub lines: Vec<InvoiceLineBody<'a>>,
    pub fare_total: i64,
    pub fare_total_money: Money,
    pub discount: Option<DiscountLineBody<'a>>,
    #[serde(flatten)]
    pub tax: TaxBody,
    pub invoice_total: i64,
    pub invoice_total_money: Money,
    pub amount_in_words: &'a str,
    pub cashback: Option<CashbackLineBody<'a>>,
    pub net_amount_after_cashback: i64,
    pub net_amount_after_cashback_money: Money,
}

/// A credit or a debit note on the wire, one body for both: the stored note
/// field for field and in its order, with money beside each amount. Only the
/// names of its number, date and total depend on the kind (`creditNoteNumber`,
/// `debitTotal`, …), and only a credit note has a `reason`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteBody<'a> {
    #[serde(flatten)]
    pub number: Named<&'a str>,
    pub issued_at: DateTime<Utc>,
    #[serde(flatten)]
    pub date: Named<NaiveDate>,
    pub invoice_number: &'a str,
    pub invoice_date: NaiveDate,
    pub pnr: &'a str,
    pub currency: &'a str,
    pub seller: &'a Seller,
    pub buyer: &'a Buyer,
    pub place_of_supply: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<CreditReason>,
    pub description: &'a str,
    pub lines: Vec<InvoiceLineBody<'a>>,
    #[serde(flatten)]
    pub tax: TaxBody,
    #[serde(flatten)]
    pub total: Named<i64>,
    #[serde(flatten)]
    pub total_money: Named<Money>,
    pub amount_in_words: &'a str,
}

/// What a note kind calls its own members, as its stored document does.
struct NoteMemberNames {
    number: &'static str,
    date: &'static str,
    total: &'static str,
    total_money: &'static str,
}

const CREDIT_NOTE_NAMES: NoteMemberNames = NoteMemberNames {
    number: "creditNoteNumber",
    date: "creditNoteDate",
    total: "creditTotal",
    total_money: "creditTotalMoney",
};

const DEBIT_NOTE_NAMES: NoteMemberNames = NoteMemberNames {
    number: "debitNoteNumber",
    date: "debitNoteDate",
    total: "debitTotal",
    total_money: "debitTotalMoney",
};

/// One member whose name is known only at run time (a note kind's), flattened
/// into its body where a derived field would have a fixed name.
#[derive(Debug)]
pub struct Named<T> {
    pub name: &'static str,
    pub value: T,
}

impl<T: Serialize> Serialize for Named<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut member = serializer.serialize_map(Some(1))?;
        member.serialize_entry(self.name, &self.value)?;
        member.end()
    }
}

/// A document's taxable value and taxes, each beside its money object; the
/// same five figures on an invoice, a note and each of their lines.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxBody {
    pub taxable_value: i64,
    pub taxable_value_money: Money,
    pub cgst: i64,
    pub cgst_money: Money,
    pub sgst: i64,
    pub sgst_money: Money,
    pub igst: i64,
    pub igst_money: Money,
    pub total_tax: i64,
    pub total_tax_money: Money,
}

impl TaxBody {
    fn new(figures: [i64; 5], currency: &str) -> Self {
        let [taxable_value, cgst, sgst, igst, total_tax] = figures;
        let money = |amount| Money::new(amount, currency);
        TaxBody {
            taxable_value,
            taxable_value_money: money(taxable_value),
            cgst,
            cgst_money: money(cgst),
            sgst,
            sgst_money: money(sgst),
            igst,
            igst_money: money(igst),
            total_tax,
            total_tax_money: money(total_tax),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLineBody<'a> {
    pub passenger: &'a str,
    pub passenger_type: PassengerType,
    pub flight_number: &'a str,
    pub origin: &'a str,
    pub destination: &'a str,
    pub departure_date: NaiveDate,
    pub cabin: Cabin,
    pub seat: &'a str,
    pub ticket_number: &'a str,
    /// On the line of a chosen seat's charge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seat_product: Option<SeatProduct>,
    pub sac: &'a str,
    pub place_of_supply: &'a PlaceOfSupply,
    pub gst_treatment: GstTreatment,
    pub gst_rate_percent: u32,
    pub fare: i64,
    pub fare_money: Money,
    pub discount: i64,
    pub discount_money: Money,
    #[serde(flatten)]
    pub tax: TaxBody,
    pub total: i64,
    pub total_money: Money,
    pub note: Option<&'a str>,
}

/// The invoice's discount: its code and description, and the amount as money.
#[derive(Debug, Serialize)]
pub struct DiscountLineBody<'a> {
    pub code: Option<&'a str>,
    pub description: &'a str,
    #[serde(flatten)]
    pub amount: Money,
}

/// The cashback shown on an invoice (and its summary): a description and the amount as money.
#[derive(Debug, Serialize)]
pub struct CashbackLineBody<'a> {
    pub description: &'a str,
    #[serde(flatten)]
    pub amount: Money,
}

impl<'a> CashbackLineBody<'a> {
    pub fn new(line: &'a CashbackLine, currency: &str) -> Self {
        CashbackLineBody { description: &line.description, amount: Money::new(line.amount, currency) }
    }
}

impl<'a> InvoiceLineBody<'a> {
    fn new(line: &'a InvoiceLine, currency: &str) -> Self {
        let money = |amount| Money::new(amount, currency);
        InvoiceLineBody {
            passenger: &line.passenger,
            passenger_type: line.passenger_type,
            flight_number: &line.flight_number,
            origin: &line.origin,
            destination: &line.destination,
            departure_date: line.departure_date,
            cabin: line.cabin,
            seat: &line.seat,
            ticket_number: &line.ticket_number,
            seat_product: line.seat_product,
            sac: &line.sac,
            place_of_supply: &line.place_of_supply,
            gst_treatment: line.gst_treatment,
            gst_rate_percent: line.gst_rate_percent,
            fare: line.fare,
            fare_money: money(line.fare),
            discount: line.discount,
            discount_money: money(line.discount),
            tax: TaxBody::new([line.taxable_value, line.cgst, line.sgst, line.igst, line.total_tax], currency),
            total: line.total,
            total_money: money(line.total),
            note: line.note.as_deref(),
        }
    }
}

impl<'a> From<&'a Invoice> for InvoiceBody<'a> {
    fn from(i: &'a Invoice) -> Self {
        let currency = i.currency.as_str();
        let money = |amount| Money::new(amount, currency);
        InvoiceBody {
            invoice_number: &i.invoice_number,
            issued_at: i.issued_at,
            invoice_date: i.invoice_date,
            pnr: &i.pnr,
            currency,
            seller: &i.seller,
            buyer: &i.buyer,
            place_of_supply: &i.place_of_supply,
            lines: i.lines.iter().map(|line| InvoiceLineBody::new(line, currency)).collect(),
            fare_total: i.fare_total,
            fare_total_money: money(i.fare_total),
            discount: i.discount.as_ref().map(|d: &'a DiscountLine| DiscountLineBody {
                code: d.code.as_deref(),
                description: &d.description,
                amount: money(d.amount),
            }),
            tax: TaxBody::new([i.taxable_value, i.cgst, i.sgst, i.igst, i.total_tax], currency),
            invoice_total: i.invoice_total,
            invoice_total_money: money(i.invoice_total),
            amount_in_words: &i.amount_in_words,
            cashback: i.cashback.as_ref().map(|c| CashbackLineBody::new(c, currency)),
            net_amount_after_cashback: i.net_amount_after_cashback,
            net_amount_after_cashback_money: money(i.net_amount_after_cashback),
        }
    }
}

impl<'a> NoteBody<'a> {
    pub fn new(note: GstNote<'a>) -> Self {
        let names = match note.kind {
            NoteKind::Credit => &CREDIT_NOTE_NAMES,
            NoteKind::Debit => &DEBIT_NOTE_NAMES,
        };
        let currency = note.currency;
        NoteBody {
            number: Named { name: names.number, value: note.number },
            issued_at: note.issued_at,
            date: Named { name: names.date, value: note.date },
            invoice_number: note.invoice_number,
            invoice_date: note.invoice_date,
            pnr: note.pnr,
            currency,
            seller: note.seller,
            buyer: note.buyer,
            place_of_supply: note.place_of_supply,
            reason: note.reason,
            description: note.description,
            lines: note.lines.iter().map(|line| InvoiceLineBody::new(line, currency)).collect(),
            tax: TaxBody::new([note.taxable_value, note.cgst, note.sgst, note.igst, note.total_tax], currency),
            total: Named { name: names.total, value: note.total },
            total_money: Named { name: names.total_money, value: Money::new(note.total, currency) },
            amount_in_words: note.amount_in_words,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invoice::{compute_credit_note, compute_debit_note, compute_invoice};
    use crate::domain::invoice::{InvoiceInput, InvoiceLineInput};
    use chrono::TimeZone;
    use serde_json::{Map, Value};

    fn invoice(cashback: i64) -> Invoice {
        let line = |passenger: &str, origin: &str, country: &str, cabin, fare| InvoiceLineInput {
            passenger: passenger.into(),
            passenger_type: PassengerType::Adult,
            flight_number: "XY 1".into(),
            origin: origin.into(),
            origin_country: country.into(),
            destination: "BOM".into(),
            departure_date: NaiveDate::from_ymd_opt(2026, 3, 20).unwrap(),
            cabin,
            seat: "1A".into(),
            ticket_number: "0981234567890".into(),
            fare,
            seat_product: None,
        };
        compute_invoice(InvoiceInput {
            invoice_number: "FB/2026/000007".into(),
            issued_at: Utc.with_ymd_and_hms(2026, 3, 14, 10, 0, 0).unwrap(),
            pnr: "ABC234".into(),
            buyer_name: "A Buyer".into(),
            buyer_email: "buyer@example.com".into(),
            currency: "INR".into(),
            lines: vec![
                line("RAO/ASHA", "DEL", "IN", Cabin::Economy, 250000),
                line("RAO/ARJUN", "SIN", "SG", Cabin::Business, 1234567),
            ],
            discount: 10000,
            cashback,
            discount_code: Some("FLY100".into()),
        })
    }

    /// Every member of the stored document is in the body with the same
    /// value and in the same order; what the body adds is a `…Money` beside
    /// an integer, or `currency` and `formatted` beside an `amount`, agreeing
    /// with it. Checked recursively, so a field added to the domain type but
    /// forgotten here fails.
    fn assert_stored_plus_money(stored: &Value, body: &Value, currency: &str, at: &str) {
        match (stored, body) {
            (Value::Object(stored), Value::Object(body)) => {
                let body_keys: Vec<&String> = body.keys().filter(|k| stored.contains_key(*k)).collect();
                let stored_keys: Vec<&String> = stored.keys().collect();
                assert_eq!(body_keys, stored_keys, "{at}: the stored members in their order");
                for (key, value) in stored {
                    assert_stored_plus_money(value, &body[key], currency, &format!("{at}.{key}"));
                }
                for (key, added) in body.iter().filter(|(k, _)| !stored.contains_key(*k)) {
                    let integer = match key.strip_suffix("Money") {
                        Some(of) => &stored[of],
                        None => {
                            assert!(["currency", "formatted"].contains(&key.as_str()), "{at}: {key} added");
                            continue;
                        }
                    };
                    assert_money(added, integer, currency, &format!("{at}.{key}"));
                }
                if stored.contains_key("amount") && !stored.contains_key("currency") {
                    let object: Map<String, Value> = body.clone();
                    assert_money(&Value::Object(object), &stored["amount"], currency, at);
                }
            }
            (Value::Array(stored), Value::Array(body)) => {
                assert_eq!(stored.len(), body.len(), "{at}");
                for (i, (s, b)) in stored.iter().zip(body).enumerate() {
                    assert_stored_plus_money(s, b, currency, &format!("{at}[{i}]"));
                }
            }
            _ => assert_eq!(stored, body, "{at}"),
        }
    }

    fn assert_money(money: &Value, integer: &Value, currency: &str, at: &str) {
        let amount = integer.as_i64().unwrap_or_else(|| panic!("{at}: beside an integer"));
        assert_eq!(money["amount"], amount, "{at}");
        assert_eq!(money["currency"], currency, "{at}");
        assert_eq!(money["formatted"], Money::new(amount, currency).formatted(), "{at}");
    }

    #[test]
    fn an_invoice_is_served_as_stored_with_money_beside_every_amount() {
        for cashback in [0, 5000] {
            let invoice = invoice(cashback);
            let stored = serde_json::to_value(&invoice).unwrap();
            let body = serde_json::to_value(InvoiceBody::from(&invoice)).unwrap();
            assert_stored_plus_money(&stored, &body, "INR", "invoice");
            assert_eq!(body["invoiceTotalMoney"]["formatted"], "₹14,745.67");
            assert_eq!(body["discount"]["formatted"], "₹100.00");
            assert_eq!(body["lines"][1]["igstMoney"]["amount"], 0, "outside the scope of GST");
        }
    }

    #[test]
    fn a_credit_note_is_served_as_stored_with_money_beside_every_amount() {
        let invoice = invoice(0);
        let issued_at = Utc.with_ymd_and_hms(2026, 3, 15, 10, 0, 0).unwrap();
        let note = compute_credit_note(&invoice, &[], &[], 300000, CreditReason::Cancellation, issued_at);
        let stored = serde_json::to_value(&note).unwrap();
        let body = serde_json::to_value(NoteBody::new((&note).into())).unwrap();
        assert_stored_plus_money(&stored, &body, "INR", "creditNote");
        assert_eq!(body["creditTotalMoney"]["amount"], 300000);
    }

    #[test]
    fn a_debit_note_is_served_as_stored_with_money_beside_every_amount() {
        let invoice = invoice(0);
        let issued_at = Utc.with_ymd_and_hms(2026, 3, 15, 10, 0, 0).unwrap();
        let note = compute_debit_note(&invoice, &[false, true], 350_001, "Change of flights".into(), issued_at);
        let stored = serde_json::to_value(&note).unwrap();
        let body = serde_json::to_value(NoteBody::new((&note).into())).unwrap();
        assert_stored_plus_money(&stored, &body, "INR", "debitNote");
        assert_eq!(body["debitTotalMoney"]["amount"], 350_001);
        assert!(body.get("reason").is_none(), "a debit note has no reason");
    }

    #[test]
    fn a_document_stored_before_passenger_types_still_reads_and_renders() {
        let mut stored = serde_json::to_value(invoice(0)).unwrap();
        for line in stored["lines"].as_array_mut().unwrap() {
            line.as_object_mut().unwrap().remove("passengerType");
        }
        let old: Invoice = serde_json::from_value(stored).unwrap();
        let once = serde_json::to_string(&InvoiceBody::from(&old)).unwrap();
        assert_eq!(once, serde_json::to_string(&InvoiceBody::from(&old)).unwrap(), "the same bytes every time");
        assert!(once.contains(r#""passengerType":"adult""#));
    }
}
