/* log.h - one logging module for every sigmat binary: stderr or syslog,
 * with levels. Messages are short and lowercase, like PostgreSQL's. */
#ifndef SG_LOG_H_INCLUDED
#define SG_LOG_H_INCLUDED

typedef enum { SG_LOG_LVL_ERROR = 0, SG_LOG_LVL_WARN, SG_LOG_LVL_INFO, SG_LOG_LVL_DEBUG } sg_log_level_t;

/* Sets the program name, destination (syslog when use_syslog) and level.
 * Without syslog, stderr lines carry a timestamp, the name and the level;
 * when stderr is systemd's journal stream they carry the syslog priority
 * prefix ("<3>") instead, and journald adds the time and identifier. */
void sg_log_open (const char *ident, int use_syslog, sg_log_level_t level);

/* 1 if stderr is the journal stream named by JOURNAL_STREAM (systemd). */
int sg_log_journal_stream (void);

/* A tag printed after the name on each line (e.g. the node's name, for
 * several nodes on one host); NULL or "" for none. Not copied. */
void sg_log_set_tag (const char *tag);

/* Parses "error", "warn", "info" or "debug"; returns -1 if unknown. */
int sg_log_level_parse (const char *name);

/* Current level, to skip building expensive debug text. */
sg_log_level_t sg_log_level (void);

void sg_log_error (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void sg_log_warn (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void sg_log_info (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void sg_log_debug (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

#endif
