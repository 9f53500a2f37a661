/* zap.h - the node's ZAP handler (ZeroMQ RFC 27) for CurveZMQ: a thread
 * that admits only registered public keys and names each connection, so
 * that every received frame carries the peer's name ("User-Id") and role
 * ("Role") as ZeroMQ message properties. Also a small key table to use as
 * the lookup, swapped whole on reload. */
#ifndef SG_ZAP_H_INCLUDED
#define SG_ZAP_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

/* Looks up a CURVE public key (40 Z85 characters). Returns 1 and fills
 * name_out (the User-Id) and role_out if the key is admitted, 0 if not.
 * Called from the ZAP thread, one call at a time. */
typedef int (zap_lookup_fn) (void *arg, const char *z85_public_key, char *name_out,
                             size_t name_size, char *role_out, size_t role_size);

typedef struct zap_t zap_t;
typedef struct zap_keys_t zap_keys_t;

/* Binds inproc://zeromq.zap.01 in zmq_ctx and starts the handler thread.
 * Create it before any CURVE server socket binds: without a ZAP handler
 * libzmq admits every CURVE client. Returns NULL (logged) on failure, e.g.
 * a handler already bound in this context. */
zap_t *zap_new (void *zmq_ctx, zap_lookup_fn *lookup, void *arg);

/* Stops the thread, closes its sockets (call before zmq_ctx_term), frees the
 * handler (NULL is fine) and clears the caller's pointer. */
void zap_destroy (zap_t **self_p);

/* Replaces the lookup (thread-safe; e.g. on SIGHUP). Once it returns, the
 * old lookup and arg are no longer used and the caller may free them. */
void zap_set_lookup (zap_t *self, zap_lookup_fn *lookup, void *arg);

/* Counts of admitted and refused requests since zap_new (either may be NULL). */
void zap_stats (zap_t *self, uint64_t *admitted, uint64_t *refused);

/* A new empty key table, or NULL when out of memory. */
zap_keys_t *zap_keys_new (void);

/* Frees a key table (NULL is fine) and clears the caller's pointer. */
void zap_keys_destroy (zap_keys_t **self_p);

/* Adds (or replaces) a key with its name and role. Returns SG_OK, SG_EKEY if
 * the key is not 40 valid Z85 characters, SG_EINVAL for an empty or
 * over-long name (> 64) or role (> 16), SG_ENOMEM. */
int zap_keys_add (zap_keys_t *self, const char *z85_public_key, const char *name,
                  const char *role);

/* Number of keys in the table. */
size_t zap_keys_count (const zap_keys_t *self);

/* zap_lookup_fn over a zap_keys_t passed as arg. */
int zap_keys_lookup (void *arg, const char *z85_public_key, char *name_out, size_t name_size,
                     char *role_out, size_t role_size);

#endif
