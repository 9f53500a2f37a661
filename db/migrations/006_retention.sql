-- 006_retention.sql - retention (docs/operations.md, "Retention and
-- archives"): what lets the node archive and remove old rows in small
-- batches (broker/retention.c) without ever losing a duplicate check.
--
-- * message_seen: the ids of messages that were archived and removed, so
--   that a late copy of one is still recognised as a duplicate (the intake
--   statement, broker/store_intake.c, skips ids found here exactly as it
--   skips ids still in `message`). A row is 16 bytes of id and a time:
--   about 60 bytes with its index, against kilobytes for the message. It
--   is kept `dedup_window` after the message left (sigmatd.conf), then
--   pruned: the dedup horizon is retention + dedup_window.
--
-- * BRIN indexes on message.received and message_seen.gone: retention
--   finds old rows by time, and both tables are written in time order, so
--   a block-range index is a few pages and costs intake nothing measurable
--   (a B-tree on received would add one more insert per message: see
--   001_init.sql on why `message` has only its primary key).
--
-- * movement_finished: closed views by the time they closed, so finding
--   the movements to archive reads only those.
--
-- * movement_event stays append-only for everyone else. The trigger now
--   lets a DELETE through in one case: the transaction said
--   `SET LOCAL sigmat.retention = 'on'` (only broker/retention.c does, after
--   writing and fsyncing the archive that holds the rows) and the event's
--   view is closed (finished is set). UPDATE and TRUNCATE stay refused.

CREATE TABLE message_seen (
    id    uuid PRIMARY KEY,
    gone  timestamptz NOT NULL DEFAULT now()    -- when the message was archived and removed
);
CREATE INDEX message_seen_gone ON message_seen USING brin (gone);

CREATE INDEX message_received ON message USING brin (received);

CREATE INDEX movement_finished ON movement (finished) WHERE finished IS NOT NULL;

CREATE OR REPLACE FUNCTION movement_event_append_only () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting ('sigmat.retention', true) = 'on'
       AND EXISTS (SELECT 1 FROM movement v
                    WHERE v.mrn = OLD.mrn AND v.office = OLD.office
                      AND v.finished IS NOT NULL) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'movement_event is append-only (% refused)', TG_OP;
END;
$$;
