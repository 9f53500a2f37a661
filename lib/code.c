/* code.c - country, office and identifier checks (code.h), in ASCII
 * whatever the locale. */
#include "code.h"

#include <string.h>

static int
s_upper (char c)
{
    return c >= 'A' && c <= 'Z';
}

static int
s_digit (char c)
{
    return c >= '0' && c <= '9';
}

int
sg_code_office (const char *s, int allow)
{
    size_t n = s ? strnlen (s, 9) : 0;
    if (!((n == 2 && (allow & SG_CODE_COUNTRY)) || (n == 8 && (allow & SG_CODE_OFFICE))))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(s_upper (s[i]) || (i >= 2 && s_digit (s[i]))))
            return 0;
    return 1;
}

int
sg_code_id (const char *s, size_t max, const char *marks, int upper_only)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++) {
        char c = s[n];
        int ok = s_upper (c) || s_digit (c) || (!upper_only && c >= 'a' && c <= 'z')
                 || (marks && strchr (marks, c));
        if (!ok || n >= max)
            return 0;
    }
    return n > 0;
}
