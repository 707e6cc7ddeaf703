//! Seat holds on the wire: a lock (`seats-lock`) and a release
//! (`seats-release`). The seat map is `seat_map`'s.

use crate::service::seats::{SeatHold, SeatRelease};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatHoldBody<'a> {
    pub hold_id: &'a str,
    pub flight_id: i64,
    pub seat_numbers: &'a [String],
    /// The first seat (the original API locked one seat at a time).
    pub seat_number: &'a str,
    pub user_id: i64,
    pub status: &'static str,
    pub expires_at: DateTime<Utc>,
}

impl<'a> From<&'a SeatHold> for SeatHoldBody<'a> {
    fn from(hold: &'a SeatHold) -> Self {
        SeatHoldBody {
            hold_id: &hold.hold_id,
            flight_id: hold.flight_id,
            seat_numbers: &hold.seat_numbers,
            seat_number: hold.seat_numbers.first().map_or("", String::as_str),
            user_id: hold.user_id,
            status: "HELD",
            expires_at: hold.expires_at,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatReleaseBody<'a> {
    pub flight_id: i64,
    /// `null` when released by seat numbers.
    pub hold_id: Option<&'a str>,
    pub released_seat_numbers: &'a [String],
    pub status: &'static str,
}

impl<'a> From<&'a SeatRelease> for SeatReleaseBody<'a> {
    fn from(release: &'a SeatRelease) -> Self {
        SeatReleaseBody {
            flight_id: release.flight_id,
            hold_id: release.hold_id.as_deref(),
            released_seat_numbers: &release.released,
            status: "RELEASED",
        }
    }
}
