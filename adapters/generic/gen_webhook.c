/* gen_webhook.c - the webhook thread: reads due hooks from the outbox
 * (the oldest pending one of each MRN), POSTs them with libcurl, marks
 * them delivered on 2xx or schedules the next try (doubling delay). */
#include "gen_webhook.h"

#include <curl/curl.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "log.h"

#define S_BATCH_MAX 1000

struct gen_webhook_t {
    const gen_conf_t *conf;
    gen_state_t *state;
    char key[256];
    size_t key_len;
    CURL *curl;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop, kicked, started;
    uint64_t delivered;
};

static int64_t
s_now_ms (void)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void
gen_webhook_sign (const void *key, size_t key_len, int64_t t, const char *body, size_t len,
                  char out[GEN_SIG_MAX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char ts[24];
    int tl = snprintf (ts, sizeof ts, "%lld.", (long long) t);
    unsigned char *data = malloc ((size_t) tl + len);
    out[0] = 0;
    if (!data)
        return;
    memcpy (data, ts, (size_t) tl);
    memcpy (data + tl, body, len);
    HMAC (EVP_sha256 (), key, (int) key_len, data, (size_t) tl + len, md, &n);
    free (data);
    int o = snprintf (out, GEN_SIG_MAX, "t=%lld,v1=", (long long) t);
    for (unsigned int i = 0; i < n && o + 2 < GEN_SIG_MAX; i++, o += 2)
        snprintf (out + o, 3, "%02x", md[i]);
}

int
gen_webhook_read_secret (const char *path, char *key, size_t size, sg_diag_t *diag)
{
    FILE *f = fopen (path, "r");
    if (!f)
        return sg_diag_set (diag, SG_EIO, 0, 0, "cannot read webhook secret %s: %m", path);
    if (!fgets (key, (int) size, f))
        key[0] = 0;
    fclose (f);
    key[strcspn (key, "\r\n")] = 0;
    if (strlen (key) < 16)
        return sg_diag_set (diag, SG_ECONFIG, 0, 0,
                            "%s: the webhook secret must have at least 16 bytes", path);
    return SG_OK;
}

static size_t
s_discard (char *ptr, size_t size, size_t nmemb, void *arg)
{
    return size * nmemb;
}

/* POSTs one hook; returns the HTTP status (0 when there was none) and an
 * error text in err. */
static long
s_post (gen_webhook_t *self, const gen_hook_t *h, char *err, size_t errsize)
{
    char sig[GEN_SIG_MAX], line[256], cerr[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    gen_webhook_sign (self->key, self->key_len, (int64_t) time (NULL), h->payload, h->payload_len,
                      sig);
    snprintf (line, sizeof line, "Content-Type: %s", h->content_type);
    hdrs = curl_slist_append (hdrs, line);
    snprintf (line, sizeof line, "%s: %s", GEN_SIGNATURE_HEADER, sig);
    hdrs = curl_slist_append (hdrs, line);
    snprintf (line, sizeof line, "X-Sigmat-Message-Id: %s", h->id);
    hdrs = curl_slist_append (hdrs, line);
    snprintf (line, sizeof line, "X-Sigmat-Type: %s", h->type);
    hdrs = curl_slist_append (hdrs, line);
    snprintf (line, sizeof line, "X-Sigmat-Mrn: %s", h->mrn);
    hdrs = curl_slist_append (hdrs, line);
    snprintf (line, sizeof line, "X-Sigmat-Attempt: %d", h->attempts + 1);
    hdrs = curl_slist_append (hdrs, line);
    hdrs = curl_slist_append (hdrs, "Expect:");
    CURL *c = self->curl;
    curl_easy_setopt (c, CURLOPT_URL, self->conf->webhook_url);
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt (c, CURLOPT_POSTFIELDS, h->payload);
    curl_easy_setopt (c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) h->payload_len);
    curl_easy_setopt (c, CURLOPT_ERRORBUFFER, cerr);
    CURLcode cc = curl_easy_perform (c);
    long status = 0;
    if (cc == CURLE_OK)
        curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK)
        snprintf (err, errsize, "%s", cerr[0] ? cerr : curl_easy_strerror (cc));
    else if (status < 200 || status > 299)
        snprintf (err, errsize, "HTTP %ld", status);
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt (c, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all (hdrs);
    return status;
}

/* One pass over the due hooks; returns how many were delivered, -1 if
 * none was due. */
static int
s_pass (gen_webhook_t *self)
{
    int max = self->conf->webhook_batch > S_BATCH_MAX ? S_BATCH_MAX : self->conf->webhook_batch;
    gen_hook_t *hooks = calloc ((size_t) max, sizeof *hooks);
    if (!hooks)
        return -1;
    int n = gen_state_hooks_due (self->state, s_now_ms (), hooks, max), ok = 0;
    for (int i = 0; i < n; i++) {
        char err[CURL_ERROR_SIZE + 32] = "";
        long status = s_post (self, &hooks[i], err, sizeof err);
        if (status >= 200 && status <= 299) {
            gen_state_hook_done (self->state, hooks[i].seq);
            pthread_mutex_lock (&self->lock);
            self->delivered++;
            pthread_mutex_unlock (&self->lock);
            ok++;
            sg_log_debug ("webhook %s %s %s delivered", hooks[i].type, hooks[i].mrn, hooks[i].id);
        } else {
            long long delay = self->conf->webhook_retry_min;
            for (int a = 0; a < hooks[i].attempts && delay < self->conf->webhook_retry_max; a++)
                delay *= 2;
            if (delay > self->conf->webhook_retry_max)
                delay = self->conf->webhook_retry_max;
            gen_state_hook_failed (self->state, hooks[i].seq, s_now_ms () + delay, err);
            sg_log_warn ("webhook %s %s %s failed (try %d): %s; next in %lld ms", hooks[i].type,
                      hooks[i].mrn, hooks[i].id, hooks[i].attempts + 1, err, delay);
        }
        gen_hook_clear (&hooks[i]);
        pthread_mutex_lock (&self->lock);
        int stop = self->stop;
        pthread_mutex_unlock (&self->lock);
        if (stop) {
            for (int j = i + 1; j < n; j++)
                gen_hook_clear (&hooks[j]);
            break;
        }
    }
    free (hooks);
    return n > 0 ? ok : -1;
}

static void *
s_run (void *arg)
{
    gen_webhook_t *self = arg;
    for (;;) {
        pthread_mutex_lock (&self->lock);
        int stop = self->stop;
        self->kicked = 0;
        pthread_mutex_unlock (&self->lock);
        if (stop)
            break;
        if (s_pass (self) >= 0)
            continue;       /* something was due: look again at once */
        int64_t wait = gen_state_hooks_next (self->state, s_now_ms ());
        if (wait < 0 || wait > 1000)
            wait = 1000;
        if (wait == 0)
            wait = 10;
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        ts.tv_sec += wait / 1000;
        ts.tv_nsec += (wait % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_mutex_lock (&self->lock);
        if (!self->stop && !self->kicked)
            pthread_cond_timedwait (&self->cond, &self->lock, &ts);
        pthread_mutex_unlock (&self->lock);
    }
    return NULL;
}

gen_webhook_t *
gen_webhook_new (const gen_conf_t *conf, gen_state_t *state, sg_diag_t *diag)
{
    gen_webhook_t *self = calloc (1, sizeof *self);
    if (!self) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    self->conf = conf;
    self->state = state;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->cond, NULL);
    if (gen_webhook_read_secret (conf->webhook_secret_file, self->key, sizeof self->key, diag))
        goto fail;
    self->key_len = strlen (self->key);
    curl_global_init (CURL_GLOBAL_DEFAULT);
    if (!(self->curl = curl_easy_init ())) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "cannot start libcurl");
        goto fail;
    }
    curl_easy_setopt (self->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (self->curl, CURLOPT_TIMEOUT_MS, (long) conf->webhook_timeout);
    curl_easy_setopt (self->curl, CURLOPT_CONNECTTIMEOUT_MS, (long) conf->webhook_timeout);
    curl_easy_setopt (self->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt (self->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (self->curl, CURLOPT_USERAGENT, "sigmat-generic");
    curl_easy_setopt (self->curl, CURLOPT_WRITEFUNCTION, s_discard);
    if (conf->webhook_ca_file)
        curl_easy_setopt (self->curl, CURLOPT_CAINFO, conf->webhook_ca_file);
    if (pthread_create (&self->thread, NULL, s_run, self) != 0) {
        sg_diag_set (diag, SG_ENOMEM, 0, 0, "cannot start the webhook thread");
        goto fail;
    }
    self->started = 1;
    return self;
fail:
    gen_webhook_destroy (&self);
    return NULL;
}

void
gen_webhook_kick (gen_webhook_t *self)
{
    if (!self)
        return;
    pthread_mutex_lock (&self->lock);
    self->kicked = 1;
    pthread_cond_signal (&self->cond);
    pthread_mutex_unlock (&self->lock);
}

uint64_t
gen_webhook_delivered (gen_webhook_t *self)
{
    pthread_mutex_lock (&self->lock);
    uint64_t n = self->delivered;
    pthread_mutex_unlock (&self->lock);
    return n;
}

void
gen_webhook_destroy (gen_webhook_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gen_webhook_t *self = *self_p;
    if (self->started) {
        pthread_mutex_lock (&self->lock);
        self->stop = 1;
        pthread_cond_signal (&self->cond);
        pthread_mutex_unlock (&self->lock);
        pthread_join (self->thread, NULL);
    }
    if (self->curl)
        curl_easy_cleanup (self->curl);
    pthread_cond_destroy (&self->cond);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}
