/* SPDX-License-Identifier: MIT */
/*
 * A growing text buffer for answers assembled from stored JSON texts
 * (list responses, spliced groups), which avoids re-parsing documents.
 */
#ifndef SCIMD_SERVER_SBUF_H
#define SCIMD_SERVER_SBUF_H

#include <stddef.h>

struct sbuf {
    char *s;
    size_t len;
    size_t cap;
    int oom;
};

/* Appends n bytes of t; on ENOMEM sets b->oom and drops later input. */
void sbuf_addn(struct sbuf *b, const char *t, size_t n);
void sbuf_add(struct sbuf *b, const char *t);

/* Hands the text over (caller frees); NULL after ENOMEM. */
char *sbuf_take(struct sbuf *b);

/*
 * Returns a copy of the JSON object text doc with ,"key":value_text
 * inserted before its closing brace. Caller frees.
 */
char *sbuf_splice(const char *doc, const char *key, const char *value_text);

#endif /* SCIMD_SERVER_SBUF_H */
