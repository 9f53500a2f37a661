/* list.h - the project's one intrusive doubly linked list. An element is
 * any struct with `prev` and `next` pointers to its own type; a list is
 * any struct with `head`, `tail` and a count `n`. Macros, so the element
 * keeps its own type and no cast is needed; each names its arguments once
 * per use, so pass plain variables. */
#ifndef SG_LIST_H_INCLUDED
#define SG_LIST_H_INCLUDED

#include <stddef.h>

/* Appends element e at the tail of list l. */
#define SG_LIST_PUSH(l, e) do {                                              \
        (e)->next = NULL;                                                    \
        (e)->prev = (l)->tail;                                               \
        if ((l)->tail)                                                       \
            (l)->tail->next = (e);                                           \
        else                                                                 \
            (l)->head = (e);                                                 \
        (l)->tail = (e);                                                     \
        (l)->n++;                                                            \
    } while (0)

/* Takes element e (which must be on list l) out of l; e keeps its own
 * pointers, so a loop may still step to e->next. */
#define SG_LIST_REMOVE(l, e) do {                                            \
        if ((e)->prev)                                                       \
            (e)->prev->next = (e)->next;                                     \
        else                                                                 \
            (l)->head = (e)->next;                                           \
        if ((e)->next)                                                       \
            (e)->next->prev = (e)->prev;                                     \
        else                                                                 \
            (l)->tail = (e)->prev;                                           \
        (l)->n--;                                                            \
    } while (0)

#endif
