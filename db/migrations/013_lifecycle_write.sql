-- 013_lifecycle_write.sql - the lifecycle's batch read and write as
-- functions (issue 17, docs/lifecycle.md "The transaction").
--
-- broker/lifecycle/write.c used to send one statement of four
-- data-modifying CTEs per batch: PostgreSQL parsed and planned it again
-- for every batch, and ran all four INSERTs even when the batch had no
-- rejection or incident. The same writes now live in lifecycle_write():
-- PL/pgSQL keeps each INSERT's plan for the life of the connection (one
-- generic plan: the statements are the same whatever the arrays hold),
-- and an INSERT whose arrays are empty is not run at all.
--
-- Arguments, one array element per row (text-format arrays from C):
-- the views to write (v_*; v_stored: read from the table, else new), the events to append (e_*), the refused
-- messages (r_*) and the incidents (i_*), and now_ms, the batch's time on
-- the node's lifecycle clock (ms since 1970) for rejections and incidents.
-- Times are ms since 1970, hashes hex text; movement.updated is now().
-- It runs in the caller's transaction (the one that stores the batch).

CREATE FUNCTION lifecycle_write (
    v_mrn text[], v_office text[], v_role text[], v_state text[], v_dep text[],
    v_dest text[], v_tr text[], v_nt text[], v_cr text[], v_tl text[], v_gr text[],
    v_ga text[], v_cu text[], v_di text[], v_cre int8[], v_rel int8[], v_arr int8[],
    v_fin int8[], v_ss int8[], v_evn int4[], v_lh text[],
    e_mrn text[], e_office text[], e_seq int4[], e_mid text[], e_typ text[], e_fr text[],
    e_tos text[], e_ato text[], e_at int8[], e_ph text[], e_h text[], e_off text[],
    e_bh text[], e_sh text[],
    r_id text[], r_mrn text[], r_typ text[], r_snd text[], r_rcp text[], r_code int4[],
    r_reason text[], r_nak text[],
    i_id text[], i_mrn text[], i_office text[], i_hap text[], i_code text[], i_txt text[],
    now_ms int8, v_stored bool[])
RETURNS void
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    IF cardinality(v_mrn) > 0 THEN
        -- a view read from the table is updated (its row is locked since
        -- the batch began); a new view is a plain INSERT: no conflict
        -- check first (a view another process added meanwhile fails the
        -- primary key, as its first event would).
        WITH u AS MATERIALIZED (
            SELECT u.stored, u.mrn, u.office, u.role, u.state, u.dep, u.dest,
                string_to_array(u.tr, ',') AS tr, string_to_array(u.nt, ',') AS nt,
                string_to_array(u.cr, ',') AS cr, u.tl::date AS tl, u.gr, u.ga, u.cu,
                u.di::uuid AS di, timestamptz 'epoch' + u.cre * interval '1 ms' AS cre,
                timestamptz 'epoch' + u.rel * interval '1 ms' AS rel,
                timestamptz 'epoch' + u.arr * interval '1 ms' AS arr,
                timestamptz 'epoch' + u.fin * interval '1 ms' AS fin,
                timestamptz 'epoch' + u.ss * interval '1 ms' AS ss, u.evn,
                decode(u.lh, 'hex') AS lh
            FROM unnest(v_mrn, v_office, v_role, v_state, v_dep, v_dest, v_tr, v_nt, v_cr,
                        v_tl, v_gr, v_ga, v_cu, v_di, v_cre, v_rel, v_arr, v_fin, v_ss, v_evn,
                        v_lh, v_stored)
                AS u(mrn, office, role, state, dep, dest, tr, nt, cr, tl, gr, ga, cu, di,
                     cre, rel, arr, fin, ss, evn, lh, stored)),
        fresh AS (
            INSERT INTO movement (mrn, office, role, state, departure, destination, transit,
                notified, crossed, time_limit, guarantee_ref, guarantee_amount, currency,
                decl_message_id, created, released, arrived, finished, state_since, updated,
                events, last_hash)
            SELECT mrn, office, role, state, dep, dest, tr, nt, cr, tl, gr, ga, cu, di, cre,
                rel, arr, fin, ss, now(), evn, lh
            FROM u WHERE NOT stored)
        INSERT INTO movement (mrn, office, role, state, departure, destination, transit,
            notified, crossed, time_limit, guarantee_ref, guarantee_amount, currency,
            decl_message_id, created, released, arrived, finished, state_since, updated,
            events, last_hash)
        SELECT mrn, office, role, state, dep, dest, tr, nt, cr, tl, gr, ga, cu, di, cre, rel,
            arr, fin, ss, now(), evn, lh
        FROM u WHERE stored
        ON CONFLICT (mrn, office) DO UPDATE SET role = EXCLUDED.role, state = EXCLUDED.state,
            departure = EXCLUDED.departure, destination = EXCLUDED.destination,
            transit = EXCLUDED.transit, notified = EXCLUDED.notified,
            crossed = EXCLUDED.crossed, time_limit = EXCLUDED.time_limit,
            guarantee_ref = EXCLUDED.guarantee_ref,
            guarantee_amount = EXCLUDED.guarantee_amount, currency = EXCLUDED.currency,
            decl_message_id = EXCLUDED.decl_message_id, released = EXCLUDED.released,
            arrived = EXCLUDED.arrived, finished = EXCLUDED.finished,
            state_since = EXCLUDED.state_since, updated = now(), events = EXCLUDED.events,
            last_hash = EXCLUDED.last_hash;
    END IF;
    IF cardinality(e_mrn) > 0 THEN
        INSERT INTO movement_event (mrn, office, seq, message_id, msg_type, from_state,
            to_state, at_office, at, prev_hash, hash, officer, body_hash, sig_hash,
            hash_version)
        SELECT e.mrn, e.office, e.seq, e.mid::uuid, e.typ, e.fr, e.tos, e.ato,
            timestamptz 'epoch' + e.at * interval '1 ms', decode(e.ph, 'hex'),
            decode(e.h, 'hex'), nullif(e.off, ''), decode(e.bh, 'hex'), decode(e.sh, 'hex'), 2
        FROM unnest(e_mrn, e_office, e_seq, e_mid, e_typ, e_fr, e_tos, e_ato, e_at, e_ph, e_h,
                    e_off, e_bh, e_sh)
            AS e(mrn, office, seq, mid, typ, fr, tos, ato, at, ph, h, off, bh, sh);
    END IF;
    IF cardinality(r_id) > 0 THEN
        INSERT INTO movement_rejection (message_id, mrn, msg_type, sender, recipient, code,
            reason, nak_message_id, at, kind)
        SELECT r.id::uuid, r.mrn, r.typ, r.snd, r.rcp, r.code, r.reason, r.nak::uuid,
            timestamptz 'epoch' + now_ms * interval '1 ms',
            CASE r.code WHEN 101 THEN 'authority' WHEN 92 THEN 'sequence'
                        WHEN 90 THEN 'unknown' END
        FROM unnest(r_id, r_mrn, r_typ, r_snd, r_rcp, r_code, r_reason, r_nak)
            AS r(id, mrn, typ, snd, rcp, code, reason, nak)
        ON CONFLICT DO NOTHING;
    END IF;
    IF cardinality(i_id) > 0 THEN
        INSERT INTO movement_incident (message_id, mrn, office, happened, code, description,
            recorded)
        SELECT i.id::uuid, i.mrn, i.office, i.hap, i.code, i.txt,
            timestamptz 'epoch' + now_ms * interval '1 ms'
        FROM unnest(i_id, i_mrn, i_office, i_hap, i_code, i_txt)
            AS i(id, mrn, office, hap, code, txt)
        ON CONFLICT DO NOTHING;
    END IF;
END
$$;

-- lifecycle_load(): the first statement of a batch, in one round trip and
-- with plans kept for the connection's life like lifecycle_write(). Its
-- first row holds no view (v_row NULL) and, in `known`, the ids of
-- `ids` already stored (comma-separated); then one row per view of the
-- MRNs in `mrns`, each locked FOR UPDATE in (mrn, office) order so that
-- two processes cannot deadlock. The views (and the ids) are looked up
-- one by one with the primary key: `mrn = ANY(mrns)` would be estimated,
-- while the table has no statistics yet or in a plan made for any array,
-- as most of the table and scanned in full.
CREATE FUNCTION lifecycle_load (mrns text[], ids uuid[], OUT v_row movement, OUT known text)
RETURNS SETOF record
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    -- id by id too (OFFSET 0 keeps the lookup inside the loop: a plan
    -- kept from a young database could otherwise hash the whole table)
    known := (SELECT string_agg(m.id::text, ',') FROM unnest(ids) AS k(id)
              CROSS JOIN LATERAL (SELECT id FROM message WHERE id = k.id OFFSET 0) m);
    v_row := NULL;
    RETURN NEXT;
    known := NULL;
    FOR v_row IN
        SELECT w.* FROM (SELECT DISTINCT unnest(mrns) AS mrn ORDER BY 1) b
        CROSS JOIN LATERAL (SELECT * FROM movement v WHERE v.mrn = b.mrn
                            ORDER BY v.office FOR UPDATE) w
    LOOP
        RETURN NEXT;
    END LOOP;
END
$$;
