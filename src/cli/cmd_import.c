/* SPDX-License-Identifier: MIT */
/*
 * scimctl import --tenant NAME FILE.jsonl: bulk-loads Users, one SCIM
 * User JSON object per line, through the same validation and record
 * building as POST /Users. Lines are committed in batches; a batch that
 * fails (a duplicate userName, say) is retried line by line so that
 * every bad line is reported by number and the good ones still land.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "record.h"
#include "resource.h"

#define IMPORT_BATCH 1000

struct importer {
    struct store *s;
    struct store_tenant t;
    struct scim_config cfg;
    struct scim_registry *reg;
    const struct scim_rtype *rt;
    struct record rec[IMPORT_BATCH];
    struct store_change ch[IMPORT_BATCH];
    char ids[IMPORT_BATCH][37];
    long line[IMPORT_BATCH];
    size_t n;
    long ok;
    long bad;
};

static void
flush_one(struct importer *im, size_t i)
{
    struct scim_error err = { 0 };

    if (store_apply(im->s, im->t.id, &im->ch[i], 1, NULL, &err) == SCIM_OK) {
        im->ok++;
        return;
    }
    im->bad++;
    fprintf(stderr, "line %ld: %s\n", im->line[i],
            err.detail[0] != '\0' ? err.detail : "cannot be stored");
}

static void
flush(struct importer *im)
{
    struct scim_error err = { 0 };
    size_t i;

    if (im->n == 0)
        return;
    if (store_apply(im->s, im->t.id, im->ch, im->n, NULL, &err) == SCIM_OK)
        im->ok += (long)im->n;
    else
        for (i = 0; i < im->n; i++)
            flush_one(im, i);
    for (i = 0; i < im->n; i++)
        record_free(&im->rec[i]);
    im->n = 0;
}

static void
add_line(struct importer *im, const char *text, long lineno)
{
    struct scim_ctx ctx;
    json_error_t jerr;
    json_t *in = json_loads(text, 0, &jerr), *valid = NULL;
    size_t k = im->n;
    char loc[128];

    if (in == NULL) {
        im->bad++;
        fprintf(stderr, "line %ld: not JSON: %s\n", lineno, jerr.text);
        return;
    }
    scim_ctx_init(&ctx, &im->cfg, im->reg);
    if (resource_prepare(&ctx, im->rt, RESOURCE_CREATE, in, NULL, &valid)
        != SCIM_OK) {
        im->bad++;
        fprintf(stderr, "line %ld: %s\n", lineno, ctx.err.detail);
        goto out;
    }
    record_new_id(im->ids[k]);
    snprintf(loc, sizeof(loc), "/scim/v2/Users/%s", im->ids[k]);
    if (record_build(&im->rec[k], im->rt, valid, im->ids[k], NULL, 1, loc)
        != SCIM_OK) {
        im->bad++;
        fprintf(stderr, "line %ld: out of memory\n", lineno);
        goto out;
    }
    record_change(&im->ch[k], STORE_INSERT, im->rt, im->ids[k],
                  &im->rec[k], &ctx);
    /* The hash belongs to ctx, which ends here; imports keep none. */
    im->ch[k].pw_hash = NULL;
    im->line[k] = lineno;
    if (++im->n == IMPORT_BATCH)
        flush(im);

out:
    scim_ctx_clear(&ctx);
    json_decref(valid);
    json_decref(in);
}

static int
setup(struct importer *im, struct store *s, const char *tenant)
{
    struct scim_error err = { 0 };
    json_t *j;
    int rc;

    im->s = s;
    if (cli_tenant(s, tenant, &im->t) != 0)
        return 1;
    j = json_loads(im->t.config, 0, NULL);
    config_default(&im->cfg);
    rc = config_from_json(j, &im->cfg, &err);
    json_decref(j);
    if (rc == SCIM_OK)
        rc = config_registry(&im->cfg, &im->reg, &err);
    if (rc != SCIM_OK)
        return cli_fail("tenant '%s': %s", tenant, err.detail);
    im->rt = registry_rtype(im->reg, "User");
    return 0;
}

static int
import_file(struct importer *im, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;

    while ((len = getline(&line, &cap, f)) != -1) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len > 0)
            add_line(im, line, lineno);
    }
    flush(im);
    free(line);
    fprintf(stderr, "imported %ld users, %ld lines refused\n", im->ok,
            im->bad);
    return im->bad > 0 ? 1 : 0;
}

int
cmd_import(struct store *s, int argc, char **argv)
{
    struct importer *im;
    FILE *f;
    int rc;

    if (argc != 4 || strcmp(argv[1], "--tenant") != 0)
        return cli_fail("usage: import --tenant NAME FILE.jsonl");
    f = strcmp(argv[3], "-") == 0 ? stdin : fopen(argv[3], "r");
    if (f == NULL)
        return cli_fail("cannot open %s", argv[3]);
    im = calloc(1, sizeof(*im));
    if (im == NULL)
        return cli_fail("out of memory");
    rc = setup(im, s, argv[2]);
    if (rc == 0)
        rc = import_file(im, f);
    if (f != stdin)
        fclose(f);
    registry_free(im->reg);
    config_free(&im->cfg);
    store_tenant_free(&im->t);
    free(im);
    return rc;
}
