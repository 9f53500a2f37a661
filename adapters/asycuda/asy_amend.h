/* asy_amend.h - what changed between two versions of one declaration, by
 * field name: decides between "already sent", an amendment (AMD) and a
 * refusal after release (docs/asycuda.md, "Amendments"). */
#ifndef ASY_AMEND_H_INCLUDED
#define ASY_AMEND_H_INCLUDED

#include <stddef.h>

#include "msg.h"

/* Compares the declarations of a (as sent) and b (as re-exported), not
 * their release dates, and writes the names of the fields that differ
 * ("time limit, guarantee amount, item 2 gross mass") into out (size
 * bytes). Returns the number of fields that differ (0: the same). */
int asy_decl_changes (const sg_msg_declaration_t *a, const sg_msg_declaration_t *b, char *out,
                      size_t size);

#endif
