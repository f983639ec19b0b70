/* SPDX-License-Identifier: MIT */
/*
 * A small libcurl request helper shared by the e2e test programs: one
 * request, body and X-Request-Id collected. Static inline so that each
 * program takes only what it uses.
 */
#ifndef SCIMD_TESTS_E2E_HTTP_H
#define SCIMD_TESTS_E2E_HTTP_H

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

struct reply {
    char body[65536];
    size_t len;
    char rid[64];
};

static inline size_t
e2e_on_body(char *p, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    size_t k = size * n;

    if (r->len + k < sizeof(r->body)) {
        memcpy(r->body + r->len, p, k);
        r->len += k;
        r->body[r->len] = '\0';
    }
    return k;
}

static inline size_t
e2e_on_header(char *p, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    size_t k = size * n;

    if (k > 16 && strncasecmp(p, "X-Request-Id: ", 14) == 0)
        snprintf(r->rid, sizeof(r->rid), "%.*s", (int)(k - 16), p + 14);
    return k;
}

/* Sends method url with auth header line and body (may be NULL);
 * returns the HTTP status, 0 when no answer came. */
static inline long
e2e_request(CURL *c, const char *method, const char *url, const char *auth,
            const char *body, struct reply *r)
{
    struct curl_slist *h = NULL;
    long status = 0;

    memset(r, 0, sizeof(*r));
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Content-Type: application/scim+json");
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, e2e_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, e2e_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (body != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    return status;
}

#endif /* SCIMD_TESTS_E2E_HTTP_H */
