/* SPDX-License-Identifier: MIT */
/*
 * Bearer-token authentication. The token decides the tenant. Tokens are
 * stored only as BLAKE2b hashes: they are long random strings, so a
 * fast hash is enough and keeps the lookup to one indexed query. Okta
 * sends exactly what the admin typed, so a bare token without the
 * "Bearer " scheme is accepted when the tenant's bare_token rule is on.
 */
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "server.h"

static int
deny(struct req *r, const char *why)
{
    respond_fail(r, 401, SCIM_CAUSE_UNAUTHORIZED, NULL, "Authorization",
                 "%s", why);
    return -1;
}

/* The token part of the header, and whether the scheme was missing. */
static const char *
token_of(const char *h, int *bare)
{
    *bare = 0;
    while (*h == ' ')
        h++;
    if (strncasecmp(h, "Bearer ", 7) == 0) {
        h += 7;
        while (*h == ' ')
            h++;
        return h;
    }
    if (strchr(h, ' ') != NULL)
        return NULL;    /* another scheme, such as Basic */
    *bare = 1;
    return h;
}

static enum MHD_Result
count_auth(void *cls, enum MHD_ValueKind kind, const char *key,
           const char *value)
{
    (void)kind;
    (void)value;
    if (strcasecmp(key, "Authorization") == 0)
        (*(int *)cls)++;
    return MHD_YES;
}

/*
 * The one Authorization header, or NULL after a 401. With two headers
 * the first would decide, and what a proxy checked may be the other, so
 * more than one is refused.
 */
static const char *
auth_header(struct req *r)
{
    const char *h;
    int n = 0;

    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_auth, &n);
    if (n > 1) {
        deny(r, "The request has more than one Authorization header; "
                "send exactly one.");
        return NULL;
    }
    h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                    "Authorization");
    if (h == NULL || *h == '\0') {
        deny(r, "The request has no Authorization header. Send "
                "'Authorization: Bearer <token>' with a token "
                "issued by 'scimctl token issue'.");
        return NULL;
    }
    return h;
}

int
auth_request(struct req *r)
{
    const char *h = auth_header(r);
    const char *tok;
    char hash[65];
    int64_t tenant = 0, version = 0;
    int bare, rc;

    if (h == NULL)
        return -1;
    tok = token_of(h, &bare);
    if (tok == NULL || *tok == '\0')
        return deny(r, "The Authorization header uses a scheme scimd does "
                       "not accept. Send 'Authorization: Bearer <token>'.");
    store_token_hash(tok, hash);
    rc = store_token_lookup(r->store, hash, &tenant, &version);
    if (rc != SCIM_OK)
        return deny(r, "The bearer token is not valid for any tenant. "
                       "Check the API token configured in the identity "
                       "provider.");
    if (tenants_get(r->store, tenant, version, &r->tenant) != SCIM_OK) {
        respond_fail(r, 503, SCIM_CAUSE_INTERNAL, NULL, NULL,
                     "The tenant's configuration could not be loaded.");
        return -1;
    }
    scim_ctx_init(&r->ctx, &r->tenant->cfg, r->tenant->reg);
    r->ctx_ready = 1;
    if (bare) {
        if (!scim_ctx_dialect(&r->ctx, SCIM_DIALECT_BARE_TOKEN))
            return deny(r, "The token was sent without the 'Bearer ' "
                           "scheme, which this tenant does not accept. "
                           "Prefix it with 'Bearer '.");
        scim_ctx_fire(&r->ctx, SCIM_DIALECT_BARE_TOKEN);
    }
    return 0;
}
