/* SPDX-License-Identifier: MIT */
/*
 * scimctl: administers a scimd database (SQLite file or PostgreSQL
 * URL). Opening the store creates or migrates its schema, so scimctl
 * may be the first program to touch a new database.
 *
 *   scimctl --db DB tenant add NAME | tenant list
 *   scimctl --db DB token issue NAME | token list NAME |
 *                    token revoke NAME ID
 *   scimctl --db DB config show NAME | config set NAME KEY VALUE
 *   scimctl --db DB log [...] | diagnose [...] | import ...
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"

static const struct {
    const char *name;
    cli_cmd_fn fn;
} commands[] = {
    { "tenant", cmd_tenant },
    { "token", cmd_token },
    { "config", cmd_config },
    { "log", cmd_log },
    { "diagnose", cmd_diagnose },
    { "import", cmd_import },
};

int
cli_fail(const char *fmt, ...)
{
    va_list ap;

    fputs("scimctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int
cli_tenant(struct store *s, const char *name, struct store_tenant *out)
{
    int rc = store_tenant_get(s, name, 0, out);

    if (rc == SCIM_ENOTFOUND)
        return cli_fail("no tenant named '%s' (see 'scimctl tenant list')",
                        name);
    if (rc != SCIM_OK)
        return cli_fail("cannot read tenant '%s' from the database", name);
    return 0;
}

static int
usage(void)
{
    fprintf(stderr,
        "usage: scimctl --db FILE|postgresql://URL COMMAND ...\n"
        "  tenant add NAME | tenant list\n"
        "  token issue NAME | token list NAME [--json] |"
        " token revoke NAME ID\n"
        "  config show NAME | config set NAME KEY VALUE\n"
        "  log [--tenant NAME] [--user X] [--since T] [--until T]"
        " [--failed] [--json]\n"
        "  diagnose --user X [--tenant NAME] [--at T] [--window 30m]"
        " [--json]\n"
        "  diagnose --tenant NAME --since T [--until T] [--json]\n"
        "  import --tenant NAME FILE.jsonl\n");
    return 2;
}

int
main(int argc, char **argv)
{
    struct scim_error err = { 0 };
    struct store *s = NULL;
    const char *db = getenv("SCIMD_DB");
    size_t i;
    int a = 1, rc;

    if (a + 1 < argc && strcmp(argv[a], "--db") == 0) {
        db = argv[a + 1];
        a += 2;
    }
    if (db == NULL || a >= argc)
        return usage();
    if (sodium_init() < 0)
        return cli_fail("libsodium failed to initialise");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[a], commands[i].name) != 0)
            continue;
        if (store_open(db, &s, &err) != SCIM_OK)
            return cli_fail("%s", err.detail);
        rc = commands[i].fn(s, argc - a, argv + a);
        store_close(s);
        return rc;
    }
    return usage();
}
