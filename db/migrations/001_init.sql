-- 001_init.sql - the node's core tables: messages, the per-hop delivery
-- queue, peers, routes, office reference data, and the migration ledger.
--
-- Applied by `sigmatctl db migrate` (broker/store.c: store_migrate), which
-- runs each file in its own transaction together with its schema_migrations
-- row. Files hold plain SQL and no BEGIN/COMMIT of their own.
--
-- Why the tables look like this (the hot paths decide):
--
-- * Intake is one statement per batch: INSERT INTO message ... ON CONFLICT
--   (id) DO NOTHING RETURNING id, and in the same statement an INSERT INTO
--   delivery for the rows that were new. Dedup is the message primary key,
--   nothing else. Every index costs every intake, so `message` has only
--   its primary key: no index on mrn, sender or received. Movement history
--   per MRN lives in the lifecycle tables, not here.
--
-- * `delivery` is the outgoing queue, one row per (message, next hop), with
--   `seq` from a sequence giving the per-hop acceptance order. The queue is
--   read through the PARTIAL index delivery_pending (next_hop, seq) WHERE
--   state is pending/inflight: it holds only the undelivered rows, new rows
--   land at its right-hand end, and a dispatcher pages it by `seq > cursor`.
--   A 1,000,000-message backlog for an offline hop therefore costs intake one
--   more B-tree append per message, never a scan; finished rows (done) leave
--   the partial index and are reached only by primary key. Dead letters have
--   their own small partial index for `sigmatctl dead` and replay.
--
-- * No foreign key from delivery to message: both rows are written by the
--   same statement, and a per-row FK check would cost an index probe and a
--   row lock on the message on every intake for no extra safety. Likewise
--   route.next_hop is not a foreign key to peer, so routes and peers can be
--   loaded in any order (the router reports a route to an unknown peer).
--
-- * Retry timing lives in the dispatcher's memory (after a restart every
--   pending message is due at once). The store keeps `attempts`,
--   `last_attempt` and `last_error` for operators and for backoff after a
--   restart, and they are written only on a retry, not on the first send:
--   the normal path is exactly one INSERT at intake and one UPDATE at ACK.
--
-- * seq values come from a sequence, so with several sigmatd processes on
--   one database a smaller seq can commit after a larger one. A dispatcher
--   that pages by `seq > cursor` must therefore restart from 0 now and then
--   (cheap: the partial index holds only pending rows).
--
-- * The node's identity (name, keys) is configuration: key files on disk,
--   the name in sigmatd.conf. The one-row node_identity table only binds a
--   database to the node name that first used it, so pointing node BF at
--   node CI's database is refused instead of silently mixing queues.
--
-- * Peers cover both other nodes and the national adapters (the `client`
--   of the design outline): a peer is a CurveZMQ public key bound to a role,
--   a name and the offices (or 2-letter countries) it may speak for.

CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE node_identity (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    name        text NOT NULL,
    created     timestamptz NOT NULL DEFAULT now()
);

-- Every message this node stored, once per id, bytes as received.
CREATE TABLE message (
    id              uuid PRIMARY KEY,
    type            text NOT NULL,
    mrn             text NOT NULL,
    sender          text NOT NULL,
    recipient       text NOT NULL,
    origin_node     text NOT NULL,
    correlation_id  uuid,
    header          bytea NOT NULL,
    body            bytea NOT NULL,
    signature       bytea,
    from_peer       text,              -- NULL: made by this node
    received        timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE delivery_seq AS bigint;

-- The outgoing queue: one row per message and next hop.
CREATE TABLE delivery (
    message_id    uuid NOT NULL,
    next_hop      text NOT NULL,
    seq           bigint NOT NULL DEFAULT nextval('delivery_seq'),
    state         text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'inflight', 'done', 'dead')),
    attempts      integer NOT NULL DEFAULT 0,
    last_attempt  timestamptz,
    last_error    text,
    nak_code      integer,
    acked_at      timestamptz,
    PRIMARY KEY (message_id, next_hop)
);
ALTER SEQUENCE delivery_seq OWNED BY delivery.seq;

CREATE INDEX delivery_pending ON delivery (next_hop, seq)
    WHERE state IN ('pending', 'inflight');
CREATE INDEX delivery_dead ON delivery (next_hop, seq)
    WHERE state = 'dead';

-- Other nodes and national adapters allowed to connect.
CREATE TABLE peer (
    name             text PRIMARY KEY,
    role             text NOT NULL CHECK (role IN ('node', 'adapter')),
    curve_public     text UNIQUE,
    sign_public_pem  text,
    offices          text[] NOT NULL DEFAULT '{}',
    endpoint         text,
    last_seen        timestamptz
);

-- Where to send a message for an office: exact office ref first, then its country.
CREATE TABLE route (
    prefix    text PRIMARY KEY CHECK (prefix ~ '^[A-Z]{2}([A-Z0-9]{6})?$'),
    next_hop  text NOT NULL
);

-- Customs offices (reference data).
CREATE TABLE office (
    ref      text PRIMARY KEY CHECK (ref ~ '^[A-Z]{2}[A-Z0-9]{6}$'),
    name     text NOT NULL,
    country  text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    roles    text[] NOT NULL DEFAULT '{}'
);
