/* code.h - the project's one check of short codes and identifiers typed by
 * people in config files, token books and URLs: a country or office
 * prefix, an office, an identifier of letters, digits and a few marks.
 * (messages/ident.h sg_office_check says in a sentence why a reference in a
 * message is wrong; these answer yes or no.) */
#ifndef SG_CODE_H_INCLUDED
#define SG_CODE_H_INCLUDED

#include <stddef.h>

/* 1 for a country (2 letters A-Z, when allow is SG_CODE_COUNTRY or
 * SG_CODE_ANY) or an office reference (2 letters A-Z then 6 of A-Z 0-9,
 * when allow is SG_CODE_OFFICE or SG_CODE_ANY), else 0. */
enum { SG_CODE_COUNTRY = 1, SG_CODE_OFFICE = 2, SG_CODE_ANY = 3 };
int sg_code_office (const char *s, int allow);

/* 1 if s has 1 to max characters, each an ASCII letter (upper case only
 * when upper_only), a digit or one of the characters of marks, else 0. */
int sg_code_id (const char *s, size_t max, const char *marks, int upper_only);

#endif
