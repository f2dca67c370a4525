//! Read-only links to one dashboard, for a wall screen or a customer: whoever has the link
//! sees that dashboard, live, and nothing else, until it expires or is revoked.

use serde::{Deserialize, Serialize};

/// The lifetimes the page offers a new link, in hours.
pub const SHARE_HOURS: [(u32, &str); 5] = [
    (1, "1 hour"),
    (24, "1 day"),
    (24 * 7, "7 days"),
    (24 * 30, "30 days"),
    (24 * 365, "1 year"),
];
/// The longest a link works: a year.
pub const MAX_SHARE_SECONDS: u64 = 365 * 86_400;
/// Links kept at most (expired ones count until they are removed).
pub const MAX_SHARE_LINKS: usize = 200;

/// A link as it is listed: never its token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShareLink {
    pub id: String,
    pub dashboard: String,
    pub title: String,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub expired: bool,
}

/// A link just made: its path, with the token, is shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewShareLink {
    pub link: ShareLink,
    /// `/share/<token>`.
    pub path: String,
}
