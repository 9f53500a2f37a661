/* ctl_db.c - sigmatctl verbs that work on a node's database: `db migrate`,
 * `db version`, `peer ...`, `route ...`, `dead ...` and `status`. The
 * database is named by --db CONNINFO or $SIGMAT_DB. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl.h"
#include "file.h"
#include "header.h"
#include "ident.h"
#include "sign.h"
#include "node/nodestat.h"
#include "node/store_claim.h"
#include "node/peerkeys.h"
#include "node/store.h"

/* Options shared by the database verbs; positional arguments are left in
 * args[0..nargs). */
typedef struct {
    const char *db;
    const char *dir;
    const char *hop;
    const char *role;
    const char *curve_pub;
    const char *sign_pub;
    const char *offices;
    const char *endpoint;
    const char *from, *until, *at;      /* peer key: timestamptz text */
    int all;
    long limit;
    char *args[8];
    int nargs;
} s_opts_t;

static int
s_parse_opts (const ctl_verb_t *verb, int argc, char **argv, s_opts_t *o)
{
    memset (o, 0, sizeof *o);
    o->db = getenv ("SIGMAT_DB");
    o->dir = getenv ("SIGMAT_MIGRATIONS_DIR");
    if (!o->dir)
        o->dir = SG_MIGRATIONSDIR;
    o->limit = 100;
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' }, { "dir", required_argument, NULL, 'D' },
        { "hop", required_argument, NULL, 'H' }, { "role", required_argument, NULL, 'r' },
        { "curve-pub", required_argument, NULL, 'c' }, { "sign-pub", required_argument, NULL, 's' },
        { "offices", required_argument, NULL, 'o' }, { "endpoint", required_argument, NULL, 'e' },
        { "from", required_argument, NULL, 'f' }, { "until", required_argument, NULL, 'u' },
        { "at", required_argument, NULL, 'a' }, { "all", no_argument, NULL, 'A' },
        { "limit", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 }
    };
    const char *v;
    int opt;
    while ((opt = ctl_getopt (argc, argv, opts, &v)) != -1) {
        switch (opt) {
        case 'd': o->db = v; break;
        case 'D': o->dir = v; break;
        case 'H': o->hop = v; break;
        case 'r': o->role = v; break;
        case 'c': o->curve_pub = v; break;
        case 's': o->sign_pub = v; break;
        case 'o': o->offices = v; break;
        case 'e': o->endpoint = v; break;
        case 'f': o->from = v; break;
        case 'u': o->until = v; break;
        case 'a': o->at = v; break;
        case 'A': o->all = 1; break;
        case 'l':
            o->limit = strtol (v, NULL, 10);
            if (o->limit < 1) {
                fprintf (stderr, "sigmatctl: --limit must be a positive number\n");
                return CTL_USAGE;
            }
            break;
        case 1:
            if (o->nargs == 8) {
                ctl_usage (verb, 1);
                return CTL_USAGE;
            }
            o->args[o->nargs++] = (char *) v;
            break;
        default:
            ctl_usage (verb, 1);
            return CTL_USAGE;
        }
    }
    if (!o->db) {
        fprintf (stderr, "sigmatctl: no database: give --db CONNINFO or set SIGMAT_DB\n");
        return CTL_USAGE;
    }
    return CTL_OK;
}

static store_t *
s_connect (const s_opts_t *o)
{
    sg_diag_t diag;
    store_t *store = store_new (o->db, &diag);
    if (!store)
        fprintf (stderr, "sigmatctl: cannot connect to the database: %s\n", diag.text);
    return store;
}

/* What a database verb does once connected: an exit code. */
typedef int (s_body_fn) (store_t *store, const s_opts_t *o);

/* Runs verb v: parses its words, checks it got exactly nargs operands,
 * connects, calls body and disconnects. Returns body's exit code, or
 * CTL_USAGE / CTL_FAIL after saying what is wrong. */
static int
s_run (const ctl_verb_t *v, int argc, char **argv, int nargs, s_body_fn *body)
{
    s_opts_t o;
    int rc = s_parse_opts (v, argc, argv, &o);
    if (rc != CTL_OK)
        return rc;
    if (o.nargs != nargs) {
        ctl_usage (v, 1);
        return CTL_USAGE;
    }
    store_t *store = s_connect (&o);
    if (!store)
        return CTL_FAIL;
    rc = body (store, &o);
    store_destroy (&store);
    return rc;
}

static int
s_fail (const char *what, const sg_diag_t *diag)
{
    fprintf (stderr, "sigmatctl: %s: %s\n", what, diag->text);
    return CTL_FAIL;
}

static int
s_db_migrate (store_t *store, const s_opts_t *o)
{
    sg_diag_t diag;
    int version = 0;
    int rc = store_migrate (store, o->dir, stdout,
                            &diag) == SG_OK ? CTL_OK : s_fail ("migration failed", &diag);
    if (rc == CTL_OK && store_schema_version (store, &version) == SG_OK)
        printf ("database schema at version %d\n", version);
    return rc;
}

int
ctl_db_migrate (const ctl_verb_t *v, int argc, char **argv)
{
    return s_run (v, argc, argv, 0, s_db_migrate);
}

static int
s_db_version (store_t *store, const s_opts_t *o)
{
    int rc = CTL_OK;
    int version = 0, latest = 0;
    sg_diag_t diag;
    if (store_schema_version (store,
                              &version) != SG_OK || store_migrations_available (o->dir, &latest) != SG_OK)
        rc = CTL_FAIL;
    else {
        printf ("database schema at version %d; %s has migrations up to %d\n", version, o->dir, latest);
        rc = store_check_schema (store, o->dir, &diag) == SG_OK ? CTL_OK : s_fail ("schema", &diag);
    }
    return rc;
}

int
ctl_db_version (const ctl_verb_t *v, int argc, char **argv)
{
    return s_run (v, argc, argv, 0, s_db_version);
}

/* Reads a small text file whole (a key), or NULL after saying why. */
static char *
s_slurp (const char *path)
{
    sg_buf_t b = { 0 };
    int rc = sg_file_read (path, SG_SIGN_MAX_PEM - 1, &b);
    if (rc == SG_EIO)
        perror (path);
    else if (rc != SG_OK || !b.len)
        fprintf (stderr, "sigmatctl: %s: empty or too large for a key\n", path);
    if (rc != SG_OK || !b.len) {
        sg_buf_free (&b);
        return NULL;
    }
    return sg_buf_take (&b);
}

/* Splits "CI,BF000201" into a malloc'ed array of pointers into a copy. */
static char **
s_split (const char *list, size_t *n, char **copy_p)
{
    char *copy = strdup (list ? list : "");
    char **out = calloc (strlen (copy) / 2 + 2, sizeof *out);
    *n = 0;
    if (!copy || !out) {
        free (copy);
        free (out);
        return NULL;
    }
    for (char *save = NULL, *tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
        out[(*n)++] = tok;
    *copy_p = copy;
    return out;
}

static int
s_office_or_country_ok (const char *s)
{
    if (strlen (s) == 2)
        return s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
    return sg_office_check (s, NULL) == SG_OK;
}

int
ctl_peer_add (const ctl_verb_t *v, int argc, char **argv)
{
    s_opts_t o;
    int rc = s_parse_opts (v, argc, argv, &o);
    if (rc != CTL_OK)
        return rc;
    if (o.nargs != 1 || !o.role || !o.curve_pub
        || (strcmp (o.role, "node") != 0 && strcmp (o.role, "adapter") != 0)) {
        ctl_usage (v, 1);
        return CTL_USAGE;
    }
    store_peer_t peer = { 0 };
    char *offices_copy = NULL;
    rc = CTL_FAIL;
    if (sg_hdr_node_name_check (o.args[0]) != 1 || strlen (o.args[0]) >= sizeof peer.name) {
        fprintf (stderr, "sigmatctl: peer name \"%s\" must be 1-63 of [A-Za-z0-9._-]\n", o.args[0]);
        goto done;
    }
    snprintf (peer.name, sizeof peer.name, "%s", o.args[0]);
    snprintf (peer.role, sizeof peer.role, "%s", o.role);
    if (sg_sign_curve_load (o.curve_pub, peer.curve_public) != SG_OK) {
        fprintf (stderr, "sigmatctl: %s is not a CurveZMQ public key file (40 Z85 characters)\n", o.curve_pub);
        goto done;
    }
    if (o.sign_pub) {
        sg_diag_t diag;
        peer.sign_public_pem = s_slurp (o.sign_pub);
        sg_sign_key_t *key = peer.sign_public_pem
            ? sg_sign_key_from_pem (peer.sign_public_pem, strlen (peer.sign_public_pem),
                                    &diag) : NULL;
        if (!key) {
            if (peer.sign_public_pem)
                fprintf (stderr, "sigmatctl: %s: %s\n", o.sign_pub, diag.text);
            goto done;
        }
        sg_sign_key_destroy (&key);
    }
    peer.endpoint = (char *) o.endpoint;
    peer.offices = s_split (o.offices, &peer.offices_n, &offices_copy);
    if (!peer.offices)
        goto done;
    for (size_t i = 0; i < peer.offices_n; i++)
        if (!s_office_or_country_ok (peer.offices[i])) {
            fprintf (stderr, "sigmatctl: \"%s\" is neither an office reference (CI000101) nor a country (CI)\n",
                     peer.offices[i]);
            goto done;
        }
    store_t *store = s_connect (&o);
    if (!store)
        goto done;
    sg_diag_t diag;
    if (store_peer_put (store, &peer, &diag) == SG_OK) {
        printf ("peer %s (%s) registered\n", peer.name, peer.role);
        rc = CTL_OK;
    }
    else
        s_fail ("cannot register peer", &diag);
    store_destroy (&store);
done:
    free (peer.sign_public_pem);
    free (peer.offices);
    free (offices_copy);
    return rc;
}

static int
s_peer_remove (store_t *store, const s_opts_t *o)
{
    sg_diag_t diag;
    return store_peer_remove (store, o->args[0],
                              &diag) == SG_OK ? CTL_OK : s_fail (o->args[0], &diag);
}

int
ctl_peer_remove (const ctl_verb_t *v, int argc, char **argv)
{
    return s_run (v, argc, argv, 1, s_peer_remove);
}

static void
s_age (long long since, char *out, size_t size)
{
    if (since <= 0) {
        snprintf (out, size, "never");
        return;
    }
    long long s = (long long) time (NULL) - since;
    if (s < 120)
        snprintf (out, size, "%llds ago", s);
    else if (s < 7200)
        snprintf (out, size, "%lldm ago", s / 60);
    else
        snprintf (out, size, "%lldh ago", s / 3600);
}

static int
s_peer_list (store_t *store, const s_opts_t *o)
{
    int rc = CTL_OK;
    store_peer_t *peers = NULL;
    size_t n = 0;
    sg_diag_t diag;
    if (store_peer_list (store, &peers, &n, &diag) != SG_OK)
        rc = s_fail ("cannot list peers", &diag);
    else {
        printf ("%-20s %-8s %-12s %-28s %s\n", "NAME", "ROLE", "LAST SEEN", "ENDPOINT", "OFFICES");
        for (size_t i = 0; i < n; i++) {
            char seen[32];
            s_age (peers[i].last_seen, seen, sizeof seen);
            printf ("%-20s %-8s %-12s %-28s", peers[i].name, peers[i].role, seen,
                    peers[i].endpoint ? peers[i].endpoint : "-");
            for (size_t k = 0; k < peers[i].offices_n; k++)
                printf ("%s%s", k ? "," : " ", peers[i].offices[k]);
            printf ("\n");
        }
        store_peers_free (peers, n);
    }
    return rc;
}

int
ctl_peer_list (const ctl_verb_t *v, int argc, char **argv)
{
    return s_run (v, argc, argv, 0, s_peer_list);
}

static int
s_route_add (store_t *store, const s_opts_t *o)
{
    int rc = CTL_OK;
    sg_diag_t diag;
    if (store_route_put (store, o->args[0], o->args[1], &diag) == SG_OK)
        printf ("route %s -> %s\n", o->args[0], o->args[1]);
    else
        rc = s_fail ("cannot add route", &diag);
    return rc;
}

int
ctl_route_add (const ctl_verb_t *v, int argc, char **argv)
{
    return s_run (v, argc, argv, 2, s_route_add);
}

static int
s_route_remove (store_t *store, const s_opts_t *o)
{
    sg_diag_t diag;
    return store_route_remove (store, o->args[0],
                               &diag) == SG_OK ? CTL_OK : s_fail (o->args[0], &diag);
}

int
ctl_route_remove (const ctl_verb_t *v, int argc, char **argv)
{
    return s_run (v, argc, argv, 1, s_route_remove);
}

static int
s_route_list (store_t *store, const s_opts_t *o)
{
    int rc = CTL_OK;
    store_route_t *routes = NULL;
    size_t n = 0;
    sg_diag_t diag;
    if (store_route_list (store, &routes, &n, &diag) != SG_OK)
        rc = s_fail ("cannot list routes", &diag);
    else {
        printf ("%-10s %s\n", "PREFIX", "NEXT HOP");
        for (size_t i = 0; i < n; i++)
            printf ("%-10s %s\n", routes[i].prefix, routes[i].next_hop);
        free (routes);
    }
    return rc;
}

int
ctl_route_list (const ctl_verb_t *v, int argc, char **argv)
{
    return s_run (v, argc, argv, 0, s_route_list);
}

static int
s_dead_list (store_t *store, const s_opts_t *o)
{
    int rc = CTL_OK;
    store_dead_t *dead = NULL;
    size_t n = 0;
    sg_diag_t diag;
    if (store_dead_list (store, o->hop, (size_t) o->limit, &dead, &n, &diag) != SG_OK)
        rc = s_fail ("cannot list dead letters", &diag);
    else {
        printf ("%-36s %-4s %-18s %-16s %4s  %s\n", "MESSAGE ID", "TYPE", "MRN", "NEXT HOP", "CODE", "REASON");
        for (size_t i = 0; i < n; i++)
            printf ("%-36s %-4s %-18s %-16s %4d  %s\n", dead[i].id, dead[i].type, dead[i].mrn,
                    dead[i].next_hop, dead[i].nak_code, dead[i].reason);
        printf ("%zu dead letter%s\n", n, n == 1 ? "" : "s");
        free (dead);
    }
    return rc;
}

int
ctl_dead_list (const ctl_verb_t *v, int argc, char **argv)
{
    return s_run (v, argc, argv, 0, s_dead_list);
}

static int
s_dead_show (store_t *store, const s_opts_t *o)
{
    int rc = CTL_OK;
    store_message_t m = { 0 };
    store_dead_t *dead = NULL;
    size_t n = 0;
    sg_diag_t diag;
    if (store_message_get (store, o->args[0], &m, &diag) != SG_OK)
        rc = s_fail (o->args[0], &diag);
    else if (store_dead_list (store, NULL, 100000, &dead, &n, &diag) != SG_OK)
        rc = s_fail ("cannot list dead letters", &diag);
    else {
        for (size_t i = 0; i < n; i++)
            if (strcmp (dead[i].id, m.id) == 0)
                printf ("Dead for %s after %d attempt(s): NAK %d %s\n", dead[i].next_hop,
                        dead[i].attempts, dead[i].nak_code, dead[i].reason);
        printf ("From peer: %s\n\n%.*s\n\n%.*s", m.from_peer[0] ? m.from_peer : "(this node)",
                (int) m.header_len, m.header, (int) m.body_len, m.body);
    }
    free (dead);
    store_message_clear (&m);
    return rc;
}

int
ctl_dead_show (const ctl_verb_t *v, int argc, char **argv)
{
    return s_run (v, argc, argv, 1, s_dead_show);
}

int
ctl_dead_replay (const ctl_verb_t *v, int argc, char **argv)
{
    s_opts_t o;
    int rc = s_parse_opts (v, argc, argv, &o);
    if (rc != CTL_OK)
        return rc;
    if ((o.nargs != 1 && !(o.all && o.hop)) || (o.nargs == 1 && o.all)) {
        fprintf (stderr, "sigmatctl: name one message id, or --all --hop HOP\n");
        ctl_usage (v, 1);
        return CTL_USAGE;
    }
    store_t *store = s_connect (&o);
    if (!store)
        return CTL_FAIL;
    int count = 0;
    sg_diag_t diag;
    if (store_replay_dead (store, o.nargs ? o.args[0] : NULL, o.hop, &count, &diag) == SG_OK)
        printf ("%d message%s back in the queue\n", count, count == 1 ? "" : "s");
    else
        rc = s_fail ("cannot replay", &diag);
    store_destroy (&store);
    return rc;
}

static int
s_status (store_t *store, const s_opts_t *o)
{
    int rc = CTL_OK;
    sg_diag_t diag;
    int version = 0;
    store_queue_stat_t *q = NULL;
    size_t nq = 0;
    if (store_schema_version (store, &version) != SG_OK
        || store_queue_stats (store, &q, &nq, &diag) != SG_OK) {
        rc = s_fail ("cannot read the queues", &diag);
        goto done;
    }
    if (nodestat_print (store, stdout, &diag) != SG_OK)
        fprintf (stderr, "sigmatctl: %s\n", diag.text);
    if (nodestat_print_db (store, stdout, &diag) != SG_OK)
        fprintf (stderr, "sigmatctl: %s\n", diag.text);
    if (version >= 11 && store_claim_print (store, stdout, &diag) != SG_OK)
        fprintf (stderr, "sigmatctl: %s\n", diag.text);
    printf ("schema version: %d\n\n", version);
    printf ("%-20s %10s %12s %8s\n", "NEXT HOP", "PENDING", "OLDEST", "DEAD");
    for (size_t i = 0; i < nq; i++)
        printf ("%-20s %10lld %11.0fs %8lld\n", q[i].next_hop, q[i].pending, q[i].oldest_age_s, q[i].dead);
done:
    free (q);
    return rc;
}

int
ctl_status (const ctl_verb_t *v, int argc, char **argv)
{
    return s_run (v, argc, argv, 0, s_status);
}

/* ---- signing keys of peers: `peer key add|list|retire` -------------------- */

/* Loads the PEM public key file path into *pem_p and its id into id. */
static int
s_key_file (const char *path, char **pem_p, char id[SG_SIGN_KEY_ID_LEN + 1])
{
    sg_diag_t diag;
    *pem_p = s_slurp (path);
    sg_sign_key_t *key = *pem_p ? sg_sign_key_from_pem (*pem_p, strlen (*pem_p), &diag) : NULL;
    if (!key || sg_sign_key_id (key, id) != SG_OK) {
        fprintf (stderr, "sigmatctl: %s: %s\n", path,
                 *pem_p ? diag.text : "cannot read the file");
        sg_sign_key_destroy (&key);
        free (*pem_p);
        *pem_p = NULL;
        return CTL_FAIL;
    }
    sg_sign_key_destroy (&key);
    return CTL_OK;
}

static int
s_key_add (store_t *store, const s_opts_t *o)
{
    if (!o->sign_pub || !o->from) {
        fprintf (stderr, "sigmatctl: peer key add needs --sign-pub FILE and --from TIME\n");
        return CTL_USAGE;
    }
    char *pem, id[SG_SIGN_KEY_ID_LEN + 1];
    if (s_key_file (o->sign_pub, &pem, id) != CTL_OK)
        return CTL_FAIL;
    sg_diag_t diag;
    int rc = CTL_OK;
    if (store_sign_key_put (store, o->args[1], id, pem, o->from, o->until, &diag) != SG_OK)
        rc = s_fail ("cannot add the key", &diag);
    else
        printf ("peer %s: key %s valid from %s%s%s\n", o->args[1], id, o->from,
                o->until ? " until " : "", o->until ? o->until : "");
    free (pem);
    return rc;
}

/* Retires key id of peer at o->at; a key registered with `peer add` only
 * (peer.sign_public_pem) gets a row of its own, valid until then. */
static int
s_key_retire (store_t *store, const s_opts_t *o)
{
    const char *peer = o->args[1], *id = o->args[2];
    sg_diag_t diag;
    int rc = store_sign_key_retire (store, peer, id, o->at, &diag);
    if (rc == SG_ENOTFOUND) {
        store_peer_t p;
        char pid[SG_SIGN_KEY_ID_LEN + 1] = "";
        if (store_peer_get (store, peer, &p, &diag) != SG_OK)
            return s_fail (peer, &diag);
        sg_sign_key_t *key = p.sign_public_pem
            ? sg_sign_key_from_pem (p.sign_public_pem, strlen (p.sign_public_pem), NULL) : NULL;
        if (key)
            sg_sign_key_id (key, pid);
        sg_sign_key_destroy (&key);
        if (strcmp (pid, id) == 0)
            rc = store_sign_key_put (store, peer, id, p.sign_public_pem, NULL,
                                     o->at ? o->at : "now", &diag);
        else
            sg_diag_set (&diag, SG_ENOTFOUND, 0, 0, "peer %s has no key %s", peer, id);
        store_peer_clear (&p);
    }
    if (rc != SG_OK)
        return s_fail ("cannot retire the key", &diag);
    printf ("peer %s: key %s valid until %s\n", peer, id, o->at ? o->at : "now");
    return CTL_OK;
}

static void
s_key_time (long long ms, char *out)
{
    if (ms == 0)
        strcpy (out, "-");
    else
        sg_hdr_time_format (ms, out);
}

static int
s_key_list (store_t *store, const s_opts_t *o)
{
    const char *peer = o->nargs > 1 ? o->args[1] : NULL;
    store_sign_key_t *keys = NULL;
    store_peer_t *peers = NULL;
    size_t n = 0, np = 0;
    sg_diag_t diag;
    if (store_sign_key_list (store, peer, &keys, &n, &diag) != SG_OK
        || store_peer_list (store, &peers, &np, &diag) != SG_OK) {
        store_sign_keys_free (keys, n);
        return s_fail ("cannot list the keys", &diag);
    }
    printf ("%-20s %-16s %-24s %s\n", "PEER", "KEY-ID", "VALID FROM", "VALID UNTIL");
    for (size_t i = 0; i < np; i++) {
        if (peer && strcmp (peers[i].name, peer) != 0)
            continue;
        char from[SG_HDR_TIME_LEN + 1], until[SG_HDR_TIME_LEN + 1], lid[SG_SIGN_KEY_ID_LEN + 1] = "";
        int listed = 0;
        sg_sign_key_t *key = peers[i].sign_public_pem
            ? sg_sign_key_from_pem (peers[i].sign_public_pem, strlen (peers[i].sign_public_pem),
                                    NULL)
            : NULL;
        if (key)
            sg_sign_key_id (key, lid);
        sg_sign_key_destroy (&key);
        for (size_t k = 0; k < n; k++) {
            if (strcmp (keys[k].peer, peers[i].name) != 0)
                continue;
            s_key_time (keys[k].from_ms, from);
            s_key_time (keys[k].until_ms, until);
            printf ("%-20s %-16s %-24s %s\n", keys[k].peer, keys[k].key_id, from, until);
            listed |= strcmp (keys[k].key_id, lid) == 0;
        }
        if (lid[0] && !listed)
            printf ("%-20s %-16s %-24s %s\n", peers[i].name, lid, "-", "-");
    }
    store_sign_keys_free (keys, n);
    store_peers_free (peers, np);
    return CTL_OK;
}

int
ctl_peer_key (const ctl_verb_t *v, int argc, char **argv)
{
    s_opts_t o;
    int rc = s_parse_opts (v, argc, argv, &o);
    if (rc != CTL_OK)
        return rc;
    const char *sub = o.nargs ? o.args[0] : "";
    int want = strcmp (sub, "add") == 0 ? 2 : strcmp (sub, "retire") == 0 ? 3 : -1;
    if (strcmp (sub, "list") == 0 && o.nargs <= 2)
        want = o.nargs;
    if (want < 0 || o.nargs != want) {
        ctl_usage (v, 1);
        return CTL_USAGE;
    }
    store_t *store = s_connect (&o);
    if (!store)
        return CTL_FAIL;
    if (strcmp (sub, "add") == 0)
        rc = s_key_add (store, &o);
    else if (strcmp (sub, "retire") == 0)
        rc = s_key_retire (store, &o);
    else
        rc = s_key_list (store, &o);
    store_destroy (&store);
    return rc;
}

/* ---- `message verify ID`: a stored message against the registered keys ---- */

static int
s_message_verify (store_t *store, const s_opts_t *o)
{
    int rc = CTL_OK;
    store_message_t m = { 0 };
    store_peer_t peer = { 0 };
    store_sign_key_t *rows = NULL;
    size_t n = 0;
    peerkeys_t *keys = NULL;
    sg_hdr_t *h = NULL;
    sg_diag_t diag;
    int64_t created = 0;
    rc = CTL_FAIL;
    if (store_message_get (store, o->args[0], &m, &diag) != SG_OK) {
        s_fail (o->args[0], &diag);
        goto done;
    }
    if (sg_hdr_parse (m.header, m.header_len, &h, &diag) != SG_OK
        || sg_hdr_time_parse (sg_hdr_get (h, SG_HDR_CREATED), &created) != SG_OK) {
        fprintf (stderr, "sigmatctl: message %s: unreadable header\n", m.id);
        goto done;
    }
    const char *key_id = sg_hdr_get (h, SG_HDR_KEY_ID);
    if (o->sign_pub) {
        /* This node's own messages: its key files are not in the database. */
        char *pem, id[SG_SIGN_KEY_ID_LEN + 1];
        if (s_key_file (o->sign_pub, &pem, id) != CTL_OK)
            goto done;
        keys = peerkeys_load (m.origin_node, pem, NULL, 0);
        free (pem);
    }
    else {
        if (store_peer_get (store, m.origin_node, &peer, &diag) != SG_OK) {
            fprintf (stderr, "sigmatctl: message %s: origin node %s is not a registered peer; "
                     "hint: for this node's own messages give --sign-pub FILE\n", m.id,
                     m.origin_node);
            goto done;
        }
        if (store_sign_key_list (store, m.origin_node, &rows, &n, &diag) != SG_OK) {
            s_fail ("cannot list the keys", &diag);
            goto done;
        }
        keys = peerkeys_load (m.origin_node, peer.sign_public_pem, rows, n);
    }
    if (!keys) {
        fprintf (stderr, "sigmatctl: out of memory\n");
        goto done;
    }
    if (peerkeys_verify (keys, m.origin_node, key_id, created, m.header, m.header_len, m.body,
                         m.body_len, m.signature, m.signature_len, &diag) != SG_OK) {
        printf ("message %s: BAD: %s\n", m.id, diag.text);
        goto done;
    }
    printf ("message %s: signature of %s verified (key %s, signed %s)\n", m.id, m.origin_node,
            key_id ? key_id : "tried in turn", sg_hdr_get (h, SG_HDR_CREATED));
    rc = CTL_OK;
done:
    sg_hdr_destroy (&h);
    peerkeys_destroy (&keys);
    store_sign_keys_free (rows, n);
    store_peer_clear (&peer);
    store_message_clear (&m);
    return rc;
}

int
ctl_message_verify (const ctl_verb_t *v, int argc, char **argv)
{
    return s_run (v, argc, argv, 1, s_message_verify);
}
