/* buf.c - the growable byte buffer (buf.h): doubling growth from 256
 * bytes, an optional size limit, a sticky failure flag; and the slot of a
 * growable array. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *
sg_array_slot (void *items_p, size_t n, size_t *cap, size_t size, size_t first)
{
    char *items;
    memcpy (&items, items_p, sizeof items);
    if (n >= *cap) {
        size_t ncap = *cap ? *cap * 2 : first;
        if (ncap <= n || ncap > ((size_t) -1) / size)
            return NULL;
        char *p = realloc (items, ncap * size);
        if (!p)
            return NULL;
        memcpy (items_p, &p, sizeof p);
        items = p;
        *cap = ncap;
    }
    memset (items + n * size, 0, size);
    return items + n * size;
}

void
sg_buf_put (sg_buf_t *b, const void *p, size_t n)
{
    if (b->failed)
        return;
    if (b->limit && (n > b->limit || b->len > b->limit - n)) {
        b->failed = b->too_big = 1;
        return;
    }
    if (n + 1 > b->cap - b->len || !b->data) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) {
            if (cap > ((size_t) -1) / 2) {
                b->failed = 1;
                return;
            }
            cap *= 2;
        }
        char *data = realloc (b->data, cap);
        if (!data) {
            b->failed = 1;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    if (n)
        memcpy (b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void
sg_buf_puts (sg_buf_t *b, const char *s)
{
    sg_buf_put (b, s, strlen (s));
}

void
sg_buf_printf (sg_buf_t *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (small, sizeof small, fmt, ap);
    va_end (ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t) n < sizeof small) {
        sg_buf_put (b, small, (size_t) n);
        return;
    }
    char *big = malloc ((size_t) n + 1);
    if (!big) {
        b->failed = 1;
        return;
    }
    va_start (ap, fmt);
    vsnprintf (big, (size_t) n + 1, fmt, ap);
    va_end (ap);
    sg_buf_put (b, big, (size_t) n);
    free (big);
}

void
sg_buf_json (sg_buf_t *b, const char *s)
{
    if (!s) {
        sg_buf_puts (b, "null");
        return;
    }
    sg_buf_put (b, "\"", 1);
    const unsigned char *run = (const unsigned char *) s, *p = run;
    for (; *p; p++) {
        if (*p != '"' && *p != '\\' && *p >= 0x20)
            continue;
        sg_buf_put (b, run, (size_t) (p - run));
        if (*p == '"' || *p == '\\')
            sg_buf_printf (b, "\\%c", *p);
        else
            sg_buf_printf (b, "\\u%04x", *p);
        run = p + 1;
    }
    sg_buf_put (b, run, (size_t) (p - run));
    sg_buf_put (b, "\"", 1);
}

const char *
sg_buf_text (const sg_buf_t *b)
{
    return b->data ? b->data : "";
}

char *
sg_buf_take (sg_buf_t *b)
{
    char *p = b->data;
    size_t limit = b->limit;
    memset (b, 0, sizeof *b);
    b->limit = limit;
    return p;
}

void
sg_buf_free (sg_buf_t *b)
{
    free (sg_buf_take (b));
}
