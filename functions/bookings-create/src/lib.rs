//! `POST /api/bookings/create` and `POST /api/bookings`: the original
//! `{userId, flightId, price, seats}` (seats = a count) or
//! `{legs: [{flightId, seatNumbers}], passengers: [{name}]}`, honouring
//! `Idempotency-Key`.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::domain::accounts::normalize_name;
use shared::domain::seating::Cabin;
use shared::http::idempotency::idempotent;
use shared::http::views::bookings::BookingBody;
use shared::http::{self, json_body, Id, StatusCode};
use shared::service::bookings::{create_booking, CreateBooking, LegRequest};
use shared::{ApiError, Services};

/// A price as the original sends it (rupees) or as money in minor units.
#[derive(Deserialize)]
#[serde(untagged)]
enum ClientPrice {
    Rupees(f64),
    Money { amount: i64 },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SeatsField {
    Count(u8),
    Numbers(Vec<String>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegBody {
    flight_id: Id,
    #[serde(default)]
    seat_numbers: Vec<String>,
}

#[derive(Deserialize)]
struct PassengerBody {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    user_id: Option<Id>,
    flight_id: Option<Id>,
    price: Option<ClientPrice>,
    seats: Option<SeatsField>,
    seat_numbers: Option<Vec<String>>,
    legs: Option<Vec<LegBody>>,
    passengers: Option<Vec<PassengerBody>>,
    cabin: Option<String>,
}

fn to_request(body: CreateBody) -> Result<CreateBooking, ApiError> {
    let (count, listed) = match body.seats {
        Some(SeatsField::Count(n)) => (Some(n as usize), None),
        Some(SeatsField::Numbers(list)) => (None, Some(list)),
        None => (None, None),
    };
    let seat_numbers = body.seat_numbers.or(listed).unwrap_or_default();
    let legs = match (body.legs, body.flight_id) {
        (Some(_), Some(_)) => return Err(ApiError::invalid_field("legs", "give either legs or flightId, not both")),
        (Some(legs), None) => {
            legs.into_iter().map(|l| LegRequest { flight_id: l.flight_id.0, seats: l.seat_numbers }).collect()
        }
        (None, Some(Id(flight_id))) => vec![LegRequest { flight_id, seats: seat_numbers }],
        (None, None) => return Err(ApiError::invalid_field("flightId", "is required (or legs)")),
    };
    let passengers = body
        .passengers
        .map(|list| list.iter().map(|p| normalize_name(&p.name)).collect::<Result<Vec<_>, _>>())
        .transpose()?;
    let cabin = body
        .cabin
        .map(|raw| Cabin::parse(&raw).ok_or_else(|| ApiError::invalid_field("cabin", format!("unknown cabin {raw:?}"))))
        .transpose()?;
    let expected_total = match body.price {
        None => None,
        Some(ClientPrice::Money { amount }) if amount >= 0 => Some(amount),
        Some(ClientPrice::Money { .. }) => {
            return Err(ApiError::invalid_field("price", "must be a non-negative amount"))
        }
        Some(ClientPrice::Rupees(rupees)) if rupees.is_finite() && (0.0..1e12).contains(&rupees) => {
            Some((rupees * 100.0).round() as i64)
        }
        Some(ClientPrice::Rupees(_)) => return Err(ApiError::invalid_field("price", "must be a non-negative amount")),
    };
    Ok(CreateBooking { legs, count, passengers, cabin, expected_total })
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let body: CreateBody = json_body(&req)?;
        caller.ensure_self(body.user_id.map(|id| id.0))?;
        let request = to_request(body)?;
        idempotent(svc.idempotency_store(), &req, &caller, "bookings-create", || async {
            let booking = create_booking(svc, &caller, request).await?;
            Ok(http::json_with_status(StatusCode::CREATED, &BookingBody::new(&booking)))
        })
        .await
    })
    .await
}
