/* ctl_movement.c - `sigmatctl movement list|show|overdue|verify|resync`:
 * the operator's view of the lifecycle tables (migration 003), text or
 * --json. verify recomputes each view's event hash chain; resync queues
 * an STQ to a peer's office, which sigmatd sends and whose STR it applies.
 * The database is named by --db CONNINFO or $SIGMAT_DB. */
#include "config.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "lifecycle/lifecycle.h"
#include "node/routes.h"
#include "node/store.h"

typedef struct {
    const char *db, *state, *office, *since, *peer, *to, *as;
    long limit, wait;
    int json, all;
    const char *arg;            /* the positional argument (MRN) */
} s_opts_t;

static int
s_opts (const ctl_verb_t *v, int argc, char **argv, s_opts_t *o, int need_arg)
{
    memset (o, 0, sizeof *o);
    o->db = getenv ("SIGMAT_DB");
    o->limit = 1000;
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' }, { "db", required_argument, NULL, 'd' },
        { "state", required_argument, NULL, 's' }, { "office", required_argument, NULL, 'o' },
        { "since", required_argument, NULL, 'S' }, { "peer", required_argument, NULL, 'p' },
        { "to", required_argument, NULL, 't' }, { "as", required_argument, NULL, 'a' },
        { "limit", required_argument, NULL, 'l' }, { "wait", required_argument, NULL, 'w' },
        { "all", no_argument, NULL, 'A' }, { NULL, 0, NULL, 0 }
    };
    const char *val;
    int opt;
    while ((opt = ctl_getopt (argc, argv, opts, &val)) != -1) {
        long *num = opt == 'l' ? &o->limit : opt == 'w' ? &o->wait : NULL;
        switch (opt) {
        case 'j': o->json = 1; break;
        case 'A':
            if (strcmp (v->verb, "verify") != 0) {
                ctl_usage (v, 1);
                return CTL_USAGE;
            }
            o->all = 1;
            break;
        case 'd': o->db = val; break;
        case 's': o->state = val; break;
        case 'o': o->office = val; break;
        case 'S': o->since = val; break;
        case 'p': o->peer = val; break;
        case 't': o->to = val; break;
        case 'a': o->as = val; break;
        case 'l':
        case 'w':
            if ((*num = strtol (val, NULL, 10)) < 0) {
                fprintf (stderr, "sigmatctl: --%s must be a number >= 0\n",
                         opt == 'l' ? "limit" : "wait");
                return CTL_USAGE;
            }
            break;
        case 1:
            if (!o->arg) {
                o->arg = val;
                break;
            }
            fprintf (stderr, "sigmatctl: unexpected argument %s\n", val);
            ctl_usage (v, 1);
            return CTL_USAGE;
        default:
            ctl_usage (v, 1);
            return CTL_USAGE;
        }
    }
    if (need_arg && !o->arg == !o->all) {
        ctl_usage (v, 1);
        return CTL_USAGE;
    }
    if (o->state && strcmp (v->verb, "list") == 0 && lc_state_from_name (o->state) == LC_NONE) {
        fprintf (stderr, "sigmatctl: unknown state %s\n", o->state);
        return CTL_USAGE;
    }
    if (strcmp (v->verb, "resync") == 0 && !o->peer && !o->to) {
        fprintf (stderr, "sigmatctl: resync needs --peer NODE (or --to OFFICE)\n");
        return CTL_USAGE;
    }
    return CTL_OK;
}

static store_t *
s_open (const s_opts_t *o)
{
    sg_diag_t d;
    store_t *st = store_new (o->db, &d);
    if (!st)
        fprintf (stderr, "sigmatctl: %s\n", d.text);
    return st;
}

/* What a movement verb does once connected: an exit code. */
typedef int (s_body_fn) (store_t *st, const s_opts_t *o);

/* Runs verb v: parses its words (need_arg: an MRN operand, or --all),
 * connects, calls body and disconnects. Returns body's exit code, or
 * CTL_USAGE / CTL_FAIL after saying what is wrong. */
static int
s_run (const ctl_verb_t *v, int argc, char **argv, int need_arg, s_body_fn *body)
{
    s_opts_t o;
    int rc = s_opts (v, argc, argv, &o, need_arg);
    if (rc != CTL_OK)
        return rc;
    store_t *st = s_open (&o);
    if (!st)
        return CTL_FAIL;
    rc = body (st, &o);
    store_destroy (&st);
    return rc;
}

/* Runs a query with text parameters; NULL (error printed) on failure. */
static PGresult *
s_query (store_t *st, const char *sql, int n, const char *const *params)
{
    sg_diag_t d;
    PGresult *r = store_exec (st, "query failed", sql, n, params, 0, &d);
    if (!r)
        fprintf (stderr, "sigmatctl: %s\n", d.text);
    return r;
}

static const char *
s_v (PGresult *r, int row, int col)
{
    return PQgetisnull (r, row, col) ? NULL : PQgetvalue (r, row, col);
}

/* Prints a JSON document (and frees it). */
static void
s_json_out (json_t *j)
{
    char *s = json_dumps (j, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    if (s)
        printf ("%s\n", s);
    free (s);
    json_decref (j);
}

static json_t *
s_jstr (const char *s)
{
    return s ? json_string (s) : json_null ();
}

static json_t *
s_csv_array (const char *csv)
{
    json_t *a = json_array ();
    while (csv && *csv) {
        size_t n = strcspn (csv, ",");
        json_array_append_new (a, json_stringn (csv, n));
        csv += n + (csv[n] == ',');
    }
    return a;
}

#define S_VIEW_COLS \
    "mrn, office, role, state, departure, destination, array_to_string(transit, ','), " \
    "array_to_string(notified, ','), array_to_string(crossed, ','), time_limit::text, " \
    "guarantee_ref, guarantee_amount, currency, " \
    "to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), " \
    "to_char(state_since AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), " \
    "to_char(finished AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), events"

static json_t *
s_view_json (PGresult *r, int i)
{
    json_t *v = json_object ();
    static const char *const keys[] = { "mrn", "office", "role", "state", "departure",
                                        "destination" };
    for (int k = 0; k < 6; k++)
        json_object_set_new (v, keys[k], s_jstr (s_v (r, i, k)));
    json_object_set_new (v, "transit", s_csv_array (s_v (r, i, 6)));
    json_object_set_new (v, "notified", s_csv_array (s_v (r, i, 7)));
    json_object_set_new (v, "crossed", s_csv_array (s_v (r, i, 8)));
    json_object_set_new (v, "time_limit", s_jstr (s_v (r, i, 9)));
    json_object_set_new (v, "guarantee", json_pack ("{s:o, s:o, s:o}", "reference",
                                                    s_jstr (s_v (r, i, 10)), "amount",
                                                    s_jstr (s_v (r, i, 11)), "currency",
                                                    s_jstr (s_v (r, i, 12))));
    json_object_set_new (v, "created", s_jstr (s_v (r, i, 13)));
    json_object_set_new (v, "state_since", s_jstr (s_v (r, i, 14)));
    json_object_set_new (v, "finished", s_jstr (s_v (r, i, 15)));
    json_object_set_new (v, "events", json_integer (atoi (s_v (r, i, 16))));
    return v;
}

static void
s_view_line (PGresult *r, int i)
{
    const char *tl = s_v (r, i, 9);
    printf ("%-18s %-8s %-11s %-13s %s -> %s%s%s  limit %s\n", s_v (r, i, 0), s_v (r, i, 1),
            s_v (r, i, 2), s_v (r, i, 3), s_v (r, i, 4), s_v (r, i, 5),
            *s_v (r, i, 6) ? " via " : "", s_v (r, i, 6), tl ? tl : "-");
}

/* list and overdue: views matching where ($1..$n = params). */
static int
s_list (store_t *st, const s_opts_t *o, const char *where, int n, const char *const *params)
{
    char sql[2048];
    snprintf (sql, sizeof sql, "SELECT " S_VIEW_COLS " FROM movement WHERE %s"
              " ORDER BY mrn, office LIMIT %ld", where, o->limit ? o->limit : 1000);
    PGresult *r = s_query (st, sql, n, params);
    if (!r)
        return CTL_FAIL;
    if (o->json) {
        json_t *a = json_array ();
        for (int i = 0; i < PQntuples (r); i++)
            json_array_append_new (a, s_view_json (r, i));
        s_json_out (a);
    }
    else
        for (int i = 0; i < PQntuples (r); i++)
            s_view_line (r, i);
    PQclear (r);
    return CTL_OK;
}

static int
s_movement_list (store_t *st, const s_opts_t *o)
{
    const char *p[3] = { o->state ? o->state : "", o->office ? o->office : "",
                         o->since ? o->since : "" };
    return s_list (st, o, "($1 = '' OR state = $1)"
                   " AND ($2 = '' OR office = $2 OR departure = $2 OR destination = $2"
                   "      OR $2 = ANY(transit))"
                   " AND ($3 = '' OR updated >= $3::timestamptz)", 3, p);
}

static int
s_movement_overdue (store_t *st, const s_opts_t *o)
{
    char today[11];
    lc_format_date (lc_clock_ms (NULL), today);
    const char *p[1] = { today };
    return s_list (st, o, "role = 'DEPARTURE' AND (state IN ('OVERDUE', 'UNDER_ENQUIRY', 'RECOVERY')"
                   " OR (state IN ('RELEASED', 'EN_ROUTE') AND time_limit < $1::date))", 1, p);
}

#define S_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

static int
s_movement_show (store_t *st, const s_opts_t *o)
{
    int rc;
    const char *p[1] = { o->arg };
    PGresult *views = s_query (st, "SELECT " S_VIEW_COLS " FROM movement WHERE mrn = $1"
                                   " ORDER BY office", 1, p);
    PGresult *ev = s_query (st, "SELECT office, seq, message_id::text, msg_type,"
                                " coalesce(from_state, ''), to_state, at_office, " S_TS ("at")
                                ", coalesce(officer, '')"
                                " FROM movement_event WHERE mrn = $1 ORDER BY office, seq", 1, p);
    PGresult *inc = s_query (st, "SELECT message_id::text, office, happened, code, description"
                                 " FROM movement_incident WHERE mrn = $1 ORDER BY recorded", 1, p);
    PGresult *rej = s_query (st, "SELECT message_id::text, msg_type, sender, code, reason, "
                                 S_TS ("at") " FROM movement_rejection WHERE mrn = $1 ORDER BY at",
                             1, p);
    rc = CTL_FAIL;
    if (!views || !ev || !inc || !rej)
        goto done;
    if (PQntuples (views) == 0 && PQntuples (rej) == 0) {
        fprintf (stderr, "sigmatctl: no movement %s here\n", o->arg);
        goto done;
    }
    if (o->json) {
        json_t *doc = json_object (), *va = json_array ();
        json_object_set_new (doc, "mrn", json_string (o->arg));
        for (int i = 0; i < PQntuples (views); i++) {
            json_t *jv = s_view_json (views, i), *list = json_array ();
            for (int k = 0; k < PQntuples (ev); k++) {
                if (strcmp (s_v (ev, k, 0), s_v (views, i, 1)) != 0)
                    continue;
                json_array_append_new (list, json_pack (
                    "{s:i, s:s, s:s, s:o, s:s, s:s, s:s, s:o}", "seq", atoi (s_v (ev, k, 1)),
                    "message_id", s_v (ev, k, 2), "type", s_v (ev, k, 3), "from",
                    *s_v (ev, k, 4) ? json_string (s_v (ev, k, 4)) : json_null (), "to",
                    s_v (ev, k, 5), "office", s_v (ev, k, 6), "at", s_v (ev, k, 7), "officer",
                    *s_v (ev, k, 8) ? json_string (s_v (ev, k, 8)) : json_null ()));
            }
            json_object_set_new (jv, "history", list);
            json_array_append_new (va, jv);
        }
        json_object_set_new (doc, "views", va);
        json_t *ia = json_array (), *ra = json_array ();
        for (int k = 0; k < PQntuples (inc); k++)
            json_array_append_new (ia, json_pack ("{s:s, s:s, s:s, s:s, s:s}", "message_id",
                                                  s_v (inc, k, 0), "office", s_v (inc, k, 1),
                                                  "at", s_v (inc, k, 2), "code", s_v (inc, k, 3),
                                                  "text", s_v (inc, k, 4)));
        for (int k = 0; k < PQntuples (rej); k++)
            json_array_append_new (ra, json_pack ("{s:s, s:s, s:s, s:i, s:s, s:s}", "message_id",
                                                  s_v (rej, k, 0), "type", s_v (rej, k, 1),
                                                  "sender", s_v (rej, k, 2), "code",
                                                  atoi (s_v (rej, k, 3)), "reason", s_v (rej, k, 4),
                                                  "at", s_v (rej, k, 5)));
        json_object_set_new (doc, "incidents", ia);
        json_object_set_new (doc, "rejected", ra);
        s_json_out (doc);
    }
    else {
        printf ("movement %s\n", o->arg);
        for (int i = 0; i < PQntuples (views); i++) {
            printf ("\n  %s as %s: %s since %s\n", s_v (views, i, 1), s_v (views, i, 2),
                    s_v (views, i, 3), s_v (views, i, 14));
            printf ("    departure %s, destination %s, transit %s\n", s_v (views, i, 4),
                    s_v (views, i, 5), *s_v (views, i, 6) ? s_v (views, i, 6) : "-");
            if (*s_v (views, i, 7))
                printf ("    notified %s\n", s_v (views, i, 7));
            if (s_v (views, i, 9) || s_v (views, i, 10))
                printf ("    time limit %s, guarantee %s %s %s\n",
                        s_v (views, i, 9) ? s_v (views, i, 9) : "-",
                        s_v (views, i, 10) ? s_v (views, i, 10) : "-",
                        s_v (views, i, 11) ? s_v (views, i, 11) : "",
                        s_v (views, i, 12) ? s_v (views, i, 12) : "");
            for (int k = 0; k < PQntuples (ev); k++)
                if (strcmp (s_v (ev, k, 0), s_v (views, i, 1)) == 0)
                    printf ("    %3s  %s  %-8s %-5s %13s -> %-13s %s%s%s\n", s_v (ev, k, 1),
                            s_v (ev, k, 7), s_v (ev, k, 6), s_v (ev, k, 3),
                            *s_v (ev, k, 4) ? s_v (ev, k, 4) : "", s_v (ev, k, 5),
                            s_v (ev, k, 2), *s_v (ev, k, 8) ? "  by " : "", s_v (ev, k, 8));
        }
        if (PQntuples (inc))
            printf ("\n  incidents:\n");
        for (int k = 0; k < PQntuples (inc); k++)
            printf ("    %s  %s  %s  %s\n", s_v (inc, k, 2), s_v (inc, k, 1), s_v (inc, k, 3),
                    s_v (inc, k, 4));
        if (PQntuples (rej))
            printf ("\n  rejected messages:\n");
        for (int k = 0; k < PQntuples (rej); k++)
            printf ("    %s  %s %s from %s: NAK %s %s\n", s_v (rej, k, 5), s_v (rej, k, 1),
                    s_v (rej, k, 0), s_v (rej, k, 2), s_v (rej, k, 3), s_v (rej, k, 4));
    }
    rc = CTL_OK;
done:
    PQclear (views);
    PQclear (ev);
    PQclear (inc);
    PQclear (rej);
    return rc;
}

static void
s_hex (const char *hex, unsigned char out[LC_HASH_LEN], int *ok)
{
    /* bytea in text form: \x followed by 64 hex digits */
    *ok = hex && strlen (hex) == 2 + 2 * LC_HASH_LEN && hex[0] == '\\' && hex[1] == 'x';
    for (int i = 0; *ok && i < LC_HASH_LEN; i++) {
        unsigned x;
        if (sscanf (hex + 2 + 2 * i, "%2x", &x) != 1)
            *ok = 0;
        out[i] = (unsigned char) x;
    }
}

/* Checks one view's chain; prints the verdict (an intact one unless quiet);
 * 1 if intact, 0 if not, -1 if the database could not be read. */
static int
s_verify_view (store_t *st, const char *mrn, const char *office, const char *role, int events,
               const char *head_hex, json_t *report, int quiet)
{
    const char *p[2] = { mrn, office };
    /* The message that caused each event is hashed again from `message`
     * (when this node holds it: not for timers or resynchronised events). */
    PGresult *r = s_query (st, "SELECT e.seq, e.message_id::text, e.msg_type,"
                               " coalesce(e.from_state, ''), e.to_state, e.at_office,"
                               " (extract(epoch FROM e.at) * 1000)::int8, e.prev_hash, e.hash,"
                               " coalesce(e.officer, ''), coalesce(encode(e.body_hash, 'hex'), ''),"
                               " coalesce(encode(e.sig_hash, 'hex'), ''), e.hash_version,"
                               " m.id IS NOT NULL, coalesce(encode(sha256(m.body), 'hex'), ''),"
                               " coalesce(encode(sha256(m.signature), 'hex'), '')"
                               " FROM movement_event e LEFT JOIN message m ON m.id = e.message_id"
                               " WHERE e.mrn = $1 AND e.office = $2 ORDER BY e.seq", 2, p);
    if (!r)
        return -1;
    unsigned char prev[LC_HASH_LEN] = { 0 }, want[LC_HASH_LEN], got[LC_HASH_LEN];
    char problem[512] = "";
    int n = PQntuples (r);
    for (int i = 0; i < n && !problem[0]; i++) {
        int ok1, ok2;
        lc_event_t ev = { mrn, office, atoi (s_v (r, i, 0)), s_v (r, i, 1), s_v (r, i, 2),
                          s_v (r, i, 3), s_v (r, i, 4), s_v (r, i, 5),
                          strtoll (s_v (r, i, 6), NULL, 10), s_v (r, i, 9), s_v (r, i, 10),
                          s_v (r, i, 11), atoi (s_v (r, i, 12)) };
        int held = strcmp (s_v (r, i, 13), "t") == 0 && ev.version >= 2 && *ev.body_hash;
        s_hex (s_v (r, i, 7), got, &ok1);
        s_hex (s_v (r, i, 8), want, &ok2);
        char what[200];
        snprintf (what, sizeof what, "event %d (%s %s, %s -> %s at %s)", ev.seq, ev.msg_type,
                  ev.message_id, *ev.from_state ? ev.from_state : "start", ev.to_state,
                  ev.at_office);
        unsigned char h[LC_HASH_LEN];
        if (ev.seq != i + 1)
            snprintf (problem, sizeof problem, "%s: sequence number %d where %d was expected",
                      what, ev.seq, i + 1);
        else if (!ok1 || !ok2 || memcmp (got, prev, LC_HASH_LEN) != 0)
            snprintf (problem, sizeof problem,
                      "%s: its previous hash does not match event %d (an event was changed, "
                      "removed or inserted before it)", what, i);
        else if (lc_event_hash (prev, &ev, h) != SG_OK || memcmp (h, want, LC_HASH_LEN) != 0)
            snprintf (problem, sizeof problem,
                      "%s: its content does not match its hash (the row was altered)", what);
        else if (held && strcmp (ev.body_hash, s_v (r, i, 14)) != 0)
            snprintf (problem, sizeof problem,
                      "%s: the stored message body is not the one the event recorded (the "
                      "message was altered)", what);
        else if (held && strcmp (ev.sig_hash, s_v (r, i, 15)) != 0)
            snprintf (problem, sizeof problem,
                      "%s: the stored signature is not the one the event recorded (the "
                      "message was altered)", what);
        memcpy (prev, want, LC_HASH_LEN);
    }
    if (!problem[0]) {
        int ok;
        unsigned char head[LC_HASH_LEN] = { 0 };
        s_hex (head_hex, head, &ok);
        if (n != events)
            snprintf (problem, sizeof problem,
                      "the movement records %d events but %d are stored (events were removed "
                      "or added)", events, n);
        else if (n && (!ok || memcmp (head, prev, LC_HASH_LEN) != 0))
            snprintf (problem, sizeof problem,
                      "the last event's hash does not match the movement's chain head");
    }
    PQclear (r);
    if (report)
        json_array_append_new (report, json_pack ("{s:s, s:s, s:i, s:b, s:o}", "office", office,
                                                  "role", role, "events", n, "intact",
                                                  !problem[0], "problem",
                                                  problem[0] ? json_string (problem)
                                                             : json_null ()));
    else if (problem[0])
        printf ("FAIL %s %s at %s: %s\n", mrn, role, office, problem);
    else if (!quiet)
        printf ("ok   %s %s at %s: %d events, chain intact\n", mrn, role, office, n);
    return !problem[0];
}

/* Verifies every view of every movement on this node: prints each broken
 * chain and a summary; 1 if all are intact. */
static int
s_verify_all (store_t *st, json_t *report)
{
    /* One snapshot: a live node appends events while we read. */
    PGresult *v = s_query (st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
    PQclear (v);
    v = v ? s_query (st, "SELECT mrn, office, role, events, last_hash FROM movement"
                         " ORDER BY mrn, office", 0, NULL) : NULL;
    if (!v)
        return 0;
    int bad = 0, n = PQntuples (v), movements = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0 || strcmp (s_v (v, i, 0), s_v (v, i - 1, 0)) != 0)
            movements++;
        /* Only broken chains are printed: a node holds millions of views. */
        int ok = s_verify_view (st, s_v (v, i, 0), s_v (v, i, 1), s_v (v, i, 2),
                                atoi (s_v (v, i, 3)), s_v (v, i, 4), report, 1);
        if (ok < 0) {
            PQclear (v);
            return 0;
        }
        bad += !ok;
    }
    PQclear (v);
    if (!report)
        printf ("%d views of %d movements verified: %s\n", n, movements,
                bad ? "some chains are broken (above)" : "every chain intact");
    return !bad;
}

static int
s_movement_verify (store_t *st, const s_opts_t *o)
{
    int rc;
    const char *p[1] = { o->arg };
    PGresult *rows = o->all ? NULL : s_query (st, "SELECT office, role, events, last_hash"
                                              " FROM movement WHERE mrn = $1 ORDER BY office",
                                          1, p);
    rc = CTL_FAIL;
    if (o->all) {
        json_t *report = o->json ? json_array () : NULL;
        rc = s_verify_all (st, report) ? CTL_OK : CTL_FAIL;
        if (report)
            s_json_out (json_pack ("{s:b, s:o}", "intact", rc == CTL_OK, "views", report));
    }
    else if (rows && PQntuples (rows) == 0)
        fprintf (stderr, "sigmatctl: no movement %s here\n", o->arg);
    else if (rows) {
        json_t *report = o->json ? json_array () : NULL;
        int good = 1;
        for (int i = 0; i < PQntuples (rows); i++)
            good &= s_verify_view (st, o->arg, s_v (rows, i, 0), s_v (rows, i, 1), atoi (s_v (rows, i, 2)),
                                   s_v (rows, i, 3), report, 0) == 1;
        if (report)
            s_json_out (json_pack ("{s:s, s:b, s:o}", "mrn", o->arg, "intact", good, "views",
                                   report));
        rc = good ? CTL_OK : CTL_FAIL;
    }
    PQclear (rows);
    return rc;
}

/* 1 if office is in the comma list of offices/countries. */
static int
s_covered (const char *office, const char *csv)
{
    char *list[64], *copy = strdup (csv ? csv : "");
    size_t n = 0;
    for (char *t = strtok (copy, ","); t && n < 64; t = strtok (NULL, ","))
        list[n++] = t;
    int in = routes_office_in (office, list, n);
    free (copy);
    return in;
}

static int
s_movement_resync (store_t *st, const s_opts_t *o)
{
    int rc;
    char own[9] = "", peer_office[9] = "";
    PGresult *pr = NULL, *vr = NULL, *ins = NULL;
    rc = CTL_FAIL;
    const char *pp[1] = { o->peer ? o->peer : "" };
    const char *mp[1] = { o->arg };
    if (!(pr = s_query (st, "SELECT array_to_string(offices, ',') FROM peer WHERE name = $1", 1,
                        pp))
        || !(vr = s_query (st, "SELECT office, role, departure, destination,"
                               " array_to_string(transit, ',') FROM movement WHERE mrn = $1"
                               " ORDER BY role = 'DEPARTURE' DESC, office", 1, mp)))
        goto done;
    if (o->peer && PQntuples (pr) != 1) {
        fprintf (stderr, "sigmatctl: no peer %s\n", o->peer);
        goto done;
    }
    const char *peer_offices = o->peer ? s_v (pr, 0, 0) : "";
    /* One request per view of ours (or the one --as names): an STR only
     * repairs the view of the office that asked. */
    int nreq = 0;
    char last[24] = "";
    for (int i = 0; i < (PQntuples (vr) ? PQntuples (vr) : 1); i++) {
        const char *office = PQntuples (vr) ? s_v (vr, i, 0) : "";
        if (o->as && PQntuples (vr) && strcmp (o->as, office) != 0)
            continue;
        sg_strlcpy (own, o->as ? o->as : office, sizeof own);
        peer_office[0] = '\0';
        if (o->to)
            sg_strlcpy (peer_office, o->to, sizeof peer_office);
        else if (PQntuples (vr)) {
            /* the other end of our view: the departure for transit and
             * destination views; destination, then transit offices for a
             * departure view */
            const char *cand[20];
            size_t nc = 0;
            if (strcmp (s_v (vr, i, 1), "DEPARTURE") != 0)
                cand[nc++] = s_v (vr, i, 2);
            cand[nc++] = s_v (vr, i, 3);
            char *tr = strdup (s_v (vr, i, 4));
            for (char *t = strtok (tr, ","); t && nc < 20; t = strtok (NULL, ","))
                cand[nc++] = t;
            for (size_t k = 0; k < nc && !peer_office[0]; k++)
                if (strcmp (cand[k], own) != 0 && s_covered (cand[k], peer_offices))
                    sg_strlcpy (peer_office, cand[k], sizeof peer_office);
            free (tr);
        }
        if (!own[0] || !peer_office[0])
            continue;
        const char *ip[3] = { o->arg, own, peer_office };
        PQclear (ins);
        if (!(ins = s_query (st, "INSERT INTO movement_request (mrn, own_office, peer_office)"
                                 " VALUES ($1, $2, $3) RETURNING id", 3, ip)))
            goto done;
        sg_strlcpy (last, s_v (ins, 0, 0), sizeof last);
        printf ("resync of %s: STQ from %s to %s queued (request %s)\n", o->arg, own, peer_office,
                last);
        nreq++;
    }
    if (!nreq) {
        fprintf (stderr, "sigmatctl: nothing to ask for %s: no view of ours here whose other "
                         "end %s serves; give --as OWN_OFFICE and --to PEER_OFFICE\n", o->arg,
                 o->peer ? o->peer : "the peer");
        rc = CTL_USAGE;
        goto done;
    }
    rc = CTL_OK;
    /* --wait S: until the answer (STR or NAK) to that STQ has been stored. */
    const char *wp[1] = { last };
    for (long t = 0; t < o->wait * 10; t++) {
        /* the last request's answer (they are sent together) */
        PGresult *a = s_query (st, "SELECT m.type FROM movement_request q JOIN message m"
                                   " ON m.correlation_id = q.sent_message WHERE q.id = $1::int8"
                                   " AND m.type IN ('STR', 'NAK')", 1, wp);
        int got = a && PQntuples (a) > 0;
        if (got)
            printf ("answer: %s\n", s_v (a, 0, 0));
        PQclear (a);
        if (got)
            break;
        if (t + 1 == o->wait * 10) {
            fprintf (stderr, "sigmatctl: no answer after %ld s\n", o->wait);
            rc = CTL_FAIL;
        }
        usleep (100000);
    }
done:
    PQclear (pr);
    PQclear (vr);
    PQclear (ins);
    return rc;
}

/* The movement verbs: name, whether it needs an MRN (or --all), body. */
static const struct {
    const char *verb;
    int need_arg;
    s_body_fn *body;
} s_verbs[] = {
    { "list", 0, s_movement_list }, { "overdue", 0, s_movement_overdue },
    { "show", 1, s_movement_show }, { "verify", 1, s_movement_verify },
    { "resync", 1, s_movement_resync },
};

int
ctl_movement (const ctl_verb_t *v, int argc, char **argv)
{
    for (size_t i = 0; i < sizeof s_verbs / sizeof s_verbs[0]; i++)
        if (strcmp (s_verbs[i].verb, v->verb) == 0)
            return s_run (v, argc, argv, s_verbs[i].need_arg, s_verbs[i].body);
    ctl_usage (v, 1);
    return CTL_USAGE;
}
