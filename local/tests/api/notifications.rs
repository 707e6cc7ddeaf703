//! Notifications: send (SNS) → queue (SQS, raw delivery) → deliver (mock
//! email/SMS, DynamoDB log) → list, against the real emulator.

use crate::support::*;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::types::QueueAttributeName;
use chrono::{DateTime, Duration as TimeDelta, Utc};
use local_stack::registry::{http_handler, sqs_handler};
use serde_json::{json, Value};
use shared::auth::tokens::Role;
use shared::service::notifications::{deliver, Channel, Notification, NotificationKind};
use shared::store::notification_log::{DeliveredNotification, NotificationLog};
use std::collections::HashSet;
use std::time::{Duration, Instant};

async fn send(stack: &TestStack, token: &str, body: Value) -> (u16, Value) {
    let handler = http_handler("notifications-send").unwrap();
    call(handler, stack, "POST", "/api/notifications/send", &[], Some(body), token).await
}

async fn list(stack: &TestStack, token: &str, query: &str) -> (u16, Value) {
    let handler = http_handler("notifications-list").unwrap();
    let path = format!("/api/notifications{query}");
    call(handler, stack, "GET", &path, &[], None, token).await
}

/// The caller's whole log, following cursors.
async fn list_all(stack: &TestStack, token: &str) -> Vec<Value> {
    let (status, page) = list(stack, token, "?limit=100").await;
    assert_eq!(status, 200, "{page}");
    assert!(page["nextCursor"].is_null(), "{page}");
    page["notifications"].as_array().unwrap().clone()
}

/// An SQS event as Lambda hands it over: (message id, body) per record.
fn sqs_event(records: &[(&str, &str)]) -> SqsEvent {
    let records: Vec<Value> = records
        .iter()
        .map(|(id, body)| {
            json!({
                "messageId": id,
                "receiptHandle": format!("handle-{id}"),
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:ap-south-1:123456789012:notifications",
                "awsRegion": "ap-south-1",
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

async fn run_deliver(stack: &TestStack, event: SqsEvent) -> SqsBatchResponse {
    let handler = sqs_handler("notifications-deliver").unwrap();
    handler(&stack.services, event).await.unwrap()
}

fn failed_ids(response: &SqsBatchResponse) -> Vec<String> {
    let mut ids: Vec<String> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    ids.sort();
    ids
}

fn message_for(user_id: i64, text: &str, created_at: DateTime<Utc>) -> Notification {
    let mut notification = Notification::new(user_id, NotificationKind::Message, "Message from FlightBook", text);
    notification.created_at = created_at;
    notification
}

fn ids_of(items: &[Value]) -> Vec<String> {
    items.iter().map(|n| n["notificationId"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_sent_message_goes_through_sns_and_sqs_and_is_listed() {
    let stack = TestStack::new().await;
    stack.start_queue_consumers();
    let base = stack.start_gateway().await;
    let http = reqwest::Client::new();
    let (user, token) = customer(&stack, "reader@example.com").await;

    // The original specification's body, over the template's routes.
    let sent = http
        .post(format!("{base}/api/notifications/send"))
        .bearer_auth(&token)
        .json(&json!({"userId": user, "message": "  Your flight is on time.\nGate 12.  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 202);
    let sent: Value = sent.json().await.unwrap();
    assert_eq!(sent["status"], "QUEUED", "{sent}");
    assert_eq!(sent["userId"], user);
    assert_eq!(sent["channel"], "email");
    let id = sent["notificationId"].as_str().unwrap().to_string();

    let deadline = Instant::now() + Duration::from_secs(10);
    let listed = loop {
        let page: Value = http
            .get(format!("{base}/api/notifications"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if page["count"] == 1 {
            break page;
        }
        assert!(Instant::now() < deadline, "not delivered within 10 s: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(listed["nextCursor"].is_null(), "{listed}");
    let item = &listed["notifications"][0];
    assert_eq!(item["notificationId"], id.as_str());
    assert_eq!(item["userId"], user);
    assert_eq!(item["channel"], "email");
    assert_eq!(item["kind"], "MESSAGE");
    assert_eq!(item["subject"], "Message from FlightBook");
    assert_eq!(item["message"], "Your flight is on time.\nGate 12.", "trimmed");
    let body = item["renderedBody"].as_str().unwrap();
    assert!(body.starts_with("To: Test Customer <reader@example.com>\nSubject: Message from FlightBook\n"), "{body}");
    assert!(body.contains("Hello Test Customer,"), "{body}");
    assert!(body.contains("Your flight is on time.\nGate 12."), "{body}");
    assert!(body.contains(&id), "the footer names the notification: {body}");
    assert!(item["deliveredAt"].as_str().is_some(), "{item}");
}

#[tokio::test]
async fn an_sms_is_one_segment_cut_with_an_ellipsis() {
    let stack = TestStack::new().await;
    let (user, token) = customer(&stack, "texter@example.com").await;
    let mut long = message_for(user, &"Gate change. ".repeat(70), Utc::now());
    long.channel = Channel::Sms;
    let mut short = message_for(user, "Boarding\nnow", Utc::now() + TimeDelta::seconds(1));
    short.channel = Channel::Sms;
    assert!(deliver(&stack.services, &long).await.unwrap());
    assert!(deliver(&stack.services, &short).await.unwrap());

    let items = list_all(&stack, &token).await;
    assert_eq!(ids_of(&items), [short.notification_id.clone(), long.notification_id.clone()]);
    assert_eq!(items[0]["channel"], "sms");
    assert_eq!(items[0]["renderedBody"], "Message from FlightBook: Boarding now");
    let cut = items[1]["renderedBody"].as_str().unwrap();
    assert!((150..=160).contains(&cut.chars().count()), "{cut}");
    assert!(cut.ends_with('…'), "{cut}");
    assert!(!cut.contains('\n'));
    // The log keeps the full message beside what was sent.
    assert_eq!(items[1]["message"], long.message.as_str());
}

#[tokio::test]
async fn the_same_notification_delivered_three_times_is_logged_once() {
    let stack = TestStack::new().await;
    let (user, token) = customer(&stack, "dup@example.com").await;
    let notification = message_for(user, "Only once, please", Utc::now());
    let body = serde_json::to_string(&notification).unwrap();

    // SQS delivers at least once: the same body under three message ids.
    let response = run_deliver(&stack, sqs_event(&[("m1", &body), ("m2", &body), ("m3", &body)])).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    // And once more on its own, later.
    assert!(!deliver(&stack.services, &notification).await.unwrap(), "already delivered");

    let items = list_all(&stack, &token).await;
    assert_eq!(ids_of(&items), std::slice::from_ref(&notification.notification_id));
}

#[tokio::test]
async fn only_the_poison_records_of_a_batch_fail() {
    let stack = TestStack::new().await;
    let (user, token) = customer(&stack, "batch@example.com").await;
    let first = message_for(user, "first", Utc::now());
    let second = message_for(user, "second", Utc::now() + TimeDelta::seconds(1));
    let nobody = message_for(999_999, "to nobody", Utc::now());
    let (first_body, second_body, nobody_body) = (
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap(),
        serde_json::to_string(&nobody).unwrap(),
    );
    let event = sqs_event(&[
        ("good-1", &first_body),
        ("poison-text", "this is not JSON"),
        ("poison-shape", r#"{"notificationId": "x", "userId": "seven"}"#),
        ("poison-user", &nobody_body),
        ("good-2", &second_body),
    ]);
    let response = run_deliver(&stack, event).await;
    assert_eq!(failed_ids(&response), ["poison-shape", "poison-text", "poison-user"]);

    let items = list_all(&stack, &token).await;
    assert_eq!(
        ids_of(&items),
        [second.notification_id.clone(), first.notification_id.clone()],
        "the good records were delivered, newest first"
    );
}

#[tokio::test]
async fn customers_message_only_themselves_and_admins_anyone() {
    let stack = TestStack::new().await;
    let (alice, alice_token) = customer(&stack, "alice@example.com").await;
    let (bob, _) = customer(&stack, "bob@example.com").await;

    let (status, body) = send(&stack, &alice_token, json!({"userId": bob, "message": "hi Bob"})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "FORBIDDEN");

    // userId may be omitted (the caller) or sent as a string, as the original's collection does.
    let (status, body) = send(&stack, &alice_token, json!({"message": "note to self", "channel": "sms"})).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!((body["userId"].as_i64(), body["channel"].as_str()), (Some(alice), Some("sms")));
    let (status, body) = send(&stack, &alice_token, json!({"userId": alice.to_string(), "message": "again"})).await;
    assert_eq!(status, 202, "{body}");

    let admin = stack.create_admin("ops@example.com", "admin-password-42").await;
    let admin_token = stack.services.tokens.issue(admin, Role::Admin).unwrap().token;
    let (status, body) =
        send(&stack, &admin_token, json!({"userId": bob, "message": "Your flight is cancelled"})).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["userId"], bob);
    assert_eq!(body["status"], "QUEUED");
    assert!(uuid::Uuid::parse_str(body["notificationId"].as_str().unwrap()).is_ok(), "{body}");

    let (status, body) = send(&stack, &admin_token, json!({"userId": 999_999, "message": "anyone?"})).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["code"], "NOT_FOUND");
}

#[tokio::test]
async fn bad_requests_are_400_problems() {
    let stack = TestStack::new().await;
    let (user, token) = customer(&stack, "careless@example.com").await;
    let too_long = "x".repeat(2000);
    let cases = [
        (json!({"userId": user}), "INVALID_FIELD"),
        (json!({"userId": user, "message": ""}), "INVALID_FIELD"),
        (json!({"userId": user, "message": "   \n  "}), "INVALID_FIELD"),
        (json!({"userId": user, "message": too_long}), "INVALID_FIELD"),
        (json!({"userId": user, "message": "beep\u{7}"}), "INVALID_FIELD"),
        (json!({"userId": user, "message": 42}), "INVALID_FIELD"),
        (json!({"userId": user, "message": "hi", "channel": "pigeon"}), "INVALID_FIELD"),
        (json!({"userId": "abc", "message": "hi"}), "INVALID_FIELD"),
        (json!({"userId": 0, "message": "hi"}), "INVALID_FIELD"),
    ];
    let handler = http_handler("notifications-send").unwrap();
    for (body, code) in cases {
        let req = request("POST", "/api/notifications/send", Some(body.clone()), Some(&token));
        let response = handler(&stack.services, req).await.unwrap();
        let doc = assert_problem(&response, 400, code);
        assert!(doc["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}: {doc}");
    }
    let req = request_with("POST", "/api/notifications/send", Some("{".into()), Some(&token), &[], &[]);
    assert_problem(&handler(&stack.services, req).await.unwrap(), 400, "INVALID_JSON");
    // Exactly 1000 characters is fine.
    let (status, body) = send(&stack, &token, json!({"message": "y".repeat(1000)})).await;
    assert_eq!(status, 202, "{body}");

    let list_handler = http_handler("notifications-list").unwrap();
    for (query, code) in [
        ("?limit=0", "INVALID_FIELD"),
        ("?limit=101", "INVALID_FIELD"),
        ("?limit=ten", "INVALID_FIELD"),
        ("?cursor=not-a-cursor", "INVALID_CURSOR"),
        ("?cursor=bjE6bm9wZQ", "INVALID_CURSOR"),
    ] {
        let req = request("GET", &format!("/api/notifications{query}"), None, Some(&token));
        assert_problem(&list_handler(&stack.services, req).await.unwrap(), 400, code);
    }
}

#[tokio::test]
async fn no_or_bad_token_is_401() {
    let stack = TestStack::new().await;
    let send_handler = http_handler("notifications-send").unwrap();
    let list_handler = http_handler("notifications-list").unwrap();
    for token in [None, Some("not-a-jwt")] {
        let req = request("POST", "/api/notifications/send", Some(json!({"userId": 1, "message": "hi"})), token);
        assert_problem(&send_handler(&stack.services, req).await.unwrap(), 401, "UNAUTHORIZED");
        let req = request("GET", "/api/notifications", None, token);
        assert_problem(&list_handler(&stack.services, req).await.unwrap(), 401, "UNAUTHORIZED");
    }
}

#[tokio::test]
async fn the_list_pages_newest_first_and_shows_only_your_own() {
    let stack = TestStack::new().await;
    let (alice, alice_token) = customer(&stack, "pages@example.com").await;
    let (bob, bob_token) = customer(&stack, "other@example.com").await;
    let start = Utc::now() - TimeDelta::minutes(10);
    let mut sent = Vec::new();
    for i in 0..5 {
        let notification = message_for(alice, &format!("message {i}"), start + TimeDelta::seconds(i));
        assert!(deliver(&stack.services, &notification).await.unwrap());
        sent.push(notification.notification_id);
    }
    let bobs = message_for(bob, "for Bob", start);
    assert!(deliver(&stack.services, &bobs).await.unwrap());
    // Past its retention: still in the emulator (which never expires items), never listed.
    let log_table = stack.services.config.notification_log_table.clone().unwrap();
    let aws = stack.services.aws().await;
    let old = Utc::now() - TimeDelta::days(91);
    let expired = DeliveredNotification {
        notification_id: uuid::Uuid::new_v4().to_string(),
        user_id: alice,
        channel: "email".into(),
        kind: "MESSAGE".into(),
        subject: "Old".into(),
        message: "old".into(),
        rendered_body: "old".into(),
        created_at: old,
        delivered_at: old,
    };
    assert!(NotificationLog::new(&aws.dynamodb, &log_table).record(&expired).await.unwrap());

    let mut pages = Vec::new();
    let mut query = "?limit=2".to_string();
    loop {
        let (status, page) = list(&stack, &alice_token, &query).await;
        assert_eq!(status, 200, "{page}");
        let items = page["notifications"].as_array().unwrap().clone();
        assert_eq!(page["count"], items.len());
        pages.push(ids_of(&items));
        match page["nextCursor"].as_str() {
            Some(cursor) => query = format!("?limit=2&cursor={cursor}"),
            None => break,
        }
        assert!(pages.len() < 5, "too many pages: {pages:?}");
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    let seen: Vec<String> = pages.concat();
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 5, "no duplicates");
    let newest_first: Vec<String> = sent.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);
    assert!(!seen.contains(&expired.notification_id));
    assert!(!seen.contains(&bobs.notification_id));

    let bobs_list = list_all(&stack, &bob_token).await;
    assert_eq!(ids_of(&bobs_list), std::slice::from_ref(&bobs.notification_id));
    assert!(bobs_list.iter().all(|n| n["userId"] == bob));
}

#[tokio::test]
async fn a_poison_message_ends_in_the_dead_letter_queue() {
    let stack = TestStack::new().await;
    let queue = stack.resources.refs["NotificationsQueue"].clone();
    let dead_letters = stack.resources.refs["NotificationsDeadLetterQueue"].clone();
    let aws = stack.services.aws().await;
    // Retries a second apart instead of a minute: 5 receives take seconds.
    aws.sqs
        .set_queue_attributes()
        .queue_url(&queue)
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .send()
        .await
        .unwrap();
    aws.sqs.send_message().queue_url(&queue).message_body("definitely not a notification").send().await.unwrap();
    stack.start_queue_consumers();

    let deadline = Instant::now() + Duration::from_secs(15);
    let dead = loop {
        let received = aws.sqs.receive_message().queue_url(&dead_letters).wait_time_seconds(1).send().await.unwrap();
        if let Some(message) = received.messages.unwrap_or_default().into_iter().next() {
            break message;
        }
        assert!(Instant::now() < deadline, "the poison message did not reach the dead-letter queue within 15 s");
    };
    assert_eq!(dead.body.as_deref(), Some("definitely not a notification"));
}

#[tokio::test]
async fn an_unreachable_topic_is_a_503_problem() {
    let stack = TestStack::new().await;
    let (user, token) = customer(&stack, "outage@example.com").await;
    // This test's own topic: gone, as in an outage or a half-deleted stack.
    let topic = stack.resources.refs["NotificationsTopic"].clone();
    stack.services.aws().await.sns.delete_topic().topic_arn(&topic).send().await.unwrap();

    let handler = http_handler("notifications-send").unwrap();
    let req = request(
        "POST",
        "/api/notifications/send",
        Some(json!({"userId": user, "message": "ticket booked"})),
        Some(&token),
    );
    let response = handler(&stack.services, req).await.unwrap();
    let doc = assert_problem(&response, 503, "SERVICE_UNAVAILABLE");
    assert_eq!(response.headers()["retry-after"], "2");
    assert!(doc["detail"].as_str().unwrap().contains("sns"), "{doc}");
}

/// A message that fails comes back after the consumer's back-off (10 s on
/// the first failure), not after the queue's fixed 60 s, and each failure
/// doubles it: a dependency outage of half an hour dead-letters nothing
/// (`shared::store::redelivery`; the template's `maxReceiveCount` is 12).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_failing_on_a_dependency_is_backed_off_by_its_visibility_timeout() {
    let stack = TestStack::new().await;
    let aws = stack.services.aws().await;
    let queue = stack.resources.refs["NotificationsQueue"].clone();
    // The notification log is gone, as in a DynamoDB outage.
    aws.dynamodb.delete_table().table_name(&stack.resources.refs["NotificationLogTable"]).send().await.unwrap();
    let body = serde_json::to_string(&message_for(7, "backed off", Utc::now())).unwrap();
    aws.sqs.send_message().queue_url(&queue).message_body(body).send().await.unwrap();
    let consumers = local_stack::queues::consumers(&stack.template, &stack.resources).unwrap();
    let deliver = consumers.iter().find(|c| c.package == "notifications-deliver").unwrap();
    assert_eq!(deliver.poll_once(&stack.services, Duration::from_secs(2)).await.unwrap(), 1);
    let failed_at = Instant::now();

    let receive = || async {
        let answer = aws
            .sqs
            .receive_message()
            .queue_url(&queue)
            .wait_time_seconds(1)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap();
        answer.messages.unwrap_or_default().into_iter().next()
    };
    let again = loop {
        if let Some(message) = receive().await {
            break message;
        }
        assert!(
            failed_at.elapsed() < Duration::from_secs(40),
            "not back within 40 s (the queue's own timeout is 60 s)"
        );
    };
    let hidden = failed_at.elapsed();
    assert!(hidden >= Duration::from_secs(8), "back after {hidden:?}: the failure was not backed off");
    let attributes = again.attributes.unwrap_or_default();
    assert_eq!(attributes[&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount], "2");
    let redrive = stack.template.queues.iter().find(|q| q.logical_id == "NotificationsQueue").unwrap().redrive.clone();
    let max_receive = redrive.unwrap().1 as u32;
    assert!(shared::store::redelivery::time_before_dead_letter(max_receive) >= Duration::from_secs(30 * 60));
}
