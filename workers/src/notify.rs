//! The notification worker: renders the notice and sends it through the
//! email API. A failed email is reported, never retried forever: it must
//! not hold up, let alone undo, a booking.

use autobook_contracts::events::{NotificationFailed, NotificationSent};
use autobook_contracts::{Envelope, Message, QueueRole};

use crate::providers::{EmailClient, OutgoingEmail};
use crate::render::render;
use crate::worker::retry::{Caller, Repeatable};
use crate::worker::{Attempt, Failure, Reply, Service};

pub struct NotifyService {
    pub email: EmailClient,
    pub caller: Caller,
    /// The sender, e.g. "autobook <bookings@autobook.example>".
    pub from: String,
}

impl Service for NotifyService {
    const QUEUE: QueueRole = QueueRole::Notify;

    async fn perform(&self, command: &Envelope, _attempt: Attempt) -> Result<Reply, Failure> {
        let Message::SendNotification(notice) = &command.message else {
            return Err(Failure::Unsupported(command.message_type()));
        };
        let rendered = render(&notice.content);
        let email = OutgoingEmail {
            from: self.from.clone(),
            to: vec![notice.to.expose().to_owned()],
            subject: rendered.subject,
            html: rendered.html,
            text: rendered.text,
            tags: vec![
                ("saga_id".to_owned(), command.saga_id.to_string()),
                ("kind".to_owned(), notice.content.kind().to_owned()),
            ],
        };
        let key = notice.idempotency_key.clone();
        match self
            .caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.email.send(&email, key.as_str())
            })
            .await
        {
            Ok(email_id) => Ok(Reply::settled(NotificationSent {
                idempotency_key: key,
                email_id,
            })),
            Err(error) => {
                tracing::warn!(%error, "email not sent");
                Ok(Reply::settled(NotificationFailed {
                    idempotency_key: key,
                    detail: error.to_string(),
                }))
            }
        }
    }
}
