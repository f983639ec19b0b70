/* SPDX-License-Identifier: MIT */
/*
 * Runner of filters.json: parses each filter (accept or reject as the
 * source did), compares the tree where the source asserts one (after
 * flattening nested and/or, as the vectors' README says), and evaluates
 * the filter against the case's resources. Which schema a case runs
 * against follows its tags: core-schema and schema-aware cases use the
 * built-in User type, and so do evaluation cases that use no attribute
 * outside it; cases with "attributes" use the User schema plus those
 * attributes, and the rest run schemaless.
 *
 * A disputed case is reported as skipped (with whether it would pass)
 * unless scimd deliberately adopts the source's behaviour; the adopted
 * ids are listed in adopted[] with the reason for each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "filter.h"
#include "schema.h"
#include "vectors.h"

#define CUSTOM_URN "urn:scimd:test:vectors:User"

/*
 * Disputed cases whose expectation scimd adopts on purpose. Each is
 * also listed in docs/internals/filter.md.
 */
static const char *const adopted[] = {
    /* We adopt: attributes that are never returned (password) read as
       absent in filters, so a filter cannot be used to probe them. */
    "scimple-008",
};

/*
 * Cases the vectors do not mark disputed but whose expectation breaks
 * RFC 7643: SCIMMY's Filter.match compares strings case-sensitively
 * because it evaluates without a schema, while userName is caseExact
 * false (RFC 7643 4.1.1), so "MeganB" contains "A" for an RFC server.
 * They are reported as skipped, with this reason, never as passed.
 */
static const char *const contested[] = {
    "scimmy-eval-003",  /* userName co "A" must also match "MeganB" */
    "scimmy-eval-022",  /* the same clause inside an and */
};

static int
listed(const char *const *list, size_t n, const char *id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(list[i], id) == 0)
            return 1;
    return 0;
}

static int
is_adopted(const char *id)
{
    return listed(adopted, sizeof(adopted) / sizeof(adopted[0]), id);
}

static int
is_contested(const char *id)
{
    return listed(contested, sizeof(contested) / sizeof(contested[0]), id);
}

static int
has_tag(const json_t *c, const char *tag)
{
    const json_t *t;
    size_t i;

    json_array_foreach(json_object_get(c, "tags"), i, t)
        if (strcmp(json_string_value(t), tag) == 0)
            return 1;
    return 0;
}

/* ---- Custom schema from "attributes" ------------------------------------- */

/* An RFC 7643 attribute definition from the vectors' short form. */
static json_t *
attr_def(const char *name, const json_t *spec)
{
    const char *type = json_string_value(json_object_get(spec, "type"));
    json_t *d = json_pack("{s:s, s:s, s:b, s:b, s:b, s:s, s:s, s:s}",
                          "name", name, "type", type,
                          "multiValued",
                          json_is_true(json_object_get(spec, "multiValued")),
                          "required", 0,
                          "caseExact",
                          json_is_true(json_object_get(spec, "caseExact")),
                          "mutability", "readWrite", "returned", "default",
                          "uniqueness", "none");

    if (d != NULL && json_object_get(spec, "subAttributes") != NULL)
        json_object_set(d, "subAttributes",
                        json_object_get(spec, "subAttributes"));
    return d;
}

/* The built-in User schema with the case's attributes added. */
static struct scim_schema *
custom_schema(const struct scim_registry *reg, const json_t *attrs)
{
    const struct scim_rtype *user = registry_rtype(reg, "User");
    json_t *def = json_deep_copy(user->core->json);
    json_t *list = json_object_get(def, "attributes");
    struct scim_schema *s = NULL;
    struct scim_error err;
    const char *k;
    json_t *v;

    memset(&err, 0, sizeof(err));
    json_object_set_new(def, "id", json_string(CUSTOM_URN));
    json_object_foreach((json_t *)attrs, k, v)
        json_array_append_new(list, attr_def(k, v));
    if (schema_from_json(def, &s, &err) != SCIM_OK)
        fprintf(stderr, "custom schema: %s (%s)\n", err.detail, err.attr);
    json_decref(def);
    return s;
}

/* ---- Trees --------------------------------------------------------------- */

static json_t *ast_json(const struct filter_node *f);

/* Appends the operands of an and/or chain, flattening same-op nodes. */
static void
flatten(const struct filter_node *f, enum filter_op op, json_t *args)
{
    if (f->op == op) {
        flatten(f->a, op, args);
        flatten(f->b, op, args);
        return;
    }
    json_array_append_new(args, ast_json(f));
}

static json_t *
ast_json(const struct filter_node *f)
{
    json_t *args;

    switch (f->op) {
    case FILTER_AND:
    case FILTER_OR:
        args = json_array();
        flatten(f, f->op, args);
        return json_pack("{s:s, s:o}", "op", filter_op_name(f->op), "args",
                         args);
    case FILTER_NOT:
        return json_pack("{s:s, s:o}", "op", "not", "arg", ast_json(f->a));
    case FILTER_VALUEPATH:
        return json_pack("{s:s, s:s, s:o}", "op", "valuePath", "attr",
                         f->attr.text, "filter", ast_json(f->a));
    case FILTER_PR:
        return json_pack("{s:s, s:s}", "op", "pr", "attr", f->attr.text);
    default:
        return json_pack("{s:s, s:s, s:O}", "op", filter_op_name(f->op),
                         "attr", f->attr.text, "value", f->value);
    }
}

/* json_equal, except that 25 and 25.0 are the same number. */
static int
same(const json_t *a, const json_t *b)
{
    const char *k;
    json_t *v;
    size_t i;

    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        json_array_foreach(a, i, v)
            if (!same(v, json_array_get(b, i)))
                return 0;
        return 1;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach((json_t *)a, k, v)
            if (!same(v, json_object_get(b, k)))
                return 0;
        return 1;
    }
    return json_equal(a, b);
}

/* ---- One case ------------------------------------------------------------ */

static int
expected_match(const json_t *matches, size_t i)
{
    const json_t *m;
    size_t j;

    json_array_foreach(matches, j, m)
        if ((size_t)json_integer_value(m) == i)
            return 1;
    return 0;
}

/* Evaluates f on every resource; writes the wrong indexes to why. */
static int
check_matches(const json_t *c, const struct filter_node *f, char *why,
              size_t size)
{
    const json_t *res = json_object_get(c, "resources"), *r;
    const json_t *matches = json_object_get(c, "matches");
    size_t i, n = 0;
    int got, bad = 0;

    n = (size_t)snprintf(why, size, "wrong match for resources:");
    json_array_foreach(res, i, r) {
        got = filter_match(f, r);
        if (got == expected_match(matches, i))
            continue;
        bad = 1;
        if (n < size)
            n += (size_t)snprintf(why + n, size - n, " #%zu (%s)", i,
                                  got ? "matched" : "missed");
    }
    return bad;
}

static int
check_error(const json_t *c, const struct scim_ctx *ctx, char *why,
            size_t size)
{
    const json_t *e = json_object_get(c, "error");
    const char *want = json_string_value(json_object_get(e, "scimType"));

    if (want == NULL)
        want = json_string_value(json_object_get(e, "rfc_scimType"));
    if (want == NULL)
        want = "invalidFilter";
    if (ctx->err.status == 400 && strcmp(ctx->err.scim_type, want) == 0)
        return 0;
    snprintf(why, size, "rejected with %d %s, expected 400 %s",
             ctx->err.status, ctx->err.scim_type, want);
    return 1;
}

/* Runs case c against rt (NULL: schemaless); 0 pass, 1 fail. */
static int
run_case(const json_t *c, const struct scim_rtype *rt, char *why,
         size_t size)
{
    struct scim_ctx ctx;
    struct filter_node *f = NULL;
    const json_t *ast = json_object_get(c, "ast");
    json_t *mine;
    int valid = json_is_true(json_object_get(c, "valid")), bad = 0, rc;

    scim_ctx_init(&ctx, NULL, NULL);
    rc = filter_parse(&ctx, rt,
                      json_string_value(json_object_get(c, "filter")), &f);
    if (rc != SCIM_OK && valid)
        bad = snprintf(why, size, "rejected: %s", ctx.err.detail) > 0;
    else if (rc == SCIM_OK && !valid)
        bad = snprintf(why, size, "accepted an invalid filter") > 0;
    else if (rc != SCIM_OK)
        bad = check_error(c, &ctx, why, size);
    if (!bad && f != NULL && ast != NULL) {
        mine = ast_json(f);
        if (!same(mine, ast)) {
            char *s = json_dumps(mine, JSON_COMPACT);

            snprintf(why, size, "tree differs: %s", s != NULL ? s : "?");
            free(s);
            bad = 1;
        }
        json_decref(mine);
    }
    if (!bad && f != NULL && json_object_get(c, "resources") != NULL)
        bad = check_matches(c, f, why, size);
    filter_free(f);
    scim_ctx_clear(&ctx);
    return bad;
}

static void
report(struct vec_stats *st, const json_t *c, int bad, const char *why)
{
    const char *id = json_string_value(json_object_get(c, "id"));
    char msg[1200];

    if (is_contested(id)) {
        snprintf(msg, sizeof(msg), "contested (not marked disputed, but "
                 "the source compares userName case-sensitively, against "
                 "RFC 7643); scimd %s%s", bad ? "differs: " : "agrees",
                 bad ? why : "");
        vec_report(st, c, "skip", msg);
        return;
    }
    if (!json_is_true(json_object_get(c, "disputed")) || is_adopted(id)) {
        vec_report(st, c, bad ? "fail" : "pass", why);
        return;
    }
    snprintf(msg, sizeof(msg), "not adopted; scimd %s%s%s",
             bad ? "differs: " : "agrees with the source",
             bad ? why : "", "");
    vec_report(st, c, "skip", msg);
}

void
vec_run_filters(const json_t *cases, struct vec_stats *st)
{
    struct scim_registry *reg = registry_new();
    const struct scim_rtype *user = registry_rtype(reg, "User");
    struct scim_schema *custom;
    struct scim_rtype crt;
    const json_t *c, *attrs;
    char why[1024];
    size_t i;
    int bad;

    json_array_foreach(cases, i, c) {
        why[0] = '\0';
        attrs = json_object_get(c, "attributes");
        if (attrs != NULL) {
            custom = custom_schema(reg, attrs);
            memset(&crt, 0, sizeof(crt));
            crt.name = (char *)"User";
            crt.core = custom;
            bad = custom == NULL ? snprintf(why, sizeof(why), "no schema")
                                 : run_case(c, &crt, why, sizeof(why));
            schema_free(custom);
        } else if (has_tag(c, "core-schema") || has_tag(c, "schema-aware")
                   || (has_tag(c, "eval")
                       && !has_tag(c, "non-schema-attrs")))
            bad = run_case(c, user, why, sizeof(why));
        else
            bad = run_case(c, NULL, why, sizeof(why));
        report(st, c, bad != 0, why);
    }
    registry_free(reg);
}
