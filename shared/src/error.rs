//! The one error type of the API. Every expected failure is a variant that
//! knows its HTTP status and its stable `code`; it is rendered once, as
//! RFC 9457 problem details, by [`crate::http::problem`].

use crate::store::notification_log;
use crate::store::rate_limit::LimitError;
use crate::store::secrets::SecretError;
use crate::store::StoreError;
use crate::ErrorCode;
use http::StatusCode;
use serde_json::{Map, Value};

/// Seconds a client should wait before retrying after a dependency outage.
pub const DEPENDENCY_RETRY_AFTER_SECS: u64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed request: bad JSON, a missing or ill-typed field, a bad date.
    #[error("{detail}")]
    BadRequest { code: ErrorCode, detail: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The request conflicts with the current state (seat taken, already paid).
    #[error("{detail}")]
    Conflict { code: ErrorCode, detail: String, extensions: Map<String, Value> },
    /// Well-formed, but not applicable (amount mismatch, discount not valid).
    #[error("{detail}")]
    Unprocessable { code: ErrorCode, detail: String, extensions: Map<String, Value> },
    #[error("{detail}")]
    PaymentRequired { code: ErrorCode, detail: String, extensions: Map<String, Value> },
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{detail}")]
    RateLimited { detail: String, retry_after_secs: u64 },
    /// A dependency is down or too slow; nothing was left half-done.
    #[error("{dependency} is unavailable: {reason}")]
    Unavailable { dependency: &'static str, reason: String },
    /// A dependency failed after the change may have been made (a commit,
    /// then a deadline or a failed read): the client is told so, and how to
    /// learn the outcome, instead of "nothing was changed".
    #[error("{0}")]
    OutcomeUnknown(String),
    /// A bug. Logged with its cause; the client only sees a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn outcome_unknown(detail: impl Into<String>) -> Self {
        Self::OutcomeUnknown(detail.into())
    }

    pub fn bad_request(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::BadRequest { code, detail: detail.into() }
    }

    pub fn invalid_field(field: &str, reason: impl std::fmt::Display) -> Self {
        Self::bad_request(ErrorCode::InvalidField, format!("{field}: {reason}"))
    }

    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::Conflict { code, detail: detail.into(), extensions: Map::new() }
    }

    pub fn unprocessable(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::Unprocessable { code, detail: detail.into(), extensions: Map::new() }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    pub fn unavailable(dependency: &'static str, reason: impl std::fmt::Display) -> Self {
        Self::Unavailable { dependency, reason: reason.to_string() }
    }

    pub fn internal(reason: impl std::fmt::Display) -> Self {
        Self::Internal(reason.to_string())
    }

    /// Adds a machine-readable member to the problem document (e.g. `seats`).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        if let Self::Conflict { extensions, .. }
        | Self::Unprocessable { extensions, .. }
        | Self::PaymentRequired { extensions, .. } = &mut self
        {
            extensions.insert(key.to_string(), value.into());
        }
        self
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PaymentRequired { .. } => StatusCode::PAYMENT_REQUIRED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } | Self::OutcomeUnknown(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable UPPER_SNAKE identifier clients can switch on.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    pub fn error_code(&self) -> ErrorCode {
        match self {
            Self::BadRequest { code, .. }
            | Self::Conflict { code, .. }
            | Self::Unprocessable { code, .. }
            | Self::PaymentRequired { code, .. } => *code,
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::MethodNotAllowed(_) => ErrorCode::MethodNotAllowed,
            Self::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Unavailable { .. } | Self::OutcomeUnknown(_) => ErrorCode::ServiceUnavailable,
            Self::Internal(_) => ErrorCode::InternalError,
        }
    }

    /// What the client is told. Internal causes stay in the logs.
    pub fn public_detail(&self) -> String {
        match self {
            Self::Internal(_) => "An unexpected error occurred; it has been logged.".into(),
            Self::Unavailable { dependency, .. } => {
                format!("A dependency ({dependency}) is unavailable; nothing was changed. Retry shortly.")
            }
            other => other.to_string(),
        }
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs, .. } => Some(*retry_after_secs),
            Self::Unavailable { .. } | Self::OutcomeUnknown(_) => Some(DEPENDENCY_RETRY_AFTER_SECS),
            _ => None,
        }
    }

    pub fn extensions(&self) -> Option<&Map<String, Value>> {
        match self {
            Self::Conflict { extensions, .. }
            | Self::Unprocessable { extensions, .. }
            | Self::PaymentRequired { extensions, .. } => Some(extensions),
            _ => None,
        }
    }
}

/// The store layer's failures, mapped once: an outage is a `503` with
/// `Retry-After`, anything else a logged `500`.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable { dependency, reason } => Self::Unavailable { dependency, reason },
            StoreError::Internal(reason) => Self::Internal(reason),
        }
    }
}

// Services that run SQL or Redis commands of their own (a transaction they
// drive) get the same mapping through `StoreError`.

impl From<crate::domain::accounts::InvalidAccountInput> for ApiError {
    fn from(e: crate::domain::accounts::InvalidAccountInput) -> Self {
        use crate::domain::accounts::InvalidAccountInput;
        match e {
            InvalidAccountInput::Field { field, reason } => Self::invalid_field(field, reason),
            InvalidAccountInput::WeakPassword(_) => Self::bad_request(ErrorCode::WeakPassword, e.to_string()),
        }
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::from(e).into()
    }
}

impl From<redis::RedisError> for ApiError {
    fn from(e: redis::RedisError) -> Self {
        StoreError::from(e).into()
    }
}

impl From<SecretError> for ApiError {
    fn from(e: SecretError) -> Self {
        StoreError::from(e).into()
    }
}

// Store outcomes the client is told about.

/// A counter over its limit: `429` with `Retry-After`.
impl From<LimitError> for ApiError {
    fn from(e: LimitError) -> Self {
        match e {
            LimitError::Exceeded { detail, retry_after_secs } => Self::RateLimited { detail, retry_after_secs },
            LimitError::Store(e) => e.into(),
        }
    }
}

impl From<notification_log::ListError> for ApiError {
    fn from(e: notification_log::ListError) -> Self {
        match e {
            notification_log::ListError::InvalidCursor => Self::bad_request(ErrorCode::InvalidCursor, e.to_string()),
            notification_log::ListError::Store(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_account_input_is_a_400_with_its_code() {
        use crate::domain::accounts::{check_password_policy, normalize_email};
        let weak = ApiError::from(check_password_policy("password", "x@example.com").unwrap_err());
        assert_eq!((weak.status(), weak.code()), (StatusCode::BAD_REQUEST, "WEAK_PASSWORD"));
        assert!(weak.public_detail().starts_with("password: "), "{}", weak.public_detail());
        let email = ApiError::from(normalize_email("nope").unwrap_err());
        assert_eq!((email.status(), email.code()), (StatusCode::BAD_REQUEST, "INVALID_FIELD"));
        assert!(email.public_detail().starts_with("email: "), "{}", email.public_detail());
    }

    #[test]
    fn statuses_and_codes() {
        let e = ApiError::conflict(ErrorCode::SeatUnavailable, "seat 1A is taken").with("seats", vec!["1A"]);
        assert_eq!(e.status(), StatusCode::CONFLICT);
        assert_eq!(e.code(), "SEAT_UNAVAILABLE");
        assert_eq!(e.extensions().unwrap()["seats"], serde_json::json!(["1A"]));
        assert_eq!(ApiError::unavailable("redis", "down").retry_after_secs(), Some(2));
        assert_eq!(ApiError::internal("secret cause").status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!ApiError::internal("secret cause").public_detail().contains("secret"));
    }

    #[test]
    fn store_errors_and_outcomes_map_to_their_statuses() {
        let outage = ApiError::from(StoreError::unavailable("redis", "connection refused"));
        assert_eq!(outage.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(outage.retry_after_secs(), Some(2));
        let bug = ApiError::from(StoreError::internal("postgres: syntax error"));
        assert_eq!(bug.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!bug.public_detail().contains("syntax"));
        let limited = ApiError::from(LimitError::Exceeded { detail: "too many".into(), retry_after_secs: 7 });
        assert_eq!((limited.status(), limited.retry_after_secs()), (StatusCode::TOO_MANY_REQUESTS, Some(7)));
        let cursor = ApiError::from(notification_log::ListError::InvalidCursor);
        assert_eq!((cursor.status(), cursor.code()), (StatusCode::BAD_REQUEST, "INVALID_CURSOR"));
    }
}
