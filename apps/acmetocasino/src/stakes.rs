//! The stake rules of a bet: the catalogue's limits or the operator's (game control),
//! and the cap the player's jurisdiction puts on the game for their age on the day of
//! the bet (responsible gaming), composed for the pure decisions of
//! [`gal_core::stake`]. The round and the catalogue both ask here, so a player is shown
//! exactly the limits their bets meet.

use chrono::NaiveDate;
use gal_core::{GameInfo, StakeCap, StakeRules};
use gamectl_core::BetLimits;
use rg_core::Profiles;

/// Who bets: what the jurisdiction's caps depend on.
#[derive(Debug, Clone, Copy)]
pub struct Bettor<'a> {
    pub country: &'a str,
    pub date_of_birth: NaiveDate,
}

/// The rules on a stake in the game `info`, under the operator's `limits` (else the
/// catalogue's), for `bettor` (none: no cap, as for an anonymous visitor) on the day `on`.
pub fn rules(
    info: &GameInfo,
    limits: Option<BetLimits>,
    profiles: &Profiles,
    bettor: Option<Bettor<'_>>,
    on: NaiveDate,
) -> StakeRules {
    let (min_bet, max_bet) = limits.map_or((info.min_bet, info.max_bet), |l| (l.min_bet(), l.max_bet()));
    StakeRules { min_bet, max_bet, cap: cap(profiles, info.kind.as_str(), info.slug, bettor, on) }
}

/// The stake cap the bettor's jurisdiction and age put on a game of `kind` (`None`: no
/// bettor known, or no cap), for in-house and provider games alike.
pub fn cap(profiles: &Profiles, kind: &str, slug: &str, bettor: Option<Bettor<'_>>, on: NaiveDate) -> Option<StakeCap> {
    bettor.and_then(|b| {
        let profile = profiles.for_country(b.country);
        profile
            .stake_cap(kind, slug, b.date_of_birth, on)
            .map(|c| StakeCap { max_stake: c.max_stake.minor_units(), rule: c.rule.clone() })
    })
}

/// The catalogue's limits of a game.
pub fn catalogue_limits(info: &GameInfo) -> Result<BetLimits, gamectl_core::LimitsError> {
    BetLimits::new(info.min_bet, info.max_bet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gal_core::Catalogue;

    #[test]
    fn a_gb_player_meets_the_slot_cap_of_their_age_and_others_none() {
        let c = Catalogue::standard();
        let slot = c.get("video-slot").unwrap().info();
        let dice = c.get("dice").unwrap().info();
        let profiles = Profiles::defaults();
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let gb = Bettor { country: "GB", date_of_birth: day("2001-06-15") };
        let max = |info: &GameInfo, bettor, on| rules(info, None, &profiles, bettor, day(on)).max_stake().0;
        assert_eq!(max(&slot, Some(gb), "2026-06-14"), 200);
        assert_eq!(max(&slot, Some(gb), "2026-06-15"), 500);
        assert_eq!(max(&dice, Some(gb), "2026-06-15"), dice.max_bet);
        assert_eq!(max(&slot, None, "2026-06-15"), slot.max_bet);
        let se = Bettor { country: "SE", ..gb };
        assert_eq!(max(&slot, Some(se), "2026-06-14"), slot.max_bet);
        let operator = BetLimits::new(50, 300).unwrap();
        let r = rules(&slot, Some(operator), &profiles, Some(gb), day("2026-06-15"));
        assert_eq!((r.min_bet, r.max_stake()), (50, (300, None)), "the operator's lower maximum binds first");
        assert!(catalogue_limits(&slot).is_ok());
    }
}
