/* ctl_top.c - `sigmatctl top`: the corridor dashboard in a terminal. It
 * scrapes the node's /metrics (the monitor, broker/monitor/monitor.h) every
 * second over HTTP or HTTPS (monitor_fetch, libcurl), keeps the previous
 * scrape to turn counters into rates, and redraws one ANSI frame: links with state, queue, oldest
 * message, in flight, dead letters, rates and last contact; movements by
 * state; NAKs by code. q quits; --once prints one plain frame and exits. */
#include "config.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "monitor/monitor.h"

#define S_MAX_SERIES 8192
#define S_MAX_LINKS 128

typedef struct {
    char name[64], link[64], label2[48];    /* label2: type, role/state, code */
    double v;
} s_series_t;

typedef struct {
    char name[64], role[32];
    int up, has_up, has_queue;      /* has_queue: the monitor lists it as a link */
    int expected, has_expected;     /* should be up (sigmat_link_expected_up) */
    double in, out, acked, depth, oldest, inflight, dead, last_seen, naks_in, naks_out;
    double rin, rout;                       /* per second, -1 unknown */
} s_link_t;

typedef struct {
    s_series_t *s;
    size_t n;
    s_link_t links[S_MAX_LINKS];
    size_t nlinks;
    char node[64], version[32];
    double started, batches, db_up, lifecycle, overdue, enquiry;
    struct timespec at;
} s_frame_t;

static volatile sig_atomic_t s_stop;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;
}

/* ---- HTTP ---------------------------------------------------------------- */

/* GETs the /metrics of url (the monitor's base URL, or its /metrics
 * itself; http or https, the server checked against the certificates of
 * SIGMAT_MONITOR_CA_FILE when set, else the system's) with the monitor's
 * client (monitor_fetch) into a malloc'd text; NULL on error with the
 * reason in err. */
static char *
s_get (const char *url, const char *token, char *err, size_t esize)
{
    size_t n = strcspn (url, "?");
    const char *query = url + n;
    while (n && url[n - 1] == '/')
        n--;
    if (n >= 8 && strncmp (url + n - 8, "/metrics", 8) == 0)
        n -= 8;
    sg_buf_t base = { 0 }, body = { 0 };
    sg_buf_put (&base, url, n);
    sg_buf_puts (&base, query);
    char why[256] = "out of memory";
    int rc = base.failed ? -1 : monitor_fetch (base.data, "/metrics", NULL, token,
                                               getenv ("SIGMAT_MONITOR_CA_FILE"), &body, why,
                                               sizeof why);
    sg_buf_free (&base);
    if (rc == 0 && !body.data)
        snprintf (why, sizeof why, "empty answer");
    if (rc != 0 || !body.data) {
        snprintf (err, esize, "%s: %s", url, why);
        sg_buf_free (&body);
        return NULL;
    }
    return sg_buf_take (&body);
}

/* ---- parsing --------------------------------------------------------------- */

static void
s_label (const char *labels, const char *key, char *out, size_t size)
{
    char pat[40];
    snprintf (pat, sizeof pat, "%s=\"", key);
    out[0] = '\0';
    const char *p = labels;
    while ((p = strstr (p, pat)) != NULL) {
        if (p == labels || p[-1] == '{' || p[-1] == ',')
            break;
        p++;
    }
    if (!p)
        return;
    p += strlen (pat);
    size_t k = 0;
    while (*p && *p != '"' && k + 1 < size) {
        if (*p == '\\' && p[1])
            p++;
        out[k++] = *p++;
    }
    out[k] = '\0';
}

static s_link_t *
s_link (s_frame_t *f, const char *name)
{
    for (size_t i = 0; i < f->nlinks; i++)
        if (strcmp (f->links[i].name, name) == 0)
            return &f->links[i];
    if (f->nlinks == S_MAX_LINKS)
        return NULL;
    s_link_t *l = &f->links[f->nlinks++];
    memset (l, 0, sizeof *l);
    snprintf (l->name, sizeof l->name, "%s", name);
    l->rin = l->rout = -1;
    return l;
}

/* Reads the text format into f (series and per-link numbers). */
static void
s_parse (s_frame_t *f, char *text)
{
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n")) {
        if (line[0] == '#' || !line[0] || f->n == S_MAX_SERIES)
            continue;
        s_series_t *s = &f->s[f->n];
        size_t nl = strcspn (line, "{ ");
        snprintf (s->name, sizeof s->name, "%.*s", (int) nl, line);
        char labels[512] = "";
        const char *rest = line + nl;
        if (*rest == '{') {
            const char *close = strchr (rest, '}');
            if (!close)
                continue;
            snprintf (labels, sizeof labels, "%.*s", (int) (close - rest + 1), rest);
            rest = close + 1;
        }
        s->v = strtod (rest, NULL);
        s_label (labels, "link", s->link, sizeof s->link);
        s_label (labels, "type", s->label2, sizeof s->label2);
        if (!s->label2[0])
            s_label (labels, "role", s->label2, sizeof s->label2);
        if (!s->label2[0])
            s_label (labels, "state", s->label2, sizeof s->label2);
        if (!s->label2[0])
            s_label (labels, "code", s->label2, sizeof s->label2);
        if (strcmp (s->name, "sigmat_movements") == 0) {
            char role[16], state[24];
            s_label (labels, "role", role, sizeof role);
            s_label (labels, "state", state, sizeof state);
            snprintf (s->label2, sizeof s->label2, "%s%s%s", role, role[0] ? "/" : "", state);
        }
        if (strcmp (s->name, "sigmat_region_monitor_up") == 0)
            s_label (labels, "peer", s->label2, sizeof s->label2);
        if (strcmp (s->name, "sigmat_naks_total") == 0) {
            char dir[16], code[8];
            s_label (labels, "direction", dir, sizeof dir);
            s_label (labels, "code", code, sizeof code);
            snprintf (s->label2, sizeof s->label2, "%s %s", dir, code);
        }
        if (strcmp (s->name, "sigmat_info") == 0) {
            s_label (labels, "node", f->node, sizeof f->node);
            s_label (labels, "version", f->version, sizeof f->version);
        }
        f->n++;
        const char *n = s->name;
        if (!s->link[0]) {
            if (strcmp (n, "sigmat_start_time_seconds") == 0) f->started = s->v;
            else if (strcmp (n, "sigmat_batches_total") == 0) f->batches = s->v;
            else if (strcmp (n, "sigmat_monitor_db_up") == 0) f->db_up = s->v;
            else if (strcmp (n, "sigmat_lifecycle_available") == 0) f->lifecycle = s->v;
            else if (strcmp (n, "sigmat_movements_overdue") == 0) f->overdue = s->v;
            else if (strcmp (n, "sigmat_movements_under_enquiry") == 0) f->enquiry = s->v;
            continue;
        }
        s_link_t *l = s_link (f, s->link);
        if (!l)
            continue;
        if (strcmp (n, "sigmat_messages_in_total") == 0) l->in += s->v;
        else if (strcmp (n, "sigmat_messages_out_total") == 0) l->out += s->v;
        else if (strcmp (n, "sigmat_messages_acked_total") == 0) l->acked = s->v;
        else if (strcmp (n, "sigmat_queue_depth") == 0) {
            l->depth = s->v;
            l->has_queue = 1;
        }
        else if (strcmp (n, "sigmat_queue_oldest_age_seconds") == 0) l->oldest = s->v;
        else if (strcmp (n, "sigmat_inflight") == 0) l->inflight = s->v;
        else if (strcmp (n, "sigmat_dead_letters") == 0) l->dead = s->v;
        else if (strcmp (n, "sigmat_link_naks_sent_total") == 0) l->naks_out = s->v;
        else if (strcmp (n, "sigmat_link_naks_received_total") == 0) l->naks_in = s->v;
        else if (strcmp (n, "sigmat_peer_last_seen_timestamp_seconds") == 0) l->last_seen = s->v;
        else if (strcmp (n, "sigmat_link_expected_up") == 0) {
            l->expected = s->v > 0;
            l->has_expected = 1;
        }
        else if (strcmp (n, "sigmat_peer_up") == 0) {
            l->up = s->v > 0;
            l->has_up = 1;
            snprintf (l->role, sizeof l->role, "%.31s", s->label2);
        }
    }
}

/* ---- drawing ---------------------------------------------------------------- */

static const char *
s_age (double s, char *buf, size_t size)
{
    if (s <= 0)
        snprintf (buf, size, "-");
    else if (s < 60)
        snprintf (buf, size, "%.0fs", s);
    else if (s < 3600)
        snprintf (buf, size, "%.0fm", s / 60);
    else if (s < 172800)
        snprintf (buf, size, "%.1fh", s / 3600);
    else
        snprintf (buf, size, "%.0fd", s / 86400);
    return buf;
}

static const char *
s_rate (double r, char *buf, size_t size)
{
    if (r < 0)
        snprintf (buf, size, "-");
    else
        snprintf (buf, size, r < 10 ? "%.1f" : "%.0f", r);
    return buf;
}

static void
s_draw (const s_frame_t *f, int ansi, const char *url)
{
    const char *R = ansi ? "\033[0m" : "", *B = ansi ? "\033[1m" : "";
    const char *G = ansi ? "\033[32m" : "", *RED = ansi ? "\033[31m" : "",
               *Y = ansi ? "\033[33m" : "", *D = ansi ? "\033[2m" : "";
    char a[32], b[32], c[32];
    time_t now = time (NULL);
    if (ansi)
        printf ("\033[H\033[2J");
    printf ("%ssigmat %s%s  %s  up %s  batches %.0f  database %s%s%s  %s",
            B, f->node[0] ? f->node : "?", R, f->version, s_age (now - f->started, a, sizeof a),
            f->batches, f->db_up > 0 ? G : RED, f->db_up > 0 ? "ok" : "DOWN", R, ctime (&now));
    printf ("%s%-20s %-7s %-5s %8s %7s %8s %5s %8s %8s %9s%s\n", B, "LINK", "ROLE", "STATE",
            "QUEUE", "OLDEST", "INFLIGHT", "DEAD", "IN/s", "OUT/s", "SEEN", R);
    for (size_t i = 0; i < f->nlinks; i++) {
        const s_link_t *l = &f->links[i];
        /* Only links: a peer known for its keys alone has counters in the
         * registry but no queue or state from the monitor. */
        if (strcmp (l->name, "_other") == 0 || (!l->has_up && !l->has_queue))
            continue;
        /* Down only when it should be up (an older node has no
         * sigmat_link_expected_up: then every link not up is down). */
        int down = l->has_up && !l->up && (!l->has_expected || l->expected);
        const char *st = !l->has_up ? "-" : l->up ? "up" : down ? "DOWN" : "idle";
        const char *col = !l->has_up || (!l->up && !down) ? D
                          : l->up ? (l->oldest >= 60 || l->dead > 0 ? Y : G) : RED;
        printf ("%-20.20s %-7s %s%-5s%s %8.0f %7s %8.0f %s%5.0f%s %8s %8s %9s\n", l->name,
                l->role[0] ? l->role : "hop", col, st, R, l->depth, s_age (l->oldest, a, sizeof a),
                l->inflight, l->dead > 0 ? Y : "", l->dead, R, s_rate (l->rin, b, sizeof b),
                s_rate (l->rout, c, sizeof c),
                l->last_seen > 0 ? s_age ((double) now - l->last_seen, a, sizeof a) : "never");
    }
    if (f->lifecycle > 0) {
        printf ("\n%sMOVEMENTS%s  overdue %s%.0f%s  under enquiry %.0f ", B, R,
                f->overdue > 0 ? RED : "", f->overdue, R, f->enquiry);
        for (size_t i = 0; i < f->n; i++)
            if (strcmp (f->s[i].name, "sigmat_movements") == 0)
                printf (" %s %.0f", f->s[i].label2, f->s[i].v);
        printf ("\n");
    }
    int region = 0;
    for (size_t i = 0; i < f->n; i++) {
        const s_series_t *s = &f->s[i];
        if (strcmp (s->name, "sigmat_region_monitor_up") == 0) {
            printf ("%s%s %s%s%s", region ? "  " : "\nREGION  monitors ", s->label2,
                    s->v > 0 ? G : RED, s->v > 0 ? "ok" : "UNREACHABLE", R);
            region = 1;
        }
    }
    for (size_t i = 0; i < f->n && region; i++)
        if (strcmp (f->s[i].name, "sigmat_region_movements_late") == 0)
            printf ("%s%s %s%.0f%s", strcmp (f->s[i].label2, "overdue") == 0 ? "\nREGION  late: " : "  ",
                    f->s[i].label2, f->s[i].v > 0 ? RED : "", f->s[i].v, R);
    if (region)
        printf ("\n");
    int naks = 0;
    for (size_t i = 0; i < f->n; i++)
        if (strcmp (f->s[i].name, "sigmat_naks_total") == 0) {
            printf ("%s%s: %.0f", naks ? "  " : "\nNAKS  ", f->s[i].label2, f->s[i].v);
            naks = 1;
        }
    if (naks)
        printf ("\n");
    if (ansi)
        printf ("\n%s%s  ·  q quits%s\n", D, url, R);
    fflush (stdout);
}

/* ---- the verb ---------------------------------------------------------------- */

static int
s_frame (s_frame_t *f, const s_frame_t *prev, const char *url, const char *token, char *err,
         size_t esize)
{
    char *text = s_get (url, token, err, esize);
    if (!text)
        return -1;
    f->n = f->nlinks = 0;
    clock_gettime (CLOCK_MONOTONIC, &f->at);
    s_parse (f, text);
    free (text);
    if (prev && prev->nlinks) {
        double dt = (double) (f->at.tv_sec - prev->at.tv_sec)
                    + (double) (f->at.tv_nsec - prev->at.tv_nsec) / 1e9;
        for (size_t i = 0; i < f->nlinks && dt > 0; i++)
            for (size_t k = 0; k < prev->nlinks; k++)
                if (strcmp (f->links[i].name, prev->links[k].name) == 0) {
                    f->links[i].rin = (f->links[i].in - prev->links[k].in) / dt;
                    f->links[i].rout = (f->links[i].out - prev->links[k].out) / dt;
                }
    }
    return 0;
}

int
ctl_top (const ctl_verb_t *v, int argc, char **argv)
{
    const char *url = getenv ("SIGMAT_MONITOR_URL");
    const char *token = getenv ("SIGMAT_MONITOR_TOKEN");
    int once = 0;
    double interval = 1.0;
    if (!url)
        url = "http://127.0.0.1:7780";
    static const struct option opts[] = {
        { "once", no_argument, NULL, 'o' }, { "url", required_argument, NULL, 'u' },
        { "token", required_argument, NULL, 't' }, { "interval", required_argument, NULL, 'i' },
        { NULL, 0, NULL, 0 }
    };
    const char *val;
    int opt;
    while ((opt = ctl_getopt (argc, argv, opts, &val)) != -1) {
        if (opt == 'o')
            once = 1;
        else if (opt == 'u')
            url = val;
        else if (opt == 't')
            token = val;
        else if (opt == 'i') {
            interval = strtod (val, NULL);
            if (interval < 0.2 || interval > 3600) {
                fprintf (stderr, "sigmatctl: --interval must be 0.2 to 3600 seconds\n");
                return CTL_USAGE;
            }
        }
        else {
            if (opt == 1)
                fprintf (stderr, "sigmatctl: unknown argument %s\n", val);
            ctl_usage (v, 1);
            return CTL_USAGE;
        }
    }
    if (token && !*token)
        token = NULL;
    int rc = CTL_FAIL;
    char err[512];
    s_frame_t *cur = calloc (1, sizeof *cur), *prev = calloc (1, sizeof *prev);
    struct termios saved;
    int raw = 0;
    if (!cur || !prev || !(cur->s = calloc (S_MAX_SERIES, sizeof *cur->s))
        || !(prev->s = calloc (S_MAX_SERIES, sizeof *prev->s))) {
        fprintf (stderr, "sigmatctl: out of memory\n");
        goto done;
    }
    if (once) {
        if (s_frame (cur, NULL, url, token, err, sizeof err) != 0) {
            fprintf (stderr, "sigmatctl: %s\n", err);
            goto done;
        }
        s_draw (cur, 0, url);
        rc = CTL_OK;
        goto done;
    }
    int tty = isatty (STDIN_FILENO);
    if (tty && tcgetattr (STDIN_FILENO, &saved) == 0) {
        struct termios t = saved;
        t.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
        t.c_cc[VMIN] = 0;
        t.c_cc[VTIME] = 0;
        raw = tcsetattr (STDIN_FILENO, TCSANOW, &t) == 0;
    }
    signal (SIGINT, s_on_signal);
    signal (SIGTERM, s_on_signal);
    printf ("\033[?25l");       /* hide the cursor */
    while (!s_stop) {
        if (s_frame (cur, prev, url, token, err, sizeof err) != 0) {
            printf ("\033[H\033[2J%s\nretrying every %.1f s · q quits\n", err, interval);
            fflush (stdout);
        }
        else {
            s_draw (cur, 1, url);
            s_frame_t *t = prev;
            prev = cur;
            cur = t;
        }
        struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
        if (poll (&p, 1, (int) (interval * 1000)) > 0 && (p.revents & POLLIN)) {
            char ch;
            if (read (STDIN_FILENO, &ch, 1) == 1 && (ch == 'q' || ch == 'Q'))
                break;
            if (!tty)
                usleep ((useconds_t) (interval * 1e6));
        }
    }
    printf ("\033[?25h\n");
    rc = CTL_OK;
done:
    if (raw)
        tcsetattr (STDIN_FILENO, TCSANOW, &saved);
    if (cur)
        free (cur->s);
    if (prev)
        free (prev->s);
    free (cur);
    free (prev);
    return rc;
}
