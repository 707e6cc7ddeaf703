//! In process, the journeys beyond one way: round trips, a three-slice
//! multi-city search and 31-day fare calendars on the busy pairs, uncached
//! and cached (`cache_latency`).

use crate::cache_latency::{self, Measured};
use crate::context::Ctx;
use crate::requests::{handler, lambda_request};
use serde_json::{json, Value};
use shared::http::search_request::{parse_calendar_request, parse_multi_city, parse_search_request, MultiCitySearch};
use std::collections::HashMap;

/// One measured request: what it is, how it is sent, its cache identity.
struct Case {
    kind: &'static str,
    what: String,
    package: &'static str,
    method: &'static str,
    route: &'static str,
    path: String,
    body: Option<String>,
    hash: String,
}

fn params(path: &str) -> HashMap<&str, &str> {
    path.split_once('?').map(|(_, q)| q).unwrap_or("").split('&').filter_map(|kv| kv.split_once('=')).collect()
}

fn cases(ctx: &Ctx) -> Vec<Case> {
    let day = |n: i64| ctx.tomorrow + chrono::Duration::days(n);
    let mut cases = Vec::new();
    for (origin, destination) in [("DEL", "BOM"), ("PAT", "GOI")] {
        let path = format!(
            "/api/flights/search?source={origin}&destination={destination}&date={}&returnDate={}&maxStops=1&sort=price",
            day(0),
            day(2)
        );
        let p = params(&path);
        let hash = parse_search_request(|k| p.get(k).copied()).expect("a valid round trip").query.hash();
        cases.push(Case {
            kind: "roundTrip",
            what: format!("round trip {origin}⇄{destination}, back 2 days later, maxStops=1, sort=price"),
            package: "flights-search",
            method: "GET",
            route: "/api/flights/search",
            path,
            body: None,
            hash,
        });
    }
    let body = json!({"slices": [
        {"source": "DEL", "destination": "BOM", "date": day(0).to_string()},
        {"source": "BOM", "destination": "GOI", "date": day(2).to_string()},
        {"source": "GOI", "destination": "DEL", "date": day(4).to_string()}],
        "maxStops": 1, "sort": "price"})
    .to_string();
    let parsed: MultiCitySearch = serde_json::from_str(&body).expect("a multi-city body");
    cases.push(Case {
        kind: "multiCity",
        what: "multi-city DEL→BOM→GOI→DEL (3 slices), maxStops=1, sort=price".into(),
        package: "flights-search",
        method: "POST",
        route: "/api/flights/search",
        path: "/api/flights/search".into(),
        hash: parse_multi_city(&parsed).expect("a valid multi-city search").query.hash(),
        body: Some(body),
    });
    for (origin, destination) in [("DEL", "BOM"), ("PAT", "GOI")] {
        let path = format!(
            "/api/flights/calendar?source={origin}&destination={destination}&from={}&to={}&maxStops=1",
            day(0),
            day(30)
        );
        let p = params(&path);
        let hash = parse_calendar_request(|k| p.get(k).copied()).expect("a valid calendar").hash();
        cases.push(Case {
            kind: "calendar",
            what: format!("31-day calendar {origin}→{destination}, maxStops=1"),
            package: "flights-calendar",
            method: "GET",
            route: "/api/flights/calendar",
            path,
            body: None,
            hash,
        });
    }
    cases
}

pub async fn measure(ctx: &mut Ctx) -> anyhow::Result<Value> {
    ctx.load_average("in-process trips");
    let token = ctx.users[0].token.clone();
    let mut out = Vec::new();
    for case in cases(ctx) {
        let handle = handler(case.package);
        let keys: Vec<String> =
            ["m", "fl", "q"].iter().map(|k| ctx.svc.redis.key(&format!("{{search}}:{k}:{}", case.hash))).collect();
        let svc = ctx.svc.clone();
        let call = || {
            let request = lambda_request(case.method, case.route, &case.path, &[], Some(&token), case.body.as_deref());
            handle(&svc, request)
        };
        let mut entry = json!({"kind": case.kind, "what": case.what});
        match cache_latency::measure(&mut ctx.redis, &keys, call).await? {
            Measured::Refused(status, first_ms, body) => {
                eprintln!("[bench] {}: {status} after {first_ms:.0} ms: {body}", case.what);
                entry["status"] = json!(status);
                entry["error"] = body["code"].clone();
            }
            Measured::Done(figures) => {
                let found = figures.first["total"]
                    .as_u64()
                    .or_else(|| {
                        figures.first["days"]
                            .as_array()
                            .map(|d| d.iter().filter(|d| !d["price"].is_null()).count() as u64)
                    })
                    .unwrap_or(0);
                eprintln!(
                    "[bench] {}: first call {:.0} ms, {found} found; uncached p50 {:.2} ms p99 {:.2} ms ({}/{} misses); cached p50 {:.3} ms p99 {:.3} ms ({}/{} hits)",
                    case.what, figures.first_ms, figures.uncached.p50_ms, figures.uncached.p99_ms, figures.misses,
                    figures.uncached.count, figures.cached.p50_ms, figures.cached.p99_ms, figures.hits, figures.cached.count
                );
                for (k, v) in figures.to_json().as_object().expect("an object") {
                    entry[k] = v.clone();
                }
                entry["status"] = json!(200);
                entry["found"] = json!(found);
            }
        }
        out.push(entry);
    }
    Ok(json!(out))
}
