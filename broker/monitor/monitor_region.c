/* monitor_region.c - the region as a hub (or any node with http_peers) sees
 * it: the monitor itself fetches its peers' monitors (libcurl, short
 * timeouts, bounded answers), so the dashboard, the JSON API and `sigmatctl
 * top` show the same region and the peers' tokens never reach a browser.
 * The sampler gathers each peer's overview and its late movements
 * (overdue, under enquiry, discrepancy) every sample; corridor figures are
 * fetched when asked for (their period is the caller's). */
#include "config.h"
#include "monitor/monitor_int.h"
#include "log.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_ANSWER (8 * 1024 * 1024)

void
mon_redact_url (const char *url, char *out, size_t size)
{
    /* user:password@ and the value of every token= are secrets. */
    const char *scheme = strstr (url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *at = strchr (host, '@'), *slash = strchr (host, '/');
    sg_buf_t b = { 0 };
    if (at && (!slash || at < slash)) {
        sg_buf_put (&b, url, (size_t) (host - url));
        sg_buf_puts (&b, "redacted@");
        url = at + 1;
    }
    const char *q = strchr (url, '?');
    if (!q)
        sg_buf_puts (&b, url);
    else {
        sg_buf_put (&b, url, (size_t) (q - url));
        for (const char *p = q; *p;) {
            size_t n = strcspn (p + 1, "&") + 1;   /* "?k=v" or "&k=v" */
            const char *eq = memchr (p, '=', n);
            if (eq && (size_t) (eq - p - 1) == 5 && strncasecmp (p + 1, "token", 5) == 0) {
                sg_buf_put (&b, p, (size_t) (eq - p + 1));
                sg_buf_puts (&b, "redacted");
            }
            else
                sg_buf_put (&b, p, n);
            p += n;
        }
    }
    snprintf (out, size, "%s", b.data && !b.failed ? b.data : "redacted");
    sg_buf_free (&b);
}

static size_t
s_write (char *ptr, size_t size, size_t nmemb, void *arg)
{
    sg_buf_t *b = arg;
    size_t n = size * nmemb;
    if (b->len + n > S_MAX_ANSWER)
        return 0;
    sg_buf_put (b, ptr, n);
    return b->failed ? 0 : n;
}

int
monitor_fetch (const char *base, const char *path, const char *query, const char *token,
               const char *ca_file, sg_buf_t *body, char *err, size_t esize)
{
    size_t bl = strcspn (base, "?");
    const char *bq = base[bl] ? base + bl + 1 : "";
    while (bl && base[bl - 1] == '/')
        bl--;
    sg_buf_t url = { 0 }, auth = { 0 };
    int rc = -1, first = 1;
    sg_buf_printf (&url, "%.*s%s", (int) bl, base, path);
    for (const char *p = bq; *p;) {
        size_t n = strcspn (p, "&");
        if (n > 6 && strncmp (p, "token=", 6) == 0)
            sg_buf_printf (&auth, "Authorization: Bearer %.*s", (int) n - 6, p + 6);
        else if (n) {
            sg_buf_printf (&url, "%s%.*s", first ? "?" : "&", (int) n, p);
            first = 0;
        }
        p += n + (p[n] == '&');
    }
    if (query && *query)
        sg_buf_printf (&url, "%s%s", first ? "?" : "&", query);
    if (token && *token) {
        sg_buf_free (&auth);
        sg_buf_printf (&auth, "Authorization: Bearer %s", token);
    }
    CURL *c = curl_easy_init ();
    struct curl_slist *hdr = auth.data ? curl_slist_append (NULL, auth.data) : NULL;
    if (!c || url.failed || auth.failed || (auth.data && !hdr)) {
        snprintf (err, esize, "out of memory");
        goto done;
    }
    curl_easy_setopt (c, CURLOPT_URL, url.data);
    curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt (c, CURLOPT_WRITEDATA, body);
    if (hdr)
        curl_easy_setopt (c, CURLOPT_HTTPHEADER, hdr);
    if (ca_file && *ca_file)
        curl_easy_setopt (c, CURLOPT_CAINFO, ca_file);
    CURLcode cc = curl_easy_perform (c);
    long status = 0;
    curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK)
        snprintf (err, esize, "%s", curl_easy_strerror (cc));
    else if (status != 200)
        snprintf (err, esize, "answered HTTP %ld", status);
    else
        rc = 0;
done:
    if (c)
        curl_easy_cleanup (c);
    curl_slist_free_all (hdr);
    sg_buf_free (&url);
    sg_buf_free (&auth);
    return rc;
}

json_t *
mon_peer_get (const char *base, const char *path, const char *query, char *err, size_t esize)
{
    sg_buf_t body = { 0 };
    json_t *j = NULL;
    if (monitor_fetch (base, path, query, NULL, NULL, &body, err, esize) == 0) {
        json_error_t je;
        j = json_loadb (body.data ? body.data : "", body.len, 0, &je);
        if (!j)
            snprintf (err, esize, "not JSON: %s", je.text);
    }
    sg_buf_free (&body);
    return j;
}

/* The sum of the samples of a family (name, or name{...}) in a scrape. */
static double
s_sample_sum (const char *text, const char *name, int *found)
{
    size_t nl = strlen (name);
    double sum = 0;
    *found = 0;
    for (const char *p = text; p && *p;) {
        const char *eol = strchr (p, '\n');
        if (strncmp (p, name, nl) == 0 && (p[nl] == ' ' || p[nl] == '{')) {
            const char *v = p[nl] == '{' ? strchr (p + nl, '}') : p + nl;
            if (v && (!eol || v < eol)) {
                sum += strtod (v + (*v == '}'), NULL);
                *found = 1;
            }
        }
        p = eol ? eol + 1 : NULL;
    }
    return sum;
}

char *
mon_adapters_gather (monitor_t *self)
{
    static const char *const gauges[] = {
        "sigmat_adapter_node_connected", "sigmat_adapter_outbox_depth",
        "sigmat_adapter_outbox_oldest_age_seconds", "sigmat_adapter_files_rejected",
        "sigmat_adapter_files_processed_total", "sigmat_adapter_inbox_writes_total",
        "sigmat_adapter_webhooks_pending", "sigmat_adapter_webhooks_failing",
        "sigmat_adapter_webhooks_oldest_age_seconds", "sigmat_adapter_officer_actions_total",
    };
    json_t *all = json_array ();
    for (size_t i = 0; all && i < self->o.adapter_urls_n; i++) {
        char shown[512], err[256] = "";
        sg_buf_t body = { 0 };
        mon_redact_url (self->o.adapter_urls[i], shown, sizeof shown);
        json_t *a = json_pack ("{s:s}", "url", shown);
        if (monitor_fetch (self->o.adapter_urls[i], "", NULL, NULL, NULL, &body, err,
                           sizeof err) != 0 || !body.data) {
            json_object_set_new (a, "ok", json_false ());
            json_object_set_new (a, "error", json_string (err[0] ? err : "empty answer"));
        }
        else {
            json_object_set_new (a, "ok", json_true ());
            /* sigmat_adapter_info{program="...",name="..." or country="..."} */
            const char *info = strstr (body.data, "\nsigmat_adapter_info{");
            char prog[64] = "", who[64] = "";
            if (info) {
                sscanf (info, "\nsigmat_adapter_info{program=\"%63[^\"]\",%*[a-z]=\"%63[^\"]\"", prog, who);
                json_object_set_new (a, "program", json_string (prog));
                json_object_set_new (a, "name", json_string (who));
            }
            for (size_t k = 0; k < sizeof gauges / sizeof gauges[0]; k++) {
                int found;
                double v = s_sample_sum (body.data, gauges[k], &found);
                if (found)
                    json_object_set_new (a, gauges[k] + 15, json_real (v));
            }
        }
        sg_buf_free (&body);
        json_array_append_new (all, a);
    }
    char *s = all ? json_dumps (all, JSON_COMPACT) : NULL;
    json_decref (all);
    return s;
}

/* Appends the items of a peer's /api/movements answer to late, tagged. */
static void
s_late (json_t *late, json_t *answer, const char *node)
{
    size_t i;
    json_t *m;
    json_array_foreach (json_object_get (answer, "items"), i, m) {
        json_t *c = json_deep_copy (m);
        if (!c)
            continue;
        json_object_set_new (c, "node", json_string (node));
        json_array_append_new (late, c);
    }
}

char *
mon_region_gather (monitor_t *self)
{
    json_t *peers = json_array (), *late = json_array ();
    long long at = (long long) sg_wall_ms ();
    long long overdue = 0, enquiry = 0, discrepancy = 0;
    for (size_t i = 0; i < self->o.peer_urls_n; i++) {
        const char *base = self->o.peer_urls[i];
        char shown[512], err[256] = "";
        mon_redact_url (base, shown, sizeof shown);
        json_t *p = json_pack ("{s:s}", "url", shown);
        json_t *ov = mon_peer_get (base, "/api/overview", "history=0", err, sizeof err);
        json_t *a = ov ? mon_peer_get (base, "/api/movements", "overdue=1&limit=500", err, sizeof err) : NULL;
        json_t *b = a ? mon_peer_get (base, "/api/movements",
                                      "state=UNDER_ENQUIRY,DISCREPANCY&limit=500", err, sizeof err)
                      : NULL;
        if (!ov || !a || !b) {
            sg_log_debug ("monitor: region peer %s: %s", shown, err);
            json_object_set_new (p, "ok", json_false ());
            json_object_set_new (p, "error", json_string (err));
        }
        else {
            const char *node = json_string_value (json_object_get (json_object_get (ov, "config"), "node"));
            node = node ? node : shown;
            json_object_set_new (p, "ok", json_true ());
            json_object_set_new (p, "node", json_string (node));
            json_object_set (p, "db_up", json_object_get (ov, "db_up"));
            json_object_set (p, "lifecycle", json_object_get (ov, "lifecycle"));
            json_object_set (p, "links", json_object_get (ov, "links"));
            json_object_set (p, "movements", json_object_get (ov, "movements"));
            size_t n0 = json_array_size (late);
            s_late (late, a, node);
            s_late (late, b, node);
            for (size_t k = n0; k < json_array_size (late); k++) {
                const char *st = json_string_value (json_object_get (json_array_get (late, k), "state"));
                st = st ? st : "";
                if (strcmp (st, "UNDER_ENQUIRY") == 0)
                    enquiry++;
                else if (strcmp (st, "DISCREPANCY") == 0)
                    discrepancy++;
                else
                    overdue++;
            }
        }
        json_decref (ov);
        json_decref (a);
        json_decref (b);
        json_array_append_new (peers, p);
    }
    json_t *r = json_pack ("{s:I,s:o,s:o,s:{s:I,s:I,s:I}}", "gathered_at", (json_int_t) at,
                           "peers", peers, "late", late, "totals",
                           "overdue", (json_int_t) overdue, "under_enquiry", (json_int_t) enquiry,
                           "discrepancy", (json_int_t) discrepancy);
    char *s = r ? json_dumps (r, JSON_COMPACT) : NULL;
    json_decref (r);
    return s;
}

int
mon_region_corridors (monitor_t *self, const char *own, const char *query, sg_buf_t *out)
{
    json_error_t je;
    json_t *all = json_loads (own ? own : "[]", 0, &je), *peers = json_array ();
    if (!all || !peers) {
        json_decref (all);
        json_decref (peers);
        return -1;
    }
    for (size_t i = 0; i < self->o.peer_urls_n; i++) {
        const char *base = self->o.peer_urls[i];
        char shown[512], err[256] = "";
        mon_redact_url (base, shown, sizeof shown);
        json_t *ans = mon_peer_get (base, "/api/corridors", query, err, sizeof err);
        json_t *cs = json_object_get (ans, "corridors");
        if (ans && !json_is_array (cs))
            snprintf (err, sizeof err, "no corridors in the answer");
        if (json_is_array (cs)) {
            json_array_extend (all, cs);
            json_array_append_new (peers, json_pack ("{s:s,s:O?,s:b}", "url", shown, "node",
                                                     json_object_get (ans, "node"), "ok", 1));
        }
        else
            json_array_append_new (peers, json_pack ("{s:s,s:b,s:s}", "url", shown, "ok", 0,
                                                     "error", err));
        json_decref (ans);
    }
    char *a = json_dumps (all, JSON_COMPACT), *p = json_dumps (peers, JSON_COMPACT);
    json_decref (all);
    json_decref (peers);
    if (a && p) {
        sg_buf_puts (out, ",\"corridors\":");
        sg_buf_puts (out, a);
        sg_buf_puts (out, ",\"peers\":");
        sg_buf_puts (out, p);
    }
    int rc = a && p ? 0 : -1;
    free (a);
    free (p);
    return rc;
}
