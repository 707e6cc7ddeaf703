//! The `cursor` of a search page: where the next page starts, bound to the
//! query it belongs to (its cache hash), so it cannot be used on another.

use crate::domain::itinerary::MAX_RESULTS;
use crate::{ApiError, ErrorCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub fn encode(query_hash: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{query_hash}:{offset}"))
}

/// The offset a cursor points at, if it belongs to the query.
pub fn decode(cursor: &str, query_hash: &str) -> Result<usize, ApiError> {
    let invalid = || {
        ApiError::bad_request(ErrorCode::InvalidCursor, "cursor is not valid for this search; start again without it")
    };
    let decoded = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| invalid())?;
    let text = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (cursor_hash, offset) = text.split_once(':').ok_or_else(invalid)?;
    if cursor_hash != query_hash {
        return Err(invalid());
    }
    offset.parse::<usize>().ok().filter(|o| *o < MAX_RESULTS).ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::search_request::parse_search_request;
    use std::collections::HashMap;

    #[test]
    fn cursors_belong_to_their_query() {
        let parse = |pairs: &[(&'static str, &'static str)]| {
            let map: HashMap<&str, &str> = pairs.iter().copied().collect();
            parse_search_request(|k| map.get(k).copied()).unwrap()
        };
        let r = parse(&[("source", "DEL"), ("destination", "BOM"), ("date", "2030-01-02")]);
        let cursor = encode(&r.query.hash(), 20);
        assert_eq!(decode(&cursor, &r.query.hash()).unwrap(), 20);
        let other = parse(&[("source", "DEL"), ("destination", "BLR"), ("date", "2030-01-02")]);
        assert_eq!(decode(&cursor, &other.query.hash()).unwrap_err().code(), "INVALID_CURSOR");
    }
}
