/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of schema.c, ctx.c and config.c: the built-in schemas carry
 * the RFC 7643 characteristics the rest of the core relies on, paths
 * resolve in every spelling identity providers use, bad definitions are
 * refused with the attribute named, and tenant configuration reads,
 * writes and builds its registry. Ends with an allocation-failure walk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "ctx.h"
#include "schema.h"

#define ENT SCIM_SCHEMA_ENTERPRISE

static int
setup(void **state)
{
    *state = registry_new();
    return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    registry_free(*state);
    return 0;
}

static struct scim_attr_ref
resolve(const struct scim_rtype *rt, const char *path, int want_rc)
{
    struct scim_attr_ref ref = { 0 };

    assert_int_equal(rtype_resolve(rt, path, strlen(path), &ref), want_rc);
    return ref;
}

static void
test_builtin_registry(void **state)
{
    const struct scim_registry *reg = *state;
    const struct scim_rtype *user = registry_rtype(reg, "User");

    assert_int_equal(reg->nschemas, 3);
    assert_int_equal(reg->nrtypes, 2);
    assert_non_null(user);
    assert_ptr_equal(registry_rtype(reg, "/Users"), user);
    assert_ptr_equal(registry_rtype(reg, "user"), user);
    assert_string_equal(user->core->id, SCIM_SCHEMA_USER);
    assert_int_equal(user->nexts, 1);
    assert_string_equal(user->exts[0].schema->id, ENT);
    assert_int_equal(user->exts[0].required, 0);
    assert_string_equal(registry_rtype(reg, "/Groups")->name, "Group");
    assert_null(registry_rtype(reg, "Device"));
    assert_non_null(registry_schema(reg, "URN:IETF:params:scim:schemas:"
                                         "core:2.0:group"));
    assert_non_null(user->core->json);
}

static void
test_user_characteristics(void **state)
{
    const struct scim_rtype *u = registry_rtype(*state, "User");
    struct scim_attr_ref r;

    r = resolve(u, "userName", SCIM_OK);
    assert_true(r.attr->required);
    assert_false(r.attr->case_exact);
    assert_int_equal(r.attr->uniqueness, SCIM_UNIQ_SERVER);
    r = resolve(u, "id", SCIM_OK);
    assert_int_equal(r.attr->mutability, SCIM_MUT_READONLY);
    assert_int_equal(r.attr->returned, SCIM_RET_ALWAYS);
    assert_true(r.attr->case_exact);
    assert_int_equal(r.attr->uniqueness, SCIM_UNIQ_SERVER);
    r = resolve(u, "externalId", SCIM_OK);
    assert_true(r.attr->case_exact);
    assert_int_equal(r.attr->mutability, SCIM_MUT_READWRITE);
    r = resolve(u, "password", SCIM_OK);
    assert_int_equal(r.attr->mutability, SCIM_MUT_WRITEONLY);
    assert_int_equal(r.attr->returned, SCIM_RET_NEVER);
    r = resolve(u, "groups", SCIM_OK);
    assert_int_equal(r.attr->mutability, SCIM_MUT_READONLY);
    assert_true(r.attr->multi_valued);
    r = resolve(u, "meta.lastModified", SCIM_OK);
    assert_int_equal(r.sub->type, SCIM_AT_DATETIME);
    assert_int_equal(r.attr->mutability, SCIM_MUT_READONLY);
    r = resolve(u, "emails.type", SCIM_OK);
    assert_int_equal(r.sub->ncanonical, 3);
    assert_ptr_equal(r.sub->parent, r.attr);
    r = resolve(u, "x509Certificates.value", SCIM_OK);
    assert_int_equal(r.sub->type, SCIM_AT_BINARY);
    r = resolve(u, "active", SCIM_OK);
    assert_int_equal(r.attr->type, SCIM_AT_BOOLEAN);
    resolve(u, "addresses.primary", SCIM_OK);
    resolve(u, "ims.value", SCIM_OK);
    resolve(u, "photos.value", SCIM_OK);
    resolve(u, "entitlements.value", SCIM_OK);
    resolve(u, "roles.primary", SCIM_OK);
    resolve(u, "phoneNumbers.display", SCIM_OK);
}

static void
test_group_and_enterprise(void **state)
{
    const struct scim_rtype *g = registry_rtype(*state, "Group");
    const struct scim_rtype *u = registry_rtype(*state, "User");
    struct scim_attr_ref r;

    r = resolve(g, "displayName", SCIM_OK);
    assert_true(r.attr->required);
    r = resolve(g, "members.value", SCIM_OK);
    assert_int_equal(r.sub->mutability, SCIM_MUT_IMMUTABLE);
    r = resolve(g, "members.display", SCIM_OK);
    assert_int_equal(r.sub->mutability, SCIM_MUT_READWRITE);
    r = resolve(g, "members.$ref", SCIM_OK);
    assert_int_equal(r.sub->type, SCIM_AT_REFERENCE);
    assert_int_equal(r.sub->nref_types, 2);
    r = resolve(u, "manager.displayName", SCIM_OK);
    assert_int_equal(r.sub->mutability, SCIM_MUT_READONLY);
    assert_string_equal(r.schema->id, ENT);
    resolve(u, "employeeNumber", SCIM_OK);
    resolve(u, "costCenter", SCIM_OK);
    resolve(u, "organization", SCIM_OK);
    resolve(u, "division", SCIM_OK);
    resolve(u, "department", SCIM_OK);
    resolve(g, "department", SCIM_ENOTFOUND);
}

static void
test_resolve_spellings(void **state)
{
    const struct scim_rtype *u = registry_rtype(*state, "User");
    struct scim_attr_ref r;

    r = resolve(u, "NAME.GIVENNAME", SCIM_OK);
    assert_string_equal(r.attr->name, "name");
    assert_string_equal(r.sub->name, "givenName");
    r = resolve(u, ENT ":manager.value", SCIM_OK);
    assert_string_equal(r.schema->id, ENT);
    assert_string_equal(r.attr->name, "manager");
    assert_string_equal(r.sub->name, "value");
    r = resolve(u, "urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:"
                   "user:department", SCIM_OK);
    assert_string_equal(r.attr->name, "department");
    r = resolve(u, ENT, SCIM_OK);
    assert_string_equal(r.schema->id, ENT);
    assert_null(r.attr);
    r = resolve(u, SCIM_SCHEMA_USER ":userName", SCIM_OK);
    assert_true(rtype_is_core(u, r.schema));
    assert_string_equal(r.attr->name, "userName");
    /* The length argument bounds the path. */
    assert_int_equal(rtype_resolve(u, "userNameXYZ", 8, &r), SCIM_OK);
    assert_string_equal(r.attr->name, "userName");
    resolve(u, "nope", SCIM_ENOTFOUND);
    resolve(u, "name.nope", SCIM_ENOTFOUND);
    resolve(u, "name.givenName.x", SCIM_ENOTFOUND);
    resolve(u, ENT ":nope", SCIM_ENOTFOUND);
    resolve(u, ENT "x:department", SCIM_ENOTFOUND);
    resolve(u, "", SCIM_ENOTFOUND);
}

static void
test_container_and_iget(void **state)
{
    const struct scim_rtype *u = registry_rtype(*state, "User");
    json_t *doc = json_pack("{s:s, s:{s:s}}", "userName", "x",
                            "URN:ietf:params:scim:schemas:extension:"
                            "enterprise:2.0:User", "department", "R&D");
    struct scim_attr_ref core = resolve(u, "userName", SCIM_OK);
    struct scim_attr_ref ext = resolve(u, "department", SCIM_OK);
    const char *actual = NULL;
    json_t *c;

    assert_ptr_equal(rtype_container(u, doc, &core, 0), doc);
    c = rtype_container(u, doc, &ext, 0);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "department")),
                        "R&D");
    assert_non_null(json_iget(doc, "USERNAME", 8, &actual));
    assert_string_equal(actual, "userName");
    assert_null(json_iget(doc, "user", 4, NULL));
    json_decref(doc);

    doc = json_object();
    assert_null(rtype_container(u, doc, &ext, 0));
    c = rtype_container(u, doc, &ext, 1);
    assert_true(json_is_object(c));
    assert_ptr_equal(json_object_get(doc, ENT), c);
    json_decref(doc);
}

/* schema_from_json on text; returns rc and leaves err for inspection. */
static int
parse(const char *text, struct scim_error *err)
{
    json_t *j = json_loads(text, 0, NULL);
    struct scim_schema *s = NULL;
    int rc;

    assert_non_null(j);
    scim_error_clear(err);
    rc = schema_from_json(j, &s, err);
    assert_true(rc == SCIM_OK ? s != NULL : s == NULL);
    schema_free(s);
    json_decref(j);
    return rc;
}

static void
test_schema_validation(void **state)
{
    struct scim_error err;

    (void)state;
    assert_int_equal(parse("{\"id\":\"urn:x\",\"attributes\":[{\"name\":"
                           "\"a\",\"type\":\"string\"}]}", &err), SCIM_OK);
    assert_int_equal(parse("{\"attributes\":[]}", &err), SCIM_EINVAL);
    assert_string_equal(err.attr, "id");
    assert_int_equal(parse("{\"id\":\"urn:x\"}", &err), SCIM_EINVAL);
    assert_string_equal(err.attr, "attributes");
    assert_int_equal(parse("{\"id\":\"urn:x\",\"attributes\":[{\"name\":"
                           "\"1a\",\"type\":\"string\"}]}", &err),
                     SCIM_EINVAL);
    assert_string_equal(err.attr, "attributes[0]");
    assert_int_equal(parse("{\"id\":\"urn:x\",\"attributes\":[{\"name\":"
                           "\"a\",\"type\":\"text\"}]}", &err), SCIM_EINVAL);
    assert_string_equal(err.attr, "a");
    assert_int_equal(err.status, 400);
    assert_int_equal(parse("{\"id\":\"urn:x\",\"attributes\":[{\"name\":"
                           "\"c\",\"type\":\"complex\"}]}", &err),
                     SCIM_EINVAL);
    assert_string_equal(err.attr, "c");
    assert_int_equal(parse("{\"id\":\"urn:x\",\"attributes\":[{\"name\":"
                           "\"c\",\"type\":\"complex\",\"subAttributes\":"
                           "[{\"name\":\"d\",\"type\":\"complex\","
                           "\"subAttributes\":[{\"name\":\"e\",\"type\":"
                           "\"string\"}]}]}]}", &err), SCIM_EINVAL);
    assert_string_equal(err.attr, "c.d");
    assert_int_equal(parse("{\"id\":\"urn:x\",\"attributes\":[{\"name\":"
                           "\"a\",\"type\":\"string\"},{\"name\":\"A\","
                           "\"type\":\"string\"}]}", &err), SCIM_EINVAL);
    assert_string_equal(err.attr, "A");
    assert_int_equal(parse("{\"id\":\"urn:x\",\"attributes\":[{\"name\":"
                           "\"a\",\"type\":\"string\",\"mutability\":"
                           "\"sometimes\"}]}", &err), SCIM_EINVAL);
    assert_int_equal(parse("{\"id\":\"urn:x\",\"attributes\":[{\"name\":"
                           "\"a\",\"type\":\"string\",\"colour\":1}]}",
                           &err), SCIM_EINVAL);
    assert_int_equal(parse("{\"id\":\"urn:x\",\"attributes\":[{\"name\":"
                           "\"b\",\"type\":\"boolean\",\"canonicalValues\":"
                           "[\"x\"]}]}", &err), SCIM_EINVAL);
    assert_int_equal(parse("{\"id\":\"urn:x\",\"attributes\":[{\"name\":"
                           "\"a\",\"type\":\"string\",\"required\":\"yes\"}"
                           "]}", &err), SCIM_EINVAL);
    assert_int_equal(parse("{\"id\":\"has blank\",\"attributes\":[]}", &err),
                     SCIM_EINVAL);
}

static const char ext_def[] =
    "{\"id\":\"urn:ietf:params:scim:schemas:extension:acme:2.0:User\","
    "\"name\":\"Acme\",\"attributes\":[{\"name\":\"costTier\","
    "\"type\":\"string\"},{\"name\":\"badge\",\"type\":\"integer\","
    "\"mutability\":\"immutable\"}]}";

static void
test_add_extension(void **state)
{
    struct scim_registry *reg = *state;
    const struct scim_rtype *u = registry_rtype(reg, "User");
    json_t *j = json_loads(ext_def, 0, NULL);
    struct scim_error err = { 0 };
    struct scim_schema *s, *s2;
    struct scim_attr_ref r;

    assert_int_equal(schema_from_json(j, &s, &err), SCIM_OK);
    assert_int_equal(schema_from_json(j, &s2, &err), SCIM_OK);
    assert_int_equal(registry_add_extension(reg, s, "User", 1, &err),
                     SCIM_OK);
    assert_int_equal(u->nexts, 2);
    assert_int_equal(u->exts[1].required, 1);
    r = resolve(u, "costTier", SCIM_OK);
    assert_string_equal(r.schema->id, "urn:ietf:params:scim:schemas:"
                                      "extension:acme:2.0:User");
    /* The same id twice is refused, and the registry frees s2. */
    assert_int_equal(registry_add_extension(reg, s2, "User", 0, &err),
                     SCIM_EINVAL);
    assert_int_equal(reg->nschemas, 4);
    assert_int_equal(schema_from_json(j, &s2, &err), SCIM_OK);
    scim_error_clear(&err);
    assert_int_equal(registry_add_extension(reg, s2, "Device", 0, &err),
                     SCIM_EINVAL);
    assert_string_equal(err.attr, "resourceType");
    json_decref(j);
}

static void
test_config_defaults(void **state)
{
    struct scim_config cfg;

    (void)state;
    assert_int_equal(config_default(&cfg), SCIM_OK);
    assert_int_equal(cfg.nrequired, 4);
    assert_string_equal(cfg.required[0], "userName");
    assert_string_equal(cfg.required[1], "name.givenName");
    assert_string_equal(cfg.required[2], "name.familyName");
    assert_string_equal(cfg.required[3], "emails");
    assert_int_equal(cfg.unknown, SCIM_UNKNOWN_IGNORE);
    assert_int_equal(cfg.dialects, SCIM_DIALECT_ALL);
    assert_int_equal(cfg.store_passwords, 0);
    assert_int_equal(cfg.retention_days, 30);
    assert_int_equal(cfg.max_results, 1000);
    config_free(&cfg);
    assert_null(cfg.required);
}

static void
test_config_json(void **state)
{
    struct scim_config cfg, back;
    struct scim_error err = { 0 };
    json_t *j, *j2;

    (void)state;
    assert_string_equal(config_dialect_name(SCIM_DIALECT_OP_CASE),
                        "op_case");
    assert_string_equal(config_dialect_name(SCIM_DIALECT_UNQUOTED_VALUE),
                        "unquoted_value");
    assert_null(config_dialect_name(3));
    assert_int_equal(config_dialect_bit("manager_string"),
                     SCIM_DIALECT_MANAGER_STRING);
    assert_int_equal(config_dialect_bit("nope"), 0);

    config_default(&cfg);
    j = json_loads("{\"required\":[\"userName\"],\"unknown\":\"reject\","
                   "\"dialects\":[\"op_case\",\"string_bool\"],"
                   "\"store_passwords\":true,\"retention_days\":7,"
                   "\"max_results\":200,\"rate_limit\":50,"
                   "\"extensions\":[]}", 0, NULL);
    assert_int_equal(config_from_json(j, &cfg, &err), SCIM_OK);
    assert_int_equal(cfg.nrequired, 1);
    assert_int_equal(cfg.unknown, SCIM_UNKNOWN_REJECT);
    assert_int_equal(cfg.dialects,
                     SCIM_DIALECT_OP_CASE | SCIM_DIALECT_STRING_BOOL);
    assert_int_equal(cfg.store_passwords, 1);
    assert_int_equal(cfg.retention_days, 7);
    assert_int_equal(cfg.max_results, 200);
    assert_int_equal(cfg.rate_limit, 50);
    j2 = config_to_json(&cfg);
    assert_true(json_equal(j, j2));
    config_default(&back);
    assert_int_equal(config_from_json(j2, &back, &err), SCIM_OK);
    assert_int_equal(back.dialects, cfg.dialects);
    config_free(&back);
    config_free(&cfg);
    json_decref(j);
    json_decref(j2);
}

static void
check_bad_config(const char *text, const char *key)
{
    struct scim_config cfg;
    struct scim_error err = { 0 };
    json_t *j = json_loads(text, 0, NULL);

    config_default(&cfg);
    assert_int_equal(config_from_json(j, &cfg, &err), SCIM_EINVAL);
    assert_string_equal(err.attr, key);
    assert_int_equal(err.status, 400);
    config_free(&cfg);
    json_decref(j);
}

static void
test_config_refusals(void **state)
{
    (void)state;
    check_bad_config("{\"colour\":1}", "colour");
    check_bad_config("{\"unknown\":\"drop\"}", "unknown");
    check_bad_config("{\"dialects\":[\"op_case\",\"nope\"]}", "dialects");
    check_bad_config("{\"dialects\":\"op_case\"}", "dialects");
    check_bad_config("{\"required\":[1]}", "required");
    check_bad_config("{\"retention_days\":0}", "retention_days");
    check_bad_config("{\"max_results\":\"10\"}", "max_results");
    check_bad_config("{\"store_passwords\":1}", "store_passwords");
    check_bad_config("{\"extensions\":[{\"schema\":1}]}", "extensions");
}

static void
test_config_registry(void **state)
{
    struct scim_config cfg;
    struct scim_registry *reg = NULL;
    struct scim_error err = { 0 };
    char text[1024];
    json_t *j;

    (void)state;
    snprintf(text, sizeof(text), "{\"required\":[\"userName\","
             "\"costTier\"],\"extensions\":[{\"schema\":%s,"
             "\"resourceType\":\"User\",\"required\":false}]}", ext_def);
    j = json_loads(text, 0, NULL);
    config_default(&cfg);
    assert_int_equal(config_from_json(j, &cfg, &err), SCIM_OK);
    assert_int_equal(config_registry(&cfg, &reg, &err), SCIM_OK);
    assert_int_equal(registry_rtype(reg, "User")->nexts, 2);
    registry_free(reg);
    json_decref(j);

    /* A required path no schema defines is refused when building. */
    j = json_loads("{\"required\":[\"shoeSize\"]}", 0, NULL);
    assert_int_equal(config_from_json(j, &cfg, &err), SCIM_OK);
    assert_int_equal(config_registry(&cfg, &reg, &err), SCIM_EINVAL);
    assert_null(reg);
    assert_string_equal(err.attr, "required");
    json_decref(j);
    config_free(&cfg);
}

static void
test_ctx(void **state)
{
    struct scim_config cfg;
    struct scim_ctx ctx;

    config_default(&cfg);
    cfg.dialects = SCIM_DIALECT_OP_CASE;
    scim_ctx_init(&ctx, &cfg, *state);
    assert_true(scim_ctx_dialect(&ctx, SCIM_DIALECT_OP_CASE));
    assert_false(scim_ctx_dialect(&ctx, SCIM_DIALECT_STRING_BOOL));
    scim_ctx_fire(&ctx, SCIM_DIALECT_OP_CASE);
    assert_int_equal(ctx.fired, SCIM_DIALECT_OP_CASE);
    scim_ctx_ignore(&ctx, "nickname");
    scim_ctx_ignore(&ctx, "nickname");
    scim_ctx_ignore(&ctx, "x");
    assert_int_equal(json_array_size(ctx.ignored), 2);
    ctx.password_hash = scim_strdup("$argon2id$secret");
    scim_ctx_clear(&ctx);
    assert_null(ctx.ignored);
    assert_null(ctx.password_hash);
    assert_int_equal(ctx.fired, 0);
    config_free(&cfg);
}

/*
 * Every allocation of registry_new may fail (jansson's too); each run
 * must give a complete registry or NULL, and leak nothing (ASan). The
 * walk ends once 50 runs in a row see no failure at all.
 */
static void
test_registry_enomem(void **state)
{
    struct scim_registry *reg;
    long n, fails = 0, streak = 0;

    (void)state;
    json_set_alloc_funcs(scim_malloc, scim_free);
    for (n = 1; n < 100000 && streak < 50; n++) {
        scim_alloc_fail_after(n);
        reg = registry_new();
        scim_alloc_fail_after(0);
        if (reg == NULL) {
            fails++;
            streak = 0;
            continue;
        }
        streak++;
        assert_int_equal(reg->nschemas, 3);
        assert_int_equal(reg->nrtypes, 2);
        registry_free(reg);
    }
    json_set_alloc_funcs(malloc, free);
    assert_true(fails > 50);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_builtin_registry, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_user_characteristics, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_group_and_enterprise, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_resolve_spellings, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_container_and_iget, setup,
                                        teardown),
        cmocka_unit_test(test_schema_validation),
        cmocka_unit_test_setup_teardown(test_add_extension, setup,
                                        teardown),
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_json),
        cmocka_unit_test(test_config_refusals),
        cmocka_unit_test(test_config_registry),
        cmocka_unit_test_setup_teardown(test_ctx, setup, teardown),
        cmocka_unit_test(test_registry_enomem),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
