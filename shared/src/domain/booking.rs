//! Booking rules without I/O: PNRs, automatic seat assignment, statuses.

use super::seating::{Cabin, Seat, SeatLayout, SeatNumber};
use rand::Rng;
use std::collections::HashSet;

pub const MAX_PASSENGERS: usize = 9;

/// No 0/O or 1/I: a PNR is read out over the phone.
const PNR_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

pub fn new_pnr() -> String {
    let mut rng = rand::thread_rng();
    (0..6).map(|_| PNR_ALPHABET[rng.gen_range(0..PNR_ALPHABET.len())] as char).collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookingStatus {
    PendingPayment,
    Paid,
    Cancelled,
    Expired,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::PendingPayment => "PENDING_PAYMENT",
            BookingStatus::Paid => "PAID",
            BookingStatus::Cancelled => "CANCELLED",
            BookingStatus::Expired => "EXPIRED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::PendingPayment, Self::Paid, Self::Cancelled, Self::Expired].into_iter().find(|s| s.as_str() == raw)
    }
}

/// Picks `count` free seats of `cabin`: a run of adjacent seats in one row
/// when one exists (rows nearest the seats the caller already holds first),
/// otherwise the first free seats row by row.
pub fn assign_seats(
    layout: &SeatLayout,
    cabin: Cabin,
    count: usize,
    unavailable: &HashSet<String>,
    near_rows: &[u16],
) -> Option<Vec<String>> {
    if count == 0 {
        return Some(Vec::new());
    }
    let free: Vec<Seat> = layout.seats().filter(|s| s.cabin == cabin && !unavailable.contains(&s.number)).collect();
    if free.len() < count {
        return None;
    }
    let mut rows: Vec<u16> = free.iter().map(|s| s.row).collect();
    rows.dedup();
    let distance = |row: u16| near_rows.iter().map(|r| r.abs_diff(row)).min().unwrap_or(0);
    rows.sort_by_key(|row| (distance(*row), *row));

    let letters_of_row = |row: u16| -> Vec<char> {
        layout
            .cabins
            .iter()
            .find(|c| c.cabin == cabin && (c.first_row..=c.last_row).contains(&row))
            .map(|c| c.letters.chars().collect())
            .unwrap_or_default()
    };
    for row in &rows {
        let letters = letters_of_row(*row);
        let is_free = |letter: char| free.iter().any(|s| s.row == *row && s.letter == letter);
        let mut run: Vec<char> = Vec::new();
        for letter in letters {
            if is_free(letter) {
                run.push(letter);
                if run.len() == count {
                    return Some(run.iter().map(|l| format!("{row}{l}")).collect());
                }
            } else {
                run.clear();
            }
        }
    }
    let mut chosen = Vec::with_capacity(count);
    for row in &rows {
        for seat in free.iter().filter(|s| s.row == *row) {
            chosen.push(seat.number.clone());
            if chosen.len() == count {
                return Some(chosen);
            }
        }
    }
    None
}

/// Normalises seat spellings and refuses duplicates (`1A` and `A1` are one seat).
pub fn normalise_seats(raw: &[String]) -> Result<Vec<SeatNumber>, String> {
    let mut seen = HashSet::new();
    let mut seats = Vec::with_capacity(raw.len());
    for spelling in raw {
        let seat = SeatNumber::parse(spelling).ok_or_else(|| format!("{spelling:?} is not a seat number like 12A"))?;
        if !seen.insert(seat.clone()) {
            return Err(format!("seat {seat} is listed twice"));
        }
        seats.push(seat);
    }
    Ok(seats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> SeatLayout {
        serde_json::from_value(serde_json::json!({"cabins": [
            {"cabin": "BUSINESS", "firstRow": 1, "lastRow": 1, "letters": "AC"},
            {"cabin": "ECONOMY", "firstRow": 2, "lastRow": 4, "letters": "ABCDEF", "aisleAfter": ["C"]}
        ]}))
        .unwrap()
    }

    fn taken(seats: &[&str]) -> HashSet<String> {
        seats.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn pnrs_are_six_unambiguous_characters() {
        for _ in 0..200 {
            let pnr = new_pnr();
            assert_eq!(pnr.len(), 6);
            assert!(pnr.chars().all(|c| PNR_ALPHABET.contains(&(c as u8))), "{pnr}");
        }
    }

    #[test]
    fn prefers_adjacent_seats_in_one_row() {
        let l = layout();
        assert_eq!(assign_seats(&l, Cabin::Economy, 2, &taken(&[]), &[]).unwrap(), vec!["2A", "2B"]);
        // Row 2 has no two adjacent free seats: row 3 does.
        let busy = taken(&["2A", "2C", "2E"]);
        assert_eq!(assign_seats(&l, Cabin::Economy, 2, &busy, &[]).unwrap(), vec!["3A", "3B"]);
        // Next to the seat the caller already holds in row 4.
        assert_eq!(assign_seats(&l, Cabin::Economy, 3, &taken(&[]), &[4]).unwrap(), vec!["4A", "4B", "4C"]);
    }

    #[test]
    fn falls_back_to_scattered_seats_and_fails_when_too_few() {
        let l = layout();
        let busy: HashSet<String> =
            ["2", "3", "4"].iter().flat_map(|r| ["A", "C", "E"].iter().map(move |c| format!("{r}{c}"))).collect();
        assert_eq!(assign_seats(&l, Cabin::Economy, 2, &busy, &[]).unwrap(), vec!["2B", "2D"]);
        assert_eq!(assign_seats(&l, Cabin::Business, 2, &taken(&["1A"]), &[]), None);
        assert_eq!(assign_seats(&l, Cabin::Business, 1, &taken(&["1A"]), &[]).unwrap(), vec!["1C"]);
    }

    #[test]
    fn seat_lists_are_normalised_and_deduplicated() {
        let seats = normalise_seats(&["A1".into(), "2b".into()]).unwrap();
        assert_eq!(seats.iter().map(|s| s.to_string()).collect::<Vec<_>>(), vec!["1A", "2B"]);
        assert!(normalise_seats(&["1A".into(), "a1".into()]).unwrap_err().contains("twice"));
        assert!(normalise_seats(&["1A".into(), "zz".into()]).is_err());
    }
}
