//! A Pragmatic Play-style seamless wallet: form-encoded calls posted to
//! `authenticate.html`, `balance.html`, `bet.html`, `result.html`, `bonusWin.html`,
//! `jackpotWin.html`, `refund.html` and `endRound.html`, each carrying `hash`: the
//! lowercase hex MD5 of the other parameters sorted by name as `k=v&k2=v2` (decoded
//! values), followed directly by the secret key. Amounts are decimals in currency units;
//! `reference` is the idempotency key. Answers are JSON with HTTP 200 and an `error`
//! code (0 success) and `description`.
//!
//! How the calls map: `refund.html` names the bet it undoes by its `reference`, so the
//! canonical rollback's id *and* reference are that reference; `result.html` (a normal
//! win), `bonusWin.html` (free rounds) and `jackpotWin.html` carry no bet reference: the
//! wallet finds the round's bet. `result.html` does not close the round: `endRound.html`
//! does.
//!
//! [`PragmaticAdapter`] is the wallet's side, [`PragmaticClient`] the provider's; both
//! use [`hash`].

use crate::{
    Account, Answer, Call, Command, Failure, Protocol, ProviderAdapter, ProviderClient, ProviderConfig, Reply, Request,
    Response, Transaction, WinKind, format_decimal, parse_decimal,
};
use md5::{Digest, Md5};
use std::collections::BTreeMap;

pub const AUTHENTICATE: &str = "authenticate.html";
pub const BALANCE: &str = "balance.html";
pub const BET: &str = "bet.html";
pub const RESULT: &str = "result.html";
pub const BONUS_WIN: &str = "bonusWin.html";
pub const JACKPOT_WIN: &str = "jackpotWin.html";
pub const REFUND: &str = "refund.html";
pub const END_ROUND: &str = "endRound.html";
/// Every endpoint of the protocol.
pub const ENDPOINTS: [&str; 8] = [AUTHENTICATE, BALANCE, BET, RESULT, BONUS_WIN, JACKPOT_WIN, REFUND, END_ROUND];

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// Pragmatic's error codes.
pub mod code {
    pub const OK: u16 = 0;
    pub const INSUFFICIENT_BALANCE: u16 = 1;
    pub const PLAYER_NOT_FOUND: u16 = 2;
    pub const TOKEN_INVALID: u16 = 4;
    pub const BAD_HASH: u16 = 5;
    pub const PLAYER_FROZEN: u16 = 6;
    pub const BAD_PARAMETERS: u16 = 7;
    pub const LIMIT_REACHED: u16 = 50;
    /// The provider retries the call.
    pub const RETRYABLE: u16 = 100;
    /// The provider stops retrying (and refunds a bet).
    pub const FINAL: u16 = 120;
}

/// The one table from canonical failures to Pragmatic error codes.
pub fn error_code(failure: &Failure) -> u16 {
    match failure {
        Failure::NotEnoughMoney => code::INSUFFICIENT_BALANCE,
        Failure::PlayerNotFound => code::PLAYER_NOT_FOUND,
        Failure::InvalidToken | Failure::TokenExpired => code::TOKEN_INVALID,
        Failure::InvalidSignature => code::BAD_HASH,
        Failure::UserDisabled => code::PLAYER_FROZEN,
        Failure::WrongSyntax(_) | Failure::WrongCurrency => code::BAD_PARAMETERS,
        Failure::LimitReached(_) => code::LIMIT_REACHED,
        Failure::Retryable(_) => code::RETRYABLE,
        // A win whose bet is unknown: final or retryable by the provider's configuration
        // (the rules carry it in the failure).
        Failure::TransactionDoesNotExist { final_: false } => code::RETRYABLE,
        Failure::TransactionDoesNotExist { final_: true }
        | Failure::DuplicateTransaction
        | Failure::TransactionRolledBack
        | Failure::RoundAlreadySettled
        | Failure::Unknown(_) => code::FINAL,
    }
}

/// The canonical failure an error code reads back as on the provider's side (`None`:
/// success).
pub fn failure_of(error: u16, description: &str) -> Option<Failure> {
    let why = description.to_owned();
    Some(match error {
        code::OK => return None,
        code::INSUFFICIENT_BALANCE => Failure::NotEnoughMoney,
        code::PLAYER_NOT_FOUND => Failure::PlayerNotFound,
        code::TOKEN_INVALID => Failure::InvalidToken,
        code::BAD_HASH => Failure::InvalidSignature,
        code::PLAYER_FROZEN => Failure::UserDisabled,
        code::BAD_PARAMETERS => Failure::WrongSyntax(why),
        code::LIMIT_REACHED => Failure::LimitReached(why),
        code::RETRYABLE => Failure::Retryable(why),
        _ => Failure::Unknown(why),
    })
}

/// The `hash` of a call's parameters: MD5 over `k=v` pairs sorted by name (then value),
/// joined by `&`, `hash` itself left out, followed by the secret key; lowercase hex.
pub fn hash<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>, secret: &str) -> String {
    let mut pairs: Vec<(&str, &str)> = params.into_iter().filter(|(k, _)| *k != "hash").collect();
    pairs.sort_unstable();
    let mut md5 = Md5::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            md5.update(b"&");
        }
        md5.update(k.as_bytes());
        md5.update(b"=");
        md5.update(v.as_bytes());
    }
    md5.update(secret.as_bytes());
    hex::encode(md5.finalize())
}

fn same_text(a: &str, b: &str) -> bool {
    // Compared without an early exit, so the time does not tell how much matched.
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn form(body: &[u8]) -> Result<Vec<(String, String)>, Failure> {
    serde_urlencoded::from_bytes(body).map_err(|e| Failure::WrongSyntax(e.to_string()))
}

/// A call's parameters by name (a repeated name is a syntax error).
struct Params(BTreeMap<String, String>);

impl Params {
    fn of(body: &[u8]) -> Result<Params, Failure> {
        let mut map = BTreeMap::new();
        for (k, v) in form(body)? {
            if map.insert(k.clone(), v).is_some() {
                return Err(Failure::WrongSyntax(format!("{k} is repeated")));
            }
        }
        Ok(Params(map))
    }

    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.is_empty()).cloned()
    }

    fn required(&self, name: &str) -> Result<String, Failure> {
        self.get(name).ok_or_else(|| Failure::WrongSyntax(format!("{name} is required")))
    }
}

/// The wallet's side: checks the hash with the provider's secret key and translates.
#[derive(Clone)]
pub struct PragmaticAdapter {
    pub secret_key: String,
    pub config: ProviderConfig,
}

impl std::fmt::Debug for PragmaticAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PragmaticAdapter").field("config", &self.config).finish_non_exhaustive()
    }
}

impl PragmaticAdapter {
    pub fn new(secret_key: impl Into<String>, config: ProviderConfig) -> Self {
        PragmaticAdapter { secret_key: secret_key.into(), config }
    }

    fn amount(&self, raw: &str) -> Result<i64, Failure> {
        parse_decimal(raw, self.config.scale.rounding)
    }

    fn transaction(&self, p: &Params, round: String, game: String, amount: i64) -> Result<Transaction, Failure> {
        Ok(Transaction {
            id: p.required("reference")?,
            player: p.required("userId")?,
            token: p.get("token"),
            round,
            game,
            amount,
            currency: None,
            reference: None,
            round_closed: false,
        })
    }
}

impl ProviderAdapter for PragmaticAdapter {
    fn protocol(&self) -> Protocol {
        Protocol::Pragmatic
    }

    /// The hash travels in the body.
    fn signature_header(&self) -> Option<&'static str> {
        None
    }

    fn verify(&self, _signature: Option<&str>, body: &[u8]) -> Result<(), Failure> {
        let pairs = form(body).map_err(|_| Failure::InvalidSignature)?;
        let Some(sent) = pairs.iter().find(|(k, _)| k == "hash").map(|(_, v)| v.to_ascii_lowercase()) else {
            return Err(Failure::InvalidSignature);
        };
        let expected = hash(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), &self.secret_key);
        if same_text(&sent, &expected) { Ok(()) } else { Err(Failure::InvalidSignature) }
    }

    fn parse(&self, endpoint: &str, body: &[u8]) -> Result<Request, Failure> {
        let p = Params::of(body)?;
        let command = match endpoint {
            AUTHENTICATE => Command::Authenticate { token: p.required("token")?, game: p.get("gameId") },
            BALANCE => Command::Balance { player: p.required("userId")?, token: p.get("token"), game: p.get("gameId") },
            BET => {
                let amount = self.amount(&p.required("amount")?)?;
                Command::Bet(self.transaction(&p, p.required("roundId")?, p.required("gameId")?, amount)?)
            }
            RESULT | BONUS_WIN | JACKPOT_WIN => {
                let amount = self.amount(&p.required("amount")?)?;
                let (round, game, kind) = match endpoint {
                    RESULT => (p.required("roundId")?, p.required("gameId")?, WinKind::Normal),
                    // A free-rounds bonus's total may name no round: it is its own.
                    BONUS_WIN => (
                        p.get("roundId").or_else(|| p.get("bonusCode")).map_or_else(|| p.required("reference"), Ok)?,
                        p.get("gameId").unwrap_or_default(),
                        WinKind::Free,
                    ),
                    _ => (
                        p.get("roundId").map_or_else(|| p.required("reference"), Ok)?,
                        p.get("gameId").unwrap_or_default(),
                        WinKind::Jackpot,
                    ),
                };
                Command::Win { transaction: self.transaction(&p, round, game, amount)?, kind }
            }
            REFUND => {
                let amount = p.get("amount").map(|a| self.amount(&a)).transpose()?.unwrap_or(0);
                let mut tx = self.transaction(
                    &p,
                    p.get("roundId").unwrap_or_default(),
                    p.get("gameId").unwrap_or_default(),
                    amount,
                )?;
                tx.reference = Some(tx.id.clone());
                Command::Rollback(tx)
            }
            END_ROUND => Command::EndRound {
                player: p.required("userId")?,
                round: p.required("roundId")?,
                game: p.required("gameId")?,
            },
            other => return Err(Failure::WrongSyntax(format!("unknown endpoint {other:?}"))),
        };
        Ok(Request { command, request_id: None })
    }

    fn render(&self, endpoint: &str, _body: &[u8], request: Option<&Request>, reply: &Reply) -> Response {
        let mut out = Json::default();
        match reply {
            Ok(outcome) => {
                let a = &outcome.account;
                let transaction = || {
                    outcome
                        .transaction
                        .clone()
                        .or_else(|| request.and_then(|r| r.command.transaction()).map(|(_, t)| t.id.clone()))
                        .unwrap_or_default()
                };
                match endpoint {
                    AUTHENTICATE => {
                        out.text("userId", &a.player);
                        out.text("currency", &a.currency);
                        money(&mut out, a);
                        if let Some(Command::Authenticate { token, .. }) = request.map(|r| &r.command) {
                            out.text("token", token);
                        }
                        if let Some(country) = &a.country {
                            out.text("country", country);
                        }
                    }
                    BALANCE => {
                        out.text("currency", &a.currency);
                        money(&mut out, a);
                        out.number("totalBalance", &format_decimal(a.balance()));
                    }
                    BET => {
                        out.text("transactionId", &transaction());
                        out.text("currency", &a.currency);
                        money(&mut out, a);
                        out.number("usedPromo", "0");
                    }
                    REFUND => out.text("transactionId", &transaction()),
                    END_ROUND => money(&mut out, a),
                    _ => {
                        out.text("transactionId", &transaction());
                        out.text("currency", &a.currency);
                        money(&mut out, a);
                    }
                }
                out.number("error", "0");
                out.text("description", "Success");
            }
            Err((failure, account)) => {
                if let Some(a) = account {
                    out.text("currency", &a.currency);
                    money(&mut out, a);
                }
                out.number("error", &error_code(failure).to_string());
                out.text("description", &failure.to_string());
            }
        }
        Response { content_type: JSON, body: out.finish(), headers: Vec::new() }
    }
}

fn money(out: &mut Json, a: &Account) {
    out.number("cash", &format_decimal(a.cash));
    out.number("bonus", &format_decimal(a.bonus));
}

/// A flat JSON object written field by field, so amounts stay exact decimals
/// (`10.50`), never binary floats.
#[derive(Default)]
struct Json(Vec<u8>);

impl Json {
    fn key(&mut self, key: &str) {
        self.0.push(if self.0.is_empty() { b'{' } else { b',' });
        self.0.extend_from_slice(serde_json::to_string(key).unwrap_or_default().as_bytes());
        self.0.push(b':');
    }

    fn text(&mut self, key: &str, value: &str) {
        self.key(key);
        self.0.extend_from_slice(serde_json::to_string(value).unwrap_or_default().as_bytes());
    }

    /// `value` must be a JSON number (a decimal from `format_decimal`, an integer).
    fn number(&mut self, key: &str, value: &str) {
        self.key(key);
        self.0.extend_from_slice(value.as_bytes());
    }

    fn finish(mut self) -> Vec<u8> {
        if self.0.is_empty() {
            self.0.push(b'{');
        }
        self.0.push(b'}');
        self.0
    }
}

/// The provider's side: builds hashed form calls and reads the JSON answers.
#[derive(Clone)]
pub struct PragmaticClient {
    pub secret_key: String,
    /// The provider's own name in `providerId`.
    pub provider_id: String,
    pub config: ProviderConfig,
}

impl std::fmt::Debug for PragmaticClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PragmaticClient").field("provider_id", &self.provider_id).finish_non_exhaustive()
    }
}

impl PragmaticClient {
    pub fn new(secret_key: impl Into<String>, provider_id: impl Into<String>, config: ProviderConfig) -> Self {
        PragmaticClient { secret_key: secret_key.into(), provider_id: provider_id.into(), config }
    }

    /// The call to `endpoint` with `params` and their hash.
    pub fn hashed(&self, endpoint: &'static str, params: Vec<(&'static str, String)>) -> Call {
        let digest = hash(params.iter().map(|(k, v)| (*k, v.as_str())), &self.secret_key);
        let mut pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        pairs.push(("hash", &digest));
        let body = serde_urlencoded::to_string(&pairs).unwrap_or_default().into_bytes();
        Call { endpoint, content_type: FORM, body, headers: Vec::new() }
    }
}

impl ProviderClient for PragmaticClient {
    fn protocol(&self) -> Protocol {
        Protocol::Pragmatic
    }

    fn encode(&self, request: &Request, timestamp_ms: i64) -> Result<Call, Failure> {
        let mut params: Vec<(&'static str, String)> = vec![("providerId", self.provider_id.clone())];
        let opt = |params: &mut Vec<(&'static str, String)>, k: &'static str, v: &Option<String>| {
            if let Some(v) = v {
                params.push((k, v.clone()));
            }
        };
        let endpoint = match &request.command {
            Command::Authenticate { token, game } => {
                params.push(("token", token.clone()));
                opt(&mut params, "gameId", game);
                AUTHENTICATE
            }
            Command::Balance { player, token, game } => {
                params.push(("userId", player.clone()));
                opt(&mut params, "token", token);
                opt(&mut params, "gameId", game);
                BALANCE
            }
            Command::EndRound { player, round, game } => {
                params.extend([("userId", player.clone()), ("gameId", game.clone()), ("roundId", round.clone())]);
                END_ROUND
            }
            Command::Bet(tx) | Command::Win { transaction: tx, .. } | Command::Rollback(tx) => {
                let reference = match &request.command {
                    Command::Rollback(tx) => tx.reference.clone().unwrap_or_else(|| tx.id.clone()),
                    _ => tx.id.clone(),
                };
                params.extend([
                    ("userId", tx.player.clone()),
                    ("gameId", tx.game.clone()),
                    ("roundId", tx.round.clone()),
                    ("reference", reference),
                    ("timestamp", timestamp_ms.to_string()),
                ]);
                opt(&mut params, "token", &tx.token);
                let amount = format_decimal(tx.amount);
                match &request.command {
                    Command::Bet(_) => {
                        params.extend([("amount", amount), ("roundDetails", "spin".into())]);
                        BET
                    }
                    Command::Rollback(tx) => {
                        if tx.amount > 0 {
                            params.push(("amount", amount));
                        }
                        REFUND
                    }
                    Command::Win { kind, .. } => {
                        params.push(("amount", amount));
                        match kind {
                            WinKind::Normal => RESULT,
                            WinKind::Free => {
                                params.push(("bonusCode", tx.round.clone()));
                                BONUS_WIN
                            }
                            WinKind::Jackpot => {
                                params.push(("jackpotId", "1".into()));
                                JACKPOT_WIN
                            }
                            WinKind::Promo => {
                                return Err(Failure::WrongSyntax("promo wins are not part of this protocol".into()));
                            }
                        }
                    }
                    _ => return Err(Failure::WrongSyntax("unreachable".into())),
                }
            }
        };
        Ok(self.hashed(endpoint, params))
    }

    fn decode(&self, _endpoint: &str, _signature: Option<&str>, body: &[u8]) -> Result<Answer, Failure> {
        let serde_json::Value::Object(fields) =
            serde_json::from_slice(body).map_err(|e| Failure::WrongSyntax(e.to_string()))?
        else {
            return Err(Failure::WrongSyntax("the answer is not a JSON object".into()));
        };
        let text = |name: &str| match fields.get(name) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let error = fields
            .get("error")
            .and_then(serde_json::Value::as_u64)
            .and_then(|e| u16::try_from(e).ok())
            .ok_or_else(|| Failure::WrongSyntax("error is required".into()))?;
        let amount = |name: &str| text(name).map(|raw| parse_decimal(&raw, self.config.scale.rounding)).transpose();
        let (cash, bonus) = (amount("cash")?, amount("bonus")?);
        Ok(Answer {
            status: error.to_string(),
            failure: failure_of(error, &text("description").unwrap_or_default()),
            balance: cash.map(|c| c + bonus.unwrap_or(0)),
            currency: text("currency"),
            player: text("userId"),
            country: text("country"),
            transaction: text("transactionId"),
            request_id: None,
        })
    }
}
