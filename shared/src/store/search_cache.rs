//! The flight search cache in Redis.
//!
//! - `q:<hash>`: the sorted itineraries of one normalised query, a LIST of
//!   JSON documents, so a page is one `LRANGE`; `m:<hash>`: how many there
//!   are and the first departure (`<total>:<unix seconds>`); `fl:<hash>`:
//!   a LIST aligned with `q:<hash>`, each item's row of the original's flat
//!   `flights` list (an empty string for a connecting itinerary).
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
use super::StoreError;
use redis::Script;
use std::collections::BTreeSet;
use std::sync::LazyLock;
use std::time::Duration;

static STORE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/search_store.lua")));

static INVALIDATE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/search_invalidate.lua")));

/// Pages this instance answered from Redis lately, with the epoch read
/// before them: while the epoch has not moved no invalidation happened,
/// so the page is still what Redis holds and a hit costs one tiny `GET`
/// instead of moving the whole page (~70 kB on a busy route) out of Redis
/// again. A page is reused only until its Redis entry expires (so its
/// seats-left figures are never older than the cache's TTL) and its first
/// flight departs. Bounded in bytes; the oldest half goes when full.
#[derive(Default)]
pub struct RecentPages {
    pages: std::sync::Mutex<RecentPagesInner>,
}

#[derive(Default)]
struct RecentPagesInner {
    by_key: std::collections::HashMap<(String, usize, usize), RecentPage>,
    bytes: usize,
    tick: u64,
}

#[derive(Clone)]
pub struct RecentPage {
    pub epoch: i64,
    /// Unix milliseconds: the end of the Redis entry or the first departure.
    pub valid_until_ms: i64,
    pub body: std::sync::Arc<str>,
    used: u64,
}

/// What an instance keeps of recent pages at most.
const RECENT_PAGES_MAX_BYTES: usize = 8 * 1024 * 1024;

impl RecentPages {
    pub fn get(&self, hash: &str, offset: usize, limit: usize) -> Option<RecentPage> {
        let mut inner = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        inner.tick += 1;
        let tick = inner.tick;
        let page = inner.by_key.get_mut(&(hash.to_string(), offset, limit))?;
        page.used = tick;
        Some(page.clone())
    }

    pub fn put(&self, hash: &str, offset: usize, limit: usize, epoch: i64, valid_until_ms: i64, body: &str) {
        if body.len() > RECENT_PAGES_MAX_BYTES / 8 {
            return;
        }
        let mut inner = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if inner.bytes + body.len() > RECENT_PAGES_MAX_BYTES {
            let mut ages: Vec<u64> = inner.by_key.values().map(|p| p.used).collect();
            ages.sort_unstable();
            let cutoff = ages[ages.len() / 2];
            inner.by_key.retain(|_, p| p.used > cutoff);
            inner.bytes = inner.by_key.values().map(|p| p.body.len()).sum();
        }
        inner.tick += 1;
        let page = RecentPage { epoch, valid_until_ms, body: std::sync::Arc::from(body), used: inner.tick };
        inner.bytes += body.len();
        if let Some(old) = inner.by_key.insert((hash.to_string(), offset, limit), page) {
            inner.bytes -= old.body.len();
        }
    }
}

pub struct CachedPage {
    pub total: usize,
    pub first_departure: Option<i64>,
    /// The result's written facets (empty for an entry without them).
    pub facets: String,
    /// Unix milliseconds at which the Redis entry expires.
    pub expires_at_ms: i64,
    pub items: Vec<String>,
    /// Per item, its flat row (empty for a connecting itinerary).
    pub flat: Vec<String>,
}

impl CachedPage {
    /// Until when the page may be shown again without asking Redis for
    /// more than the epoch: its entry's end, or its first departure.
    pub fn valid_until_ms(&self) -> i64 {
        self.first_departure.map_or(self.expires_at_ms, |t| self.expires_at_ms.min(t.saturating_mul(1000)))
    }
}

/// What a stored result holds beside its items.
pub struct ResultMeta {
    pub total: usize,
    pub first_departure: Option<i64>,
    /// The written facets of the result (opaque here).
    pub facets: String,
}

/// `<total>:<first departure>:<facets>`.
fn meta_text(meta: &ResultMeta) -> String {
    format!("{}:{}:{}", meta.total, meta.first_departure.map_or(String::new(), |t| t.to_string()), meta.facets)
}

fn parse_meta(text: &str) -> Option<ResultMeta> {
    let (total, rest) = text.split_once(':')?;
    // Entries written before facets existed end after the departure.
    let (first, facets) = rest.split_once(':').unwrap_or((rest, ""));
    Some(ResultMeta {
        total: total.parse().ok()?,
        first_departure: if first.is_empty() { None } else { Some(first.parse().ok()?) },
        facets: facets.to_string(),
    })
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

    /// The invalidation epoch alone.
    #[tracing::instrument(name = "redis.search_cache.epoch", level = "debug", skip_all)]
    pub async fn epoch(&self) -> Result<i64, StoreError> {
        let mut conn = self.redis.connection().await?;
        let epoch: Option<i64> = redis::cmd("GET").arg(self.key("epoch")).query_async(&mut conn).await?;
        self.started(epoch).await
    }

    /// An epoch that Redis lost (a restart without persistence) starts
    /// again at a random value, never at one a page may have been read at:
    /// pages remembered from before must not match it.
    async fn started(&self, epoch: Option<i64>) -> Result<i64, StoreError> {
        if let Some(epoch) = epoch {
            return Ok(epoch);
        }
        let start = rand::Rng::gen_range(&mut rand::thread_rng(), 1i64 << 32..1i64 << 52);
        let mut conn = self.redis.connection().await?;
        let (epoch,): (Option<i64>,) = redis::pipe()
            .cmd("SET")
            .arg(self.key("epoch"))
            .arg(start)
            .arg("NX")
            .ignore()
            .get(self.key("epoch"))
            .query_async(&mut conn)
            .await?;
        Ok(epoch.unwrap_or(start))
    }

    /// The invalidation epoch and one page of a cached result (`None` on a
    /// miss), in one round trip: the epoch is what a miss stores against.
    #[tracing::instrument(name = "redis.search_cache.lookup", level = "debug", skip_all, fields(query_hash = query_hash, offset = offset, limit = limit))]
    pub async fn lookup(
        &self,
        query_hash: &str,
        offset: usize,
        limit: usize,
    ) -> Result<(i64, Option<CachedPage>), StoreError> {
        let mut conn = self.redis.connection().await?;
        type Reply = (Option<i64>, Option<String>, i64, Vec<String>, Vec<String>);
        let (start, end) = (offset as isize, (offset + limit) as isize - 1);
        let meta_key = self.key(&format!("m:{query_hash}"));
        let (epoch, meta, ttl_ms, items, flat): Reply = redis::pipe()
            .get(self.key("epoch"))
            .get(&meta_key)
            .pttl(&meta_key)
            .lrange(self.key(&format!("q:{query_hash}")), start, end)
            .lrange(self.key(&format!("fl:{query_hash}")), start, end)
            .query_async(&mut conn)
            .await?;
        let now_ms = chrono::Utc::now().timestamp_millis();
        let page = match meta.as_deref().and_then(parse_meta) {
            // Every entry is stored with a TTL; one without is not trusted.
            Some(meta) if flat.len() == items.len() && ttl_ms > 0 => Some(CachedPage {
                total: meta.total,
                first_departure: meta.first_departure,
                facets: meta.facets,
                expires_at_ms: now_ms + ttl_ms,
                items,
                flat,
            }),
            _ => None,
        };
        Ok((self.started(epoch).await?, page))
    }

    /// Stores a result unless an invalidation happened since `epoch` was read.
    #[tracing::instrument(name = "redis.search_cache.store", level = "debug", skip_all, fields(query_hash = query_hash, items = items.len()))]
    pub async fn store(
        &self,
        query_hash: &str,
        epoch: i64,
        meta: &ResultMeta,
        items: &[String],
        flat: &[String],
        flight_ids: &BTreeSet<i64>,
    ) -> Result<bool, StoreError> {
        let mut invocation = STORE.prepare_invoke();
        invocation
            .key(self.key("epoch"))
            .key(self.key(&format!("q:{query_hash}")))
            .key(self.key(&format!("m:{query_hash}")))
            .key(self.key(&format!("fl:{query_hash}")));
        for id in flight_ids {
            invocation.key(self.key(&format!("f:{id}")));
        }
        invocation.arg(epoch).arg(self.ttl.as_millis() as u64).arg(meta_text(meta)).arg(query_hash).arg(items.len());
        for item in items.iter().chain(flat) {
            invocation.arg(item);
        }
        let mut conn = self.redis.connection().await?;
        let stored: i64 = invocation.invoke_async(&mut conn).await?;
        Ok(stored == 1)
    }

    /// Drops every cached search that contains the flight; returns how many.
    #[tracing::instrument(name = "redis.search_cache.invalidate_flight", level = "debug", skip_all, fields(flight_id = flight_id))]
    pub async fn invalidate_flight(&self, flight_id: i64) -> Result<usize, StoreError> {
        let mut conn = self.redis.connection().await?;
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
    #[tracing::instrument(name = "redis.search_cache.try_lock", level = "debug", skip_all, fields(query_hash = query_hash))]
    pub async fn try_lock(&self, query_hash: &str) -> Result<bool, StoreError> {
        let mut conn = self.redis.connection().await?;
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

    #[tracing::instrument(name = "redis.search_cache.unlock", level = "debug", skip_all, fields(query_hash = query_hash))]
    pub async fn unlock(&self, query_hash: &str) -> Result<(), StoreError> {
        let mut conn = self.redis.connection().await?;
        let _: i64 = redis::cmd("DEL").arg(self.key(&format!("lock:{query_hash}"))).query_async(&mut conn).await?;
        Ok(())
    }
}
