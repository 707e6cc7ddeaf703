//! The people on a booking: who they are, whether they may travel as the
//! type they are booked as, the documents an international journey needs,
//! the name printed on their tickets, and what each pays.
//!
//! Ages are taken on the date of the last flight: an adult is 12 or older,
//! a child 2 to 11, an infant under 2 and on the lap of an adult of the
//! same booking (one infant per adult).

use super::booking::MAX_PASSENGERS;
use super::money::apportion;
use super::travellers::PassengerType;
use chrono::{Datelike, NaiveDate};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Title {
    Mr,
    Mrs,
    Ms,
    Miss,
    Mstr,
    Dr,
}

impl Title {
    pub const ALL: [Title; 6] = [Title::Mr, Title::Mrs, Title::Ms, Title::Miss, Title::Mstr, Title::Dr];

    pub fn as_str(self) -> &'static str {
        match self {
            Title::Mr => "MR",
            Title::Mrs => "MRS",
            Title::Ms => "MS",
            Title::Miss => "MISS",
            Title::Mstr => "MSTR",
            Title::Dr => "DR",
        }
    }

    pub fn parse(raw: &str) -> Option<Title> {
        let raw = raw.trim().trim_end_matches('.');
        Title::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(raw))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    Female,
    Male,
    Unspecified,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "f",
            Gender::Male => "m",
            Gender::Unspecified => "x",
        }
    }

    pub fn parse(raw: &str) -> Option<Gender> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "f" | "female" => Some(Gender::Female),
            "m" | "male" => Some(Gender::Male),
            "x" | "unspecified" => Some(Gender::Unspecified),
            _ => None,
        }
    }
}

/// An identity document for an international journey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Passport {
    /// Upper-case letters and digits.
    pub number: String,
    /// ISO 3166-1 alpha-2.
    pub issuing_country: String,
    pub nationality: String,
    pub expires_on: NaiveDate,
}

/// A passenger as booked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Passenger {
    pub kind: PassengerType,
    pub title: Option<Title>,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub gender: Option<Gender>,
    /// For an infant: the index in the booking's passenger list of the
    /// adult whose lap it travels on.
    pub infant_of: Option<usize>,
    pub passport: Option<Passport>,
}

/// What the rules need to know about the journey.
pub struct Journey {
    /// The date of the last flight, at its origin.
    pub last_date: NaiveDate,
    /// Some flight crosses a border.
    pub international: bool,
}

/// A passenger list that cannot fly; `(field, reason)`, the field as the
/// request names it (`passengers[2].dateOfBirth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPassenger(pub String, pub String);

fn invalid(index: usize, field: &str, reason: impl Into<String>) -> InvalidPassenger {
    let field = if field.is_empty() { format!("passengers[{index}]") } else { format!("passengers[{index}].{field}") };
    InvalidPassenger(field, reason.into())
}

/// Whole years between `born` and `on`.
pub fn age_on(born: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}

fn check_name(index: usize, field: &str, name: &str) -> Result<(), InvalidPassenger> {
    let ok = |c: char| c.is_alphabetic() || c == ' ' || c == '-' || c == '\'';
    if name.chars().count() < 1 || name.chars().count() > 50 || !name.chars().all(ok) {
        return Err(invalid(index, field, "1 to 50 letters, spaces, hyphens or apostrophes"));
    }
    Ok(())
}

/// Every rule of the list for the journey: types match ages, each infant
/// is on the lap of its own adult, names and documents are complete.
pub fn check_passengers(list: &[Passenger], journey: &Journey) -> Result<(), InvalidPassenger> {
    let seated = list.iter().filter(|p| p.kind.is_seated()).count();
    if seated == 0 || seated > MAX_PASSENGERS {
        return Err(InvalidPassenger(
            "passengers".into(),
            format!("adults and children together are 1 to {MAX_PASSENGERS}"),
        ));
    }
    if !list.iter().any(|p| p.kind == PassengerType::Adult) {
        return Err(InvalidPassenger("passengers".into(), "at least one adult travels".into()));
    }
    let mut laps_taken = vec![false; list.len()];
    for (index, p) in list.iter().enumerate() {
        check_name(index, "givenName", &p.given_name)?;
        check_name(index, "familyName", &p.family_name)?;
        if p.date_of_birth > journey.last_date {
            return Err(invalid(index, "dateOfBirth", "is after the last flight"));
        }
        let age = age_on(p.date_of_birth, journey.last_date);
        let fits = match p.kind {
            PassengerType::Adult => age >= 12,
            PassengerType::Child => (2..=11).contains(&age),
            PassengerType::Infant => age < 2,
        };
        if !fits {
            let rule = match p.kind {
                PassengerType::Adult => "an adult is 12 or older",
                PassengerType::Child => "a child is 2 to 11",
                PassengerType::Infant => "an infant is under 2",
            };
            return Err(invalid(
                index,
                "dateOfBirth",
                format!("{rule} on the day of the last flight ({}); this passenger is {age}", journey.last_date),
            ));
        }
        match (p.kind, p.infant_of) {
            (PassengerType::Infant, None) => {
                return Err(invalid(index, "infantOf", "an infant travels on an adult's lap: name the adult"))
            }
            (PassengerType::Infant, Some(adult)) => {
                if list.get(adult).map(|a| a.kind) != Some(PassengerType::Adult) {
                    return Err(invalid(
                        index,
                        "infantOf",
                        format!("passengers[{adult}] is not an adult of this booking"),
                    ));
                }
                if std::mem::replace(&mut laps_taken[adult], true) {
                    return Err(invalid(
                        index,
                        "infantOf",
                        format!("passengers[{adult}] already has an infant on the lap"),
                    ));
                }
            }
            (_, Some(_)) => return Err(invalid(index, "infantOf", "only an infant travels on a lap")),
            (_, None) => {}
        }
        match (&p.passport, journey.international) {
            (None, true) => {
                return Err(invalid(index, "passport", "an international journey needs each passenger's passport"))
            }
            (Some(passport), _) => {
                let number_ok = (5..=20).contains(&passport.number.len())
                    && passport.number.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
                if !number_ok {
                    return Err(invalid(index, "passport.number", "5 to 20 letters and digits"));
                }
                for (field, code) in
                    [("issuingCountry", &passport.issuing_country), ("nationality", &passport.nationality)]
                {
                    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                        return Err(invalid(index, &format!("passport.{field}"), "an ISO 3166-1 alpha-2 country code"));
                    }
                }
                if passport.expires_on <= journey.last_date {
                    return Err(invalid(
                        index,
                        "passport.expiresOn",
                        format!(
                            "the passport expires on {}, not after the last flight ({})",
                            passport.expires_on, journey.last_date
                        ),
                    ));
                }
            }
            (None, false) => {}
        }
    }
    Ok(())
}

/// The name on a ticket: `FAMILY/GIVEN TITLE`, upper case, as airlines print it.
pub fn ticket_name(p: &Passenger) -> String {
    let clean = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase();
    let mut name = format!("{}/{}", clean(&p.family_name), clean(&p.given_name));
    if let Some(title) = p.title {
        name.push(' ');
        name.push_str(title.as_str());
    }
    name
}

/// What one passenger pays on each leg: an adult the cabin fare of each
/// leg; a child or an infant its fraction of the adult fare of the whole
/// order (so a family's price is the search's), spread over the legs in
/// proportion to their adult fares.
pub fn leg_fares(kind: PassengerType, adult_fares: &[i64]) -> Vec<i64> {
    match kind {
        PassengerType::Adult => adult_fares.to_vec(),
        _ => apportion(kind.fare(adult_fares.iter().sum()), adult_fares),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn person(kind: PassengerType, born: &str) -> Passenger {
        Passenger {
            kind,
            title: None,
            given_name: "Asha".into(),
            family_name: "Rao".into(),
            date_of_birth: date(born),
            gender: None,
            infant_of: None,
            passport: None,
        }
    }

    fn family() -> Vec<Passenger> {
        let mut infant = person(PassengerType::Infant, "2029-06-01");
        infant.infant_of = Some(0);
        vec![
            person(PassengerType::Adult, "1990-01-01"),
            person(PassengerType::Adult, "1992-01-01"),
            person(PassengerType::Child, "2022-01-01"),
            infant,
        ]
    }

    const DOMESTIC: Journey = Journey { last_date: NaiveDate::from_ymd_opt(2030, 5, 1).unwrap(), international: false };

    #[test]
    fn a_family_can_fly_and_bad_mixes_name_the_field() {
        assert_eq!(check_passengers(&family(), &DOMESTIC), Ok(()));
        let field = |list: Vec<Passenger>, journey: &Journey| check_passengers(&list, journey).unwrap_err().0;
        let mut list = family();
        list[2].date_of_birth = date("2016-01-01"); // 14
        assert_eq!(field(list, &DOMESTIC), "passengers[2].dateOfBirth");
        let mut list = family();
        list[3].infant_of = None;
        assert_eq!(field(list, &DOMESTIC), "passengers[3].infantOf");
        let mut list = family();
        list[3].infant_of = Some(2); // the child
        assert_eq!(field(list, &DOMESTIC), "passengers[3].infantOf");
        let mut list = family();
        list.push(list[3].clone()); // a second infant on the same lap
        assert_eq!(field(list, &DOMESTIC), "passengers[4].infantOf");
        let mut list = family();
        list[3].date_of_birth = date("2027-01-01"); // 3
        assert_eq!(field(list, &DOMESTIC), "passengers[3].dateOfBirth");
        let list = vec![person(PassengerType::Child, "2022-01-01")];
        assert_eq!(field(list, &DOMESTIC), "passengers");
        let list = vec![person(PassengerType::Adult, "1990-01-01"); 10];
        assert_eq!(field(list, &DOMESTIC), "passengers");
        let mut list = family();
        list[1].given_name = "R2D2".into();
        assert_eq!(field(list, &DOMESTIC), "passengers[1].givenName");
        // Twelve on the day of the last flight is an adult; a day before, a child.
        assert_eq!(age_on(date("2018-05-01"), date("2030-05-01")), 12);
        assert_eq!(age_on(date("2018-05-02"), date("2030-05-01")), 11);
    }

    #[test]
    fn international_journeys_need_valid_passports() {
        let abroad = Journey { last_date: date("2030-05-01"), international: true };
        assert_eq!(check_passengers(&family(), &abroad).unwrap_err().0, "passengers[0].passport");
        let passport = |expires: &str| Passport {
            number: "Z1234567".into(),
            issuing_country: "IN".into(),
            nationality: "IN".into(),
            expires_on: date(expires),
        };
        let mut list = family();
        for p in &mut list {
            p.passport = Some(passport("2031-01-01"));
        }
        assert_eq!(check_passengers(&list, &abroad), Ok(()));
        list[2].passport = Some(passport("2030-05-01"));
        assert_eq!(check_passengers(&list, &abroad).unwrap_err().0, "passengers[2].passport.expiresOn");
        list[2].passport = Some(Passport { number: "Z12".into(), ..passport("2031-01-01") });
        assert_eq!(check_passengers(&list, &abroad).unwrap_err().0, "passengers[2].passport.number");
    }

    #[test]
    fn tickets_print_family_slash_given_title() {
        let mut p = person(PassengerType::Adult, "1990-01-01");
        p.given_name = "anika  maya".into();
        p.family_name = "Sharma".into();
        p.title = Some(Title::Miss);
        assert_eq!(ticket_name(&p), "SHARMA/ANIKA MAYA MISS");
        p.title = None;
        assert_eq!(ticket_name(&p), "SHARMA/ANIKA MAYA");
    }

    #[test]
    fn a_child_pays_its_fraction_of_the_whole_order_spread_over_the_legs() {
        let adult = [400_001, 200_000];
        assert_eq!(leg_fares(PassengerType::Adult, &adult), adult.to_vec());
        let child = leg_fares(PassengerType::Child, &adult);
        assert_eq!(child.iter().sum::<i64>(), 450_001);
        let infant = leg_fares(PassengerType::Infant, &adult);
        assert_eq!(infant.iter().sum::<i64>(), 60_000);
        assert_eq!(infant, vec![40_000, 20_000]);
    }
}
