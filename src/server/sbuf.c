/* SPDX-License-Identifier: MIT */
/*
 * Growing text buffer (see sbuf.h). Stored documents are sent as the
 * text they were stored as; parsing and re-serialising a User costs
 * more than the rest of a GET, so answers are assembled from text.
 */
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

void
sbuf_addn(struct sbuf *b, const char *t, size_t n)
{
    char *ns;
    size_t cap;

    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        cap = b->cap < 256 ? 256 : b->cap;
        while (cap < b->len + n + 1)
            cap *= 2;
        ns = realloc(b->s, cap);
        if (ns == NULL) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, t, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void
sbuf_add(struct sbuf *b, const char *t)
{
    sbuf_addn(b, t, strlen(t));
}

char *
sbuf_take(struct sbuf *b)
{
    char *s = b->oom ? NULL : b->s;

    if (b->oom)
        free(b->s);
    if (s == NULL && !b->oom)
        s = strdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

char *
sbuf_splice(const char *doc, const char *key, const char *value_text)
{
    const char *end = strrchr(doc, '}');
    struct sbuf b = { 0 };

    if (end == NULL)
        return strdup(doc);
    sbuf_addn(&b, doc, (size_t)(end - doc));
    if (end > doc && strchr(doc, ':') != NULL)
        sbuf_add(&b, ",");
    sbuf_add(&b, "\"");
    sbuf_add(&b, key);
    sbuf_add(&b, "\":");
    sbuf_add(&b, value_text);
    sbuf_add(&b, end);
    return sbuf_take(&b);
}
