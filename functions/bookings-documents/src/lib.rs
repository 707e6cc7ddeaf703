//! `GET /api/bookings/{bookingId}/documents`: the booking's GST documents
//! (its invoice, then its credit notes) as issued; owner only (`404` for
//! others). With `?number=` one document: JSON, or its PDF with
//! `Accept: application/pdf` (as `tickets-invoice`) or `?format=pdf`.

use lambda_http::{Body, Request, Response};
use shared::http::views::documents::{BookingDocumentsBody, DocumentBody};
use shared::http::{self, path_id, query_param};
use shared::service::documents::{booking_document, booking_documents};
use shared::{ApiError, Services};

fn wants_pdf(req: &Request) -> bool {
    let accepts_pdf = req
        .headers()
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|media| media.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/pdf")));
    accepts_pdf || query_param(req, "format").is_some_and(|f| f.eq_ignore_ascii_case("pdf"))
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let booking_id = path_id(&req, "bookingId")?;
        let Some(number) = query_param(&req, "number") else {
            if wants_pdf(&req) {
                return Err(ApiError::invalid_field("number", "a PDF is of one document: give its number"));
            }
            let documents = booking_documents(svc, &caller, booking_id).await?;
            return Ok(http::json(&BookingDocumentsBody::new(&documents)));
        };
        let document = booking_document(svc, &caller, booking_id, number).await?;
        if !wants_pdf(&req) {
            return Ok(http::json(&DocumentBody::new(&document)));
        }
        let filename = document.number().replace('/', "-");
        Response::builder()
            .status(http::StatusCode::OK)
            .header(http::header::CONTENT_TYPE, "application/pdf")
            .header(http::header::CONTENT_DISPOSITION, format!("inline; filename=\"{filename}.pdf\""))
            .body(Body::Binary(document.render_pdf()))
            .map_err(ApiError::internal)
    })
    .await
}
