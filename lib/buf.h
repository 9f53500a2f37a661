/* buf.h - the project's one growable byte buffer: append bytes, text,
 * printf output or a JSON string literal; the content stays NUL-terminated
 * so text can be used in place. An allocation failure is remembered (the
 * `failed` flag) and later appends do nothing, so callers check once. */
#ifndef SG_BUF_H_INCLUDED
#define SG_BUF_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *data;     /* NULL until the first append, else NUL-terminated */
    size_t len;     /* bytes held, not counting the terminating NUL */
    size_t cap;     /* bytes allocated */
    size_t limit;   /* 0: no limit; else appends past limit bytes set failed */
    int failed;     /* 1 after an allocation failure or a refused append */
    int too_big;    /* 1 when the failure was the limit, not memory */
} sg_buf_t;

/* Writes v at p as 4 bytes, big-endian (the length and count fields of
 * batch signatures and packed SGTP messages). */
static inline void
sg_be32_put (unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) (v >> 24);
    p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8);
    p[3] = (unsigned char) v;
}

/* Reads 4 bytes at p, big-endian. */
static inline uint32_t
sg_be32_get (const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* Appends n bytes of p (start a buffer as `sg_buf_t b = { 0 };`). */
void sg_buf_put (sg_buf_t *b, const void *p, size_t n);

/* Appends the string s. */
void sg_buf_puts (sg_buf_t *b, const char *s);

/* Appends printf-formatted text. */
void sg_buf_printf (sg_buf_t *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Appends s as a JSON string literal with its quotes ("null" for NULL). */
void sg_buf_json (sg_buf_t *b, const char *s);

/* The text held: data, or "" before the first append; never NULL. */
const char *sg_buf_text (const sg_buf_t *b);

/* Hands the memory to the caller (free it; NULL if nothing was appended)
 * and empties the buffer. */
char *sg_buf_take (sg_buf_t *b);

/* Frees the memory and empties the buffer (limit kept). */
void sg_buf_free (sg_buf_t *b);

/* Makes room for element n of a growable array: items_p points to the
 * array pointer (any T **), *cap is its capacity in elements of size bytes,
 * doubled from first when n reaches it. Returns element n, zeroed, or NULL
 * when out of memory (the array is left as it was). The caller counts n. */
void *sg_array_slot (void *items_p, size_t n, size_t *cap, size_t size, size_t first);

#endif
