//! The GST rules of an invoice line: the place of supply (the state where the passenger
//! embarks) and the tax that follows from it, the rate by cabin, the taxable value inside a
//! GST-inclusive fare, and how a discount is spread over the lines.

use super::{GstTreatment, PlaceOfSupply, SELLER_STATE_CODE};
use crate::domain::seating::Cabin;

/// Indian airports by IATA code → (GST state code, state or union territory).
pub const INDIAN_AIRPORTS: &[(&str, &str, &str)] = &[
    ("AGR", "09", "Uttar Pradesh"),
    ("AJL", "15", "Mizoram"),
    ("AMD", "24", "Gujarat"),
    ("ATQ", "03", "Punjab"),
    ("BBI", "21", "Odisha"),
    ("BDQ", "24", "Gujarat"),
    ("BHO", "23", "Madhya Pradesh"),
    ("BLR", "29", "Karnataka"),
    ("BOM", "27", "Maharashtra"),
    ("CCJ", "32", "Kerala"),
    ("CCU", "19", "West Bengal"),
    ("CJB", "33", "Tamil Nadu"),
    ("CNN", "32", "Kerala"),
    ("COK", "32", "Kerala"),
    ("DED", "05", "Uttarakhand"),
    ("DEL", "07", "Delhi"),
    ("DHM", "02", "Himachal Pradesh"),
    ("DIB", "18", "Assam"),
    ("DMU", "13", "Nagaland"),
    ("GAU", "18", "Assam"),
    ("GAY", "10", "Bihar"),
    ("GOI", "30", "Goa"),
    ("GOX", "30", "Goa"),
    ("GWL", "23", "Madhya Pradesh"),
    ("HBX", "29", "Karnataka"),
    ("HYD", "36", "Telangana"),
    ("IDR", "23", "Madhya Pradesh"),
    ("IMF", "14", "Manipur"),
    ("IXA", "16", "Tripura"),
    ("IXB", "19", "West Bengal"),
    ("IXC", "04", "Chandigarh"),
    ("IXE", "29", "Karnataka"),
    ("IXJ", "01", "Jammu and Kashmir"),
    ("IXL", "38", "Ladakh"),
    ("IXM", "33", "Tamil Nadu"),
    ("IXR", "20", "Jharkhand"),
    ("IXU", "27", "Maharashtra"),
    ("IXZ", "35", "Andaman and Nicobar Islands"),
    ("JAI", "08", "Rajasthan"),
    ("JDH", "08", "Rajasthan"),
    ("JLR", "23", "Madhya Pradesh"),
    ("LKO", "09", "Uttar Pradesh"),
    ("MAA", "33", "Tamil Nadu"),
    ("NAG", "27", "Maharashtra"),
    ("PAT", "10", "Bihar"),
    ("PNQ", "27", "Maharashtra"),
    ("PNY", "34", "Puducherry"),
    ("PYG", "11", "Sikkim"),
    ("RAJ", "24", "Gujarat"),
    ("RPR", "22", "Chhattisgarh"),
    ("SHL", "17", "Meghalaya"),
    ("STV", "24", "Gujarat"),
    ("SXR", "01", "Jammu and Kashmir"),
    ("TIR", "37", "Andhra Pradesh"),
    ("TRV", "32", "Kerala"),
    ("TRZ", "33", "Tamil Nadu"),
    ("UDR", "08", "Rajasthan"),
    ("VGA", "37", "Andhra Pradesh"),
    ("VNS", "09", "Uttar Pradesh"),
    ("VTZ", "37", "Andhra Pradesh"),
];

/// The GST state code and name of an Indian airport, `None` when it is not in the table.
pub fn airport_state(iata: &str) -> Option<(&'static str, &'static str)> {
    let iata = iata.trim().to_ascii_uppercase();
    INDIAN_AIRPORTS
        .iter()
        .find(|(code, _, _)| *code == iata)
        .map(|(_, state_code, state_name)| (*state_code, *state_name))
}

/// The GST rate in percent for a cabin (fares of passenger air transport).
pub fn gst_rate_percent(cabin: Cabin) -> u32 {
    match cabin {
        Cabin::Economy => 5,
        Cabin::PremiumEconomy | Cabin::Business | Cabin::First => 12,
    }
}

/// The GST inside a GST-inclusive fare of `cabin` charged in India.
pub fn gst_included(inclusive: i64, cabin: Cabin) -> i64 {
    inclusive - taxable_value(inclusive, gst_rate_percent(cabin))
}

/// The place of supply of a journey embarking at `origin` (IATA) in `origin_country`
/// (ISO 3166-1 alpha-2), and how GST applies there.
pub(super) fn place_of_supply(origin: &str, origin_country: &str) -> (PlaceOfSupply, GstTreatment) {
    let country = origin_country.trim().to_ascii_uppercase();
    let state = (country == "IN").then(|| airport_state(origin)).flatten();
    let treatment = match state {
        _ if country != "IN" => GstTreatment::OutsideScope,
        Some((code, _)) if code == SELLER_STATE_CODE => GstTreatment::IntraState,
        _ => GstTreatment::InterState,
    };
    let place = PlaceOfSupply {
        country,
        state_code: state.map(|(code, _)| code.to_string()),
        state_name: state.map(|(_, name)| name.to_string()),
    };
    (place, treatment)
}

/// The rate a line is taxed at: its cabin's, none outside the scope of GST.
pub(super) fn applicable_rate_percent(treatment: GstTreatment, cabin: Cabin) -> u32 {
    match treatment {
        GstTreatment::OutsideScope => 0,
        _ => gst_rate_percent(cabin),
    }
}

/// A line's tax as (CGST, SGST, IGST): within the seller's state half each (CGST rounded
/// down, SGST the rest), across states all IGST.
pub(super) fn split_tax(tax: i64, treatment: GstTreatment) -> (i64, i64, i64) {
    match treatment {
        GstTreatment::IntraState => (tax / 2, tax - tax / 2, 0),
        GstTreatment::InterState => (0, 0, tax),
        GstTreatment::OutsideScope => (0, 0, 0),
    }
}

/// round(inclusive × 100 / (100 + rate)), halves up; `inclusive` is not negative.
pub(super) fn taxable_value(inclusive: i64, rate_percent: u32) -> i64 {
    let divisor = 100 + i128::from(rate_percent);
    ((i128::from(inclusive) * 200 + divisor) / (2 * divisor)) as i64
}

pub(super) use crate::domain::money::apportion;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportioning_always_sums_to_the_amount() {
        assert_eq!(apportion(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(apportion(0, &[5, 7]), vec![0, 0]);
        assert_eq!(apportion(7, &[0, 0]), vec![0, 0]);
        assert_eq!(apportion(10, &[10, 0, 0]), vec![10, 0, 0]);
        for (amount, weights) in
            [(20001, vec![333333, 1, 666668, 250000]), (27, vec![1, 2, 3, 4, 5, 6, 7]), (1, vec![3, 3, 3])]
        {
            let parts = apportion(amount, &weights);
            assert_eq!(parts.iter().sum::<i64>(), amount);
            for (part, weight) in parts.iter().zip(&weights) {
                assert!(*part >= 0 && part <= weight);
            }
        }
    }

    #[test]
    fn airport_table_is_well_formed() {
        let mut codes: Vec<&str> = INDIAN_AIRPORTS.iter().map(|(code, _, _)| *code).collect();
        let count = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), count, "duplicate IATA code");
        for (code, state_code, _) in INDIAN_AIRPORTS {
            assert!(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()));
            let n: u32 = state_code.parse().unwrap();
            assert!(state_code.len() == 2 && (1..=38).contains(&n));
        }
        for (iata, expected) in [
            ("DEL", ("07", "Delhi")),
            ("bom", ("27", "Maharashtra")),
            ("BLR", ("29", "Karnataka")),
            ("HYD", ("36", "Telangana")),
            ("IXC", ("04", "Chandigarh")),
            ("VTZ", ("37", "Andhra Pradesh")),
            ("ATQ", ("03", "Punjab")),
            ("DED", ("05", "Uttarakhand")),
        ] {
            assert_eq!(airport_state(iata), Some(expected));
        }
        assert_eq!(airport_state("SIN"), None);
    }
}
