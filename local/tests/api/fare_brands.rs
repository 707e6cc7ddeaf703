//! Fare brands: the search prices each itinerary in every brand its cabin
//! sells and says what each allows; a booking chooses one and pays its
//! price; the original bodies get the published fare (Saver).

use crate::support::*;
use serde_json::{json, Value};

fn option<'a>(itinerary: &'a Value, brand: &str) -> &'a Value {
    itinerary["fareOptions"].as_array().unwrap().iter().find(|o| o["brand"] == brand).unwrap()
}

#[tokio::test]
async fn a_family_books_the_flexi_price_the_search_showed_and_the_booking_says_its_conditions() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "brands@example.com").await;
    let first = net.flight("XY1", "AAA", "BBB", 7 * 60, 60, 450_000).await;
    let second = net.flight("XY2", "BBB", "CCC", 9 * 60, 60, 399_999).await;

    let q = format!("source=AAA&destination=CCC&date={}&maxStops=1&adults=1&children=1", net.date);
    let (status, found, _) = search(&stack, &token, &q).await;
    assert_eq!(status, 200, "{found}");
    let itinerary = &found["itineraries"][0];
    assert_eq!(itinerary["fareOptions"].as_array().unwrap().len(), 2, "economy sells Saver and Flexi");
    let (saver, flexi) = (option(itinerary, "SAVER"), option(itinerary, "FLEXI"));
    assert_eq!(saver["price"], itinerary["price"], "the first option is the itinerary's price");
    // Each leg's Flexi fare is 15 % more in whole rupees: 5,175 + 4,600.
    assert_eq!(flexi["pricePerPassenger"]["amount"], 517_500 + 460_000);
    assert_eq!(flexi["price"]["amount"], (517_500 + 460_000) * 7 / 4, "an adult and a child at 75 %");
    let brands = found["fareBrands"].as_array().unwrap();
    let codes: Vec<&str> = brands.iter().map(|b| b["brand"].as_str().unwrap()).collect();
    assert_eq!(codes, ["SAVER", "FLEXI"]);
    assert_eq!(brands[0]["conditions"]["refundBeforeDeparture"]["penalty"]["amount"], 350_000);
    assert_eq!(brands[1]["conditions"]["checkedBaggageKg"], 25);

    let price = flexi["price"]["amount"].as_i64().unwrap();
    let body = json!({
        "legs": [{"flightId": first}, {"flightId": second}],
        "passengers": [
            {"type": "adult", "givenName": "Asha", "familyName": "Rao", "dateOfBirth": "1985-04-01"},
            {"type": "child", "givenName": "Anika", "familyName": "Rao", "dateOfBirth": "2019-04-01"}
        ],
        "fareBrand": "flexi",
        "price": {"amount": price},
    });
    let (status, booking) = create_booking(&stack, &token, body).await;
    assert_eq!(status, 201, "{booking}");
    assert_eq!(booking["totalAmount"]["amount"], price, "the searched Flexi price");
    assert_eq!(booking["fareBrand"], "FLEXI");
    assert_eq!(booking["fares"][0]["brand"], "FLEXI");
    assert_eq!(booking["fares"][0]["conditions"]["changeBeforeDeparture"]["penalty"]["amount"], 0);
    assert_eq!(booking["legs"][0]["seats"][0]["fareBrand"], "FLEXI");
    let id = booking["id"].as_i64().unwrap();
    let stored: String =
        net.db.query_one("SELECT fare_brand FROM bookings WHERE id = $1", &[&id]).await.unwrap().get(0);
    assert_eq!(stored, "FLEXI");
    // The booking statement still checks the published fare: the seats are
    // sold once, at the brand's price.
    let fares: Vec<i64> = net
        .db
        .query("SELECT fare FROM booking_seats WHERE booking_id = $1 AND passenger_position = 1 ORDER BY leg", &[&id])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(fares, [517_500, 460_000]);
}

#[tokio::test]
async fn the_original_body_pays_the_published_fare_and_a_brand_the_cabin_does_not_sell_is_refused() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (user, token) = customer(&stack, "saver@example.com").await;
    let flight = net.flight("XY1", "AAA", "BBB", 7 * 60, 60, 450_000).await;

    let (status, booking) =
        create_booking(&stack, &token, json!({"userId": user, "flightId": flight, "seats": 1, "price": 4500})).await;
    assert_eq!(status, 201, "{booking}");
    assert_eq!(
        (booking["fareBrand"].as_str(), booking["totalAmount"]["amount"].as_i64()),
        (Some("SAVER"), Some(450_000))
    );

    // FLEX is a business brand; PREMIUM is no brand at all.
    for brand in ["FLEX", "premium"] {
        let body = json!({"legs": [{"flightId": flight}], "passengers": [{"name": "A B"}], "fareBrand": brand});
        let (status, problem) = create_booking(&stack, &token, body).await;
        assert_eq!(status, 400, "{brand}: {problem}");
        assert!(problem["detail"].as_str().unwrap().starts_with("fareBrand"), "{problem}");
    }
    // A refused brand holds nothing: the one seat left for others is free.
    let (_, map) = seat_map(&stack, &token, flight).await;
    let available = map["availableSeats"].as_array().unwrap().len();
    assert_eq!(available, 3, "one seat booked, none held by the refused requests: {map}");
}
