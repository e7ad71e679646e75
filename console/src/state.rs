//! What every request handler shares: the database, the keys personal
//! data is sealed under, the broker publisher replays go out on, and how
//! people are recognised.

use std::sync::Arc;

use sqlx::PgPool;

use autobook_broker::Publisher;
use autobook_vault::Keyring;

use crate::settings::Access;

/// The console's shared state.
pub struct Console {
    pub pool: PgPool,
    pub vault: Keyring,
    /// Where replayed dead letters are published (as the ops identity);
    /// None: replays are refused, dry runs still work.
    pub publisher: Option<Publisher>,
    /// The flags live in PostgreSQL (false: LaunchDarkly, changed there).
    pub flags_in_postgres: bool,
    pub access: Access,
}

pub type Shared = Arc<Console>;
