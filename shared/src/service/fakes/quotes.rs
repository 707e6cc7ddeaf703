//! [`QuoteBooks`] over the in-memory ledger: a quote's seats and tickets
//! go, its refund is recorded once, its confirmation once.

use super::{MemoryBooks, Refund};
use crate::domain::cancellation::{QuoteFacts, QuotedSeat};
use crate::service::books::{QuoteBooks, QuoteConfirmation};
use crate::store::bookings::ReleasedSeat;
use crate::store::cancellation_quotes::{QuoteStatus, StoredQuote};
use crate::ApiError;
use chrono::{DateTime, Utc};

impl QuoteBooks for MemoryBooks<'_> {
    async fn quote(&mut self, quote_id: i64) -> Result<Option<StoredQuote>, ApiError> {
        Ok(self.working.quotes.get(&quote_id).cloned())
    }

    async fn quote_facts(&mut self, booking_id: i64) -> Result<Option<QuoteFacts>, ApiError> {
        Ok(self.working.quote_facts(booking_id))
    }

    async fn release_chosen(&mut self, booking_id: i64, seats: &[QuotedSeat]) -> Result<Vec<ReleasedSeat>, ApiError> {
        let chosen = |flight_id: i64, seat: &str| seats.iter().any(|s| s.flight_id == flight_id && s.seat == seat);
        let live = self.working.seats.entry(booking_id).or_default();
        let (released, kept): (Vec<ReleasedSeat>, Vec<ReleasedSeat>) =
            live.drain(..).partition(|s| chosen(s.flight_id, &s.seat));
        *live = kept;
        if let Some(facts) = self.working.fares.get_mut(&booking_id) {
            let gone: Vec<(i32, i32)> = facts
                .lines
                .iter()
                .filter(|l| l.seat.as_deref().is_some_and(|seat| chosen(l.flight_id, seat)))
                .map(|l| (l.position, l.leg))
                .collect();
            let laps_of: Vec<(i32, i32)> =
                facts.passengers.iter().filter_map(|p| Some((p.position, p.infant_of?))).collect();
            for line in facts.lines.iter_mut() {
                let adult = laps_of.iter().find(|(infant, _)| *infant == line.position).map(|(_, adult)| *adult);
                let seat_gone = gone.contains(&(line.position, line.leg));
                let lap_gone = line.seat.is_none() && adult.is_some_and(|a| gone.contains(&(a, line.leg)));
                if seat_gone || lap_gone {
                    line.live = false;
                }
            }
        }
        Ok(released)
    }

    async fn void_chosen(&mut self, booking_id: i64, legs: &[(i32, i32)]) -> Result<u64, ApiError> {
        // A ticket per passenger and slice: one for each passenger given up
        // on each slice (the fake's slices are one leg each).
        let Some(issued) = self.working.tickets.get_mut(&booking_id) else { return Ok(0) };
        let voided = (legs.len() as u64).min(*issued);
        *issued -= voided;
        if *issued == 0 {
            self.working.tickets.remove(&booking_id);
        }
        Ok(voided)
    }

    async fn give_back_promo(&mut self, booking_id: i64) -> Result<(), ApiError> {
        self.working.promos_given_back.push(booking_id);
        Ok(())
    }

    async fn record_quote_refund(
        &mut self,
        booking_id: i64,
        payment_id: i64,
        amount: i64,
        quote_id: i64,
    ) -> Result<i64, ApiError> {
        if self.working.quote_refunds.contains_key(&quote_id) {
            return Err(ApiError::internal(format!("quote {quote_id} refunded twice")));
        }
        self.working.refunds.push(Refund { booking_id, payment_id, amount, reason: "CANCELLATION".into() });
        let index = self.working.refunds.len() - 1;
        self.working.quote_refunds.insert(quote_id, index);
        Ok(index as i64 + 1)
    }

    async fn confirm_quote(
        &mut self,
        quote_id: i64,
        confirmation: QuoteConfirmation<'_>,
    ) -> Result<DateTime<Utc>, ApiError> {
        let at = Utc::now();
        let quote = self.working.quotes.get_mut(&quote_id).expect("locked quote");
        if quote.status != QuoteStatus::Quoted {
            return Err(ApiError::internal(format!("quote {quote_id} confirmed twice")));
        }
        quote.status = QuoteStatus::Confirmed;
        quote.confirmed_at = Some(at);
        quote.confirm_idempotency_key = confirmation.idempotency_key.map(str::to_string);
        quote.refund_id = confirmation.refund_id;
        quote.closed_booking = Some(confirmation.closed_booking);
        Ok(at)
    }
}
