-- The commands each saga sent to a worker, with the idempotency key of the
-- step each was sent for. A worker's reply is accepted only if the message
-- it names as its cause (`causation_id`) is one of its saga's commands,
-- sent for the step the reply answers. Kept as long as the saga: outbox
-- rows are pruned once published.
CREATE TABLE saga_commands (
    message_id      uuid PRIMARY KEY,
    saga_id         uuid        NOT NULL REFERENCES sagas (id) ON DELETE CASCADE,
    -- NULL only for the commands recorded below from the outbox, sent
    -- before the keys were recorded: valid causes for any step of their saga.
    idempotency_key text,
    message_type    text        NOT NULL,
    sent_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX saga_commands_saga_idx ON saga_commands (saga_id);

-- Sagas still running when this table appeared keep accepting the replies
-- to the commands they had sent (their keys are sealed in the outbox body,
-- out of reach here).
INSERT INTO saga_commands (message_id, saga_id, idempotency_key, message_type, sent_at)
SELECT o.message_id, o.saga_id, NULL, o.message_type, o.created_at
FROM outbox o JOIN sagas s ON s.id = o.saga_id
WHERE NOT s.terminal
  AND o.message_type IN ('search.offers', 'payment.authorize', 'order.create', 'payment.capture',
                         'payment.void', 'order.cancel', 'notification.send', 'payment.refund')
ON CONFLICT (message_id) DO NOTHING;
