/* hash.c - 64-bit FNV-1a (hash.h). */
#include "hash.h"

uint64_t
sg_hash_str (const char *s)
{
    uint64_t h = 14695981039346656037u;
    while (*s)
        h = (h ^ (unsigned char) *s++) * 1099511628211u;
    return h;
}
