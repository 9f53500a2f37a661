/* write.c - writes what a lifecycle transaction changed: the
 * movement views (upsert), their new events, the refused messages and the
 * incidents, all in ONE call of lifecycle_write() (migration 013, which
 * keeps the INSERTs' plans) over arrays (text-format array literals, one
 * element per row), whatever the size of the batch. */
#include "lifecycle/lifecycle_int.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A PostgreSQL text-format array literal under construction. */
typedef struct {
    sg_buf_t b;
    int n;
} s_arr_t;

static void
s_put (s_arr_t *a, const char *p, size_t n)
{
    sg_buf_put (&a->b, p, n);
}

/* Appends one element (NULL = SQL NULL), quoted and escaped. */
static void
s_add (s_arr_t *a, const char *v)
{
    s_put (a, a->n++ ? "," : "{", 1);
    if (!v) {
        s_put (a, "NULL", 4);
        return;
    }
    s_put (a, "\"", 1);
    for (const char *p = v; *p; ) {
        size_t span = strcspn (p, "\"\\");     /* runs with nothing to escape */
        s_put (a, p, span);
        p += span;
        if (*p) {
            char esc[2] = { '\\', *p++ };
            s_put (a, esc, 2);
        }
    }
    s_put (a, "\"", 1);
}

/* Appends v in decimal, unquoted (NULL when is_null). */
static void
s_addf (s_arr_t *a, long long v, int is_null)
{
    if (is_null) {
        s_add (a, NULL);
        return;
    }
    char buf[24], *p = buf + sizeof buf;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long) v : (unsigned long long) v;
    do
        *--p = (char) ('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    s_put (a, a->n++ ? "," : "{", 1);
    s_put (a, p, (size_t) (buf + sizeof buf - p));
}

static void
s_addhash (s_arr_t *a, const unsigned char h[LC_HASH_LEN])
{
    char hex[LC_HASH_LEN * 2 + 1];
    lc_hex (h, LC_HASH_LEN, hex);
    s_add (a, hex);
}

static const char *
s_end (s_arr_t *a)
{
    if (!a->n)
        s_put (a, "{", 1);
    s_put (a, "}", 1);
    return a->b.failed ? NULL : a->b.data;
}

static void
s_offices_csv (const lc_office_t *list, size_t n, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strncat (out, ",", size - strlen (out) - 1);
        strncat (out, list[i], size - strlen (out) - 1);
    }
}

/* ---- writing ----------------------------------------------------------------- */

/* lifecycle_write() (migration 013) upserts the views and inserts the
 * events, rejections and incidents with plans it keeps per connection. */
static const char s_sql_write[] =
    "SELECT lifecycle_write($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
    " $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],"
    " $13::text[], $14::text[], $15::int8[], $16::int8[], $17::int8[], $18::int8[],"
    " $19::int8[], $20::int4[], $21::text[], $22::text[], $23::text[], $24::int4[],"
    " $25::text[], $26::text[], $27::text[], $28::text[], $29::text[], $30::int8[],"
    " $31::text[], $32::text[], $33::text[], $34::text[], $35::text[], $36::text[],"
    " $37::text[], $38::text[], $39::text[], $40::text[], $41::int4[], $42::text[],"
    " $43::text[], $44::text[], $45::text[], $46::text[], $47::text[], $48::text[],"
    " $49::text[], $50::int8, $51::bool[])";

#define S_NW 51
#define S_NOW 49                    /* $50: the batch's time; the others are arrays */

int
lc_write (lc_batch_t *b)
{
    if (b->failed)
        return SG_EDB;
    size_t dirty = 0;
    for (size_t i = 0; i < b->nviews; i++)
        dirty += b->views[i]->dirty;
    if (!dirty && !b->nev && !b->nrej && !b->ninc)
        return SG_OK;
    s_arr_t a[S_NW];
    memset (a, 0, sizeof a);
    char csv[LC_MAX_OFFICES * 9 + 1];
    for (size_t i = 0; i < b->nviews; i++) {
        const lc_view_t *v = b->views[i];
        if (!v->dirty)
            continue;
        s_add (&a[0], v->mrn);
        s_add (&a[1], v->office);
        s_add (&a[2], lc_role_name (v->role));
        s_add (&a[3], lc_state_name (v->state));
        s_add (&a[4], v->departure);
        s_add (&a[5], v->destination);
        s_offices_csv (v->transit, v->n_transit, csv, sizeof csv);
        s_add (&a[6], csv);
        s_offices_csv (v->notified, v->n_notified, csv, sizeof csv);
        s_add (&a[7], csv);
        s_offices_csv (v->crossed, v->n_crossed, csv, sizeof csv);
        s_add (&a[8], csv);
        s_add (&a[9], v->time_limit[0] ? v->time_limit : NULL);
        s_add (&a[10], v->guarantee_ref[0] ? v->guarantee_ref : NULL);
        s_add (&a[11], v->guarantee_amount[0] ? v->guarantee_amount : NULL);
        s_add (&a[12], v->currency[0] ? v->currency : NULL);
        s_add (&a[13], v->decl_id[0] ? v->decl_id : NULL);
        s_addf (&a[14], v->created, 0);
        s_addf (&a[15], v->released, !v->released);
        s_addf (&a[16], v->arrived, !v->arrived);
        s_addf (&a[17], v->finished, !v->finished);
        s_addf (&a[18], v->state_since ? v->state_since : b->now, 0);
        s_addf (&a[19], v->events, 0);
        if (v->events)
            s_addhash (&a[20], v->last_hash);
        else
            s_add (&a[20], NULL);
        s_add (&a[50], v->stored ? "t" : "f");
    }
    for (size_t i = 0; i < b->nev; i++) {
        const lc_ev_t *e = &b->ev[i];
        s_add (&a[21], e->mrn);
        s_add (&a[22], e->office);
        s_addf (&a[23], e->seq, 0);
        s_add (&a[24], e->message_id);
        s_add (&a[25], e->msg_type);
        s_add (&a[26], e->from == LC_NONE ? NULL : lc_state_name (e->from));
        s_add (&a[27], lc_state_name (e->to));
        s_add (&a[28], e->at_office);
        s_addf (&a[29], e->at_ms, 0);
        s_addhash (&a[30], e->prev);
        s_addhash (&a[31], e->hash);
        s_add (&a[32], e->officer);
        s_add (&a[33], e->body_hash);
        s_add (&a[34], e->sig_hash);
    }
    for (size_t i = 0; i < b->nrej; i++) {
        const lc_rej_t *r = &b->rej[i];
        s_add (&a[35], r->id);
        s_add (&a[36], r->mrn);
        s_add (&a[37], r->type);
        s_add (&a[38], r->sender);
        s_add (&a[39], r->recipient);
        s_addf (&a[40], r->code, 0);
        s_add (&a[41], r->reason);
        s_add (&a[42], r->nak_id[0] ? r->nak_id : NULL);
    }
    for (size_t i = 0; i < b->ninc; i++) {
        const lc_inc_t *in = &b->inc[i];
        s_add (&a[43], in->id);
        s_add (&a[44], in->mrn);
        s_add (&a[45], in->office);
        s_add (&a[46], in->happened);
        s_add (&a[47], in->code);
        s_add (&a[48], in->text);
    }
    char now[32];
    snprintf (now, sizeof now, "%lld", (long long) b->now);
    const char *values[S_NW];
    int rc = SG_OK;
    for (int p = 0; p < S_NW; p++)
        if (p != S_NOW && !(values[p] = s_end (&a[p])))
            rc = SG_ENOMEM;
    values[S_NOW] = now;
    if (rc == SG_OK) {
        PGresult *r = lc_query (b, "cannot write the lifecycle rows", s_sql_write, S_NW, values, 0);
        if (!r)
            rc = SG_EDB;
        PQclear (r);
    }
    else
        lc_oom (b);
    for (int p = 0; p < S_NW; p++)
        sg_buf_free (&a[p].b);
    return rc;
}

