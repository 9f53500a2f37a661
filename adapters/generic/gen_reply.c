/* gen_reply.c - sigmat-generic's HTTP answers: JSON replies and RFC 7807
 * problems, used by the API's routing (gen_api.c), the submissions
 * (gen_submit.c) and /metrics (gen_metrics.c). */
#include "gen_reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "i18n.h"

int
gen_reply (struct MHD_Connection *c, int status, json_t *body, const char *ctype,
           const char *hname, const char *hvalue)
{
    char *text = body ? json_dumps (body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref (body);
    const char *const h[] = { hname, hvalue, NULL };
    enum MHD_Result ret = ctype ? sg_http_reply (c, (unsigned) status, ctype, text ? text : "{}",
                                                 strlen (text ? text : "{}"), hname ? h : NULL)
                                : sg_http_json (c, (unsigned) status, text, hname ? h : NULL);
    free (text);
    return ret;
}

int
gen_problem (struct MHD_Connection *c, int status, const char *name, const char *detail,
             const char *field, int line, const char *hname, const char *hvalue)
{
    /* The title for people comes from the catalogue (problem.NAME), in the
     * language of the request's Accept-Language. */
    i18n_lang_t lang = i18n_pick (MHD_lookup_connection_value (c, MHD_HEADER_KIND,
                                                               "Accept-Language"), I18N_EN);
    char code[64], text[256];
    snprintf (code, sizeof code, "problem.%s", name);
    const char *title = i18n_format (lang, code, text, sizeof text, NULL);
    if (!strcmp (title, code))
        title = "Error";
    const char *const h[] = { hname, hvalue, NULL };
    return sg_http_problem (c, (unsigned) status, name, title, detail, field, line,
                            hname ? h : NULL);
}
