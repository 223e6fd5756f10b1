//! Return-to-player targets.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An RTP target in basis points (hundredths of a percent): 80.00–99.00 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Rtp(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rtp must be between 80.00 and 99.00 with at most two decimals")]
pub struct RtpError;

impl Rtp {
    pub const MIN_BP: u32 = 8_000;
    pub const MAX_BP: u32 = 9_900;
    /// The highest target: every paytable pays the most at it.
    pub const MAX: Rtp = Rtp(Self::MAX_BP);

    pub fn from_bp(bp: u32) -> Result<Self, RtpError> {
        if (Self::MIN_BP..=Self::MAX_BP).contains(&bp) { Ok(Self(bp)) } else { Err(RtpError) }
    }

    /// Parses a percentage such as `96.5`; more than two decimals is an error.
    pub fn from_percent(percent: f64) -> Result<Self, RtpError> {
        let scaled = percent * 100.0;
        let bp = scaled.round();
        if !percent.is_finite() || (scaled - bp).abs() > 1e-6 || bp < 0.0 || bp > f64::from(u32::MAX) {
            return Err(RtpError);
        }
        Self::from_bp(bp as u32)
    }

    pub fn bp(self) -> u32 {
        self.0
    }

    pub fn percent(self) -> f64 {
        f64::from(self.0) / 100.0
    }

    pub fn fraction(self) -> f64 {
        f64::from(self.0) / 10_000.0
    }
}

impl TryFrom<u32> for Rtp {
    type Error = RtpError;
    fn try_from(bp: u32) -> Result<Self, RtpError> {
        Self::from_bp(bp)
    }
}

impl From<Rtp> for u32 {
    fn from(r: Rtp) -> u32 {
        r.0
    }
}

impl fmt::Display for Rtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_parsing() {
        assert_eq!(Rtp::from_percent(96.5).unwrap().bp(), 9_650);
        assert_eq!(Rtp::from_percent(80.0).unwrap().bp(), 8_000);
        assert_eq!(Rtp::from_percent(99.0).unwrap().bp(), 9_900);
        assert_eq!(Rtp::from_percent(88.55).unwrap().to_string(), "88.55");
        for bad in [79.99, 99.01, 96.555, f64::NAN, -1.0, 1e30] {
            assert!(Rtp::from_percent(bad).is_err(), "{bad}");
        }
    }
}
