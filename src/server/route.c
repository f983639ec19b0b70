/* SPDX-License-Identifier: MIT */
/*
 * Routing: every request is authenticated first (so that a wrong token
 * gets 401 whatever the path), then dispatched by path below /scim/v2:
 * discovery, the root and per-type .search, and resource endpoints of
 * the tenant's resource types. Anything else is a 404 or 405 SCIM error.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"

const char *
req_arg(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

json_t *
req_json(struct req *r)
{
    json_error_t jerr;
    json_t *j;

    if (r->body == NULL || r->body_len == 0) {
        respond_fail(r, 400, SCIM_CAUSE_INVALID_SYNTAX, "invalidSyntax",
                     NULL, "The request has no body; a JSON object was "
                     "expected.");
        return NULL;
    }
    /* A repeated key would silently keep its last value: refuse it. */
    j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        respond_fail(r, 400, SCIM_CAUSE_INVALID_SYNTAX, "invalidSyntax",
                     NULL, "The request body is not valid JSON: %s at "
                     "line %d, column %d.", jerr.text, jerr.line,
                     jerr.column);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        respond_fail(r, 400, SCIM_CAUSE_INVALID_SYNTAX, "invalidSyntax",
                     NULL, "The request body must be a JSON object.");
        return NULL;
    }
    return j;
}

/* A Host header fit to put in a URL: host name or address and port. */
static int
host_ok(const char *h)
{
    size_t n = 0;

    for (; h[n] != '\0'; n++)
        if (!(isalnum((unsigned char)h[n]) || strchr(".-:[]_", h[n])))
            return 0;
    return n > 0 && n <= 255;
}

void
req_location(struct req *r, const char *endpoint, const char *id,
             char *out, size_t size)
{
    const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                   "Host");

    /* Anything else is not reflected into Location and meta.location. */
    if (host != NULL && !host_ok(host))
        host = NULL;

    snprintf(out, size, "%s%s%s%s/%s", host != NULL ? "http://" : "",
             host != NULL ? host : "", SCIM_BASE, endpoint, id);
}

static void
not_found(struct req *r)
{
    respond_fail(r, 404, SCIM_CAUSE_UNSUPPORTED_REQUEST, NULL, NULL,
                 "No SCIM endpoint at '%s'. Resource endpoints live under "
                 "%s/, e.g. %s/Users.", r->path, SCIM_BASE, SCIM_BASE);
}

static void
route_root_search(struct req *r)
{
    r->allow = "POST";
    if (strcmp(r->method, "POST") != 0) {
        respond_fail(r, 405, SCIM_CAUSE_UNSUPPORTED_REQUEST, NULL, NULL,
                     "/.search accepts only POST.");
        return;
    }
    handle_search(r, NULL);
}

static void
route_type(struct req *r, const struct scim_rtype *rt, const char *rest)
{
    if (*rest == '\0' || strcmp(rest, "/") == 0) {
        handle_resource(r, rt, NULL);
        return;
    }
    rest++;
    if (strcmp(rest, ".search") == 0) {
        r->allow = "POST";
        if (strcmp(r->method, "POST") != 0)
            respond_fail(r, 405, SCIM_CAUSE_UNSUPPORTED_REQUEST, NULL, NULL,
                         "%s/.search accepts only POST.", rt->endpoint);
        else
            handle_search(r, rt);
        return;
    }
    if (strchr(rest, '/') != NULL) {
        not_found(r);
        return;
    }
    handle_resource(r, rt, rest);
}

/* The endpoint name: "/Users" of "/Users/abc". */
static const struct scim_rtype *
find_type(struct req *r, const char *p, const char **rest)
{
    const char *slash = strchr(p + 1, '/');
    size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
    size_t i;

    for (i = 0; i < r->tenant->reg->nrtypes; i++) {
        const struct scim_rtype *rt = r->tenant->reg->rtypes[i];

        if (strlen(rt->endpoint) == n &&
            strncasecmp(rt->endpoint, p, n) == 0) {
            *rest = p + n;
            return rt;
        }
    }
    return NULL;
}

static void
route_discovery(struct req *r, const char *p)
{
    static const char *const names[] = { "/ServiceProviderConfig",
                                         "/ResourceTypes", "/Schemas",
                                         NULL };
    size_t i, n;

    for (i = 0; names[i] != NULL; i++) {
        n = strlen(names[i]);
        if (strncasecmp(p, names[i], n) == 0 &&
            (p[n] == '\0' || p[n] == '/')) {
            handle_discovery(r, names[i] + 1,
                             p[n] == '/' && p[n + 1] != '\0' ? p + n + 1
                                                             : NULL);
            return;
        }
    }
    not_found(r);
}

void
route_request(struct req *r)
{
    const char *p = r->path, *rest = NULL;
    const struct scim_rtype *rt;
    size_t base = strlen(SCIM_BASE);

    if (auth_request(r) != 0)
        return;
    if (!ratelimit_take(r->tenant)) {
        respond_fail(r, 429, SCIM_CAUSE_RATE_LIMITED, NULL, NULL,
                     "Too many requests for this tenant (limit %d per "
                     "second); retry after the Retry-After delay.",
                     r->tenant->cfg.rate_limit);
        return;
    }
    if (r->too_large) {
        respond_fail(r, 413, SCIM_CAUSE_TOO_LARGE, "tooLarge", NULL,
                     "The request body is larger than %d bytes.",
                     SCIMD_MAX_BODY);
        return;
    }
    /* The base URL is what the identity provider's admin typed; Entra's
     * examples use /scim without /v2, so both prefixes are served. */
    if (strncmp(p, SCIM_BASE, base) == 0 &&
        (p[base] == '/' || p[base] == '\0'))
        p += base;
    else if (strncmp(p, "/scim", 5) == 0 && (p[5] == '/' || p[5] == '\0'))
        p += 5;
    else {
        not_found(r);
        return;
    }
    if (strcmp(p, "/.search") == 0) {
        route_root_search(r);
        return;
    }
    rt = *p == '/' ? find_type(r, p, &rest) : NULL;
    if (rt != NULL)
        route_type(r, rt, rest);
    else
        route_discovery(r, p);
}
