//! The live summary line and the final report, as text.

use super::{Alerts, Profile, Report, Snapshot, Totals};
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

/// `1234567` → `1,234,567`.
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Minor units as major units: `123456789` → `1,234,567.89`.
pub(crate) fn money(minor: u64) -> String {
    format!("{}.{:02}", grouped(minor / 100), minor % 100)
}

fn rtp(t: &Totals) -> String {
    t.rtp().map_or_else(|| "–".to_owned(), |r| format!("{r:.1} %"))
}

/// `limit_exceeded 5, self_excluded 7`.
fn by_name(counts: &BTreeMap<String, u64>) -> String {
    let mut parts: Vec<(&String, &u64)> = counts.iter().collect();
    parts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    parts.iter().map(|(k, v)| format!("{k} {}", grouped(**v))).collect::<Vec<_>>().join(", ")
}

fn seconds(d: std::time::Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

impl fmt::Display for Snapshot {
    /// `players 40/40 | rounds 1,234 | wagered 12,345.67 | RTP 95.8 % | refusals 12 | errors 0`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.totals;
        write!(
            f,
            "players {}/{} | rounds {} | wagered {} | RTP {} | refusals {} | errors {}",
            self.active,
            self.players,
            grouped(t.rounds),
            money(t.wagered),
            rtp(t),
            grouped(t.refusals),
            grouped(t.errors)
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.totals;
        writeln!(
            f,
            "Simulated players: {} bots for {} against {} (seed {})",
            self.players,
            seconds(self.elapsed),
            self.base_url,
            self.seed
        )?;
        if let Some(e) = &self.setup_error {
            return write!(f, "  could not start: {e}");
        }
        let mix = self
            .profiles
            .iter()
            .filter(|(_, p)| p.players > 0)
            .map(|(profile, p)| format!("{profile} {}", p.players))
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(f, "  players      {} registered ({mix})", grouped(t.players))?;
        match &self.studio {
            Ok(slug) => writeln!(
                f,
                "  rounds       {} ({} of studio {slug}'s game)",
                grouped(t.rounds),
                grouped(t.provider_rounds)
            )?,
            Err(why) => writeln!(f, "  rounds       {} (no provider game: {why})", grouped(t.rounds))?,
        }
        writeln!(f, "  wagered      {}", money(t.wagered))?;
        writeln!(f, "  paid         {}", money(t.paid))?;
        writeln!(f, "  platform RTP {}", t.rtp().map_or_else(|| "–".to_owned(), |r| format!("{r:.2} %")))?;
        writeln!(f, "  deposits     {} ({})", grouped(t.deposits), money(t.deposited))?;
        writeln!(f, "  withdrawals  {} ({})", grouped(t.withdrawals), money(t.withdrawn))?;
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 { t.requests as f64 / secs } else { 0.0 };
        writeln!(f, "  requests     {} ({rate:.1}/s)", grouped(t.requests))?;
        match &self.alerts {
            Alerts::NotAvailable(why) => writeln!(f, "  alerts       n/a: {why}")?,
            Alerts::Counted { aml, harm, failed_queries } => {
                let total = |m: &BTreeMap<String, u64>| grouped(m.values().sum());
                let mut line = format!("AML {}", total(aml));
                if !aml.is_empty() {
                    let _ = write!(line, " ({})", by_name(aml));
                }
                let _ = write!(line, "; markers of harm {}", total(harm));
                if !harm.is_empty() {
                    let _ = write!(line, " ({})", by_name(harm));
                }
                if *failed_queries > 0 {
                    let _ = write!(line, "; {failed_queries} queries failed");
                }
                writeln!(f, "  alerts       {line}")?;
            }
        }
        let refusals = if self.refusals.is_empty() { String::new() } else { format!(": {}", by_name(&self.refusals)) };
        writeln!(f, "  refusals     {} provoked on purpose{refusals}", grouped(t.refusals))?;
        let errors = if self.errors.is_empty() { String::new() } else { format!(": {}", by_name(&self.errors)) };
        writeln!(f, "  errors       {}{errors}", grouped(self.error_count()))?;
        for sample in &self.error_samples {
            writeln!(f, "    e.g. {sample}")?;
        }
        writeln!(f, "  by profile      bots   rounds          wagered  avg stake     RTP  refusals  errors")?;
        for (profile, p) in &self.profiles {
            writeln!(
                f,
                "    {:<13} {:>4} {:>8} {:>16} {:>10} {:>7} {:>9} {:>7}",
                profile.name(),
                p.players,
                grouped(p.rounds),
                money(p.wagered),
                p.average_stake().map_or_else(|| "–".to_owned(), money),
                rtp(p),
                grouped(p.refusals),
                grouped(p.errors)
            )?;
        }
        write!(f, "  (amounts in major units, summed over the players' GBP, SEK and EUR wallets)")
    }
}

/// The profile mix of `players` bots, for messages: `casual 5, high-roller 5, …`.
pub(crate) fn mix(players: usize) -> String {
    Profile::ALL
        .iter()
        .map(|p| (p, (0..players).filter(|i| Profile::for_bot(*i) == *p).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(p, n)| format!("{p} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(money(123_456_789), "1,234,567.89");
        assert_eq!(money(5), "0.05");
    }

    #[test]
    fn the_live_line_reads_like_the_issue() {
        let s = Snapshot {
            elapsed: std::time::Duration::from_secs(3),
            duration: None,
            players: 40,
            active: 40,
            totals: Totals { rounds: 1234, wagered: 100_000, paid: 95_800, refusals: 12, ..Totals::default() },
        };
        assert_eq!(
            s.to_string(),
            "players 40/40 | rounds 1,234 | wagered 1,000.00 | RTP 95.8 % | refusals 12 | errors 0"
        );
        assert_eq!(mix(8), "casual 2, high-roller 2, night-owl 1, chaser 1, structurer 1, self-excluder 1");
    }
}
