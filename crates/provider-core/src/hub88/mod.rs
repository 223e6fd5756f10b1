//! Hub88's operator wallet API: JSON bodies posted to `user/info`, `user/balance`,
//! `transaction/bet`, `transaction/win` and `transaction/rollback`, each signed in
//! `X-Hub88-Signature` (base64 RSA-SHA256, PKCS#1 v1.5, over the raw body) with the
//! provider's key; answers are `{user, status, request_uuid, currency, balance}` with
//! HTTP 200, the status in the body, amounts in 1/100000 of the currency unit, signed
//! with the operator's key. Unknown fields are ignored.
//!
//! [`Hub88Adapter`] is the wallet's side, [`Hub88Client`] the provider's (the simulated
//! provider); both share the message types below.

mod keys;

pub use keys::{KEY_BITS, KeyError, KeyPairPem, PrivateKey, PublicKey, generate_key_pair, public_pem_as_pkcs1};

use crate::{
    Answer, Call, Command, Failure, Protocol, ProviderAdapter, ProviderClient, ProviderConfig, Reply, Request,
    Response, Transaction, WinKind,
};
use serde::{Deserialize, Serialize};

/// The header that carries a body's signature, both ways.
pub const SIGNATURE_HEADER: &str = "X-Hub88-Signature";
const JSON: &str = "application/json";

pub const USER_INFO: &str = "user/info";
pub const USER_BALANCE: &str = "user/balance";
pub const BET: &str = "transaction/bet";
pub const WIN: &str = "transaction/win";
pub const ROLLBACK: &str = "transaction/rollback";
/// Every endpoint of the protocol.
pub const ENDPOINTS: [&str; 5] = [USER_INFO, USER_BALANCE, BET, WIN, ROLLBACK];

kernel::string_enum! {
    /// Hub88's response statuses.
    Status {
        Ok = "RS_OK",
        InvalidSignature = "RS_ERROR_INVALID_SIGNATURE",
        InvalidToken = "RS_ERROR_INVALID_TOKEN",
        TokenExpired = "RS_ERROR_TOKEN_EXPIRED",
        NotEnoughMoney = "RS_ERROR_NOT_ENOUGH_MONEY",
        DuplicateTransaction = "RS_ERROR_DUPLICATE_TRANSACTION",
        TransactionDoesNotExist = "RS_ERROR_TRANSACTION_DOES_NOT_EXIST",
        TransactionRolledBack = "RS_ERROR_TRANSACTION_ROLLED_BACK",
        UserDisabled = "RS_ERROR_USER_DISABLED",
        LimitReached = "RS_ERROR_LIMIT_REACHED",
        WrongCurrency = "RS_ERROR_WRONG_CURRENCY",
        WrongSyntax = "RS_ERROR_WRONG_SYNTAX",
        Unknown = "RS_ERROR_UNKNOWN",
    }
}

impl Status {
    /// The one table from canonical failures to Hub88 statuses.
    pub fn of(failure: &Failure) -> Status {
        match failure {
            Failure::InvalidSignature => Status::InvalidSignature,
            Failure::InvalidToken => Status::InvalidToken,
            Failure::TokenExpired => Status::TokenExpired,
            Failure::NotEnoughMoney => Status::NotEnoughMoney,
            Failure::DuplicateTransaction => Status::DuplicateTransaction,
            Failure::TransactionDoesNotExist { .. } => Status::TransactionDoesNotExist,
            Failure::TransactionRolledBack => Status::TransactionRolledBack,
            Failure::UserDisabled => Status::UserDisabled,
            Failure::LimitReached(_) => Status::LimitReached,
            Failure::WrongCurrency => Status::WrongCurrency,
            Failure::WrongSyntax(_) => Status::WrongSyntax,
            // Hub88 has no status of its own for these: the general error.
            Failure::PlayerNotFound | Failure::RoundAlreadySettled | Failure::Retryable(_) | Failure::Unknown(_) => {
                Status::Unknown
            }
        }
    }

    /// The canonical failure a status reads back as on the provider's side (`None`:
    /// success). The general error reads back as retryable, as Hub88 treats it.
    pub fn failure(self, config: &ProviderConfig) -> Option<Failure> {
        Some(match self {
            Status::Ok => return None,
            Status::InvalidSignature => Failure::InvalidSignature,
            Status::InvalidToken => Failure::InvalidToken,
            Status::TokenExpired => Failure::TokenExpired,
            Status::NotEnoughMoney => Failure::NotEnoughMoney,
            Status::DuplicateTransaction => Failure::DuplicateTransaction,
            Status::TransactionDoesNotExist => {
                Failure::TransactionDoesNotExist { final_: config.win_without_bet_is_final }
            }
            Status::TransactionRolledBack => Failure::TransactionRolledBack,
            Status::UserDisabled => Failure::UserDisabled,
            Status::LimitReached => Failure::LimitReached(String::new()),
            Status::WrongCurrency => Failure::WrongCurrency,
            Status::WrongSyntax => Failure::WrongSyntax(String::new()),
            Status::Unknown => Failure::Retryable(String::new()),
        })
    }
}

/// `user/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfoRequest {
    pub user: String,
    pub request_uuid: String,
}

/// `user/balance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceRequest {
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub request_uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub game_code: Option<String>,
}

/// `transaction/bet`, `transaction/win` and `transaction/rollback` (a rollback carries
/// no amount nor currency; bets carry no reference).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionRequest {
    pub user: String,
    pub transaction_uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default)]
    pub round_closed: Option<bool>,
    #[serde(default)]
    pub round: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward_uuid: Option<String>,
    pub request_uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_transaction_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_free: Option<bool>,
    #[serde(default)]
    pub game_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// A bet's kind as the game names it (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bet: Option<String>,
    /// 1/100000 of the currency unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
}

/// Every answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletResponse {
    #[serde(default)]
    pub user: Option<String>,
    pub status: String,
    #[serde(default)]
    pub request_uuid: Option<String>,
    /// `user/info` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// 1/100000 of the currency unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<i64>,
}

fn syntax(e: impl std::fmt::Display) -> Failure {
    Failure::WrongSyntax(e.to_string())
}

fn required(field: Option<String>, name: &str) -> Result<String, Failure> {
    field.filter(|v| !v.is_empty()).ok_or_else(|| Failure::WrongSyntax(format!("{name} is required")))
}

/// The wallet's side: verifies the provider's signatures, translates its calls, and
/// signs the answers with the operator's key.
#[derive(Debug)]
pub struct Hub88Adapter {
    pub provider_key: PublicKey,
    pub operator_key: PrivateKey,
    pub config: ProviderConfig,
}

impl Hub88Adapter {
    /// From the provider's public PEM (SPKI or PKCS#1) and the operator's private PEM
    /// (PKCS#1 or PKCS#8), as stored at the provider's registration.
    pub fn new(
        provider_public_pem: &str,
        operator_private_pem: &str,
        config: ProviderConfig,
    ) -> Result<Self, KeyError> {
        Ok(Hub88Adapter {
            provider_key: PublicKey::from_pem(provider_public_pem)?,
            operator_key: PrivateKey::from_pem(operator_private_pem)?,
            config,
        })
    }

    fn transaction(&self, body: TransactionRequest, needs_amount: bool) -> Result<(Transaction, bool, bool), Failure> {
        let free = body.is_free.unwrap_or(false);
        let promo = body.reward_uuid.as_deref().is_some_and(|r| !r.is_empty());
        let amount = match body.amount {
            Some(units) => self.config.scale.to_minor(units)?,
            None if needs_amount => return Err(Failure::WrongSyntax("amount is required".into())),
            None => 0,
        };
        let tx = Transaction {
            id: required(Some(body.transaction_uuid), "transaction_uuid")?,
            player: required(Some(body.user), "user")?,
            token: body.token.filter(|t| !t.is_empty()),
            round: body.round.unwrap_or_default(),
            game: body.game_code.unwrap_or_default(),
            amount,
            currency: body.currency,
            reference: body.reference_transaction_uuid.filter(|r| !r.is_empty()),
            round_closed: body.round_closed.unwrap_or(false),
        };
        Ok((tx, free, promo))
    }
}

impl ProviderAdapter for Hub88Adapter {
    fn protocol(&self) -> Protocol {
        Protocol::Hub88
    }

    fn signature_header(&self) -> Option<&'static str> {
        Some(SIGNATURE_HEADER)
    }

    fn verify(&self, signature: Option<&str>, body: &[u8]) -> Result<(), Failure> {
        match signature {
            Some(signature) if self.provider_key.verify(body, signature) => Ok(()),
            _ => Err(Failure::InvalidSignature),
        }
    }

    fn parse(&self, endpoint: &str, body: &[u8]) -> Result<Request, Failure> {
        match endpoint {
            USER_INFO => {
                let call: UserInfoRequest = serde_json::from_slice(body).map_err(syntax)?;
                let player = required(Some(call.user), "user")?;
                Ok(Request {
                    command: Command::Balance { player, token: None, game: None },
                    request_id: Some(call.request_uuid),
                })
            }
            USER_BALANCE => {
                let call: BalanceRequest = serde_json::from_slice(body).map_err(syntax)?;
                let player = required(Some(call.user), "user")?;
                Ok(Request {
                    command: Command::Balance { player, token: call.token, game: call.game_code },
                    request_id: Some(call.request_uuid),
                })
            }
            BET | WIN | ROLLBACK => {
                let call: TransactionRequest = serde_json::from_slice(body).map_err(syntax)?;
                let request_id = Some(call.request_uuid.clone());
                let (mut tx, free, promo) = self.transaction(call, endpoint != ROLLBACK)?;
                let command = match endpoint {
                    BET => {
                        if tx.round.is_empty() || tx.game.is_empty() {
                            return Err(Failure::WrongSyntax("round and game_code are required".into()));
                        }
                        // A free bet stakes nothing from the wallet (the reward pays for it).
                        if free {
                            tx.amount = 0;
                        }
                        tx.reference = None;
                        Command::Bet(tx)
                    }
                    WIN => {
                        if tx.reference.is_none() {
                            return Err(Failure::WrongSyntax("reference_transaction_uuid is required".into()));
                        }
                        let kind = if free {
                            WinKind::Free
                        } else if promo {
                            WinKind::Promo
                        } else {
                            WinKind::Normal
                        };
                        Command::Win { transaction: tx, kind }
                    }
                    _ => {
                        if tx.reference.is_none() {
                            return Err(Failure::WrongSyntax("reference_transaction_uuid is required".into()));
                        }
                        tx.amount = 0;
                        tx.currency = None;
                        Command::Rollback(tx)
                    }
                };
                Ok(Request { command, request_id })
            }
            other => Err(Failure::WrongSyntax(format!("unknown endpoint {other:?}"))),
        }
    }

    fn render(&self, endpoint: &str, body: &[u8], request: Option<&Request>, reply: &Reply) -> Response {
        let echo = Echo::of(body);
        let request_uuid = request.and_then(|r| r.request_id.clone()).or(echo.request_uuid);
        let requested_user = request.and_then(|r| r.command.player().map(str::to_owned)).or(echo.user);
        let (status, account) = match reply {
            Ok(outcome) => (Status::Ok, Some(&outcome.account)),
            Err((failure, account)) => (Status::of(failure), account.as_ref()),
        };
        let answer = WalletResponse {
            user: account.map(|a| a.player.clone()).or(requested_user),
            status: status.as_str().to_owned(),
            request_uuid,
            country: account.filter(|_| endpoint == USER_INFO).and_then(|a| a.country.clone()),
            currency: account.map(|a| a.currency.clone()),
            balance: account.map(|a| self.config.scale.from_minor(a.balance())),
        };
        let body = serde_json::to_vec(&answer).unwrap_or_default();
        let signature = self.operator_key.sign(&body);
        Response { content_type: JSON, body, headers: vec![(SIGNATURE_HEADER, signature)] }
    }
}

/// The ids an answer echoes, read loosely from a call that could not be parsed.
#[derive(Default)]
struct Echo {
    user: Option<String>,
    request_uuid: Option<String>,
}

impl Echo {
    fn of(body: &[u8]) -> Echo {
        let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice::<serde_json::Value>(body) else {
            return Echo::default();
        };
        let text = |name: &str| fields.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        Echo { user: text("user"), request_uuid: text("request_uuid") }
    }
}

/// The provider's side: signs calls with the provider's key and checks the operator's
/// signature on the answers.
#[derive(Debug)]
pub struct Hub88Client {
    pub provider_key: PrivateKey,
    pub operator_key: PublicKey,
    pub config: ProviderConfig,
}

impl Hub88Client {
    /// From the provider's private PEM and the operator's public PEM (the
    /// `operator_public_key_pem` the platform answered the registration with).
    pub fn new(
        provider_private_pem: &str,
        operator_public_pem: &str,
        config: ProviderConfig,
    ) -> Result<Self, KeyError> {
        Ok(Hub88Client {
            provider_key: PrivateKey::from_pem(provider_private_pem)?,
            operator_key: PublicKey::from_pem(operator_public_pem)?,
            config,
        })
    }

    /// The signed call carrying `body` to `endpoint`.
    pub fn signed(&self, endpoint: &'static str, body: Vec<u8>) -> Call {
        let signature = self.provider_key.sign(&body);
        Call { endpoint, content_type: JSON, body, headers: vec![(SIGNATURE_HEADER, signature)] }
    }

    fn transaction_body(&self, tx: &Transaction, request_uuid: String) -> TransactionRequest {
        TransactionRequest {
            user: tx.player.clone(),
            transaction_uuid: tx.id.clone(),
            supplier_transaction_id: Some(tx.id.clone()),
            token: tx.token.clone(),
            round_closed: Some(tx.round_closed),
            round: Some(tx.round.clone()),
            reward_uuid: None,
            request_uuid,
            reference_transaction_uuid: tx.reference.clone(),
            is_free: Some(false),
            game_code: Some(tx.game.clone()),
            currency: tx.currency.clone(),
            bet: None,
            amount: Some(self.config.scale.from_minor(tx.amount)),
            meta: None,
        }
    }
}

impl ProviderClient for Hub88Client {
    fn protocol(&self) -> Protocol {
        Protocol::Hub88
    }

    fn encode(&self, request: &Request, _timestamp_ms: i64) -> Result<Call, Failure> {
        let request_uuid = request
            .request_id
            .clone()
            .ok_or_else(|| Failure::WrongSyntax("hub88 calls carry a request_uuid".into()))?;
        let (endpoint, body) = match &request.command {
            Command::Balance { player, token: None, game: None } => {
                (USER_INFO, serde_json::to_vec(&UserInfoRequest { user: player.clone(), request_uuid }))
            }
            Command::Balance { player, token, game } => (
                USER_BALANCE,
                serde_json::to_vec(&BalanceRequest {
                    user: player.clone(),
                    token: token.clone(),
                    request_uuid,
                    game_code: game.clone(),
                }),
            ),
            Command::Bet(tx) => {
                let body =
                    TransactionRequest { reference_transaction_uuid: None, ..self.transaction_body(tx, request_uuid) };
                (BET, serde_json::to_vec(&body))
            }
            Command::Win { transaction, kind } => {
                let mut body = self.transaction_body(transaction, request_uuid);
                match kind {
                    WinKind::Normal => {}
                    WinKind::Free => body.is_free = Some(true),
                    WinKind::Promo => body.reward_uuid = Some(transaction.id.clone()),
                    WinKind::Jackpot => return Err(Failure::WrongSyntax("hub88 has no jackpot wins".into())),
                }
                (WIN, serde_json::to_vec(&body))
            }
            Command::Rollback(tx) => {
                let body = TransactionRequest {
                    currency: None,
                    amount: None,
                    is_free: None,
                    ..self.transaction_body(tx, request_uuid)
                };
                (ROLLBACK, serde_json::to_vec(&body))
            }
            Command::Authenticate { .. } | Command::EndRound { .. } => {
                return Err(Failure::WrongSyntax(
                    "hub88 has no such call (user/balance opens a game; win closes a round)".into(),
                ));
            }
        };
        Ok(self.signed(endpoint, body.map_err(syntax)?))
    }

    fn decode(&self, _endpoint: &str, signature: Option<&str>, body: &[u8]) -> Result<Answer, Failure> {
        match signature {
            Some(signature) if self.operator_key.verify(body, signature) => {}
            _ => return Err(Failure::InvalidSignature),
        }
        let answer: WalletResponse = serde_json::from_slice(body).map_err(syntax)?;
        let status = Status::parse(&answer.status)
            .ok_or_else(|| Failure::WrongSyntax(format!("unknown status {:?}", answer.status)))?;
        Ok(Answer {
            status: answer.status,
            failure: status.failure(&self.config),
            balance: answer.balance.map(|units| units / self.config.scale.units_per_minor.max(1)),
            currency: answer.currency,
            player: answer.user,
            country: answer.country,
            transaction: None,
            request_id: answer.request_uuid,
        })
    }
}
