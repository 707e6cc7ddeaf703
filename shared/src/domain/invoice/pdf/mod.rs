//! The invoice as an A4 PDF: the seller, buyer and particulars, the table of lines (continued
//! on further pages when it does not fit), the totals with the amount in words, the cashback
//! note, and a footer with the page number on every page. A credit or debit note is laid out the
//! same, under its own labels, with the invoice it refers to among its particulars.

mod canvas;

use chrono::{Datelike, NaiveDate, Timelike};
use pdf_writer::{Date, Finish, Name, Pdf, Rect, Ref, TextStr};

use self::canvas::{
    fit, wrap, Canvas, Font, Style, BODY, BODY_BOLD, CELL, CELL_BOLD, CELL_MUTED, HEADING, LABEL, MARGIN, PAGE_HEIGHT,
    PAGE_WIDTH, RIGHT_EDGE, SMALL_MUTED, TITLE, TOTAL,
};
use super::{
    CreditNote, DebitNote, GstNote, GstTreatment, Invoice, InvoiceLine, NoteKind, SAC_PASSENGER_AIR_TRANSPORT,
};
use crate::domain::money::Money;
use crate::domain::seating::Cabin;

const CELL_PADDING: f32 = 3.0;

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

/// The wording that differs between an invoice's sheet and a note's.
struct Labels {
    title: &'static str,
    number: &'static str,
    date: &'static str,
    total: &'static str,
    words: &'static str,
    footer: &'static str,
    /// The PDF's document title, before the number.
    document: &'static str,
}

const INVOICE_LABELS: Labels = Labels {
    title: "TAX INVOICE",
    number: "Invoice No.",
    date: "Invoice Date",
    total: "Invoice Total",
    words: "Amount chargeable (in words)",
    footer: "This is a computer-generated invoice.",
    document: "Tax invoice",
};

const CREDIT_NOTE_LABELS: Labels = Labels {
    title: "CREDIT NOTE",
    number: "Credit Note No.",
    date: "Credit Note Date",
    total: "Credit Note Total",
    words: "Amount credited (in words)",
    footer: "This is a computer-generated credit note.",
    document: "Credit note",
};

const DEBIT_NOTE_LABELS: Labels = Labels {
    title: "DEBIT NOTE",
    number: "Debit Note No.",
    date: "Debit Note Date",
    total: "Debit Note Total",
    words: "Amount chargeable (in words)",
    footer: "This is a computer-generated debit note.",
    document: "Debit note",
};

/// Further particulars under the date: (label, value).
type Particulars<'a> = &'a [(&'static str, String)];

/// A4 tax invoice; more pages when the lines do not fit on one.
pub fn render_pdf(invoice: &Invoice) -> Vec<u8> {
    render(invoice, &INVOICE_LABELS, &[])
}

/// A4 credit note: its lines are the parts of the invoice's lines credited, its total what
/// goes back to the buyer.
pub fn render_credit_note_pdf(note: &CreditNote) -> Vec<u8> {
    render_note(note.into())
}

/// A4 debit note: the lines the change added to, with what it added.
pub fn render_debit_note_pdf(note: &DebitNote) -> Vec<u8> {
    render_note(note.into())
}

/// A note on the invoice's layout, under its own labels, with the invoice it refers to among
/// its particulars: the sheet draws an invoice's fields, filled with what the note credits or
/// adds.
fn render_note(note: GstNote) -> Vec<u8> {
    let labels = match note.kind {
        NoteKind::Credit => &CREDIT_NOTE_LABELS,
        NoteKind::Debit => &DEBIT_NOTE_LABELS,
    };
    let particulars = [
        ("Against Invoice", note.invoice_number.to_owned()),
        ("Invoice Date", long_date(note.invoice_date)),
        ("Reason", note.description.to_owned()),
    ];
    // A credit note prints every invoice line, as the invoice did; a debit note only the lines
    // the change added to, not the untouched rest of the booking.
    let printed = |line: &&InvoiceLine| note.kind == NoteKind::Credit || line.total != 0;
    let sheet = Invoice {
        invoice_number: note.number.to_owned(),
        issued_at: note.issued_at,
        invoice_date: note.date,
        pnr: note.pnr.to_owned(),
        currency: note.currency.to_owned(),
        seller: note.seller.clone(),
        buyer: note.buyer.clone(),
        place_of_supply: note.place_of_supply.to_owned(),
        lines: note.lines.iter().filter(printed).cloned().collect(),
        fare_total: note.total,
        discount: None,
        taxable_value: note.taxable_value,
        cgst: note.cgst,
        sgst: note.sgst,
        igst: note.igst,
        total_tax: note.total_tax,
        invoice_total: note.total,
        amount_in_words: note.amount_in_words.to_owned(),
        cashback: None,
        net_amount_after_cashback: note.total,
    };
    render(&sheet, labels, &particulars)
}

fn render(invoice: &Invoice, labels: &Labels, particulars: Particulars) -> Vec<u8> {
    let mut canvas = Canvas::new();
    draw_header(&mut canvas, invoice, labels, particulars);
    draw_lines(&mut canvas, invoice, labels);
    draw_totals(&mut canvas, invoice, labels);
    let page_count = canvas.pages.len();
    for page in 0..page_count {
        canvas.page = page;
        draw_footer(&mut canvas, invoice, labels, page + 1, page_count);
    }
    assemble(canvas, invoice, labels)
}

fn draw_header(canvas: &mut Canvas, invoice: &Invoice, labels: &Labels, particulars: Particulars) {
    let top = canvas.top;
    canvas.text(MARGIN, top + 18.0, TITLE, labels.title);
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
        (labels.number, &invoice.invoice_number, BODY_BOLD),
        (labels.date, &date, BODY),
        ("PNR", &invoice.pnr, BODY_BOLD),
        ("Reverse Charge", "No", BODY),
    ];
    for (label, value, style) in details {
        canvas.text(label_x, right, LABEL, label);
        canvas.text(value_x, right, style, &fit(value, style, RIGHT_EDGE - value_x));
        right += 12.0;
    }
    for (label, value) in particulars {
        canvas.text(label_x, right, LABEL, label);
        for line in wrap(value, BODY, RIGHT_EDGE - value_x) {
            canvas.text(value_x, right, BODY, &line);
            right += 11.0;
        }
        right += 1.0;
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
fn draw_continuation_header(canvas: &mut Canvas, invoice: &Invoice, labels: &Labels) {
    let baseline = canvas.top + 10.0;
    let title = format!("{} {} (continued)", labels.title, invoice.invoice_number);
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
            match line.seat_product {
                Some(product) => product.description().to_string(),
                None => cabin_label(line.cabin).to_string(),
            },
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

fn draw_lines(canvas: &mut Canvas, invoice: &Invoice, labels: &Labels) {
    draw_table_header(canvas, &invoice.currency);
    let show_place = invoice.place_of_supply.contains(';');
    for (index, line) in invoice.lines.iter().enumerate() {
        let row = table_row(index, line, &invoice.currency, show_place);
        let height = (2 + row.notes.len()) as f32 * CELL_LEADING + 6.0;
        if !canvas.fits(height) {
            canvas.new_page();
            draw_continuation_header(canvas, invoice, labels);
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

fn draw_totals(canvas: &mut Canvas, invoice: &Invoice, labels: &Labels) {
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
        draw_continuation_header(canvas, invoice, labels);
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
    canvas.text(label_x, top, TOTAL, labels.total);
    canvas.text_right(value_right, top, TOTAL, &with_code(invoice.invoice_total, currency));
    top += 8.0;
    canvas.rule(label_x, RIGHT_EDGE, top, 0.8, 0.0);

    top += 20.0;
    canvas.text(MARGIN, top, LABEL, labels.words);
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

fn draw_footer(canvas: &mut Canvas, invoice: &Invoice, labels: &Labels, page: usize, page_count: usize) {
    let rule_at = PAGE_HEIGHT - 48.0;
    canvas.rule(MARGIN, RIGHT_EDGE, rule_at, 0.4, 0.75);
    let baseline = rule_at + 14.0;
    let seller = format!("{} | GSTIN {}", invoice.seller.name, invoice.seller.gstin);
    canvas.text(MARGIN, baseline, SMALL_MUTED, &seller);
    canvas.text_right(RIGHT_EDGE, baseline, SMALL_MUTED, &format!("Page {page} of {page_count}"));
    canvas.text_centered(PAGE_WIDTH / 2.0, baseline + 11.0, SMALL_MUTED, labels.footer);
}

fn assemble(canvas: Canvas, invoice: &Invoice, labels: &Labels) -> Vec<u8> {
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
        .title(TextStr(&format!("{} {}", labels.document, invoice.invoice_number)))
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
mod tests;
