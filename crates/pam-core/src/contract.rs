//! The contract every adapter of [`AccountRepository`] and [`RefreshTokenRepository`]
//! must pass. Cases use fresh random names, so one store can serve them all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::model::{
    Account, AccountStatus, KycState, NewAccount, PlayerFilter, PlayerOrder, PlayerProfile, RefreshTokenRecord, Role,
};
use crate::port::{AccountRepository, CreateAccountError, RefreshTokenRepository, UniqueField};
use crate::types::{Country, DateOfBirth, Email, Username};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use kernel::{AccountId, Currency};
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    kernel::clock::truncate_to_micros(Utc::now())
}

fn tag() -> String {
    Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// A player account named `{name}` with e-mail `{name}@example.com`.
pub fn new_player(name: &str, created_at: DateTime<Utc>) -> NewAccount {
    NewAccount {
        account: Account {
            id: AccountId::from_uuid(Uuid::new_v4()),
            username: Username::parse(name).unwrap(),
            email: Email::parse(&format!("{name}@example.com")).unwrap(),
            role: Role::Player,
            status: AccountStatus::Active,
            created_at,
        },
        password_hash: format!("hash-of-{name}"),
        profile: Some(PlayerProfile {
            date_of_birth: DateOfBirth::from_stored(NaiveDate::from_ymd_opt(1990, 5, 17).unwrap()),
            country: Country::parse("SE").unwrap(),
            currency: Currency::parse("SEK").unwrap(),
            kyc_status: KycState::None,
            lifetime_wagered: 0,
        }),
    }
}

pub async fn run_all<R>(repo: &R)
where
    R: AccountRepository + RefreshTokenRepository + Clone + 'static,
{
    accounts_round_trip(repo).await;
    uniqueness(repo).await;
    player_listing(repo).await;
    refresh_tokens(repo).await;
    refresh_token_is_spent_once_under_concurrency(repo).await;
}

pub async fn accounts_round_trip<R: AccountRepository>(repo: &R) {
    let name = format!("p{}", tag());
    let new = new_player(&name, now());
    repo.create(new.clone()).await.unwrap();
    let by_name = repo.credentials(&name).await.unwrap().unwrap();
    assert_eq!(by_name.account, new.account);
    assert_eq!(by_name.password_hash, new.password_hash);
    let by_email = repo.credentials(&format!("{name}@example.com")).await.unwrap().unwrap();
    assert_eq!(by_email.account.id, new.account.id);
    assert!(repo.credentials(&format!("nobody{}", tag())).await.unwrap().is_none());
    let player = repo.player(new.account.id).await.unwrap().unwrap();
    assert_eq!(player.account, new.account);
    assert_eq!(Some(player.profile), new.profile);
    assert_eq!(repo.account(new.account.id).await.unwrap(), Some(new.account.clone()));
    assert_eq!(repo.account(AccountId::from_uuid(Uuid::new_v4())).await.unwrap(), None);

    let staff_name = format!("s{}", tag());
    let mut staff = new_player(&staff_name, now());
    staff.account.role = Role::Compliance;
    staff.profile = None;
    repo.create(staff.clone()).await.unwrap();
    assert_eq!(repo.account(staff.account.id).await.unwrap().unwrap().role, Role::Compliance);
    assert!(repo.player(staff.account.id).await.unwrap().is_none(), "staff are not players");
}

pub async fn uniqueness<R: AccountRepository>(repo: &R) {
    let name = format!("u{}", tag());
    let first = new_player(&name, now());
    repo.create(first.clone()).await.unwrap();
    let mut same_name = new_player(&name, now());
    same_name.account.email = Email::parse(&format!("other{}@example.com", tag())).unwrap();
    let err = repo.create(same_name).await.unwrap_err();
    assert!(matches!(err, CreateAccountError::Duplicate(UniqueField::Username)), "{err:?}");
    let mut same_email = new_player(&format!("u{}", tag()), now());
    same_email.account.email = first.account.email.clone();
    let err = repo.create(same_email.clone()).await.unwrap_err();
    assert!(matches!(err, CreateAccountError::Duplicate(UniqueField::Email)), "{err:?}");
    assert!(repo.credentials(same_email.account.username.as_str()).await.unwrap().is_none(), "nothing written");
}

pub async fn player_listing<R: AccountRepository>(repo: &R) {
    let prefix = format!("l{}", tag());
    let t0 = now();
    let mut ids = Vec::new();
    let mut names = Vec::new();
    for i in 0..5 {
        // Name order differs from creation order.
        let name = format!("{prefix}-{}", i * 3 % 5);
        let mut p = new_player(&name, t0 + Duration::seconds(i));
        if i == 1 {
            p.profile.as_mut().unwrap().country = Country::parse("GB").unwrap();
        }
        names.push(name);
        ids.push(p.account.id);
        repo.create(p).await.unwrap();
    }
    let page = |limit, offset| PlayerFilter { q: Some(prefix.to_uppercase()), limit, offset, ..Default::default() };
    let all = repo.players(&page(10, 0)).await.unwrap();
    assert_eq!(all.total, 5);
    let newest_first: Vec<_> = ids.iter().rev().copied().collect();
    assert_eq!(all.items.iter().map(|p| p.account.id).collect::<Vec<_>>(), newest_first);
    let second = repo.players(&page(2, 2)).await.unwrap();
    assert_eq!((second.total, second.items.len()), (5, 2));
    assert_eq!(second.items[0].account.id, newest_first[2]);
    let f = PlayerFilter { kyc_status: Some(KycState::Approved), ..page(10, 0) };
    assert_eq!(repo.players(&f).await.unwrap().total, 0);
    let f = PlayerFilter { status: Some(AccountStatus::Active), vip_tier: Some(crate::VipTier::Bronze), ..page(10, 0) };
    assert_eq!(repo.players(&f).await.unwrap().total, 5);
    let f = PlayerFilter { vip_tier: Some(crate::VipTier::Gold), ..page(10, 0) };
    assert_eq!(repo.players(&f).await.unwrap().total, 0);
    let f = PlayerFilter { country: Some(Country::parse("gb").unwrap()), ..page(10, 0) };
    let gb = repo.players(&f).await.unwrap();
    assert_eq!((gb.total, gb.items[0].account.id), (1, ids[1]));
    let f = PlayerFilter { country: Some(Country::parse("SE").unwrap()), ..page(10, 0) };
    assert_eq!(repo.players(&f).await.unwrap().total, 4);

    let ordered = |order| async move {
        let f = PlayerFilter { order, ..page(10, 0) };
        repo.players(&f).await.unwrap().items.iter().map(|p| p.account.username.as_str().to_owned()).collect::<Vec<_>>()
    };
    let mut by_name = names.clone();
    by_name.sort();
    assert_eq!(ordered(PlayerOrder::UsernameAsc).await, by_name);
    by_name.reverse();
    assert_eq!(ordered(PlayerOrder::UsernameDesc).await, by_name);
    assert_eq!(ordered(PlayerOrder::OldestFirst).await, names);
}

fn token(account_id: AccountId, family_id: Uuid, expires_at: DateTime<Utc>) -> RefreshTokenRecord {
    RefreshTokenRecord {
        id: Uuid::new_v4(),
        family_id,
        account_id,
        token_hash: format!("{:x}", Uuid::new_v4().as_u128()),
        created_at: now(),
        expires_at,
        used_at: None,
        revoked_at: None,
    }
}

async fn some_account<R: AccountRepository>(repo: &R) -> AccountId {
    let p = new_player(&format!("t{}", tag()), now());
    let id = p.account.id;
    repo.create(p).await.unwrap();
    id
}

pub async fn refresh_tokens<R: AccountRepository + RefreshTokenRepository>(repo: &R) {
    let account = some_account(repo).await;
    let family = Uuid::new_v4();
    let a = token(account, family, now() + Duration::days(30));
    let b = token(account, family, now() + Duration::days(30));
    let other = token(account, Uuid::new_v4(), now() + Duration::days(30));
    for t in [&a, &b, &other] {
        repo.insert_refresh_token(t.clone()).await.unwrap();
    }
    assert_eq!(repo.find_refresh_token(&a.token_hash).await.unwrap(), Some(a.clone()));
    assert_eq!(repo.find_refresh_token("unknown").await.unwrap(), None);
    let at = now();
    assert!(repo.mark_refresh_token_used(a.id, at).await.unwrap());
    assert!(!repo.mark_refresh_token_used(a.id, at).await.unwrap());
    assert_eq!(repo.find_refresh_token(&a.token_hash).await.unwrap().unwrap().used_at, Some(at));
    assert_eq!(repo.revoke_refresh_family(family, at).await.unwrap(), 2);
    assert_eq!(repo.revoke_refresh_family(family, at).await.unwrap(), 0);
    assert_eq!(repo.find_refresh_token(&b.token_hash).await.unwrap().unwrap().revoked_at, Some(at));
    assert_eq!(repo.find_refresh_token(&other.token_hash).await.unwrap().unwrap().revoked_at, None);
}

pub async fn refresh_token_is_spent_once_under_concurrency<R>(repo: &R)
where
    R: AccountRepository + RefreshTokenRepository + Clone + 'static,
{
    let account = some_account(repo).await;
    let t = token(account, Uuid::new_v4(), now() + Duration::days(30));
    repo.insert_refresh_token(t.clone()).await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let repo = repo.clone();
            tokio::spawn(async move { repo.mark_refresh_token_used(t.id, now()).await.unwrap() })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
}
