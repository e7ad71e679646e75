//! Stripe webhooks, as both ends speak them: the [`signature`] on each
//! delivery and the [`event`] object it carries. The sandbox signs and
//! sends them; the receiver verifies and reads them.

pub mod event;
pub mod signature;

pub use event::{
    EventError, IDEMPOTENCY_KEY_METADATA, IntentChange, SAGA_ID_METADATA, StripeEvent,
};
pub use signature::{
    DEFAULT_TOLERANCE, SignatureError, SignatureHeader, WebhookSecret, parse_header, sign, verify,
};
