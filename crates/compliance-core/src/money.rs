//! What the money and play rules read ([`Policy`]), and what a posting made through
//! them returns ([`MoneyResult`]).

use crate::{AmlAlert, AmlThresholds, HarmAlert, SimulatedProvider};
use rg_core::Profiles;
use wallet_core::PostOutcome;

/// The configuration the money and play rules read.
#[derive(Debug, Clone)]
pub struct Policy {
    pub profiles: Profiles,
    pub aml: AmlThresholds,
    pub kyc_provider: SimulatedProvider,
    /// Staff postings above this many minor units need a second admin's approval.
    pub manual_posting_approval_above: i64,
}

/// A deposit or withdrawal made through the compliance rules, with what it raised.
#[derive(Debug, Clone)]
pub struct MoneyResult {
    pub outcome: PostOutcome,
    pub aml_alerts: Vec<AmlAlert>,
    pub harm_alerts: Vec<HarmAlert>,
}
