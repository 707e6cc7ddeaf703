//! `GET /api/tickets/{ticketId}/invoice`: the GST invoice of the ticket's
//! booking, JSON by default (as stored, with money beside its amounts), a
//! PDF with `Accept: application/pdf`.

use lambda_http::{Body, Request, Response};
use shared::domain::invoice::render_pdf;
use shared::http::views::invoices::InvoiceBody;
use shared::http::{self, path_id};
use shared::service::tickets::invoice_of_ticket;
use shared::{ApiError, Services};

fn wants_pdf(req: &Request) -> bool {
    req.headers()
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|media| media.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/pdf")))
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let ticket_id = path_id(&req, "ticketId")?;
        let invoice = invoice_of_ticket(svc, &caller, ticket_id).await?;
        if !wants_pdf(&req) {
            return Ok(http::json(&InvoiceBody::from(&invoice)));
        }
        let number = invoice.invoice_number.replace('/', "-");
        Response::builder()
            .status(http::StatusCode::OK)
            .header(http::header::CONTENT_TYPE, "application/pdf")
            .header(http::header::CONTENT_DISPOSITION, format!("inline; filename=\"{number}.pdf\""))
            .body(Body::Binary(render_pdf(&invoice)))
            .map_err(ApiError::internal)
    })
    .await
}
