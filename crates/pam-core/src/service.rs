use crate::model::{Account, AccountStatus, KycStatus, NewAccount, Player, PlayerProfile, RefreshTokenRecord, Role};
use crate::port::{
    AccountRepository, CreateAccountError, HashError, LoginThrottle, PasswordHasher, RefreshTokenRepository,
    StoreError, UniqueField,
};
use crate::types::{Country, DateOfBirth, Email, Password, TypeError, Username};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use kernel::{AccountId, Clock, Currency, Entropy};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every invalid field of a request, so a form can show them all at once.
#[derive(Debug, Clone, PartialEq, Eq, Default, thiserror::Error)]
#[error("invalid request: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    fn check<T>(&mut self, field: &str, r: Result<T, TypeError>) -> Option<T> {
        r.map_err(|e| self.0.push(FieldError { field: field.to_owned(), message: e.0.to_owned() })).ok()
    }
}

/// A registration form as received: raw, unvalidated.
#[derive(Debug, Clone)]
pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub date_of_birth: String,
    pub country: String,
    pub currency: Option<String>,
}

/// A staff account to create, as received.
#[derive(Debug, Clone)]
pub struct StaffRegistration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("{} already taken", match .0 { UniqueField::Username => "username", UniqueField::Email => "email" })]
    Taken(UniqueField),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
}

impl From<CreateAccountError> for RegisterError {
    fn from(e: CreateAccountError) -> Self {
        match e {
            CreateAccountError::Duplicate(f) => RegisterError::Taken(f),
            CreateAccountError::Store(s) => RegisterError::Store(s),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown account or wrong password (deliberately indistinguishable).
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("too many failed sign-ins; retry in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    #[error("the account is {0}")]
    AccountBlocked(AccountStatus),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("invalid or expired refresh token")]
    Invalid,
    /// An already-used token was presented: its whole family is now revoked.
    #[error("refresh token reuse detected; the session has been revoked")]
    Reused,
    #[error("the refresh token belongs to another account")]
    NotOwner,
    #[error("the account is {0}")]
    AccountBlocked(AccountStatus),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Lifetimes of the tokens PAM issues.
#[derive(Debug, Clone, Copy)]
pub struct TokenPolicy {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self { access_ttl: Duration::minutes(15), refresh_ttl: Duration::days(30) }
    }
}

/// A signed-in session: the account and a fresh opaque refresh token. The access
/// token is minted from `account` by the caller.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub account: Account,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
}

/// The PAM use cases over their ports.
pub struct PamService<S, H, T, C, E> {
    pub store: S,
    pub hasher: H,
    pub throttle: T,
    pub clock: C,
    pub entropy: E,
    pub policy: TokenPolicy,
}

/// The stored form of a refresh token.
pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl<S, H, T, C, E> PamService<S, H, T, C, E>
where
    S: AccountRepository + RefreshTokenRepository,
    H: PasswordHasher,
    T: LoginThrottle,
    C: Clock,
    E: Entropy,
{
    /// Validates a registration and creates the player.
    pub async fn register(&self, form: Registration) -> Result<Player, RegisterError> {
        let now = self.clock.now();
        let mut errs = ValidationErrors::default();
        let username = errs.check("username", Username::parse(&form.username));
        let email = errs.check("email", Email::parse(&form.email));
        let password = errs.check("password", Password::parse(&form.password));
        let dob = errs.check("date_of_birth", DateOfBirth::parse(&form.date_of_birth, now.date_naive()));
        let country = errs.check("country", Country::parse(&form.country));
        let currency = errs.check(
            "currency",
            form.currency.as_deref().map_or(Ok(Currency::EUR), |c| {
                Currency::parse(c).map_err(|_| TypeError("must be a supported ISO 4217 currency code"))
            }),
        );
        let (Some(username), Some(email), Some(password), Some(date_of_birth), Some(country), Some(currency)) =
            (username, email, password, dob, country, currency)
        else {
            return Err(errs.into());
        };
        let account = Account {
            id: AccountId::from_uuid(self.entropy.new_id()),
            username,
            email,
            role: Role::Player,
            status: AccountStatus::Active,
            created_at: now,
        };
        let profile =
            PlayerProfile { date_of_birth, country, currency, kyc_status: KycStatus::None, lifetime_wagered: 0 };
        let password_hash = self.hasher.hash(password.expose().to_owned()).await?;
        self.store
            .create(NewAccount { account: account.clone(), password_hash, profile: Some(profile.clone()) })
            .await?;
        Ok(Player { account, profile })
    }

    /// Validates and creates a staff account.
    pub async fn create_staff(&self, form: StaffRegistration) -> Result<Account, RegisterError> {
        let mut errs = ValidationErrors::default();
        let username = errs.check("username", Username::parse(&form.username));
        let email = errs.check("email", Email::parse(&form.email));
        let password = errs.check("password", Password::parse(&form.password));
        let role = errs.check(
            "role",
            if form.role.is_staff() { Ok(form.role) } else { Err(TypeError("must be operator, compliance or admin")) },
        );
        let (Some(username), Some(email), Some(password), Some(role)) = (username, email, password, role) else {
            return Err(errs.into());
        };
        let account = Account {
            id: AccountId::from_uuid(self.entropy.new_id()),
            username,
            email,
            role,
            status: AccountStatus::Active,
            created_at: self.clock.now(),
        };
        let password_hash = self.hasher.hash(password.expose().to_owned()).await?;
        self.store.create(NewAccount { account: account.clone(), password_hash, profile: None }).await?;
        Ok(account)
    }

    /// Signs in with a username or e-mail and a password.
    pub async fn login(&self, login: &str, password: &str) -> Result<IssuedSession, LoginError> {
        let login = login.trim().to_lowercase();
        let found = self.store.credentials(&login).await?;
        // Throttle per account, whichever of its names is used; unknown names are
        // throttled by the name itself so probing costs the same.
        let key = found.as_ref().map_or_else(|| format!("login:{login}"), |c| format!("account:{}", c.account.id));
        // The attempt is counted before the password is checked, so parallel guesses
        // cannot slip past the limit.
        if let Some(retry_after_secs) = self.throttle.reserve(&key).await? {
            return Err(LoginError::Throttled { retry_after_secs });
        }
        let ok = match &found {
            Some(c) => self.hasher.verify(password.to_owned(), c.password_hash.clone()).await?,
            None => {
                self.hasher.waste_time(password.to_owned()).await?;
                false
            }
        };
        let Some(creds) = found.filter(|_| ok) else {
            return Err(LoginError::InvalidCredentials);
        };
        self.throttle.reset(&key).await?;
        if !creds.account.status.may_sign_in() {
            return Err(LoginError::AccountBlocked(creds.account.status));
        }
        let family = self.entropy.new_id();
        Ok(self.issue(creds.account, family).await?)
    }

    /// Rotates a refresh token: the presented one is spent and a new one of the same
    /// family returned. Presenting a spent token revokes the whole family.
    pub async fn refresh(&self, token: &str) -> Result<IssuedSession, RefreshError> {
        let now = self.clock.now();
        let record = self.store.find_refresh_token(&hash_refresh_token(token)).await?.ok_or(RefreshError::Invalid)?;
        if record.revoked_at.is_some() {
            return Err(RefreshError::Invalid);
        }
        if record.used_at.is_some() {
            self.store.revoke_refresh_family(record.family_id, now).await?;
            return Err(RefreshError::Reused);
        }
        if record.expires_at <= now {
            return Err(RefreshError::Invalid);
        }
        if !self.store.mark_refresh_token_used(record.id, now).await? {
            // Lost a race with another use of the same token: that is reuse too.
            self.store.revoke_refresh_family(record.family_id, now).await?;
            return Err(RefreshError::Reused);
        }
        let account = self.store.account(record.account_id).await?.ok_or(RefreshError::Invalid)?;
        if !account.status.may_sign_in() {
            self.store.revoke_refresh_family(record.family_id, now).await?;
            return Err(RefreshError::AccountBlocked(account.status));
        }
        let issued = self.issue(account, record.family_id).await?;
        // A sign-out or reuse detection may have revoked the family while this refresh
        // ran; the new token must not outlive it.
        let spent = self.store.find_refresh_token(&record.token_hash).await?;
        if spent.is_none_or(|t| t.revoked_at.is_some()) {
            self.store.revoke_refresh_family(record.family_id, self.clock.now()).await?;
            return Err(RefreshError::Invalid);
        }
        Ok(issued)
    }

    /// Ends the session that `token` belongs to (its whole family).
    pub async fn logout(&self, caller: AccountId, token: &str) -> Result<(), RefreshError> {
        let record = self.store.find_refresh_token(&hash_refresh_token(token)).await?.ok_or(RefreshError::Invalid)?;
        if record.account_id != caller {
            return Err(RefreshError::NotOwner);
        }
        self.store.revoke_refresh_family(record.family_id, self.clock.now()).await?;
        Ok(())
    }

    async fn issue(&self, account: Account, family_id: uuid::Uuid) -> Result<IssuedSession, StoreError> {
        let now = self.clock.now();
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.entropy.bytes32());
        let expires_at = now + self.policy.refresh_ttl;
        self.store
            .insert_refresh_token(RefreshTokenRecord {
                id: self.entropy.new_id(),
                family_id,
                account_id: account.id,
                token_hash: hash_refresh_token(&token),
                created_at: now,
                expires_at,
                used_at: None,
                revoked_at: None,
            })
            .await?;
        Ok(IssuedSession { account, refresh_token: token, refresh_expires_at: expires_at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{InMemoryAccounts, InMemoryThrottle, PlainHasher, ThrottlePolicy};
    use kernel::testkit::{ManualClock, SeededEntropy};
    use std::sync::Arc;

    type Svc =
        PamService<InMemoryAccounts, PlainHasher, InMemoryThrottle<Arc<ManualClock>>, Arc<ManualClock>, SeededEntropy>;

    fn service() -> (Svc, Arc<ManualClock>) {
        let start = DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z").unwrap().with_timezone(&Utc);
        let clock = Arc::new(ManualClock::starting_at(start));
        let svc = PamService {
            store: InMemoryAccounts::default(),
            hasher: PlainHasher,
            throttle: InMemoryThrottle::new(ThrottlePolicy::default(), clock.clone()),
            clock: clock.clone(),
            entropy: SeededEntropy::new(7),
            policy: TokenPolicy::default(),
        };
        (svc, clock)
    }

    fn form(name: &str) -> Registration {
        Registration {
            username: name.into(),
            email: format!("{name}@example.com"),
            password: "correct horse".into(),
            date_of_birth: "1990-01-31".into(),
            country: "gb".into(),
            currency: None,
        }
    }

    #[tokio::test]
    async fn registration_reports_every_invalid_field() {
        let (svc, _) = service();
        let bad = Registration {
            username: "x".into(),
            email: "nope".into(),
            password: "short".into(),
            date_of_birth: "2010-01-01".into(),
            country: "XX".into(),
            currency: Some("BTC".into()),
        };
        let Err(RegisterError::Invalid(errs)) = svc.register(bad).await else { panic!("expected validation errors") };
        let fields: Vec<_> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["username", "email", "password", "date_of_birth", "country", "currency"]);
    }

    #[tokio::test]
    async fn registration_defaults_and_duplicates() {
        let (svc, _) = service();
        let p = svc.register(form("alice")).await.unwrap();
        assert_eq!((p.profile.currency.as_str(), p.profile.country.as_str()), ("EUR", "GB"));
        assert_eq!(p.profile.kyc_status, KycStatus::None);
        let err = svc.register(form("Alice")).await.unwrap_err();
        assert!(matches!(err, RegisterError::Taken(UniqueField::Username)), "{err:?}");
        let mut f = form("alice2");
        f.email = "ALICE@example.com".into();
        assert!(matches!(svc.register(f).await.unwrap_err(), RegisterError::Taken(UniqueField::Email)));
    }

    #[tokio::test]
    async fn login_by_username_or_email_and_throttling() {
        let (svc, clock) = service();
        svc.register(form("bob")).await.unwrap();
        assert!(svc.login("BOB", "correct horse").await.is_ok());
        assert!(svc.login("bob@example.com", "correct horse").await.is_ok());
        for _ in 0..5 {
            assert!(matches!(svc.login("bob", "wrong").await, Err(LoginError::InvalidCredentials)));
        }
        // Locked, whichever name is used, even with the right password.
        let Err(LoginError::Throttled { retry_after_secs }) = svc.login("bob@example.com", "correct horse").await
        else {
            panic!("expected throttling")
        };
        assert_eq!(retry_after_secs, 15 * 60);
        clock.advance(Duration::minutes(15) - Duration::seconds(1));
        assert!(matches!(svc.login("bob", "correct horse").await, Err(LoginError::Throttled { retry_after_secs: 1 })));
        clock.advance(Duration::seconds(1));
        assert!(svc.login("bob", "correct horse").await.is_ok());
        // Unknown names fail the same way and are throttled too.
        for _ in 0..5 {
            assert!(matches!(svc.login("ghost", "x").await, Err(LoginError::InvalidCredentials)));
        }
        assert!(matches!(svc.login("ghost", "x").await, Err(LoginError::Throttled { .. })));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn parallel_guesses_cannot_pass_the_limit() {
        let (svc, _) = service();
        svc.register(form("mallory")).await.unwrap();
        let svc = Arc::new(svc);
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let svc = svc.clone();
                tokio::spawn(async move { svc.login("mallory", &format!("guess {i}")).await })
            })
            .collect();
        let mut checked = 0;
        for t in tasks {
            match t.await.unwrap() {
                Err(LoginError::InvalidCredentials) => checked += 1,
                Err(LoginError::Throttled { .. }) => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(checked, 5, "only five passwords were ever checked");
    }

    #[tokio::test]
    async fn a_success_resets_the_failure_count() {
        let (svc, _) = service();
        svc.register(form("carol")).await.unwrap();
        for _ in 0..4 {
            assert!(svc.login("carol", "wrong").await.is_err());
        }
        svc.login("carol", "correct horse").await.unwrap();
        for _ in 0..4 {
            assert!(matches!(svc.login("carol", "wrong").await, Err(LoginError::InvalidCredentials)));
        }
        svc.login("carol", "correct horse").await.unwrap();
    }

    #[tokio::test]
    async fn refresh_rotates_and_reuse_kills_the_family() {
        let (svc, _) = service();
        svc.register(form("dave")).await.unwrap();
        let s1 = svc.login("dave", "correct horse").await.unwrap();
        let s2 = svc.refresh(&s1.refresh_token).await.unwrap();
        assert_ne!(s1.refresh_token, s2.refresh_token);
        let s3 = svc.refresh(&s2.refresh_token).await.unwrap();
        // s1 again: reuse. The whole family dies, including the live s3.
        assert!(matches!(svc.refresh(&s1.refresh_token).await, Err(RefreshError::Reused)));
        assert!(matches!(svc.refresh(&s3.refresh_token).await, Err(RefreshError::Invalid)));
        // Another session of the same player is untouched.
        let other = svc.login("dave", "correct horse").await.unwrap();
        assert!(svc.refresh(&other.refresh_token).await.is_ok());
        assert!(matches!(svc.refresh("garbage").await, Err(RefreshError::Invalid)));
    }

    #[tokio::test]
    async fn refresh_tokens_expire_after_thirty_days() {
        let (svc, clock) = service();
        svc.register(form("erin")).await.unwrap();
        let s = svc.login("erin", "correct horse").await.unwrap();
        clock.advance(Duration::days(30));
        assert!(matches!(svc.refresh(&s.refresh_token).await, Err(RefreshError::Invalid)));
    }

    #[tokio::test]
    async fn logout_revokes_only_the_callers_family() {
        let (svc, _) = service();
        let frank = svc.register(form("frank")).await.unwrap();
        let grace = svc.register(form("grace")).await.unwrap();
        let f = svc.login("frank", "correct horse").await.unwrap();
        let g = svc.login("grace", "correct horse").await.unwrap();
        assert!(matches!(svc.logout(grace.account.id, &f.refresh_token).await, Err(RefreshError::NotOwner)));
        svc.logout(frank.account.id, &f.refresh_token).await.unwrap();
        assert!(svc.refresh(&f.refresh_token).await.is_err());
        assert!(svc.refresh(&g.refresh_token).await.is_ok());
    }

    #[tokio::test]
    async fn staff_accounts() {
        let (svc, _) = service();
        let form = |role| StaffRegistration {
            username: "olivia".into(),
            email: "olivia@acme.example".into(),
            password: "long enough".into(),
            role,
        };
        assert!(matches!(svc.create_staff(form(Role::Player)).await, Err(RegisterError::Invalid(_))));
        let a = svc.create_staff(form(Role::Operator)).await.unwrap();
        assert_eq!(a.role, Role::Operator);
        assert!(svc.store.player(a.id).await.unwrap().is_none());
        assert_eq!(svc.login("olivia", "long enough").await.unwrap().account.role, Role::Operator);
    }
}
