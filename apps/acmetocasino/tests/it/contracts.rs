//! The domain cores' contract suites, run against the Diesel adapters on both backends.

use crate::support::FreshDb;
use acmetocasino::db::Db;
use chrono::Utc;
use kernel::{AccountId, Currency};
use pam_core::port::AccountRepository;

struct DbPlayers(Db);

impl wallet_core::contract::Fixture for DbPlayers {
    type Repo = Db;

    async fn new_player(&self, currency: Currency) -> AccountId {
        let name = format!("w{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let mut new = pam_core::contract::new_player(&name, kernel::clock::truncate_to_micros(Utc::now()));
        if let Some(p) = new.profile.as_mut() {
            p.currency = currency;
        }
        let id = new.account.id;
        self.0.create(new).await.unwrap();
        id
    }
}

impl rg_core::contract::Fixture for DbPlayers {
    type Repo = Db;

    async fn new_player(&self) -> AccountId {
        wallet_core::contract::Fixture::new_player(self, Currency::EUR).await
    }
}

crate::both_backends! {
    async fn rg_adapter_passes_the_rg_contract(backend) {
        // The Diesel adapter is a real rg-core port: its contract, on both backends.
        let Some(fresh) = FreshDb::new(backend).await else { return };
        let db = fresh.migrated().await;
        rg_core::contract::run_all(&DbPlayers(db.clone()), db).await;
    }

    async fn wallet_adapter_passes_the_wallet_contract(backend) {
        let Some(fresh) = FreshDb::new(backend).await else { return };
        let db = fresh.migrated().await;
        wallet_core::contract::run_all(&DbPlayers(db.clone()), db).await;
    }

    async fn account_adapter_passes_the_pam_contract(backend) {
        let Some(fresh) = FreshDb::new(backend).await else { return };
        pam_core::contract::run_all(&fresh.migrated().await).await;
    }

    async fn game_control_adapter_passes_the_game_control_contract(backend) {
        let Some(fresh) = FreshDb::new(backend).await else { return };
        let db = fresh.migrated().await;
        let actor = DbPlayers(db.clone());
        let staff = wallet_core::contract::Fixture::new_player(&actor, Currency::EUR).await;
        gamectl_core::contract::run_all(&db, staff, "db").await;
    }

    async fn round_adapter_passes_the_round_contract(backend) {
        let Some(fresh) = FreshDb::new(backend).await else { return };
        let db = fresh.migrated().await;
        gal_core::contract::run_all(&DbPlayers(db.clone()), db).await;
    }

    async fn the_deposit_totals_migration_backfills_every_existing_stream(backend) {
        use wallet_core::{EventType, IdempotencyKey, Posting, WalletRepository};
        let Some(fresh) = FreshDb::new(backend).await else { return };
        let db = fresh.migrated().await;
        let players = DbPlayers(db.clone());
        let mut wallets = Vec::new();
        for steps in [&[][..], &[(EventType::Deposit, 500)][..], &[
            (EventType::Deposit, 1_000), (EventType::Bet, 300), (EventType::Win, 900), (EventType::Deposit, 250),
            (EventType::Withdrawal, 100), (EventType::BonusCredit, 40), (EventType::Deposit, 7),
        ][..]] {
            let p = wallet_core::contract::Fixture::new_player(&players, Currency::EUR).await;
            db.open(p, Currency::EUR, Utc::now()).await.unwrap();
            for (i, (t, amount)) in steps.iter().enumerate() {
                let key = IdempotencyKey::parse(&format!("k{i}")).unwrap();
                let posting = Posting::new(*t, kernel::Amount::new(*amount).unwrap(), key, None);
                db.post(p, posting, uuid::Uuid::new_v4(), Utc::now()).await.unwrap();
            }
            wallets.push((p, db.stream(p).await.unwrap()));
        }
        // Down drops the columns; up must fill them in again exactly as postings did.
        let reverted = db.revert_through("2026-12-07-000010").await.unwrap();
        assert_eq!(db.migrate().await.unwrap(), reverted);
        for (p, before) in wallets {
            let after = db.stream(p).await.unwrap();
            assert_eq!(after, before, "{p:?}");
            wallet_core::fold(&after).unwrap();
            let head = db.head(p).await.unwrap().unwrap();
            let last = after.last().map_or((0, 0), |e| (e.deposits_after, e.deposited_after));
            assert_eq!((head.lifetime_deposits, head.lifetime_deposited), last);
        }
    }

    async fn migrations_go_up_down_up(backend) {
        let Some(fresh) = FreshDb::new(backend).await else { return };
        let db = fresh.migrated().await;
        assert!(db.revert_all().await.unwrap() >= 1);
        assert!(db.migrate().await.unwrap() >= 1);
        assert_eq!(db.migrate().await.unwrap(), 0, "nothing left to apply");
    }
}

impl gal_core::contract::Fixture for DbPlayers {
    type Repo = Db;

    async fn new_player(&self) -> AccountId {
        wallet_core::contract::Fixture::new_player(self, Currency::EUR).await
    }
}
