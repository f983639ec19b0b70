/* SPDX-License-Identifier: MIT */
/*
 * scimctl tenant add NAME | tenant list. A new tenant starts with the
 * default configuration (see src/lib/config.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"

/* Names appear one per line in 'tenant list' and in log tables. */
static int
has_control(const char *p)
{
    for (; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 1;
    return 0;
}

static int
tenant_add(struct store *s, const char *name)
{
    struct scim_config cfg;
    struct scim_error err = { 0 };
    json_t *j;
    char *text;
    int rc;

    if (name[0] == '\0' || strlen(name) > 64)
        return cli_fail("a tenant name is 1 to 64 characters");
    if (has_control(name))
        return cli_fail("a tenant name may not hold control characters");
    if (config_default(&cfg) != SCIM_OK)
        return cli_fail("out of memory");
    j = config_to_json(&cfg);
    text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    config_free(&cfg);
    if (text == NULL)
        return cli_fail("out of memory");
    rc = store_tenant_add(s, name, text, &err);
    free(text);
    if (rc == SCIM_ECONFLICT)
        return cli_fail("tenant '%s' already exists", name);
    if (rc != SCIM_OK)
        return cli_fail("cannot add tenant '%s'", name);
    fprintf(stderr, "tenant '%s' added\n", name);
    return 0;
}

static int
tenant_list(struct store *s)
{
    struct store_tenant *v = NULL;
    size_t n = 0, i;

    if (store_tenant_list(s, &v, &n) != SCIM_OK)
        return cli_fail("cannot list tenants");
    for (i = 0; i < n; i++) {
        printf("%s\n", v[i].name);
        store_tenant_free(&v[i]);
    }
    free(v);
    return 0;
}

int
cmd_tenant(struct store *s, int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "add") == 0)
        return tenant_add(s, argv[2]);
    if (argc == 2 && strcmp(argv[1], "list") == 0)
        return tenant_list(s);
    return cli_fail("usage: tenant add NAME | tenant list");
}
