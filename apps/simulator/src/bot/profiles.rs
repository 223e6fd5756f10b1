//! The six profiles' scripts: what each kind of player does between joining and
//! leaving.

use super::*;

impl Bot {
    /// Sessions of a handful of bets at one stake (0.10 to 20.00), with pauses and
    /// the odd withdrawal.
    pub(super) async fn casual(&mut self) -> Result<(), Halt> {
        loop {
            let Some(game) = self.game_within(i64::MAX) else { return Err(Halt::Gone) };
            let stake = self.stake_from(&game, &ORDINARY_STAKES);
            for _ in 0..self.rng.range(5, 20) {
                self.think(1.0).await?;
                if self.available() < stake {
                    let wanted = round_down(self.rng.amount(20_000, 100_000), 1_000, 2 * stake);
                    if !self.top_up(wanted, stake - self.available()).await? {
                        return Err(Halt::Retired);
                    }
                    continue;
                }
                self.play(&game, stake).await?;
            }
            if self.rng.chance(0.5) {
                self.end_session().await?;
            }
            if self.rng.chance(0.15) && self.cash >= 2 * game.min_bet && self.wagered * 2 >= self.deposited {
                let half = round_down(self.cash / 2, 100, 100);
                let _withdrawn = self.withdraw(half).await?;
            }
            let pause = self.rng.range(5, 20) as f64;
            self.think(pause).await?;
        }
    }

    /// Big deposits, stakes of 20.00 to 500.00 (as far as the game allows them),
    /// cashing out when ahead.
    pub(super) async fn high_roller(&mut self) -> Result<(), Halt> {
        loop {
            let Some(game) = self.game_within(i64::MAX) else { return Err(Halt::Gone) };
            for _ in 0..self.rng.range(10, 40) {
                self.think(0.7).await?;
                if self.available() < game.min_bet {
                    let wanted = round_down(self.rng.amount(300_000, 1_500_000), 10_000, 10 * game.min_bet);
                    if !self.top_up(wanted, game.min_bet - self.available()).await? {
                        return Err(Halt::Retired);
                    }
                    continue;
                }
                let stake = self.stake_from(&game, &HIGH_ROLLER_STAKES).min(self.available());
                self.play(&game, stake).await?;
            }
            if self.cash > self.deposited && self.wagered * 2 >= self.deposited && self.rng.chance(0.5) {
                let half = round_down(self.cash / 2, 100, 100);
                let _withdrawn = self.withdraw(half).await?;
            }
            let pause = self.rng.range(3, 10) as f64;
            self.think(pause).await?;
        }
    }

    /// Long sessions of many quick rounds on one game.
    pub(super) async fn night_owl(&mut self) -> Result<(), Halt> {
        loop {
            let Some(game) = self.game_within(i64::MAX) else { return Err(Halt::Gone) };
            for _ in 0..self.rng.range(50, 200) {
                self.think(0.5).await?;
                let stake = self.stake_from(&game, &QUICK_STAKES);
                if self.available() < stake {
                    let wanted = round_down(self.rng.amount(50_000, 200_000), 1_000, 2 * stake);
                    if !self.top_up(wanted, stake - self.available()).await? {
                        return Err(Halt::Retired);
                    }
                    continue;
                }
                self.play(&game, stake).await?;
            }
            self.end_session().await?;
            let pause = self.rng.range(10, 30) as f64;
            self.think(pause).await?;
        }
    }

    /// Sets a daily limit, chases every loss with a deposit until the limit refuses
    /// one, then takes a 24-hour time-out: after that it is refused and withdraws.
    pub(super) async fn chaser(&mut self) -> Result<(), Halt> {
        let body = json!({"period": "daily", "amount": CHASER_DAILY_LIMIT});
        if self.act("set limit", Method::POST, "/responsible-gaming/limits", Some(body), true).await?.is_ok() {
            self.limit_set = true;
            self.note(|r| r.limit_set = true);
        }
        self.think(1.0).await?;
        let mut chase = true;
        for _ in 0..200 {
            if chase {
                self.think(0.5).await?;
                match self.deposit(CHASER_DEPOSIT).await? {
                    Ok(_) => {}
                    // The limit (or an error) ends the chase.
                    Err(_) => break,
                }
            }
            self.think(1.0).await?;
            let Some(game) = self.game_within(self.available()) else {
                chase = true;
                continue;
            };
            let stake = within_limits(round_down(self.available() / 2, 100, game.min_bet), &game);
            chase = match self.play(&game, stake).await? {
                Some(payout) => payout < stake,
                None => true,
            };
        }
        self.think(1.0).await?;
        self.exclude("timeout", "24_hours").await?;
        self.think(1.0).await?;
        // Excluded now: a bet and a deposit are refused (`self_excluded`).
        if let Some(game) = self.game_within(i64::MAX) {
            let stake = self.stake_from(&game, &ORDINARY_STAKES);
            self.play(&game, stake).await?;
        }
        self.think(1.0).await?;
        let _refused = self.deposit(CHASER_DEPOSIT).await?;
        self.think(1.0).await?;
        if self.cash > 0 {
            let cash = self.cash;
            let _withdrawn = self.withdraw(cash).await?;
        }
        self.end_session().await
    }

    /// Deposits of 1,950.00 — just under the 2,000.00 threshold — a few small bets,
    /// and everything out again: structuring and deposit-then-withdraw.
    pub(super) async fn structurer(&mut self) -> Result<(), Halt> {
        for _ in 0..self.rng.range(3, 4) {
            self.think(1.0).await?;
            match self.deposit_room().await? {
                Some(room) if room < STRUCTURED_DEPOSIT => break,
                _ => {}
            }
            let _deposited = self.deposit(STRUCTURED_DEPOSIT).await?;
        }
        if let Some(game) = self.game_within(self.available()) {
            for _ in 0..self.rng.range(2, 5) {
                self.think(1.0).await?;
                let stake = self.stake_from(&game, &ORDINARY_STAKES);
                if self.available() < stake {
                    break;
                }
                self.play(&game, stake).await?;
            }
        }
        self.think(1.0).await?;
        if self.cash > 0 {
            let cash = self.cash;
            let _withdrawn = self.withdraw(cash).await?;
        }
        self.end_session().await
    }

    /// Plays a little, self-excludes for six months, is refused a deposit, withdraws.
    pub(super) async fn self_excluder(&mut self) -> Result<(), Halt> {
        let wanted = round_down(self.rng.amount(30_000, 60_000), 1_000, 2 * self.smallest_min_bet());
        self.think(1.0).await?;
        let need = self.smallest_min_bet();
        self.top_up(wanted, need).await?;
        if let Some(game) = self.game_within(self.available()) {
            for _ in 0..self.rng.range(3, 8) {
                self.think(1.0).await?;
                let stake = self.stake_from(&game, &ORDINARY_STAKES);
                if self.available() < stake {
                    break;
                }
                self.play(&game, stake).await?;
            }
        }
        self.end_session().await?;
        self.think(1.0).await?;
        self.exclude("self_exclusion", "6_months").await?;
        self.think(1.0).await?;
        let _refused = self.deposit(round_down(wanted / 2, 1_000, 1_000)).await?;
        self.think(1.0).await?;
        if self.cash > 0 {
            let cash = self.cash;
            let _withdrawn = self.withdraw(cash).await?;
        }
        Ok(())
    }
}
