//! GST credit notes: what a refund of a paid booking takes back from its issued invoice.
//!
//! An issued invoice never changes; money going back to the buyer after it (a cancellation
//! refund, a cashback) is a credit note against it, with its own number. The credited amount is
//! spread over the invoice's lines in proportion to what each line still carries (largest
//! remainder, so the parts add up to the amount), and each part is split into taxable value and
//! GST at its line's rate, as the invoice does. A line credited in full gets back exactly the
//! invoice line's taxable value and taxes less what earlier notes took, so an invoice credited
//! in full (in one note or several) nets to zero to the paisa.
//!
//! Amounts on a credit note are positive: the document's type is what makes them a reduction.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{amount_in_words, gst, Buyer, DebitNote, Invoice, InvoiceLine, Seller};

/// Why the money went back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CreditReason {
    /// The paid booking was cancelled and refunded.
    Cancellation,
    /// A discount code applied after payment, paid back to the buyer.
    Cashback,
    /// A voluntary change to cheaper flights: the difference less the penalty.
    Change,
}

impl CreditReason {
    /// As stored and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            CreditReason::Cancellation => "CANCELLATION",
            CreditReason::Cashback => "CASHBACK",
            CreditReason::Change => "CHANGE",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            CreditReason::Cancellation => "Refund on cancellation of the booking",
            CreditReason::Cashback => "Cashback credited to original payment method",
            CreditReason::Change => "Fare difference refunded on a change of flights",
        }
    }
}

/// A computed credit note, as stored (jsonb) and served by the API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditNote {
    pub credit_note_number: String,
    pub issued_at: DateTime<Utc>,
    /// The issue time's date in India (IST), as on the invoice.
    pub credit_note_date: NaiveDate,
    /// The invoice this note reduces.
    pub invoice_number: String,
    pub invoice_date: NaiveDate,
    pub pnr: String,
    pub currency: String,
    pub seller: Seller,
    pub buyer: Buyer,
    pub place_of_supply: String,
    pub reason: CreditReason,
    pub description: String,
    /// One per invoice line, in the invoice's order: the line's particulars with the part of it
    /// credited here (`fare` = `total` = the credited amount, `discount` 0).
    pub lines: Vec<InvoiceLine>,
    pub taxable_value: i64,
    pub cgst: i64,
    pub sgst: i64,
    pub igst: i64,
    pub total_tax: i64,
    /// What goes back to the buyer: `taxable_value + total_tax`.
    pub credit_total: i64,
    pub amount_in_words: String,
}

/// The credit note for `amount` going back against `invoice`, after the `earlier` notes against
/// it. The amount is capped at what the invoice still carries; the number is the caller's (the
/// series hands it out last, just before the commit).
pub fn compute_credit_note(
    invoice: &Invoice,
    earlier: &[CreditNote],
    debits: &[DebitNote],
    amount: i64,
    reason: CreditReason,
    issued_at: DateTime<Utc>,
) -> CreditNote {
    // What earlier notes took from a line, net of what debit notes added to it.
    let credited = |index: usize, part: fn(&InvoiceLine) -> i64| -> i64 {
        earlier.iter().filter_map(|note| note.lines.get(index)).map(part).sum::<i64>()
            - debits.iter().filter_map(|note| note.lines.get(index)).map(part).sum::<i64>()
    };
    let remaining: Vec<i64> =
        invoice.lines.iter().enumerate().map(|(i, line)| (line.total - credited(i, |l| l.total)).max(0)).collect();
    let amount = amount.clamp(0, remaining.iter().sum());
    let shares = gst::apportion(amount, &remaining);

    let lines: Vec<InvoiceLine> = invoice
        .lines
        .iter()
        .enumerate()
        .zip(shares.iter().zip(&remaining))
        .map(|((index, line), (share, left))| {
            let part = if share == left {
                // What is left of the line, to the paisa: rounding each note on its own could
                // leave a paisa of tax uncredited (or credit one too many).
                LinePart {
                    total: *share,
                    taxable_value: line.taxable_value - credited(index, |l| l.taxable_value),
                    cgst: line.cgst - credited(index, |l| l.cgst),
                    sgst: line.sgst - credited(index, |l| l.sgst),
                    igst: line.igst - credited(index, |l| l.igst),
                }
            } else {
                LinePart::at_rate_of(line, *share)
            };
            part.on(line)
        })
        .collect();

    let sum = |part: fn(&InvoiceLine) -> i64| lines.iter().map(part).sum::<i64>();
    CreditNote {
        credit_note_number: String::new(),
        issued_at,
        credit_note_date: issued_at.with_timezone(&chrono_tz::Asia::Kolkata).date_naive(),
        invoice_number: invoice.invoice_number.clone(),
        invoice_date: invoice.invoice_date,
        pnr: invoice.pnr.clone(),
        currency: invoice.currency.clone(),
        seller: invoice.seller.clone(),
        buyer: invoice.buyer.clone(),
        place_of_supply: invoice.place_of_supply.clone(),
        reason,
        description: reason.description().to_string(),
        taxable_value: sum(|l| l.taxable_value),
        cgst: sum(|l| l.cgst),
        sgst: sum(|l| l.sgst),
        igst: sum(|l| l.igst),
        total_tax: sum(|l| l.total_tax),
        credit_total: amount,
        amount_in_words: amount_in_words(amount, &invoice.currency),
        lines,
    }
}

/// A note's part of one invoice line: what it credits or adds there, split into taxable value
/// and GST. Credit and debit notes build their lines alike from it.
pub(super) struct LinePart {
    pub total: i64,
    pub taxable_value: i64,
    pub cgst: i64,
    pub sgst: i64,
    pub igst: i64,
}

impl LinePart {
    /// `total` split at the line's rate and treatment, as the invoice splits a fare.
    pub fn at_rate_of(line: &InvoiceLine, total: i64) -> Self {
        let taxable_value = gst::taxable_value(total, line.gst_rate_percent);
        let (cgst, sgst, igst) = gst::split_tax(total - taxable_value, line.gst_treatment);
        LinePart { total, taxable_value, cgst, sgst, igst }
    }

    /// The invoice line's particulars carrying this part as its fare and total; no discount,
    /// as the part is already what changes hands.
    pub fn on(self, line: &InvoiceLine) -> InvoiceLine {
        let LinePart { total, taxable_value, cgst, sgst, igst } = self;
        InvoiceLine {
            fare: total,
            discount: 0,
            taxable_value,
            cgst,
            sgst,
            igst,
            total_tax: cgst + sgst + igst,
            total,
            ..line.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::sample_inputs::{input, line, BOM_DEL, DEL_BOM, SIN_DEL};
    use super::super::{compute_invoice, GstTreatment};
    use super::*;
    use crate::domain::seating::Cabin;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 16, 20, 0, 0).unwrap()
    }

    fn mixed_invoice() -> Invoice {
        let mut request = input(
            vec![
                line("Asha Verma", DEL_BOM, Cabin::Economy, "12A", 250000),
                line("Ravi Verma", BOM_DEL, Cabin::Business, "2A", 400000),
                line("Ravi Verma", SIN_DEL, Cabin::Economy, "30C", 150000),
            ],
            20000,
            0,
        );
        request.discount_code = Some("SAVE200".to_string());
        compute_invoice(request)
    }

    fn assert_adds_up(note: &CreditNote) {
        for l in &note.lines {
            assert_eq!(l.taxable_value + l.total_tax, l.total, "{l:?}");
            assert_eq!(l.cgst + l.sgst + l.igst, l.total_tax);
            assert_eq!(l.fare, l.total);
        }
        assert_eq!(note.taxable_value + note.total_tax, note.credit_total);
        assert_eq!(note.lines.iter().map(|l| l.total).sum::<i64>(), note.credit_total);
    }

    #[test]
    fn a_full_refund_mirrors_the_invoice_line_by_line() {
        let invoice = mixed_invoice();
        let note = compute_credit_note(&invoice, &[], &[], invoice.invoice_total, CreditReason::Cancellation, at());
        assert_eq!(note.credit_total, invoice.invoice_total);
        for (credited, invoiced) in note.lines.iter().zip(&invoice.lines) {
            let figures = |l: &InvoiceLine| (l.taxable_value, l.cgst, l.sgst, l.igst, l.total_tax, l.total);
            assert_eq!(figures(credited), figures(invoiced));
            assert_eq!(
                (&credited.ticket_number, credited.gst_treatment),
                (&invoiced.ticket_number, invoiced.gst_treatment)
            );
        }
        assert_eq!((note.taxable_value, note.total_tax), (invoice.taxable_value, invoice.total_tax));
        assert_eq!((note.cgst, note.sgst, note.igst), (invoice.cgst, invoice.sgst, invoice.igst));
        assert_eq!(note.invoice_number, invoice.invoice_number);
        assert_eq!(note.credit_note_date, NaiveDate::from_ymd_opt(2025, 3, 17).unwrap(), "the date in India");
        assert_eq!(note.amount_in_words, invoice.amount_in_words);
        assert_adds_up(&note);
    }

    #[test]
    fn a_partial_amount_is_apportioned_over_the_lines_in_proportion() {
        let invoice = compute_invoice(input(
            vec![
                line("Asha Verma", DEL_BOM, Cabin::Economy, "12A", 250000),
                line("Ravi Verma", BOM_DEL, Cabin::Business, "2A", 750000),
            ],
            0,
            0,
        ));
        let note = compute_credit_note(&invoice, &[], &[], 10001, CreditReason::Cashback, at());
        let shares: Vec<i64> = note.lines.iter().map(|l| l.total).collect();
        // 10001 × 1/4 = 2500.25, × 3/4 = 7500.75: the spare paisa goes to the larger remainder.
        assert_eq!(shares, vec![2500, 7501]);
        let first = &note.lines[0];
        // 2500 inclusive of 5 %: taxable round(2500 × 100/105) = 2381, tax 119 halved down for CGST.
        assert_eq!((first.taxable_value, first.cgst, first.sgst, first.igst), (2381, 59, 60, 0));
        let second = &note.lines[1];
        // 7501 inclusive of 12 % IGST: taxable round(6697.32) = 6697.
        assert_eq!((second.taxable_value, second.igst, second.gst_treatment), (6697, 804, GstTreatment::InterState));
        assert!(note.amount_in_words.starts_with("Rupees One Hundred"), "{}", note.amount_in_words);
        assert_adds_up(&note);
    }

    #[test]
    fn cashback_then_cancellation_credits_the_invoice_exactly_once() {
        let invoice = mixed_invoice();
        let cashback = compute_credit_note(&invoice, &[], &[], 10000, CreditReason::Cashback, at());
        let rest = invoice.invoice_total - cashback.credit_total;
        let cancellation =
            compute_credit_note(&invoice, std::slice::from_ref(&cashback), &[], rest, CreditReason::Cancellation, at());
        assert_eq!(cancellation.credit_total, rest);
        let both = [&cashback, &cancellation];
        let total = |part: fn(&CreditNote) -> i64| both.iter().map(|n| part(n)).sum::<i64>();
        assert_eq!(total(|n| n.taxable_value), invoice.taxable_value);
        assert_eq!(total(|n| n.cgst), invoice.cgst);
        assert_eq!(total(|n| n.sgst), invoice.sgst);
        assert_eq!(total(|n| n.igst), invoice.igst);
        assert_eq!(total(|n| n.credit_total), invoice.invoice_total);
        for (i, line) in invoice.lines.iter().enumerate() {
            assert_eq!(cashback.lines[i].total + cancellation.lines[i].total, line.total);
        }
        assert_adds_up(&cashback);
        assert_adds_up(&cancellation);
    }

    #[test]
    fn never_more_than_the_invoice_still_carries_nor_less_than_nothing() {
        let invoice = mixed_invoice();
        let first =
            compute_credit_note(&invoice, &[], &[], invoice.invoice_total + 5, CreditReason::Cancellation, at());
        assert_eq!(first.credit_total, invoice.invoice_total);
        let second = compute_credit_note(&invoice, &[first], &[], 100, CreditReason::Cashback, at());
        assert_eq!((second.credit_total, second.total_tax), (0, 0));
        let negative = compute_credit_note(&invoice, &[], &[], -100, CreditReason::Cashback, at());
        assert_eq!(negative.credit_total, 0);
        assert!(negative.lines.iter().all(|l| l.total == 0));
    }

    #[test]
    fn json_round_trips_with_the_reference_to_the_invoice() {
        let invoice = mixed_invoice();
        let mut note = compute_credit_note(&invoice, &[], &[], 5000, CreditReason::Cashback, at());
        note.credit_note_number = "CN/2025/000001".to_string();
        let json = serde_json::to_value(&note).unwrap();
        assert_eq!(json["creditNoteNumber"], "CN/2025/000001");
        assert_eq!(json["invoiceNumber"], invoice.invoice_number);
        assert_eq!(json["reason"], "CASHBACK");
        assert_eq!(json["creditTotal"], 5000);
        let back: CreditNote = serde_json::from_value(json).unwrap();
        assert_eq!(back, note);
    }
}
