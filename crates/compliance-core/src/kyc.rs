//! Know your customer: the submission a player sends, the `none → pending →
//! approved | rejected` state machine, the simulated provider and the pre-KYC deposit
//! allowance.

use crate::RegisterMatch;
use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use kernel::AccountId;
use kernel::Amount;
use kernel::string_enum;
use serde::Serialize;
use uuid::Uuid;

string_enum!(
    /// Where a player stands in KYC. A rejected player may submit again.
    KycState { None = "none", Pending = "pending", Approved = "approved", Rejected = "rejected" }
);

impl KycState {
    /// Withdrawals, game launches and deposits beyond the allowance need this.
    pub const fn is_approved(self) -> bool {
        matches!(self, KycState::Approved)
    }
}

string_enum!(
    /// The kind of document a submission is based on.
    DocumentType {
        Passport = "passport",
        NationalId = "national_id",
        DrivingLicence = "driving_licence",
        ProofOfAddress = "proof_of_address",
    }
);

string_enum!(
    /// A KYC decision, by staff or by the simulated provider.
    Decision { Approve = "approve", Reject = "reject" }
);

/// Cumulative deposits a player may make before KYC: 2,000.00 in the wallet currency.
pub const KYC_DEPOSIT_THRESHOLD: i64 = 200_000;

/// Whether a deposit of `amount` needs an approved KYC: the player is not approved
/// and the deposit would take their cumulative deposits beyond the allowance.
pub fn deposit_requires_kyc(state: KycState, cumulative_deposits_before: i64, amount: Amount) -> bool {
    !state.is_approved()
        && cumulative_deposits_before
            .checked_add(amount.minor_units())
            .is_none_or(|total| total > KYC_DEPOSIT_THRESHOLD)
}

/// Why a KYC transition was refused. Nothing changed in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KycError {
    /// A submission was sent by a player who is already approved.
    #[error("KYC is already approved")]
    AlreadyApproved,
    /// A submission was sent while an earlier one still awaits a decision.
    #[error("a KYC submission is already pending")]
    AlreadyPending,
    /// A decision was made on a player with no pending submission.
    #[error("there is no pending KYC submission to decide")]
    NotPending,
    /// A rejection came without a (non-blank) reason.
    #[error("a rejection needs a reason")]
    ReasonRequired,
}

/// The state after a player submits documents: `none | rejected → pending`.
pub fn submit(state: KycState) -> Result<KycState, KycError> {
    match state {
        KycState::None | KycState::Rejected => Ok(KycState::Pending),
        KycState::Pending => Err(KycError::AlreadyPending),
        KycState::Approved => Err(KycError::AlreadyApproved),
    }
}

/// The state after a decision on a pending submission. A rejection must say why, so
/// the player knows what to fix; an approval's reason is optional.
pub fn decide(state: KycState, decision: Decision, reason: Option<&str>) -> Result<KycState, KycError> {
    if state != KycState::Pending {
        return Err(KycError::NotPending);
    }
    match decision {
        Decision::Approve => Ok(KycState::Approved),
        Decision::Reject if reason.is_some_and(|r| !r.trim().is_empty()) => Ok(KycState::Rejected),
        Decision::Reject => Err(KycError::ReasonRequired),
    }
}

/// One invalid field of a form, with a message for the player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A KYC form as received: raw, unvalidated strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KycForm {
    pub document_type: String,
    pub document_number: String,
    pub issuing_country: String,
    /// `YYYY-MM-DD`.
    pub expires_on: String,
    pub full_name: String,
    pub address: String,
}

/// A well-formed KYC submission. Only [`KycSubmission::parse`] builds one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KycSubmission {
    document_type: DocumentType,
    document_number: String,
    issuing_country: String,
    expires_on: NaiveDate,
    full_name: String,
    address: String,
    expired: bool,
}

const DOCUMENT_NUMBER_LEN: std::ops::RangeInclusive<usize> = 4..=32;
const FULL_NAME_LEN: std::ops::RangeInclusive<usize> = 2..=100;
const ADDRESS_LEN: std::ops::RangeInclusive<usize> = 5..=200;

impl KycSubmission {
    /// Validates every field of `form` and reports all invalid ones at once.
    ///
    /// Text is trimmed; the document number and issuing country are upper-cased. A
    /// document that expired before `today` still parses (it is well-formed) and is
    /// marked [`expired`](Self::expired), so that the decision can say why.
    pub fn parse(form: &KycForm, today: NaiveDate) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let document_type = check(e, "document_type", parse_document_type(&form.document_type));
        let document_number = check(e, "document_number", parse_document_number(&form.document_number));
        let issuing_country = check(e, "issuing_country", parse_country(&form.issuing_country));
        let expires_on = check(e, "expires_on", parse_date(&form.expires_on));
        let full_name =
            check(e, "full_name", parse_text(&form.full_name, FULL_NAME_LEN, "must be between 2 and 100 characters"));
        let address =
            check(e, "address", parse_text(&form.address, ADDRESS_LEN, "must be between 5 and 200 characters"));
        match (document_type, document_number, issuing_country, expires_on, full_name, address) {
            (
                Some(document_type),
                Some(document_number),
                Some(issuing_country),
                Some(expires_on),
                Some(full_name),
                Some(address),
            ) if errors.is_empty() => Ok(Self {
                document_type,
                document_number,
                issuing_country,
                expires_on,
                full_name,
                address,
                expired: expires_on < today,
            }),
            _ => Err(errors),
        }
    }

    pub fn document_type(&self) -> DocumentType {
        self.document_type
    }

    /// Upper-case `[A-Z0-9-]`, 4 to 32 characters.
    pub fn document_number(&self) -> &str {
        &self.document_number
    }

    /// Two upper-case letters.
    pub fn issuing_country(&self) -> &str {
        &self.issuing_country
    }

    pub fn expires_on(&self) -> NaiveDate {
        self.expires_on
    }

    pub fn full_name(&self) -> &str {
        &self.full_name
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    /// Whether the document had expired on the day the submission was parsed. A
    /// document is valid through its expiry date.
    pub fn expired(&self) -> bool {
        self.expired
    }

    /// Whether the document has expired by `today`.
    pub fn is_expired_on(&self, today: NaiveDate) -> bool {
        self.expires_on < today
    }
}

/// The value of a valid field; an invalid one is recorded in `errors`.
fn check<T>(errors: &mut Vec<FieldError>, field: &str, r: Result<T, &str>) -> Option<T> {
    r.map_err(|message| errors.push(FieldError { field: field.to_owned(), message: message.to_owned() })).ok()
}

fn parse_document_type(raw: &str) -> Result<DocumentType, &'static str> {
    DocumentType::parse(&raw.trim().to_ascii_lowercase())
        .ok_or("must be one of passport, national_id, driving_licence, proof_of_address")
}

fn parse_document_number(raw: &str) -> Result<String, &'static str> {
    let s = raw.trim().to_uppercase();
    let well_formed = DOCUMENT_NUMBER_LEN.contains(&s.chars().count())
        && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
    if well_formed { Ok(s) } else { Err("must be 4 to 32 characters of A-Z, 0-9 and -") }
}

fn parse_country(raw: &str) -> Result<String, &'static str> {
    let s = raw.trim().to_ascii_uppercase();
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(s)
    } else {
        Err("must be a two-letter country code")
    }
}

/// Strictly `YYYY-MM-DD`: chrono alone would also take `2030-1-5` or `+2030-01-05`.
fn parse_date(raw: &str) -> Result<NaiveDate, &'static str> {
    const MESSAGE: &str = "must be a valid date in the form YYYY-MM-DD";
    let s = raw.trim();
    let shape = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !shape {
        return Err(MESSAGE);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| MESSAGE)
}

fn parse_text(raw: &str, len: std::ops::RangeInclusive<usize>, message: &'static str) -> Result<String, &'static str> {
    let s = raw.trim();
    if !len.contains(&s.chars().count()) {
        return Err(message);
    }
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters");
    }
    Ok(s.to_owned())
}

/// The built-in stand-in for a KYC vendor, for the embedded demo and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
pub struct SimulatedProvider {
    pub enabled: bool,
}

impl SimulatedProvider {
    pub const REASON_EXPIRED: &'static str = "document expired";
    pub const REASON_VERIFIED: &'static str = "verified by the simulated provider";
    /// Document numbers with this prefix are left to staff, to exercise manual review.
    pub const MANUAL_REVIEW_PREFIX: &'static str = "MANUAL";

    /// The provider's decision on a (pending) submission, or `None` when staff must
    /// decide: the provider is off, the national register lists or may list the person
    /// (`register`, from [`crate::strongest_match`] with the submitted name), or the
    /// document number asks for manual review.
    pub fn auto_decide(
        &self,
        submission: &KycSubmission,
        register: RegisterMatch,
        today: NaiveDate,
    ) -> Option<(Decision, &'static str)> {
        if !self.enabled || register != RegisterMatch::None {
            None
        } else if submission.is_expired_on(today) {
            Some((Decision::Reject, Self::REASON_EXPIRED))
        } else if submission.document_number.starts_with(Self::MANUAL_REVIEW_PREFIX) {
            None
        } else {
            Some((Decision::Approve, Self::REASON_VERIFIED))
        }
    }
}

/// What a submission does to the player's KYC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmissionOutcome {
    /// The state it leaves: pending, or the provider's decision.
    pub state: KycState,
    /// Why the provider decided at once, when it did.
    pub decided_because: Option<&'static str>,
    /// The register lists or may list the submitter: staff must look (and a listing
    /// self-excludes the account).
    pub held_for_register_review: bool,
}

/// A submission by a player in `state`, with what the register says of the person on
/// its documents (`listing`): the whole KYC rule book of a submission.
pub fn on_submission(
    state: KycState,
    submission: &KycSubmission,
    listing: RegisterMatch,
    provider: SimulatedProvider,
    today: NaiveDate,
) -> Result<SubmissionOutcome, KycError> {
    let next = submit(state)?;
    let (state, decided_because) = match provider.auto_decide(submission, listing, today) {
        Some((decision, why)) => (decide(next, decision, Some(why)).unwrap_or(next), Some(why)),
        None => (next, None),
    };
    Ok(SubmissionOutcome { state, decided_because, held_for_register_review: listing != RegisterMatch::None })
}

/// What a staff decision does to the player's KYC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffDecisionOutcome {
    /// The state it leaves.
    pub state: KycState,
    /// The national register lists the player: the account is self-excluded, whatever
    /// staff decided.
    pub exclude_listed: bool,
}

/// A staff decision on a player in `state` (`pending`: whether they have a pending
/// submission), with the register consulted (`listed`): the whole rule book of a staff
/// decision. The decision's own refusal comes before [`KycError::NotPending`].
pub fn on_staff_decision(
    state: KycState,
    pending: bool,
    decision: Decision,
    reason: Option<&str>,
    listed: bool,
) -> Result<StaffDecisionOutcome, KycError> {
    let state = decide(state, decision, reason)?;
    if !pending {
        return Err(KycError::NotPending);
    }
    Ok(StaffDecisionOutcome { state, exclude_listed: listed })
}

/// One KYC submission as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct KycRecord {
    pub id: Uuid,
    pub player_id: AccountId,
    pub document_type: String,
    pub document_number: String,
    pub issuing_country: String,
    pub expires_on: NaiveDate,
    pub full_name: String,
    pub address: String,
    pub status: String,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<AccountId>,
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 15).unwrap()
    }

    fn form() -> KycForm {
        KycForm {
            document_type: "passport".into(),
            document_number: "ab-1234567".into(),
            issuing_country: "GB".into(),
            expires_on: "2030-01-31".into(),
            full_name: "Ada Lovelace".into(),
            address: "12 St James's Square, London".into(),
        }
    }

    fn field_errors(f: KycForm) -> Vec<String> {
        KycSubmission::parse(&f, today()).unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_submission_is_pending_decided_at_once_or_held_for_the_register() {
        let sub = KycSubmission::parse(&form(), today()).unwrap();
        let on = SimulatedProvider { enabled: true };
        let off = SimulatedProvider { enabled: false };
        let pending = on_submission(KycState::None, &sub, RegisterMatch::None, off, today()).unwrap();
        assert_eq!(
            (pending.state, pending.decided_because, pending.held_for_register_review),
            (KycState::Pending, None, false)
        );
        let approved = on_submission(KycState::Rejected, &sub, RegisterMatch::None, on, today()).unwrap();
        assert_eq!(approved.state, KycState::Approved);
        assert_eq!(approved.decided_because, Some(SimulatedProvider::REASON_VERIFIED));
        let held = on_submission(KycState::None, &sub, RegisterMatch::Possible, on, today()).unwrap();
        assert_eq!((held.state, held.held_for_register_review), (KycState::Pending, true), "left to staff");
        assert_eq!(
            on_submission(KycState::Pending, &sub, RegisterMatch::None, on, today()),
            Err(KycError::AlreadyPending)
        );
    }
    #[test]
    fn a_well_formed_submission_parses_normalised() {
        let s = KycSubmission::parse(&form(), today()).unwrap();
        assert_eq!(s.document_type(), DocumentType::Passport);
        assert_eq!(s.document_number(), "AB-1234567");
        assert_eq!(s.issuing_country(), "GB");
        assert_eq!(s.expires_on(), NaiveDate::from_ymd_opt(2030, 1, 31).unwrap());
        assert_eq!(s.full_name(), "Ada Lovelace");
        assert_eq!(s.address(), "12 St James's Square, London");
        assert!(!s.expired());
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["document_type"], "passport");
        assert_eq!(json["expires_on"], "2030-01-31");
    }

    #[test]
    fn every_document_type_parses() {
        for t in DocumentType::ALL {
            let s = KycSubmission::parse(&KycForm { document_type: t.as_str().into(), ..form() }, today()).unwrap();
            assert_eq!(s.document_type(), *t);
        }
        assert_eq!(field_errors(KycForm { document_type: "visa".into(), ..form() }), ["document_type"]);
        assert_eq!(field_errors(KycForm { document_type: "driving_license".into(), ..form() }), ["document_type"]);
    }

    #[test]
    fn document_number_bounds_and_alphabet() {
        for (raw, ok) in [
            ("ABC", false),
            ("ABCD", true),
            ("a1-b", true),
            ("A".repeat(32).as_str(), true),
            ("A".repeat(33).as_str(), false),
            ("AB 1234", false),
            ("AB_1234", false),
            ("ÄBCD", false),
            ("", false),
        ] {
            let r = KycSubmission::parse(&KycForm { document_number: raw.into(), ..form() }, today());
            assert_eq!(r.is_ok(), ok, "{raw}");
        }
    }

    #[test]
    fn issuing_country_is_two_letters() {
        for (raw, ok) in [("GB", true), ("gb", true), ("G", false), ("GBR", false), ("G1", false), ("", false)] {
            let r = KycSubmission::parse(&KycForm { issuing_country: raw.into(), ..form() }, today());
            assert_eq!(r.is_ok(), ok, "{raw}");
        }
    }

    #[test]
    fn name_and_address_lengths() {
        for (len, ok) in [(1, false), (2, true), (100, true), (101, false)] {
            let r = KycSubmission::parse(&KycForm { full_name: "é".repeat(len), ..form() }, today());
            assert_eq!(r.is_ok(), ok, "full_name of {len}");
        }
        for (len, ok) in [(4, false), (5, true), (200, true), (201, false)] {
            let r = KycSubmission::parse(&KycForm { address: "a".repeat(len), ..form() }, today());
            assert_eq!(r.is_ok(), ok, "address of {len}");
        }
        assert_eq!(field_errors(KycForm { full_name: "  A  ".into(), ..form() }), ["full_name"]);
        assert_eq!(field_errors(KycForm { address: "Line 1\nLine 2".into(), ..form() }), ["address"]);
    }

    #[test]
    fn expiry_must_be_a_strict_valid_date() {
        for raw in ["2030-02-30", "2030-13-01", "2030-1-05", "+2030-01-05", "30-01-2030", "tomorrow", ""] {
            assert_eq!(field_errors(KycForm { expires_on: raw.into(), ..form() }), ["expires_on"], "{raw}");
        }
        assert!(KycSubmission::parse(&KycForm { expires_on: "2028-02-29".into(), ..form() }, today()).is_ok());
    }

    #[test]
    fn an_expired_document_parses_but_is_noted() {
        let on_the_day = KycSubmission::parse(&KycForm { expires_on: "2025-06-15".into(), ..form() }, today()).unwrap();
        assert!(!on_the_day.expired());
        let day_after = KycSubmission::parse(&KycForm { expires_on: "2025-06-14".into(), ..form() }, today()).unwrap();
        assert!(day_after.expired());
        assert!(on_the_day.is_expired_on(today().succ_opt().unwrap()));
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let all_bad = KycForm {
            document_type: "x".into(),
            document_number: "x".into(),
            issuing_country: "x".into(),
            expires_on: "x".into(),
            full_name: "x".into(),
            address: "x".into(),
        };
        assert_eq!(
            field_errors(all_bad),
            ["document_type", "document_number", "issuing_country", "expires_on", "full_name", "address"]
        );
    }

    #[test]
    fn submissions() {
        assert_eq!(submit(KycState::None), Ok(KycState::Pending));
        assert_eq!(submit(KycState::Rejected), Ok(KycState::Pending));
        assert_eq!(submit(KycState::Pending), Err(KycError::AlreadyPending));
        assert_eq!(submit(KycState::Approved), Err(KycError::AlreadyApproved));
    }

    #[test]
    fn decisions_only_on_pending() {
        assert_eq!(decide(KycState::Pending, Decision::Approve, None), Ok(KycState::Approved));
        assert_eq!(decide(KycState::Pending, Decision::Reject, Some("blurry scan")), Ok(KycState::Rejected));
        for state in [KycState::None, KycState::Approved, KycState::Rejected] {
            for d in Decision::ALL {
                assert_eq!(decide(state, *d, Some("r")), Err(KycError::NotPending), "{state} {d}");
            }
        }
    }

    #[test]
    fn a_rejection_needs_a_reason() {
        for reason in [None, Some(""), Some("   ")] {
            assert_eq!(decide(KycState::Pending, Decision::Reject, reason), Err(KycError::ReasonRequired));
        }
    }

    #[test]
    fn a_rejected_player_may_submit_again_and_be_approved() {
        let mut state = KycState::None;
        state = submit(state).unwrap();
        state = decide(state, Decision::Reject, Some("document expired")).unwrap();
        assert_eq!(state, KycState::Rejected);
        state = submit(state).unwrap();
        assert_eq!(state, KycState::Pending);
        state = decide(state, Decision::Approve, None).unwrap();
        assert_eq!(state, KycState::Approved);
        assert_eq!(submit(state), Err(KycError::AlreadyApproved));
    }

    #[test]
    fn simulated_provider() {
        let on = SimulatedProvider { enabled: true };
        let parse = |f: KycForm| KycSubmission::parse(&f, today()).unwrap();

        assert_eq!(
            on.auto_decide(&parse(form()), RegisterMatch::None, today()),
            Some((Decision::Approve, "verified by the simulated provider"))
        );
        let expired = parse(KycForm { expires_on: "2025-06-14".into(), ..form() });
        assert_eq!(
            on.auto_decide(&expired, RegisterMatch::None, today()),
            Some((Decision::Reject, "document expired"))
        );
        let expires_today = parse(KycForm { expires_on: "2025-06-15".into(), ..form() });
        assert_eq!(on.auto_decide(&expires_today, RegisterMatch::None, today()).map(|d| d.0), Some(Decision::Approve));
        // Upper-cased before the prefix check.
        let manual = parse(KycForm { document_number: "manual-001".into(), ..form() });
        assert_eq!(on.auto_decide(&manual, RegisterMatch::None, today()), None);
        let manual_in_middle = parse(KycForm { document_number: "X-MANUAL".into(), ..form() });
        assert_eq!(
            on.auto_decide(&manual_in_middle, RegisterMatch::None, today()).map(|d| d.0),
            Some(Decision::Approve)
        );

        let off = SimulatedProvider { enabled: false };
        assert_eq!(off.auto_decide(&parse(form()), RegisterMatch::None, today()), None);
        assert_eq!(off.auto_decide(&expired, RegisterMatch::None, today()), None);
        for held in [RegisterMatch::Possible, RegisterMatch::Listed] {
            assert_eq!(on.auto_decide(&parse(form()), held, today()), None, "{held:?}: for staff");
        }
    }

    #[test]
    fn deposits_beyond_the_allowance_need_kyc() {
        let a = |n| Amount::new(n).unwrap();
        assert_eq!(KYC_DEPOSIT_THRESHOLD, 200_000);
        for state in [KycState::None, KycState::Pending, KycState::Rejected] {
            assert!(!deposit_requires_kyc(state, 0, a(199_999)));
            assert!(!deposit_requires_kyc(state, 0, a(200_000)), "exactly the allowance is allowed");
            assert!(deposit_requires_kyc(state, 0, a(200_001)));
            assert!(!deposit_requires_kyc(state, 150_000, a(50_000)));
            assert!(deposit_requires_kyc(state, 150_000, a(50_001)));
            assert!(deposit_requires_kyc(state, i64::MAX, a(1)), "no overflow");
        }
        assert!(!deposit_requires_kyc(KycState::Approved, 10_000_000, a(1_000_000)));
    }

    #[test]
    fn a_staff_decision_needs_a_pending_submission_and_a_listing_excludes_whatever_it_says() {
        let approve = on_staff_decision(KycState::Pending, true, Decision::Approve, None, false);
        assert_eq!(approve, Ok(StaffDecisionOutcome { state: KycState::Approved, exclude_listed: false }));
        let listed = on_staff_decision(KycState::Pending, true, Decision::Reject, Some("blurred"), true);
        assert_eq!(listed, Ok(StaffDecisionOutcome { state: KycState::Rejected, exclude_listed: true }));
        let no_reason = on_staff_decision(KycState::Pending, false, Decision::Reject, Some(" "), false);
        assert_eq!(no_reason, Err(KycError::ReasonRequired), "the decision's refusal first");
        assert_eq!(
            on_staff_decision(KycState::Approved, true, Decision::Approve, None, false),
            Err(KycError::NotPending)
        );
        assert_eq!(
            on_staff_decision(KycState::Pending, false, Decision::Approve, None, true),
            Err(KycError::NotPending)
        );
    }
}
