//! Everything the functions share: domain logic (pure, no I/O), store adapters
//! (Postgres, Redis, AWS) behind small traits, HTTP plumbing (problem+json,
//! auth, request ids) and the [`Services`] bundle each function builds once.

pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod error_code;
pub mod http;
pub mod service;
pub mod services;
pub mod store;
pub mod telemetry;

pub use config::Config;
pub use error::ApiError;
pub use error_code::ErrorCode;
pub use services::Services;
