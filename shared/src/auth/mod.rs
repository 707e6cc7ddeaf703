//! Credentials: password hashing and signed access tokens.

pub mod accounts;
pub mod caller;
pub mod keys;
pub mod password;
pub mod tokens;
