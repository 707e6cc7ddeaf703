//! The PDF layout read back as text.

use super::canvas::win_ansi;
use super::*;
use crate::domain::invoice::sample_inputs::{input, line, BOM_DEL, DEL_BOM, SIN_DEL};
use crate::domain::invoice::{
    compute_credit_note, compute_debit_note, compute_invoice, CreditReason, InvoiceLineInput,
};
use crate::domain::seat_charges::SeatProduct;

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
fn a_chosen_seats_charge_is_its_own_line_after_its_fare() {
    let fare = line("Asha Verma", DEL_BOM, Cabin::Economy, "3A", 450000);
    let seat = InvoiceLineInput { fare: 120000, seat_product: Some(SeatProduct::ExtraLegroom), ..fare.clone() };
    let invoice = compute_invoice(input(vec![fare, seat], 0, 0));
    assert_eq!(invoice.invoice_total, 570000);
    assert_eq!(invoice.lines[1].seat_product, Some(SeatProduct::ExtraLegroom));
    assert_eq!((invoice.lines[1].gst_rate_percent, invoice.lines[1].total_tax), (5, 5714), "the fare's rate");
    let text = pdf_text(&render_pdf(&invoice));
    for expected in ["Extra legroom seat", "Economy", "1,200.00", "INR 5,700.00"] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    let stored = serde_json::to_value(&invoice).unwrap();
    assert_eq!(stored["lines"][1]["seatProduct"], "EXTRA_LEGROOM");
    assert!(stored["lines"][0].get("seatProduct").is_none(), "fare lines read as before paid seats");
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
fn a_credit_note_shows_its_number_the_invoice_it_reduces_and_what_goes_back() {
    let invoice = compute_invoice(input(
        vec![
            line("Asha Verma", DEL_BOM, Cabin::Economy, "12A", 250000),
            line("Ravi Verma", DEL_BOM, Cabin::Economy, "12B", 250000),
        ],
        0,
        0,
    ));
    let mut note = compute_credit_note(&invoice, &[], &[], 10000, CreditReason::Cashback, invoice.issued_at);
    note.credit_note_number = "CN/2025/000007".to_string();
    let text = pdf_text(&render_credit_note_pdf(&note));
    for expected in [
        "CREDIT NOTE",
        "CN/2025/000007",
        "Against Invoice",
        "FB/2024-25/000123",
        "Reason",
        "Cashback credited to original",
        "Credit Note Total",
        "INR 100.00",
        "Rupees One Hundred Only",
        "07AAFCF1234M1Z5",
        "This is a computer-generated credit note.",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    assert!(!text.contains("TAX INVOICE"));
}

#[test]
fn a_debit_note_shows_its_number_and_only_the_lines_the_change_added_to() {
    let invoice = compute_invoice(input(
        vec![
            line("Asha Verma", DEL_BOM, Cabin::Economy, "12A", 250000),
            line("Asha Verma", BOM_DEL, Cabin::Economy, "14C", 300000),
        ],
        0,
        0,
    ));
    let mut note = compute_debit_note(&invoice, &[false, true], 150000, "Change of flights".into(), invoice.issued_at);
    note.debit_note_number = "DN/2025/000003".to_string();
    let text = pdf_text(&render_debit_note_pdf(&note));
    for expected in [
        "DEBIT NOTE",
        "DN/2025/000003",
        "Against Invoice",
        "FB/2024-25/000123",
        "Change of flights",
        "Debit Note Total",
        "INR 1,500.00",
        "Amount chargeable (in words)",
        &invoice.lines[1].ticket_number,
        "This is a computer-generated debit note.",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    assert!(!text.contains(&invoice.lines[0].ticket_number), "the untouched line is not printed");
    assert!(!text.contains("CREDIT NOTE"));
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
