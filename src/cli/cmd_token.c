/* SPDX-License-Identifier: MIT */
/*
 * scimctl token issue NAME: makes a new bearer token for a tenant and
 * prints it, alone, on standard output. Only its hash is stored, so it
 * cannot be shown again; the cleartext is wiped from memory after use.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"

static int
token_issue(struct store *s, const char *name)
{
    struct store_tenant t;
    unsigned char raw[32];
    char token[64], hash[65];
    int rc;

    if (cli_tenant(s, name, &t) != 0)
        return 1;
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(token, sizeof(token), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    store_token_hash(token, hash);
    rc = store_token_add(s, t.id, hash);
    store_tenant_free(&t);
    if (rc != SCIM_OK) {
        sodium_memzero(token, sizeof(token));
        return cli_fail("cannot store the token");
    }
    printf("%s\n", token);
    sodium_memzero(token, sizeof(token));
    return 0;
}

int
cmd_token(struct store *s, int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "issue") == 0)
        return token_issue(s, argv[2]);
    return cli_fail("usage: token issue NAME");
}
