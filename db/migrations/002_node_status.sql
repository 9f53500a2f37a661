-- 002_node_status.sql - what each running sigmatd process reports about
-- itself, for `sigmatctl status`: one row per process (instance =
-- host:pid), upserted every status_interval by broker/nodestat.c. Several
-- processes may serve one node (HA on one database), hence the key.
--
-- `updated` tells a live process from a dead one: a row not updated for
-- a few status intervals belongs to a process that is gone (kill -9); a
-- clean stop writes state 'stopped'.

CREATE TABLE node_status (
    instance     text PRIMARY KEY,             -- host:pid
    name         text NOT NULL,                -- node name
    host         text NOT NULL,
    pid          integer NOT NULL,
    started      timestamptz NOT NULL,
    updated      timestamptz NOT NULL DEFAULT now(),
    state        text NOT NULL CHECK (state IN ('running', 'stopping', 'stopped')),
    bind         text NOT NULL DEFAULT '',
    connections  integer NOT NULL DEFAULT 0,   -- inbound sessions (adapters and nodes)
    links_up     integer NOT NULL DEFAULT 0,   -- outgoing links to peer nodes that are up
    connected    text[] NOT NULL DEFAULT '{}', -- names of the peers connected either way
    accepted     bigint NOT NULL DEFAULT 0,    -- messages stored since start
    duplicates   bigint NOT NULL DEFAULT 0,
    refused      bigint NOT NULL DEFAULT 0,
    queued       bigint NOT NULL DEFAULT 0,    -- held in memory, not yet sent
    inflight     bigint NOT NULL DEFAULT 0     -- sent, waiting for ACK
);
