/* sigmatctl.c - the operator's command line: dispatches `sigmatctl GROUP
 * VERB ARGS...` to the verb functions (ctl.h) through one table, handing
 * each its own entry; --help for the tool, a group or a verb. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "xmlsafe.h"

static const ctl_verb_t s_verbs[] = {
    { "message", "validate", ctl_message_validate, "[--max-bytes N] [--max-depth N] FILE...",
      "check that each file is a valid sigmat message; errors as file:line: reason" },
    { "message", "show", ctl_message_show, "FILE",
      "print a readable summary of one message" },
    { "mrn", "new", ctl_mrn_new, "[--count N] COUNTRY",
      "generate new MRNs for a 2-letter country code" },
    { "mrn", "check", ctl_mrn_check, "MRN...",
      "check the format and check digit of each MRN" },
    { "keygen", NULL, ctl_keygen, "[--dir DIR] NAME",
      "create NAME.sign.key/.sign.pub (Ed25519, PEM) and NAME.curve.key/.curve.pub (CurveZMQ, Z85)" },
    { "db", "migrate", ctl_db_migrate, "[--db CONNINFO] [--dir DIR]",
      "apply the pending database migrations" },
    { "db", "version", ctl_db_version, "[--db CONNINFO] [--dir DIR]",
      "show the database schema version and whether it is current" },
    { "peer", "add", ctl_peer_add,
      "NAME --role node|adapter --curve-pub FILE [--sign-pub FILE] [--offices LIST] [--endpoint EP] [--db CONNINFO]",
      "register (or replace) a peer node or adapter: its keys and the offices it speaks for" },
    { "peer", "remove", ctl_peer_remove, "NAME [--db CONNINFO]", "remove a peer" },
    { "peer", "list", ctl_peer_list, "[--db CONNINFO]", "list peers with their roles, offices and last contact" },
    { "peer", "key", ctl_peer_key,
      "add NAME --sign-pub FILE --from TIME [--until TIME] | list [NAME] | retire NAME KEY_ID [--at TIME] [--db CONNINFO]",
      "a peer node's signing keys, each valid for a period (rotation without a cut-over)" },
    { "message", "verify", ctl_message_verify, "MESSAGE_ID [--sign-pub FILE] [--db CONNINFO]",
      "re-verify a stored message's signature against the key valid when it was signed" },
    { "route", "add", ctl_route_add, "PREFIX NEXT_HOP [--db CONNINFO]",
      "route an office (CI000101) or a country (BF) to a peer node or a local adapter" },
    { "route", "remove", ctl_route_remove, "PREFIX [--db CONNINFO]", "remove a route" },
    { "route", "list", ctl_route_list, "[--db CONNINFO]", "list the routing table" },
    { "dead", "list", ctl_dead_list, "[--hop HOP] [--limit N] [--db CONNINFO]",
      "list dead letters (messages a next hop rejected for good)" },
    { "dead", "show", ctl_dead_show, "MESSAGE_ID [--db CONNINFO]",
      "show a dead letter: why it was rejected, its header and body" },
    { "dead", "replay", ctl_dead_replay, "MESSAGE_ID | --all --hop HOP [--db CONNINFO]",
      "put dead letters back in their queue" },
    { "send", NULL, ctl_send, "FILE... --node EP --server-pub FILE --key BASE --name NAME [--timeout S]",
      "send message files to a node as adapter NAME; prints accepted or rejected (code, reason) per file" },
    { "listen", NULL, ctl_listen,
      "--node EP --server-pub FILE --key BASE --name NAME [--count N] [--timeout S] [--out DIR]",
      "receive deliveries as adapter NAME, print them (and save to DIR), acknowledge them" },
    { "top", NULL, ctl_top, "[--url URL] [--token TOKEN] [--interval S] [--once]",
      "live view of a node's links, queues and movements from its HTTP monitor (q quits)" },
    { "status", NULL, ctl_status, "[--db CONNINFO]",
      "node identity, queues per next hop (pending, oldest, dead)" },
    { "movement", "list", ctl_movement,
      "[--state S] [--office O] [--since TIME] [--limit N] [--json] [--db CONNINFO]",
      "list the movement views of this node (state, offices, time limit)" },
    { "movement", "show", ctl_movement, "MRN [--json] [--db CONNINFO]",
      "one movement: each view's state, offices, time limit and every event" },
    { "movement", "overdue", ctl_movement, "[--json] [--db CONNINFO]",
      "departure views past their time limit, under enquiry or in recovery" },
    { "movement", "verify", ctl_movement, "MRN|--all [--json] [--db CONNINFO]",
      "check the hash chains of a movement's events (--all: of every movement); exit 1 on a bad one" },
    { "movement", "resync", ctl_movement,
      "MRN --peer NODE [--to OFFICE] [--as OFFICE] [--wait S] [--json] [--db CONNINFO]",
      "ask a peer node for its view of a movement (STQ) and apply the events we miss" },
    { "archive", "verify", ctl_archive_verify, "FILE... [--keys DIR] [--db CONNINFO]",
      "check retention archives offline: signatures (keys: DIR/NAME.sign.pub or the peer table), event chains" },
};
#define S_NVERBS (sizeof s_verbs / sizeof s_verbs[0])

static int
s_wants_help (int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0)
            return 1;
    return 0;
}

static const ctl_verb_t *
s_find (const char *group, const char *verb)
{
    for (size_t i = 0; i < S_NVERBS; i++) {
        const ctl_verb_t *v = &s_verbs[i];
        if (strcmp (v->group, group) == 0
            && (v->verb == NULL || (verb && strcmp (v->verb, verb) == 0)))
            return v;
    }
    return NULL;
}

static void
s_help (const char *group, FILE *out)
{
    fprintf (out, "usage: sigmatctl COMMAND [ARGS]   (sigmatctl COMMAND --help for details)\n\n");
    for (size_t i = 0; i < S_NVERBS; i++) {
        const ctl_verb_t *v = &s_verbs[i];
        if (group && strcmp (group, v->group) != 0)
            continue;
        char name[64];
        snprintf (name, sizeof name, "%s%s%s", v->group, v->verb ? " " : "", v->verb ? v->verb : "");
        fprintf (out, "  %-18s %s\n", name, v->summary);
    }
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        s_help (NULL, stderr);
        return CTL_USAGE;
    }
    if (strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "help") == 0) {
        s_help (NULL, stdout);
        return CTL_OK;
    }
    if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0) {
        printf ("sigmatctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
        return CTL_OK;
    }
    const char *group = argv[1];
    const char *verb = argc > 2 ? argv[2] : NULL;
    const ctl_verb_t *v = s_find (group, verb);
    if (!v) {
        int group_known = 0;
        for (size_t i = 0; i < S_NVERBS; i++)
            group_known |= strcmp (s_verbs[i].group, group) == 0;
        if (group_known && (!verb || s_wants_help (1, argv + 2))) {
            s_help (group, verb ? stdout : stderr);
            return verb ? CTL_OK : CTL_USAGE;
        }
        fprintf (stderr, "sigmatctl: unknown command \"%s%s%s\"\n\n", group,
                 group_known ? " " : "", group_known ? verb : "");
        s_help (group_known ? group : NULL, stderr);
        return CTL_USAGE;
    }
    sg_xmlsafe_init ();
    int skip = v->verb ? 3 : 2;
    if (s_wants_help (argc - skip, argv + skip)) {
        ctl_usage (v, 0);
        return CTL_OK;
    }
    return v->fn (v, argc - skip, argv + skip);
}
