//! The HTTP API: routes, thin handlers and their request/response types.

mod compliance;
mod gamectl;
mod games;
mod pam;
mod platform;
mod providers;
mod reply;
mod rg;
mod wallet;
pub mod ws;

pub use platform::metrics;

use crate::error::ApiError;
use paperclip::actix::web;

/// Reads an optional integer parameter bounded to `min..=max`.
pub(crate) fn bounded(field: &str, value: Option<i64>, default: i64, min: i64, max: i64) -> Result<i64, ApiError> {
    match value {
        None => Ok(default),
        Some(v) if (min..=max).contains(&v) => Ok(v),
        Some(_) => Err(ApiError::validation(field, format!("must be between {min} and {max}"))),
    }
}

/// Parses an optional parameter that must be one of `all` (by its `as_str` name).
pub(crate) fn one_of<T: Copy>(
    field: &str,
    raw: Option<String>,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<Option<T>, ApiError> {
    raw.map(|r| {
        all.iter().copied().find(|v| name(*v) == r).ok_or_else(|| {
            let names: Vec<_> = all.iter().map(|v| name(*v)).collect();
            ApiError::validation(field, format!("must be one of {}", names.join(", ")))
        })
    })
    .transpose()
}

/// An optional `from`/`to` range of instants, which must not be reversed.
pub(crate) fn time_range<T: PartialOrd>(from: Option<T>, to: Option<T>) -> Result<(Option<T>, Option<T>), ApiError> {
    match (from, to) {
        (Some(f), Some(t)) if t < f => Err(ApiError::validation("to", "must not be before from")),
        range => Ok(range),
    }
}

/// Every `/api/v2` route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/players").route(web::post().to(pam::register)))
        .service(web::resource("/pam/register").route(web::post().to(pam::register)))
        .service(web::resource("/auth/login").route(web::post().to(pam::login)))
        .service(web::resource("/pam/login").route(web::post().to(pam::login)))
        .service(web::resource("/auth/refresh").route(web::post().to(pam::refresh)))
        .service(web::resource("/auth/logout").route(web::post().to(pam::logout)))
        .service(web::resource("/players/me").route(web::get().to(pam::me)))
        .service(web::resource("/players/{id}").route(web::get().to(pam::player)))
        .service(web::resource("/pam/players").route(web::get().to(pam::list_players)))
        .service(web::resource("/pam/players/{id}").route(web::get().to(pam::player)))
        .service(web::resource("/staff").route(web::post().to(pam::create_staff)).route(web::get().to(pam::list_staff)))
        .service(web::resource("/wallet/deposit").route(web::post().to(wallet::deposit)))
        .service(web::resource("/wallet/withdraw").route(web::post().to(wallet::withdraw)))
        .service(web::resource("/wallet/recent-events").route(web::get().to(wallet::recent)))
        .service(web::resource("/wallet/events").route(web::get().to(wallet::search_events)))
        .service(web::resource("/wallet/manual-postings").route(web::get().to(wallet::manual_postings)))
        .service(web::resource("/wallet/manual-postings/{id}").route(web::get().to(wallet::manual_posting)))
        .service(
            web::resource("/wallet/manual-postings/{id}/approve").route(web::post().to(wallet::approve_manual_posting)),
        )
        .service(
            web::resource("/wallet/manual-postings/{id}/reject").route(web::post().to(wallet::reject_manual_posting)),
        )
        .service(web::resource("/wallet/{player_id}/balance").route(web::get().to(wallet::balance)))
        .service(web::resource("/wallet/{player_id}/transaction").route(web::post().to(wallet::transaction)))
        .service(web::resource("/wallet/{player_id}/history").route(web::get().to(wallet::history)))
        .service(web::resource("/wallet/{player_id}/verify").route(web::get().to(wallet::verify)))
        .service(web::resource("/gal/games").route(web::get().to(games::games)))
        .service(web::resource("/gal/launch").route(web::post().to(games::launch)))
        .service(web::resource("/gal/bet").route(web::post().to(games::bet)))
        .service(web::resource("/gal/play").route(web::post().to(games::play)))
        .service(web::resource("/gal/sessions").route(web::get().to(games::search_sessions)))
        .service(web::resource("/gal/sessions/{id}").route(web::get().to(games::session)))
        .service(web::resource("/gal/sessions/{id}/end").route(web::post().to(games::end_session)))
        .service(web::resource("/gal/recent-rounds").route(web::get().to(games::recent_rounds)))
        .service(web::resource("/gal/rounds").route(web::get().to(games::search_rounds)))
        .service(web::resource("/gal/rounds/{id}").route(web::get().to(games::round)))
        .service(web::resource("/gal/rounds/{id}/verify").route(web::get().to(games::verify_round)))
        .service(web::resource("/gal/rounds/{id}/rollback").route(web::post().to(games::rollback_round)))
        .service(web::resource("/gal/fairness").route(web::get().to(games::fairness)))
        .service(web::resource("/gal/fairness/client-seed").route(web::put().to(games::set_client_seed)))
        .service(web::resource("/gal/fairness/rotate").route(web::post().to(games::rotate_seed)))
        .service(web::resource("/game-control/rtp").route(web::get().to(gamectl::rtp)))
        .service(web::resource("/game-control/rtp/history").route(web::get().to(gamectl::rtp_history)))
        .service(web::resource("/game-control/rtp/{slug}").route(web::put().to(gamectl::set_rtp)))
        .service(web::resource("/game-control/limits/{slug}").route(web::put().to(gamectl::set_limits)))
        .service(web::resource("/game-control/stats").route(web::get().to(gamectl::stats)))
        .service(web::resource("/compliance/kyc").route(web::get().to(compliance::kyc_queue)))
        .service(web::resource("/compliance/kyc/verify").route(web::post().to(compliance::verify_kyc_body)))
        .service(web::resource("/compliance/kyc/{player_id}").route(web::get().to(compliance::kyc_status)))
        .service(web::resource("/compliance/kyc/{player_id}/submit").route(web::post().to(compliance::submit_kyc)))
        .service(web::resource("/compliance/kyc/{player_id}/verify").route(web::post().to(compliance::verify_kyc)))
        .service(web::resource("/compliance/aml/alerts").route(web::get().to(compliance::alerts)))
        .service(web::resource("/compliance/aml/alerts/{id}/review").route(web::post().to(compliance::review_alert)))
        .service(web::resource("/compliance/reports").route(web::get().to(compliance::report)))
        .service(web::resource("/compliance/exclusion-register").route(web::post().to(compliance::add_to_register)))
        .service(web::resource("/responsible-gaming/limits").route(web::post().to(rg::set_own_limit)))
        .service(
            web::resource("/responsible-gaming/limits/{player_id}")
                .route(web::post().to(rg::set_limit_for))
                .route(web::get().to(rg::limits)),
        )
        .service(web::resource("/responsible-gaming/exclude/{player_id}").route(web::post().to(rg::exclude)))
        .service(
            web::resource("/responsible-gaming/session-limits/{player_id}").route(web::post().to(rg::session_limits)),
        )
        .service(web::resource("/responsible-gaming/status/{player_id}").route(web::get().to(rg::status)))
        .service(web::resource("/responsible-gaming/alerts").route(web::get().to(rg::alerts)))
        .service(web::resource("/responsible-gaming/measures").route(web::get().to(rg::measures)))
        .service(web::resource("/audit-log").route(web::get().to(compliance::audit_log)))
        .service(web::resource("/health").route(web::get().to(platform::health)))
        .service(web::resource("/health/live").route(web::get().to(platform::live)))
        .service(web::resource("/health/ready").route(web::get().to(platform::ready)))
        .service(web::resource("/stats").route(web::get().to(platform::stats)))
        .service(web::resource("/back-office/overview").route(web::get().to(platform::overview)))
        .service(
            web::resource("/providers")
                .route(web::post().to(providers::register))
                .route(web::get().to(providers::list)),
        )
        .service(web::resource("/providers/{slug}").route(web::put().to(providers::update)))
        .service(web::resource("/providers/{slug}/reconciliation").route(web::get().to(providers::reconciliation)))
        .service(web::resource("/providers/{slug}/rounds").route(web::get().to(providers::rounds)))
        .service(web::resource("/providers/{slug}/user/{call}").route(web::post().to(providers::callback)))
        .service(web::resource("/providers/{slug}/transaction/{call}").route(web::post().to(providers::callback)))
        .service(web::resource("/providers/{slug}/{call}").route(web::post().to(providers::callback)))
        .service(web::resource("/back-office/request-metrics").route(web::get().to(platform::request_metrics)));
}
