//! The ports PAM needs from the outside world. Each documents what its errors mean.

use crate::model::{Account, NewAccount, Player, PlayerFilter, PlayerPage, RefreshTokenRecord};
use chrono::{DateTime, Duration, Utc};
use kernel::AccountId;
use std::future::Future;
use uuid::Uuid;

pub use kernel::StoreError;

/// Which unique field a new account collided on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    Username,
    Email,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateAccountError {
    /// Another account already has this username or e-mail. Nothing was written.
    #[error("{0:?} already taken")]
    Duplicate(UniqueField),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An account with its password hash, for signing in.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account: Account,
    pub password_hash: String,
}

/// Accounts and player profiles.
pub trait AccountRepository: Send + Sync {
    /// Creates the account (and, for a player, the profile and anything the
    /// deployment opens with it, e.g. the wallet) atomically.
    fn create(&self, new: NewAccount) -> impl Future<Output = Result<(), CreateAccountError>> + Send;

    /// The account whose username or e-mail equals `login` (already lower-cased).
    fn credentials(&self, login: &str) -> impl Future<Output = Result<Option<Credentials>, StoreError>> + Send;

    fn account(&self, id: AccountId) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;

    /// The player with that id; `None` for unknown ids and for staff accounts.
    fn player(&self, id: AccountId) -> impl Future<Output = Result<Option<Player>, StoreError>> + Send;

    /// Players matching `filter`, newest first, with the total count of matches.
    fn players(&self, filter: &PlayerFilter) -> impl Future<Output = Result<PlayerPage, StoreError>> + Send;
}

/// Refresh tokens, stored by hash only.
pub trait RefreshTokenRepository: Send + Sync {
    fn insert_refresh_token(&self, record: RefreshTokenRecord) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn find_refresh_token(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<RefreshTokenRecord>, StoreError>> + Send;

    /// Marks the token used if, and only if, it was unused; returns whether this call
    /// did it. Two concurrent calls for one token MUST NOT both return `true`.
    fn mark_refresh_token_used(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Revokes every token of the family; returns how many were newly revoked.
    fn revoke_refresh_family(
        &self,
        family_id: Uuid,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The hasher itself failed (a bug or a broken platform).
    #[error("password hashing failed: {0}")]
    Failed(String),
    /// As many hashes as allowed are running and waiting: nothing was hashed or checked.
    /// The caller may retry after a moment.
    #[error("password hashing is at capacity")]
    Busy,
}

/// Password hashing (Argon2id in production). Implementations MUST NOT block the
/// caller's executor, and MAY refuse work with [`HashError::Busy`] to bound it.
pub trait PasswordHasher: Send + Sync {
    fn hash(&self, password: String) -> impl Future<Output = Result<String, HashError>> + Send;
    fn verify(&self, password: String, hash: String) -> impl Future<Output = Result<bool, HashError>> + Send;
    /// Does the work of one verification against nothing, so that signing in with an
    /// unknown account takes as long as with a wrong password. It MUST refuse with
    /// [`HashError::Busy`] exactly when `verify` would, so the answer is the same too.
    fn waste_time(&self, password: String) -> impl Future<Output = Result<(), HashError>> + Send;
}

/// At most `max` attempts per key in a fixed window opened by the key's first attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// Attempt counting (sign-ins, registrations) per key, shared by every instance that
/// serves it. A key is always reserved with the same [`Limit`].
pub trait AttemptThrottle: Send + Sync {
    /// Counts one attempt for `key` and, atomically with it, says whether the key is
    /// over `limit`: `Some(seconds)` until the window (opened by the first attempt) ends.
    /// Concurrent attempts MUST NOT all pass: the count is taken before any password
    /// check, so at most `limit.max` guesses ever run per window.
    fn reserve(&self, key: &str, limit: Limit) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;
    /// Forgets the attempts of `key` (after a successful sign-in).
    fn reset(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}
