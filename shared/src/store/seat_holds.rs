//! Seat holds in Redis: the fast path that makes locking race-free.
//!
//! Per flight, all keys share the hash tag `{f<flightId>}` so each script
//! runs on one Redis Cluster slot:
//! - `seat:{f}:<seat>` → the holder's user id, with the hold's TTL;
//! - `held:{f}:<userId>` → the seats a user holds on the flight (for the
//!   per-user cap and for bookings by count; entries are verified on read);
//! - `hold:{f}:<holdId>` → the user and seats of one lock request, so a
//!   hold can be released by its id.
//!
//! Locking is one script: every seat free or already the caller's, and the
//! cap respected, or nothing changes.

use super::redis::RedisStore;
use crate::ApiError;
use redis::Script;
use std::sync::LazyLock;
use std::time::Duration;

/// The hold script's source; the benchmark loads the same text as the
/// `redis-benchmark` EVALSHA ceiling.
pub const HOLD_SCRIPT: &str = r"
        -- KEYS[1] held set, KEYS[2] hold record, KEYS[3..] seat keys
        -- ARGV[1] user, ARGV[2] ttl ms, ARGV[3] cap, ARGV[4] seat key prefix, ARGV[5..] seats
        local user = ARGV[1]
        local taken = {}
        local new = 0
        for i = 3, #KEYS do
            local owner = redis.call('GET', KEYS[i])
            if owner and owner ~= user then
                table.insert(taken, ARGV[i + 2])
            elseif not owner then
                new = new + 1
            end
        end
        if #taken > 0 then
            table.insert(taken, 1, 'TAKEN')
            return taken
        end
        local still_held = 0
        for _, seat in ipairs(redis.call('SMEMBERS', KEYS[1])) do
            if redis.call('GET', ARGV[4] .. seat) == user then
                still_held = still_held + 1
            else
                redis.call('SREM', KEYS[1], seat)
            end
        end
        if still_held + new > tonumber(ARGV[3]) then
            return {'CAP', tostring(still_held)}
        end
        for i = 3, #KEYS do
            redis.call('SET', KEYS[i], user, 'PX', ARGV[2])
            redis.call('SADD', KEYS[1], ARGV[i + 2])
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        redis.call('HSET', KEYS[2], 'user', user, 'seats', table.concat(ARGV, ',', 5))
        redis.call('PEXPIRE', KEYS[2], ARGV[2])
        return {'OK'}";

static HOLD: LazyLock<Script> = LazyLock::new(|| Script::new(HOLD_SCRIPT));

static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        -- KEYS[1] held set, KEYS[2..] seat keys; ARGV[1] user, ARGV[2..] seats
        local released = {}
        for i = 2, #KEYS do
            if redis.call('GET', KEYS[i]) == ARGV[1] then
                redis.call('DEL', KEYS[i])
                table.insert(released, ARGV[i])
            end
            redis.call('SREM', KEYS[1], ARGV[i])
        end
        return released",
    )
});

#[derive(Debug, PartialEq, Eq)]
pub enum HoldOutcome {
    Held,
    /// Seats held by someone else; nothing was held.
    Taken(Vec<String>),
    /// The caller would exceed the per-flight cap; `already` are held.
    OverCap {
        already: usize,
    },
}

pub struct SeatHolds<'a> {
    redis: &'a RedisStore,
}

impl<'a> SeatHolds<'a> {
    pub fn new(redis: &'a RedisStore) -> Self {
        SeatHolds { redis }
    }

    fn tag(flight_id: i64) -> String {
        format!("{{f{flight_id}}}")
    }

    fn seat_prefix(&self, flight_id: i64) -> String {
        self.redis.key(&format!("seat:{}:", Self::tag(flight_id)))
    }

    fn seat_key(&self, flight_id: i64, seat: &str) -> String {
        format!("{}{seat}", self.seat_prefix(flight_id))
    }

    fn held_key(&self, flight_id: i64, user_id: i64) -> String {
        self.redis.key(&format!("held:{}:{user_id}", Self::tag(flight_id)))
    }

    fn hold_key(&self, flight_id: i64, hold_id: &str) -> String {
        self.redis.key(&format!("hold:{}:{hold_id}", Self::tag(flight_id)))
    }

    pub async fn hold(
        &self,
        flight_id: i64,
        user_id: i64,
        hold_id: &str,
        seats: &[String],
        ttl: Duration,
        cap: usize,
    ) -> Result<HoldOutcome, ApiError> {
        let mut invocation = HOLD.prepare_invoke();
        invocation.key(self.held_key(flight_id, user_id)).key(self.hold_key(flight_id, hold_id));
        for seat in seats {
            invocation.key(self.seat_key(flight_id, seat));
        }
        invocation.arg(user_id).arg(ttl.as_millis() as u64).arg(cap).arg(self.seat_prefix(flight_id));
        for seat in seats {
            invocation.arg(seat);
        }
        let mut conn = self.redis.connection();
        let reply: Vec<String> = invocation.invoke_async(&mut conn).await?;
        match reply.first().map(String::as_str) {
            Some("OK") => Ok(HoldOutcome::Held),
            Some("TAKEN") => Ok(HoldOutcome::Taken(reply[1..].to_vec())),
            Some("CAP") => Ok(HoldOutcome::OverCap { already: reply.get(1).and_then(|n| n.parse().ok()).unwrap_or(0) }),
            other => Err(ApiError::internal(format!("unexpected hold script reply {other:?}"))),
        }
    }

    /// Releases the seats the user holds among `seats`; returns those released.
    pub async fn release(&self, flight_id: i64, user_id: i64, seats: &[String]) -> Result<Vec<String>, ApiError> {
        if seats.is_empty() {
            return Ok(Vec::new());
        }
        let mut invocation = RELEASE.prepare_invoke();
        invocation.key(self.held_key(flight_id, user_id));
        for seat in seats {
            invocation.key(self.seat_key(flight_id, seat));
        }
        invocation.arg(user_id);
        for seat in seats {
            invocation.arg(seat);
        }
        let mut conn = self.redis.connection();
        Ok(invocation.invoke_async(&mut conn).await?)
    }

    /// The owner and seats of a hold id, if it still exists.
    pub async fn hold_record(&self, flight_id: i64, hold_id: &str) -> Result<Option<(i64, Vec<String>)>, ApiError> {
        let mut conn = self.redis.connection();
        let (user, seats): (Option<i64>, Option<String>) = redis::cmd("HMGET")
            .arg(self.hold_key(flight_id, hold_id))
            .arg("user")
            .arg("seats")
            .query_async(&mut conn)
            .await?;
        Ok(user
            .map(|u| (u, seats.unwrap_or_default().split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect())))
    }

    pub async fn forget_hold(&self, flight_id: i64, hold_id: &str) -> Result<(), ApiError> {
        let mut conn = self.redis.connection();
        let _: i64 = redis::cmd("DEL").arg(self.hold_key(flight_id, hold_id)).query_async(&mut conn).await?;
        Ok(())
    }

    /// Holder of each seat (`None` when free), in the order given.
    pub async fn holders(&self, flight_id: i64, seats: &[String]) -> Result<Vec<Option<i64>>, ApiError> {
        if seats.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = seats.iter().map(|s| self.seat_key(flight_id, s)).collect();
        let mut conn = self.redis.connection();
        Ok(redis::cmd("MGET").arg(&keys).query_async(&mut conn).await?)
    }

    /// The seats the user still holds on the flight, with the earliest expiry.
    pub async fn held_by(&self, flight_id: i64, user_id: i64) -> Result<(Vec<String>, Option<Duration>), ApiError> {
        let mut conn = self.redis.connection();
        let mut seats: Vec<String> =
            redis::cmd("SMEMBERS").arg(self.held_key(flight_id, user_id)).query_async(&mut conn).await?;
        if seats.is_empty() {
            return Ok((seats, None));
        }
        seats.sort();
        let mut pipe = redis::pipe();
        for seat in &seats {
            pipe.get(self.seat_key(flight_id, seat)).cmd("PTTL").arg(self.seat_key(flight_id, seat));
        }
        let replies: Vec<(Option<i64>, i64)> = pipe.query_async(&mut conn).await?;
        let mut mine = Vec::new();
        let mut earliest: Option<i64> = None;
        for (seat, (owner, ttl)) in seats.into_iter().zip(replies) {
            if owner == Some(user_id) && ttl > 0 {
                mine.push(seat);
                earliest = Some(earliest.map_or(ttl, |e| e.min(ttl)));
            }
        }
        Ok((mine, earliest.map(|ms| Duration::from_millis(ms as u64))))
    }
}
