//! Function package name → the handler its Lambda binary runs. The gateway
//! calls exactly these functions, so local behaviour is the deployed one.

use futures::future::BoxFuture;
use lambda_http::{Body, Request, Response};
use shared::Services;

pub type HttpHandler = for<'a> fn(&'a Services, Request) -> BoxFuture<'a, Result<Response<Body>, lambda_http::Error>>;

pub fn http_handler(package: &str) -> Option<HttpHandler> {
    let handler: HttpHandler = match package {
        "health" => |s, r| Box::pin(health::handle(s, r)),
        "auth-signup" => |s, r| Box::pin(auth_signup::handle(s, r)),
        "auth-login" => |s, r| Box::pin(auth_login::handle(s, r)),
        "auth-jwks" => |s, r| Box::pin(auth_jwks::handle(s, r)),
        "openapi" => |s, r| Box::pin(openapi::handle(s, r)),
        "auth-me" => |s, r| Box::pin(auth_me::handle(s, r)),
        "flights-search" => |s, r| Box::pin(flights_search::handle(s, r)),
        "flights-get" => |s, r| Box::pin(flights_get::handle(s, r)),
        "flights-calendar" => |s, r| Box::pin(flights_calendar::handle(s, r)),
        "flights-cancel" => |s, r| Box::pin(flights_cancel::handle(s, r)),
        "flights-reschedule" => |s, r| Box::pin(flights_reschedule::handle(s, r)),
        "seats-list" => |s, r| Box::pin(seats_list::handle(s, r)),
        "seats-lock" => |s, r| Box::pin(seats_lock::handle(s, r)),
        "seats-release" => |s, r| Box::pin(seats_release::handle(s, r)),
        "bookings-create" => |s, r| Box::pin(bookings_create::handle(s, r)),
        "bookings-get" => |s, r| Box::pin(bookings_get::handle(s, r)),
        "bookings-events" => |s, r| Box::pin(bookings_events::handle(s, r)),
        "bookings-list" => |s, r| Box::pin(bookings_list::handle(s, r)),
        "bookings-cancel" => |s, r| Box::pin(bookings_cancel::handle(s, r)),
        "change-quotes-create" => |s, r| Box::pin(change_quotes_create::handle(s, r)),
        "change-quotes-confirm" => |s, r| Box::pin(change_quotes_confirm::handle(s, r)),
        "bookings-documents" => |s, r| Box::pin(bookings_documents::handle(s, r)),
        "cancellation-quotes-create" => |s, r| Box::pin(cancellation_quotes_create::handle(s, r)),
        "cancellation-quotes-confirm" => |s, r| Box::pin(cancellation_quotes_confirm::handle(s, r)),
        "schedule-changes-list" => |s, r| Box::pin(schedule_changes_list::handle(s, r)),
        "schedule-changes-resolve" => |s, r| Box::pin(schedule_changes_resolve::handle(s, r)),
        "notifications-send" => |s, r| Box::pin(notifications_send::handle(s, r)),
        "notifications-list" => |s, r| Box::pin(notifications_list::handle(s, r)),
        "payments-pay" => |s, r| Box::pin(payments_pay::handle(s, r)),
        "discounts-apply" => |s, r| Box::pin(discounts_apply::handle(s, r)),
        "tickets-generate" => |s, r| Box::pin(tickets_generate::handle(s, r)),
        "tickets-get" => |s, r| Box::pin(tickets_get::handle(s, r)),
        "tickets-invoice" => |s, r| Box::pin(tickets_invoice::handle(s, r)),
        _ => return None,
    };
    Some(handler)
}

pub type ScheduleHandler =
    for<'a> fn(&'a Services, serde_json::Value) -> BoxFuture<'a, Result<serde_json::Value, lambda_runtime::Error>>;

pub fn schedule_handler(package: &str) -> Option<ScheduleHandler> {
    let handler: ScheduleHandler = match package {
        "bookings-expire" => |s, e| Box::pin(bookings_expire::handle(s, e)),
        _ => return None,
    };
    Some(handler)
}

pub type SqsHandler =
    for<'a> fn(
        &'a Services,
        aws_lambda_events::sqs::SqsEvent,
    ) -> BoxFuture<'a, Result<aws_lambda_events::sqs::SqsBatchResponse, lambda_runtime::Error>>;

pub fn sqs_handler(package: &str) -> Option<SqsHandler> {
    let handler: SqsHandler = match package {
        "notifications-deliver" => |s, e| Box::pin(notifications_deliver::handle(s, e)),
        "tickets-issue" => |s, e| Box::pin(tickets_issue::handle(s, e)),
        _ => return None,
    };
    Some(handler)
}

/// Functions with no event source, invoked by hand after a deploy.
pub const MANUAL_FUNCTIONS: &[&str] = &["db-migrate"];
