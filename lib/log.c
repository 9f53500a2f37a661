/* log.c - stderr or syslog logging with levels. Under systemd (stderr is
 * the journal's stream, JOURNAL_STREAM names it) each line starts with its
 * syslog priority, sd-daemon style ("<3>..."), and carries no timestamp of
 * its own: journald adds both the time and the program's identifier. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *s_ident = "sigmat";
static const char *s_tag = NULL;
static int s_syslog;
static int s_journal;
static sg_log_level_t s_level = SG_LOG_LVL_INFO;
static const char *s_names[] = { "error", "warn", "info", "debug" };

int
sg_log_journal_stream (void)
{
    const char *js = getenv ("JOURNAL_STREAM");
    if (!js || !*js)
        return 0;
    unsigned long long dev, ino;
    if (sscanf (js, "%llu:%llu", &dev, &ino) != 2)
        return 0;
    struct stat st;
    if (fstat (STDERR_FILENO, &st) != 0)
        return 0;
    return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void
sg_log_open (const char *ident, int use_syslog, sg_log_level_t level)
{
    s_ident = ident;
    s_syslog = use_syslog;
    s_level = level;
    s_journal = !use_syslog && sg_log_journal_stream ();
    if (use_syslog)
        openlog (ident, LOG_PID, LOG_DAEMON);
}

void
sg_log_set_tag (const char *tag)
{
    s_tag = tag && *tag ? tag : NULL;
}

int
sg_log_level_parse (const char *name)
{
    for (int i = 0; i <= SG_LOG_LVL_DEBUG; i++)
        if (strcmp (name, s_names[i]) == 0)
            return i;
    return -1;
}

sg_log_level_t
sg_log_level (void)
{
    return s_level;
}

/* Formats one log line with every control character written as an escape
 * (\n, \t, \xNN, and \\ for a backslash): NAK reasons, file names and
 * peer names come from outside, and a newline or a terminal escape in them
 * must not forge a log line or drive the operator's terminal. */
static void
s_format (char *out, size_t size, const char *fmt, va_list ap)
{
    char raw[4096];
    int n = vsnprintf (raw, sizeof raw, fmt, ap);
    size_t o = 0;
    const unsigned char *p = (const unsigned char *) raw;
    for (; *p && o + 8 < size; p++) {
        if (*p == '\\' || *p == '\n' || *p == '\t') {
            out[o++] = '\\';
            out[o++] = *p == '\\' ? '\\' : *p == '\n' ? 'n' : 't';
        }
        else if (*p < 0x20 || *p == 0x7f)
            o += (size_t) snprintf (out + o, size - o, "\\x%02x", *p);
        else
            out[o++] = (char) *p;
    }
    if (*p || (n > 0 && (size_t) n >= sizeof raw))
        o += (size_t) snprintf (out + o, size - o, "...");
    out[o] = '\0';
}

static void
s_vlog (sg_log_level_t level, const char *fmt, va_list ap)
{
    static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
    if (level > s_level)
        return;
    char line[8192];
    s_format (line, sizeof line, fmt, ap);
    if (s_syslog) {
        syslog (prio[level], "%s", line);
        return;
    }
    flockfile (stderr);
    if (s_journal) {
        /* journald reads the priority prefix; it stamps time and identifier. */
        fprintf (stderr, "<%d>", prio[level]);
    }
    else {
        char stamp[32];
        struct timespec ts;
        struct tm tm;
        clock_gettime (CLOCK_REALTIME, &ts);
        gmtime_r (&ts.tv_sec, &tm);
        strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf (stderr, "%s.%03ldZ %s%s%s%s %s: ", stamp, ts.tv_nsec / 1000000, s_ident,
                 s_tag ? "[" : "", s_tag ? s_tag : "", s_tag ? "]" : "", s_names[level]);
    }
    fputs (line, stderr);
    fputc ('\n', stderr);
    funlockfile (stderr);
}

#define S_DEFINE(name, level) \
    void name (const char *fmt, ...) \
    { va_list ap; va_start (ap, fmt); s_vlog (level, fmt, ap); va_end (ap); }

S_DEFINE (sg_log_error, SG_LOG_LVL_ERROR)
S_DEFINE (sg_log_warn, SG_LOG_LVL_WARN)
S_DEFINE (sg_log_info, SG_LOG_LVL_INFO)
S_DEFINE (sg_log_debug, SG_LOG_LVL_DEBUG)
