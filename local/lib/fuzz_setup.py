"""Prepares a schemathesis run of local/fuzz against a running gateway.

Through the public API only: signs up a fresh customer, logs in the admin,
and makes real resources for the customer (tomorrow's DEL→BOM flights, a
seat hold, an unpaid booking, a paid booking with tickets). Writes the
schemathesis configuration (schemathesis.toml format) with those values as
dictionaries bound to the matching parameters, so about half of the
generated values reach real data while the rest stays random.

    python3 fuzz_setup.py BASE_URL OUT_DIR

Reads ADMIN_EMAIL / ADMIN_PASSWORD (or ADMIN_TOKEN). Writes OUT_DIR/customer.toml
(the customer's token) and OUT_DIR/admin.toml (the admin's, for the admin
routes). Standard
library only.
"""

import datetime
import json
import os
import random
import sys
import urllib.error
import urllib.request

# How often a bound parameter takes a value from its dictionary instead of a generated one.
PROBABILITY = 0.5
AIRPORTS = ["DEL", "BOM", "BLR", "MAA", "CCU", "HYD", "GOI", "SIN", "DXB"]
CODES = ["FLY100", "SAVE200", "NEW50"]


class ApiError(Exception):
    pass


def call(base, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    if body is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null"), response.headers
    except urllib.error.HTTPError as error:
        text = error.read().decode(errors="replace")
        try:
            return error.code, json.loads(text), error.headers
        except ValueError:
            return error.code, text, error.headers


def expect(result, status, what):
    code, body, headers = result
    if code != status:
        raise ApiError(f"{what}: expected {status}, got {code}: {body}")
    return body


def tomorrow_in_india():
    # Demo schedules are generated for the date in India (IST has no DST).
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=5, minutes=30)
    return now.date() + datetime.timedelta(days=1)


def prepare(base):
    suffix = f"{datetime.datetime.now():%Y%m%d%H%M%S}-{random.randrange(10**6)}"
    signup = expect(
        call(base, "POST", "/api/auth/signup",
             {"name": "Fuzz Tester", "email": f"fuzz-{suffix}@example.com", "password": "fuzz-pass-42"}),
        201, "sign up the fuzz customer")
    token, user_id = signup["token"], signup["userId"]

    admin_token = os.environ.get("ADMIN_TOKEN")
    if not admin_token:
        email = os.environ.get("ADMIN_EMAIL", "admin@flightbook.local")
        password = os.environ.get("ADMIN_PASSWORD", "admin-change-me-42")
        status, body, headers = call(base, "POST", "/api/auth/login", {"email": email, "password": password})
        if status == 429:
            raise ApiError(f"admin login is rate limited for {headers.get('retry-after')} s "
                           "(login throttling counts this client's attempts); wait, or pass ADMIN_TOKEN")
        admin_token = expect((status, body, headers), 200, f"log in the admin {email} (create it with `stack admin`)")["token"]

    dates = [tomorrow_in_india() + datetime.timedelta(days=d) for d in (0, 1)]
    search = expect(
        call(base, "GET", f"/api/flights/search?source=DEL&destination=BOM&date={dates[0]}&maxStops=0&limit=5", token=token),
        200, "search tomorrow's DEL→BOM flights (seed the demo schedule first: `stack seed`)")
    # Not flight 1: it is the walkthrough's (postman/), left for it as far as random ids allow.
    flights = [f["id"] for f in search["flights"] if f["id"] != 1 and f["available_seats"] >= 4][:6]
    if len(flights) < 2:
        raise ApiError(f"need at least two DEL→BOM flights on {dates[0]}, found {flights}")

    seat_map = expect(call(base, "GET", f"/api/seats/{flights[0]}", token=token), 200, "seat map")
    free = seat_map["availableSeats"]
    seats = free[-20:]  # from the back of the cabin: the walkthrough takes the front
    hold = expect(call(base, "POST", "/api/seats/lock", {"flightId": flights[0], "seatNumbers": seats[:1]}, token=token),
                  200, "hold a seat")

    unpaid = expect(call(base, "POST", "/api/bookings", {"flightId": flights[0], "seats": 1}, token=token),
                    201, "book one seat")
    paid = expect(call(base, "POST", "/api/bookings", {"flightId": flights[1], "seats": 2}, token=token),
                  201, "book two seats")
    expect(call(base, "POST", "/api/payments/pay", {"bookingId": paid["id"]}, token=token), 200, "pay a booking")
    tickets = expect(call(base, "POST", "/api/tickets/generate", {"bookingId": paid["id"]}, token=token),
                     200, "generate its tickets")
    ticket_ids = [t["id"] for t in tickets["tickets"]]

    return {
        "token": token,
        "admin_token": admin_token,
        "dictionaries": {
            "flights": flights,
            "bookings": [unpaid["id"], paid["id"]],
            "tickets": ticket_ids,
            "users": [user_id],
            "dates": [str(d) for d in dates],
            "airports": AIRPORTS,
            "seats": seats,
            "holds": [hold["holdId"]],
            "codes": CODES,
        },
    }


BINDINGS = {
    "path.flightId": "flights",
    "body.flightId": "flights",
    "body.legs[*].flightId": "flights",
    "path.bookingId": "bookings",
    "body.bookingId": "bookings",
    "body.booking_id": "bookings",
    "path.ticketId": "tickets",
    "path.userId": "users",
    "body.userId": "users",
    "query.date": "dates",
    "query.source": "airports",
    "query.destination": "airports",
    "body.seatNumber": "seats",
    "body.seatNumbers[*]": "seats",
    "body.holdId": "holds",
    "body.code": "codes",
}


def toml_string(value):
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def config(prepared, token):
    lines = [
        "# Written by local/lib/fuzz_setup.py for one local/fuzz run.",
        f"headers = {{ Authorization = {toml_string('Bearer ' + token)} }}",
        # Reproducible runs: nothing carried between runs (examples, past crashes), nothing left behind.
        'generation.database = "none"',
        "cache.enabled = false",
        "request-timeout = 20.0",
        "",
        "[checks]",
        "enabled = false",
        "not_a_server_error.enabled = true",
        "status_code_conformance.enabled = true",
        "content_type_conformance.enabled = true",
        "response_schema_conformance.enabled = true",
        "",
        "[phases.stateful]",
        "max-steps = 12",
        "",
    ]
    for name, values in prepared["dictionaries"].items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values, ensure_ascii=False)}", ""]
    lines.append("[parameters]")
    for key, dictionary in BINDINGS.items():
        lines.append(f'{toml_string(key)} = {{ dictionary = "{dictionary}", probability = {PROBABILITY} }}')
    return "\n".join(lines) + "\n"


def main():
    base, out_dir = sys.argv[1].rstrip("/"), sys.argv[2]
    try:
        prepared = prepare(base)
    except (ApiError, urllib.error.URLError, KeyError, IndexError) as error:
        print(f"local/fuzz: could not prepare the run: {error}", file=sys.stderr)
        return 1
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "customer.toml"), "w") as f:
        f.write(config(prepared, prepared["token"]))
    with open(os.path.join(out_dir, "admin.toml"), "w") as f:
        f.write(config(prepared, prepared["admin_token"]))
    summary = {k: v for k, v in prepared["dictionaries"].items() if k not in ("airports", "codes", "seats")}
    print(f"local/fuzz: real data for the positive cases: {json.dumps(summary)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
