/* ctl_message.c - sigmatctl verbs for message files: `message validate`
 * (file:line: reason per error) and `message show` (readable summary). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "file.h"
#include "msg.h"
#include "xmlsafe.h"

/* Reads a whole file, refusing more than max bytes (so a huge file is not
 * read into memory just to be rejected). */
static int
s_read_file (const char *path, size_t max, char **buf_p, size_t *len_p, sg_diag_t *diag)
{
    sg_buf_t b = { 0 };
    int rc = sg_file_read (path, max, &b);
    if (rc != SG_OK) {
        sg_buf_free (&b);
        return rc == SG_ETOOBIG ? sg_diag_set (diag, rc, 0, SG_NAK_TOO_LARGE, "file is larger "
                                               "than the limit of %zu bytes", max)
               : rc == SG_EIO ? sg_diag_set (diag, rc, 0, 0, "cannot read: %s", strerror (errno))
               : sg_diag_set (diag, rc, 0, 0, "out of memory");
    }
    *len_p = b.len;
    *buf_p = b.data ? sg_buf_take (&b) : calloc (1, 1);
    return *buf_p ? SG_OK : sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
}

static int
s_parse_file (const char *path, const sg_xmlsafe_limits_t *limits, sg_msg_t **msg_p,
              sg_diag_t *diag)
{
    char *buf = NULL;
    size_t len = 0;
    size_t max = limits->max_bytes ? limits->max_bytes : SG_XMLSAFE_DEFAULT_MAX_BYTES;
    int rc = s_read_file (path, max, &buf, &len, diag);
    if (rc != SG_OK)
        return rc;
    rc = sg_msg_parse (buf, len, limits, msg_p, diag);
    free (buf);
    return rc;
}

static int
s_size_arg (const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol (s, &end, 10);
    if (errno || *end || v < min || v > max)
        return 0;
    *out = v;
    return 1;
}

int
ctl_message_validate (const ctl_verb_t *v, int argc, char **argv)
{
    sg_xmlsafe_limits_t limits = { 0, 0 };
    int files = 0, bad = 0, opt;
    static const struct option opts[] = {
        { "max-bytes", required_argument, NULL, 'b' }, { "max-depth", required_argument, NULL, 'd' },
        { NULL, 0, NULL, 0 }
    };
    const char *val;
    /* in order: a limit applies to the files after it */
    while ((opt = ctl_getopt (argc, argv, opts, &val)) != -1) {
        long n;
        if (opt == 'b' || opt == 'd') {
            int bytes = opt == 'b';
            if (!s_size_arg (val, 1, bytes ? 1L << 30 : 10000, &n)) {
                fprintf (stderr, "sigmatctl: --max-%s needs a positive number\n",
                         bytes ? "bytes" : "depth");
                return CTL_USAGE;
            }
            if (bytes)
                limits.max_bytes = (size_t) n;
            else
                limits.max_depth = (int) n;
            continue;
        }
        if (opt != 1) {
            ctl_usage (v, 1);
            return CTL_USAGE;
        }
        files++;
        sg_msg_t *msg = NULL;
        sg_diag_t diag;
        sg_diag_clear (&diag);
        if (s_parse_file (val, &limits, &msg, &diag) == SG_OK) {
            printf ("%s: ok (%s %s)\n", val, sg_msg_type_name (msg->type), msg->mrn);
            sg_msg_destroy (&msg);
        }
        else {
            printf ("%s:%d: %s\n", val, diag.line, diag.text);
            bad++;
        }
    }
    if (files == 0) {
        ctl_usage (v, 1);
        return CTL_USAGE;
    }
    return bad ? CTL_FAIL : CTL_OK;
}

static void
s_show_declaration (const sg_msg_declaration_t *d)
{
    printf ("Declaration:    %s, LRN %s\n", d->type_code, d->lrn);
    printf ("Departure:      %s\n", d->departure);
    for (size_t i = 0; i < d->n_transit; i++)
        printf ("Transit %zu:      %s\n", i + 1, d->transit[i]);
    if (d->exit[0])
        printf ("Exit:           %s\n", d->exit);
    printf ("Destination:    %s\n", d->destination);
    if (d->n_routing) {
        printf ("Routing:        ");
        for (size_t i = 0; i < d->n_routing; i++)
            printf ("%s%s", i ? " -> " : "", d->routing[i]);
        printf ("\n");
    }
    if (d->release_date[0])
        printf ("Released:       %s\n", d->release_date);
    printf ("Time limit:     %s\n", d->time_limit);
    printf ("Principal:      %s (%s), %s, %s %s\n", d->principal.name, d->principal.id,
            d->principal.street, d->principal.city, d->principal.country);
    printf ("Guarantee:      %s, %s %s\n", d->guarantee_ref, d->guarantee_amount, d->currency);
    printf ("Transport:      %s (%s), mode %s\n", d->means.id, d->means.nationality, d->means.mode);
    for (size_t i = 0; i < d->n_containers; i++)
        printf ("Container:      %s\n", d->containers[i]);
    printf ("Seals:          %u:", d->seal_count);
    for (size_t i = 0; i < d->n_seals; i++)
        printf (" %s", d->seals[i]);
    printf ("\nItems:          %zu, %u packages, %s kg gross\n", d->n_items, d->total_packages,
            d->total_gross_mass);
    for (size_t i = 0; i < d->n_items; i++) {
        const sg_msg_item_t *it = &d->items[i];
        printf ("  %3d  HS %-8s %6u %-2s %12s kg  origin %s  %s\n", it->seq, it->hs_code,
                it->packages, it->package_type, it->gross_mass, it->origin, it->description);
    }
}

static void
s_show_event (const sg_msg_t *m)
{
    const sg_msg_event_t *e = &m->event;
    if (e->office[0])
        printf ("Office:         %s\n", e->office);
    if (e->datetime[0])
        printf ("At:             %s\n", e->datetime);
    if (e->date[0])
        printf ("Date:           %s\n", e->date);
    if (e->code[0])
        printf ("Code:           %s\n", e->code);
    if (m->type == SG_MSG_DCR)
        printf ("Seals intact:   %s\n", e->flag ? "yes" : "no");
    if (m->type == SG_MSG_WOF)
        printf ("Guarantee:      %s\n", e->flag ? "released" : "kept");
    if (e->location[0])
        printf ("Location:       %s\n", e->location);
    if (e->arrival_date[0])
        printf ("Arrived:        %s\n", e->arrival_date);
    if (e->text[0])
        printf ("Text:           %s\n", e->text);
    if (e->has_new_means)
        printf ("New transport:  %s (%s)\n", e->new_means.id, e->new_means.nationality);
    for (size_t i = 0; i < e->n_seals; i++)
        printf ("New seal:       %s\n", e->seals[i]);
}

static void
s_show_status (const sg_msg_status_t *s)
{
    printf ("Role / state:   %s / %s\n", s->role, s->state);
    printf ("Route:          %s", s->departure);
    for (size_t i = 0; i < s->n_transit; i++)
        printf (" -> %s", s->transit[i]);
    printf (" -> %s\n", s->destination);
    for (size_t i = 0; i < s->n_events; i++) {
        const sg_msg_status_event_t *e = &s->events[i];
        printf ("  %s  %-12s -> %-12s %s  %s\n", e->at, e->from[0] ? e->from : "-", e->to,
                e->office, e->message_id);
    }
}

int
ctl_message_show (const ctl_verb_t *v, int argc, char **argv)
{
    if (argc != 1) {
        ctl_usage (v, 1);
        return CTL_USAGE;
    }
    sg_xmlsafe_limits_t limits = { 0, 0 };
    sg_msg_t *m = NULL;
    sg_diag_t diag;
    sg_diag_clear (&diag);
    if (s_parse_file (argv[0], &limits, &m, &diag) != SG_OK) {
        fprintf (stderr, "%s:%d: %s\n", argv[0], diag.line, diag.text);
        return CTL_FAIL;
    }
    printf ("Message:        %s %s\n", sg_msg_type_name (m->type), m->id);
    printf ("MRN:            %s\n", m->mrn);
    printf ("From -> to:     %s -> %s\n", m->sender, m->recipient);
    printf ("Issued:         %s\n", m->issued);
    if (m->correlation_id[0])
        printf ("In reply to:    %s\n", m->correlation_id);
    if (sg_msg_type_has_declaration (m->type))
        s_show_declaration (&m->decl);
    else if (m->type == SG_MSG_STR)
        s_show_status (&m->status);
    else if (m->type == SG_MSG_NAK)
        printf ("Error:          %d %s%s%s\n", m->result.code, m->result.reason,
                m->result.pointer[0] ? " at " : "", m->result.pointer);
    else if (m->type != SG_MSG_ACK && m->type != SG_MSG_STQ)
        s_show_event (m);
    sg_msg_destroy (&m);
    return CTL_OK;
}
