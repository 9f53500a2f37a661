/* officer.c - the token book: file format, lookups by SHA-256 in constant
 * time per entry, reload on change. Format (docs/officers.md), one token
 * per line, '#' starts a comment:
 *     ID  SHA256-HEX-OF-THE-TOKEN  OFFICE[,OFFICE...]
 * e.g. "a.ouedraogo 9f86d0...  BF000101,BF000201". */
#include "officer.h"
#include "code.h"
#include "header.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct officer_book_t {
    pthread_mutex_t lock;
    char *path;
    officer_t *file;            /* tokens of the file */
    size_t n_file;
    officer_t *extra;           /* tokens added by officer_book_add */
    size_t n_extra;
    time_t mtime, checked;
    long mtime_ns;
    off_t size;
};

void
officer_hash (const char *text, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest (text, strlen (text), md, &n, EVP_sha256 (), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf (out + 2 * i, 3, "%02x", md[i]);
}

int
officer_id_valid (const char *id)
{
    return sg_hdr_officer_check (id);
}

/* An office entry: 8-character reference, 2-letter country or "*". */
static int
s_office_ok (const char *o)
{
    return !strcmp (o, "*") || sg_code_office (o, SG_CODE_ANY);
}

/* Fills t from id, secret, office list; 0 or -1 with the reason in err. */
static int
s_fill (officer_t *t, const char *id, const char *secret, const char *offices, int hashed_only,
        char *err, size_t size)
{
    memset (t, 0, sizeof *t);
    if (!officer_id_valid (id)) {
        snprintf (err, size, "officer id \"%.80s\" must be 1-64 letters, digits or . _ @ -", id);
        return -1;
    }
    strcpy (t->id, id);
    const char *hex = !strncmp (secret, "sha256:", 7) ? secret + 7 : secret;
    int is_hex = strlen (hex) == 64;
    for (size_t i = 0; is_hex && i < 64; i++)
        is_hex = isxdigit ((unsigned char) hex[i]) != 0;
    if (is_hex) {
        for (size_t i = 0; i < 64; i++)
            t->sha256[i] = (char) tolower ((unsigned char) hex[i]);
    }
    else if (hashed_only || hex != secret) {
        snprintf (err, size, "officer %s: the token must be given as its SHA-256 (64 hex "
                  "digits; `sigmat-asycuda hash-token` prints it)", id);
        return -1;
    }
    else if (strlen (secret) < 16) {
        snprintf (err, size, "officer %s: a literal token must have at least 16 characters", id);
        return -1;
    }
    else
        officer_hash (secret, t->sha256);
    char list[1024], *save = NULL;
    sg_strlcpy (list, offices ? offices : "", sizeof list);
    for (char *o = strtok_r (list, ", \t", &save); o; o = strtok_r (NULL, ", \t", &save)) {
        if (!s_office_ok (o)) {
            snprintf (err, size, "officer %s: \"%.40s\" is not an office reference (BF000101), "
                      "a country (BF) or *", id, o);
            return -1;
        }
        if (t->n_offices == OFFICER_MAX_OFFICES) {
            snprintf (err, size, "officer %s: more than %d offices", id, OFFICER_MAX_OFFICES);
            return -1;
        }
        strcpy (t->offices[t->n_offices++], o);
    }
    if (!t->n_offices) {
        snprintf (err, size, "officer %s: no office: name the offices it may act for", id);
        return -1;
    }
    return 0;
}

/* Reads path into a new array; SG_OK, SG_EIO or SG_ECONFIG. */
static int
s_read (const char *path, officer_t **out, size_t *n_out, sg_diag_t *diag)
{
    FILE *f = fopen (path, "r");
    if (!f)
        return sg_diag_set (diag, SG_EIO, 0, 0, "officer token file %s: %s", path,
                            strerror (errno));
    officer_t *list = NULL;
    size_t n = 0, cap = 0;
    char line[2048], err[300];
    int lineno = 0, rc = SG_OK;
    while (fgets (line, sizeof line, f)) {
        lineno++;
        line[strcspn (line, "#\r\n")] = 0;
        char id[128] = "", secret[128] = "", offices[1024] = "";
        int k = sscanf (line, "%127s %127s %1023[^\n]", id, secret, offices);
        if (k <= 0)
            continue;
        if (n == cap) {
            officer_t *p = realloc (list, (cap = cap ? cap * 2 : 16) * sizeof *p);
            if (!p) {
                rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
                break;
            }
            list = p;
        }
        if (k < 3 || s_fill (&list[n], id, secret, offices, 1, err, sizeof err) != 0) {
            rc = sg_diag_set (diag, SG_ECONFIG, lineno, 0, "%s:%d: %s", path, lineno,
                              k < 3 ? "expected ID SHA256 OFFICE[,OFFICE...]" : err);
            break;
        }
        for (size_t i = 0; i < n && rc == SG_OK; i++)
            if (!strcmp (list[i].sha256, list[n].sha256) || !strcmp (list[i].id, list[n].id))
                rc = sg_diag_set (diag, SG_ECONFIG, lineno, 0, "%s:%d: officer %s: the id or "
                                  "the token is already on another line", path, lineno, id);
        if (rc != SG_OK)
            break;
        n++;
    }
    fclose (f);
    if (rc != SG_OK) {
        free (list);
        return rc;
    }
    *out = list;
    *n_out = n;
    return SG_OK;
}

officer_book_t *
officer_book_new (const char *path, sg_diag_t *diag)
{
    officer_book_t *self = calloc (1, sizeof *self);
    if (!self) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    if (path && *path) {
        if (!(self->path = strdup (path))) {
            sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
            officer_book_destroy (&self);
            return NULL;
        }
        if (officer_book_reload (self, 1, diag) != SG_OK)
            officer_book_destroy (&self);
    }
    return self;
}

void
officer_book_destroy (officer_book_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    officer_book_t *self = *self_p;
    pthread_mutex_destroy (&self->lock);
    OPENSSL_cleanse (self->file, self->n_file * sizeof *self->file);
    free (self->file);
    free (self->extra);
    free (self->path);
    free (self);
    *self_p = NULL;
}

int
officer_book_add (officer_book_t *self, const char *id, const char *secret, const char *offices,
                  sg_diag_t *diag)
{
    officer_t t;
    char err[300];
    if (s_fill (&t, id, secret, offices, 0, err, sizeof err) != 0)
        return sg_diag_set (diag, SG_EINVAL, 0, 0, "%s", err);
    pthread_mutex_lock (&self->lock);
    int rc = SG_OK;
    for (size_t i = 0; i < self->n_extra && rc == SG_OK; i++)
        if (!strcmp (self->extra[i].id, id) || !strcmp (self->extra[i].sha256, t.sha256))
            rc = sg_diag_set (diag, SG_EINVAL, 0, 0, "duplicate token name or secret");
    officer_t *p = rc == SG_OK ? realloc (self->extra, (self->n_extra + 1) * sizeof *p) : NULL;
    if (rc == SG_OK && !p)
        rc = sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
    if (p) {
        self->extra = p;
        self->extra[self->n_extra++] = t;
    }
    pthread_mutex_unlock (&self->lock);
    return rc;
}

/* Caller holds the lock. */
static int
s_reload (officer_book_t *self, int force, sg_diag_t *diag)
{
    if (!self->path)
        return SG_OK;
    struct stat st;
    if (stat (self->path, &st) != 0)
        return sg_diag_set (diag, SG_EIO, 0, 0, "officer token file %s: %s", self->path,
                            strerror (errno));
    if (!force && st.st_mtim.tv_sec == self->mtime && st.st_mtim.tv_nsec == self->mtime_ns
        && st.st_size == self->size)
        return SG_OK;
    officer_t *list = NULL;
    size_t n = 0;
    int rc = s_read (self->path, &list, &n, diag);
    if (rc != SG_OK)
        return rc;
    OPENSSL_cleanse (self->file, self->n_file * sizeof *self->file);
    free (self->file);
    self->file = list;
    self->n_file = n;
    self->mtime = st.st_mtim.tv_sec;
    self->mtime_ns = st.st_mtim.tv_nsec;
    self->size = st.st_size;
    return SG_OK;
}

int
officer_book_reload (officer_book_t *self, int force, sg_diag_t *diag)
{
    pthread_mutex_lock (&self->lock);
    size_t before = self->n_file;
    time_t old = self->mtime;
    int rc = s_reload (self, force, diag);
    if (rc == SG_OK && self->path && (force || old != self->mtime))
        sg_diag_set (diag, SG_OK, 0, 0, "officer token file %s: %zu tokens (%zu before)",
                     self->path, self->n_file, before);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

static const officer_t *
s_match (const officer_t *list, size_t n, const char *hex)
{
    const officer_t *found = NULL;
    for (size_t i = 0; i < n; i++)
        if (CRYPTO_memcmp (hex, list[i].sha256, 64) == 0)
            found = &list[i];
    return found;
}

int
officer_book_find (officer_book_t *self, const char *token, officer_t *out)
{
    if (!token || !*token)
        return 0;
    char hex[65];
    officer_hash (token, hex);
    pthread_mutex_lock (&self->lock);
    time_t now = time (NULL);
    if (self->path && now != self->checked) {
        sg_diag_t d;
        self->checked = now;
        size_t before = self->n_file;
        time_t old = self->mtime;
        if (s_reload (self, 0, &d) != SG_OK)
            sg_log_error ("%s (the previous tokens stay in use)", d.text);
        else if (old != self->mtime)
            sg_log_info ("officer token file %s reloaded: %zu tokens (%zu before)", self->path,
                      self->n_file, before);
    }
    const officer_t *o = s_match (self->file, self->n_file, hex);
    if (!o)
        o = s_match (self->extra, self->n_extra, hex);
    if (o && out)
        *out = *o;
    pthread_mutex_unlock (&self->lock);
    return o != NULL;
}

size_t
officer_book_size (officer_book_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t n = self->n_file + self->n_extra;
    pthread_mutex_unlock (&self->lock);
    return n;
}

int
officer_may (const officer_t *o, const char *office)
{
    for (size_t i = 0; o && office && i < o->n_offices; i++) {
        const char *e = o->offices[i];
        size_t n = strlen (e);
        if (!strcmp (e, "*") || (n == 2 && !strncmp (e, office, 2)) || !strcmp (e, office))
            return 1;
    }
    return 0;
}
