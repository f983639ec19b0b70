/* SPDX-License-Identifier: MIT */
/*
 * Runs resources.json: payloads a server must accept (and how it keeps
 * them) or refuse. The tenant is strict, as the sources are: unknown
 * attributes and schema URNs refused, and no tenant-required paths
 * beyond the schemas' own (those are scimd policy, not in the sources).
 * Passwords are kept as hashes, so a "normalized" password is checked
 * against ctx.password_hash instead of the document, where scimd never
 * stores cleartext. Cases of a custom schema carry it in a compact map
 * form, turned here into an RFC 7643 attribute list.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "config.h"
#include "ctx.h"
#include "resource.h"
#include "schema.h"
#include "vectors.h"

static json_t *attrs_list(const json_t *map);

/* {"name": {"type": ...}} becomes [{"name": "name", "type": ...}]. */
static json_t *
attr_def(const char *name, const json_t *def)
{
    json_t *d = json_deep_copy(def), *subs;

    json_object_set_new(d, "name", json_string(name));
    subs = json_object_get(def, "subAttributes");
    if (json_is_object(subs))
        json_object_set_new(d, "subAttributes", attrs_list(subs));
    return d;
}

static json_t *
attrs_list(const json_t *map)
{
    json_t *list = json_array(), *def;
    const char *k;

    json_object_foreach((json_t *)map, k, def)
        json_array_append_new(list, attr_def(k, def));
    return list;
}

/* The registry and resource type a case runs against, or NULL. */
static const struct scim_rtype *
case_rtype(const json_t *c, struct scim_registry **reg, char *why,
           size_t n)
{
    const char *rt = json_string_value(json_object_get(c, "resource_type"));
    const json_t *sch = json_object_get(c, "schema");
    struct scim_error err = { 0 };
    struct scim_schema *s;
    json_t *def;

    *reg = registry_new();
    if (*reg == NULL || rt == NULL)
        return NULL;
    if (strncmp(rt, "custom:", 7) != 0)
        return registry_rtype(*reg, rt);
    def = json_pack("{s:O, s:o}", "id", json_object_get(sch, "id"),
                    "attributes",
                    attrs_list(json_object_get(sch, "attributes")));
    if (schema_from_json(def, &s, &err) != SCIM_OK
        || registry_add_rtype(*reg, s, "Custom", "/Custom", &err) != 0) {
        snprintf(why, n, "custom schema refused: %s", err.detail);
        json_decref(def);
        return NULL;
    }
    json_decref(def);
    return registry_rtype(*reg, "Custom");
}

static void
strict_config(struct scim_config *cfg)
{
    size_t i;

    config_default(cfg);
    for (i = 0; i < cfg->nrequired; i++)
        scim_free(cfg->required[i]);
    cfg->nrequired = 0;
    cfg->unknown = SCIM_UNKNOWN_REJECT;
    cfg->store_passwords = 1;
}

/* A valid case: accepted, and kept as "normalized" says. */
static void
judge_valid(const json_t *c, int rc, struct scim_ctx *ctx, const json_t *out,
            char *why, size_t n)
{
    json_t *want = json_deep_copy(json_object_get(c, "normalized"));
    const char *pw = json_string_value(json_object_get(want, "password"));

    if (rc != SCIM_OK) {
        snprintf(why, n, "refused (rc %d): %s", rc, ctx->err.detail);
    } else if (pw != NULL && (ctx->password_hash == NULL
                              || crypto_pwhash_str_verify(
                                     ctx->password_hash, pw,
                                     strlen(pw)) != 0)) {
        snprintf(why, n, "password not kept as a verifiable hash");
    } else if (want != NULL) {
        json_object_del(want, "password");
        if (!json_equal(want, (json_t *)out)) {
            char *got = json_dumps(out, JSON_COMPACT);

            snprintf(why, n, "normalized differs: got %s", got);
            free(got);
        }
    }
    json_decref(want);
}

static void
judge_invalid(const json_t *c, int rc, struct scim_ctx *ctx, char *why,
              size_t n)
{
    const json_t *e = json_object_get(c, "error");
    const char *type = json_string_value(json_object_get(e, "scimType"));
    json_int_t status = json_integer_value(json_object_get(e, "status"));

    if (rc != SCIM_EINVAL)
        snprintf(why, n, "accepted, expected %d", (int)status);
    else if (ctx->err.status != status)
        snprintf(why, n, "status %d, expected %d", ctx->err.status,
                 (int)status);
    else if (type != NULL && strcmp(type, ctx->err.scim_type) != 0)
        snprintf(why, n, "scimType %s, expected %s", ctx->err.scim_type,
                 type);
}

static void
run_case(const json_t *c, struct vec_stats *st)
{
    const char *op = json_string_value(json_object_get(c, "operation"));
    struct scim_registry *reg = NULL;
    const struct scim_rtype *rt;
    struct scim_config cfg;
    struct scim_ctx ctx;
    json_t *out = NULL;
    char why[1024] = "";
    int rc;

    strict_config(&cfg);
    rt = case_rtype(c, &reg, why, sizeof(why));
    if (rt == NULL) {
        vec_report(st, c, "fail", why[0] ? why : "no resource type");
        goto out;
    }
    scim_ctx_init(&ctx, &cfg, reg);
    rc = resource_prepare(&ctx, rt, op != NULL && strcmp(op, "replace") == 0
                          ? RESOURCE_REPLACE : RESOURCE_CREATE,
                          json_object_get(c, "payload"), NULL, &out);
    if (json_is_true(json_object_get(c, "valid")))
        judge_valid(c, rc, &ctx, out, why, sizeof(why));
    else
        judge_invalid(c, rc, &ctx, why, sizeof(why));
    if (st->verbose && ctx.err.status != 0)
        printf("    %s: %s [%s, %s, attr '%s']\n",
               json_string_value(json_object_get(c, "id")),
               ctx.err.detail, scim_cause_name(ctx.err.cause),
               ctx.err.scim_type, ctx.err.attr);
    vec_report(st, c, why[0] ? "fail" : "pass", why);
    scim_ctx_clear(&ctx);

out:
    json_decref(out);
    registry_free(reg);
    config_free(&cfg);
}

void
vec_run_resources(const json_t *cases, struct vec_stats *st)
{
    size_t i;
    json_t *c;

    json_array_foreach(cases, i, c)
        run_case(c, st);
}
