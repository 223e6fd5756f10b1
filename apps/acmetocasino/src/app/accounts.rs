//! Accounts: registration and sign-in as the national self-exclusion register sees
//! them, profiles with the exclusion in force, player and staff lists, staff creation.

use crate::state::AppState;
use kernel::{AccountId, Clock, StoreError};
use pam_core::port::AccountRepository;
use pam_core::{Account, AccountStatus, IssuedSession, LoginError, Player, PlayerFilter, PlayerPage};
use pam_core::{RegisterError, Role, StaffRegistration};

/// Registers a player. A person on the national self-exclusion register is registered
/// like anyone else (a different answer would tell anyone who asks that they are
/// listed) and their account is self-excluded at once, as existing accounts are.
pub async fn register(state: &AppState, form: pam_core::Registration, client: &str) -> Result<Player, RegisterError> {
    let mut player = state.pam.register(form, client).await?;
    if state.db.apply_register(player.account.id).await.map_err(StoreError::from)? {
        player.account.status = AccountStatus::SelfExcluded;
    }
    tracing::info!(player_id = %player.account.id, "player registered");
    state.publish(
        crate::events::Channel::PlayerEvents,
        "player.registered",
        serde_json::json!({"player_id": player.account.id, "username": player.account.username.as_str(),
                           "country": player.profile.country.as_str()}),
    );
    Ok(player)
}

/// Signs in; a player's account is checked against the register on every sign-in.
pub async fn login(state: &AppState, login: &str, password: &str, client: &str) -> Result<IssuedSession, LoginError> {
    let session = state.pam.login(login, password, client).await?;
    if session.account.role == Role::Player {
        state.db.apply_register(session.account.id).await.map_err(StoreError::from)?;
    }
    Ok(session)
}

/// A player's profile; a self-exclusion in force shows in its status for as long as it
/// lasts.
pub async fn player(state: &AppState, id: AccountId) -> Result<Option<Player>, StoreError> {
    let Some(mut player) = AccountRepository::player(&state.db, id).await? else { return Ok(None) };
    let rg = rg_core::RgRepository::load(&state.db, id).await?;
    let now = state.clock.now();
    if player.account.status == AccountStatus::Active
        && rg.exclusion.is_some_and(|e| e.kind == rg_core::ExclusionKind::SelfExclusion && e.is_active(now))
    {
        player.account.status = AccountStatus::SelfExcluded;
    }
    Ok(Some(player))
}

pub async fn players(state: &AppState, filter: &PlayerFilter) -> Result<PlayerPage, StoreError> {
    AccountRepository::players(&state.db, filter).await
}

/// A page of staff accounts and how many there are.
pub async fn staff(
    state: &AppState,
    role: Option<Role>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Account>, i64), StoreError> {
    Ok(state.db.staff_accounts(role, limit, offset).await?)
}

/// Creates a staff account; audited.
pub async fn create_staff(
    state: &AppState,
    actor: AccountId,
    form: StaffRegistration,
) -> Result<Account, RegisterError> {
    let account = state.pam.create_staff(form).await?;
    tracing::info!(%actor, staff_id = %account.id, role = %account.role, "staff account created");
    state
        .db
        .audit(
            actor,
            "staff.created",
            &format!("account:{}", account.id),
            None,
            Some(serde_json::json!({"username": account.username.as_str(), "role": account.role.as_str()})),
            state.clock.now(),
        )
        .await
        .map_err(StoreError::from)?;
    Ok(account)
}
