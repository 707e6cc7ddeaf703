//! Accounts: what an account is (as anyone but its password sees it) and
//! the rules for its fields: email, display name, password policy.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "customer" => Some(Role::Customer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// An account without its credentials: what sign-up, log-in and `auth-me`
/// answer with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

pub const MIN_PASSWORD_CHARS: usize = 6;
pub const MAX_PASSWORD_CHARS: usize = 128;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_EMAIL_CHARS: usize = 254;

/// Passwords refused whatever their length: the most common ones in public
/// breach corpora. The original walkthrough's `test123` is deliberately not
/// on it (the minimum length is 6 for the same reason).
const COMMON_PASSWORDS: &[&str] = &[
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "password",
    "password1",
    "password123",
    "qwerty",
    "qwerty123",
    "qwertyuiop",
    "abc123",
    "111111",
    "000000",
    "123123",
    "654321",
    "666666",
    "121212",
    "112233",
    "123321",
    "iloveyou",
    "admin",
    "admin123",
    "welcome",
    "welcome1",
    "letmein",
    "monkey",
    "dragon",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "master",
    "shadow",
    "superman",
    "michael",
    "passw0rd",
    "trustno1",
    "1q2w3e4r",
    "1q2w3e",
    "zaq12wsx",
    "asdfgh",
    "asdfghjkl",
    "aa123456",
    "secret",
    "changeme",
    "default",
    "login",
    "starwars",
    "whatever",
    "freedom",
    "hello123",
    "charlie",
    "donald",
    "loveme",
    "987654321",
    "7777777",
    "555555",
    "888888",
    "999999",
    "qazwsx",
    "computer",
    "flower",
    "hottie",
    "jordan23",
];

/// Why an account's input is refused (the HTTP layer makes it a `400`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAccountInput {
    #[error("{field}: {reason}")]
    Field { field: &'static str, reason: String },
    /// The password breaks the policy; the text says how.
    #[error("password: {0}")]
    WeakPassword(String),
}

fn invalid_field(field: &'static str, reason: impl Into<String>) -> InvalidAccountInput {
    InvalidAccountInput::Field { field, reason: reason.into() }
}

/// Trims and lower-cases an email and checks its shape. Deliverability is
/// not checked (no network); the shape check stops obvious typos and junk.
pub fn normalize_email(raw: &str) -> Result<String, InvalidAccountInput> {
    let email = raw.trim().to_lowercase();
    let invalid = |reason: &str| invalid_field("email", reason);
    if email.is_empty() {
        return Err(invalid("is required"));
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(invalid("is too long"));
    }
    let (local, domain) = email.split_once('@').ok_or_else(|| invalid("must look like name@example.com"))?;
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2 && labels.iter().all(|l| label_ok(l));
    if !local_ok || !domain_ok {
        return Err(invalid("must look like name@example.com"));
    }
    Ok(email)
}

/// A display name: trimmed, 1–100 characters, no control characters.
pub fn normalize_name(raw: &str) -> Result<String, InvalidAccountInput> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(invalid_field("name", "is required"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid_field("name", format!("must be at most {MAX_NAME_CHARS} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid_field("name", "must not contain control characters"));
    }
    Ok(name.to_string())
}

pub fn check_password_policy(password: &str, email: &str) -> Result<(), InvalidAccountInput> {
    let weak = InvalidAccountInput::WeakPassword;
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(weak(format!("must be at least {MIN_PASSWORD_CHARS} characters")));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(weak(format!("must be at most {MAX_PASSWORD_CHARS} characters")));
    }
    let lowered = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lowered.as_str()) {
        return Err(weak("is one of the most common passwords; choose another".into()));
    }
    if password.chars().all(|c| c == password.chars().next().unwrap_or(' ')) {
        return Err(weak("must not be one repeated character".into()));
    }
    let local_part = email.split('@').next().unwrap_or_default();
    if !local_part.is_empty() && (lowered == email || lowered == local_part) {
        return Err(weak("must not be your email address".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_shape_checked() {
        assert_eq!(normalize_email("  John@Example.COM ").unwrap(), "john@example.com");
        assert_eq!(normalize_email("a.b+tag@mail.co.in").unwrap(), "a.b+tag@mail.co.in");
        for bad in [
            "",
            "john",
            "john@",
            "@example.com",
            "john@example",
            "jo hn@example.com",
            "john@@example.com",
            "john@-example.com",
            ".john@example.com",
            "john..x@example.com",
            "john@example..com",
            "john'; DROP TABLE users;--@x.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} accepted");
        }
        assert!(normalize_email(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(normalize_name("  John  ").unwrap(), "John");
        assert_eq!(normalize_name("Zoë 李").unwrap(), "Zoë 李");
        assert!(normalize_name("   ").is_err());
        assert!(normalize_name("a\u{0000}b").is_err());
        assert!(normalize_name(&"x".repeat(101)).is_err());
    }

    #[test]
    fn password_policy_keeps_the_walkthrough_working() {
        assert!(check_password_policy("test123", "john@example.com").is_ok());
        assert!(check_password_policy("correct horse battery", "john@example.com").is_ok());
        for (bad, why) in [
            ("12345", "short"),
            ("password", "common"),
            ("Password1", "common"),
            ("aaaaaaaa", "repeated"),
            ("johnny", "email"),
            ("x".repeat(129).as_str(), "long"),
        ] {
            let err = check_password_policy(bad, "johnny@example.com").unwrap_err();
            assert!(matches!(err, InvalidAccountInput::WeakPassword(_)), "{why}: {err:?}");
        }
    }
}
