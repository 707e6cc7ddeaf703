//! GST debit notes: what a voluntary change of a paid booking adds to its
//! issued invoice (the fare difference and the change penalty).
//!
//! Like a credit note, a debit note has one line per invoice line, in the
//! invoice's order, so what a line carries is always the invoice's line
//! plus its debits less its credits: a later refund can credit what a
//! change added. The amount is spread over the lines of the changed slice
//! in proportion to their totals and split into taxable value and GST at
//! each line's rate and treatment; the other lines carry zero.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::credit_note::LinePart;
use super::{amount_in_words, gst, Buyer, Invoice, InvoiceLine, Seller};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DebitNote {
    pub debit_note_number: String,
    pub issued_at: DateTime<Utc>,
    pub debit_note_date: NaiveDate,
    /// The invoice this note adds to.
    pub invoice_number: String,
    pub invoice_date: NaiveDate,
    pub pnr: String,
    pub currency: String,
    pub seller: Seller,
    pub buyer: Buyer,
    pub place_of_supply: String,
    pub description: String,
    /// One per invoice line, in the invoice's order (`total` = the part
    /// added to that line; zero for lines the change did not touch).
    pub lines: Vec<InvoiceLine>,
    pub taxable_value: i64,
    pub cgst: i64,
    pub sgst: i64,
    pub igst: i64,
    pub total_tax: i64,
    /// What the buyer pays: `taxable_value + total_tax`.
    pub debit_total: i64,
    pub amount_in_words: String,
}

/// The debit note for `amount` added to the invoice lines `changed[i]`
/// says were changed (all of them when none is marked). The number is the
/// caller's.
pub fn compute_debit_note(
    invoice: &Invoice,
    changed: &[bool],
    amount: i64,
    description: String,
    issued_at: DateTime<Utc>,
) -> DebitNote {
    let marked = |i: usize| changed.get(i).copied().unwrap_or(false) || !changed.contains(&true);
    let weights: Vec<i64> =
        invoice.lines.iter().enumerate().map(|(i, l)| if marked(i) { l.total.max(1) } else { 0 }).collect();
    let amount = amount.max(0);
    let shares = gst::apportion(amount.min(weights.iter().sum::<i64>().max(0)), &weights);
    // apportion cannot give more than the weights; the rest goes on the first marked line.
    let mut shares = shares;
    let short = amount - shares.iter().sum::<i64>();
    if let Some(first) = (0..weights.len()).find(|i| weights[*i] > 0) {
        shares[first] += short;
    }
    let lines: Vec<InvoiceLine> =
        invoice.lines.iter().zip(&shares).map(|(line, share)| LinePart::at_rate_of(line, *share).on(line)).collect();
    let sum = |part: fn(&InvoiceLine) -> i64| lines.iter().map(part).sum::<i64>();
    DebitNote {
        debit_note_number: String::new(),
        issued_at,
        debit_note_date: issued_at.with_timezone(&chrono_tz::Asia::Kolkata).date_naive(),
        invoice_number: invoice.invoice_number.clone(),
        invoice_date: invoice.invoice_date,
        pnr: invoice.pnr.clone(),
        currency: invoice.currency.clone(),
        seller: invoice.seller.clone(),
        buyer: invoice.buyer.clone(),
        place_of_supply: invoice.place_of_supply.clone(),
        description,
        taxable_value: sum(|l| l.taxable_value),
        cgst: sum(|l| l.cgst),
        sgst: sum(|l| l.sgst),
        igst: sum(|l| l.igst),
        total_tax: sum(|l| l.total_tax),
        debit_total: amount,
        amount_in_words: amount_in_words(amount, &invoice.currency),
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::super::sample_inputs::{input, line, BOM_DEL, DEL_BOM};
    use super::super::{compute_credit_note, compute_invoice, CreditReason};
    use super::*;
    use crate::domain::seating::Cabin;
    use chrono::TimeZone;

    fn invoice() -> Invoice {
        compute_invoice(input(
            vec![
                line("Asha Verma", DEL_BOM, Cabin::Economy, "12A", 250_000),
                line("Asha Verma", BOM_DEL, Cabin::Business, "2A", 400_000),
            ],
            0,
            0,
        ))
    }

    #[test]
    fn a_change_adds_to_the_changed_lines_only_and_adds_up() {
        let invoice = invoice();
        let at = Utc.with_ymd_and_hms(2025, 3, 16, 20, 0, 0).unwrap();
        let note = compute_debit_note(&invoice, &[false, true], 350_001, "change".into(), at);
        assert_eq!(note.lines[0].total, 0);
        assert_eq!(note.lines[1].total, 350_001);
        assert_eq!(note.debit_total, 350_001);
        assert_eq!(note.taxable_value + note.total_tax, note.debit_total);
        assert_eq!(note.lines[1].taxable_value, gst::taxable_value(350_001, 12), "the business line's rate");
    }

    #[test]
    fn a_refund_after_a_change_can_credit_what_the_change_added() {
        let invoice = invoice();
        let at = Utc.with_ymd_and_hms(2025, 3, 16, 20, 0, 0).unwrap();
        let debit = compute_debit_note(&invoice, &[true, false], 100_000, "change".into(), at);
        let everything = invoice.invoice_total + debit.debit_total;
        let credit = compute_credit_note(
            &invoice,
            &[],
            std::slice::from_ref(&debit),
            everything,
            CreditReason::Cancellation,
            at,
        );
        assert_eq!(credit.credit_total, everything, "not capped at the invoice alone");
        for (i, line) in credit.lines.iter().enumerate() {
            let carried = |f: fn(&InvoiceLine) -> i64| f(&invoice.lines[i]) + f(&debit.lines[i]);
            assert_eq!(
                (line.taxable_value, line.total_tax, line.total),
                (carried(|l| l.taxable_value), carried(|l| l.total_tax), carried(|l| l.total)),
                "a line credited in full nets to zero"
            );
        }
    }
}
