//! The real-world reference data behind the demo schedule: airports (with
//! coordinates, which only the generator needs, so they stay out of the
//! database), airlines and aircraft seat layouts.

use chrono_tz::Tz;
use shared::domain::seating::{Cabin, CabinSection, SeatLayout};

/// What an airport is in the demo network; it decides which routes touch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// An Indian hub: densely linked to the other hubs.
    Hub,
    /// An Indian airport linked to two or three hubs; `per_day` sizes the
    /// links: each way, the first hub listed gets 1.5×, the second 1.2× and
    /// the third 0.9× that many flights a day.
    Spoke { hubs: &'static [&'static str], per_day: u32 },
    /// Outside India: reached by the international route list only.
    Foreign,
}

pub struct RealAirport {
    pub code: &'static str,
    pub name: &'static str,
    pub city: &'static str,
    pub country: &'static str,
    pub time_zone: Tz,
    pub lat: f64,
    pub lon: f64,
    pub role: Role,
}

impl RealAirport {
    /// (domestic, international) minimum connection minutes. Big foreign
    /// hubs have long walks between piers; small Indian airports are quick.
    pub fn min_connection_minutes(&self) -> (i32, i32) {
        match self.role {
            Role::Hub => (45, 90),
            Role::Spoke { .. } => (40, 90),
            Role::Foreign => (60, 90),
        }
    }
}

const fn hub(code: &'static str, name: &'static str, city: &'static str, lat: f64, lon: f64) -> RealAirport {
    RealAirport { code, name, city, country: "IN", time_zone: Tz::Asia__Kolkata, lat, lon, role: Role::Hub }
}

#[allow(clippy::too_many_arguments)]
const fn spoke(
    code: &'static str,
    name: &'static str,
    city: &'static str,
    lat: f64,
    lon: f64,
    hubs: &'static [&'static str],
    per_day: u32,
) -> RealAirport {
    RealAirport {
        code,
        name,
        city,
        country: "IN",
        time_zone: Tz::Asia__Kolkata,
        lat,
        lon,
        role: Role::Spoke { hubs, per_day },
    }
}

const fn foreign(
    code: &'static str,
    name: &'static str,
    city: &'static str,
    country: &'static str,
    time_zone: Tz,
    lat: f64,
    lon: f64,
) -> RealAirport {
    RealAirport { code, name, city, country, time_zone, lat, lon, role: Role::Foreign }
}

#[rustfmt::skip]
pub static AIRPORTS: &[RealAirport] = &[
    hub("DEL", "Indira Gandhi International Airport", "New Delhi", 28.5562, 77.1000),
    hub("BOM", "Chhatrapati Shivaji Maharaj International Airport", "Mumbai", 19.0896, 72.8656),
    hub("BLR", "Kempegowda International Airport", "Bengaluru", 13.1986, 77.7066),
    hub("HYD", "Rajiv Gandhi International Airport", "Hyderabad", 17.2403, 78.4294),
    hub("MAA", "Chennai International Airport", "Chennai", 12.9941, 80.1709),
    hub("CCU", "Netaji Subhas Chandra Bose International Airport", "Kolkata", 22.6547, 88.4467),
    spoke("GOI", "Dabolim Airport", "Goa", 15.3808, 73.8314, &["BOM", "DEL", "BLR"], 10),
    spoke("COK", "Cochin International Airport", "Kochi", 10.1520, 76.4019, &["BLR", "BOM", "DEL"], 10),
    spoke("AMD", "Sardar Vallabhbhai Patel International Airport", "Ahmedabad", 23.0772, 72.6347, &["DEL", "BOM", "BLR"], 12),
    spoke("PNQ", "Pune Airport", "Pune", 18.5822, 73.9197, &["DEL", "BLR", "HYD"], 12),
    spoke("JAI", "Jaipur International Airport", "Jaipur", 26.8242, 75.8122, &["DEL", "BOM", "BLR"], 9),
    spoke("LKO", "Chaudhary Charan Singh International Airport", "Lucknow", 26.7606, 80.8893, &["DEL", "BOM", "BLR"], 9),
    spoke("PAT", "Jay Prakash Narayan International Airport", "Patna", 25.5913, 85.0880, &["DEL", "CCU", "BOM"], 8),
    spoke("GAU", "Lokpriya Gopinath Bordoloi International Airport", "Guwahati", 26.1061, 91.5859, &["DEL", "CCU", "BLR"], 9),
    spoke("BBI", "Biju Patnaik International Airport", "Bhubaneswar", 20.2444, 85.8178, &["DEL", "CCU", "HYD"], 7),
    spoke("IXC", "Shaheed Bhagat Singh International Airport", "Chandigarh", 30.6735, 76.7885, &["DEL", "BOM", "BLR"], 6),
    spoke("SXR", "Sheikh ul-Alam International Airport", "Srinagar", 33.9871, 74.7742, &["DEL", "BOM"], 8),
    spoke("TRV", "Thiruvananthapuram International Airport", "Thiruvananthapuram", 8.4821, 76.9201, &["BLR", "MAA", "DEL"], 6),
    spoke("IXB", "Bagdogra Airport", "Siliguri", 26.6812, 88.3286, &["DEL", "CCU"], 7),
    spoke("VNS", "Lal Bahadur Shastri International Airport", "Varanasi", 25.4524, 82.8593, &["DEL", "BOM", "BLR"], 6),
    spoke("NAG", "Dr. Babasaheb Ambedkar International Airport", "Nagpur", 21.0922, 79.0472, &["DEL", "BOM", "HYD"], 6),
    spoke("IDR", "Devi Ahilyabai Holkar International Airport", "Indore", 22.7218, 75.8011, &["DEL", "BOM", "HYD"], 7),
    spoke("BHO", "Raja Bhoj Airport", "Bhopal", 23.2875, 77.3374, &["DEL", "BOM", "HYD"], 5),
    spoke("CJB", "Coimbatore International Airport", "Coimbatore", 11.0300, 77.0434, &["BOM", "DEL", "MAA"], 6),
    spoke("IXM", "Madurai Airport", "Madurai", 9.8345, 78.0934, &["MAA", "BLR", "HYD"], 4),
    spoke("VTZ", "Visakhapatnam Airport", "Visakhapatnam", 17.7212, 83.2245, &["HYD", "DEL", "BLR"], 5),
    spoke("IXR", "Birsa Munda Airport", "Ranchi", 23.3143, 85.3217, &["DEL", "CCU", "BOM"], 5),
    spoke("RPR", "Swami Vivekananda Airport", "Raipur", 21.1804, 81.7388, &["DEL", "BOM", "HYD"], 5),
    spoke("ATQ", "Sri Guru Ram Dass Jee International Airport", "Amritsar", 31.7096, 74.7973, &["DEL", "BOM"], 5),
    spoke("IXJ", "Jammu Airport", "Jammu", 32.6891, 74.8374, &["DEL", "BOM"], 5),
    spoke("DED", "Jolly Grant Airport", "Dehradun", 30.1897, 78.1803, &["DEL", "BOM", "BLR"], 4),
    spoke("IXE", "Mangaluru International Airport", "Mangaluru", 12.9613, 74.8901, &["BOM", "BLR", "DEL"], 4),
    spoke("UDR", "Maharana Pratap Airport", "Udaipur", 24.6177, 73.8961, &["DEL", "BOM"], 4),
    spoke("IXA", "Maharaja Bir Bikram Airport", "Agartala", 23.8870, 91.2404, &["CCU", "DEL"], 4),
    spoke("IMF", "Bir Tikendrajit International Airport", "Imphal", 24.7600, 93.8967, &["CCU", "DEL"], 3),
    spoke("TRZ", "Tiruchirappalli International Airport", "Tiruchirappalli", 10.7654, 78.7097, &["MAA", "BLR"], 4),
    spoke("VGA", "Vijayawada International Airport", "Vijayawada", 16.5304, 80.7968, &["HYD", "BLR", "MAA"], 4),
    spoke("IXL", "Kushok Bakula Rimpochee Airport", "Leh", 34.1359, 77.5465, &["DEL", "BOM"], 3),
    spoke("CCJ", "Calicut International Airport", "Kozhikode", 11.1368, 75.9553, &["BOM", "BLR", "DEL"], 4),
    spoke("JDH", "Jodhpur Airport", "Jodhpur", 26.2511, 73.0489, &["DEL", "BOM"], 3),
    spoke("BDQ", "Vadodara Airport", "Vadodara", 22.3362, 73.2263, &["DEL", "BOM"], 4),
    spoke("IXU", "Aurangabad Airport", "Chhatrapati Sambhajinagar", 19.8627, 75.3981, &["DEL", "BOM", "HYD"], 3),
    foreign("DXB", "Dubai International Airport", "Dubai", "AE", Tz::Asia__Dubai, 25.2532, 55.3657),
    foreign("AUH", "Zayed International Airport", "Abu Dhabi", "AE", Tz::Asia__Dubai, 24.4330, 54.6511),
    foreign("DOH", "Hamad International Airport", "Doha", "QA", Tz::Asia__Qatar, 25.2731, 51.6081),
    foreign("MCT", "Muscat International Airport", "Muscat", "OM", Tz::Asia__Muscat, 23.5933, 58.2844),
    foreign("SIN", "Singapore Changi Airport", "Singapore", "SG", Tz::Asia__Singapore, 1.3644, 103.9915),
    foreign("BKK", "Suvarnabhumi Airport", "Bangkok", "TH", Tz::Asia__Bangkok, 13.6900, 100.7501),
    foreign("KUL", "Kuala Lumpur International Airport", "Kuala Lumpur", "MY", Tz::Asia__Kuala_Lumpur, 2.7456, 101.7099),
    foreign("HKG", "Hong Kong International Airport", "Hong Kong", "HK", Tz::Asia__Hong_Kong, 22.3080, 113.9185),
    foreign("NRT", "Narita International Airport", "Tokyo", "JP", Tz::Asia__Tokyo, 35.7720, 140.3929),
    foreign("SYD", "Sydney Kingsford Smith Airport", "Sydney", "AU", Tz::Australia__Sydney, -33.9399, 151.1753),
    foreign("MEL", "Melbourne Airport", "Melbourne", "AU", Tz::Australia__Melbourne, -37.6690, 144.8410),
    foreign("KTM", "Tribhuvan International Airport", "Kathmandu", "NP", Tz::Asia__Kathmandu, 27.6966, 85.3591),
    foreign("CMB", "Bandaranaike International Airport", "Colombo", "LK", Tz::Asia__Colombo, 7.1808, 79.8841),
    foreign("DAC", "Hazrat Shahjalal International Airport", "Dhaka", "BD", Tz::Asia__Dhaka, 23.8433, 90.3978),
    foreign("MLE", "Velana International Airport", "Malé", "MV", Tz::Indian__Maldives, 4.1918, 73.5290),
    foreign("LHR", "Heathrow Airport", "London", "GB", Tz::Europe__London, 51.4700, -0.4543),
    foreign("CDG", "Paris Charles de Gaulle Airport", "Paris", "FR", Tz::Europe__Paris, 49.0097, 2.5479),
    foreign("FRA", "Frankfurt Airport", "Frankfurt", "DE", Tz::Europe__Berlin, 50.0379, 8.5622),
    foreign("AMS", "Amsterdam Airport Schiphol", "Amsterdam", "NL", Tz::Europe__Amsterdam, 52.3105, 4.7683),
    foreign("JFK", "John F. Kennedy International Airport", "New York", "US", Tz::America__New_York, 40.6413, -73.7781),
    foreign("SFO", "San Francisco International Airport", "San Francisco", "US", Tz::America__Los_Angeles, 37.6213, -122.3790),
    foreign("ORD", "O'Hare International Airport", "Chicago", "US", Tz::America__Chicago, 41.9742, -87.9073),
    foreign("YYZ", "Toronto Pearson International Airport", "Toronto", "CA", Tz::America__Toronto, 43.6777, -79.6248),
];

/// Flights a day in each direction between two Indian hubs.
pub static TRUNKS: &[(&str, &str, u32)] = &[
    ("DEL", "BOM", 48),
    ("DEL", "BLR", 40),
    ("BOM", "BLR", 32),
    ("DEL", "HYD", 28),
    ("DEL", "MAA", 24),
    ("DEL", "CCU", 26),
    ("BOM", "HYD", 22),
    ("BOM", "MAA", 22),
    ("BOM", "CCU", 18),
    ("BLR", "HYD", 20),
    ("BLR", "MAA", 16),
    ("BLR", "CCU", 18),
    ("HYD", "MAA", 14),
    ("HYD", "CCU", 12),
    ("MAA", "CCU", 12),
];

/// International routes, flights a day in each direction. India has no
/// non-stop to the Americas or Australia here, so a spoke like Patna needs
/// two stops to reach New York (PAT→DEL→DXB→JFK).
#[rustfmt::skip]
pub static INTERNATIONAL: &[(&str, &str, u32)] = &[
    // From India to the Gulf, South-East Asia, Europe and the neighbours.
    ("DEL", "DXB", 6), ("DEL", "DOH", 3), ("DEL", "AUH", 3), ("DEL", "MCT", 2),
    ("DEL", "SIN", 4), ("DEL", "BKK", 3), ("DEL", "KUL", 2), ("DEL", "HKG", 2),
    ("DEL", "NRT", 1), ("DEL", "LHR", 4), ("DEL", "FRA", 2), ("DEL", "CDG", 2),
    ("DEL", "AMS", 1), ("DEL", "KTM", 4), ("DEL", "DAC", 2), ("DEL", "CMB", 1),
    ("BOM", "DXB", 6), ("BOM", "DOH", 3), ("BOM", "AUH", 3), ("BOM", "MCT", 2),
    ("BOM", "SIN", 3), ("BOM", "BKK", 2), ("BOM", "KUL", 1), ("BOM", "HKG", 1),
    ("BOM", "LHR", 3), ("BOM", "FRA", 2), ("BOM", "CDG", 1), ("BOM", "AMS", 1),
    ("BOM", "MLE", 1), ("BOM", "CMB", 1), ("BOM", "KTM", 1),
    ("BLR", "DXB", 4), ("BLR", "DOH", 2), ("BLR", "AUH", 2), ("BLR", "SIN", 3),
    ("BLR", "BKK", 1), ("BLR", "KUL", 1), ("BLR", "LHR", 2), ("BLR", "FRA", 2),
    ("BLR", "CDG", 1), ("BLR", "MLE", 1), ("BLR", "CMB", 1),
    ("MAA", "DXB", 3), ("MAA", "DOH", 2), ("MAA", "SIN", 3), ("MAA", "KUL", 2),
    ("MAA", "BKK", 1), ("MAA", "CMB", 2), ("MAA", "LHR", 1), ("MAA", "FRA", 1),
    ("MAA", "DAC", 1),
    ("HYD", "DXB", 3), ("HYD", "DOH", 2), ("HYD", "AUH", 2), ("HYD", "SIN", 2),
    ("HYD", "BKK", 1), ("HYD", "KUL", 1), ("HYD", "LHR", 1), ("HYD", "FRA", 1),
    ("HYD", "MCT", 1),
    ("CCU", "DXB", 2), ("CCU", "DOH", 1), ("CCU", "SIN", 1), ("CCU", "BKK", 2),
    ("CCU", "DAC", 2), ("CCU", "KTM", 1), ("CCU", "KUL", 1),
    ("COK", "DXB", 4), ("COK", "DOH", 2), ("COK", "AUH", 3), ("COK", "MCT", 2),
    ("COK", "SIN", 1), ("COK", "KUL", 1), ("COK", "MLE", 1),
    ("TRV", "DXB", 2), ("TRV", "AUH", 1), ("TRV", "DOH", 1), ("TRV", "MCT", 1),
    ("TRV", "MLE", 1), ("TRV", "CMB", 1),
    ("CCJ", "DXB", 2), ("CCJ", "AUH", 1), ("CCJ", "DOH", 1), ("CCJ", "MCT", 1),
    ("AMD", "DXB", 2), ("AMD", "AUH", 1), ("AMD", "DOH", 1), ("AMD", "SIN", 1),
    ("GOI", "DXB", 1), ("GOI", "DOH", 1),
    ("ATQ", "DXB", 1),
    ("JAI", "DXB", 1),
    ("LKO", "DXB", 1),
    // Onward from the gateways.
    ("DXB", "LHR", 6), ("DXB", "CDG", 2), ("DXB", "FRA", 2), ("DXB", "AMS", 1),
    ("DXB", "JFK", 3), ("DXB", "SFO", 1), ("DXB", "ORD", 1), ("DXB", "YYZ", 1),
    ("DXB", "SYD", 2), ("DXB", "MEL", 1), ("DXB", "SIN", 3), ("DXB", "BKK", 3),
    ("DXB", "KUL", 2), ("DXB", "HKG", 2), ("DXB", "NRT", 1), ("DXB", "DOH", 4),
    ("DXB", "MCT", 3),
    ("DOH", "LHR", 5), ("DOH", "CDG", 2), ("DOH", "FRA", 2), ("DOH", "AMS", 1),
    ("DOH", "JFK", 2), ("DOH", "SFO", 1), ("DOH", "ORD", 1), ("DOH", "SYD", 1),
    ("DOH", "MEL", 1), ("DOH", "SIN", 2), ("DOH", "BKK", 2), ("DOH", "KUL", 2),
    ("DOH", "HKG", 1), ("DOH", "NRT", 1), ("DOH", "MCT", 2),
    ("AUH", "LHR", 3), ("AUH", "CDG", 1), ("AUH", "FRA", 1), ("AUH", "AMS", 1),
    ("AUH", "JFK", 1), ("AUH", "ORD", 1), ("AUH", "SYD", 1), ("AUH", "SIN", 1),
    ("AUH", "BKK", 1),
    ("SIN", "SYD", 4), ("SIN", "MEL", 3), ("SIN", "NRT", 3), ("SIN", "HKG", 4),
    ("SIN", "BKK", 5), ("SIN", "KUL", 8), ("SIN", "LHR", 3), ("SIN", "FRA", 1),
    ("SIN", "CDG", 1), ("SIN", "AMS", 1), ("SIN", "SFO", 1), ("SIN", "JFK", 1),
    ("LHR", "JFK", 12), ("LHR", "SFO", 3), ("LHR", "ORD", 4), ("LHR", "YYZ", 3),
    ("LHR", "CDG", 6), ("LHR", "FRA", 5), ("LHR", "AMS", 6), ("LHR", "HKG", 2),
    ("LHR", "NRT", 1),
    ("FRA", "JFK", 3), ("FRA", "SFO", 1), ("FRA", "ORD", 2), ("FRA", "YYZ", 1),
    ("FRA", "CDG", 4), ("FRA", "AMS", 3), ("FRA", "NRT", 1), ("FRA", "HKG", 1),
    ("FRA", "BKK", 1),
    ("CDG", "JFK", 4), ("CDG", "SFO", 1), ("CDG", "ORD", 1), ("CDG", "YYZ", 1),
    ("CDG", "AMS", 4), ("CDG", "NRT", 1), ("CDG", "HKG", 1),
    ("AMS", "JFK", 3), ("AMS", "ORD", 1), ("AMS", "YYZ", 1), ("AMS", "SFO", 1),
    ("HKG", "NRT", 4), ("HKG", "SFO", 2), ("HKG", "JFK", 1), ("HKG", "SYD", 2),
    ("HKG", "BKK", 3), ("HKG", "KUL", 2),
    ("NRT", "SFO", 2), ("NRT", "JFK", 1), ("NRT", "ORD", 1), ("NRT", "SYD", 1),
    ("BKK", "KUL", 3), ("BKK", "NRT", 2), ("BKK", "SYD", 1),
    ("KUL", "SYD", 1), ("KUL", "NRT", 1),
    ("JFK", "SFO", 10), ("JFK", "ORD", 10), ("JFK", "YYZ", 5),
    ("SFO", "ORD", 8), ("SFO", "YYZ", 2),
    ("ORD", "YYZ", 4),
    ("SYD", "MEL", 12),
];

pub struct Airline {
    pub code: &'static str,
    pub name: &'static str,
    /// Airports it is based at: it flies the international routes touching them.
    pub bases: &'static [&'static str],
    /// Share of Indian domestic departures (0 = flies none).
    pub domestic_weight: u32,
}

const fn airline(
    code: &'static str,
    name: &'static str,
    bases: &'static [&'static str],
    domestic_weight: u32,
) -> Airline {
    Airline { code, name, bases, domestic_weight }
}

pub static AIRLINES: &[Airline] = &[
    airline("AI", "Air India", &[], 25),
    airline("6E", "IndiGo", &[], 50),
    airline("QP", "Akasa Air", &[], 10),
    airline("SG", "SpiceJet", &[], 7),
    airline("IX", "Air India Express", &[], 8),
    airline("EK", "Emirates", &["DXB"], 0),
    airline("EY", "Etihad Airways", &["AUH"], 0),
    airline("QR", "Qatar Airways", &["DOH"], 0),
    airline("WY", "Oman Air", &["MCT"], 0),
    airline("SQ", "Singapore Airlines", &["SIN"], 0),
    airline("TG", "Thai Airways", &["BKK"], 0),
    airline("MH", "Malaysia Airlines", &["KUL"], 0),
    airline("CX", "Cathay Pacific", &["HKG"], 0),
    airline("NH", "All Nippon Airways", &["NRT"], 0),
    airline("QF", "Qantas", &["SYD", "MEL"], 0),
    airline("BA", "British Airways", &["LHR"], 0),
    airline("AF", "Air France", &["CDG"], 0),
    airline("LH", "Lufthansa", &["FRA"], 0),
    airline("KL", "KLM Royal Dutch Airlines", &["AMS"], 0),
    airline("DL", "Delta Air Lines", &["JFK"], 0),
    airline("UA", "United Airlines", &["SFO", "ORD"], 0),
    airline("AC", "Air Canada", &["YYZ"], 0),
    airline("UL", "SriLankan Airlines", &["CMB"], 0),
    airline("BG", "Biman Bangladesh Airlines", &["DAC"], 0),
    airline("RA", "Nepal Airlines", &["KTM"], 0),
];

pub fn is_indian_carrier(code: &str) -> bool {
    matches!(code, "AI" | "6E" | "QP" | "SG" | "IX")
}

pub struct AircraftType {
    pub code: &'static str,
    pub name: &'static str,
    pub layout: SeatLayout,
}

fn section(
    cabin: Cabin,
    rows: (u16, u16),
    letters: &str,
    aisle_after: &[&str],
    exit_rows: &[u16],
    extra_legroom_rows: &[u16],
    front_rows: &[u16],
) -> CabinSection {
    CabinSection {
        cabin,
        first_row: rows.0,
        last_row: rows.1,
        letters: letters.into(),
        aisle_after: aisle_after.iter().map(|s| s.to_string()).collect(),
        exit_rows: exit_rows.to_vec(),
        extra_legroom_rows: extra_legroom_rows.to_vec(),
        front_rows: front_rows.to_vec(),
    }
}

/// The all-economy A320 flight 1 flies: the original walkthrough books seat 1A.
/// Its operator sells no front rows, so seat 1A is a standard seat, which the
/// original booking body includes in the fare (`domain::seat_charges`): the
/// walkthrough's two seats still cost 5000 INR.
pub const WALKTHROUGH_AIRCRAFT: &str = "A20N";

pub fn aircraft_types() -> Vec<AircraftType> {
    use Cabin::*;
    let layout = |cabins| SeatLayout { cabins };
    vec![
        AircraftType {
            code: WALKTHROUGH_AIRCRAFT,
            name: "Airbus A320neo (all economy)",
            layout: layout(vec![section(Economy, (1, 31), "ABCDEF", &["C"], &[12, 13], &[12, 13], &[])]),
        },
        AircraftType {
            code: "A21N",
            name: "Airbus A321neo",
            layout: layout(vec![
                section(Business, (1, 2), "ACDF", &["C"], &[], &[], &[]),
                section(Economy, (3, 34), "ABCDEF", &["C"], &[12, 26], &[3, 12, 26], &[4, 5]),
            ]),
        },
        AircraftType {
            code: "B38M",
            name: "Boeing 737-8",
            layout: layout(vec![section(Economy, (1, 32), "ABCDEF", &["C"], &[15, 16], &[1, 15, 16], &[2, 3, 4])]),
        },
        AircraftType {
            code: "AT76",
            name: "ATR 72-600",
            layout: layout(vec![section(Economy, (1, 18), "ACDF", &["C"], &[], &[], &[1, 2])]),
        },
        AircraftType {
            code: "B788",
            name: "Boeing 787-8 Dreamliner",
            layout: layout(vec![
                section(Business, (1, 4), "ACDGHK", &["C", "G"], &[], &[], &[]),
                section(PremiumEconomy, (10, 12), "ACDEFHK", &["C", "F"], &[], &[10], &[11]),
                section(Economy, (20, 41), "ABCDEFGHK", &["C", "F"], &[20, 30], &[20, 30], &[21, 22]),
            ]),
        },
        AircraftType {
            code: "B77W",
            name: "Boeing 777-300ER",
            layout: layout(vec![
                section(Business, (1, 10), "ADGK", &["A", "G"], &[], &[], &[]),
                section(PremiumEconomy, (15, 18), "ACDEFGHK", &["C", "G"], &[], &[15], &[16]),
                section(Economy, (20, 49), "ABCDEFGHJK", &["C", "G"], &[20, 34], &[20, 34], &[21, 22]),
            ]),
        },
        AircraftType {
            code: "A359",
            name: "Airbus A350-900",
            layout: layout(vec![
                section(Business, (1, 9), "ADGK", &["A", "G"], &[], &[], &[]),
                section(PremiumEconomy, (10, 13), "ACDEFHK", &["C", "F"], &[], &[10], &[11]),
                section(Economy, (15, 44), "ABCDEFGHK", &["C", "F"], &[15, 30], &[15, 30], &[16, 17]),
            ]),
        },
    ]
}

/// Great-circle distance in km.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn find(code: &str) -> Option<&'static RealAirport> {
        AIRPORTS.iter().find(|a| a.code == code)
    }

    #[test]
    fn references_are_consistent() {
        let codes: HashSet<_> = AIRPORTS.iter().map(|a| a.code).collect();
        assert_eq!(codes.len(), AIRPORTS.len(), "duplicate airport");
        for airport in AIRPORTS {
            if let Role::Spoke { hubs, .. } = airport.role {
                assert!((2..=3).contains(&hubs.len()), "{}", airport.code);
                assert!(hubs.iter().all(|h| find(h).map(|a| a.role) == Some(Role::Hub)), "{}", airport.code);
            }
        }
        let mut pairs = HashSet::new();
        for (a, b, _) in TRUNKS.iter().chain(INTERNATIONAL) {
            assert!(find(a).is_some() && find(b).is_some(), "{a}-{b}");
            let key = if a < b { (a, b) } else { (b, a) };
            assert!(pairs.insert(key), "route {a}-{b} listed twice");
        }
        for airline in AIRLINES {
            assert!(airline.bases.iter().all(|b| codes.contains(b)));
        }
    }

    #[test]
    fn layouts_round_trip_and_have_seat_1a() {
        for aircraft in aircraft_types() {
            let json = serde_json::to_value(&aircraft.layout).unwrap();
            let back: SeatLayout = serde_json::from_value(json).unwrap();
            assert_eq!(back, aircraft.layout);
            assert!(aircraft.layout.seats().count() > 0);
        }
        let a320 = aircraft_types().remove(0);
        assert_eq!(a320.layout.seat_count(Cabin::Economy), 186);
        assert_eq!(a320.layout.seat_count(Cabin::Business), 0);
    }

    #[test]
    fn distances_are_about_right() {
        let d = |a: &str, b: &str| {
            let (a, b) = (find(a).unwrap(), find(b).unwrap());
            distance_km((a.lat, a.lon), (b.lat, b.lon))
        };
        assert!((1100.0..1200.0).contains(&d("DEL", "BOM")));
        assert!((5400.0..5600.0).contains(&d("LHR", "JFK")));
    }
}
