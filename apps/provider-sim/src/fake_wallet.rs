//! A stand-in for the platform's wallet callbacks, for the simulator's own tests: the
//! real adapters and canonical rules over one in-memory wallet, served on a loopback
//! socket. It checks the provider's side (faults, retries, ledger, expected balances)
//! without a running platform.

use provider_core::rules::{self, Decision, Snapshot, StoredTx, TxStatus};
use provider_core::{Account, Command, Failure, Outcome, ProviderAdapter, ProviderConfig, Reply, Transaction, TxKind};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

pub const PLAYER: &str = "4d1f0b4e-0000-4000-8000-000000000001";
pub const TOKEN: &str = "launch-token";

/// One player's wallet and the provider transactions it holds.
#[derive(Debug, Default)]
pub struct Wallet {
    pub balance: i64,
    txs: HashMap<(TxKind, String), (StoredTx, Option<String>)>,
    /// Rollback by the bet it names.
    rollback_of: HashMap<String, String>,
    round_bet: HashMap<String, String>,
    round_paid: HashSet<String>,
}

impl Wallet {
    pub fn with_balance(balance: i64) -> Self {
        Wallet { balance, ..Wallet::default() }
    }

    fn account(&self) -> Account {
        Account { player: PLAYER.into(), currency: "EUR".into(), cash: self.balance, bonus: 0, country: None }
    }

    fn handle(&mut self, command: &Command, config: &ProviderConfig) -> Reply {
        let account = self.account();
        let Some((kind, tx)) = command.transaction() else {
            return Ok(Outcome { account, transaction: None });
        };
        let fingerprint = rules::fingerprint(kind, tx);
        let bet_ref = match kind {
            TxKind::Bet => None,
            _ => tx.reference.clone().or_else(|| self.round_bet.get(&tx.round).cloned()),
        };
        let bet = bet_ref.as_ref().and_then(|r| self.txs.get(&(TxKind::Bet, r.clone()))).map(|(s, _)| s.clone());
        let snap = Snapshot {
            same: self.txs.get(&(kind, tx.id.clone())).map(|(s, _)| s.clone()),
            round_paid: bet.as_ref().is_some_and(|b| self.round_paid.contains(&b.round)),
            bet,
            rollback_of_bet: (kind == TxKind::Bet)
                .then(|| self.rollback_of.get(&tx.id))
                .flatten()
                .and_then(|rb| self.txs.get(&(TxKind::Rollback, rb.clone())))
                .map(|(s, _)| s.clone()),
        };
        let stored = |status| StoredTx {
            kind,
            id: tx.id.clone(),
            player: tx.player.clone(),
            round: tx.round.clone(),
            amount: tx.amount,
            fingerprint: fingerprint.clone(),
            status,
        };
        match rules::decide(kind, tx, &fingerprint, &snap, config) {
            Decision::Replay(_) => {}
            Decision::Refuse(f) => return Err((f, Some(account))),
            Decision::Debit(amount) => {
                if self.balance < amount {
                    return Err((Failure::NotEnoughMoney, Some(account)));
                }
                self.balance -= amount;
                self.round_bet.insert(tx.round.clone(), tx.id.clone());
                self.txs.insert((kind, tx.id.clone()), (stored(TxStatus::Applied), None));
            }
            Decision::Credit(amount) => {
                self.balance += amount;
                if let Some(b) = &snap.bet {
                    self.round_paid.insert(b.round.clone());
                }
                self.txs.insert((kind, tx.id.clone()), (stored(TxStatus::Applied), bet_ref));
            }
            Decision::Reverse(bet) => {
                self.balance += bet.amount;
                if let Some((b, _)) = self.txs.get_mut(&(TxKind::Bet, bet.id.clone())) {
                    b.status = TxStatus::RolledBack;
                }
                self.remember_rollback(tx, stored(TxStatus::Applied), bet_ref);
            }
            Decision::Acknowledge { tombstone } => {
                let status = if tombstone { TxStatus::Tombstone } else { TxStatus::Applied };
                self.remember_rollback(tx, stored(status), bet_ref);
            }
        }
        Ok(Outcome { account: self.account(), transaction: Some(format!("{}:{}", kind.as_str(), tx.id)) })
    }

    fn remember_rollback(&mut self, tx: &Transaction, stored: StoredTx, bet: Option<String>) {
        if let Some(bet) = &bet {
            self.rollback_of.insert(bet.clone(), tx.id.clone());
        }
        self.txs.insert((TxKind::Rollback, tx.id.clone()), (stored, bet));
    }

    /// The wallet's own reconciliation of one day, in the report's JSON.
    pub fn report(&self, day: chrono::NaiveDate) -> serde_json::Value {
        let (mut bets, mut bet_amount, mut rolled, mut rolled_amount) = (0, 0, 0, 0);
        let (mut wins, mut win_amount, mut rollbacks, mut tombstones) = (0, 0, 0, 0);
        for (s, _) in self.txs.values() {
            match (s.kind, s.status) {
                (TxKind::Bet, TxStatus::RolledBack) => (rolled, rolled_amount) = (rolled + 1, rolled_amount + s.amount),
                (TxKind::Bet, _) => (bets, bet_amount) = (bets + 1, bet_amount + s.amount),
                (TxKind::Win, _) => (wins, win_amount) = (wins + 1, win_amount + s.amount),
                (TxKind::Rollback, status) => {
                    rollbacks += 1;
                    tombstones += i64::from(status == TxStatus::Tombstone);
                }
            }
        }
        serde_json::json!({"days": [{"day": day.to_string(), "bets": bets, "bet_amount": bet_amount,
            "rolled_back_bets": rolled, "rolled_back_amount": rolled_amount, "wins": wins,
            "win_amount": win_amount, "rollbacks": rollbacks, "tombstones": tombstones}], "stuck_rounds": []})
    }
}

/// Serves `adapter` over `wallet` on a loopback port; returns the base URL.
pub async fn serve(adapter: Arc<dyn ProviderAdapter>, wallet: Arc<Mutex<Wallet>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (adapter, wallet) = (adapter.clone(), wallet.clone());
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut read = BufReader::new(read);
                loop {
                    let mut line = String::new();
                    if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
                    let (mut length, mut signature) = (0usize, None);
                    loop {
                        let mut header = String::new();
                        if read.read_line(&mut header).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let header = header.trim_end();
                        if header.is_empty() {
                            break;
                        }
                        let (name, value) = header.split_once(':').unwrap_or((header, ""));
                        match name.to_ascii_lowercase().as_str() {
                            "content-length" => length = value.trim().parse().unwrap_or(0),
                            "x-hub88-signature" => signature = Some(value.trim().to_owned()),
                            _ => {}
                        }
                    }
                    let mut body = vec![0; length];
                    if read.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    // /api/v2/providers/{slug}/{endpoint…}
                    let endpoint = path.splitn(5, '/').nth(4).and_then(|rest| rest.split_once('/')).map(|(_, e)| e);
                    let endpoint = endpoint.unwrap_or_default().to_owned();
                    let request =
                        adapter.verify(signature.as_deref(), &body).and_then(|()| adapter.parse(&endpoint, &body));
                    let reply = match &request {
                        Ok(r) => {
                            let mut wallet = wallet.lock().unwrap_or_else(|e| e.into_inner());
                            wallet.handle(&r.command, &config_of(adapter.as_ref()))
                        }
                        Err(f) => Err((f.clone(), None)),
                    };
                    let response = adapter.render(&endpoint, &body, request.as_ref().ok(), &reply);
                    let mut head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: {}\r\ncontent-length: {}\r\n",
                        response.content_type,
                        response.body.len()
                    );
                    for (name, value) in &response.headers {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    head.push_str("\r\n");
                    // One write: a second small one would wait for the first's delayed ACK.
                    let mut out = head.into_bytes();
                    out.extend_from_slice(&response.body);
                    if write.write_all(&out).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fn config_of(adapter: &dyn ProviderAdapter) -> ProviderConfig {
    ProviderConfig::default_for(adapter.protocol())
}
