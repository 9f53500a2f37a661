/* i18n.h - the adapters' message catalogue for people (officers): every
 * text an officer reads from an API error has a stable code and a French,
 * English and Portuguese wording, chosen by Accept-Language. A table in C,
 * not gettext: docs/officers.md says why. Texts take up to five string
 * arguments written {1}..{5}, so a translation may put them in any order. */
#ifndef SG_I18N_H_INCLUDED
#define SG_I18N_H_INCLUDED

#include <stddef.h>

typedef enum { I18N_EN = 0, I18N_FR, I18N_PT, I18N_COUNT } i18n_lang_t;

/* The language an Accept-Language header asks for ("fr-BF, en;q=0.8"):
 * the supported one with the highest q (first listed on a tie); fallback
 * when the header is absent or names none of them. */
i18n_lang_t i18n_pick (const char *accept_language, i18n_lang_t fallback);

/* "en", "fr" or "pt". */
const char *i18n_tag (i18n_lang_t lang);

/* Writes the text of code in lang into out[size] with {1}..{5} replaced
 * by a[0]..a[4] (NULL or missing: empty) and returns out. An unknown code
 * writes the code itself. */
const char *i18n_format (i18n_lang_t lang, const char *code, char *out, size_t size,
                         const char *const a[5]);

/* 1 if every entry of the catalogue has all its languages and uses the
 * same placeholders in each (a check for tests), else 0 with the code of
 * the first bad entry in *bad. */
int i18n_check (const char **bad);

#endif
