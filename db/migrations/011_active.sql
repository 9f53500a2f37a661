-- 011_active.sql - several active sigmatd processes of one node on one
-- database (issue 18, docs/operations.md "Several active processes").
--
-- * delivery_claim: who may send the messages of one MRN on one next hop.
--   The dispatcher of a process sends a delivery only while it holds the
--   unexpired claim of its (next_hop, mrn) pair (broker/store_claim.c): so
--   the order per MRN and "at most one unacknowledged message per MRN per
--   link" hold across processes, as they hold inside one. A claim is taken
--   when a page of the queue is read (free, expired or already ours),
--   renewed every claim_ttl/3 while the process lives, released when the
--   process holds no undelivered row of that pair any more or its link to
--   the hop goes down, and taken over by another process once it expires
--   (a process killed with -9). holder is host:pid, as in node_status.
--   recheck: another process stored a message of that pair (it could not
--   claim it): the holder reads its queue for that hop from the start at
--   its next renewal, as its cursor may have passed that row.
CREATE TABLE delivery_claim (
    next_hop  text NOT NULL,
    mrn       text NOT NULL,
    holder    text NOT NULL,
    claimed   timestamptz NOT NULL DEFAULT now(),
    expires   timestamptz NOT NULL,
    recheck   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (next_hop, mrn)
);
CREATE INDEX delivery_claim_holder ON delivery_claim (holder);
