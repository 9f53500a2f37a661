/* hash.h - the project's one string hash (64-bit FNV-1a) for the in-memory
 * tables (dispatcher entries, metrics links). Not for anything an attacker
 * could use to collide: these tables hold names and ids the node chose. */
#ifndef SG_HASH_H_INCLUDED
#define SG_HASH_H_INCLUDED

#include <stdint.h>

/* FNV-1a of the NUL-terminated string s. */
uint64_t sg_hash_str (const char *s);

#endif
