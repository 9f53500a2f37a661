/* asy_spool.c - reads the spool. A file is claimed by rename into work/;
 * its content hash is the ledger key. In ONE state transaction the adapter
 * decides the MRN (new, or the one the declaration already has), queues
 * the DEC and/or REL (message ids chosen here and stored with them) and
 * records the file; only then is the file moved to done/. After a kill -9
 * a file still in work/ is either unknown to the ledger (nothing was
 * committed: processed again from scratch) or known (committed: just moved
 * on), so each file yields its messages exactly once. */
#include "asy_spool.h"
#include "i18n.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "asy_amend.h"
#include "asy_map.h"
#include "asy_movement.h"
#include "file.h"
#include "ident.h"
#include "log.h"
#include "xmlsafe.h"

struct asy_spool_t {
    const asy_conf_t *conf;
    const asy_offices_t *tables;
    asy_state_t *state;
    asy_profile_t *profile;
};

static int
s_fsync_dir (const char *dir)
{
    int fd = open (dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync (fd);
    close (fd);
    return rc;
}

int
asy_write_atomic (const char *dir, const char *name, const char *data, size_t len,
                  sg_diag_t *diag)
{
    char path[4096];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    int rc = sg_file_write (path, data, len, 0644);
    if (rc != SG_OK)
        return sg_diag_set (diag, rc, 0, 0, "cannot write %s: %s", path,
                            rc == SG_EIO ? strerror (errno) : sg_strerror (rc));
    return SG_OK;
}

/* A name free in dir: name itself, else stem-2.ext, stem-3.ext ... */
static void
s_free_name (const char *dir, const char *name, char *out, size_t size)
{
    char path[4096];
    struct stat sb;
    sg_strlcpy (out, name, size);
    const char *dot = strrchr (name, '.');
    int stem = dot ? (int) (dot - name) : (int) strlen (name);
    for (int i = 2; i < 100000; i++) {
        snprintf (path, sizeof path, "%s/%s", dir, out);
        if (lstat (path, &sb) != 0)
            return;
        snprintf (out, size, "%.*s-%d%s", stem, name, i, dot ? dot : "");
    }
}

int
asy_move (const char *from, const char *name, const char *to, char *final, size_t size,
          sg_diag_t *diag)
{
    char src[4096], dst[4096];
    s_free_name (to, name, final, size);
    snprintf (src, sizeof src, "%s/%s", from, name);
    snprintf (dst, sizeof dst, "%s/%s", to, final);
    if (rename (src, dst) != 0)
        return sg_diag_set (diag, SG_EIO, 0, 0, "cannot move %s to %s: %s", src, dst,
                            strerror (errno));
    s_fsync_dir (to);
    s_fsync_dir (from);
    return SG_OK;
}

long
asy_count_files (const char *dir, const char *suffix)
{
    DIR *d = opendir (dir);
    if (!d)
        return -1;
    long n = 0;
    size_t sl = suffix ? strlen (suffix) : 0;
    for (struct dirent *e; (e = readdir (d));) {
        size_t l = strlen (e->d_name);
        if (e->d_name[0] == '.')
            continue;
        if (suffix && (l < sl || strcasecmp (e->d_name + l - sl, suffix) != 0))
            continue;
        n++;
    }
    closedir (d);
    return n;
}

static int
s_mkdir (const char *dir, sg_diag_t *diag)
{
    if (mkdir (dir, 0750) == 0 || errno == EEXIST)
        return SG_OK;
    return sg_diag_set (diag, SG_EIO, 0, 0, "cannot create folder %s: %s", dir, strerror (errno));
}

asy_spool_t *
asy_spool_new (const asy_conf_t *conf, const asy_offices_t *tables, asy_state_t *state,
               sg_diag_t *diag)
{
    const char *dirs[] = { conf->spool_dir, conf->work_dir, conf->done_dir, conf->rejected_dir,
                           conf->inbox_dir };
    for (int i = 0; i < 5; i++)
        if (s_mkdir (dirs[i], diag) != SG_OK)
            return NULL;
    asy_spool_t *self = calloc (1, sizeof *self);
    if (!self) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    if (!(self->profile = asy_profile_load (conf->mapping, diag))) {
        free (self);
        return NULL;
    }
    self->conf = conf;
    self->tables = tables;
    self->state = state;
    return self;
}

void
asy_spool_destroy (asy_spool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    asy_profile_destroy (&(*self_p)->profile);
    free (*self_p);
    *self_p = NULL;
}

/* The French part of a .err file: each reason's stable code ("  [CODE]
 * ..." lines of why) explained from the catalogue (i18n.h), and what to
 * do. The detail (SAD path, value) stays in the reason lines above it. */
static void
s_reasons_fr (const char *why, char *out, size_t size)
{
    char line[512], code[40];
    size_t o = (size_t) snprintf (out, size, "En français :\n");
    for (const char *p = why; (p = strstr (p, "  [")) && o < size; p++) {
        size_t len = strcspn (p + 3, "]\n");
        if (p[3 + len] != ']' || len >= 24)
            continue;
        snprintf (code, sizeof code, "err.%.*s", (int) len, p + 3);
        const char *a[5] = { NULL };
        i18n_format (I18N_FR, code, line, sizeof line, a);
        if (strcmp (line, code) != 0)           /* a code the catalogue knows */
            o += (size_t) snprintf (out + o, size - o, "  - %s : %s\n", code + 4, line);
    }
    if (o < size) {
        char what_to_do[1024];
        snprintf (out + o, size - o, "%s\n",
                  i18n_format (I18N_FR, "err.what_to_do", what_to_do, sizeof what_to_do, NULL));
    }
}

/* Writes rejected/FINAL.err (the reasons with their codes and SAD paths,
 * what to do, then the same in French), then moves work/name to
 * rejected/FINAL. */
static int
s_reject (asy_spool_t *self, const char *from, const char *name, const char *why, int line)
{
    char final[1024], errname[1100], now[21], text[32768];
    sg_diag_t d;
    s_free_name (self->conf->rejected_dir, name, final, sizeof final);
    snprintf (errname, sizeof errname, "%s.err", final);
    asy_now (now);
    char where[32] = "";
    if (line > 0)
        snprintf (where, sizeof where, " (line %d)", line);
    int nr = 0;
    for (const char *p = why; (p = strstr (p, "  [")); p++)
        nr++;
    char what_to_do[1024], fr[8192];
    s_reasons_fr (why, fr, sizeof fr);
    int n = snprintf (text, sizeof text,
                      "file: %s\nrejected: %s\nreasons: %d\n%s%s%s%s\n%s\n%s",
                      name, now, nr ? nr : 1, nr ? "" : "  ", why, where,
                      why[0] && why[strlen (why) - 1] == '\n' ? "" : "\n",
                      i18n_format (I18N_EN, "err.what_to_do", what_to_do, sizeof what_to_do, NULL), fr);
    int rc = asy_write_atomic (self->conf->rejected_dir, errname, text,
                               n > 0 && (size_t) n < sizeof text ? (size_t) n : strlen (text), &d);
    char dst[4096], src[4096];
    snprintf (src, sizeof src, "%s/%s", from, name);
    snprintf (dst, sizeof dst, "%s/%s", self->conf->rejected_dir, final);
    if (rc == SG_OK && rename (src, dst) != 0)
        rc = sg_diag_set (&d, SG_EIO, 0, 0, "cannot move %s to %s: %s", src, dst, strerror (errno));
    if (rc != SG_OK) {
        sg_log_error ("cannot reject %s: %s", name, d.text);
        return rc;
    }
    s_fsync_dir (self->conf->rejected_dir);
    s_fsync_dir (from);
    char src_name[1100], first[512];
    snprintf (src_name, sizeof src_name, "file:%s", name);
    sg_strlcpy (first, why[0] == ' ' ? why + 2 : why, sizeof first);
    first[strcspn (first, "\n")] = 0;
    asy_state_error (self->state, src_name, first);
    sg_log_warn ("rejected %s (%d reason%s): %s", name, nr ? nr : 1, nr > 1 ? "s" : "", first);
    return SG_OK;
}

void
asy_spool_refused (asy_spool_t *self, const char *name, const char *why)
{
    char path[4096];
    snprintf (path, sizeof path, "%s/%s", self->conf->done_dir, name);
    char text[1200];
    snprintf (text, sizeof text, "  [NODE_REFUSED] %s\n", why);
    if (access (path, F_OK) == 0)
        s_reject (self, self->conf->done_dir, name, text, 0);
    else
        sg_log_warn ("%s: %s", name, why);
}

static int
s_read (const char *path, size_t max, char **buf_p, size_t *len_p, sg_diag_t *diag)
{
    *buf_p = NULL;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat (fd, &sb) != 0) {
        int e = errno;
        if (fd >= 0)
            close (fd);
        return sg_diag_set (diag, SG_EIO, 0, 0, "cannot read %s: %s", path, strerror (e));
    }
    if ((size_t) sb.st_size > max) {
        close (fd);
        return sg_diag_set (diag, SG_ETOOBIG, 0, 0, "the file is %lld bytes, over max_file_size "
                            "(%zu bytes)", (long long) sb.st_size, max);
    }
    char *buf = malloc ((size_t) sb.st_size + 1);
    size_t off = 0;
    while (buf && off < (size_t) sb.st_size) {
        ssize_t n = read (fd, buf + off, (size_t) sb.st_size - off);
        if (n <= 0)
            break;
        off += (size_t) n;
    }
    close (fd);
    if (!buf || off != (size_t) sb.st_size) {
        free (buf);
        return sg_diag_set (diag, SG_EIO, 0, 0, "cannot read %s", path);
    }
    buf[off] = 0;
    *buf_p = buf;
    *len_p = off;
    return SG_OK;
}

static void
s_hash (const char *buf, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest (buf, len, md, &n, EVP_sha256 (), NULL);
    for (unsigned i = 0; i < 32; i++)
        sprintf (out + 2 * i, "%02x", md[i]);
}

/* Fills the header fields of a message from the departure office to its
 * node and serialises it into the outbox; the body is kept in *body_p
 * (free(), may be NULL) for a declaration. */
static int
s_queue (asy_spool_t *self, sg_msg_t *m, const char *mrn, const char *departure,
         const char *source, char **body_p, sg_diag_t *diag)
{
    sg_msgid_new (m->id);
    asy_now (m->issued);
    strcpy (m->mrn, mrn);
    strcpy (m->sender, departure);
    strcpy (m->recipient, departure);
    char *body = NULL;
    size_t len = 0;
    sg_diag_t d;
    int rc = sg_msg_serialize (m, &body, &len, &d);
    if (rc != SG_OK)
        return sg_diag_set (diag, SG_EINVAL, d.line, d.nak,
                            "  [INVALID_MESSAGE] the declaration does not make a valid %s "
                            "message: %s\n", sg_msg_type_name (m->type), d.text);
    rc = asy_state_outbox_add (self->state, m, body, len, source, diag);
    if (rc == SG_OK && body_p) {
        free (*body_p);
        *body_p = body;
    }
    else
        free (body);
    return rc;
}

/* A new MRN for info's declaration into mrn[19]; *bad when the office has
 * used them all. */
static int
s_new_mrn (asy_spool_t *self, const asy_sad_info_t *info, char *mrn, int *bad, sg_diag_t *diag)
{
    long long serial = 0;
    char s12[32];
    int rc = asy_state_next_serial (self->state, info->departure, info->year, &serial, diag);
    if (rc != SG_OK)
        return rc;
    *bad = serial < 1 || serial > 999999;
    snprintf (s12, sizeof s12, "%.6s%06lld", info->departure + 2, *bad ? 0 : serial);
    if (*bad || sg_mrn_new_ex (self->conf->country, info->year % 100, self->conf->procedure[0], s12,
                            mrn) != SG_OK) {
        *bad = 1;
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "  [NO_MRN] cannot make an MRN: office %s "
                            "has used all 999999 serial numbers of %d, or is not an office "
                            "reference\n", info->departure, info->year);
    }
    return SG_OK;
}

/* The CAN of a declaration cancelled in ASYCUDA (docs/asycuda.md). */
static int
s_queue_can (asy_spool_t *self, const asy_sad_info_t *info, const char *mrn, const char *source,
             sg_diag_t *diag)
{
    sg_msg_t *can = sg_msg_new (SG_MSG_CAN);
    if (!can)
        return sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    char now[21];
    asy_now (now);
    sg_strlcpy (can->event.date, info->cancel_date[0] ? info->cancel_date : now,
                sizeof can->event.date);
    sg_strlcpy (can->event.text, info->cancel_reason[0] ? info->cancel_reason
                : "cancelled in ASYCUDA World", sizeof can->event.text);
    int rc = s_queue (self, can, mrn, info->departure, source, NULL, diag);
    if (rc == SG_OK)
        rc = asy_movement_set (self->state, mrn, NULL, "CANCELLED", can, diag);
    sg_msg_destroy (&can);
    return rc;
}

/* The ledger transaction for one mapped file. *bad is set when the file
 * itself is at fault (reject it with diag's text: reason lines); otherwise
 * a non-OK return is a state error and the file stays in work/. The rules
 * (docs/asycuda.md, "Amendments" and "Cancellations"): a new declaration
 * sends DEC (+ REL when released); a copy sends nothing new (or its REL);
 * changed data sends AMD before release and is refused after it; a
 * cancellation sends CAN once. */
static int
s_commit (asy_spool_t *self, const char *name, const char *hash, sg_msg_t *dec, sg_msg_t *rel,
          const asy_sad_info_t *info, char *outcome, size_t osize, int *bad, sg_diag_t *diag)
{
    char mrn[32] = "", decid[40] = "", relid[40] = "", source[1100], changed[1024] = "";
    char *sent = NULL, *body = NULL;
    int cancelled = 0;
    snprintf (source, sizeof source, "file:%s", name);
    *bad = 0;
    int rc = asy_state_begin (self->state, diag);
    if (rc != SG_OK)
        return rc;
    int found = 0;
    rc = asy_state_declaration_get (self->state, info->key, mrn, decid, relid, &sent, &cancelled,
                                    diag);
    if (rc == SG_OK)
        found = 1;
    else if (rc == SG_ENOTFOUND)
        rc = SG_OK;
    else
        goto done;
    if (info->cancelled) {
        if (!found)
            snprintf (outcome, osize, "no message: declaration %s was cancelled in ASYCUDA "
                      "before it was sent", info->key);
        else if (cancelled)
            snprintf (outcome, osize, "no message: the cancellation of %s was already sent "
                      "(MRN %s)", info->key, mrn);
        else {
            if ((rc = s_queue_can (self, info, mrn, source, diag)) != SG_OK)
                goto bad;
            rc = asy_state_declaration_cancelled (self->state, info->key, decid, diag);
            snprintf (outcome, osize, "CAN MRN %s", mrn);
        }
        goto record;
    }
    if (cancelled) {
        *bad = 1;
        rc = sg_diag_set (diag, SG_EINVAL, 0, 0, "  [CANCELLED] declaration %s (MRN %s) was "
                          "cancelled and its CAN sent: a cancelled declaration is not sent "
                          "again; register a new one\n", info->key, mrn);
        goto done;
    }
    if (!found && (rc = s_new_mrn (self, info, mrn, bad, diag)) != SG_OK)
        goto done;
    int need_dec = !found, need_amd = 0, need_rel = rel && !relid[0];
    if (found && sent && sent[0]) {
        sg_msg_t *old = NULL;
        sg_diag_t pd;
        if (sg_msg_parse (sent, strlen (sent), NULL, &old, &pd) == SG_OK)
            need_amd = asy_decl_changes (&old->decl, &dec->decl, changed, sizeof changed) > 0;
        sg_msg_destroy (&old);
    }
    if (need_amd && relid[0]) {
        *bad = 1;
        rc = sg_diag_set (diag, SG_EINVAL, 0, 0, "  [CHANGED_AFTER_RELEASE] declaration %s "
                          "(MRN %s) was re-exported with changes after its release was sent: "
                          "%s. A released transit cannot be amended; cancel it or record the "
                          "change as an incident\n", info->key, mrn, changed);
        goto done;
    }
    if (!need_dec && !need_amd && !need_rel) {
        snprintf (outcome, osize, "no message: declaration %s was already sent (MRN %s)",
                  info->key, mrn);
        goto record;
    }
    if (need_amd)
        dec->type = SG_MSG_AMD;
    if ((need_dec || need_amd)
        && (rc = s_queue (self, dec, mrn, info->departure, source, &body, diag)) != SG_OK)
        goto bad;
    if (need_rel && (rc = s_queue (self, rel, mrn, info->departure, source, &body, diag)) != SG_OK)
        goto bad;
    if (need_dec)
        strcpy (decid, dec->id);
    if (need_rel)
        strcpy (relid, rel->id);
    rc = asy_state_declaration_put (self->state, info->key, mrn, info->lrn, info->departure,
                                    decid, relid[0] ? relid : NULL,
                                    need_rel ? rel->issued : dec->issued, diag);
    const sg_msg_t *last = need_rel ? rel : dec;
    if (rc == SG_OK)
        rc = asy_state_declaration_sent (self->state, info->key, last->id, body, diag);
    if (rc == SG_OK)
        rc = asy_movement_put_decl (self->state, last, info->departure, "DEPARTURE",
                                    need_rel || relid[0] ? "RELEASED" : "REGISTERED", diag);
    snprintf (outcome, osize, "%s%s%s MRN %s%s%s", need_dec ? "DEC" : need_amd ? "AMD" : "",
              (need_dec || need_amd) && need_rel ? "+" : "", need_rel ? "REL" : "", mrn,
              need_amd ? "; changed: " : "", need_amd ? changed : "");
record:
    if (rc == SG_OK)
        rc = asy_state_file_add (self->state, hash, name, info->key, mrn[0] ? mrn : NULL, outcome,
                                 diag);
    if (rc == SG_OK)
        rc = asy_state_commit (self->state, diag);
done:
    if (rc != SG_OK)
        asy_state_rollback (self->state);
    free (sent);
    free (body);
    return rc;
bad:
    if (rc == SG_EINVAL)
        *bad = 1;
    goto done;
}

/* Maps doc as the service does (DEC, and REL when released), with every
 * reason in rs. SG_OK (dec NULL for a cancellation), SG_ENOMEM, or an
 * error whose reasons are in rs. */
int
asy_spool_map (const asy_conf_t *conf, const asy_offices_t *tables, const asy_profile_t *profile,
               xmlDocPtr doc, asy_sad_info_t *info, sg_msg_t **dec_p, sg_msg_t **rel_p,
               asy_reasons_t *rs, sg_diag_t *diag)
{
    asy_map_opts_t opts = { .country = conf->country, .currency = conf->currency,
                            .profile = profile, .reasons = rs };
    *dec_p = *rel_p = NULL;
    int rc = asy_map_read (doc, tables, &opts, SG_MSG_DEC, info, dec_p, diag);
    if (rc == SG_OK && !info->cancelled && info->stage == ASY_STAGE_RELEASED) {
        rc = asy_map_read (doc, tables, &opts, SG_MSG_REL, info, rel_p, diag);
        if (rc != SG_OK)
            sg_msg_destroy (dec_p);
    }
    return rc;
}

int
asy_spool_process (asy_spool_t *self, const char *name)
{
    const asy_conf_t *conf = self->conf;
    char path[4096], hash[65], outcome[1600] = "", final[1024];
    char *buf = NULL, *why = NULL;
    size_t len = 0;
    xmlDocPtr doc = NULL;
    sg_msg_t *dec = NULL, *rel = NULL;
    asy_reasons_t *rs = NULL;
    sg_diag_t d;
    sg_diag_clear (&d);
    snprintf (path, sizeof path, "%s/%s", conf->work_dir, name);
    int rc = s_read (path, conf->max_file_size, &buf, &len, &d);
    if (rc == SG_ETOOBIG || rc == SG_EIO) {
        /* One file the adapter cannot read (too big, unreadable: permissions,
         * I/O error) is set aside so that the rest of the spool keeps flowing. */
        char w[700];
        snprintf (w, sizeof w, "  [%s] %s\n", rc == SG_ETOOBIG ? "FILE_TOO_BIG" : "FILE_UNREADABLE",
                  d.text);
        rc = s_reject (self, conf->work_dir, name, w, 0);
        goto done;
    }
    if (rc != SG_OK)
        goto done;
    s_hash (buf, len, hash);
    rc = asy_state_file_outcome (self->state, hash, outcome, sizeof outcome, &d);
    if (rc == SG_OK) {                       /* committed before a crash, or a copy */
        sg_log_info ("%s: already processed (%s)", name, outcome);
        rc = asy_move (conf->work_dir, name, conf->done_dir, final, sizeof final, &d);
        goto done;
    }
    if (rc != SG_ENOTFOUND)
        goto done;
    sg_xmlsafe_limits_t lim = { .max_bytes = conf->max_file_size, .max_depth = 0 };
    doc = sg_xmlsafe_parse (buf, len, &lim, &d);
    if (!doc) {
        char w[700];
        snprintf (w, sizeof w, "  [NOT_WELL_FORMED] not well-formed XML: %s\n", d.text);
        rc = s_reject (self, conf->work_dir, name, w, d.line);
        goto done;
    }
    asy_sad_info_t info;
    if (!(rs = calloc (1, sizeof *rs)) || !(why = malloc (24576))) {
        rc = SG_ENOMEM;
        goto done;
    }
    rc = asy_spool_map (conf, self->tables, self->profile, doc, &info, &dec, &rel, rs, &d);
    if (rc == SG_ENOMEM)
        goto done;
    if (rc != SG_OK) {
        asy_reasons_format (rs, why, 24576);
        rc = s_reject (self, conf->work_dir, name, why, 0);
        goto done;
    }
    int bad = 0;
    rc = s_commit (self, name, hash, dec, rel, &info, outcome, sizeof outcome, &bad, &d);
    if (bad) {
        rc = s_reject (self, conf->work_dir, name, d.text, d.line);
        goto done;
    }
    if (rc != SG_OK) {
        sg_log_error ("%s: %s (the file stays in %s and is tried again)", name, d.text,
                   conf->work_dir);
        asy_state_error (self->state, "state", d.text);
        goto done;
    }
    sg_log_info ("%s: %s (declaration %s, LRN %s)", name, outcome, info.key, info.lrn);
    rc = asy_move (conf->work_dir, name, conf->done_dir, final, sizeof final, &d);
done:
    if (rc != SG_OK && d.text[0])
        sg_log_error ("%s: %s", name, d.text);
    sg_msg_destroy (&dec);
    sg_msg_destroy (&rel);
    xmlFreeDoc (doc);
    free (buf);
    free (why);
    free (rs);
    return rc;
}

static int
s_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Names of the *.xml files in dir (settled ones only when settle >= 0). */
static char **
s_list (const char *dir, long long settle_ms, int max, size_t *n)
{
    *n = 0;
    DIR *d = opendir (dir);
    if (!d)
        return NULL;
    size_t cap = 64;
    char **v = malloc (cap * sizeof *v);
    time_t now = time (NULL);
    for (struct dirent *e; v && (e = readdir (d));) {
        size_t l = strlen (e->d_name);
        if (e->d_name[0] == '.' || l < 5 || strcasecmp (e->d_name + l - 4, ".xml") != 0)
            continue;
        char p[4096];
        struct stat sb;
        snprintf (p, sizeof p, "%s/%s", dir, e->d_name);
        if (lstat (p, &sb) != 0 || !S_ISREG (sb.st_mode))
            continue;
        if (settle_ms > 0 && (long long) (now - sb.st_mtime) * 1000 < settle_ms)
            continue;
        if (*n == cap) {
            char **nv = realloc (v, (cap *= 2) * sizeof *v);
            if (!nv)
                break;
            v = nv;
        }
        v[(*n)++] = strdup (e->d_name);
    }
    closedir (d);
    if (v)
        qsort (v, *n, sizeof *v, s_cmp);
    while (v && *n > (size_t) max)
        free (v[--*n]);
    return v;
}

static void
s_free_list (char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free (v[i]);
    free (v);
}

int
asy_spool_run (asy_spool_t *self, int max)
{
    const asy_conf_t *conf = self->conf;
    int done = 0, failed = 0;
    size_t n = 0;
    /* A file that fails (state or disk error: it stays in work/ and is
     * tried again) does not hold up the others. */
    char **v = s_list (conf->work_dir, -1, 1000000, &n);
    for (size_t i = 0; v && i < n; i++) {
        if (asy_spool_process (self, v[i]) != SG_OK)
            failed = 1;
        else
            done++;
    }
    s_free_list (v, n);
    v = s_list (conf->spool_dir, conf->spool_settle, max, &n);
    for (size_t i = 0; v && i < n; i++) {
        char src[4096], dst[4096];
        snprintf (src, sizeof src, "%s/%s", conf->spool_dir, v[i]);
        snprintf (dst, sizeof dst, "%s/%s", conf->work_dir, v[i]);
        if (access (dst, F_OK) == 0 || rename (src, dst) != 0)
            continue;                        /* taken meanwhile, or a name still in work/ */
        if (asy_spool_process (self, v[i]) != SG_OK)
            failed = 1;
        else
            done++;
    }
    s_free_list (v, n);
    return failed && !done ? -1 : done;
}
