-- 010_availability.sql - availability (issue 18, docs/operations.md).
--
-- * node_identity.country: the database records the whole identity of the
--   node it belongs to (name and country), set by the first sigmatd that
--   starts on it; a sigmatd configured as another node refuses to start
--   (store_identity). Databases from before this migration get their
--   country filled in by the next start of their own node.
ALTER TABLE node_identity ADD COLUMN country text
    CHECK (country IS NULL OR country ~ '^[A-Z]{2}$');

-- * peer_sign_key: the Ed25519 keys a peer node signs with, several at once,
--   each valid from valid_from until valid_until (NULL: no bound), named by
--   key_id (sign_key_id: 16 hex of the SHA-256 of the raw public key, the
--   SGTP `Key-Id` header). A message is verified against the key that was
--   valid at its `Created` time, so keys can be rotated without a regional
--   cut-over and stored messages stay verifiable after a rotation. The
--   single peer.sign_public_pem of before stays valid as the peer's key of
--   no period until a row with its key_id bounds it (`peer key retire`).
CREATE TABLE peer_sign_key (
    peer             text NOT NULL REFERENCES peer (name) ON DELETE CASCADE ON UPDATE CASCADE,
    key_id           text NOT NULL CHECK (key_id ~ '^[0-9a-f]{16}$'),
    sign_public_pem  text NOT NULL,
    valid_from       timestamptz,
    valid_until      timestamptz,
    added            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (peer, key_id),
    CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_until > valid_from)
);

-- * node_lease: which sigmatd process is the node's active one. Several
--   processes may run for one node on one database (a second machine
--   ready to take over); only the holder of an unexpired lease accepts
--   messages, sends and runs the lifecycle timers. The holder renews it
--   every lease_ttl/3 and stops serving by itself once its lease is past
--   (broker/lease.c); the others wait and take it over when it expires,
--   so a process killed with -9 is replaced within lease_ttl.
CREATE TABLE node_lease (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    holder    text NOT NULL,                 -- host:pid, as in node_status
    acquired  timestamptz NOT NULL DEFAULT now(),
    expires   timestamptz NOT NULL
);

-- * node_status.state 'standby': a process waiting for the lease reports
--   itself, so `sigmatctl status` shows every process of the node.
ALTER TABLE node_status DROP CONSTRAINT node_status_state_check;
ALTER TABLE node_status ADD CONSTRAINT node_status_state_check
    CHECK (state IN ('running', 'standby', 'stopping', 'stopped'));
