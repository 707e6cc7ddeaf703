//! The whole database's money and seats, checked by SQL: what must hold
//! after any sequence of bookings, payments, discounts, cancellations,
//! expiries, refunds and ticketing, whoever ran them and in whatever order.
//! `violations` is for any test to call after it has run its steps; it reads
//! as the owner, so it sees every row.

use tokio_postgres::Client;

/// Every issued GST document's signed effect on what the customer owes:
/// the invoice's net (its total less a cashback it shows for information,
/// granted before it was issued), less each credit note, plus each debit
/// note (what a change charged).
const DOCUMENTS: &str = "
    SELECT booking_id, (document->>'netAmountAfterCashback')::bigint AS amount FROM invoices
    UNION ALL SELECT booking_id, -(document->>'creditTotal')::bigint FROM credit_notes
    UNION ALL SELECT booking_id, (document->>'debitTotal')::bigint FROM debit_notes";

/// Each invariant: a name, and a query returning one line per violation.
fn invariants() -> Vec<(&'static str, String)> {
    vec![
        (
            "a booking's money agrees with its documents, or with its status before it has an invoice",
            format!(
                "WITH ledger AS (
                   SELECT b.id, b.status, b.amount_due,
                     (SELECT coalesce(sum(amount), 0) FROM payments p WHERE p.booking_id = b.id AND p.status = 'SUCCEEDED') AS paid,
                     (SELECT coalesce(sum(amount), 0) FROM refunds r WHERE r.booking_id = b.id) AS refunded,
                     (SELECT coalesce(sum(amount), 0) FROM refunds r WHERE r.booking_id = b.id AND r.reason = 'CASHBACK') AS cashback,
                     EXISTS (SELECT 1 FROM invoices i WHERE i.booking_id = b.id) AS invoiced,
                     (SELECT coalesce(sum(amount), 0) FROM ({DOCUMENTS}) d WHERE d.booking_id = b.id) AS documented
                   FROM bookings b)
                 SELECT format('booking %s %s (due %s): paid %s, refunded %s, documents %s, invoiced %s',
                               id, status, amount_due, paid, refunded, documented, invoiced)
                 FROM ledger
                 WHERE CASE
                   WHEN invoiced THEN paid - refunded <> documented
                   WHEN status = 'PENDING_PAYMENT' THEN paid <> 0 OR refunded <> 0
                   WHEN status = 'PAID' THEN paid <> amount_due OR refunded <> cashback
                   ELSE paid <> refunded
                 END"
            ),
        ),
        (
            "an invoice bills what was paid, and only a paid (or since cancelled) booking has one",
            "SELECT format('invoice %s of booking %s (%s): total %s, paid %s', i.invoice_number, b.id, b.status,
                           i.document->>'invoiceTotal', coalesce(p.amount, 0))
             FROM invoices i JOIN bookings b ON b.id = i.booking_id
             LEFT JOIN payments p ON p.booking_id = b.id AND p.status = 'SUCCEEDED' AND p.change_quote_id IS NULL
             WHERE (i.document->>'invoiceTotal')::bigint IS DISTINCT FROM p.amount
                OR b.status NOT IN ('PAID', 'CANCELLED')"
                .into(),
        ),
        (
            "a credit note's amount is its document's total and reduces its booking's own invoice",
            "SELECT format('credit note %s of booking %s: amount %s, document %s, invoice %s',
                           c.credit_note_number, c.booking_id, c.amount, c.document->>'creditTotal', c.invoice_number)
             FROM credit_notes c LEFT JOIN invoices i ON i.invoice_number = c.invoice_number
             WHERE c.amount <> (c.document->>'creditTotal')::bigint OR i.booking_id IS DISTINCT FROM c.booking_id"
                .into(),
        ),
        (
            "a booking is paid once at most (a change is charged under its own quote), and a paid status has its payment",
            "SELECT format('booking %s %s: %s successful payments', b.id, b.status, count(p.id))
             FROM bookings b
             LEFT JOIN payments p ON p.booking_id = b.id AND p.status = 'SUCCEEDED' AND p.change_quote_id IS NULL
             GROUP BY b.id, b.status
             HAVING count(p.id) > 1
                 OR (b.status = 'PAID' AND count(p.id) <> 1)
                 OR (b.status IN ('PENDING_PAYMENT', 'EXPIRED') AND count(p.id) <> 0)"
                .into(),
        ),
        (
            "refunds never exceed payments, and each refunds a successful payment of its own booking",
            "SELECT format('booking %s: refunded %s of %s paid', b.id,
                           (SELECT coalesce(sum(amount), 0) FROM refunds r WHERE r.booking_id = b.id),
                           (SELECT coalesce(sum(amount), 0) FROM payments p WHERE p.booking_id = b.id AND p.status = 'SUCCEEDED'))
             FROM bookings b
             WHERE (SELECT coalesce(sum(amount), 0) FROM refunds r WHERE r.booking_id = b.id)
                 > (SELECT coalesce(sum(amount), 0) FROM payments p WHERE p.booking_id = b.id AND p.status = 'SUCCEEDED')
             UNION ALL
             SELECT format('refund %s of booking %s against payment %s (%s, booking %s)',
                           r.id, r.booking_id, p.id, p.status, p.booking_id)
             FROM refunds r JOIN payments p ON p.id = r.payment_id
             WHERE p.status <> 'SUCCEEDED' OR p.booking_id <> r.booking_id"
                .into(),
        ),
        (
            "no seat is in two live bookings, and a closed booking holds no seat",
            "SELECT format('flight %s seat %s is live in %s bookings', flight_id, seat, count(*))
             FROM booking_seats WHERE live GROUP BY flight_id, seat HAVING count(*) > 1
             UNION ALL
             SELECT format('booking %s is %s but holds seat %s on flight %s', b.id, b.status, s.seat, s.flight_id)
             FROM booking_seats s JOIN bookings b ON b.id = s.booking_id
             WHERE s.live AND b.status NOT IN ('PENDING_PAYMENT', 'PAID')"
                .into(),
        ),
        (
            "each flight's seats sold per cabin are its live booked seats",
            "SELECT format('flight %s %s: seats_sold %s, live seats %s', fa.flight_id, fa.cabin, fa.seats_sold, count(s.seat))
             FROM flight_fares fa
             LEFT JOIN booking_seats s ON s.flight_id = fa.flight_id AND s.cabin = fa.cabin AND s.live
             GROUP BY fa.flight_id, fa.cabin, fa.seats_sold
             HAVING fa.seats_sold <> count(s.seat)"
                .into(),
        ),
        ("invoice numbers have no gap within a year", gap_free("invoices", "invoice_series")),
        ("credit note numbers have no gap within a year", gap_free("credit_notes", "credit_note_series")),
        ("debit note numbers have no gap within a year", gap_free("debit_notes", "debit_note_series")),
        (
            "every quote is confirmed at most once: money moves only under a confirmed quote, once",
            "SELECT format('change quote %s (%s): %s charges, %s refunds, %s debit notes', q.id, q.status,
                           (SELECT count(*) FROM payments p WHERE p.change_quote_id = q.id AND p.status = 'SUCCEEDED'),
                           (SELECT count(*) FROM refunds r WHERE r.change_quote_id = q.id),
                           (SELECT count(*) FROM debit_notes d WHERE d.change_quote_id = q.id))
             FROM change_quotes q
             WHERE (SELECT count(*) FROM payments p WHERE p.change_quote_id = q.id AND p.status = 'SUCCEEDED')
                 + (SELECT count(*) FROM refunds r WHERE r.change_quote_id = q.id)
                 > CASE WHEN q.status = 'CONFIRMED' THEN 1 ELSE 0 END
             UNION ALL
             SELECT format('cancellation quote %s (%s): %s refunds', q.id, q.status, count(r.id))
             FROM cancellation_quotes q LEFT JOIN refunds r ON r.cancellation_quote_id = q.id
             GROUP BY q.id, q.status
             HAVING count(r.id) > CASE WHEN q.status = 'CONFIRMED' THEN 1 ELSE 0 END"
                .into(),
        ),
    ]
}

/// Numbers 1..n of each year, n being where the year's series stands.
fn gap_free(documents: &str, series: &str) -> String {
    format!(
        "SELECT format('{documents} of %s: %s numbers from %s to %s, the series at %s',
                       coalesce(d.year, s.year), coalesce(d.n, 0), d.lo, d.hi, s.last_number)
         FROM (SELECT year, count(*) AS n, count(DISTINCT sequence) AS distinct_n, min(sequence) AS lo, max(sequence) AS hi
               FROM {documents} GROUP BY year) d
         FULL JOIN {series} s ON s.year = d.year
         WHERE coalesce(d.n, 0) <> coalesce(d.distinct_n, 0) OR coalesce(d.lo, 1) <> 1
            OR coalesce(d.hi, 0) <> coalesce(d.n, 0) OR coalesce(d.hi, 0) <> coalesce(s.last_number, 0)"
    )
}

/// Every violation of every invariant, `invariant: what` per line; empty
/// when the database is consistent.
pub async fn violations(db: &Client) -> Vec<String> {
    let mut found = Vec::new();
    for (name, sql) in invariants() {
        for row in db.query(sql.as_str(), &[]).await.unwrap_or_else(|e| panic!("checking '{name}': {e}")) {
            found.push(format!("{name}: {}", row.get::<_, String>(0)));
        }
    }
    found
}

/// Panics listing every violation.
pub async fn assert_consistent(db: &Client, context: &str) {
    let found = violations(db).await;
    assert!(found.is_empty(), "{context}: {} violation(s):\n{}", found.len(), found.join("\n"));
}

#[tokio::test]
async fn the_ledger_checks_find_what_they_are_for() {
    let stack = crate::support::TestStack::new().await;
    let net = crate::support::Network::new(&stack).await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let (_, token) = crate::support::customer(&stack, "audited@example.com").await;
    let (status, booking) =
        crate::support::create_booking(&stack, &token, serde_json::json!({"flightId": flight, "seats": 1})).await;
    assert_eq!(status, 201, "{booking}");
    let db = stack.db().await;
    assert_consistent(&db, "a fresh booking").await;

    // A seat count that drifted, and a booking marked paid with no payment.
    db.batch_execute(&format!(
        "UPDATE flight_fares SET seats_sold = seats_sold + 1 WHERE flight_id = {flight};
         UPDATE bookings SET status = 'PAID' WHERE id = {}",
        booking["id"]
    ))
    .await
    .unwrap();
    let found = violations(&db).await;
    assert!(found.iter().any(|v| v.starts_with("each flight's seats sold")), "{found:?}");
    assert!(found.iter().any(|v| v.starts_with("a booking's money")), "{found:?}");
    assert!(found.iter().any(|v| v.starts_with("a booking is paid once")), "{found:?}");
    // A gap in the invoice series.
    db.batch_execute("INSERT INTO invoice_series (year, last_number) VALUES (2020, 2)").await.unwrap();
    assert!(violations(&db).await.iter().any(|v| v.starts_with("invoice numbers")));
}
