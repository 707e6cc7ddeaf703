//! Paid seats: the seat map gives each seat's product and each cabin's
//! price list by product and brand; a booking adds what its chosen seats cost to what is due, shows
//! it per seat and itemises it on the GST invoice; seats we assign are
//! free; the original body includes the choice of a standard seat.

use crate::support::*;
use serde_json::{json, Value};

/// An all-economy aircraft with one row of each product: 1 front, 2 exit,
/// 3 exit with extra legroom, 4 standard.
async fn paid_seat_flight(net: &Network, number: &str, fare: i64) -> i64 {
    net.db
        .execute(
            r#"INSERT INTO aircraft_types (code, name, layout) VALUES ('P8', 'Paid 8',
                 '{"cabins": [{"cabin": "ECONOMY", "firstRow": 1, "lastRow": 4, "letters": "AB",
                               "frontRows": [1], "exitRows": [2, 3], "extraLegroomRows": [3]}]}')
               ON CONFLICT (code) DO NOTHING"#,
            &[],
        )
        .await
        .unwrap();
    let flight = net.flight(number, "AAA", "BBB", 8 * 60, 90, fare).await;
    net.db.execute("UPDATE flights SET aircraft_type = 'P8' WHERE id = $1", &[&flight]).await.unwrap();
    net.db.execute("UPDATE flight_fares SET seats_total = 8 WHERE flight_id = $1", &[&flight]).await.unwrap();
    flight
}

fn seat<'a>(map: &'a Value, number: &str) -> &'a Value {
    map["seats"].as_array().unwrap().iter().find(|s| s["seatNumber"] == number).unwrap()
}

fn charge_of(booking: &Value, number: &str) -> Value {
    let seats = booking["legs"][0]["seats"].as_array().unwrap();
    seats.iter().find(|s| s["seatNumber"] == number).unwrap()["seatCharge"].clone()
}

#[tokio::test]
async fn the_seat_map_prices_each_seats_choice_by_product_and_brand() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "seatmap-charges@example.com").await;
    let flight = paid_seat_flight(&net, "XY1", 450_000).await;

    let (status, map) = seat_map(&stack, &token, flight).await;
    assert_eq!(status, 200, "{map}");
    // The price list is once per cabin; each seat names its product.
    let charges = &map["cabins"][0]["seatCharges"];
    let expect = |number: &str, product: &str, saver: i64, flexi: i64| {
        let s = seat(&map, number);
        assert_eq!(s["seatProduct"], product, "{s}");
        assert_eq!(charges[product]["SAVER"]["amount"], saver, "{charges}");
        assert_eq!(charges[product]["FLEXI"]["amount"], flexi, "{charges}");
        assert_eq!(charges[product]["SAVER"]["currency"], "INR");
    };
    expect("1A", "FRONT_ROW", 60_000, 60_000);
    expect("2B", "EXIT_ROW", 90_000, 90_000);
    expect("3A", "EXTRA_LEGROOM", 120_000, 120_000);
    expect("4B", "STANDARD", 30_000, 0);
    assert_eq!(seat(&map, "1A")["frontRow"], true);
    assert_eq!(seat(&map, "4A")["frontRow"], false);
}

#[tokio::test]
async fn chosen_seats_add_their_charges_to_what_is_due_by_brand() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "paid-seats@example.com").await;
    let flight = paid_seat_flight(&net, "XY1", 450_000).await;

    let saver = json!({"legs": [{"flightId": flight, "seatNumbers": ["3A", "4A"]}],
                       "passengers": [{"name": "Asha Rao"}, {"name": "Ravi Rao"}]});
    let (status, booking) = create_booking(&stack, &token, saver).await;
    assert_eq!(status, 201, "{booking}");
    assert_eq!(booking["totalAmount"]["amount"], 2 * 450_000 + 120_000 + 30_000);
    assert_eq!(booking["amountDue"]["amount"], booking["totalAmount"]["amount"]);
    assert_eq!(charge_of(&booking, "3A")["seatProduct"], "EXTRA_LEGROOM");
    assert_eq!(charge_of(&booking, "3A")["amount"]["amount"], 120_000);
    assert_eq!(charge_of(&booking, "4A")["seatProduct"], "STANDARD");
    let seats = booking["legs"][0]["seats"].as_array().unwrap();
    let fares: i64 = seats.iter().map(|s| s["fare"]["amount"].as_i64().unwrap()).sum();
    assert_eq!(fares, booking["totalAmount"]["amount"].as_i64().unwrap(), "each seat's fare counts its charge");

    // Flexi: standard seats are free, paid ones still cost; the client's
    // price is checked against the total with the charges.
    let flexi_fare = 517_500;
    let flexi = json!({"legs": [{"flightId": flight, "seatNumbers": ["2B", "4B"]}],
                       "passengers": [{"name": "Asha Rao"}, {"name": "Ravi Rao"}],
                       "fareBrand": "FLEXI", "price": {"amount": 2 * flexi_fare}});
    let (status, refused) = create_booking(&stack, &token, flexi.clone()).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["code"], "PRICE_CHANGED");
    assert_eq!(refused["currentPrice"]["amount"], 2 * flexi_fare + 90_000);
    let mut flexi = flexi;
    flexi["price"] = json!({"amount": 2 * flexi_fare + 90_000});
    let (status, booking) = create_booking(&stack, &token, flexi).await;
    assert_eq!(status, 201, "{booking}");
    assert_eq!(booking["totalAmount"]["amount"], 2 * flexi_fare + 90_000);
    assert_eq!(charge_of(&booking, "4B"), Value::Null, "a standard seat is free in Flexi");
    let id = booking["id"].as_i64().unwrap();
    let stored: Vec<(String, i64, Option<String>)> = net
        .db
        .query("SELECT seat, seat_charge, seat_product FROM booking_seats WHERE booking_id = $1 ORDER BY seat", &[&id])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(stored, [("2B".into(), 90_000, Some("EXIT_ROW".into())), ("4B".into(), 0, None)]);
}

#[tokio::test]
async fn seats_we_assign_are_free_and_the_original_body_includes_a_standard_choice() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (user, token) = customer(&stack, "assigned-seats@example.com").await;
    let flight = paid_seat_flight(&net, "XY1", 450_000).await;

    let (status, booking) =
        create_booking(&stack, &token, json!({"legs": [{"flightId": flight}], "passengers": [{"name": "A B"}]})).await;
    assert_eq!(status, 201, "{booking}");
    assert_eq!(booking["totalAmount"]["amount"], 450_000, "an assigned seat costs nothing");

    // The original walkthrough: lock, then book a count of seats. The
    // standard seat it chose is included; the exit row seat is not.
    let (status, held) = lock(&stack, &token, json!({"flightId": flight, "seatNumbers": ["4A", "2A"]})).await;
    assert_eq!(status, 200, "{held}");
    let body = json!({"userId": user, "flightId": flight, "seats": 2, "price": 9000});
    let (status, refused) = create_booking(&stack, &token, body).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["currentPrice"]["amount"], 2 * 450_000 + 90_000);
    let body = json!({"userId": user, "flightId": flight, "seats": 2, "price": 9900});
    let (status, booking) = create_booking(&stack, &token, body).await;
    assert_eq!(status, 201, "{booking}");
    assert_eq!(charge_of(&booking, "2A")["seatProduct"], "EXIT_ROW");
    assert_eq!(charge_of(&booking, "4A"), Value::Null);
}

#[tokio::test]
async fn the_invoice_itemises_each_seat_charge_and_still_adds_up_to_what_was_paid() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "seat-invoice@example.com").await;
    let flight = paid_seat_flight(&net, "XY1", 450_000).await;
    let body = json!({"legs": [{"flightId": flight, "seatNumbers": ["3B", "1B"]}],
                      "passengers": [{"name": "Asha Rao"}, {"name": "Ravi Rao"}]});
    let (status, booking) = create_booking(&stack, &token, body).await;
    assert_eq!(status, 201, "{booking}");
    let id = booking["id"].as_i64().unwrap();
    let (status, paid) =
        post_route(&stack, "payments-pay", "/api/payments/pay", &[], Some(json!({"bookingId": id})), &token).await;
    assert_eq!(status, 200, "{paid}");
    let (status, tickets) =
        post_route(&stack, "tickets-generate", "/api/tickets/generate", &[], Some(json!({"bookingId": id})), &token)
            .await;
    assert_eq!(status, 200, "{tickets}");

    let path = format!("/api/bookings/{id}/documents");
    let booking_id = id.to_string();
    let params = [("bookingId", booking_id.as_str())];
    let (status, listed) = call_route(&stack, "bookings-documents", "GET", &path, &params, None, &token).await;
    assert_eq!(status, 200, "{listed}");
    let invoice = &listed["documents"][0]["document"];
    let lines = invoice["lines"].as_array().unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(lines.len(), 4, "a fare line and a seat line per passenger: {invoice}");
    let seat_lines: Vec<(&str, i64)> = lines
        .iter()
        .filter(|l| l.get("seatProduct").is_some())
        .map(|l| (l["seatProduct"].as_str().unwrap(), l["fare"].as_i64().unwrap()))
        .collect();
    assert_eq!(seat_lines, [("EXTRA_LEGROOM", 120_000), ("FRONT_ROW", 60_000)]);
    let fare_lines: Vec<i64> =
        lines.iter().filter(|l| l.get("seatProduct").is_none()).map(|l| l["fare"].as_i64().unwrap()).collect();
    assert_eq!(fares_sorted(fare_lines), [450_000, 450_000]);
    assert_eq!(invoice["invoiceTotal"], 2 * 450_000 + 120_000 + 60_000);
    let paid_amount: i64 = net
        .db
        .query_one("SELECT sum(amount)::bigint FROM payments WHERE booking_id = $1 AND status = 'SUCCEEDED'", &[&id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(invoice["invoiceTotal"], paid_amount, "{paid}");
}

fn fares_sorted(mut fares: Vec<i64>) -> Vec<i64> {
    fares.sort();
    fares
}
