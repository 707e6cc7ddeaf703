//! One flight's details, cancellation by an admin, and the departure sweep.

use super::notifications::Notification;
use crate::domain::money::Money;
use crate::http::Caller;
use crate::store::flights::{CancelOutcome, FlightRecord, PgFlights};
use crate::store::outbox::{Destination, Outgoing};
use crate::ErrorCode;
use crate::{ApiError, Services};
use serde_json::{json, Value};

pub async fn flight_view(svc: &Services, flight_id: i64) -> Result<Value, ApiError> {
    let record = PgFlights::new(&svc.db)
        .find(flight_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("flight {flight_id} does not exist")))?;
    render_flight(svc, &record).await
}

pub async fn render_flight(svc: &Services, record: &FlightRecord) -> Result<Value, ApiError> {
    let leg = &record.leg;
    let directory = svc.directory.get(&svc.db, &[&leg.origin, &leg.destination]).await?;
    let airport =
        |code: &str| directory.airports.get(code).ok_or_else(|| ApiError::internal(format!("unknown airport {code}")));
    let (from, to) = (airport(&leg.origin)?, airport(&leg.destination)?);
    let sellable = record.status == "SCHEDULED" && leg.departs_at > chrono::Utc::now();
    let fares: Vec<Value> = record
        .fares
        .iter()
        .map(|fare| {
            json!({
                "cabin": fare.cabin,
                "price": Money::new(fare.amount, &fare.currency).to_json(),
                "seatsTotal": fare.seats_total,
                "seatsLeft": if sellable { fare.seats_total - fare.seats_sold } else { 0 },
            })
        })
        .collect();
    Ok(json!({
        "id": leg.flight_id,
        "flightNumber": leg.flight_number,
        "airline": {"code": leg.airline_code, "name": directory.airlines.get(&leg.airline_code)},
        "origin": {"code": from.code, "name": from.name, "city": from.city, "country": from.country, "timeZone": from.time_zone.name()},
        "destination": {"code": to.code, "name": to.name, "city": to.city, "country": to.country, "timeZone": to.time_zone.name()},
        "departureTime": leg.departs_at.with_timezone(&from.time_zone).to_rfc3339(),
        "arrivalTime": leg.arrives_at.with_timezone(&to.time_zone).to_rfc3339(),
        "durationMinutes": (leg.arrives_at - leg.departs_at).num_minutes(),
        "aircraft": {"code": leg.aircraft, "name": record.aircraft_name},
        "status": record.status,
        "cancelledAt": record.cancelled_at,
        "fares": fares,
    }))
}

/// Drops every cached search containing the flight. A Redis failure is
/// logged, not raised: the change itself is committed, and cached entries
/// still expire with their TTL.
pub async fn invalidate_searches(svc: &Services, flight_id: i64) -> usize {
    match svc.search_cache().invalidate_flight(flight_id).await {
        Ok(dropped) => dropped,
        Err(e) => {
            tracing::error!(flight_id, error = %e, "could not invalidate cached searches");
            0
        }
    }
}

/// The flight's status changed: Redis's copy of its seats (which carries
/// the status holds check) is dropped and read again on next use.
async fn forget_seat_state(svc: &Services, flight_id: i64) {
    if let Err(e) = svc.seat_holds().forget_sold(flight_id).await {
        tracing::error!(flight_id, error = %e, "could not drop the flight's seat state in Redis");
    }
}

pub async fn cancel_flight(svc: &Services, caller: &Caller, flight_id: i64) -> Result<Value, ApiError> {
    caller.ensure_admin()?;
    let flights = PgFlights::new(&svc.db);
    match flights.cancel(flight_id, caller.user_id).await? {
        CancelOutcome::NotFound => return Err(ApiError::not_found(format!("flight {flight_id} does not exist"))),
        CancelOutcome::Departed => {
            return Err(ApiError::conflict(
                ErrorCode::FlightDeparted,
                format!("flight {flight_id} has already departed"),
            ))
        }
        CancelOutcome::Cancelled | CancelOutcome::AlreadyCancelled => {}
    }
    // Invalidate on a repeat too: a previous attempt may have committed and
    // then failed to reach Redis.
    let dropped = invalidate_searches(svc, flight_id).await;
    forget_seat_state(svc, flight_id).await;
    let affected = notify_affected(svc, &flights, flight_id).await?;
    tracing::info!(flight_id, admin = caller.user_id, dropped_searches = dropped, affected, "flight cancelled");
    let record = flights.find(flight_id).await?.ok_or_else(|| ApiError::not_found(format!("flight {flight_id}")))?;
    let mut view = render_flight(svc, &record).await?;
    view["invalidatedSearches"] = json!(dropped);
    view["affectedBookings"] = json!(affected);
    Ok(view)
}

/// Tells every holder of a live booking on the flight. Deduplicated per
/// booking, so repeating the cancellation (after a failure here) is safe.
async fn notify_affected(svc: &Services, flights: &PgFlights<'_>, flight_id: i64) -> Result<usize, ApiError> {
    let affected = flights.affected_bookings(flight_id).await?;
    if affected.is_empty() {
        return Ok(0);
    }
    let mut client = svc.db.get().await?;
    let tx = client.transaction().await?;
    let mut outgoing = Outgoing::default();
    for (booking_id, user_id, pnr) in &affected {
        let notification = Notification::new(
            *user_id,
            "FLIGHT_CANCELLED",
            format!("Flight cancelled on booking {pnr}"),
            format!("A flight on booking {pnr} was cancelled by the airline. Cancel the booking for a full refund, or contact us to rebook."),
        );
        let payload = serde_json::to_value(&notification).map_err(ApiError::internal)?;
        outgoing
            .enqueue(
                &tx,
                Destination::Notifications,
                &payload,
                Some(&format!("flight-cancelled:{flight_id}:{booking_id}")),
            )
            .await?;
    }
    tx.commit().await?;
    drop(client);
    outgoing.send(&svc.outbox()).await;
    Ok(affected.len())
}

/// The schedule's departure sweep: departed flights stop being sellable and
/// vanish from cached searches.
pub async fn mark_departed_flights(svc: &Services) -> Result<Vec<i64>, ApiError> {
    let departed = PgFlights::new(&svc.db).mark_departed().await?;
    for flight_id in &departed {
        invalidate_searches(svc, *flight_id).await;
        forget_seat_state(svc, *flight_id).await;
    }
    Ok(departed)
}
