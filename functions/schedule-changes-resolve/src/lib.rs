//! `POST /api/schedule-changes/{scheduleChangeId}/accept`, `…/rebook
//! {flightId, seatNumbers?}` and `…/refund`: the customer's one answer to an
//! open schedule change, honouring `Idempotency-Key`. One operation with
//! three options (as `bookings-get` serves two paths), chosen by the path's
//! last segment.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::domain::schedule_change::Resolution;
use shared::http::idempotency::idempotent;
use shared::http::views::schedule_changes::ResolvedChangeBody;
use shared::http::{self, json_body, path_id, Id};
use shared::service::schedule_changes::{resolve_change, RebookRequest};
use shared::{ApiError, Services};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RebookBody {
    flight_id: Id,
    #[serde(default)]
    seat_numbers: Vec<String>,
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let change_id = path_id(&req, "scheduleChangeId")?;
        let option = req.uri().path().trim_end_matches('/').rsplit('/').next().unwrap_or_default();
        let resolution =
            Resolution::parse(option).ok_or_else(|| ApiError::not_found(format!("no option {option:?}")))?;
        let rebook = match resolution {
            Resolution::Rebook => {
                let body: RebookBody = json_body(&req)?;
                Some(RebookRequest { flight_id: body.flight_id.0, seat_numbers: body.seat_numbers })
            }
            Resolution::Accept | Resolution::Refund => None,
        };
        let scope = format!("schedule-changes-{option}");
        idempotent(svc.idempotency_store(), &req, &caller, &scope, || async {
            let resolved = resolve_change(svc, &caller, change_id, resolution, rebook).await?;
            Ok(http::json(&ResolvedChangeBody::from(&resolved)))
        })
        .await
    })
    .await
}
