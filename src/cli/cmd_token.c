/* SPDX-License-Identifier: MIT */
/*
 * scimctl token: bearer tokens of a tenant.
 *   token issue NAME        prints a new token, alone, on standard output
 *   token list NAME [--json] id, fingerprint and creation time of each
 *   token revoke NAME ID    the token stops working on the next request
 * Only a token's hash is stored, so it cannot be shown again; the
 * fingerprint (first 8 hex digits of the hash, printed on standard error
 * at issue) tells tokens apart without revealing any.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
    fflush(stdout);
    fprintf(stderr, "token issued for tenant '%s', fingerprint %.8s\n",
            name, hash);
    sodium_memzero(token, sizeof(token));
    return 0;
}

static int
token_list(struct store *s, const char *name, int as_json)
{
    struct store_tenant t;
    json_t *list = NULL, *e;
    size_t i;
    int rc;

    if (cli_tenant(s, name, &t) != 0)
        return 1;
    rc = store_token_list(s, t.id, &list);
    store_tenant_free(&t);
    if (rc != SCIM_OK) {
        json_decref(list);
        return cli_fail("cannot read the tokens of '%s'", name);
    }
    if (as_json) {
        json_dumpf(list, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(list);
        return 0;
    }
    printf("%-8s %-11s %s\n", "ID", "FINGERPRINT", "CREATED");
    json_array_foreach(list, i, e)
        printf("%-8lld %-11s %s\n",
               (long long)json_integer_value(json_object_get(e, "id")),
               json_string_value(json_object_get(e, "fingerprint")),
               json_string_value(json_object_get(e, "created")) != NULL
                   ? json_string_value(json_object_get(e, "created")) : "-");
    json_decref(list);
    return 0;
}

static int
token_revoke(struct store *s, const char *name, const char *id_text)
{
    struct store_tenant t;
    char *end;
    long long id;
    int rc;

    errno = 0;
    id = strtoll(id_text, &end, 10);
    if (errno != 0 || *end != '\0' || id <= 0)
        return cli_fail("a token id is a positive integer (see 'token "
                        "list %s')", name);
    if (cli_tenant(s, name, &t) != 0)
        return 1;
    rc = store_token_revoke(s, t.id, (int64_t)id);
    store_tenant_free(&t);
    if (rc == SCIM_ENOTFOUND)
        return cli_fail("tenant '%s' has no token %lld", name, id);
    if (rc != SCIM_OK)
        return cli_fail("cannot revoke token %lld", id);
    fprintf(stderr, "token %lld of tenant '%s' revoked\n", id, name);
    return 0;
}

int
cmd_token(struct store *s, int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "issue") == 0)
        return token_issue(s, argv[2]);
    if (argc == 3 && strcmp(argv[1], "list") == 0)
        return token_list(s, argv[2], 0);
    if (argc == 4 && strcmp(argv[1], "list") == 0 &&
        strcmp(argv[3], "--json") == 0)
        return token_list(s, argv[2], 1);
    if (argc == 4 && strcmp(argv[1], "revoke") == 0)
        return token_revoke(s, argv[2], argv[3]);
    return cli_fail("usage: token issue NAME | token list NAME [--json] | "
                    "token revoke NAME ID");
}
