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

/// A non-negative sum of money in minor units: a balance, a payout, a running total of
/// play. Arithmetic is checked: a result below zero or past `i64` is `None`, never a
/// wrapped or clamped value. Serialised as the plain integer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Money(i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a sum of money cannot be negative (got {0})")]
pub struct NegativeMoney(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    /// `minor_units` as money; a negative value is refused.
    pub const fn new(minor_units: i64) -> Result<Self, NegativeMoney> {
        if minor_units < 0 { Err(NegativeMoney(minor_units)) } else { Ok(Self(minor_units)) }
    }

    pub const fn minor_units(self) -> i64 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`; `None` past `i64`.
    pub fn checked_add(self, other: impl Into<Money>) -> Option<Money> {
        self.0.checked_add(other.into().0).map(Money)
    }

    /// `self − other`; `None` below zero.
    pub fn checked_sub(self, other: impl Into<Money>) -> Option<Money> {
        self.0.checked_sub(other.into().0).and_then(|m| Money::new(m).ok())
    }

    /// `self` moved by a signed `delta` (a posting's change to a balance); `None` below
    /// zero or past `i64`.
    pub fn checked_add_signed(self, delta: i64) -> Option<Money> {
        self.0.checked_add(delta).and_then(|m| Money::new(m).ok())
    }

    /// The total of `sums`; `None` past `i64`.
    pub fn checked_sum(sums: impl IntoIterator<Item = Money>) -> Option<Money> {
        sums.into_iter().try_fold(Money::ZERO, Money::checked_add)
    }

    /// A positive sum as an [`Amount`]; `None` for zero or past [`MAX_AMOUNT`].
    pub fn to_amount(self) -> Option<Amount> {
        Amount::new(self.0).ok()
    }
}

impl From<Amount> for Money {
    fn from(a: Amount) -> Self {
        Money(a.minor_units())
    }
}

impl TryFrom<i64> for Money {
    type Error = NegativeMoney;
    fn try_from(minor_units: i64) -> Result<Self, NegativeMoney> {
        Money::new(minor_units)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Money::new(i64::deserialize(d)?).map_err(serde::de::Error::custom)
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
    fn money_is_never_negative_and_its_arithmetic_refuses_to_leave_the_range() {
        assert_eq!(Money::new(-1), Err(NegativeMoney(-1)));
        assert_eq!(Money::new(0), Ok(Money::ZERO));
        let m = |n| Money::new(n).unwrap();
        assert_eq!(m(5).checked_add(m(7)), Some(m(12)));
        assert_eq!(m(i64::MAX).checked_add(m(1)), None, "past i64");
        assert_eq!(m(7).checked_sub(m(5)), Some(m(2)));
        assert_eq!(m(5).checked_sub(m(7)), None, "below zero");
        assert_eq!(m(5).checked_sub(Amount::new(5).unwrap()), Some(Money::ZERO));
        assert_eq!(m(5).checked_add_signed(-5), Some(Money::ZERO));
        assert_eq!(m(5).checked_add_signed(-6), None);
        assert_eq!(m(i64::MAX).checked_add_signed(1), None);
        assert_eq!(Money::checked_sum([m(1), m(2)]), Some(m(3)));
        assert_eq!(Money::checked_sum([m(i64::MAX), m(1)]), None);
        assert_eq!(m(0).to_amount(), None);
        assert_eq!(m(3).to_amount(), Amount::new(3).ok());
        assert_eq!(Money::from(Amount::new(9).unwrap()), m(9));
    }

    #[test]
    fn money_travels_as_a_plain_integer_and_refuses_a_negative_one() {
        let m = Money::new(1_234).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "1234");
        assert_eq!(serde_json::from_str::<Money>("1234").unwrap(), m);
        assert!(serde_json::from_str::<Money>("-1").is_err());
    }

    #[test]
    fn currency_parse() {
        assert_eq!(Currency::parse("eur").map(|c| c.to_string()), Ok("EUR".into()));
        assert!(Currency::parse("XYZ").is_err());
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("").is_err());
    }
}
