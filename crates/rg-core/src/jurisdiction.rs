//! Jurisdiction profiles: the rules that differ by the player's country, taken from
//! configuration with built-in defaults.

use crate::exclusion::SelfExclusionDuration;
use chrono::{Duration, NaiveDate};
use kernel::Amount;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The code of the profile that applies to every country without one of its own.
pub const DEFAULT_CODE: &str = "default";

/// The responsible-gaming rules of one jurisdiction.
///
/// In JSON the cooling-off is a whole number of hours:
/// `{"code": "DE", "limit_increase_cooling_off_hours": 168, "min_self_exclusion": "3_months",
/// "mandatory_monthly_limit_max": 100000, "stake_caps": []}` (the last two fields may be
/// omitted; the limit may be `null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JurisdictionProfile {
    /// ISO 3166-1 alpha-2 country code, or `"default"`.
    pub code: String,
    /// How long raising or removing a limit waits before it binds.
    #[serde(rename = "limit_increase_cooling_off_hours", with = "whole_hours")]
    pub limit_increase_cooling_off: Duration,
    /// The shortest self-exclusion a player may choose.
    pub min_self_exclusion: SelfExclusionDuration,
    /// When set, every player has a monthly deposit limit of at most this many minor
    /// units: it binds when they set none (or a higher one), and they may not set a
    /// higher one or remove theirs.
    #[serde(default)]
    pub mandatory_monthly_limit_max: Option<Amount>,
    /// Caps on the stake of one game cycle, by game and age; none by default.
    #[serde(default)]
    pub stake_caps: Vec<StakeCap>,
}

/// A cap on the stake of one game cycle (one round) in some games, for players of some
/// ages — by their age on the day of the bet, so a birthday can move it. In JSON:
/// `{"rule": "…", "game_kinds": ["slot"], "game_slugs": ["classic-slot"], "min_age": 18,
/// "max_age": 24, "max_stake": 200}` (`game_slugs` and `max_age` may be omitted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StakeCap {
    /// The rule in words: refusals and the catalogue name it.
    pub rule: String,
    /// The kinds of game it covers (`slot`, `dice`, `table`, …).
    #[serde(default)]
    pub game_kinds: Vec<String>,
    /// Games it covers by slug, whatever their kind.
    #[serde(default)]
    pub game_slugs: Vec<String>,
    /// The youngest age it applies to.
    pub min_age: u32,
    /// The oldest age it applies to; `None`: every age from `min_age`.
    #[serde(default)]
    pub max_age: Option<u32>,
    /// Minor units of the player's currency per game cycle.
    pub max_stake: Amount,
}

impl StakeCap {
    /// Whether it covers a game of `kind` and `slug` for a player aged `age`.
    pub fn covers(&self, kind: &str, slug: &str, age: u32) -> bool {
        let game = self.game_kinds.iter().any(|k| k == kind) || self.game_slugs.iter().any(|s| s == slug);
        game && age >= self.min_age && self.max_age.is_none_or(|max| age <= max)
    }

    fn check(&self, code: &str) -> Result<(), ProfilesError> {
        let bad = |why: &str| Err(ProfilesError::BadStakeCap(code.to_owned(), why.to_owned()));
        if self.rule.trim().is_empty() {
            return bad("the rule needs a name");
        }
        if self.game_kinds.is_empty() && self.game_slugs.is_empty() {
            return bad("it covers no game: name game_kinds or game_slugs");
        }
        if self.max_age.is_some_and(|max| max < self.min_age) {
            return bad("max_age is below min_age");
        }
        Ok(())
    }
}

/// The GB stake limits for online slots (UKGC, from 2025): 2.00 per game cycle for
/// players aged 18 to 24, 5.00 from 25.
fn gb_slot_caps() -> Vec<StakeCap> {
    let cap = |rule: &str, min_age, max_age, max_stake| {
        Amount::new(max_stake).ok().map(|max_stake| StakeCap {
            rule: rule.to_owned(),
            game_kinds: vec!["slot".to_owned()],
            game_slugs: vec!["classic-slot".to_owned(), "video-slot".to_owned()],
            min_age,
            max_age,
            max_stake,
        })
    };
    [
        cap("GB online slots stake limit: 2.00 per game cycle for players aged 18 to 24", 18, Some(24), 200),
        cap("GB online slots stake limit: 5.00 per game cycle for players aged 25 and over", 25, None, 500),
    ]
    .into_iter()
    .flatten()
    .collect()
}

impl JurisdictionProfile {
    fn new(code: &str, cooling_off: Duration, min: SelfExclusionDuration, cap: Option<i64>) -> Self {
        Self {
            code: code.to_owned(),
            limit_increase_cooling_off: cooling_off,
            min_self_exclusion: min,
            mandatory_monthly_limit_max: cap.and_then(|c| Amount::new(c).ok()),
            stake_caps: Vec::new(),
        }
    }

    /// The strictest cap on a stake in the game `slug` of kind `kind`, for a player born
    /// on `born`, on the day `on` of the bet; `None` when no cap covers it.
    pub fn stake_cap(&self, kind: &str, slug: &str, born: NaiveDate, on: NaiveDate) -> Option<&StakeCap> {
        let age = kernel::clock::age_on(born, on);
        self.stake_caps.iter().filter(|c| c.covers(kind, slug, age)).min_by_key(|c| c.max_stake)
    }
}

/// Why a profile table from configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfilesError {
    #[error("the jurisdiction profiles need one with code \"default\"")]
    MissingDefault,
    #[error("jurisdiction profile code {0:?} appears more than once")]
    Duplicate(String),
    #[error("jurisdiction profile code {0:?} is neither an ISO 3166-1 alpha-2 code nor \"default\"")]
    BadCode(String),
    #[error("jurisdiction profile {0}: the cooling-off must not be negative")]
    NegativeCoolingOff(String),
    #[error("jurisdiction profile {0}: a stake cap is invalid: {1}")]
    BadStakeCap(String, String),
}

/// The profile table: one profile per country, and the default for the rest.
///
/// Deserialises from a JSON array of [`JurisdictionProfile`]s, one of which has code
/// `"default"`; codes are case-insensitive and unique. A configured table replaces the
/// built-in [`Profiles::defaults`] entirely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<JurisdictionProfile>", into = "Vec<JurisdictionProfile>")]
pub struct Profiles {
    default: JurisdictionProfile,
    countries: BTreeMap<String, JurisdictionProfile>,
}

impl Profiles {
    /// GB 24 h / 6 months with the slot stake limits (2.00 per game cycle at 18–24,
    /// 5.00 from 25); SE 72 h / 1 month; DE 7 days / 3 months with a mandatory monthly
    /// deposit limit of at most 1,000.00; MT and everyone else 24 h / 6 months.
    pub fn defaults() -> Self {
        use SelfExclusionDuration::{OneMonth, SixMonths, ThreeMonths};
        let gb = JurisdictionProfile {
            stake_caps: gb_slot_caps(),
            ..JurisdictionProfile::new("GB", Duration::hours(24), SixMonths, None)
        };
        let table = vec![
            gb,
            JurisdictionProfile::new("SE", Duration::hours(72), OneMonth, None),
            JurisdictionProfile::new("DE", Duration::days(7), ThreeMonths, Some(100_000)),
            JurisdictionProfile::new("MT", Duration::hours(24), SixMonths, None),
            JurisdictionProfile::new(DEFAULT_CODE, Duration::hours(24), SixMonths, None),
        ];
        match Self::try_from(table) {
            Ok(profiles) => profiles,
            // The table above is valid; the fallback only keeps this free of panics.
            Err(_) => Self {
                default: JurisdictionProfile::new(DEFAULT_CODE, Duration::hours(24), SixMonths, None),
                countries: BTreeMap::new(),
            },
        }
    }

    /// The profile for `country` (ISO 3166-1 alpha-2, any case), or the default one.
    pub fn for_country(&self, country: &str) -> &JurisdictionProfile {
        self.countries.get(&country.trim().to_ascii_uppercase()).unwrap_or(&self.default)
    }

    /// The profile for countries without one of their own.
    pub fn default_profile(&self) -> &JurisdictionProfile {
        &self.default
    }
}

impl Default for Profiles {
    fn default() -> Self {
        Self::defaults()
    }
}

impl TryFrom<Vec<JurisdictionProfile>> for Profiles {
    type Error = ProfilesError;

    fn try_from(table: Vec<JurisdictionProfile>) -> Result<Self, Self::Error> {
        let mut default = None;
        let mut countries = BTreeMap::new();
        for mut profile in table {
            if profile.limit_increase_cooling_off < Duration::zero() {
                return Err(ProfilesError::NegativeCoolingOff(profile.code));
            }
            for cap in &profile.stake_caps {
                cap.check(&profile.code)?;
            }
            if profile.code.eq_ignore_ascii_case(DEFAULT_CODE) {
                profile.code = DEFAULT_CODE.to_owned();
                if default.replace(profile).is_some() {
                    return Err(ProfilesError::Duplicate(DEFAULT_CODE.to_owned()));
                }
                continue;
            }
            let code = profile.code.trim().to_ascii_uppercase();
            if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(ProfilesError::BadCode(profile.code));
            }
            profile.code.clone_from(&code);
            if countries.insert(code.clone(), profile).is_some() {
                return Err(ProfilesError::Duplicate(code));
            }
        }
        Ok(Self { default: default.ok_or(ProfilesError::MissingDefault)?, countries })
    }
}

impl From<Profiles> for Vec<JurisdictionProfile> {
    fn from(p: Profiles) -> Self {
        p.countries.into_values().chain(std::iter::once(p.default)).collect()
    }
}

/// A [`Duration`] as a whole number of hours.
mod whole_hours {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_hours())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let hours = u32::deserialize(d)?;
        Ok(Duration::hours(i64::from(hours)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_table() {
        use SelfExclusionDuration::*;
        let p = Profiles::defaults();
        let row = |c: &str| {
            let j = p.for_country(c);
            (j.code.clone(), j.limit_increase_cooling_off, j.min_self_exclusion, j.mandatory_monthly_limit_max)
        };
        assert_eq!(row("GB"), ("GB".into(), Duration::hours(24), SixMonths, None));
        assert_eq!(row("se"), ("SE".into(), Duration::hours(72), OneMonth, None));
        assert_eq!(row("DE"), ("DE".into(), Duration::days(7), ThreeMonths, Some(Amount::new(100_000).unwrap())));
        assert_eq!(row("MT"), ("MT".into(), Duration::hours(24), SixMonths, None));
        assert_eq!(row("FR"), ("default".into(), Duration::hours(24), SixMonths, None));
        assert_eq!(row(""), row("FR"));
        assert_eq!(Profiles::default(), p);
    }

    #[test]
    fn gb_caps_slot_stakes_by_age_on_the_day_of_the_bet() {
        let p = Profiles::defaults();
        let gb = p.for_country("GB");
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let born = d("2001-06-15");
        let cap =
            |kind: &str, slug: &str, on: &str| gb.stake_cap(kind, slug, born, d(on)).map(|c| c.max_stake.minor_units());
        assert_eq!(cap("slot", "video-slot", "2026-06-14"), Some(200), "24 the day before the birthday");
        assert_eq!(cap("slot", "video-slot", "2026-06-15"), Some(500), "25 on the birthday");
        assert_eq!(cap("slot", "classic-slot", "2019-06-15"), Some(200), "18");
        assert_eq!(cap("slot", "any-provider-slot", "2026-06-15"), Some(500), "any game of kind slot");
        assert_eq!(cap("dice", "dice", "2026-06-15"), None, "no cap outside slots");
        assert_eq!(cap("arcade", "classic-slot", "2026-06-15"), Some(500), "the named slots whatever their kind");
        let rule = &gb.stake_cap("slot", "video-slot", born, d("2026-06-14")).unwrap().rule;
        assert!(rule.contains("GB") && rule.contains("18 to 24"), "{rule}");
        for other in ["SE", "DE", "MT", "FR"] {
            assert_eq!(p.for_country(other).stake_cap("slot", "video-slot", born, d("2026-06-14")), None, "{other}");
        }
    }

    #[test]
    fn the_strictest_covering_cap_binds() {
        let caps: Vec<StakeCap> = serde_json::from_str(
            r#"[{"rule": "all slots", "game_kinds": ["slot"], "min_age": 18, "max_stake": 1000},
                {"rule": "young", "game_kinds": ["slot", "crash"], "min_age": 18, "max_age": 20, "max_stake": 100}]"#,
        )
        .unwrap();
        let j = JurisdictionProfile { stake_caps: caps, ..Profiles::defaults().default_profile().clone() };
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let rule = |kind: &str, on: &str| j.stake_cap(kind, "x", d("2000-01-01"), d(on)).map(|c| c.rule.as_str());
        assert_eq!(rule("slot", "2020-12-31"), Some("young"));
        assert_eq!(rule("slot", "2021-01-01"), Some("all slots"));
        assert_eq!(rule("crash", "2021-01-01"), None);
    }

    #[test]
    fn profiles_come_from_json_configuration() {
        let json = r#"[
            {"code": "dk", "limit_increase_cooling_off_hours": 48, "min_self_exclusion": "1_year"},
            {"code": "DE", "limit_increase_cooling_off_hours": 168, "min_self_exclusion": "3_months",
             "mandatory_monthly_limit_max": 50000},
            {"code": "default", "limit_increase_cooling_off_hours": 12, "min_self_exclusion": "1_month",
             "mandatory_monthly_limit_max": null}
        ]"#;
        let p: Profiles = serde_json::from_str(json).unwrap();
        let dk = p.for_country("DK");
        assert_eq!((dk.code.as_str(), dk.limit_increase_cooling_off), ("DK", Duration::hours(48)));
        assert_eq!(dk.min_self_exclusion, SelfExclusionDuration::OneYear);
        assert_eq!(p.for_country("DE").mandatory_monthly_limit_max.map(Amount::minor_units), Some(50_000));
        assert_eq!(p.for_country("GB").limit_increase_cooling_off, Duration::hours(12));
        assert_eq!(p.for_country("GB"), p.default_profile());
        // And back: the table serialises to what it was read from.
        let again: Profiles = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(again, p);
    }

    #[test]
    fn bad_configuration_is_refused_with_the_reason() {
        let profile = |code: &str| {
            format!(r#"{{"code": "{code}", "limit_increase_cooling_off_hours": 24, "min_self_exclusion": "6_months"}}"#)
        };
        let cases = [
            (format!("[{}]", profile("GB")), "default"),
            (format!("[{}, {}, {}]", profile("GB"), profile("gb"), profile("default")), "more than once"),
            (format!("[{}, {}]", profile("default"), profile("DEFAULT")), "more than once"),
            (format!("[{}, {}]", profile("GBR"), profile("default")), "alpha-2"),
            (format!("[{}, {}]", profile("G1"), profile("default")), "alpha-2"),
            (format!("[{}]", profile("default").replace("6_months", "2_weeks")), "expected one of"),
            (format!("[{}]", profile("default").replace("24", "-1")), "invalid value"),
            (
                format!("[{}]", profile("default").replace("}", r#", "mandatory_monthly_limit_max": 0}"#)),
                "greater than 0",
            ),
            (
                format!("[{}]", profile("default").replace("}", r#", "stake_caps": [{"rule": "r", "min_age": 18, "max_stake": 500}]}"#)),
                "covers no game",
            ),
            (
                format!("[{}]", profile("default").replace("}", r#", "stake_caps": [{"rule": " ", "game_kinds": ["slot"], "min_age": 18, "max_stake": 500}]}"#)),
                "needs a name",
            ),
            (
                format!("[{}]", profile("default").replace("}", r#", "stake_caps": [{"rule": "r", "game_kinds": ["slot"], "min_age": 25, "max_age": 24, "max_stake": 500}]}"#)),
                "below min_age",
            ),
            (
                format!("[{}]", profile("default").replace("}", r#", "stake_caps": [{"rule": "r", "game_kinds": ["slot"], "min_age": 18, "max_stake": 0}]}"#)),
                "greater than 0",
            ),
            (
                format!("[{}]", profile("default").replace("}", r#", "stake_caps": [{"rule": "r", "game_kinds": ["slot"], "min_age": 18, "max_stake": 5, "cap": 1}]}"#)),
                "unknown field",
            ),
        ];
        for (json, why) in cases {
            let err = serde_json::from_str::<Profiles>(&json).unwrap_err().to_string();
            assert!(err.contains(why), "{json}: {err}");
        }
    }
}
