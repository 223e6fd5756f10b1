//! Provider games. With an admin account the simulator onboards a simulated studio
//! speaking the Pragmatic-style protocol and plays as its game server: a bot launches
//! the studio's game (`POST /gal/launch`, a `launch_token`), and each of its rounds is
//! the studio's signed calls to the seamless wallet — a bet, a result (the win, 0 for a
//! loss) and the end of the round — the way a real provider plays them.

use crate::StaffLogin;
use crate::api::{Api, Reply};
use crate::rng::Rng;
use provider_core::pragmatic::PragmaticClient;
use provider_core::{Command, Failure, Protocol, ProviderClient, ProviderConfig, Request, Transaction, WinKind};
use serde_json::{Value, json};

/// The studio's one game: a slot that returns 96 % (a win of 2.4× the stake, 2 rounds
/// in 5).
const WIN_CHANCE: (u64, u64) = (2, 5);
const WIN_MULTIPLIER: (i64, i64) = (12, 5);

/// The simulated studio, once onboarded.
pub(crate) struct Studio {
    pub slug: String,
    pub game_slug: String,
    game_code: String,
    client: PragmaticClient,
}

impl std::fmt::Debug for Studio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Studio").field("slug", &self.slug).field("game_slug", &self.game_slug).finish_non_exhaustive()
    }
}

/// How a provider round ended.
pub(crate) enum Round {
    /// Settled: the payout and the player's cash and bonus after it.
    Settled { payout: i64, balance: Option<i64> },
    /// The wallet refused the bet with a code a profile may provoke on purpose
    /// (`insufficient_funds`, `self_excluded`, `limit_exceeded`).
    Refused(&'static str),
    /// The launch token no longer takes bets: launch again.
    Relaunch,
    /// Anything else.
    Failed(String),
}

fn hex(rng: &mut Rng) -> String {
    format!("{:016x}", rng.next_u64())
}

/// Onboards a studio with `admin`'s account; `Err` says why there are no provider games.
pub(crate) async fn onboard(api: &Api, admin: &StaffLogin, rng: &mut Rng) -> Result<Studio, String> {
    let body = json!({"username": admin.username, "password": admin.password});
    let token = match api.call(reqwest::Method::POST, "/auth/login", None, Some(&body)).await {
        Reply::Ok(v) => v.get("access_token").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
    .ok_or("the staff account could not sign in")?;
    let id = hex(rng);
    let (slug, game_slug, game_code, secret) =
        (format!("sim-studio-{id}"), format!("sim-fruits-{id}"), "sim-fruits".to_owned(), hex(rng) + &hex(rng));
    let body = json!({
        "slug": slug, "name": "Simulated Studio", "protocol": "pragmatic", "secret_key": secret,
        "games": [{"code": game_code, "slug": game_slug, "name": "Simulated Fruits", "kind": "slot",
                   "rtp": 96.0, "min_bet": 10, "max_bet": 100_000}],
    });
    match api.call(reqwest::Method::POST, "/providers", Some(&token), Some(&body)).await {
        Reply::Ok(_) => {}
        Reply::Refused { status: 403, .. } => return Err("the staff account is not an admin".into()),
        Reply::Refused { code, detail, .. } => {
            return Err(format!("onboarding the studio was refused: {code}: {detail}"));
        }
        Reply::Failed { kind, detail } => return Err(format!("onboarding the studio failed: {kind}: {detail}")),
    }
    let config = ProviderConfig::default_for(Protocol::Pragmatic);
    Ok(Studio { client: PragmaticClient::new(secret, slug.clone(), config), slug, game_slug, game_code })
}

impl Studio {
    /// One round for `player` holding `token`: the bet, the result, the end.
    pub(crate) async fn round(&self, api: &Api, player: &str, token: &str, amount: i64, rng: &mut Rng) -> Round {
        let round = hex(rng);
        let tx = |id: String, amount: i64| Transaction {
            id,
            player: player.to_owned(),
            token: Some(token.to_owned()),
            round: round.clone(),
            game: self.game_code.clone(),
            amount,
            currency: None,
            reference: None,
            round_closed: false,
        };
        let bet_id = format!("bet-{round}");
        let bet = match self.send(api, Command::Bet(tx(bet_id.clone(), amount)), rng).await {
            Ok(answer) => answer,
            Err(f) => return f,
        };
        let won = rng.below(WIN_CHANCE.1) < WIN_CHANCE.0;
        let payout = if won { amount * WIN_MULTIPLIER.0 / WIN_MULTIPLIER.1 } else { 0 };
        let win = Transaction { reference: Some(bet_id), ..tx(format!("win-{round}"), payout) };
        let result = match self.send(api, Command::Win { transaction: win, kind: WinKind::Normal }, rng).await {
            Ok(answer) => answer,
            Err(f) => return f,
        };
        let end = Command::EndRound { player: player.to_owned(), round: round.clone(), game: self.game_code.clone() };
        if let Err(f) = self.send(api, end, rng).await {
            return f;
        }
        Round::Settled { payout, balance: result.balance.or(bet.balance) }
    }

    async fn send(&self, api: &Api, command: Command, rng: &mut Rng) -> Result<provider_core::Answer, Round> {
        let request = Request { command, request_id: Some(hex(rng)) };
        let now = chrono::Utc::now().timestamp_millis();
        let call = self.client.encode(&request, now).map_err(|f| Round::Failed(f.to_string()))?;
        let path = format!("/providers/{}/{}", self.slug, call.endpoint);
        let body = api.post_raw(&path, call.content_type, call.body).await.map_err(Round::Failed)?;
        let answer = self.client.decode(call.endpoint, None, &body).map_err(|f| Round::Failed(f.to_string()))?;
        match answer.failure {
            None => Ok(answer),
            Some(Failure::NotEnoughMoney) => Err(Round::Refused("insufficient_funds")),
            Some(Failure::UserDisabled) => Err(Round::Refused("self_excluded")),
            Some(Failure::LimitReached(_)) => Err(Round::Refused("limit_exceeded")),
            Some(Failure::InvalidToken | Failure::TokenExpired) => Err(Round::Relaunch),
            Some(other) => Err(Round::Failed(format!("{}: {other}", call.endpoint))),
        }
    }
}
