//! The storage failure every port reports.

/// A storage failure that is not a business outcome: the caller cannot fix it by
/// changing the request.
#[derive(Debug, thiserror::Error)]
#[error("store failure: {cause}")]
pub struct StoreError {
    /// Whether the store could not be reached at all (no connection, pool exhausted):
    /// a dependency that is down. Otherwise the store failed on a request it received,
    /// which is a bug to fix rather than an outage to wait out.
    pub unreachable: bool,
    /// What went wrong, for the log only: it may hold driver or database text.
    pub cause: String,
}

impl StoreError {
    /// The store could not be reached.
    pub fn unreachable(cause: impl Into<String>) -> Self {
        Self { unreachable: true, cause: cause.into() }
    }

    /// The store was reached and failed.
    pub fn failed(cause: impl Into<String>) -> Self {
        Self { unreachable: false, cause: cause.into() }
    }
}
