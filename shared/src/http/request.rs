//! Reading the parts of a request that are not its body.

use crate::ApiError;
use crate::ErrorCode;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// Facts about a request used for logging, throttling and tracing.
#[derive(Clone, Debug)]
pub struct RequestMeta {
    /// API Gateway's request id (emulated by the local gateway), falling back
    /// to the Lambda invocation id, so every log line and response can be
    /// matched to an API Gateway access log entry.
    pub request_id: String,
    pub source_ip: Option<String>,
}

impl RequestMeta {
    pub fn of(req: &Request) -> Self {
        let gateway = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => Some(ctx),
            _ => None,
        };
        let request_id = gateway
            .and_then(|ctx| ctx.request_id.clone())
            .or_else(|| req.lambda_context_ref().map(|ctx| ctx.request_id.clone()))
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let source_ip = gateway.and_then(|ctx| ctx.http.source_ip.clone());
        RequestMeta { request_id, source_ip }
    }
}

/// A positive integer id from a path parameter, e.g. `{bookingId}`.
pub fn path_id(req: &Request, name: &str) -> Result<i64, ApiError> {
    let raw = req.path_parameters_ref().and_then(|params| params.first(name)).ok_or_else(|| {
        ApiError::bad_request(ErrorCode::MissingParameter, format!("path parameter {name} is required"))
    })?;
    parse_id(raw).ok_or_else(|| ApiError::invalid_field(name, format!("expected a positive integer id, got {raw:?}")))
}

pub fn parse_id(raw: &str) -> Option<i64> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    trimmed.parse::<i64>().ok().filter(|id| *id > 0)
}

/// One query string parameter, `None` when absent or empty.
pub fn query_param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.query_string_parameters_ref().and_then(|params| params.first(name)).map(str::trim).filter(|v| !v.is_empty())
}

/// `?limit=` of a list route: 1 to 100, default 20.
pub fn page_limit(req: &Request) -> Result<usize, ApiError> {
    match query_param(req, "limit") {
        None => Ok(20),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| ApiError::invalid_field("limit", "expected an integer from 1 to 100")),
    }
}

pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_decimal_integers() {
        assert_eq!(parse_id("1"), Some(1));
        assert_eq!(parse_id(" 42 "), Some(42));
        for bad in ["0", "-1", "1.5", "abc", "", "1e3", "99999999999999999999", "+1"] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
    }
}
