//! The AWS emulator down during payments, in a child process of its own: payments still succeed and tickets follow.

use super::{book_on, count, pay_on, send, Daemon};
use crate::support::*;
use serde_json::json;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The variable that makes the child process run the emulator test (its
/// value is the emulator's port). The AWS SDK reads `AWS_ENDPOINT_URL` from
/// the process environment, shared by every test of this binary, so a
/// throwaway emulator needs a process of its own.
const EMULATOR_CHILD: &str = "FAULTS_EMULATOR_PORT";

#[tokio::test]
async fn emulator_down_during_a_payment_still_pays_and_tickets_follow_once_it_is_back() {
    let port = free_port();
    let log_path = std::env::temp_dir().join(format!("fb-fault-emulator-child-{port}.log"));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "faults::emulator::emulator_outage_in_its_own_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(EMULATOR_CHILD, port.to_string())
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        // Its own process group, so a timeout also kills the emulator it started.
        .process_group(0)
        .spawn()
        .unwrap();
    // Bounded: the child is killed if it runs past the limit.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = Command::new("kill").args(["-9", &format!("-{}", child.id())]).status();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_file(&log_path);
    assert!(
        status.is_some_and(|s| s.success()) && output.contains("1 passed"),
        "the emulator test failed in its own process ({status:?}):\n{output}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs in a process of its own, started by emulator_down_during_a_payment_still_pays_…"]
async fn emulator_outage_in_its_own_process() {
    let Some(port) = std::env::var(EMULATOR_CHILD).ok().and_then(|p| p.parse().ok()) else {
        return;
    };
    within(75, async {
        let mut emulator = Daemon::emulator(port).await;
        assert_eq!(std::env::var("AWS_ENDPOINT_URL").unwrap(), emulator.url());
        // Queues, topic and tables created on the throwaway emulator.
        let stack = TestStack::new().await;
        let net = Network::new(&stack).await;
        let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
        let (_, token) = customer(&stack, "emulator@example.com").await;
        let mut bookings = Vec::new();
        for seats in [2, 1, 1] {
            let booked = book_on(&stack.services, &token, flight, seats).await;
            assert_eq!(booked.status, 201, "{booked:?}");
            bookings.push(booked.body["id"].as_i64().unwrap());
        }
        let booking = bookings[0];
        let db = stack.db().await;
        let tickets_sql = format!("SELECT count(*) FROM tickets WHERE booking_id = {booking}");

        emulator.stop().await;

        // With an Idempotency-Key the key cannot be claimed (DynamoDB): 503, nothing charged.
        let keyed = request_with(
            "POST",
            "/api/payments/pay",
            Some(json!({"bookingId": booking}).to_string()),
            Some(&token),
            &[],
            &[("idempotency-key", "emulator-down-1")],
        );
        let response = payments_pay::handle(&stack.services, keyed).await.unwrap();
        assert_problem(&response, 503, "SERVICE_UNAVAILABLE");
        assert_eq!(count(&db, "SELECT count(*) FROM payments").await, 0, "a refused payment charged");
        // Publishing now (no outbox) and reading the log are refused too, quickly.
        let sent = send(
            &stack.services,
            "notifications-send",
            "POST",
            "/api/notifications/send",
            &[],
            Some(json!({"message": "hello"})),
            Some(&token),
        )
        .await;
        sent.assert_unavailable("notifications-send with the emulator down");
        let listed =
            send(&stack.services, "notifications-list", "GET", "/api/notifications", &[], None, Some(&token)).await;
        listed.assert_unavailable("notifications-list with the emulator down");

        // Payments commit with their ticketing messages in the outbox; the
        // failed sends fail neither the request nor its deadline, however
        // long the backlog of unsent messages grows.
        for booking in &bookings {
            let paid = pay_on(&stack.services, &token, *booking).await;
            eprintln!("payment with the emulator down took {:?}", paid.elapsed);
            assert_eq!(paid.status, 200, "{paid:?}");
            assert_eq!(paid.body["ticketing"], "QUEUED", "{paid:?}");
            assert!(paid.elapsed < stack.services.deadline(), "{:?}", paid.elapsed);
        }
        let unsent =
            count(&db, "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND destination = 'TICKETING'").await;
        assert_eq!(unsent, 3);
        assert_eq!(count(&db, &tickets_sql).await, 0);

        // The emulator comes back empty: re-create the resources (same names, same URLs).
        emulator.start().await;
        let aws = stack.services.aws().await;
        let resources = local_stack::provision::provision_aws(&stack.template, aws, &format!("{}-", stack.prefix))
            .await
            .expect("re-provisioning the restarted emulator");
        // Secrets come back under new ARNs (a random suffix, as in AWS); the
        // instance keeps the values it read. Everything else is named as before.
        let named = |refs: &std::collections::BTreeMap<String, String>| -> Vec<(String, String)> {
            refs.iter()
                .filter(|(_, v)| !v.starts_with("arn:aws:secretsmanager:"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        assert_eq!(named(&resources.refs), named(&stack.resources.refs));
        stack.start_queue_consumers();
        let sweep = bookings_expire::handle(&stack.services, json!({})).await.unwrap();
        assert!(sweep["outboxSent"].as_i64().unwrap() >= 1, "{sweep}");
        let started = Instant::now();
        while count(&db, "SELECT count(*) FROM tickets").await < 4 {
            assert!(started.elapsed() < Duration::from_secs(20), "tickets never issued");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // A second sweep and a redelivery change nothing: one set of tickets.
        bookings_expire::handle(&stack.services, json!({})).await.unwrap();
        aws.sqs
            .send_message()
            .queue_url(&stack.resources.refs["TicketingQueue"])
            .message_body(json!({"type": "booking.paid", "bookingId": booking}).to_string())
            .send()
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(count(&db, &tickets_sql).await, 2, "exactly one ticket per passenger");
        assert_eq!(count(&db, "SELECT count(*) FROM tickets").await, 4);
        assert_eq!(count(&db, "SELECT count(*) FROM invoices").await, 3);
        assert_eq!(count(&db, "SELECT count(*) FROM outbox WHERE sent_at IS NULL").await, 0);
    })
    .await
}
