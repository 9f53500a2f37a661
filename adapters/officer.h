/* officer.h - officer accounts of the adapters' HTTP listeners: a book of
 * bearer tokens, each held as its SHA-256 and bound to one officer (or
 * post) id and the offices it may act for, read from a token file that is
 * re-read when it changes (docs/officers.md). Shared by sigmat-asycuda
 * and sigmat-generic; thread-safe (the HTTP threads look tokens up while
 * the file may be reloaded). */
#ifndef SG_OFFICER_H_INCLUDED
#define SG_OFFICER_H_INCLUDED

#include <stddef.h>

#include "sg.h"

/* The SGTP header line naming the officer who caused a message. */
#define OFFICER_HEADER "Officer"
#define OFFICER_ID_MAX 64
#define OFFICER_MAX_OFFICES 32

/* One token: who holds it, its SHA-256 (lowercase hex) and where it may
 * act: office reference numbers (BF000101), whole countries (BF) or "*". */
typedef struct {
    char id[OFFICER_ID_MAX + 1];
    char sha256[65];
    char offices[OFFICER_MAX_OFFICES][9];
    size_t n_offices;
} officer_t;

typedef struct officer_book_t officer_book_t;

/* Returns a book read from path (NULL or "" for an empty book that only
 * officer_book_add fills), or NULL with "path:line: reason" in diag. */
officer_book_t *officer_book_new (const char *path, sg_diag_t *diag);

/* Frees the book (NULL is fine) and clears the caller's pointer. */
void officer_book_destroy (officer_book_t **self_p);

/* Adds a token that does not come from the file (sigmat-generic's `token`
 * config lines): secret is "sha256:HEX" or the token itself (16
 * characters at least), offices comma- or space-separated. SG_OK or
 * SG_EINVAL (diag says why). */
int officer_book_add (officer_book_t *self, const char *id, const char *secret,
                      const char *offices, sg_diag_t *diag);

/* Re-reads the file if its modification time or size changed (or always
 * with force). On a bad file the old tokens stay and diag says why.
 * SG_OK (also: nothing to do), SG_EIO or SG_ECONFIG. */
int officer_book_reload (officer_book_t *self, int force, sg_diag_t *diag);

/* Looks up a presented bearer token (checking the file's time at most
 * once a second): 1 and a copy in *out if it is known, else 0. */
int officer_book_find (officer_book_t *self, const char *token, officer_t *out);

/* Number of tokens in the book. */
size_t officer_book_size (officer_book_t *self);

/* 1 if the token may act for office (a reference number), else 0. */
int officer_may (const officer_t *o, const char *office);

/* 1 if id is a valid officer id ([A-Za-z0-9._@-]{1,64}), else 0. */
int officer_id_valid (const char *id);

/* The lowercase hex SHA-256 of text into out[65]. */
void officer_hash (const char *text, char out[65]);

#endif
