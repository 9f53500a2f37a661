/* store.c - the store's connection, statement execution, binary helpers,
 * schema migrations and node identity. Intake is in store_intake.c, the
 * delivery queue in store_queue.c, peers and routes in store_peer.c. */
#include "node/store_int.h"
#include "file.h"
#include "log.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* Session settings: short OLTP statements, where parallel workers only add
 * startup latency (a generic plan for a LIMIT $n page would otherwise pick
 * Gather Merge and take 5x longer). Each execution of a prepared statement
 * is planned for its table as it is then: a plan kept from the first
 * minutes of a fresh database (a few rows, no statistics) read the whole
 * delivery table, or a hop's whole queue, for every ACK batch hours later. */
#define S_SESSION_SQL "SET client_min_messages = warning; SET max_parallel_workers_per_gather = 0;" \
                      " SET plan_cache_mode = force_custom_plan"

/* A reconnect in sigmatd spends at most this long per call, then lets
 * the caller go on for S_CONNECT_PAUSE_MS (store_i_ready). */
#define S_CONNECT_SLICE_MS 50
#define S_CONNECT_PAUSE_MS 200

/* Key of the advisory lock that serialises migrators ("SIGM"). */
#define S_MIGRATE_LOCK 0x5349474DLL


/* Server warnings go to the log instead of stderr. */
static void
s_notice (void *arg, const char *message)
{
    (void) arg;
    sg_log_warn ("database: %.*s", (int) strcspn (message, "\n"), message);
}

/* A new connection with our defaults first and the operator's conninfo
 * (expanded from dbname) last, so what the operator wrote wins: connect
 * within the store's timeout (10 s without one), TCP keepalives and, for
 * TCP, a user timeout, so a peer that vanished is noticed. */
static PGconn *
s_connect (store_t *self, int nonblocking)
{
    char ct[16], ut[16];
    int t = self->timeout_ms > 0 ? self->timeout_ms : 10000;
    snprintf (ct, sizeof ct, "%d", (t + 999) / 1000);
    snprintf (ut, sizeof ut, "%d", t);
    const char *keys[] = { "connect_timeout", "keepalives", "keepalives_idle",
                           "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                           "dbname", NULL };
    const char *vals[] = { ct, "1", "10", "5", "3", ut, self->conninfo, NULL };
    PGconn *conn = nonblocking ? PQconnectStartParams (keys, vals, 1)
                               : PQconnectdbParams (keys, vals, 1);
    if (conn)
        PQsetNoticeProcessor (conn, s_notice, NULL);
    return conn;
}

store_t *
store_new (const char *conninfo, sg_diag_t *diag)
{
    store_t *self = calloc (1, sizeof *self);
    if (!self) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    if (!(self->conninfo = strdup (conninfo ? conninfo : ""))) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        free (self);
        return NULL;
    }
    self->conn = s_connect (self, 0);
    if (!self->conn || PQstatus (self->conn) != CONNECTION_OK) {
        char msg[400];
        sg_strlcpy (msg, self->conn ? PQerrorMessage (self->conn) : "out of memory", sizeof msg);
        msg[strcspn (msg, "\n")] = '\0';
        sg_diag_set (diag, SG_EDB, 0, 0, "cannot connect to the database: %s", msg);
        store_destroy (&self);
        return NULL;
    }
    store_i_session (self);
    return self;
}

void
store_i_session (store_t *self)
{
    char sql[200];
    snprintf (sql, sizeof sql, "%s; SET statement_timeout = %d", S_SESSION_SQL, self->timeout_ms);
    PGresult *res = PQexec (self->conn, sql);
    PQclear (res);
}

int
store_set_timeout (store_t *self, int timeout_ms)
{
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
    if (self->conn && PQstatus (self->conn) == CONNECTION_OK)
        store_i_session (self);
    return store_i_guard_start (self);
}

void
store_destroy (store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    store_i_guard_stop (self);
    if (self->conn)
        PQfinish (self->conn);
    if (self->pending)
        PQfinish (self->pending);
    free (self->conninfo);
    free (self);
    *self_p = NULL;
}


/* ---- helpers shared by the store_*.c files ------------------------------ */

void
store_buf_u32 (store_buf_t *b, uint32_t v)
{
    unsigned char be[4] = { v >> 24, v >> 16, v >> 8, v };
    store_buf_put (b, be, 4);
}

/* PostgreSQL's binary array format (array_send): ndim, has-nulls flag,
 * element type, then per dimension its size and lower bound, then each
 * element as a 32-bit length (-1 for NULL) and its bytes. */
void
store_array_begin (store_buf_t *b, uint32_t elem_oid, size_t n, int has_nulls)
{
    b->len = 0;
    store_buf_u32 (b, 1);
    store_buf_u32 (b, has_nulls ? 1 : 0);
    store_buf_u32 (b, elem_oid);
    store_buf_u32 (b, (uint32_t) n);
    store_buf_u32 (b, 1);
}

void
store_array_elem (store_buf_t *b, const void *p, size_t len)
{
    if (!p) {
        store_buf_u32 (b, 0xffffffffu);
        return;
    }
    store_buf_u32 (b, (uint32_t) len);
    store_buf_put (b, p, len);
}

static int
s_hex (int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower (c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int
store_uuid_parse (const char *text, unsigned char out[16])
{
    if (!text || strlen (text) != 36)
        return -1;
    int k = 0;
    for (int i = 0; i < 36; ) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-')
                return -1;
            i++;
            continue;
        }
        int hi = s_hex ((unsigned char) text[i]), lo = s_hex ((unsigned char) text[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[k++] = (unsigned char) (hi << 4 | lo);
        i += 2;
    }
    return 0;
}

void
store_uuid_format (const unsigned char in[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    int k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hex[in[i] >> 4];
        out[k++] = hex[in[i] & 15];
    }
    out[k] = '\0';
}

long long
store_get_i64 (const char *p)
{
    const unsigned char *u = (const unsigned char *) p;
    unsigned long long v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | u[i];
    return (long long) v;
}

int
store_get_i32 (const char *p)
{
    const unsigned char *u = (const unsigned char *) p;
    return (int) ((uint32_t) u[0] << 24 | (uint32_t) u[1] << 16 | (uint32_t) u[2] << 8 | u[3]);
}

/* Builds a binary text[] of the n strings; SG_ENOMEM with diag set. */
int
store_i_text_array (store_buf_t *arr, const char *const *strs, size_t n, sg_diag_t *diag)
{
    store_array_begin (arr, STORE_OID_TEXT, n, 0);
    for (size_t i = 0; i < n; i++)
        store_array_elem (arr, strs[i], strlen (strs[i]));
    if (arr->failed) {
        store_buf_free (arr);
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    }
    return SG_OK;
}

int
store_token_ok (const char *s)
{
    if (!s || !*s)
        return 0;
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char) s[n] <= 0x20 || (unsigned char) s[n] >= 0x7f)
            return 0;
    return n <= 255;
}

/* Drives the reconnect started by store_i_ready for at most `slice` ms:
 * SG_OK when connected (self->conn replaced), SG_ETIMEOUT when it needs more
 * time, SG_EDB (diag set, the attempt over) when it failed or ran out of
 * the connect timeout. */
static int
s_reconnect (store_t *self, int64_t slice, sg_diag_t *diag)
{
    int64_t now = sg_clock_ms (), until = now + slice;
    if (!self->pending) {
        if (!(self->pending = s_connect (self, 1)))
            return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        self->pending_until = now + (self->timeout_ms > 0 ? self->timeout_ms : 10000);
        self->pending_poll = PGRES_POLLING_WRITING;
        if (PQstatus (self->pending) == CONNECTION_BAD)
            self->pending_poll = PGRES_POLLING_FAILED;
    }
    if (until > self->pending_until)
        until = self->pending_until;
    while (self->pending_poll != PGRES_POLLING_OK && self->pending_poll != PGRES_POLLING_FAILED) {
        now = sg_clock_ms ();
        if (now >= self->pending_until) {
            sg_diag_set (diag, SG_EDB, 0, 0, "cannot reconnect to the database: no answer "
                         "within %d ms", self->timeout_ms > 0 ? self->timeout_ms : 10000);
            goto failed;
        }
        if (now >= until)
            return SG_ETIMEOUT;
        struct pollfd p = { PQsocket (self->pending),
                            self->pending_poll == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0 };
        int r = poll (&p, 1, (int) (until - now));
        if (r < 0 && errno != EINTR) {
            sg_diag_set (diag, SG_EDB, 0, 0, "cannot reconnect to the database: poll: %s",
                         strerror (errno));
            goto failed;
        }
        if (r > 0)
            self->pending_poll = PQconnectPoll (self->pending);
    }
    if (self->pending_poll == PGRES_POLLING_FAILED) {
        char msg[400];
        sg_strlcpy (msg, PQerrorMessage (self->pending), sizeof msg);
        msg[strcspn (msg, "\n")] = '\0';
        sg_diag_set (diag, SG_EDB, 0, 0, "cannot reconnect to the database: %s",
                     msg[0] ? msg : "no reason given");
        goto failed;
    }
    /* The watchdog is held off while the connection changes. */
    store_i_guard_lock (self);
    PQfinish (self->conn);
    self->conn = self->pending;
    store_i_guard_unlock (self);
    self->pending = NULL;
    return SG_OK;
failed:
    PQfinish (self->pending);
    self->pending = NULL;
    return SG_EDB;
}

int
store_i_ready (store_t *self, sg_diag_t *diag)
{
    if (!self || !self->conn)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "no database connection");
    if (PQstatus (self->conn) == CONNECTION_OK)
        return SG_OK;
    /* A new connection in the middle of a transaction would run the rest
     * of it outside: fail until the caller rolls back. */
    if (self->in_tx)
        return sg_diag_set (diag, SG_EDB, 0, 0, "database connection lost during a transaction");
    int64_t now = sg_clock_ms ();
    if (now < self->down_until)
        return sg_diag_set (diag, SG_EDB, 0, 0, "database connection lost; %s in %lld ms",
                            self->pending ? "still connecting, next look" : "next try",
                            (long long) (self->down_until - now));
    /* A new connection rather than PQreset: it takes the timeout set since
     * store_new. With a timeout (sigmatd), the connection is made a slice
     * at a time, so that a database that does not answer costs the caller's
     * loop S_CONNECT_SLICE_MS, not the whole connect timeout; without one
     * (sigmatctl, the monitor), at once. */
    int64_t slice = self->timeout_ms > 0 ? S_CONNECT_SLICE_MS : INT64_MAX / 4;
    int rc = s_reconnect (self, slice, diag);
    if (rc == SG_ETIMEOUT) {
        self->down_until = sg_clock_ms () + S_CONNECT_PAUSE_MS;
        return sg_diag_set (diag, SG_EDB, 0, 0, "database connection lost; reconnecting");
    }
    self->prepared = 0;
    if (rc != SG_OK) {
        store_i_down (self);
        return rc;
    }
    self->down_ms = 0;
    store_i_session (self);
    sg_log_info ("database: connected again");
    return SG_OK;
}

int
store_i_fail (store_t *self, PGresult *res, const char *what, sg_diag_t *diag)
{
    char msg[400];
    const char *pg = res ? PQresultErrorMessage (res) : "";
    if (!pg || !*pg)
        pg = self && self->conn ? PQerrorMessage (self->conn) : "no connection";
    sg_strlcpy (msg, pg ? pg : "", sizeof msg);
    msg[strcspn (msg, "\n")] = '\0';
    if (strncmp (msg, "ERROR:  ", 8) == 0)
        memmove (msg, msg + 8, strlen (msg + 8) + 1);
    if (!msg[0])        /* libpq gave no text (out of memory, or nothing sent) */
        sg_strlcpy (msg, self && self->conn && PQstatus (self->conn) != CONNECTION_OK
                         ? "connection lost (no reason given)" : "no reason given", sizeof msg);
    return sg_diag_set (diag, SG_EDB, 0, 0, "%s: %s", what, msg);
}

/* res if it holds rows or a completed command; otherwise NULL, diag set,
 * and, when the connection went down with it, the reason logged and the
 * reconnect paused. */
static PGresult *
s_result (store_t *self, PGresult *res, const char *what, sg_diag_t *diag)
{
    ExecStatusType st = PQresultStatus (res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return res;
    sg_diag_t d;
    store_i_fail (self, res, what, &d);
    PQclear (res);
    if (PQstatus (self->conn) != CONNECTION_OK) {
        sg_log_warn ("database: connection lost: %s", d.text);
        self->prepared = 0;
        store_i_down (self);
    }
    sg_diag_set (diag, d.code, 0, 0, "%s", d.text);
    return NULL;
}

PGresult *
store_i_exec (store_t *self, int stmt, const char *what, const char *sql, int n,
              const Oid *types, const char *const *values, const int *lengths,
              const int *formats, int binary_result, sg_diag_t *diag)
{
    if (store_i_ready (self, diag) != SG_OK)
        return NULL;
    PGresult *res;
    if (stmt >= 0) {
        char name[16];
        snprintf (name, sizeof name, "sg_%d", stmt);
        if (!(self->prepared & (1u << stmt))) {
            if (!(res = s_result (self, PQprepare (self->conn, name, sql, n, types), what, diag)))
                return NULL;
            PQclear (res);
            self->prepared |= 1u << stmt;
        }
        res = PQexecPrepared (self->conn, name, n, values, lengths, formats, binary_result);
    }
    else
        res = PQexecParams (self->conn, sql, n, types, values, lengths, formats, binary_result);
    return s_result (self, res, what, diag);
}

/* ---- running SQL for the other modules ------------------------------------ */

PGresult *
store_exec (store_t *self, const char *what, const char *sql, int n, const char *const *values,
            int binary_result, sg_diag_t *diag)
{
    return store_i_exec (self, -1, what, sql, n, NULL, values, NULL, NULL, binary_result, diag);
}

int
store_send (store_t *self, const char *what, const char *sql, int n,
            const char *const *values, sg_diag_t *diag)
{
    if (store_i_ready (self, diag) != SG_OK)
        return SG_EDB;
    if (!PQsendQueryParams (self->conn, sql, n, NULL, values, NULL, NULL, 0)) {
        store_i_fail (self, NULL, what, diag);
        if (PQstatus (self->conn) != CONNECTION_OK) {
            self->prepared = 0;
            store_i_down (self);
        }
        return SG_EDB;
    }
    store_guard_begin (self);
    return SG_OK;
}

int
store_result (store_t *self, const char *what, int wait, PGresult **res, sg_diag_t *diag)
{
    *res = NULL;
    /* A failed read leaves the error for PQgetResult, which reports it. */
    if (!wait && PQconsumeInput (self->conn) && PQisBusy (self->conn))
        return SG_OK;
    PGresult *r = PQgetResult (self->conn), *more;
    while ((more = PQgetResult (self->conn)))
        PQclear (more);
    store_guard_end (self);
    if (!r && !(r = PQmakeEmptyPGresult (self->conn, PGRES_FATAL_ERROR)))
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "%s: out of memory", what);
    return (*res = s_result (self, r, what, diag)) ? SG_OK : SG_EDB;
}

int
store_run (store_t *self, const char *what, const char *sql, sg_diag_t *diag)
{
    if (store_i_ready (self, diag) != SG_OK)
        return SG_EDB;
    PGresult *res = s_result (self, PQexec (self->conn, sql), what, diag);
    if (!res)
        return SG_EDB;
    PQclear (res);
    return SG_OK;
}

int
store_begin (store_t *self, const char *what, sg_diag_t *diag)
{
    if (store_run (self, what, "BEGIN", diag) != SG_OK)
        return SG_EDB;
    self->in_tx = 1;
    return SG_OK;
}

int
store_commit (store_t *self, const char *what, sg_diag_t *diag)
{
    PGresult *res = store_i_exec (self, -1, what, "COMMIT", 0, NULL, NULL, NULL, NULL, 0, diag);
    self->in_tx = 0;
    if (!res)
        return SG_EDB;
    /* COMMIT of a failed transaction "succeeds" as a ROLLBACK */
    int rolled_back = strcmp (PQcmdStatus (res), "COMMIT") != 0;
    PQclear (res);
    if (rolled_back)
        return sg_diag_set (diag, SG_EDB, 0, 0, "%s: the transaction was rolled back", what);
    return SG_OK;
}

void
store_rollback (store_t *self)
{
    if (!self)
        return;
    self->in_tx = 0;
    if (self->conn && PQstatus (self->conn) == CONNECTION_OK
        && PQtransactionStatus (self->conn) != PQTRANS_IDLE)
        PQclear (PQexec (self->conn, "ROLLBACK"));
}

int
store_idle (const store_t *self)
{
    return self && self->conn && !self->in_tx && PQstatus (self->conn) == CONNECTION_OK
           && PQtransactionStatus (self->conn) == PQTRANS_IDLE;
}

int
store_ready (store_t *self, sg_diag_t *diag)
{
    return store_i_ready (self, diag) == SG_OK ? SG_OK : SG_EDB;
}

const char *
store_host (const store_t *self)
{
    const char *h = self && self->conn ? PQhost (self->conn) : NULL;
    return h && *h ? h : "?";
}

const char *
store_port (const store_t *self)
{
    const char *p = self && self->conn ? PQport (self->conn) : NULL;
    return p && *p ? p : "?";
}


/* ---- schema migrations -------------------------------------------------- */

typedef struct {
    int version;
    char name[256];
} s_migration_t;

static int
s_migration_cmp (const void *a, const void *b)
{
    return ((const s_migration_t *) a)->version - ((const s_migration_t *) b)->version;
}

/* Lists the NNN_name.sql files of dir sorted by NNN; *out is malloc'd. */
static int
s_list_migrations (const char *dir, s_migration_t **out, size_t *count, sg_diag_t *diag)
{
    *out = NULL;
    *count = 0;
    DIR *d = opendir (dir);
    if (!d)
        return sg_diag_set (diag, SG_EIO, 0, 0, "cannot read migrations folder %s: %s", dir,
                            strerror (errno));
    int rc = SG_OK;
    s_migration_t *list = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        const char *s = e->d_name;
        size_t len = strlen (s), digits = strspn (s, "0123456789");
        if (digits < 1 || digits > 6 || s[digits] != '_' || len < digits + 6
            || strcmp (s + len - 4, ".sql") != 0 || len >= sizeof list->name)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            s_migration_t *grown = realloc (list, cap * sizeof *list);
            if (!grown) {
                rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
                goto done;
            }
            list = grown;
        }
        list[n].version = atoi (s);
        sg_strlcpy (list[n].name, s, sizeof list[n].name);
        n++;
    }
    if (n)
        qsort (list, n, sizeof *list, s_migration_cmp);
    for (size_t i = 1; i < n; i++)
        if (list[i].version == list[i - 1].version) {
            rc = sg_diag_set (diag, SG_EINVAL, 0, 0, "two migrations with version %d: %s and %s",
                              list[i].version, list[i - 1].name, list[i].name);
            goto done;
        }
done:
    closedir (d);
    if (rc != SG_OK) {
        free (list);
        return rc;
    }
    *out = list;
    *count = n;
    return SG_OK;
}

int
store_migrations_available (const char *dir, int *latest)
{
    s_migration_t *list;
    size_t n;
    int rc = s_list_migrations (dir, &list, &n, NULL);
    if (rc != SG_OK)
        return rc;
    *latest = n ? list[n - 1].version : 0;
    free (list);
    return SG_OK;
}

/* Highest applied version, 0 when schema_migrations does not exist yet. */
static int
s_version (store_t *self, int *version, sg_diag_t *diag)
{
    *version = 0;
    PGresult *res = store_i_exec (self, -1, "cannot read the schema version",
                                  "SELECT to_regclass('schema_migrations') IS NOT NULL",
                                  0, NULL, NULL, NULL, NULL, 0, diag);
    if (!res)
        return SG_EDB;
    int exists = strcmp (PQgetvalue (res, 0, 0), "t") == 0;
    PQclear (res);
    if (!exists)
        return SG_OK;
    res = store_i_exec (self, -1, "cannot read the schema version",
                        "SELECT coalesce(max(version), 0) FROM schema_migrations",
                        0, NULL, NULL, NULL, NULL, 0, diag);
    if (!res)
        return SG_EDB;
    *version = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return SG_OK;
}

int
store_schema_version (store_t *self, int *version)
{
    return s_version (self, version, NULL);
}

/* Reads a whole file into a NUL-terminated malloc'd string. */
static char *
s_slurp (const char *path)
{
    sg_buf_t b = { 0 };
    if (sg_file_read (path, 0, &b) != SG_OK) {
        sg_buf_free (&b);
        return NULL;
    }
    return b.data ? sg_buf_take (&b) : strdup ("");
}

/* Applies one file in one transaction, unless another migrator already did. */
static int
s_apply (store_t *self, const char *dir, const s_migration_t *m, FILE *progress, sg_diag_t *diag)
{
    char path[4096], what[300], vtext[16];
    snprintf (path, sizeof path, "%s/%s", dir, m->name);
    snprintf (what, sizeof what, "migration %s failed", m->name);
    char *sql = s_slurp (path);
    if (!sql)
        return sg_diag_set (diag, SG_EIO, 0, 0, "cannot read %s: %s", path, strerror (errno));
    int rc = store_begin (self, what, diag);
    if (rc != SG_OK)
        goto done;
    char lock[64];
    snprintf (lock, sizeof lock, "SELECT pg_advisory_xact_lock(%lld)", S_MIGRATE_LOCK);
    int current;
    if ((rc = store_run (self, what, lock, diag)) != SG_OK
        || (rc = s_version (self, &current, diag)) != SG_OK)
        goto done;
    if (current >= m->version) {
        rc = store_commit (self, what, diag);
        goto done;
    }
    PGresult *res = PQexec (self->conn, sql);
    if (PQresultStatus (res) != PGRES_COMMAND_OK && PQresultStatus (res) != PGRES_TUPLES_OK) {
        rc = store_i_fail (self, res, what, diag);
        const char *pos = PQresultErrorField (res, PG_DIAG_STATEMENT_POSITION);
        if (pos && diag) {
            /* The position counts characters from 1; find its line. */
            long at = atol (pos), line = 1;
            for (long i = 0; sql[i] && i < at - 1; i++)
                line += sql[i] == '\n';
            diag->line = (int) line;
            char tail[300];
            snprintf (tail, sizeof tail, " (%s line %ld)", m->name, line);
            size_t len = strlen (diag->text);
            if (len + strlen (tail) < sizeof diag->text)
                memcpy (diag->text + len, tail, strlen (tail) + 1);
        }
        PQclear (res);
        goto done;
    }
    PQclear (res);
    snprintf (vtext, sizeof vtext, "%d", m->version);
    const char *params[2] = { vtext, m->name };
    res = store_i_exec (self, -1, what,
                        "INSERT INTO schema_migrations (version, name) VALUES ($1::integer, $2)",
                        2, NULL, params, NULL, NULL, 0, diag);
    if (!res) {
        rc = SG_EDB;
        goto done;
    }
    PQclear (res);
    if ((rc = store_commit (self, what, diag)) != SG_OK)
        goto done;
    if (progress)
        fprintf (progress, "applied %s\n", m->name);
done:
    if (rc != SG_OK)
        store_rollback (self);
    free (sql);
    return rc;
}

int
store_migrate (store_t *self, const char *dir, FILE *progress, sg_diag_t *diag)
{
    s_migration_t *list;
    size_t n;
    int rc = s_list_migrations (dir, &list, &n, diag);
    if (rc != SG_OK)
        return rc;
    int current = 0;
    if (n == 0)
        rc = sg_diag_set (diag, SG_EIO, 0, 0, "no NNN_name.sql migrations in %s", dir);
    else
        rc = s_version (self, &current, diag);
    for (size_t i = 0; rc == SG_OK && i < n; i++)
        if (list[i].version > current)
            rc = s_apply (self, dir, &list[i], progress, diag);
    if (rc == SG_OK && progress && n && list[n - 1].version <= current)
        fprintf (progress, "database schema is up to date (version %d)\n", current);
    free (list);
    return rc;
}

int
store_check_schema (store_t *self, const char *dir, sg_diag_t *diag)
{
    int latest, current;
    s_migration_t *list;
    size_t n;
    int rc = s_list_migrations (dir, &list, &n, diag);
    if (rc != SG_OK)
        return rc;
    latest = n ? list[n - 1].version : 0;
    free (list);
    if (latest == 0)
        return sg_diag_set (diag, SG_EIO, 0, 0, "no NNN_name.sql migrations in %s", dir);
    if ((rc = s_version (self, &current, diag)) != SG_OK)
        return rc;
    if (current < latest)
        return sg_diag_set (diag, SG_EDB, 0, 0,
                            "database schema is at version %d, this sigmatd needs %d; "
                            "hint: run `sigmatctl db migrate`", current, latest);
    if (current > latest)
        return sg_diag_set (diag, SG_EDB, 0, 0,
                            "database schema is at version %d, newer than this program "
                            "knows (%d, from %s); hint: a newer release migrated this database: "
                            "upgrade this program (and its migrations folder) to that release",
                            current, latest, dir);
    return SG_OK;
}

int
store_identity (store_t *self, const char *name, const char *country, sg_diag_t *diag)
{
    if (!store_token_ok (name))
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "bad node name");
    const char *params[2] = { name, country };
    PGresult *res = store_i_exec (self, -1, "cannot check the node identity",
                                  "WITH ins AS (INSERT INTO node_identity (name, country) "
                                  "VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING name, country) "
                                  "SELECT name, country FROM ins "
                                  "UNION ALL SELECT name, country FROM node_identity",
                                  2, NULL, params, NULL, NULL, 0, diag);
    if (!res)
        return SG_EDB;
    int rc = SG_OK, fill = 0;
    if (PQntuples (res) < 1)
        rc = sg_diag_set (diag, SG_EDB, 0, 0, "cannot check the node identity: no row");
    else if (strcmp (PQgetvalue (res, 0, 0), name) != 0)
        rc = sg_diag_set (diag, SG_ECONFIG, 0, 0,
                          "this database belongs to node \"%s\", not \"%s\"; hint: point `db` "
                          "at node %s's own database, or correct `name` in the config",
                          PQgetvalue (res, 0, 0), name, name);
    else if (country && !PQgetisnull (res, 0, 1) && strcmp (PQgetvalue (res, 0, 1), country) != 0)
        rc = sg_diag_set (diag, SG_ECONFIG, 0, 0,
                          "this database belongs to node \"%s\" of country %s, not %s; hint: "
                          "correct `country` in the config, or point `db` at the right database",
                          name, PQgetvalue (res, 0, 1), country);
    else
        fill = country && PQgetisnull (res, 0, 1);
    PQclear (res);
    if (fill) {
        /* A database from before migration 010: record the country now. */
        res = store_i_exec (self, -1, "cannot record the node's country",
                            "UPDATE node_identity SET country = $2 WHERE name = $1 AND country IS NULL",
                            2, NULL, params, NULL, NULL, 0, diag);
        if (!res)
            return SG_EDB;
        PQclear (res);
    }
    return rc;
}
