//! JSON request bodies: size limit, content type, and errors that name the
//! offending field.

use crate::ApiError;
use crate::ErrorCode;
use lambda_http::{Body, Request};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

/// Bodies above this are refused before parsing; no route needs more.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    if let Some(content_type) = req.headers().get(http::header::CONTENT_TYPE) {
        let content_type = content_type.to_str().unwrap_or_default().to_ascii_lowercase();
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        if !(media_type == "application/json" || media_type.ends_with("+json")) {
            return Err(ApiError::UnsupportedMediaType(format!(
                "expected Content-Type: application/json, got {media_type:?}"
            )));
        }
    }
    let bytes: &[u8] = match req.body() {
        Body::Empty => b"",
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES });
    }
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(ApiError::bad_request(ErrorCode::InvalidJson, "a JSON request body is required")),
        // serde would read a struct from an array positionally; no route takes one.
        Some(b'[') => {
            return Err(ApiError::bad_request(ErrorCode::InvalidJson, "the body must be a JSON object, not an array"))
        }
        Some(_) => {}
    }
    // Syntax first, so a truncated body is INVALID_JSON even where a field's
    // own deserializer would have reported it as a bad value.
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Err(ApiError::bad_request(ErrorCode::InvalidJson, format!("the body is not valid JSON: {e}")));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let detail = if inner.is_syntax() || inner.is_eof() {
            format!("the body is not valid JSON: {inner}")
        } else if path == "." {
            format!("the body does not match the expected shape: {inner}")
        } else {
            format!("{path}: {inner}")
        };
        ApiError::bad_request(if inner.is_data() { ErrorCode::InvalidField } else { ErrorCode::InvalidJson }, detail)
    })?;
    deserializer.end().map_err(|e| {
        ApiError::bad_request(ErrorCode::InvalidJson, format!("trailing characters after the JSON body: {e}"))
    })?;
    Ok(value)
}

/// An integer id that also accepts a numeric string (`1` or `"1"`), as the
/// original specification's Postman collection sends both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Id(pub i64);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Text(String),
            Other(serde::de::IgnoredAny),
        }
        let invalid = || serde::de::Error::custom("expected a positive integer id");
        match Raw::deserialize(deserializer).map_err(|_| invalid())? {
            Raw::Int(n) if n > 0 => Ok(Id(n)),
            Raw::Text(s) => super::request::parse_id(&s).map(Id).ok_or_else(invalid),
            _ => Err(invalid()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(content_type: Option<&str>, body: &str) -> Request {
        let mut builder = http::Request::builder().method("POST").uri("/x");
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        builder.body(Body::Text(body.into())).unwrap()
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        user_id: Id,
        #[allow(dead_code)]
        name: String,
    }

    #[test]
    fn accepts_numeric_strings_as_ids() {
        let s: Sample = json_body(&request(Some("application/json"), r#"{"userId":"7","name":"a","x":1}"#)).unwrap();
        assert_eq!(s.user_id, Id(7));
    }

    #[test]
    fn names_the_bad_field() {
        let err = json_body::<Sample>(&request(None, r#"{"userId":"seven","name":"a"}"#)).unwrap_err();
        assert_eq!(err.code(), "INVALID_FIELD");
        assert!(err.to_string().starts_with("userId:"), "{err}");
        let err = json_body::<Sample>(&request(None, r#"{"userId":1}"#)).unwrap_err();
        assert!(err.to_string().contains("name"), "{err}");
    }

    #[test]
    fn rejects_bad_bodies_with_4xx() {
        let cases = [
            (Some("text/plain"), "{}", 415),
            (None, "", 400),
            (None, "{", 400),
            (None, "[1,2]", 400),
            (None, r#"{"userId":1,"name":"a"} x"#, 400),
            (None, r#"{"userId":-1,"name":"a"}"#, 400),
            (None, r#"{"userId":1.5,"name":"a"}"#, 400),
        ];
        for (ct, body, status) in cases {
            let err = json_body::<Sample>(&request(ct, body)).unwrap_err();
            assert_eq!(err.status().as_u16(), status, "{body}: {err}");
        }
        let deep = "[".repeat(10_000);
        assert_eq!(json_body::<Sample>(&request(None, &deep)).unwrap_err().status(), 400);
        let huge = format!(r#"{{"userId":1,"name":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
        assert_eq!(json_body::<Sample>(&request(None, &huge)).unwrap_err().status(), 413);
    }
}
