/* ctl.h - sigmatctl's verbs, one function each, grouped by the ctl_*.c
 * file that defines them; the verb table (sigmatctl.c) is their one
 * caller. Each takes its own table entry and the words after its name
 * (ctl_args.h) and returns an exit code (CTL_OK, CTL_FAIL, CTL_USAGE). */
#ifndef SG_CTL_H_INCLUDED
#define SG_CTL_H_INCLUDED

#include "ctl/ctl_args.h"

/* ---- ctl_message.c: `message validate`, `message show` ---- */
int ctl_message_validate (const ctl_verb_t *v, int argc, char **argv);
int ctl_message_show (const ctl_verb_t *v, int argc, char **argv);

/* ---- ctl_ident.c: `mrn new`, `mrn check`, `keygen` ---- */
int ctl_mrn_new (const ctl_verb_t *v, int argc, char **argv);
int ctl_mrn_check (const ctl_verb_t *v, int argc, char **argv);
int ctl_keygen (const ctl_verb_t *v, int argc, char **argv);

/* ---- ctl_db.c: `db`, `peer`, `route`, `dead`, `status`, `message verify` ---- */
int ctl_db_migrate (const ctl_verb_t *v, int argc, char **argv);
int ctl_db_version (const ctl_verb_t *v, int argc, char **argv);
int ctl_peer_add (const ctl_verb_t *v, int argc, char **argv);
int ctl_peer_remove (const ctl_verb_t *v, int argc, char **argv);
int ctl_peer_list (const ctl_verb_t *v, int argc, char **argv);
int ctl_route_add (const ctl_verb_t *v, int argc, char **argv);
int ctl_route_remove (const ctl_verb_t *v, int argc, char **argv);
int ctl_route_list (const ctl_verb_t *v, int argc, char **argv);
int ctl_dead_list (const ctl_verb_t *v, int argc, char **argv);
int ctl_dead_show (const ctl_verb_t *v, int argc, char **argv);
int ctl_dead_replay (const ctl_verb_t *v, int argc, char **argv);
int ctl_status (const ctl_verb_t *v, int argc, char **argv);
int ctl_peer_key (const ctl_verb_t *v, int argc, char **argv);
int ctl_message_verify (const ctl_verb_t *v, int argc, char **argv);

/* ---- ctl_client.c: `send`, `listen` ---- */
int ctl_send (const ctl_verb_t *v, int argc, char **argv);
int ctl_listen (const ctl_verb_t *v, int argc, char **argv);

/* ---- ctl_movement.c: `movement list|overdue|show|verify|resync` ---- */
/* One function for the group: runs the verb v->verb names. */
int ctl_movement (const ctl_verb_t *v, int argc, char **argv);

/* ---- ctl_top.c: `top` ---- */
int ctl_top (const ctl_verb_t *v, int argc, char **argv);

/* ---- ctl_archive.c: `archive verify` ---- */
int ctl_archive_verify (const ctl_verb_t *v, int argc, char **argv);

#endif
