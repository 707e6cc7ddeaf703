//! Seats in Redis: holds (the fast path that makes locking race-free) and a
//! cache of what Postgres has sold, so that a hold and the seat map need no
//! query.
//!
//! Per flight, all keys share the hash tag `{f<flightId>}`, so each script
//! runs on one Redis Cluster slot:
//! - `holds:{f}` → HASH seat → `<userId>:<expiresAtMs>`. Expired entries are
//!   ignored and overwritten; the hash expires with its newest hold.
//! - `held:{f}:<userId>` → SET of the seats a user holds (for the per-user
//!   cap and bookings by count; entries are verified on read).
//! - `hold:{f}:<holdId>` → HASH user, seats of one lock request, so a hold
//!   can be released by its id.
//! - `sold:{f}` → HASH `_status` → the flight's status, and seat → booking
//!   id for every seat of a live booking: a copy of Postgres, loaded on
//!   first use and kept exact by the writers (a booking marks its seats in
//!   the same script that drops its holds; cancellation and expiry unmark
//!   them), with a TTL as a backstop only.
//! - `sold-v:{f}` → a counter every writer moves. A loader reads it before
//!   querying Postgres and stores its copy only if it is unchanged, so a
//!   copy read before a sale can never be stored after it.
//!
//! Locking is one script: the flight loaded and scheduled, every seat not
//! sold and free or already the caller's, the cap respected, or nothing
//! changes. Postgres stays the final guard (its unique index refuses a
//! second live booking of a seat), so a lost Redis write costs a clean 409,
//! never a double sale.

use super::redis::RedisStore;
use super::StoreError;
use crate::domain::ids::{BookingId, FlightId, UserId};
use redis::Script;
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

/// Shared Lua (`now_ms`, `holder`), put before the scripts that use them.
const LUA_HELPERS: &str = include_str!("lua/seat_helpers.lua");

/// The hold script's body; the benchmark loads the same text as the
/// `redis-benchmark` EVALSHA ceiling.
pub const HOLD_SCRIPT: &str = include_str!("lua/seat_hold.lua");

fn script(body: &str) -> Script {
    Script::new(&format!("{LUA_HELPERS}\n{body}"))
}

/// The whole hold script as Redis runs it (helpers included).
pub fn hold_script_source() -> String {
    format!("{LUA_HELPERS}\n{HOLD_SCRIPT}")
}

static HOLD: LazyLock<Script> = LazyLock::new(|| Script::new(&hold_script_source()));

static RELEASE: LazyLock<Script> = LazyLock::new(|| script(include_str!("lua/seat_release.lua")));

static HELD_BY: LazyLock<Script> = LazyLock::new(|| script(include_str!("lua/seat_held_by.lua")));

/// After a booking commits: its seats become sold, its holds are dropped.
static MARK_SOLD: LazyLock<Script> = LazyLock::new(|| script(include_str!("lua/seat_mark_sold.lua")));

/// After seats are released in Postgres (cancellation, expiry). Only a
/// seat still marked with the releasing booking is unmarked: by the time
/// this runs, another booking may have bought the seat and marked it.
static MARK_UNSOLD: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/seat_mark_unsold.lua")));

/// Drops the copy (the flight's status changed): the next reader loads it.
static FORGET_SOLD: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/seat_forget_sold.lua")));

static LOAD_SOLD: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/seat_load_sold.lua")));

/// How long the copy of what Postgres sold lives without a writer (a backstop).
const SOLD_TTL: Duration = Duration::from_secs(600);
/// Longer than any load can take, so a loader's version is never reused.
const SOLD_VERSION_TTL: Duration = Duration::from_secs(86_400);

#[derive(Debug, PartialEq, Eq)]
pub enum HoldOutcome {
    /// Held until the given Unix time in milliseconds.
    Held { expires_at_ms: i64 },
    /// Seats held by someone else or sold; nothing was held.
    Taken(Vec<String>),
    /// The caller would exceed the per-flight cap; `already` are held.
    OverCap { already: usize },
    /// The flight is not scheduled any more (its status).
    Closed(String),
    /// The copy of what Postgres sold is missing: load it (`fill_sold`)
    /// against this version, then try again.
    NeedsSold { version: String },
}

/// A flight's seats as Redis sees them.
#[derive(Debug, Default)]
pub struct SeatState {
    /// `None` when the copy of Postgres is missing (see `version`).
    pub status: Option<String>,
    /// Seat → booking id, for seats of live bookings.
    pub sold: HashMap<String, i64>,
    /// Seat → holder, for holds that have not expired.
    pub holds: HashMap<String, i64>,
    /// The copy's version, for `fill_sold`.
    pub version: String,
}

pub struct SeatHolds<'a> {
    redis: &'a RedisStore,
}

fn parse_holder(value: &str) -> Option<(i64, i64)> {
    let (user, expires) = value.split_once(':')?;
    Some((user.parse().ok()?, expires.parse().ok()?))
}

impl<'a> SeatHolds<'a> {
    pub fn new(redis: &'a RedisStore) -> Self {
        SeatHolds { redis }
    }

    fn key(&self, kind: &str, flight_id: i64) -> String {
        self.redis.key(&format!("{kind}:{{f{flight_id}}}"))
    }

    fn held_key(&self, flight_id: i64, user_id: i64) -> String {
        self.redis.key(&format!("held:{{f{flight_id}}}:{user_id}"))
    }

    fn hold_key(&self, flight_id: i64, hold_id: &str) -> String {
        self.redis.key(&format!("hold:{{f{flight_id}}}:{hold_id}"))
    }

    #[tracing::instrument(name = "redis.seat_holds.hold", level = "debug", skip_all, fields(flight_id = flight.0, user_id = user.0, seats = seats.len()))]
    pub async fn hold(
        &self,
        flight: FlightId,
        user: UserId,
        hold_id: &str,
        seats: &[String],
        ttl: Duration,
        cap: usize,
    ) -> Result<HoldOutcome, StoreError> {
        let (FlightId(flight_id), UserId(user_id)) = (flight, user);
        let mut invocation = HOLD.prepare_invoke();
        invocation
            .key(self.key("holds", flight_id))
            .key(self.held_key(flight_id, user_id))
            .key(self.hold_key(flight_id, hold_id))
            .key(self.key("sold", flight_id))
            .key(self.key("sold-v", flight_id));
        invocation.arg(user_id).arg(ttl.as_millis() as u64).arg(cap);
        for seat in seats {
            invocation.arg(seat);
        }
        let mut conn = self.redis.connection().await?;
        let reply: Vec<String> = invocation.invoke_async(&mut conn).await?;
        let second = || reply.get(1).cloned().unwrap_or_default();
        match reply.first().map(String::as_str) {
            Some("OK") => Ok(HoldOutcome::Held { expires_at_ms: second().parse().unwrap_or_default() }),
            Some("TAKEN") => Ok(HoldOutcome::Taken(reply[1..].to_vec())),
            Some("CAP") => Ok(HoldOutcome::OverCap { already: second().parse().unwrap_or(0) }),
            Some("CLOSED") => Ok(HoldOutcome::Closed(second())),
            Some("LOAD") => Ok(HoldOutcome::NeedsSold { version: second() }),
            other => Err(StoreError::internal(format!("unexpected hold script reply {other:?}"))),
        }
    }

    /// Releases the seats the user holds among `seats`; returns those released.
    #[tracing::instrument(name = "redis.seat_holds.release", level = "debug", skip_all, fields(flight_id = flight.0, user_id = user.0))]
    pub async fn release(&self, flight: FlightId, user: UserId, seats: &[String]) -> Result<Vec<String>, StoreError> {
        let (FlightId(flight_id), UserId(user_id)) = (flight, user);
        if seats.is_empty() {
            return Ok(Vec::new());
        }
        let mut invocation = RELEASE.prepare_invoke();
        invocation.key(self.key("holds", flight_id)).key(self.held_key(flight_id, user_id)).arg(user_id);
        for seat in seats {
            invocation.arg(seat);
        }
        let mut conn = self.redis.connection().await?;
        Ok(invocation.invoke_async(&mut conn).await?)
    }

    /// The owner and seats of a hold id, if it still exists.
    #[tracing::instrument(name = "redis.seat_holds.hold_record", level = "debug", skip_all, fields(flight_id = flight_id))]
    pub async fn hold_record(&self, flight_id: i64, hold_id: &str) -> Result<Option<(i64, Vec<String>)>, StoreError> {
        let mut conn = self.redis.connection().await?;
        let (user, seats): (Option<i64>, Option<String>) = redis::cmd("HMGET")
            .arg(self.hold_key(flight_id, hold_id))
            .arg("user")
            .arg("seats")
            .query_async(&mut conn)
            .await?;
        Ok(user
            .map(|u| (u, seats.unwrap_or_default().split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect())))
    }

    #[tracing::instrument(name = "redis.seat_holds.forget_hold", level = "debug", skip_all, fields(flight_id = flight_id))]
    pub async fn forget_hold(&self, flight_id: i64, hold_id: &str) -> Result<(), StoreError> {
        let mut conn = self.redis.connection().await?;
        let _: i64 = redis::cmd("DEL").arg(self.hold_key(flight_id, hold_id)).query_async(&mut conn).await?;
        Ok(())
    }

    /// Holder of each seat (`None` when free or expired), in the order given.
    #[tracing::instrument(name = "redis.seat_holds.holders", level = "debug", skip_all, fields(flight_id = flight_id))]
    pub async fn holders(&self, flight_id: i64, seats: &[String]) -> Result<Vec<Option<i64>>, StoreError> {
        if seats.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.redis.connection().await?;
        let (values, (secs, micros)): (Vec<Option<String>>, (i64, i64)) = redis::pipe()
            .cmd("HMGET")
            .arg(self.key("holds", flight_id))
            .arg(seats)
            .cmd("TIME")
            .query_async(&mut conn)
            .await?;
        let now = secs * 1000 + micros / 1000;
        Ok(values
            .iter()
            .map(|v| v.as_deref().and_then(parse_holder).filter(|(_, expires)| *expires > now).map(|(user, _)| user))
            .collect())
    }

    /// Everything Redis knows about the flight's seats, in one round trip.
    #[tracing::instrument(name = "redis.seat_holds.state", level = "debug", skip_all, fields(flight_id = flight_id))]
    pub async fn state(&self, flight_id: i64) -> Result<SeatState, StoreError> {
        let mut conn = self.redis.connection().await?;
        type Reply = (HashMap<String, String>, HashMap<String, String>, (i64, i64), Option<String>);
        let (mut sold, holds, (secs, micros), version): Reply = redis::pipe()
            .hgetall(self.key("sold", flight_id))
            .hgetall(self.key("holds", flight_id))
            .cmd("TIME")
            .get(self.key("sold-v", flight_id))
            .query_async(&mut conn)
            .await?;
        let now = secs * 1000 + micros / 1000;
        let status = sold.remove("_status");
        Ok(SeatState {
            status,
            sold: sold.into_iter().filter_map(|(seat, booking)| Some((seat, booking.parse().ok()?))).collect(),
            holds: holds
                .iter()
                .filter_map(|(seat, value)| {
                    let (user, expires) = parse_holder(value)?;
                    (expires > now).then(|| (seat.clone(), user))
                })
                .collect(),
            version: version.unwrap_or_else(|| "0".into()),
        })
    }

    /// The seats the user still holds on the flight, with the earliest expiry.
    #[tracing::instrument(name = "redis.seat_holds.held_by", level = "debug", skip_all, fields(flight_id = flight.0, user_id = user.0))]
    pub async fn held_by(&self, flight: FlightId, user: UserId) -> Result<(Vec<String>, Option<Duration>), StoreError> {
        let (FlightId(flight_id), UserId(user_id)) = (flight, user);
        let mut conn = self.redis.connection().await?;
        let reply: Vec<String> = HELD_BY
            .key(self.key("holds", flight_id))
            .key(self.held_key(flight_id, user_id))
            .arg(user_id)
            .invoke_async(&mut conn)
            .await?;
        let mut mine: Vec<(String, u64)> =
            reply.chunks(2).filter_map(|pair| Some((pair.first()?.clone(), pair.get(1)?.parse().ok()?))).collect();
        mine.sort();
        let earliest = mine.iter().map(|(_, ms)| *ms).min().map(Duration::from_millis);
        Ok((mine.into_iter().map(|(seat, _)| seat).collect(), earliest))
    }

    /// Stores the copy of what Postgres sold on the flight, unless a writer
    /// moved the version since `version` was read. Returns whether it did.
    #[tracing::instrument(name = "redis.seat_holds.fill_sold", level = "debug", skip_all, fields(flight_id = flight_id))]
    pub async fn fill_sold(
        &self,
        flight_id: i64,
        version: &str,
        status: &str,
        sold: &[(String, i64)],
    ) -> Result<bool, StoreError> {
        let mut invocation = LOAD_SOLD.prepare_invoke();
        invocation
            .key(self.key("sold", flight_id))
            .key(self.key("sold-v", flight_id))
            .arg(version)
            .arg(SOLD_TTL.as_millis() as u64)
            .arg(status);
        for (seat, booking) in sold {
            invocation.arg(seat).arg(booking);
        }
        let mut conn = self.redis.connection().await?;
        let stored: i64 = invocation.invoke_async(&mut conn).await?;
        Ok(stored == 1)
    }

    /// A booking committed: its seats are sold and its holds dropped.
    #[tracing::instrument(name = "redis.seat_holds.mark_sold", level = "debug", skip_all, fields(flight_id = flight.0, user_id = user.0, booking_id = booking.0))]
    pub async fn mark_sold(
        &self,
        flight: FlightId,
        user: UserId,
        booking: BookingId,
        seats: &[String],
    ) -> Result<(), StoreError> {
        let (FlightId(flight_id), UserId(user_id), BookingId(booking_id)) = (flight, user, booking);
        let mut invocation = MARK_SOLD.prepare_invoke();
        invocation
            .key(self.key("holds", flight_id))
            .key(self.held_key(flight_id, user_id))
            .key(self.key("sold", flight_id))
            .key(self.key("sold-v", flight_id))
            .arg(user_id)
            .arg(booking_id)
            .arg(SOLD_VERSION_TTL.as_millis() as u64);
        for seat in seats {
            invocation.arg(seat);
        }
        let mut conn = self.redis.connection().await?;
        let _: i64 = invocation.invoke_async(&mut conn).await?;
        Ok(())
    }

    /// Seats (seat, booking) were released in Postgres: they are not sold
    /// any more, unless another booking has marked them since.
    #[tracing::instrument(name = "redis.seat_holds.mark_unsold", level = "debug", skip_all, fields(flight_id = flight_id))]
    pub async fn mark_unsold(&self, flight_id: i64, seats: &[(String, i64)]) -> Result<(), StoreError> {
        let mut invocation = MARK_UNSOLD.prepare_invoke();
        invocation
            .key(self.key("sold", flight_id))
            .key(self.key("sold-v", flight_id))
            .arg(SOLD_VERSION_TTL.as_millis() as u64);
        for (seat, booking) in seats {
            invocation.arg(seat).arg(booking);
        }
        let mut conn = self.redis.connection().await?;
        let _: i64 = invocation.invoke_async(&mut conn).await?;
        Ok(())
    }

    /// Drops the copy of what Postgres sold (the flight's status changed,
    /// or Postgres refused a seat the copy showed free).
    #[tracing::instrument(name = "redis.seat_holds.forget_sold", level = "debug", skip_all, fields(flight_id = flight_id))]
    pub async fn forget_sold(&self, flight_id: i64) -> Result<(), StoreError> {
        let mut conn = self.redis.connection().await?;
        let _: i64 = FORGET_SOLD
            .key(self.key("sold", flight_id))
            .key(self.key("sold-v", flight_id))
            .arg(SOLD_VERSION_TTL.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }
}
