/* retention.h - archive, then remove, what the node no longer needs:
 * delivered messages with their deliveries, closed movements with their
 * events, rejections and incidents; and the archive format's checks
 * (`sigmatctl archive verify`). See docs/operations.md, "Retention". */
#ifndef SG_RETENTION_H_INCLUDED
#define SG_RETENTION_H_INCLUDED

#include <stdint.h>
#include <stdio.h>

#include "sg.h"
#include "sign.h"
#include "node/store.h"

typedef struct {
    const char *dir;            /* archive folder */
    const char *node;           /* this node's name: the archive's prefix and signer */
    const sg_sign_key_t *key;   /* signs each archive's last line */
    int batch;                  /* most messages (and movements) per archive */
    long long dedup_ms;         /* keep removed ids this long in message_seen */
} retention_conf_t;

typedef struct {
    int messages, movements;    /* archived and removed by this run */
    int seen_pruned;            /* ids that left the dedup table */
    char file[4096];            /* the archive written ("" if none) */
} retention_result_t;

/* One batch: archives at most conf->batch messages received before
 * msg_before_ms (wall clock, ms since 1970) whose deliveries are all done
 * and whose movement (if any here) is closed before mov_before_ms
 * (lifecycle clock), and at most conf->batch movements all of whose views
 * closed before mov_before_ms, into one fsynced archive, then removes them
 * in one transaction (ids go to message_seen); then prunes message_seen.
 * Returns SG_OK (res filled; nothing to do is fine) or an error with diag
 * (nothing removed). */
int retention_run (store_t *st, const retention_conf_t *conf, int64_t msg_before_ms,
                   int64_t mov_before_ms, retention_result_t *res, sg_diag_t *diag);

/* The text a node signs in an archive's last line:
 * "sigmat-archive/1|NODE|RECORDS|SHA256HEX". */
void retention_signed_text (char *out, size_t size, const char *node, long records,
                            const char *sha_hex);

/* Where verification finds signing keys: files DIR/NAME.sign.pub and/or
 * the peer table of a node's database (either may be NULL). */
typedef struct {
    const char *keys_dir;
    store_t *db;
} retention_keys_t;

typedef struct {
    int messages, movements, views, events;
    int problems;
} retention_verify_t;

/* Verifies an archive offline: the last line's digest of every line and
 * the node's signature of it, each message's signature against its origin
 * node's key, each view's event hash chain and its head. Prints one line
 * per problem to out. Returns SG_OK when intact, SG_ESIG when a check
 * failed, SG_EIO/SG_EINVAL when the file cannot be read (diag set). */
int retention_verify (const char *path, const retention_keys_t *keys, FILE *out,
                      retention_verify_t *stats, sg_diag_t *diag);

#endif
