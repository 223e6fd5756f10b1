//! Validated value types: each can only hold a valid value.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::fmt;

/// Why a raw value was refused; the message is safe to show to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TypeError(pub &'static str);

/// 3–32 characters of `[a-z0-9_.-]`. Input is lower-cased first, so names are
/// case-insensitively unique.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, TypeError> {
        let s = raw.to_ascii_lowercase();
        let len = s.chars().count();
        if !(3..=32).contains(&len) {
            return Err(TypeError("must be 3 to 32 characters"));
        }
        if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b)) {
            return Err(TypeError("may contain only a-z, 0-9, '_', '.' and '-'"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, lower-cased, in the common `local@domain.tld` form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, TypeError> {
        const BAD: TypeError = TypeError("must be a valid e-mail address");
        let s = raw.trim().to_lowercase();
        if s.len() > 254 {
            return Err(TypeError("must be at most 254 characters"));
        }
        let (local, domain) = s.split_once('@').ok_or(BAD)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if local_ok && domain_ok { Ok(Self(s)) } else { Err(BAD) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the policy (8–128 characters). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, TypeError> {
        let len = raw.chars().count();
        if !(8..=128).contains(&len) {
            return Err(TypeError("must be 8 to 128 characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// The date of birth of a person who is at least 18 years old on the day checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct DateOfBirth(NaiveDate);

impl DateOfBirth {
    pub const MINIMUM_AGE: u32 = 18;

    /// Parses an ISO 8601 date (`YYYY-MM-DD`) and checks the person is an adult `today`.
    pub fn parse(raw: &str, today: NaiveDate) -> Result<Self, TypeError> {
        let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| TypeError("must be a date YYYY-MM-DD"))?;
        Self::new(date, today)
    }

    pub fn new(date: NaiveDate, today: NaiveDate) -> Result<Self, TypeError> {
        if date.year() < 1900 {
            return Err(TypeError("must be after 1900-01-01"));
        }
        if date > today {
            return Err(TypeError("must not be in the future"));
        }
        if kernel::clock::age_on(date, today) < Self::MINIMUM_AGE {
            return Err(TypeError("the player must be at least 18 years old"));
        }
        Ok(Self(date))
    }

    /// A date read back from storage, where it was validated on the way in.
    pub fn from_stored(date: NaiveDate) -> Self {
        Self(date)
    }

    pub fn date(&self) -> NaiveDate {
        self.0
    }
}

/// ISO 3166-1 alpha-2 codes, officially assigned.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ \
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET \
FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR \
IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN \
MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY \
QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR \
TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// An ISO 3166-1 alpha-2 country code (upper case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Country([u8; 2]);

impl Country {
    pub fn parse(raw: &str) -> Result<Self, TypeError> {
        let s = raw.trim().to_ascii_uppercase();
        if s.len() != 2 || !COUNTRIES.split(' ').any(|c| c == s) {
            return Err(TypeError("must be an ISO 3166-1 alpha-2 country code"));
        }
        let mut b = [0u8; 2];
        b.copy_from_slice(s.as_bytes());
        Ok(Self(b))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

impl From<Country> for String {
    fn from(c: Country) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for (raw, ok) in [
            ("ab", false),
            ("abc", true),
            ("Alice_01", true),
            ("a".repeat(32).as_str(), true),
            ("a".repeat(33).as_str(), false),
            ("with space", false),
            ("émile", false),
            ("x.y-z_9", true),
        ] {
            assert_eq!(Username::parse(raw).is_ok(), ok, "{raw}");
        }
        assert_eq!(Username::parse("Alice").unwrap().as_str(), "alice");
    }

    #[test]
    fn emails() {
        for (raw, ok) in [
            ("a@b.co", true),
            ("First.Last+tag@Example.COM", true),
            ("no-at.example.com", false),
            ("a@b", false),
            ("a@@b.com", false),
            (".a@b.com", false),
            ("a..b@c.com", false),
            ("a@-b.com", false),
            ("a@b.c0m", false),
            ("", false),
        ] {
            assert_eq!(Email::parse(raw).is_ok(), ok, "{raw}");
        }
        assert_eq!(Email::parse("A@B.Com").unwrap().as_str(), "a@b.com");
    }

    #[test]
    fn passwords() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"p".repeat(128)).is_ok());
        assert!(Password::parse(&"p".repeat(129)).is_err());
        assert_eq!(format!("{:?}", Password::parse("secret-pass").unwrap()), "Password(***)");
    }

    #[test]
    fn adulthood_is_exact_to_the_day() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert!(DateOfBirth::parse("2008-11-24", today).is_ok());
        assert!(DateOfBirth::parse("2008-11-25", today).is_err());
        assert!(DateOfBirth::parse("2030-01-01", today).is_err());
        assert!(DateOfBirth::parse("1899-12-31", today).is_err());
        assert!(DateOfBirth::parse("24/11/2000", today).is_err());
        // Born on 29 February 2008: adult on 1 March 2026, not on 28 February.
        let feb28 = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        let mar1 = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert!(DateOfBirth::parse("2008-02-29", feb28).is_err());
        assert!(DateOfBirth::parse("2008-02-29", mar1).is_ok());
    }

    #[test]
    fn countries() {
        assert_eq!(Country::parse("gb").unwrap().as_str(), "GB");
        for bad in ["UK", "XX", "GBR", "", "g"] {
            assert!(Country::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(COUNTRIES.split(' ').count(), 249);
    }
}
