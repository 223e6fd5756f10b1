//! Per-provider behaviour that is configuration, not code: how the provider counts
//! money, how its amounts round to ours, and whether a win without its bet is final.

use crate::Failure;
use serde::{Deserialize, Serialize};

/// How a provider's behaviour differs from the canonical defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderConfig {
    pub scale: AmountScale,
    /// A win whose bet is unknown: `true` tells the provider to stop retrying it.
    pub win_without_bet_is_final: bool,
    /// How long a launch token lets its player bet (wins and rollbacks are accepted
    /// with an expired one).
    pub token_ttl_seconds: i64,
}

impl ProviderConfig {
    /// What a provider speaking `protocol` gets unless its registration says otherwise.
    pub fn default_for(protocol: crate::Protocol) -> Self {
        match protocol {
            crate::Protocol::Hub88 => {
                ProviderConfig { scale: AmountScale::HUB88, win_without_bet_is_final: true, token_ttl_seconds: 3600 }
            }
            crate::Protocol::Pragmatic => {
                ProviderConfig { scale: AmountScale::DECIMAL, win_without_bet_is_final: false, token_ttl_seconds: 3600 }
            }
        }
    }
}

/// How a provider's amounts map onto the platform's minor units (every supported
/// currency has two minor digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountScale {
    /// Provider units in one minor unit (Hub88: 1/100000 of the currency unit → 1000;
    /// decimal protocols: 1).
    pub units_per_minor: i64,
    pub rounding: AmountRounding,
}

/// What to do with a provider amount finer than a minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountRounding {
    /// Refuse it as a syntax error (nothing is guessed).
    Exact,
    /// Round toward zero (the player never gets a fraction the provider did not pay).
    Down,
}

impl AmountScale {
    /// Hub88: amounts in 1/100000 of the currency unit, only whole minor units accepted.
    pub const HUB88: AmountScale = AmountScale { units_per_minor: 1000, rounding: AmountRounding::Exact };
    /// Decimal protocols: amounts already in currency units with two decimals.
    pub const DECIMAL: AmountScale = AmountScale { units_per_minor: 1, rounding: AmountRounding::Exact };

    /// A provider amount in minor units.
    pub fn to_minor(self, units: i64) -> Result<i64, Failure> {
        if units < 0 {
            return Err(Failure::WrongSyntax("amount must not be negative".into()));
        }
        let per = self.units_per_minor.max(1);
        if units % per != 0 && self.rounding == AmountRounding::Exact {
            return Err(Failure::WrongSyntax(format!("amount {units} is not a whole number of minor units")));
        }
        Ok(units / per)
    }

    /// Minor units in the provider's units (saturating: a wallet never holds more than
    /// `i64::MAX / 1000` provider units in practice).
    pub fn from_minor(self, minor: i64) -> i64 {
        minor.saturating_mul(self.units_per_minor.max(1))
    }
}

/// A decimal amount in currency units (`"10"`, `"10.5"`, `"10.50"`) in minor units, by
/// the scale's rounding for digits past the second.
pub fn parse_decimal(raw: &str, rounding: AmountRounding) -> Result<i64, Failure> {
    let bad = || Failure::WrongSyntax(format!("amount {raw:?} is not a decimal amount"));
    let (whole, frac) = raw.trim().split_once('.').unwrap_or((raw.trim(), ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (kept, dropped) = frac.split_at(frac.len().min(2));
    if dropped.bytes().any(|b| b != b'0') && rounding == AmountRounding::Exact {
        return Err(Failure::WrongSyntax(format!("amount {raw:?} has more than two decimals")));
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = format!("{kept:0<2}").parse().map_err(|_| bad())?;
    whole.checked_mul(100).and_then(|w| w.checked_add(cents)).ok_or_else(bad)
}

/// Minor units as a decimal amount with two decimals (`1050` → `"10.50"`).
pub fn format_decimal(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub88_amounts_are_whole_minor_units_or_refused() {
        assert_eq!(AmountScale::HUB88.to_minor(150_000), Ok(150));
        assert_eq!(AmountScale::HUB88.to_minor(0), Ok(0));
        assert!(matches!(AmountScale::HUB88.to_minor(150_001), Err(Failure::WrongSyntax(_))));
        assert!(matches!(AmountScale::HUB88.to_minor(-1000), Err(Failure::WrongSyntax(_))));
        let down = AmountScale { rounding: AmountRounding::Down, ..AmountScale::HUB88 };
        assert_eq!(down.to_minor(150_999), Ok(150));
        assert_eq!(AmountScale::HUB88.from_minor(150), 150_000);
    }

    #[test]
    fn decimals_parse_to_minor_units_and_back() {
        assert_eq!(parse_decimal("10", AmountRounding::Exact), Ok(1000));
        assert_eq!(parse_decimal("10.5", AmountRounding::Exact), Ok(1050));
        assert_eq!(parse_decimal("0.01", AmountRounding::Exact), Ok(1));
        assert_eq!(parse_decimal("10.500", AmountRounding::Exact), Ok(1050));
        assert!(parse_decimal("10.505", AmountRounding::Exact).is_err());
        assert_eq!(parse_decimal("10.509", AmountRounding::Down), Ok(1050));
        for bad in ["", ".5", "-1", "1e3", "1.2.3", "abc", "99999999999999999999"] {
            assert!(parse_decimal(bad, AmountRounding::Exact).is_err(), "{bad}");
        }
        assert_eq!(format_decimal(1050), "10.50");
        assert_eq!(format_decimal(7), "0.07");
        assert_eq!(format_decimal(0), "0.00");
    }
}
