/* msggen.c - valid test messages from a template, their headers, and a
 * client connection from key files (see msggen.h). */
#include "msggen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "file.h"
#include "header.h"
#include "sign.h"

static void
s_die (const char *fmt, const char *a)
{
    fprintf (stderr, "msggen: ");
    fprintf (stderr, fmt, a ? a : "");
    fprintf (stderr, "\n");
    exit (2);
}

char *
msggen_read (const char *path, size_t *len)
{
    sg_buf_t b = { 0 };
    if (sg_file_read (path, 1 << 30, &b) != SG_OK || !b.data)
        s_die ("cannot read %s", path);
    *len = b.len;
    return sg_buf_take (&b);
}

sg_msg_t *
msggen_template (const char *path)
{
    size_t len;
    char *buf = msggen_read (path, &len);
    sg_msg_t *m = NULL;
    sg_diag_t d;
    if (sg_msg_parse (buf, len, NULL, &m, &d) != SG_OK)
        s_die ("bad template: %s", d.text);
    free (buf);
    return m;
}

char *
msggen_body (sg_msg_t *t, const char *id, const char *mrn, const char *from, const char *to,
             size_t *len)
{
    char *buf;
    sg_diag_t d;
    sg_strlcpy (t->id, id, sizeof t->id);
    sg_strlcpy (t->mrn, mrn, sizeof t->mrn);
    sg_strlcpy (t->sender, from, sizeof t->sender);
    sg_strlcpy (t->recipient, to, sizeof t->recipient);
    if (sg_msg_type_has_declaration (t->type))
        sg_strlcpy (t->decl.departure, from, sizeof t->decl.departure);
    if (sg_msg_serialize (t, &buf, len, &d) != SG_OK)
        s_die ("cannot build a message: %s", d.text);
    return buf;
}

char *
msggen_header (const char *id, const char *type, const char *mrn, const char *from,
               const char *to, const char *origin, const char *extra_key,
               const char *extra_value, size_t *len)
{
    char *buf = NULL;
    sg_header_fields_t f = { .id = id, .type = type, .mrn = mrn, .sender = from, .recipient = to,
                             .origin = origin, .extra_key = extra_key,
                             .extra_value = extra_value };
    if (sg_header_build (&f, &buf, len) != SG_OK)
        s_die ("cannot build a header for %s", id);
    return buf;
}

sg_client_t *
msggen_connect (const char *node, const char *server_pub, const char *key_base,
                const char *name, const char *role, int window, long timeout_s)
{
    char path[1024], pub[41], sec[41], srv[41];
    snprintf (path, sizeof path, "%s.curve.pub", key_base);
    if (sg_sign_curve_load (path, pub) != SG_OK)
        s_die ("cannot read %s", path);
    snprintf (path, sizeof path, "%s.curve.key", key_base);
    if (sg_sign_curve_load (path, sec) != SG_OK)
        s_die ("cannot read %s", path);
    if (sg_sign_curve_load (server_pub, srv) != SG_OK)
        s_die ("cannot read %s", server_pub);
    sg_client_opts_t co = { .endpoint = node, .server_public_z85 = srv, .public_z85 = pub,
                            .secret_z85 = sec, .role = role, .name = name,
                            .timeout_ms = 2000, .window = window, .heartbeat_ms = 1000 };
    sg_diag_t d;
    time_t deadline = time (NULL) + timeout_s;
    for (;;) {
        sg_client_t *c = sg_client_new (&co, &d);
        if (c)
            return c;
        if (d.code == SG_EAUTH || time (NULL) > deadline) {
            printf ("CONNECT-FAILED %s\n", d.text);
            fflush (stdout);
            return NULL;
        }
    }
}
