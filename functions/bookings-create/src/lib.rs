//! `POST /api/bookings/create` and `POST /api/bookings`: the original
//! `{userId, flightId, price, seats}` (seats = a count),
//! `{legs: [{flightId, seatNumbers}], passengers: [{name}]}`, or an order of
//! several slices `{slices: [{legs: [...]}], passengers: [{type, title,
//! givenName, familyName, dateOfBirth, gender, infantOf, passport}]}`,
//! honouring `Idempotency-Key`.

use chrono::NaiveDate;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::domain::accounts::normalize_name;
use shared::domain::fares::FareBrand;
use shared::domain::passengers::{Gender, Passenger, Passport, Title};
use shared::domain::seating::Cabin;
use shared::domain::travellers::PassengerType;
use shared::http::idempotency::idempotent;
use shared::http::views::bookings::BookingBody;
use shared::http::{self, json_body, Id, StatusCode};
use shared::service::bookings::{create_booking, CreateBooking, LegRequest, PassengersRequest};
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
struct SliceBody {
    legs: Vec<LegBody>,
}

/// A passenger by name (the original shapes), or with type and details.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PassengerBody {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    title: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    date_of_birth: Option<String>,
    gender: Option<String>,
    /// The index in `passengers` (from 0) of the adult an infant sits on.
    infant_of: Option<usize>,
    passport: Option<PassportBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PassportBody {
    number: String,
    issuing_country: String,
    nationality: String,
    expires_on: String,
}

impl PassengerBody {
    fn is_detailed(&self) -> bool {
        self.kind.is_some() || self.given_name.is_some() || self.family_name.is_some() || self.date_of_birth.is_some()
    }
}

fn date(field: &str, raw: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid_field(field, format!("expected YYYY-MM-DD, got {raw:?}")))
}

fn detailed(index: usize, body: PassengerBody) -> Result<Passenger, ApiError> {
    let field = |name: &str| format!("passengers[{index}].{name}");
    let required = |value: Option<String>, name: &str| {
        value.filter(|v| !v.trim().is_empty()).ok_or_else(|| ApiError::invalid_field(&field(name), "is required"))
    };
    let kind = match body.kind {
        None => PassengerType::Adult,
        Some(raw) => PassengerType::parse(&raw).ok_or_else(|| {
            ApiError::invalid_field(&field("type"), format!("expected adult, child or infant, got {raw:?}"))
        })?,
    };
    let title = body
        .title
        .map(|raw| {
            Title::parse(&raw).ok_or_else(|| {
                ApiError::invalid_field(&field("title"), format!("expected mr, mrs, ms, miss, mstr or dr, got {raw:?}"))
            })
        })
        .transpose()?;
    let gender = body
        .gender
        .map(|raw| Gender::parse(&raw).ok_or_else(|| ApiError::invalid_field(&field("gender"), "expected f, m or x")))
        .transpose()?;
    let passport = body
        .passport
        .map(|p| -> Result<Passport, ApiError> {
            Ok(Passport {
                number: p.number.trim().to_ascii_uppercase(),
                issuing_country: p.issuing_country.trim().to_ascii_uppercase(),
                nationality: p.nationality.trim().to_ascii_uppercase(),
                expires_on: date(&field("passport.expiresOn"), &p.expires_on)?,
            })
        })
        .transpose()?;
    Ok(Passenger {
        kind,
        title,
        given_name: required(body.given_name, "givenName")?,
        family_name: required(body.family_name, "familyName")?,
        date_of_birth: date(&field("dateOfBirth"), &required(body.date_of_birth, "dateOfBirth")?)?,
        gender,
        infant_of: body.infant_of,
        passport,
    })
}

fn passengers(list: Vec<PassengerBody>) -> Result<PassengersRequest, ApiError> {
    if list.iter().any(PassengerBody::is_detailed) {
        return list
            .into_iter()
            .enumerate()
            .map(|(i, p)| detailed(i, p))
            .collect::<Result<_, _>>()
            .map(PassengersRequest::Detailed);
    }
    list.into_iter()
        .enumerate()
        .map(|(i, p)| {
            let name =
                p.name.ok_or_else(|| ApiError::invalid_field(&format!("passengers[{i}].name"), "is required"))?;
            Ok(normalize_name(&name)?)
        })
        .collect::<Result<Vec<_>, ApiError>>()
        .map(PassengersRequest::Names)
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
    slices: Option<Vec<SliceBody>>,
    passengers: Option<Vec<PassengerBody>>,
    cabin: Option<String>,
    fare_brand: Option<String>,
}

fn to_request(body: CreateBody) -> Result<CreateBooking, ApiError> {
    let (count, listed) = match body.seats {
        Some(SeatsField::Count(n)) => (Some(n as usize), None),
        Some(SeatsField::Numbers(list)) => (None, Some(list)),
        None => (None, None),
    };
    let seat_numbers = body.seat_numbers.or(listed).unwrap_or_default();
    let leg = |slice: usize, l: LegBody| LegRequest { slice, flight_id: l.flight_id.0, seats: l.seat_numbers };
    let legs = match (body.slices, body.legs, body.flight_id) {
        (Some(slices), None, None) => {
            if slices.is_empty() {
                return Err(ApiError::invalid_field("slices", "give 1 to 5 slices"));
            }
            if let Some(empty) = slices.iter().position(|s| s.legs.is_empty()) {
                return Err(ApiError::invalid_field(&format!("slices[{empty}].legs"), "give 1 to 3 legs"));
            }
            slices.into_iter().enumerate().flat_map(|(i, s)| s.legs.into_iter().map(move |l| leg(i, l))).collect()
        }
        (None, Some(legs), None) => legs.into_iter().map(|l| leg(0, l)).collect(),
        (None, None, Some(Id(flight_id))) => vec![LegRequest { slice: 0, flight_id, seats: seat_numbers }],
        (None, None, None) => return Err(ApiError::invalid_field("flightId", "is required (or legs, or slices)")),
        _ => return Err(ApiError::invalid_field("slices", "give one of slices, legs or flightId")),
    };
    let passengers = body.passengers.map(passengers).transpose()?;
    let cabin = body
        .cabin
        .map(|raw| Cabin::parse(&raw).ok_or_else(|| ApiError::invalid_field("cabin", format!("unknown cabin {raw:?}"))))
        .transpose()?;
    let fare_brand = body
        .fare_brand
        .map(|raw| {
            FareBrand::parse(&raw).ok_or_else(|| {
                ApiError::invalid_field("fareBrand", format!("unknown fare brand {raw:?}; give SAVER, FLEXI or FLEX"))
            })
        })
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
    Ok(CreateBooking { legs, count, passengers, cabin, expected_total, fare_brand })
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
