//! Money: integer minor units only, never floats.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The largest amount any single request may carry: 10^12 minor units.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// A strictly positive amount of minor units, at most [`MAX_AMOUNT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Amount(i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount must be greater than 0")]
    NotPositive,
    #[error("amount must be at most 1000000000000 minor units")]
    TooLarge,
}

/// The total of money amounts in minor units, or `None` when it leaves `i64`. Every
/// money total goes through here, so an overflow is an error for the caller to
/// report, never a wrapped (release) or panicking (debug) sum.
pub fn checked_sum(amounts: impl IntoIterator<Item = i64>) -> Option<i64> {
    amounts.into_iter().try_fold(0_i64, i64::checked_add)
}

impl Amount {
    pub fn new(minor_units: i64) -> Result<Self, AmountError> {
        if minor_units <= 0 {
            Err(AmountError::NotPositive)
        } else if minor_units > MAX_AMOUNT {
            Err(AmountError::TooLarge)
        } else {
            Ok(Self(minor_units))
        }
    }

    pub const fn minor_units(self) -> i64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = i64::deserialize(d)?;
        Amount::new(raw).map_err(serde::de::Error::custom)
    }
}

/// Currencies the platform keeps wallets in (ISO 4217, all with two minor digits so
/// that every amount rule reads the same in each of them).
const CURRENCIES: &[&str] =
    &["AUD", "BRL", "CAD", "CHF", "CZK", "DKK", "EUR", "GBP", "MXN", "NOK", "NZD", "PLN", "SEK", "USD", "ZAR"];

/// An ISO 4217 currency code the platform supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Currency([u8; 3]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported currency; expected one of {}", CURRENCIES.join(", "))]
pub struct CurrencyError;

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");

    pub fn parse(code: &str) -> Result<Self, CurrencyError> {
        let upper = code.trim().to_ascii_uppercase();
        if !CURRENCIES.contains(&upper.as_str()) {
            return Err(CurrencyError);
        }
        let mut b = [0u8; 3];
        b.copy_from_slice(upper.as_bytes());
        Ok(Self(b))
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from the ASCII codes in `CURRENCIES`.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    pub fn supported() -> &'static [&'static str] {
        CURRENCIES
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Currency::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_money_total_that_overflows_is_none() {
        assert_eq!(checked_sum([1, 2, 3]), Some(6));
        assert_eq!(checked_sum([]), Some(0));
        assert_eq!(checked_sum([i64::MAX, 1]), None);
        assert_eq!(checked_sum([i64::MIN, -1]), None);
    }

    #[test]
    fn amount_bounds() {
        for (raw, ok) in [
            (-1, false),
            (0, false),
            (1, true),
            (MAX_AMOUNT, true),
            (MAX_AMOUNT + 1, false),
            (i64::MIN, false),
            (i64::MAX, false),
        ] {
            assert_eq!(Amount::new(raw).is_ok(), ok, "{raw}");
        }
    }

    #[test]
    fn currency_parse() {
        assert_eq!(Currency::parse("eur").map(|c| c.to_string()), Ok("EUR".into()));
        assert!(Currency::parse("XYZ").is_err());
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("").is_err());
    }
}
