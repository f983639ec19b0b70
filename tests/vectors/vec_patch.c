/* SPDX-License-Identifier: MIT */
/*
 * PATCH vectors (../shared/vectors/patch.json): each case applies its
 * operations with patch_apply() to its "before" resource and expects
 * "after" exactly (json_equal: patch_apply never touches "schemas" or
 * "meta", which resource_prepare rebuilds later, so the documents are
 * compared whole) or the expected error (status and scimType, else
 * rfc_scimType). Request-level cases (before null) run on a minimal
 * resource. Schemas: core User and Group from registry_new(), SCIMMY's
 * test type and scim2-models' custom types built from "attributes";
 * cases tagged non-schema-attrs run schemaless (rt NULL). The tenant
 * configuration mirrors the source: every dialect rule on, except
 * filter_create, which follows scim-patch's treatMissingAsAdd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "patch.h"
#include "vectors.h"

/*
 * Disputed cases, and the few undisputed ones where scimd deliberately
 * answers otherwise. ADOPT: scimd does what the source expects (the
 * case must pass as written). OWN: scimd answers "expect" instead, and
 * the case is reported as skipped once that answer is checked. expect:
 * "error:<scimType>[|<scimType>]", "unchanged" (the resource stays as
 * it was) or "ok" (success; the source's document differs).
 */
enum decision { ADOPT, OWN };

static const struct {
    const char *id;
    enum decision d;
    const char *expect;
    const char *why;
} decisions[] = {
    /* filter_create: Entra's emails[type eq "work"].value */
    { "scimpatch-020", ADOPT, NULL, "dialect filter_create" },
    { "scimpatch-029", ADOPT, NULL, "dialect filter_create" },
    { "scimpatch-061", ADOPT, NULL, "dialect filter_create (add)" },
    { "scimpatch-062", ADOPT, NULL, "dialect filter_create (add)" },
    { "scimpatch-063", ADOPT, NULL, "dialect filter_create (add)" },
    { "scimpatch-066", ADOPT, NULL, "dialect filter_create (add)" },
    { "scimpatch-039", OWN, "error:invalidValue",
      "filter_create applies, but {} is no string for emails.value" },
    { "scimmy-016", OWN, "error:noTarget",
      "RFC 7644 3.5.2.3; filter_create needs a sub-attribute path" },
    /* Request shape */
    { "scim2models-086", OWN, "error:invalidValue",
      "RFC 7644 3.5.2: Operations needs one or more operations" },
    { "scim2models-011", OWN, "error:invalidValue",
      "RFC 7644 3.5.2.3: a path-less value must be an object" },
    { "scim2models-032", OWN, "error:invalidValue",
      "RFC 7644 3.5.2.1: a path-less value must be an object" },
    { "scim2models-084", OWN, "error:invalidValue",
      "RFC 7644 3.5.2.1: a path-less value must be an object" },
    /* Table 9 keywords for bad paths and values */
    { "scimpatch-065", OWN, "error:invalidPath|invalidFilter", "table 9" },
    { "scimpatch-102", OWN, "error:invalidPath|invalidFilter", "table 9" },
    { "scimpatch-103", OWN, "error:invalidPath|invalidFilter", "table 9" },
    { "scimpatch-104", OWN, "error:invalidPath|invalidFilter", "table 9" },
    { "scimpatch-105", OWN, "error:invalidPath|invalidFilter", "table 9" },
    { "scimpatch-024", OWN, "error:invalidValue", "type mismatch" },
    { "scimpatch-055", OWN, "error:invalidValue", "type mismatch" },
    { "scimpatch-036", OWN, "ok",
      "RFC 7644 3.5.2.3: replace without filter replaces the list" },
    /* Unquoted filter literal */
    { "scimmy-004", ADOPT, NULL, "dialect unquoted_value" },
    { "scimmy-012", ADOPT, NULL, "dialect unquoted_value" },
    /* Immutable attribute still unset */
    { "scim2models-080", ADOPT, NULL,
      "an unset immutable attribute may be set (RFC 7643 2.2)" },
    /* remove with a value: Entra's legacy member removal */
    { "scimpatch-085", ADOPT, NULL, "dialect remove_values" },
    { "scimpatch-086", ADOPT, NULL, "dialect remove_values" },
    { "scimpatch-087", ADOPT, NULL, "dialect remove_values" },
    { "scimpatch-088", ADOPT, NULL, "dialect remove_values" },
    { "scimpatch-089", ADOPT, NULL, "dialect remove_values" },
    { "scimpatch-090", ADOPT, NULL, "dialect remove_values" },
    { "scimpatch-091", ADOPT, NULL, "dialect remove_values" },
    { "scimpatch-092", ADOPT, NULL, "dialect remove_values" },
    { "scimpatch-093", ADOPT, NULL, "dialect remove_values" },
    { "scim2models-040", ADOPT, NULL, "dialect remove_values" },
    { "scim2models-041", ADOPT, NULL, "dialect remove_values" },
    { "scim2models-042", ADOPT, NULL, "dialect remove_values" },
    { "scim2models-043", ADOPT, NULL, "dialect remove_values" },
    { "scim2models-044", ADOPT, NULL, "dialect remove_values" },
    { "scim2models-056", ADOPT, NULL, "dialect remove_values" },
    { "scim2models-057", ADOPT, NULL, "dialect remove_values" },
    { "scim2models-059", ADOPT, NULL, "dialect remove_values" },
    { "scimmy-006", ADOPT, NULL, "dialect remove_values" },
    { "scimmy-010", ADOPT, NULL, "dialect remove_values" },
    { "scimpatch-084", OWN, "unchanged",
      "remove_values on an absent attribute removes nothing" },
    { "scim2models-035", OWN, "error:invalidSyntax",
      "RFC 7644 3.5.2.2: remove takes no value (single-valued)" },
    { "scimmy-008", OWN, "ok",
      "remove_values matches members by value: both are removed" },
    /* Empty array through a filter */
    { "ping-011", ADOPT, NULL, "replace with [] removes (RFC 7643 2.5)" },
    { "ping-012", ADOPT, NULL, "replace with [] removes (RFC 7643 2.5)" },
    { "ping-013", ADOPT, NULL, "replace with [] removes (RFC 7643 2.5)" },
    { "ping-001", OWN, "ok",
      "schemaless: all applied, but \"schemas\" is left to "
      "resource_prepare, which rebuilds it from what is present" },
    /* Bare schema URN path */
    { "scim2models-060", ADOPT, NULL, "bare URN path = schema object" },
    { "scim2models-061", ADOPT, NULL, "bare URN path = schema object" },
    { "scim2models-063", ADOPT, NULL, "bare URN path = schema object" },
    /* remove through a filter that matches nothing */
    { "scimmy-035", ADOPT, NULL, "remove selecting nothing is a no-op" },
    /* Path-less keys */
    { "scimpatch-015", ADOPT, NULL, "dialect path_keys (URN keys)" },
    { "scimpatch-067", ADOPT, NULL, "dialect path_keys (dotted keys)" },

    /* Undisputed cases where sources disagree or contradict the RFC. */
    { "scimpatch-002", OWN, "error:invalidValue",
      "missing Operations: table 9 'a required value was missing', as "
      "scimmy-022 and scim2models-093" },
    { "scimpatch-008", OWN, "error:invalidValue",
      "empty Operations: invalidValue, as scimmy-023" },
    { "scimpatch-006", OWN, "error:invalidValue",
      "add without value: invalidValue, as scim2models-069, scimmy-030" },
    { "scimpatch-007", OWN, "error:invalidPath",
      "non-string path: invalidPath, as scimmy-032 and scimmy-034" },
    { "scim2models-090", OWN, "error:invalidSyntax",
      "unknown op: invalidSyntax, as scimpatch-003 and scimmy-029" },
    { "scimpatch-072", OWN, "error:invalidValue",
      "RFC 7644 3.5.2: two new primary values in one operation" },
    { "scimpatch-073", OWN, "ok",
      "RFC 7644 3.5.2: the new primary clears the old one" },
    { "scimmy-014", OWN, "ok",
      "RFC 7644 3.5.2.3: sub-attributes not given are left unchanged" },
};

static const char *patchop_urn =
    "urn:ietf:params:scim:api:messages:2.0:PatchOp";

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

static int
find_decision(const char *id)
{
    size_t i;

    for (i = 0; i < sizeof(decisions) / sizeof(decisions[0]); i++)
        if (strcmp(decisions[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* ---- Custom schemas ------------------------------------------------------ */

/* The vectors' {"name": {"type":...,"subAttributes":{...}}} as RFC 7643
   attribute definitions. */
static json_t *
attrs_to_rfc(const json_t *attrs)
{
    json_t *list = json_array(), *def, *subs;
    const char *name;
    json_t *a;

    json_object_foreach((json_t *)attrs, name, a) {
        def = json_deep_copy(a);
        json_object_set_new(def, "name", json_string(name));
        subs = json_object_get(a, "subAttributes");
        if (subs != NULL)
            json_object_set_new(def, "subAttributes", attrs_to_rfc(subs));
        json_array_append_new(list, def);
    }
    return list;
}

static struct scim_schema *
make_schema(const char *id, json_t *attrs)
{
    json_t *def = json_pack("{s:s, s:s, s:o}", "id", id, "name", "Test",
                            "attributes", attrs);
    struct scim_schema *s = NULL;
    struct scim_error err = { 0 };

    if (schema_from_json(def, &s, &err) != SCIM_OK)
        fprintf(stderr, "vec_patch: schema %s: %s\n", id, err.detail);
    json_decref(def);
    return s;
}

/* The case's resource type in reg, or NULL to run schemaless. */
static const struct scim_rtype *
case_rtype(const json_t *c, struct scim_registry *reg)
{
    const json_t *attrs = json_object_get(c, "attributes");
    struct scim_schema *core, *ext;
    struct scim_error err = { 0 };

    if (has_tag(c, "non-schema-attrs"))
        return NULL;
    if (has_tag(c, "resource:Group"))
        return registry_rtype(reg, "Group");
    if (attrs == NULL)
        return registry_rtype(reg, "User");
    core = make_schema("urn:vectors:Test", attrs_to_rfc(attrs));
    if (core == NULL || registry_add_rtype(reg, core, "Test", "/Tests",
                                           &err) != SCIM_OK)
        return NULL;
    if (has_tag(c, "extension")) {
        /* SCIMMY's extension: string attributes organization, test. */
        ext = make_schema("urn:ietf:params:scim:schemas:Extension",
                          json_pack("[{s:s,s:s},{s:s,s:s}]", "name",
                                    "organization", "type", "string",
                                    "name", "test", "type", "string"));
        if (ext == NULL || registry_add_extension(reg, ext, "Test", 0,
                                                  &err) != SCIM_OK)
            return NULL;
    }
    return registry_rtype(reg, "Test");
}

/* ---- Running one case ---------------------------------------------------- */

static unsigned
case_dialects(const json_t *c)
{
    const char *id = json_string_value(json_object_get(c, "id"));
    const json_t *o = json_object_get(c, "source_options");
    const json_t *tm = json_object_get(o, "treatMissingAsAdd");
    unsigned d = SCIM_DIALECT_ALL & ~SCIM_DIALECT_FILTER_CREATE;

    /* scim-patch defaults to treatMissingAsAdd: true */
    if (strncmp(id, "scimpatch-", 10) == 0 && !json_is_false(tm))
        d |= SCIM_DIALECT_FILTER_CREATE;
    return d;
}

static json_t *
case_body(const json_t *c)
{
    const json_t *req = json_object_get(c, "request");

    if (json_is_null(json_object_get(c, "before")) && req != NULL)
        return json_incref((json_t *)req);
    return json_pack("{s:[s], s:O}", "schemas", patchop_urn, "Operations",
                     json_object_get(c, "operations"));
}

static json_t *
case_before(const json_t *c, const struct scim_rtype *rt)
{
    const json_t *b = json_object_get(c, "before");

    if (!json_is_null(b))
        return json_deep_copy(b);
    if (rt != NULL && strcmp(rt->name, "Test") == 0)
        return json_pack("{s:s, s:s}", "id", "1234", "userName", "asdf");
    return json_pack("{s:[s], s:s, s:s}", "schemas", SCIM_SCHEMA_USER,
                     "id", "2819c223", "userName", "bjensen");
}

static int
type_in(const char *type, const char *alternatives)
{
    size_t n = strlen(type);
    const char *p = alternatives;

    while ((p = strstr(p, type)) != NULL) {
        if ((p == alternatives || p[-1] == '|' || p[-1] == ':')
            && (p[n] == '\0' || p[n] == '|'))
            return 1;
        p += n;
    }
    return 0;
}

/*
 * Checks the outcome against expect ("error:<types>", "unchanged",
 * "ok") and writes a reason into why when it differs.
 */
static int
check_own(const char *expect, int rc, const struct scim_error *err,
          const json_t *doc, const json_t *before, char *why, size_t n)
{
    if (strncmp(expect, "error:", 6) == 0) {
        if (rc != SCIM_OK && type_in(err->scim_type, expect))
            return 1;
        snprintf(why, n, "scimd should answer %s, got rc %d %s (%s)",
                 expect, rc, err->scim_type, err->detail);
        return 0;
    }
    if (rc != SCIM_OK) {
        snprintf(why, n, "scimd should succeed, got %s: %s", err->scim_type,
                 err->detail);
        return 0;
    }
    if (strcmp(expect, "unchanged") == 0 && !json_equal(doc, before)) {
        snprintf(why, n, "the resource should stay unchanged");
        return 0;
    }
    return 1;
}

/* Compares with the vector's own expectation. */
static int
check_vector(const json_t *c, int rc, const struct scim_error *err,
             const json_t *doc, char *why, size_t n)
{
    const json_t *e = json_object_get(c, "error"), *want;
    const char *type;
    char *got;

    if (!json_is_null(e)) {
        type = json_string_value(json_object_get(e, "scimType"));
        if (type == NULL)
            type = json_string_value(json_object_get(c, "rfc_scimType"));
        if (rc != SCIM_OK && err->status == 400 && type != NULL
            && strcmp(type, err->scim_type) == 0)
            return 1;
        snprintf(why, n, "expected 400 %s, got rc %d %s (%s)",
                 type != NULL ? type : "?", rc, err->scim_type, err->detail);
        return 0;
    }
    if (rc != SCIM_OK) {
        snprintf(why, n, "expected success, got %s: %s", err->scim_type,
                 err->detail);
        return 0;
    }
    want = json_object_get(c, "after");
    if (json_equal(doc, want))
        return 1;
    got = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(why, n, "result differs: %s", got != NULL ? got : "?");
    free(got);
    return 0;
}

static void
run_case(const json_t *c, struct vec_stats *st)
{
    const char *id = json_string_value(json_object_get(c, "id"));
    struct scim_registry *reg = registry_new();
    struct scim_config cfg = { .unknown = SCIM_UNKNOWN_IGNORE };
    const struct scim_rtype *rt;
    json_t *body = case_body(c), *doc, *before;
    struct scim_ctx ctx;
    char why[1400];
    int rc, k = find_decision(id), ok;

    rt = case_rtype(c, reg);
    cfg.dialects = case_dialects(c);
    scim_ctx_init(&ctx, &cfg, reg);
    doc = case_before(c, rt);
    before = json_deep_copy(doc);
    rc = patch_apply(&ctx, rt, doc, body, NULL);
    why[0] = '\0';
    if (k >= 0 && decisions[k].d == OWN) {
        ok = check_own(decisions[k].expect, rc, &ctx.err, doc, before, why,
                       sizeof(why));
        if (ok)
            snprintf(why, sizeof(why), "scimd: %s (%s)",
                     decisions[k].expect, decisions[k].why);
        vec_report(st, c, ok ? "skip" : "fail", why);
    } else {
        ok = check_vector(c, rc, &ctx.err, doc, why, sizeof(why));
        vec_report(st, c, ok ? "pass" : "fail", why);
    }
    scim_ctx_clear(&ctx);
    json_decref(before);
    json_decref(doc);
    json_decref(body);
    registry_free(reg);
}

void
vec_run_patch(const json_t *cases, struct vec_stats *st)
{
    const json_t *c;
    size_t i;

    json_array_foreach(cases, i, c)
        run_case(c, st);
}
