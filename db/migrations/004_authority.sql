-- 004_authority.sql - movement authority (docs/lifecycle.md, "Who may send
-- what"): who did each step, and an event chain that covers the message.
--
-- * movement_event.officer: the officer (or post) whose action caused the
--   message, from its signed `Officer` header line; NULL for the node's own
--   messages, timers and messages without one.
-- * movement_event.body_hash / sig_hash: SHA-256 of the body and of the
--   origin node's signature of the message that caused the event (NULL for
--   timers and resynchronised events). From hash_version 2 on, the event
--   hash covers officer, body_hash and sig_hash, so a changed body or
--   signature in `message` is detected by `sigmatctl movement verify`.
--   Events written before this migration keep hash_version 1.
-- * movement_rejection.kind: why the lifecycle refused a message:
--   'authority' (NAK 101), 'sequence' (92) or 'unknown' (90).
ALTER TABLE movement_event ADD COLUMN officer text;
ALTER TABLE movement_event ADD COLUMN body_hash bytea;
ALTER TABLE movement_event ADD COLUMN sig_hash bytea;
ALTER TABLE movement_event ADD COLUMN hash_version smallint NOT NULL DEFAULT 1;
ALTER TABLE movement_event ALTER COLUMN hash_version SET DEFAULT 2;

ALTER TABLE movement_rejection ADD COLUMN kind text;
CREATE INDEX movement_rejection_kind ON movement_rejection (kind, at);
