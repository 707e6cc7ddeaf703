//! [`ChangeBooks`] over the in-memory ledger. A booking's seat rows are its
//! quote facts' fare lines (`Ledger::with_fares`): a move makes the slice's
//! lines not live and adds the new legs' after the booking's last leg, as
//! `change_slice` does, and the live seats and the booking's total follow.
//! Of Postgres's guards on the new seats the fake keeps one live booking
//! per seat and no seats on a closed flight; cabin counts and fares changed
//! since the quote are the integration tests' (`local/tests/api/changes.rs`).

use super::{Ledger, MemoryBooks, Payment, Refund};
use crate::domain::cancellation::FareLine;
use crate::domain::invoice::{compute_invoice, DebitNote, InvoiceInput, InvoiceLineInput};
use crate::domain::seating::Cabin;
use crate::service::books::ChangeBooks;
use crate::store::bookings::ReleasedSeat;
use crate::store::changes::{ChangePayment, ChangeQuoteRow, MoveError, MovedSeat, QuotedLeg};
use crate::store::StoreError;
use crate::ApiError;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

impl Ledger {
    /// A ticket for each passenger and slice of the booking's live seats
    /// (`with_fares`), and the invoice issued with them, a line per ticket:
    /// what a change (or a rebooking) reissues, and a debit note adds to.
    pub fn ticketed(mut self, booking_id: i64, issued_at: DateTime<Utc>) -> Self {
        let seated: Vec<FareLine> =
            self.fares[&booking_id].lines.iter().filter(|l| l.live && l.seat.is_some()).cloned().collect();
        // One ticket per passenger and slice, as ticketing issues them.
        let mut issued: BTreeSet<(i32, i32)> = BTreeSet::new();
        let mut lines: Vec<InvoiceLineInput> = Vec::new();
        for line in seated.into_iter().filter(|l| issued.insert((l.position, l.slice))) {
            let number = format!("589{:010}", lines.len() + 1);
            self.slice_tickets.entry((booking_id, line.slice)).or_default().push(number.clone());
            lines.push(InvoiceLineInput {
                passenger: format!("Traveller {}", line.position),
                passenger_type: Default::default(),
                flight_number: format!("XY {}", line.flight_id),
                origin: "DEL".into(),
                origin_country: "IN".into(),
                destination: "BOM".into(),
                departure_date: issued_at.date_naive(),
                cabin: line.cabin,
                seat: line.seat.unwrap_or_default(),
                ticket_number: number,
                fare: line.fare,
                seat_product: None,
            });
        }
        let booking = &self.bookings[&booking_id];
        let invoice = compute_invoice(InvoiceInput {
            invoice_number: format!("FB/2026/{booking_id:06}"),
            issued_at,
            pnr: booking.pnr.clone(),
            buyer_name: "Asha Verma".into(),
            buyer_email: "asha@example.com".into(),
            currency: booking.currency.clone(),
            lines,
            discount: 0,
            cashback: 0,
            discount_code: None,
        });
        self.invoices.insert(booking_id, invoice);
        self
    }
}

impl ChangeBooks for MemoryBooks<'_> {
    async fn lock_change_quote(&mut self, quote_id: i64) -> Result<Option<ChangeQuoteRow>, ApiError> {
        Ok(self.working.change_quotes.get(&quote_id).cloned())
    }

    async fn live_seats_of_slice(&mut self, booking_id: i64, slice: i32) -> Result<Vec<String>, ApiError> {
        let lines = self.working.fares.get(&booking_id).map(|f| f.lines.as_slice()).unwrap_or_default();
        let mut seats: Vec<String> = lines
            .iter()
            .filter(|l| l.slice == slice && l.live)
            .filter_map(|l| Some(format!("{}:{}", l.flight_id, l.seat.as_ref()?)))
            .collect();
        seats.sort();
        Ok(seats)
    }

    async fn record_change_payment(&mut self, payment: &ChangePayment<'_>) -> Result<i64, ApiError> {
        let succeeded = payment.decline_code.is_none();
        let charged = self.working.payments.iter().any(|p| p.succeeded && p.change_quote_id == Some(payment.quote_id));
        if succeeded && charged {
            // V17's payments_one_success_per_change.
            return Err(ApiError::internal(format!("change quote {} charged twice", payment.quote_id)));
        }
        let id = self.next_payment_id();
        self.working.payments.push(Payment {
            id,
            booking_id: payment.booking_id,
            amount: payment.amount,
            succeeded,
            method: payment.method.to_string(),
            reference: payment.reference.to_string(),
            decline_code: payment.decline_code.map(str::to_string),
            idempotency_key: None,
            change_quote_id: Some(payment.quote_id),
        });
        Ok(id)
    }

    async fn move_slice(
        &mut self,
        booking_id: i64,
        slice: i32,
        legs: &[QuotedLeg],
    ) -> Result<Vec<MovedSeat>, MoveError> {
        for leg in legs {
            if self.working.closed_flights.contains(&leg.flight_id) {
                return Err(MoveError::FlightNotBookable(leg.flight_id));
            }
            let taken = |seat: &String| {
                self.working.seats.iter().any(|(other, live)| {
                    *other != booking_id && live.iter().any(|s| s.flight_id == leg.flight_id && &s.seat == seat)
                })
            };
            if leg.seats.iter().any(taken) {
                return Err(MoveError::SeatTaken);
            }
        }
        let internal = |why: String| MoveError::Store(StoreError::internal(why));
        let facts = self
            .working
            .fares
            .get_mut(&booking_id)
            .ok_or_else(|| internal(format!("booking {booking_id} has no seats")))?;
        let last_leg = facts.lines.iter().map(|l| l.leg).max().unwrap_or(0);
        let mut moved = Vec::new();
        let mut old_total = 0;
        for line in facts.lines.iter_mut().filter(|l| l.slice == slice && l.live) {
            line.live = false;
            old_total += line.fare;
            if let Some(seat) = &line.seat {
                moved.push(MovedSeat { flight_id: line.flight_id, seat: seat.clone(), live: false });
            }
        }
        let mut new_total = 0;
        for (index, leg) in legs.iter().enumerate() {
            let cabin = Cabin::parse(&leg.cabin).ok_or_else(|| internal(format!("no cabin {}", leg.cabin)))?;
            // The fake's flights all leave from India: GST is in the fare.
            let line = |position: i32, seat: Option<String>, fare: i64| FareLine {
                position,
                slice,
                leg: last_leg + index as i32 + 1,
                flight_id: leg.flight_id,
                seat,
                cabin,
                fare,
                live: true,
                taxed: true,
            };
            for ((seat, position), fare) in leg.seats.iter().zip(&leg.positions).zip(&leg.fares) {
                facts.lines.push(line(*position, Some(seat.clone()), *fare));
                moved.push(MovedSeat { flight_id: leg.flight_id, seat: seat.clone(), live: true });
                new_total += fare;
            }
            for (position, fare) in &leg.laps {
                facts.lines.push(line(*position, None, *fare));
                new_total += fare;
            }
        }
        let live = self.working.seats.entry(booking_id).or_default();
        live.retain(|s| !moved.iter().any(|m| !m.live && m.flight_id == s.flight_id && m.seat == s.seat));
        live.extend(moved.iter().filter(|m| m.live).map(|m| ReleasedSeat {
            booking_id,
            flight_id: m.flight_id,
            seat: m.seat.clone(),
        }));
        if let Some(booking) = self.working.bookings.get_mut(&booking_id) {
            booking.total_amount += new_total - old_total;
        }
        Ok(moved)
    }

    async fn reissue_changed_tickets(&mut self, booking_id: i64, slice: i32) -> Result<Vec<String>, ApiError> {
        Ok(self.reissue_slice(booking_id, slice))
    }

    /// Numbered in the ledger's own series. (Once per quote is left to
    /// Postgres's `debit_notes_once_per_change`: the use case never gets
    /// here for a confirmed quote.)
    async fn issue_debit_note(
        &mut self,
        booking_id: i64,
        _quote_id: i64,
        mut note: DebitNote,
    ) -> Result<DebitNote, ApiError> {
        note.debit_note_number = format!("DN/2026/{:06}", self.working.debit_notes.len() + 1);
        self.working.debit_notes.push((booking_id, note.clone()));
        Ok(note)
    }

    async fn record_change_refund(
        &mut self,
        booking_id: i64,
        payment_id: i64,
        quote_id: i64,
        amount: i64,
    ) -> Result<(), ApiError> {
        if self.working.change_refunds.contains_key(&quote_id) {
            // V17's refunds_once_per_change.
            return Err(ApiError::internal(format!("change quote {quote_id} refunded twice")));
        }
        self.working.refunds.push(Refund { booking_id, payment_id, amount, reason: "CHANGE".into() });
        self.working.change_refunds.insert(quote_id, self.working.refunds.len() - 1);
        Ok(())
    }

    async fn mark_change_confirmed(&mut self, quote_id: i64) -> Result<(), ApiError> {
        let quote = self
            .working
            .change_quotes
            .get_mut(&quote_id)
            .ok_or_else(|| ApiError::internal(format!("change quote {quote_id} vanished under its lock")))?;
        quote.confirmed = true;
        quote.confirmed_at = Some(Utc::now());
        Ok(())
    }
}
