-- 003_lifecycle.sql - the movement lifecycle (docs/lifecycle.md): one row
-- per movement and office of this node (its view in the role of that
-- office), the append-only hash-chained event history, rejected messages,
-- incidents, and resynchronisation requests.
--
-- Written by broker/lifecycle_db.c in the SAME transaction that stores the
-- messages causing the changes (set-based: one statement for all the rows
-- of a batch). Read by `sigmatctl movement ...`.
--
-- * movement: key (mrn, office). A node may hold several views of one
--   movement (national transit: the departure office and the exit border
--   post; two border posts of one country). `role` says which view.
--   `state_since` is when the current state was entered, on the node's
--   (injectable) clock: the timers compare it with enquiry_after and
--   recovery_after. `events` and `last_hash` are the head of the event
--   chain, so that removing the newest events is detected too.
--
-- * movement_event: append-only. hash = SHA-256(prev_hash || canonical
--   text of the row) (broker/lifecycle.c: lc_event_hash), prev_hash of the
--   first event is 32 zero bytes. A trigger refuses UPDATE and DELETE (and
--   TRUNCATE), so tampering needs a superuser disabling it, and then
--   `sigmatctl movement verify MRN` names the first event that does not
--   match.
--
-- * Timers scan the partial index movement_timer: departure views in a
--   state a timer can leave (RELEASED, EN_ROUTE, OVERDUE, UNDER_ENQUIRY,
--   DISCREPANCY). Finished movements leave the index.

CREATE TABLE movement (
    mrn               text NOT NULL,
    office            text NOT NULL,       -- this node's office in that role
    role              text NOT NULL CHECK (role IN ('DEPARTURE', 'TRANSIT', 'DESTINATION')),
    state             text NOT NULL,
    departure         text NOT NULL,
    destination       text NOT NULL,       -- the actual one after a diversion
    transit           text[] NOT NULL DEFAULT '{}',
    notified          text[] NOT NULL DEFAULT '{}',  -- offices sent AAR/ATR (departure view)
    crossed           text[] NOT NULL DEFAULT '{}',  -- offices that sent NCF (departure view)
    time_limit        date,
    guarantee_ref     text,
    guarantee_amount  text,
    currency          text,
    decl_message_id   uuid,                -- the DEC/REL/AAR/ATR carrying the declaration
    created           timestamptz NOT NULL,
    released          timestamptz,
    arrived           timestamptz,
    finished          timestamptz,         -- discharged, cancelled or recovery
    state_since       timestamptz NOT NULL,
    updated           timestamptz NOT NULL DEFAULT now(),
    events            integer NOT NULL DEFAULT 0,
    last_hash         bytea,
    PRIMARY KEY (mrn, office)
);

CREATE INDEX movement_timer ON movement (state_since)
    WHERE role = 'DEPARTURE'
      AND state IN ('RELEASED', 'EN_ROUTE', 'OVERDUE', 'UNDER_ENQUIRY', 'DISCREPANCY');
CREATE INDEX movement_state ON movement (state, mrn);

CREATE TABLE movement_event (
    mrn          text NOT NULL,
    office       text NOT NULL,            -- the view (movement.office)
    seq          integer NOT NULL,         -- 1, 2, ... per view
    message_id   uuid NOT NULL,            -- the message that caused it (a timer: a new id)
    msg_type     text NOT NULL,            -- DEC ... STR, or TIMER
    from_state   text,                     -- NULL for the first event
    to_state     text NOT NULL,
    at_office    text NOT NULL,            -- office where the transition happened
    at           timestamptz NOT NULL,
    prev_hash    bytea NOT NULL,
    hash         bytea NOT NULL,
    PRIMARY KEY (mrn, office, seq)
);

CREATE FUNCTION movement_event_append_only () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'movement_event is append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER movement_event_no_update BEFORE UPDATE OR DELETE ON movement_event
    FOR EACH ROW EXECUTE FUNCTION movement_event_append_only ();
CREATE TRIGGER movement_event_no_truncate BEFORE TRUNCATE ON movement_event
    FOR EACH STATEMENT EXECUTE FUNCTION movement_event_append_only ();

-- Messages refused by the lifecycle (NAK 90 / 92): stored as received,
-- not forwarded; a NAK message went back to the sender office.
CREATE TABLE movement_rejection (
    message_id      uuid PRIMARY KEY,
    mrn             text NOT NULL,
    msg_type        text NOT NULL,
    sender          text NOT NULL,
    recipient       text NOT NULL,
    code            integer NOT NULL,
    reason          text NOT NULL,
    nak_message_id  uuid,
    at              timestamptz NOT NULL
);
CREATE INDEX movement_rejection_mrn ON movement_rejection (mrn);

-- Incidents en route (INC), shown with the movement.
CREATE TABLE movement_incident (
    message_id     uuid PRIMARY KEY,
    mrn            text NOT NULL,
    office         text NOT NULL,          -- where it happened
    happened       text NOT NULL,          -- IncidentDateTime as sent
    code           text NOT NULL,          -- SB TS AC RD OT
    description    text NOT NULL,
    recorded       timestamptz NOT NULL
);
CREATE INDEX movement_incident_mrn ON movement_incident (mrn);

-- Status requests queued by `sigmatctl movement resync`: sigmatd sends an
-- STQ for each and marks it sent; the STR that comes back is applied.
CREATE TABLE movement_request (
    id            bigserial PRIMARY KEY,
    mrn           text NOT NULL,
    own_office    text NOT NULL,
    peer_office   text NOT NULL,
    created       timestamptz NOT NULL DEFAULT now(),
    sent_message  uuid,
    sent_at       timestamptz
);
CREATE INDEX movement_request_todo ON movement_request (id) WHERE sent_at IS NULL;
