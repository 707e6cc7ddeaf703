//! argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
//! Hashing runs on the blocking pool so it never stalls other requests,
//! at most one hash per core at a time: each hash streams through 19 MiB,
//! and more of them at once than there are cores only evict each other
//! from the CPU caches (16 at once on 2 cores: ~60 logins/s instead of ~80,
//! and 16 × 19 MiB resident).

use crate::ApiError;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{LazyLock, OnceLock};
use tokio::sync::Semaphore;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// One hash per core at a time (a Lambda instance serves one request at a
/// time, so there this never waits).
static HASHING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get())));

async fn on_hashing_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    let _permit = HASHING.acquire().await.map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)
}

pub async fn hash_password(password: &str) -> Result<String, ApiError> {
    let password = password.to_owned();
    on_hashing_pool(move || hash_blocking(&password)).await?
}

fn hash_blocking(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string()).map_err(ApiError::internal)
}

/// Verifies `password` against a stored PHC hash. With `None` (unknown
/// account) it verifies against a dummy hash, so an unknown email costs the
/// same time as a wrong password and does not reveal which emails exist.
pub async fn verify_password(password: &str, stored_hash: Option<&str>) -> Result<bool, ApiError> {
    let password = password.to_owned();
    let stored = stored_hash.map(str::to_owned);
    on_hashing_pool(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
        let parsed =
            PasswordHash::new(&stored).map_err(|e| ApiError::internal(format!("stored hash unreadable: {e}")))?;
        let matches = hasher().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(known && matches)
    })
    .await?
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("dummy password for timing equalisation").expect("hashing a constant succeeds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_use_argon2id_owasp_params() {
        let hash = hash_password("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("correct horse", Some(&hash)).await.unwrap());
        assert!(!verify_password("wrong horse", Some(&hash)).await.unwrap());
        assert!(!verify_password("correct horse", None).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn more_hashes_than_cores_all_finish() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let hashes = (0..cores * 3).map(|i| tokio::spawn(async move { hash_password(&format!("pass-{i}")).await }));
        let done = futures::future::join_all(hashes).await;
        assert_eq!(done.len(), cores * 3);
        for (i, hash) in done.into_iter().enumerate() {
            let hash = hash.expect("a hashing task").expect("a hash");
            assert!(verify_password(&format!("pass-{i}"), Some(&hash)).await.unwrap());
        }
    }
}
