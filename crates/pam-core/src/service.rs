use crate::model::{Account, AccountStatus, KycState, NewAccount, Player, PlayerProfile, RefreshTokenRecord, Role};
use crate::port::{
    AccountRepository, AttemptThrottle, CreateAccountError, HashError, Limit, PasswordHasher, RefreshTokenRepository,
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
    #[error("too many registrations from this client; retry in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
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
    #[error("too many sign-ins {scope}; retry in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64, scope: ThrottleScope },
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

/// What a refused sign-in was counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleScope {
    /// The account (or the unknown name), from this client or from all clients.
    Account,
    /// The client, whatever the accounts.
    Client,
}

impl std::fmt::Display for ThrottleScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ThrottleScope::Account => "for this account",
            ThrottleScope::Client => "from this client",
        })
    }
}

/// How many attempts pass, per key, before PAM answers "retry later".
#[derive(Debug, Clone, Copy)]
pub struct AttemptLimits {
    /// Sign-ins for one account (or unknown name) from one client.
    pub account_client: Limit,
    /// Sign-ins for one account from all clients together: higher than
    /// `account_client`, so that one client cannot lock the account out for others.
    pub account: Limit,
    /// Sign-ins from one client, whatever the accounts.
    pub sign_in_client: Limit,
    /// Registrations from one client.
    pub registration_client: Limit,
}

impl Default for AttemptLimits {
    fn default() -> Self {
        let quarter = Duration::minutes(15);
        Self {
            account_client: Limit { max: 5, window: quarter },
            account: Limit { max: 50, window: quarter },
            sign_in_client: Limit { max: 100, window: quarter },
            registration_client: Limit { max: 20, window: Duration::hours(1) },
        }
    }
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
    /// The session (refresh-token family) this sign-in started or continues.
    pub family_id: uuid::Uuid,
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
    pub limits: AttemptLimits,
}

/// The stored form of a refresh token.
pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl<S, H, T, C, E> PamService<S, H, T, C, E>
where
    S: AccountRepository + RefreshTokenRepository,
    H: PasswordHasher,
    T: AttemptThrottle,
    C: Clock,
    E: Entropy,
{
    /// Validates a registration from `client` (the caller's network address, as a
    /// throttle key) and creates the player.
    pub async fn register(&self, form: Registration, client: &str) -> Result<Player, RegisterError> {
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
            PlayerProfile { date_of_birth, country, currency, kyc_status: KycState::None, lifetime_wagered: 0 };
        // Counted once the form is valid: only a valid form costs a hash.
        let key = format!("registration:client:{client}");
        if let Some(retry_after_secs) = self.throttle.reserve(&key, self.limits.registration_client).await? {
            return Err(RegisterError::Throttled { retry_after_secs });
        }
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

    /// Signs in with a username or e-mail and a password, from `client` (the caller's
    /// network address, as a throttle key).
    pub async fn login(&self, login: &str, password: &str, client: &str) -> Result<IssuedSession, LoginError> {
        let throttled = |retry_after_secs, scope| LoginError::Throttled { retry_after_secs, scope };
        if let Some(s) = self.throttle.reserve(&format!("sign-in:client:{client}"), self.limits.sign_in_client).await? {
            return Err(throttled(s, ThrottleScope::Client));
        }
        let login = login.trim().to_lowercase();
        let found = self.store.credentials(&login).await?;
        // Throttle per account, whichever of its names is used; unknown names are
        // throttled by the name itself, with the same limits, so probing looks the same.
        let account = found.as_ref().map_or_else(|| format!("login:{login}"), |c| format!("account:{}", c.account.id));
        let account_client = format!("{account}:client:{client}");
        // Attempts are counted before the password is checked, so parallel guesses
        // cannot slip past the limits. One client's attempts reach the account-wide
        // count only while that client is under its own limit: a single client cannot
        // push the account over the higher ceiling and lock its owner out.
        for (key, limit) in [(&account_client, self.limits.account_client), (&account, self.limits.account)] {
            if let Some(s) = self.throttle.reserve(key, limit).await? {
                return Err(throttled(s, ThrottleScope::Account));
            }
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
        self.throttle.reset(&account_client).await?;
        self.throttle.reset(&account).await?;
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

    /// Ends the session that `token` belongs to (its whole family); returns the family.
    pub async fn logout(&self, caller: AccountId, token: &str) -> Result<uuid::Uuid, RefreshError> {
        let record = self.store.find_refresh_token(&hash_refresh_token(token)).await?.ok_or(RefreshError::Invalid)?;
        if record.account_id != caller {
            return Err(RefreshError::NotOwner);
        }
        self.store.revoke_refresh_family(record.family_id, self.clock.now()).await?;
        Ok(record.family_id)
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
        Ok(IssuedSession { account, family_id, refresh_token: token, refresh_expires_at: expires_at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{InMemoryAccounts, InMemoryThrottle, PlainHasher};
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
            throttle: InMemoryThrottle::new(clock.clone(), 1_000),
            clock: clock.clone(),
            entropy: SeededEntropy::new(7),
            policy: TokenPolicy::default(),
            limits: AttemptLimits::default(),
        };
        (svc, clock)
    }

    /// The client every test signs in from unless it says otherwise.
    const HOME: &str = "192.0.2.1";

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
        let Err(RegisterError::Invalid(errs)) = svc.register(bad, HOME).await else {
            panic!("expected validation errors")
        };
        let fields: Vec<_> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["username", "email", "password", "date_of_birth", "country", "currency"]);
    }

    #[tokio::test]
    async fn registration_defaults_and_duplicates() {
        let (svc, _) = service();
        let p = svc.register(form("alice"), HOME).await.unwrap();
        assert_eq!((p.profile.currency.as_str(), p.profile.country.as_str()), ("EUR", "GB"));
        assert_eq!(p.profile.kyc_status, KycState::None);
        let err = svc.register(form("Alice"), HOME).await.unwrap_err();
        assert!(matches!(err, RegisterError::Taken(UniqueField::Username)), "{err:?}");
        let mut f = form("alice2");
        f.email = "ALICE@example.com".into();
        assert!(matches!(svc.register(f, HOME).await.unwrap_err(), RegisterError::Taken(UniqueField::Email)));
    }

    #[tokio::test]
    async fn login_by_username_or_email_and_throttling() {
        let (svc, clock) = service();
        svc.register(form("bob"), HOME).await.unwrap();
        assert!(svc.login("BOB", "correct horse", HOME).await.is_ok());
        assert!(svc.login("bob@example.com", "correct horse", HOME).await.is_ok());
        for _ in 0..5 {
            assert!(matches!(svc.login("bob", "wrong", HOME).await, Err(LoginError::InvalidCredentials)));
        }
        // Locked, whichever name is used, even with the right password.
        let Err(LoginError::Throttled { retry_after_secs, .. }) =
            svc.login("bob@example.com", "correct horse", HOME).await
        else {
            panic!("expected throttling")
        };
        assert_eq!(retry_after_secs, 15 * 60);
        clock.advance(Duration::minutes(15) - Duration::seconds(1));
        assert!(matches!(
            svc.login("bob", "correct horse", HOME).await,
            Err(LoginError::Throttled { retry_after_secs: 1, .. })
        ));
        clock.advance(Duration::seconds(1));
        assert!(svc.login("bob", "correct horse", HOME).await.is_ok());
        // Unknown names fail the same way and are throttled too.
        for _ in 0..5 {
            assert!(matches!(svc.login("ghost", "x", HOME).await, Err(LoginError::InvalidCredentials)));
        }
        assert!(matches!(svc.login("ghost", "x", HOME).await, Err(LoginError::Throttled { .. })));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn parallel_guesses_cannot_pass_the_limit() {
        let (svc, _) = service();
        svc.register(form("mallory"), HOME).await.unwrap();
        let svc = Arc::new(svc);
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let svc = svc.clone();
                tokio::spawn(async move { svc.login("mallory", &format!("guess {i}"), HOME).await })
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
    async fn one_client_cannot_lock_an_account_out_and_many_reach_a_higher_ceiling() {
        let (mut svc, _) = service();
        svc.limits.account.max = 8;
        svc.register(form("root"), HOME).await.unwrap();
        for _ in 0..5 {
            assert!(matches!(svc.login("root", "wrong", "attacker").await, Err(LoginError::InvalidCredentials)));
        }
        // The attacker is locked out, and its further tries do not count for the account.
        for _ in 0..20 {
            let r = svc.login("root", "correct horse", "attacker").await;
            assert!(matches!(r, Err(LoginError::Throttled { scope: ThrottleScope::Account, .. })), "{r:?}");
        }
        svc.login("root", "correct horse", HOME).await.unwrap();
        // A success resets the account-wide count; eight failures from two more clients
        // reach the ceiling, and then the account is locked for every client.
        for client in ["second", "third"] {
            for _ in 0..4 {
                assert!(matches!(svc.login("root", "wrong", client).await, Err(LoginError::InvalidCredentials)));
            }
        }
        let r = svc.login("root", "correct horse", "fourth").await;
        assert!(matches!(r, Err(LoginError::Throttled { scope: ThrottleScope::Account, .. })), "{r:?}");
        // An unknown name answers the same way at each step.
        for _ in 0..5 {
            assert!(matches!(svc.login("nobody", "wrong", "attacker2").await, Err(LoginError::InvalidCredentials)));
        }
        let r = svc.login("nobody", "wrong", "attacker2").await;
        assert!(matches!(r, Err(LoginError::Throttled { scope: ThrottleScope::Account, .. })), "{r:?}");
        assert!(matches!(svc.login("nobody", "wrong", HOME).await, Err(LoginError::InvalidCredentials)));
    }

    #[tokio::test]
    async fn one_client_has_a_ceiling_on_sign_ins_and_registrations() {
        let (mut svc, clock) = service();
        svc.limits.sign_in_client.max = 3;
        svc.limits.registration_client.max = 2;
        svc.register(form("reg1"), "crowd").await.unwrap();
        // An invalid form is not counted: it costs no hash.
        assert!(matches!(
            svc.register(Registration { email: "bad".into(), ..form("x") }, "crowd").await,
            Err(RegisterError::Invalid(_))
        ));
        svc.register(form("reg2"), "crowd").await.unwrap();
        let r = svc.register(form("reg3"), "crowd").await;
        assert!(matches!(r, Err(RegisterError::Throttled { retry_after_secs: 3600 })), "{r:?}");
        assert!(svc.store.credentials("reg3").await.unwrap().is_none(), "nothing was written");
        svc.register(form("reg3"), HOME).await.unwrap();
        for name in ["a", "b", "reg1"] {
            assert!(svc.login(name, "wrong", "crowd").await.is_err());
        }
        let r = svc.login("reg2", "correct horse", "crowd").await;
        assert!(matches!(r, Err(LoginError::Throttled { scope: ThrottleScope::Client, .. })), "{r:?}");
        svc.login("reg2", "correct horse", HOME).await.unwrap();
        clock.advance(Duration::minutes(15));
        svc.login("reg2", "correct horse", "crowd").await.unwrap();
    }

    #[tokio::test]
    async fn a_success_resets_the_failure_count() {
        let (svc, _) = service();
        svc.register(form("carol"), HOME).await.unwrap();
        for _ in 0..4 {
            assert!(svc.login("carol", "wrong", HOME).await.is_err());
        }
        svc.login("carol", "correct horse", HOME).await.unwrap();
        for _ in 0..4 {
            assert!(matches!(svc.login("carol", "wrong", HOME).await, Err(LoginError::InvalidCredentials)));
        }
        svc.login("carol", "correct horse", HOME).await.unwrap();
    }

    #[tokio::test]
    async fn refresh_rotates_and_reuse_kills_the_family() {
        let (svc, _) = service();
        svc.register(form("dave"), HOME).await.unwrap();
        let s1 = svc.login("dave", "correct horse", HOME).await.unwrap();
        let s2 = svc.refresh(&s1.refresh_token).await.unwrap();
        assert_ne!(s1.refresh_token, s2.refresh_token);
        let s3 = svc.refresh(&s2.refresh_token).await.unwrap();
        // s1 again: reuse. The whole family dies, including the live s3.
        assert!(matches!(svc.refresh(&s1.refresh_token).await, Err(RefreshError::Reused)));
        assert!(matches!(svc.refresh(&s3.refresh_token).await, Err(RefreshError::Invalid)));
        // Another session of the same player is untouched.
        let other = svc.login("dave", "correct horse", HOME).await.unwrap();
        assert!(svc.refresh(&other.refresh_token).await.is_ok());
        assert!(matches!(svc.refresh("garbage").await, Err(RefreshError::Invalid)));
    }

    #[tokio::test]
    async fn refresh_tokens_expire_after_thirty_days() {
        let (svc, clock) = service();
        svc.register(form("erin"), HOME).await.unwrap();
        let s = svc.login("erin", "correct horse", HOME).await.unwrap();
        clock.advance(Duration::days(30));
        assert!(matches!(svc.refresh(&s.refresh_token).await, Err(RefreshError::Invalid)));
    }

    #[tokio::test]
    async fn logout_revokes_only_the_callers_family() {
        let (svc, _) = service();
        let frank = svc.register(form("frank"), HOME).await.unwrap();
        let grace = svc.register(form("grace"), HOME).await.unwrap();
        let f = svc.login("frank", "correct horse", HOME).await.unwrap();
        let g = svc.login("grace", "correct horse", HOME).await.unwrap();
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
        assert_eq!(svc.login("olivia", "long enough", HOME).await.unwrap().account.role, Role::Operator);
    }
}
