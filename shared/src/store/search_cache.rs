//! The flight search cache in Redis.
//!
//! - `q:<hash>`: the sorted itineraries of one normalised query, a LIST of
//!   JSON documents, so a page is one `LRANGE`; `m:<hash>`: how many there
//!   are and the first departure (`<total>:<unix seconds>`); `fl:<hash>`:
//!   the flat list of direct flights, as JSON.
//! - `f:<flightId>`: a SET of the query hashes whose results contain the
//!   flight: the reverse index that lets a cancellation, a departure or a
//!   sold-out cabin drop every cached search showing that flight.
//! - `epoch`: bumped by every invalidation. A search reads it *before*
//!   querying Postgres and stores its result only if it is unchanged, so a
//!   result computed before an invalidation can never be cached after it.
//!
//! All keys share the `{search}` hash tag: the scripts touch several keys,
//! which Redis Cluster allows only within one slot.

use super::redis::RedisStore;
use crate::ApiError;
use redis::Script;
use std::collections::BTreeSet;
use std::sync::LazyLock;
use std::time::Duration;

static STORE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        -- KEYS[1] epoch, KEYS[2] items, KEYS[3] meta, KEYS[4] flat flights, KEYS[5..] flight → queries
        -- ARGV[1] epoch read, ARGV[2] ttl ms, ARGV[3] meta, ARGV[4] query hash, ARGV[5] flat flights, ARGV[6..] items
        if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
        redis.call('DEL', KEYS[2])
        if #ARGV >= 6 then
            redis.call('RPUSH', KEYS[2], unpack(ARGV, 6, #ARGV))
            redis.call('PEXPIRE', KEYS[2], ARGV[2])
        end
        redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[2])
        redis.call('SET', KEYS[4], ARGV[5], 'PX', ARGV[2])
        for i = 5, #KEYS do
            redis.call('SADD', KEYS[i], ARGV[4])
            redis.call('PEXPIRE', KEYS[i], ARGV[2])
        end
        return 1",
    )
});

static INVALIDATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        redis.call('INCR', KEYS[1])
        local hashes = redis.call('SMEMBERS', KEYS[2])
        for _, h in ipairs(hashes) do
            redis.call('DEL', ARGV[1] .. h, ARGV[2] .. h, ARGV[3] .. h)
        end
        redis.call('DEL', KEYS[2])
        return #hashes",
    )
});

pub struct CachedPage {
    pub total: usize,
    pub first_departure: Option<i64>,
    pub flights: String,
    pub items: Vec<String>,
}

/// What a stored result holds beside its pages.
pub struct ResultMeta<'a> {
    pub total: usize,
    pub first_departure: Option<i64>,
    /// The flat list of direct flights (JSON).
    pub flights: &'a str,
}

fn meta_text(total: usize, first_departure: Option<i64>) -> String {
    format!("{total}:{}", first_departure.map_or(String::new(), |t| t.to_string()))
}

fn parse_meta(text: &str) -> Option<(usize, Option<i64>)> {
    let (total, first) = text.split_once(':')?;
    Some((total.parse().ok()?, if first.is_empty() { None } else { Some(first.parse().ok()?) }))
}

pub struct SearchCache<'a> {
    redis: &'a RedisStore,
    ttl: Duration,
}

impl<'a> SearchCache<'a> {
    pub fn new(redis: &'a RedisStore, ttl: Duration) -> Self {
        SearchCache { redis, ttl }
    }

    fn key(&self, suffix: &str) -> String {
        self.redis.key(&format!("{{search}}:{suffix}"))
    }

    /// The invalidation epoch and one page of a cached result (`None` on a
    /// miss), in one round trip: the epoch is what a miss stores against.
    pub async fn lookup(
        &self,
        query_hash: &str,
        offset: usize,
        limit: usize,
    ) -> Result<(i64, Option<CachedPage>), ApiError> {
        let mut conn = self.redis.connection();
        type Reply = (Option<i64>, Option<String>, Option<String>, Vec<String>);
        let (epoch, meta, flights, items): Reply = redis::pipe()
            .get(self.key("epoch"))
            .get(self.key(&format!("m:{query_hash}")))
            .get(self.key(&format!("fl:{query_hash}")))
            .lrange(self.key(&format!("q:{query_hash}")), offset as isize, (offset + limit) as isize - 1)
            .query_async(&mut conn)
            .await?;
        let page = match (meta.as_deref().and_then(parse_meta), flights) {
            (Some((total, first_departure)), Some(flights)) => {
                Some(CachedPage { total, first_departure, flights, items })
            }
            _ => None,
        };
        Ok((epoch.unwrap_or(0), page))
    }

    /// Stores a result unless an invalidation happened since `epoch` was read.
    pub async fn store(
        &self,
        query_hash: &str,
        epoch: i64,
        meta: &ResultMeta<'_>,
        items: &[String],
        flight_ids: &BTreeSet<i64>,
    ) -> Result<bool, ApiError> {
        let mut invocation = STORE.prepare_invoke();
        invocation
            .key(self.key("epoch"))
            .key(self.key(&format!("q:{query_hash}")))
            .key(self.key(&format!("m:{query_hash}")))
            .key(self.key(&format!("fl:{query_hash}")));
        for id in flight_ids {
            invocation.key(self.key(&format!("f:{id}")));
        }
        invocation
            .arg(epoch)
            .arg(self.ttl.as_millis() as u64)
            .arg(meta_text(meta.total, meta.first_departure))
            .arg(query_hash)
            .arg(meta.flights);
        for item in items {
            invocation.arg(item);
        }
        let mut conn = self.redis.connection();
        let stored: i64 = invocation.invoke_async(&mut conn).await?;
        Ok(stored == 1)
    }

    /// Drops every cached search that contains the flight; returns how many.
    pub async fn invalidate_flight(&self, flight_id: i64) -> Result<usize, ApiError> {
        let mut conn = self.redis.connection();
        let dropped: i64 = INVALIDATE
            .key(self.key("epoch"))
            .key(self.key(&format!("f:{flight_id}")))
            .arg(self.key("q:"))
            .arg(self.key("m:"))
            .arg(self.key("fl:"))
            .invoke_async(&mut conn)
            .await?;
        Ok(dropped as usize)
    }

    /// Single flight: the first request for a missing key computes it.
    pub async fn try_lock(&self, query_hash: &str) -> Result<bool, ApiError> {
        let mut conn = self.redis.connection();
        let acquired: Option<String> = redis::cmd("SET")
            .arg(self.key(&format!("lock:{query_hash}")))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(5000)
            .query_async(&mut conn)
            .await?;
        Ok(acquired.is_some())
    }

    pub async fn unlock(&self, query_hash: &str) -> Result<(), ApiError> {
        let mut conn = self.redis.connection();
        let _: i64 = redis::cmd("DEL").arg(self.key(&format!("lock:{query_hash}"))).query_async(&mut conn).await?;
        Ok(())
    }
}
