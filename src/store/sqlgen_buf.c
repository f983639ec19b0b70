/* SPDX-License-Identifier: MIT */
/*
 * The SQL text buffer that the filter compiler and the backends share:
 * text grows in one bounded allocation, and every literal goes into the
 * parameter list with a placeholder in the text ("?" for SQLite, "$n"
 * for PostgreSQL, numbered by position), so no value is ever spliced
 * into SQL. Failures are sticky (b->oom) so that callers can append a
 * whole statement and check once at the end, as curl's dynbuf does.
 */
#include <stdio.h>
#include <string.h>

#include "sqlgen.h"

/* A compiled filter is bounded by FILTER_MAX_TERMS; this is far above. */
#define SQL_MAX_LEN (4u << 20)
#define SQL_MAX_PARAMS 65535u   /* PostgreSQL's limit per statement */

void
sql_buf_init(struct sql_buf *b, enum sqlgen_dialect d)
{
    memset(b, 0, sizeof(*b));
    b->dialect = d;
}

void
sql_buf_free(struct sql_buf *b)
{
    size_t i;

    if (b == NULL)
        return;
    for (i = 0; i < b->nparams; i++)
        scim_free(b->params[i].text);
    scim_free(b->params);
    scim_free(b->sql);
    b->sql = NULL;
    b->params = NULL;
    b->len = b->cap = b->nparams = b->cparams = 0;
}

/* Makes room for n more bytes of text and its NUL. */
static int
reserve(struct sql_buf *b, size_t n)
{
    size_t cap;
    char *p;

    if (b->oom)
        return -1;
    if (b->len + n + 1 <= b->cap)
        return 0;
    if (b->len + n + 1 > SQL_MAX_LEN)
        goto fail;
    cap = b->cap > 0 ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    if ((p = scim_realloc(b->sql, cap)) == NULL)
        goto fail;
    b->sql = p;
    b->cap = cap;
    return 0;

fail:
    b->oom = 1;
    return -1;
}

void
sql_buf_add(struct sql_buf *b, const char *text)
{
    size_t n = strlen(text);

    if (reserve(b, n) != 0)
        return;
    memcpy(b->sql + b->len, text, n + 1);
    b->len += n;
}

/* Adds a parameter slot and its placeholder; NULL when out of memory. */
static struct sql_param *
new_param(struct sql_buf *b)
{
    struct sql_param *p;
    char ph[16];
    size_t c;

    if (b->oom)
        return NULL;
    if (b->nparams == b->cparams) {
        c = b->cparams > 0 ? b->cparams * 2 : 8;
        if (b->nparams >= SQL_MAX_PARAMS
            || (p = scim_realloc(b->params, c * sizeof(*p))) == NULL) {
            b->oom = 1;
            return NULL;
        }
        b->params = p;
        b->cparams = c;
    }
    if (b->dialect == SQLGEN_PG)
        snprintf(ph, sizeof(ph), "$%zu", b->nparams + 1);
    else
        snprintf(ph, sizeof(ph), "?");
    sql_buf_add(b, ph);
    if (b->oom)
        return NULL;
    p = &b->params[b->nparams++];
    memset(p, 0, sizeof(*p));
    return p;
}

void
sql_buf_text(struct sql_buf *b, const char *s)
{
    struct sql_param *p;
    char *copy;

    if (b->oom)
        return;
    if ((copy = scim_strdup(s != NULL ? s : "")) == NULL) {
        b->oom = 1;
        return;
    }
    if ((p = new_param(b)) == NULL) {
        scim_free(copy);
        return;
    }
    p->type = SQL_P_TEXT;
    p->text = copy;
}

void
sql_buf_int(struct sql_buf *b, int64_t i)
{
    struct sql_param *p = new_param(b);

    if (p == NULL)
        return;
    p->type = SQL_P_INT;
    p->i = i;
}

void
sql_buf_real(struct sql_buf *b, double d)
{
    struct sql_param *p = new_param(b);

    if (p == NULL)
        return;
    p->type = SQL_P_REAL;
    p->d = d;
}
