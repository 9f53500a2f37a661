/* ctl_client.c - sigmatctl verbs that speak SGTP/1 to a node through
 * libsigmat's client, so an operator can push and watch messages by hand:
 * `send` (files, each answered accepted or rejected) and `listen`
 * (deliveries printed, optionally saved, then acknowledged). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "ctl/ctl.h"
#include "file.h"
#include "header.h"
#include "sign.h"
#include "xmlsafe.h"

typedef struct {
    const char *node, *server_pub, *key, *name, *out;
    long count, timeout;
    char *files[256];
    int nfiles;
} s_opts_t;

static int
s_parse (const ctl_verb_t *v, int argc, char **argv, s_opts_t *o)
{
    memset (o, 0, sizeof *o);
    o->timeout = 30;
    static const struct option opts[] = {
        { "node", required_argument, NULL, 'n' }, { "server-pub", required_argument, NULL, 's' },
        { "key", required_argument, NULL, 'k' }, { "name", required_argument, NULL, 'N' },
        { "out", required_argument, NULL, 'o' }, { "count", required_argument, NULL, 'c' },
        { "timeout", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 }
    };
    const char *val;
    int opt;
    while ((opt = ctl_getopt (argc, argv, opts, &val)) != -1) {
        long *num = opt == 'c' ? &o->count : opt == 't' ? &o->timeout : NULL;
        char *end;
        switch (opt) {
        case 'n': o->node = val; break;
        case 's': o->server_pub = val; break;
        case 'k': o->key = val; break;
        case 'N': o->name = val; break;
        case 'o': o->out = val; break;
        case 'c':
        case 't':
            *num = strtol (val, &end, 10);
            if (*end || *num < 0) {
                fprintf (stderr, "sigmatctl: --%s needs a number, not \"%s\"\n",
                         opt == 'c' ? "count" : "timeout", val);
                return CTL_USAGE;
            }
            break;
        case 1:
            if (o->nfiles == 256) {
                fprintf (stderr, "sigmatctl: more than 256 files\n");
                return CTL_USAGE;
            }
            o->files[o->nfiles++] = (char *) val;
            break;
        default:
            ctl_usage (v, 1);
            return CTL_USAGE;
        }
    }
    if (!o->node || !o->server_pub || !o->key || !o->name) {
        fprintf (stderr, "sigmatctl: --node, --server-pub, --key and --name are required\n");
        ctl_usage (v, 1);
        return CTL_USAGE;
    }
    return CTL_OK;
}

/* Loads the node's public key and our key pair (BASE.curve.key/.pub) and
 * connects; NULL after saying why. */
static sg_client_t *
s_connect (const s_opts_t *o)
{
    char srv[SG_SIGN_CURVE_Z85_LEN + 1], pub[SG_SIGN_CURVE_Z85_LEN + 1], sec[SG_SIGN_CURVE_Z85_LEN + 1];
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s.curve.key", o->key);
    if (sg_sign_curve_load (o->server_pub, srv) != SG_OK || sg_sign_curve_load (path, sec) != SG_OK
        || sg_sign_curve_public (sec, pub) != SG_OK) {
        fprintf (stderr, "sigmatctl: cannot read the CURVE keys %s and %s\n", o->server_pub, path);
        return NULL;
    }
    sg_client_opts_t opts = { .endpoint = o->node, .server_public_z85 = srv, .public_z85 = pub,
                              .secret_z85 = sec, .role = "adapter", .name = o->name,
                              .timeout_ms = 10000 };
    sg_diag_t diag;
    sg_client_t *client = sg_client_new (&opts, &diag);
    if (!client)
        fprintf (stderr, "sigmatctl: cannot connect to %s: %s\n", o->node, diag.text);
    return client;
}

/* What a verb does once connected: an exit code. */
typedef int (s_body_fn) (sg_client_t *client, const s_opts_t *o);

/* Runs verb v: parses its words (files: at least one FILE operand),
 * connects, calls body and disconnects. Returns body's exit code, or
 * CTL_USAGE / CTL_FAIL after saying what is wrong. */
static int
s_run (const ctl_verb_t *v, int argc, char **argv, int files, s_body_fn *body)
{
    s_opts_t o;
    int rc = s_parse (v, argc, argv, &o);
    if (rc != CTL_OK)
        return rc;
    if (files && o.nfiles == 0) {
        ctl_usage (v, 1);
        return CTL_USAGE;
    }
    sg_client_t *client = s_connect (&o);
    if (!client)
        return CTL_FAIL;
    rc = body (client, &o);
    sg_client_destroy (&client);
    return rc;
}

static char *
s_read (const char *path, size_t *len)
{
    /* One byte past the limit, so the caller sees a file too large. */
    sg_buf_t b = { 0 };
    *len = 0;
    int rc = sg_file_read (path, SG_XMLSAFE_DEFAULT_MAX_BYTES + 1, &b);
    if ((rc != SG_OK && rc != SG_ETOOBIG) || !b.data) {
        sg_buf_free (&b);
        return rc == SG_OK ? calloc (1, 1) : NULL;
    }
    *len = b.len;
    return sg_buf_take (&b);
}

static int
s_send (sg_client_t *client, const s_opts_t *o)
{
    char ids[256][37];
    int waiting = 0, bad = 0;
    for (int i = 0; i < o->nfiles; i++) {
        size_t len;
        char *body = s_read (o->files[i], &len);
        sg_diag_t diag;
        ids[i][0] = '\0';
        if (!body)
            printf ("%s: rejected locally: %s\n", o->files[i], strerror (errno));
        else if (sg_client_send_body (client, body, len, ids[i], &diag) != SG_OK)
            printf ("%s: rejected locally: %s\n", o->files[i], diag.text);
        else
            waiting++;
        bad += ids[i][0] == '\0';
        free (body);
    }
    time_t deadline = time (NULL) + o->timeout;
    while (waiting > 0 && time (NULL) < deadline) {
        sg_event_t ev = { 0 };
        if (sg_client_poll (client, &ev, 500) != SG_OK)
            continue;
        for (int i = 0; i < o->nfiles; i++) {
            if (!ids[i][0] || strcmp (ids[i], ev.id) != 0)
                continue;
            if (ev.type == SG_EV_ACK)
                printf ("%s: accepted %s\n", o->files[i], ev.id);
            else if (ev.type == SG_EV_NAK) {
                printf ("%s: rejected %d %s\n", o->files[i], ev.code, ev.reason);
                bad++;
            }
            ids[i][0] = '\0';
            waiting--;
        }
        sg_event_clear (&ev);
    }
    for (int i = 0; i < o->nfiles && waiting > 0; i++)
        if (ids[i][0])
            printf ("%s: no answer from the node within %lds (%s)\n", o->files[i], o->timeout, ids[i]);
    return bad || waiting ? CTL_FAIL : CTL_OK;}

int
ctl_send (const ctl_verb_t *v, int argc, char **argv)
{
    return s_run (v, argc, argv, 1, s_send);
}

/* Writes body to DIR/ID.xml durably (sg_file_write). */
static int
s_save (const char *dir, const char *id, const char *body, size_t len)
{
    char final[PATH_MAX];
    snprintf (final, sizeof final, "%s/%s.xml", dir, id);
    return sg_file_write (final, body, len, 0644) == SG_OK ? 0 : -1;
}

static int
s_listen (sg_client_t *client, const s_opts_t *o)
{
    int rc = CTL_OK;
    setvbuf (stdout, NULL, _IOLBF, 0);
    long seen = 0;
    time_t idle_until = time (NULL) + o->timeout;
    while ((o->count == 0 || seen < o->count) && (o->timeout == 0 || time (NULL) < idle_until)) {
        sg_event_t ev = { 0 };
        int prc = sg_client_poll (client, &ev, 500);
        if (prc == SG_EAUTH || prc == SG_EIO) {
            fprintf (stderr, "sigmatctl: connection lost: %s\n", ev.reason);
            rc = CTL_FAIL;
            break;
        }
        if (prc != SG_OK || ev.type != SG_EV_DELIVER) {
            sg_event_clear (&ev);
            continue;
        }
        sg_hdr_t *hdr = NULL;
        sg_diag_t diag;
        if (sg_hdr_parse (ev.header, ev.header_len, &hdr, &diag) != SG_OK) {
            fprintf (stderr, "sigmatctl: delivery %s has a bad header: %s\n", ev.id, diag.text);
            sg_client_nak (client, ev.id, diag.nak ? diag.nak : SG_NAK_INCORRECT_VALUE, diag.text);
        }
        else if (o->out && s_save (o->out, ev.id, ev.body, ev.body_len) != 0) {
            fprintf (stderr, "sigmatctl: cannot save %s in %s: %s; not acknowledged\n", ev.id, o->out,
                     strerror (errno));
            rc = CTL_FAIL;
        }
        else {
            printf ("DELIVER %s %s %s %s %s\n", ev.id, sg_hdr_get (hdr, SG_HDR_TYPE),
                    sg_hdr_get (hdr, SG_HDR_MRN),
                    sg_hdr_get (hdr, SG_HDR_SENDER), sg_hdr_get (hdr, SG_HDR_RECIPIENT));
            sg_client_ack (client, ev.id);
            seen++;
            idle_until = time (NULL) + o->timeout;
        }
        sg_hdr_destroy (&hdr);
        sg_event_clear (&ev);
    }
    /* Let the batched ACKs go out before closing. */
    sg_event_t ev = { 0 };
    sg_client_poll (client, &ev, 200);
    sg_event_clear (&ev);
    return rc;}

int
ctl_listen (const ctl_verb_t *v, int argc, char **argv)
{
    return s_run (v, argc, argv, 0, s_listen);
}
