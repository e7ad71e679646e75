//! The PostgreSQL provider (the default): the flag tables, a cached reader
//! kept current by LISTEN/NOTIFY with a polling fallback and a staleness
//! bound, and the audited changes the ops tool makes.
//!
//! - [`store`]: reading the tables (snapshot, raw values);
//! - [`changes`]: setting flags, each change audited;
//! - [`erasure`]: forgetting an erased user, in the erasure's transaction;
//! - [`snapshot`]: the reader's copy and the freshness rule (pure);
//! - [`reader`]: [`PgFlagReader`], the [`crate::FlagSource`].

pub mod changes;
pub mod erasure;
pub mod reader;
pub mod snapshot;
pub mod store;

pub use changes::{
    Change, ChangeNote, clear_pipeline_override, history, set_kill_switch, set_pipeline,
};
pub use reader::{PgFlagReader, ReaderConfig};
pub use snapshot::Snapshot;
pub use store::{
    FLAGS_CHANGED_CHANNEL, KILL_SWITCH, PIPELINE, RawValues, StoredValue, UserOverride,
    UserSetting, read_values, user_settings,
};
