/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of resource_prepare, resource_project and resource_fold:
 * the tenant's required-attribute matrix (missing, null, "" for each
 * default path, with cause and attribute path), identity-provider
 * bodies from ../shared/idp/cases.json (Okta profile push, Entra ID,
 * OneLogin templates), dialect rules, read-only and unknown input,
 * immutability, passwords, projection and folding. Ends with an
 * allocation-failure walk over a realistic body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "config.h"
#include "ctx.h"
#include "resource.h"
#include "schema.h"

#define USER_URN "urn:ietf:params:scim:schemas:core:2.0:User"
#define GROUP_URN "urn:ietf:params:scim:schemas:core:2.0:Group"
#define ENT "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

struct fx {
    struct scim_registry *reg;
    struct scim_config cfg;
    struct scim_ctx ctx;
    json_t *out;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    if (f == NULL || (f->reg = registry_new()) == NULL
        || config_default(&f->cfg) != SCIM_OK)
        return -1;
    scim_ctx_init(&f->ctx, &f->cfg, f->reg);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    json_decref(f->out);
    scim_ctx_clear(&f->ctx);
    config_free(&f->cfg);
    registry_free(f->reg);
    free(f);
    return 0;
}

/* Runs resource_prepare on JSON text; f->out and f->ctx hold results. */
static int
prep(struct fx *f, const char *rtype, enum resource_mode mode,
     const char *body, const char *existing)
{
    json_error_t jerr;
    json_t *in = json_loads(body, 0, &jerr), *ex = NULL;
    int rc;

    if (in == NULL)
        fail_msg("bad test JSON: %s: %s", jerr.text, body);
    if (existing != NULL)
        ex = json_loads(existing, 0, NULL);
    json_decref(f->out);
    f->out = NULL;
    scim_ctx_clear(&f->ctx);
    scim_ctx_init(&f->ctx, &f->cfg, f->reg);
    rc = resource_prepare(&f->ctx, registry_rtype(f->reg, rtype), mode, in,
                          ex, &f->out);
    json_decref(in);
    json_decref(ex);
    assert_true(rc == SCIM_OK ? f->out != NULL : f->out == NULL);
    return rc;
}

static void
expect_error(struct fx *f, enum scim_cause cause, const char *type,
             const char *attr)
{
    assert_int_equal(f->ctx.err.status, 400);
    if (f->ctx.err.cause != cause)
        fail_msg("cause %s, expected %s (%s)",
                 scim_cause_name(f->ctx.err.cause), scim_cause_name(cause),
                 f->ctx.err.detail);
    assert_string_equal(f->ctx.err.scim_type, type);
    assert_string_equal(f->ctx.err.attr, attr);
    assert_non_null(strstr(f->ctx.err.detail, attr));
}

static const char *
str_at(const json_t *doc, const char *a, const char *b)
{
    const json_t *v = json_object_get(doc, a);

    return json_string_value(b != NULL ? json_object_get(v, b) : v);
}

/* ---- The required-attribute matrix ------------------------------------ */

/*
 * A valid create body with one required path replaced by what (NULL:
 * left out; otherwise JSON text), written to buf.
 */
static void
body_with(char *buf, size_t n, const char *path, const char *what)
{
    json_t *b = json_pack("{s:[s], s:s, s:{s:s, s:s}, s:[{s:s}]}",
                          "schemas", USER_URN, "userName", "u@example.com",
                          "name", "givenName", "U", "familyName", "One",
                          "emails", "value", "u@example.com");
    const char *dot = strchr(path, '.');
    json_t *obj = dot != NULL ? json_object_get(b, "name") : b;
    const char *key = dot != NULL ? dot + 1 : path;
    char *text;

    if (*path != '\0' && what == NULL)
        json_object_del(obj, key);
    else if (*path != '\0')
        json_object_set_new(obj, key, json_loads(what, JSON_DECODE_ANY,
                                                 NULL));
    text = json_dumps(b, JSON_COMPACT);
    snprintf(buf, n, "%s", text);
    free(text);
    json_decref(b);
}

static void
test_required_matrix(void **state)
{
    static const char *const paths[] = {
        "userName", "name.givenName", "name.familyName", "emails",
    };
    struct fx *f = *state;
    char body[512];
    size_t i;

    f->cfg.unknown = SCIM_UNKNOWN_IGNORE;
    body_with(body, sizeof(body), "", NULL);
    assert_int_equal(prep(f, "User", RESOURCE_CREATE, body, NULL), SCIM_OK);
    for (i = 0; i < 4; i++) {
        body_with(body, sizeof(body), paths[i], NULL);
        assert_int_equal(prep(f, "User", RESOURCE_CREATE, body, NULL),
                         SCIM_EINVAL);
        expect_error(f, SCIM_CAUSE_MISSING_REQUIRED, "invalidValue",
                     paths[i]);
        assert_non_null(strstr(f->ctx.err.detail, "was not sent"));

        body_with(body, sizeof(body), paths[i], "null");
        assert_int_equal(prep(f, "User", RESOURCE_CREATE, body, NULL),
                         SCIM_EINVAL);
        expect_error(f, SCIM_CAUSE_NULL_REQUIRED, "invalidValue", paths[i]);

        body_with(body, sizeof(body), paths[i], "\"\"");
        assert_int_equal(prep(f, "User", RESOURCE_CREATE, body, NULL),
                         SCIM_EINVAL);
        expect_error(f, SCIM_CAUSE_EMPTY_REQUIRED, "invalidValue",
                     paths[i]);
        assert_non_null(strstr(f->ctx.err.detail, "empty string"));
    }
}

static void
test_required_detail_and_emails(void **state)
{
    struct fx *f = *state;
    char body[512];

    body_with(body, sizeof(body), "name.familyName", "\"\"");
    prep(f, "User", RESOURCE_CREATE, body, NULL);
    assert_string_equal(f->ctx.err.detail, "Attribute 'name.familyName' is "
                        "required but was sent as an empty string.");
    body_with(body, sizeof(body), "emails", "[]");
    prep(f, "User", RESOURCE_CREATE, body, NULL);
    expect_error(f, SCIM_CAUSE_EMPTY_REQUIRED, "invalidValue", "emails");
    assert_non_null(strstr(f->ctx.err.detail, "empty list"));
    /* "emails" needs an address, not just a type label. */
    body_with(body, sizeof(body), "emails",
              "[{\"value\":\"\",\"type\":\"work\"}]");
    prep(f, "User", RESOURCE_CREATE, body, NULL);
    expect_error(f, SCIM_CAUSE_EMPTY_REQUIRED, "invalidValue", "emails");
    assert_non_null(strstr(f->ctx.err.detail, "non-empty 'value'"));
    /* name itself null: the sub-path is reported as not sent. */
    assert_int_equal(prep(f, "User", RESOURCE_CREATE, "{\"schemas\":[\""
                          USER_URN "\"],\"userName\":\"u\",\"name\":null,"
                          "\"emails\":[{\"value\":\"u@x\"}]}", NULL),
                     SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_MISSING_REQUIRED, "invalidValue",
                 "name.givenName");
    /* Group: displayName is required by the schema. */
    assert_int_equal(prep(f, "Group", RESOURCE_CREATE, "{\"schemas\":[\""
                          GROUP_URN "\"],\"displayName\":\"\"}", NULL),
                     SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_EMPTY_REQUIRED, "invalidValue",
                 "displayName");
}

static void
test_required_put_exemption(void **state)
{
    struct fx *f = *state;
    const char *old = "{\"schemas\":[\"" USER_URN "\"],\"id\":\"1\","
                      "\"userName\":\"old\",\"name\":{\"givenName\":\"O\","
                      "\"familyName\":\"L\"},\"active\":true}";
    const char *put = "{\"schemas\":[\"" USER_URN "\"],\"userName\":\"old\","
                      "\"name\":{\"givenName\":\"O\",\"familyName\":\"L\"},"
                      "\"active\":false}";

    /* The stored user never had emails: deactivation still works. */
    assert_int_equal(prep(f, "User", RESOURCE_REPLACE, put, old), SCIM_OK);
    assert_true(json_is_false(json_object_get(f->out, "active")));
    assert_int_equal(prep(f, "User", RESOURCE_CREATE, put, NULL),
                     SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_MISSING_REQUIRED, "invalidValue", "emails");
}

/* ---- Identity-provider bodies ----------------------------------------- */

static const char okta09[] =
    "{\"schemas\":[\"" USER_URN "\"],\"id\":\"<uid>\","
    "\"userName\":\"user.one@example.com\",\"name\":{\"givenName\":\"User\","
    "\"middleName\":\"Middle\",\"familyName\":\"One\"},\"emails\":[{"
    "\"primary\":true,\"value\":\"user.one@example.com\",\"type\":\"work\","
    "\"display\":\"user.one@example.com\"}],\"active\":true,\"groups\":[],"
    "\"meta\":{\"resourceType\":\"User\"}}";

static const char okta10[] =
    "{\"schemas\":[\"" USER_URN "\"],\"id\":\"<uid>\","
    "\"userName\":\"user.one@example.com\",\"name\":{\"givenName\":\"User\","
    "\"middleName\":\"\",\"familyName\":\"One\"},\"emails\":[{"
    "\"primary\":true,\"value\":\"user.one@example.com\",\"type\":\"work\","
    "\"display\":\"user.one@example.com\"}],\"active\":true,\"groups\":[],"
    "\"meta\":{\"resourceType\":\"User\"},\"password\":\"placeholder-2\","
    "\"title\":\"\"}";

static const char stored[] =
    "{\"schemas\":[\"" USER_URN "\"],\"id\":\"<uid>\","
    "\"userName\":\"user.one@example.com\",\"name\":{\"givenName\":\"User\","
    "\"familyName\":\"One\"},\"emails\":[{\"primary\":true,\"value\":"
    "\"user.one@example.com\",\"type\":\"work\"}],\"active\":true,"
    "\"meta\":{\"resourceType\":\"User\",\"created\":"
    "\"2024-01-01T00:00:00Z\"}}";

static void
test_okta_profile_push(void **state)
{
    struct fx *f = *state;
    json_t *e;

    assert_int_equal(prep(f, "User", RESOURCE_REPLACE, okta09, stored),
                     SCIM_OK);
    assert_null(json_object_get(f->out, "id"));
    assert_null(json_object_get(f->out, "meta"));
    assert_null(json_object_get(f->out, "groups"));
    assert_string_equal(str_at(f->out, "name", "middleName"), "Middle");
    e = json_array_get(json_object_get(f->out, "emails"), 0);
    assert_string_equal(str_at(e, "display", NULL), "user.one@example.com");
    /* Read-only input is dropped silently, not logged as ignored. */
    assert_null(f->ctx.ignored);

    f->cfg.store_passwords = 0;
    assert_int_equal(prep(f, "User", RESOURCE_REPLACE, okta10, stored),
                     SCIM_OK);
    assert_null(json_object_get(json_object_get(f->out, "name"),
                                "middleName"));
    assert_null(json_object_get(f->out, "title"));
    assert_null(json_object_get(f->out, "password"));
    assert_null(f->ctx.password_hash);
    assert_string_equal(str_at(f->out, "userName", NULL),
                        "user.one@example.com");
    assert_true(json_is_true(json_object_get(f->out, "active")));
}

static void
test_password_hash(void **state)
{
    struct fx *f = *state;

    f->cfg.store_passwords = 1;
    assert_int_equal(prep(f, "User", RESOURCE_REPLACE, okta10, stored),
                     SCIM_OK);
    assert_null(json_object_get(f->out, "password"));
    assert_non_null(f->ctx.password_hash);
    assert_int_equal(strncmp(f->ctx.password_hash, "$argon2id$", 10), 0);
    assert_int_equal(crypto_pwhash_str_verify(f->ctx.password_hash,
                                              "placeholder-2", 13), 0);
    assert_int_not_equal(crypto_pwhash_str_verify(f->ctx.password_hash,
                                                  "placeholder-1", 13), 0);
}

static void
test_entra_create(void **state)
{
    struct fx *f = *state;
    const char *body =
        "{\"schemas\":[\"" USER_URN "\",\"" ENT "\"],\"externalId\":"
        "\"0a21f0f2\",\"userName\":\"user.four@example.com\",\"active\":"
        "true,\"emails\":[{\"primary\":true,\"type\":\"work\",\"value\":"
        "\"user.four@example.com\"}],\"meta\":{\"resourceType\":\"User\"},"
        "\"name\":{\"formatted\":\"User Four\",\"familyName\":\"Four\","
        "\"givenName\":\"User\"},\"roles\":[],\"title\":null,"
        "\"phoneNumbers\":null}";
    json_t *s;

    assert_int_equal(prep(f, "User", RESOURCE_CREATE, body, NULL), SCIM_OK);
    assert_null(json_object_get(f->out, "roles"));
    assert_null(json_object_get(f->out, "title"));
    assert_null(json_object_get(f->out, "phoneNumbers"));
    assert_null(json_object_get(f->out, "meta"));
    assert_string_equal(str_at(f->out, "externalId", NULL), "0a21f0f2");
    /* The client listed the enterprise URN, so it stays listed. */
    s = json_object_get(f->out, "schemas");
    assert_int_equal(json_array_size(s), 2);
    assert_string_equal(json_string_value(json_array_get(s, 1)), ENT);
}

static void
test_entra_group_and_unknown_urn(void **state)
{
    struct fx *f = *state;
    const char *body =
        "{\"schemas\":[\"" GROUP_URN "\",\"http://schemas.microsoft.com/"
        "2006/11/ResourceManagement/ADSCIM/2.0/Group\"],\"externalId\":"
        "\"8aa1\",\"displayName\":\"Sales Team\",\"meta\":{"
        "\"resourceType\":\"Group\"}}";
    json_t *s;

    assert_int_equal(prep(f, "Group", RESOURCE_CREATE, body, NULL), SCIM_OK);
    s = json_object_get(f->out, "schemas");
    assert_int_equal(json_array_size(s), 1);
    assert_string_equal(json_string_value(json_array_get(s, 0)), GROUP_URN);
    assert_int_equal(json_array_size(f->ctx.ignored), 1);

    f->cfg.unknown = SCIM_UNKNOWN_REJECT;
    assert_int_equal(prep(f, "Group", RESOURCE_CREATE, body, NULL),
                     SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_VALUE, "invalidValue", "schemas");
}

static void
test_onelogin_template(void **state)
{
    struct fx *f = *state;
    const char *body =
        "{\"schemas\":[\"" USER_URN "\",\"" ENT "\"],\"userName\":"
        "\"user.six@example.com\",\"name\":{\"familyName\":\"Six\","
        "\"givenName\":\"User\"},\"title\":\"\",\"userType\":\"\","
        "\"timezone\":\"\",\"emails\":[{\"value\":\"user.six@example.com\","
        "\"type\":\"work\",\"primary\":true}],\"addresses\":[{\"locality\":"
        "\"\",\"region\":\"\",\"country\":\"\"}],\"" ENT "\":{"
        "\"organization\":\"\",\"division\":\"\",\"department\":\"\","
        "\"manager\":{\"value\":\"\",\"displayName\":\" \"}}}";

    assert_int_equal(prep(f, "User", RESOURCE_CREATE, body, NULL), SCIM_OK);
    assert_null(json_object_get(f->out, "addresses"));
    assert_null(json_object_get(f->out, "timezone"));
    assert_null(json_object_get(f->out, ENT));
    assert_int_equal(json_object_size(f->out), 4);
}

/* ---- Dialects, extensions, read-only and unknown input ---------------- */

static const char base[] =
    "\"schemas\":[\"" USER_URN "\"],\"userName\":\"b\",\"name\":{"
    "\"givenName\":\"B\",\"familyName\":\"J\"},\"emails\":[{\"value\":"
    "\"b@x\"}]";

static int
prep_user(struct fx *f, const char *extra)
{
    char body[1024];

    snprintf(body, sizeof(body), "{%s%s%s}", base, extra[0] ? "," : "",
             extra);
    return prep(f, "User", RESOURCE_CREATE, body, NULL);
}

static void
test_string_booleans(void **state)
{
    struct fx *f = *state;
    json_t *r;

    assert_int_equal(prep_user(f, "\"active\":\"False\",\"roles\":[{"
                                  "\"primary\":\"TRUE\",\"value\":\"v\"}]"),
                     SCIM_OK);
    assert_true(json_is_false(json_object_get(f->out, "active")));
    r = json_array_get(json_object_get(f->out, "roles"), 0);
    assert_true(json_is_true(json_object_get(r, "primary")));
    assert_true(f->ctx.fired & SCIM_DIALECT_STRING_BOOL);

    f->cfg.dialects &= ~SCIM_DIALECT_STRING_BOOL;
    assert_int_equal(prep_user(f, "\"active\":\"True\""), SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_TYPE, "invalidValue", "active");
    assert_int_equal(prep_user(f, "\"active\":\"yes\""), SCIM_EINVAL);
    assert_int_equal(prep_user(f, "\"active\":1"), SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_TYPE, "invalidValue", "active");
    assert_string_equal(f->ctx.err.detail, "Attribute 'active' must be true "
                        "or false, but a whole number was sent.");
}

static void
test_flat_urn_keys(void **state)
{
    struct fx *f = *state;
    json_t *ext, *s;

    assert_int_equal(prep_user(f, "\"" ENT ":department\":\"R&D\",\""
                                  ENT ":manager.value\":\"m1\","
                                  "\"name.middleName\":\"Q\""), SCIM_OK);
    ext = json_object_get(f->out, ENT);
    assert_string_equal(str_at(ext, "department", NULL), "R&D");
    assert_string_equal(str_at(json_object_get(ext, "manager"), "value",
                               NULL), "m1");
    assert_string_equal(str_at(f->out, "name", "middleName"), "Q");
    assert_string_equal(str_at(f->out, "name", "givenName"), "B");
    assert_true(f->ctx.fired & SCIM_DIALECT_PATH_KEYS);
    s = json_object_get(f->out, "schemas");
    assert_string_equal(json_string_value(json_array_get(s, 1)), ENT);

    /* The same attribute nested and flat is sent twice. */
    assert_int_equal(prep_user(f, "\"" ENT "\":{\"department\":\"A\"},\""
                                  ENT ":Department\":\"B\""), SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                 ENT ":department");
}

static void
test_extension_checks(void **state)
{
    struct fx *f = *state;
    json_t *m;

    assert_int_equal(prep_user(f, "\"" ENT "\":{\"manager\":\"m7\"}"),
                     SCIM_OK);
    m = json_object_get(json_object_get(f->out, ENT), "manager");
    assert_string_equal(str_at(m, "value", NULL), "m7");
    assert_true(f->ctx.fired & SCIM_DIALECT_MANAGER_STRING);

    assert_int_equal(prep_user(f, "\"" ENT "\":{\"manager\":{\"value\":"
                                  "\"\"}}"), SCIM_OK);
    assert_null(json_object_get(f->out, ENT));

    assert_int_equal(prep_user(f, "\"" ENT "\":{\"manager\":{\"value\":7}}"),
                     SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_TYPE, "invalidValue",
                 ENT ":manager.value");
    assert_int_equal(prep_user(f, "\"" ENT "\":\"x\""), SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_TYPE, "invalidValue", ENT);
}

static void
test_unknown_attributes(void **state)
{
    struct fx *f = *state;

    assert_int_equal(prep_user(f, "\"shoeSize\":44,\"name2\":1,\"emails2\":"
                                  "[]"), SCIM_OK);
    assert_null(json_object_get(f->out, "shoeSize"));
    assert_int_equal(json_array_size(f->ctx.ignored), 3);
    assert_string_equal(json_string_value(json_array_get(f->ctx.ignored, 0)),
                        "shoeSize");

    f->cfg.unknown = SCIM_UNKNOWN_REJECT;
    assert_int_equal(prep_user(f, "\"shoeSize\":44"), SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_VALUE, "invalidValue", "shoeSize");
    assert_non_null(strstr(f->ctx.err.detail,
                           "not defined by any schema of this tenant"));
    assert_int_equal(prep_user(f, "\"phoneNumbers\":[{\"value\":\"1\","
                                  "\"ext\":\"2\"}]"), SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                 "phoneNumbers[0].ext");
}

static void
test_types_and_shapes(void **state)
{
    struct fx *f = *state;
    json_t *e;

    /* jansson keeps the last of duplicate keys: emails is replaced. */
    assert_int_equal(prep_user(f, "\"emails\":\"one@x\""), SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_TYPE, "invalidValue", "emails");
    /* A lone object for a multi-valued attribute is a wrong type. */
    assert_int_equal(prep_user(f, "\"phoneNumbers\":{\"value\":\"1\"}"),
                     SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_TYPE, "invalidValue", "phoneNumbers");
    assert_int_equal(prep_user(f, "\"phoneNumbers\":[{\"value\":\"1\"}]"),
                     SCIM_OK);
    e = json_object_get(f->out, "phoneNumbers");
    assert_true(json_is_array(e));
    assert_int_equal(json_array_size(e), 1);
    assert_int_equal(prep_user(f, "\"phoneNumbers\":[{\"value\":5}]"),
                     SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_TYPE, "invalidValue",
                 "phoneNumbers[0].value");
    assert_int_equal(prep_user(f, "\"displayName\":[\"a\"]"), SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_TYPE, "invalidValue", "displayName");
    assert_int_equal(prep_user(f, "\"x509Certificates\":[{\"value\":"
                                  "\"not base64!\"}]"), SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                 "x509Certificates[0].value");
    assert_int_equal(prep_user(f, "\"x509Certificates\":[{\"value\":"
                                  "\"TUlJQg==\"}]"), SCIM_OK);
    assert_int_equal(prep_user(f, "\"profileUrl\":\"has space\""),
                     SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_VALUE, "invalidValue", "profileUrl");
    assert_int_equal(prep_user(f, "\"USERNAME\":\"b2\""), SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_VALUE, "invalidValue", "userName");
    assert_int_equal(prep(f, "User", RESOURCE_CREATE, "[1]", NULL),
                     SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_SYNTAX, "invalidSyntax", "");
    assert_int_equal(prep(f, "User", RESOURCE_CREATE, "{\"userName\":\"a\"}",
                          NULL), SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_SYNTAX, "invalidSyntax", "schemas");
}

static void
test_primary_and_canonical(void **state)
{
    struct fx *f = *state;
    json_t *em, *m;

    assert_int_equal(prep_user(f, "\"emails\":[{\"value\":\"a@x\","
                                  "\"primary\":true,\"type\":\"Custom\"},"
                                  "{\"value\":\"b@x\",\"primary\":true}]"),
                     SCIM_OK);
    em = json_object_get(f->out, "emails");
    assert_true(json_is_true(json_object_get(json_array_get(em, 0),
                                             "primary")));
    assert_true(json_is_false(json_object_get(json_array_get(em, 1),
                                              "primary")));
    /* Open canonical list: an IdP's own label is kept as sent. */
    assert_string_equal(str_at(json_array_get(em, 0), "type", NULL),
                        "Custom");

    assert_int_equal(prep(f, "Group", RESOURCE_CREATE, "{\"schemas\":[\""
                          GROUP_URN "\"],\"displayName\":\"G\",\"members\":"
                          "[{\"value\":\"u1\",\"display\":\"U\",\"type\":"
                          "\"user\",\"$ref\":null}]}", NULL), SCIM_OK);
    m = json_array_get(json_object_get(f->out, "members"), 0);
    assert_string_equal(str_at(m, "type", NULL), "User");
    assert_string_equal(str_at(m, "display", NULL), "U");
    assert_null(json_object_get(m, "$ref"));
    assert_int_equal(prep(f, "Group", RESOURCE_CREATE, "{\"schemas\":[\""
                          GROUP_URN "\"],\"displayName\":\"G\",\"members\":"
                          "[{\"value\":\"u1\",\"type\":\"Robot\"}]}", NULL),
                     SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                 "members[0].type");
}

/* ---- Immutable attributes in a custom extension ----------------------- */

static void
add_badge_extension(struct fx *f)
{
    json_t *j = json_loads("{\"id\":\"urn:acme:2.0:User\",\"attributes\":["
                           "{\"name\":\"badge\",\"type\":\"string\","
                           "\"mutability\":\"immutable\"},{\"name\":\"since\","
                           "\"type\":\"dateTime\",\"mutability\":"
                           "\"immutable\"},{\"name\":\"tier\",\"type\":"
                           "\"integer\"}]}", 0, NULL);
    struct scim_schema *s;
    struct scim_error err = { 0 };

    assert_int_equal(schema_from_json(j, &s, &err), SCIM_OK);
    assert_int_equal(registry_add_extension(f->reg, s, "User", 0, &err),
                     SCIM_OK);
    json_decref(j);
}

static void
test_immutable(void **state)
{
    struct fx *f = *state;
    char old[1024], body[1024];

    add_badge_extension(f);
    snprintf(old, sizeof(old), "{%s,\"urn:acme:2.0:User\":{\"badge\":"
             "\"B-1\",\"since\":\"2024-01-01T10:00:00+02:00\"}}", base);
    snprintf(body, sizeof(body), "{%s,\"urn:acme:2.0:User\":{\"badge\":"
             "\"b-1\",\"since\":\"2024-01-01T08:00:00Z\",\"tier\":2.0}}",
             base);
    /* Same value (case-insensitive string, same instant) is fine. */
    assert_int_equal(prep(f, "User", RESOURCE_REPLACE, body, old), SCIM_OK);
    assert_true(json_is_integer(json_object_get(
        json_object_get(f->out, "urn:acme:2.0:User"), "tier")));

    snprintf(body, sizeof(body), "{%s,\"urn:acme:2.0:User\":{\"badge\":"
             "\"B-2\"}}", base);
    assert_int_equal(prep(f, "User", RESOURCE_PATCHED, body, old),
                     SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_MUTABILITY, "mutability",
                 "urn:acme:2.0:User:badge");

    /* Left out of a PUT: the stored value is kept. */
    snprintf(body, sizeof(body), "{%s}", base);
    assert_int_equal(prep(f, "User", RESOURCE_REPLACE, body, old), SCIM_OK);
    assert_string_equal(str_at(json_object_get(f->out, "urn:acme:2.0:User"),
                               "badge", NULL), "B-1");
    /* Creation sets it freely. */
    snprintf(body, sizeof(body), "{%s,\"urn:acme:2.0:User\":{\"badge\":"
             "\"B-9\",\"tier\":1.5}}", base);
    assert_int_equal(prep(f, "User", RESOURCE_CREATE, body, NULL),
                     SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_TYPE, "invalidValue",
                 "urn:acme:2.0:User:tier");
}

/* ---- Projection -------------------------------------------------------- */

static const char full[] =
    "{\"schemas\":[\"" USER_URN "\",\"" ENT "\"],\"id\":\"42\","
    "\"userName\":\"bjensen\",\"name\":{\"givenName\":\"Barbara\","
    "\"familyName\":\"Jensen\"},\"emails\":[{\"value\":\"b@x\",\"type\":"
    "\"work\"},{\"type\":\"home\"}],\"password\":\"leak\","
    "\"meta\":{\"resourceType\":\"User\",\"lastModified\":"
    "\"2024-05-01T10:00:00+02:00\"},\"" ENT "\":{\"department\":\"R&D\","
    "\"manager\":{\"value\":\"M1\",\"displayName\":\"Boss\"}}}";

static json_t *
project(struct fx *f, const char *attrs, const char *excl, int want_rc)
{
    json_t *doc = json_loads(full, 0, NULL), *out = NULL;

    scim_ctx_clear(&f->ctx);
    scim_ctx_init(&f->ctx, &f->cfg, f->reg);
    assert_int_equal(resource_project(&f->ctx, registry_rtype(f->reg,
                                                              "User"),
                                      doc, attrs, excl, &out), want_rc);
    json_decref(doc);
    json_decref(f->out);
    f->out = out;
    return out;
}

static void
test_project_default_and_never(void **state)
{
    struct fx *f = *state;
    json_t *o = project(f, NULL, NULL, SCIM_OK);

    assert_null(json_object_get(o, "password"));
    assert_string_equal(str_at(o, "id", NULL), "42");
    assert_non_null(json_object_get(o, "schemas"));
    assert_non_null(json_object_get(o, "meta"));
    assert_string_equal(str_at(json_object_get(json_object_get(o, ENT),
                                               "manager"),
                               "displayName", NULL), "Boss");
}

static void
test_project_attributes(void **state)
{
    struct fx *f = *state;
    json_t *o;

    o = project(f, "userName", NULL, SCIM_OK);
    assert_int_equal(json_object_size(o), 3);   /* schemas, id, userName */
    assert_string_equal(str_at(o, "id", NULL), "42");

    o = project(f, " Name.GivenName , emails.value", NULL, SCIM_OK);
    assert_string_equal(str_at(o, "name", "givenName"), "Barbara");
    assert_null(json_object_get(json_object_get(o, "name"), "familyName"));
    assert_int_equal(json_array_size(json_object_get(o, "emails")), 1);
    assert_null(json_object_get(json_array_get(json_object_get(o, "emails"),
                                               0), "type"));
    assert_null(json_object_get(o, ENT));

    o = project(f, ENT, NULL, SCIM_OK);
    assert_null(json_object_get(o, "userName"));
    assert_string_equal(str_at(json_object_get(o, ENT), "department", NULL),
                        "R&D");

    o = project(f, ENT ":manager.value,password", NULL, SCIM_OK);
    assert_null(json_object_get(o, "password"));
    assert_null(json_object_get(json_object_get(json_object_get(o, ENT),
                                                "manager"), "displayName"));
}

static void
test_project_excluded(void **state)
{
    struct fx *f = *state;
    json_t *o;

    o = project(f, NULL, "emails,name.familyName,id,shoeSize", SCIM_OK);
    assert_null(json_object_get(o, "emails"));
    assert_null(json_object_get(json_object_get(o, "name"), "familyName"));
    assert_string_equal(str_at(o, "name", "givenName"), "Barbara");
    assert_string_equal(str_at(o, "id", NULL), "42");   /* always */
    assert_int_equal(json_array_size(f->ctx.ignored), 1);

    o = project(f, NULL, ENT, SCIM_OK);
    assert_null(json_object_get(o, ENT));
    assert_non_null(json_object_get(o, "userName"));

    project(f, "emails[type eq \"work\"]", NULL, SCIM_EINVAL);
    expect_error(f, SCIM_CAUSE_INVALID_PATH, "invalidValue", "attributes");
}

/* Data of an extension the tenant removed is neither shown nor listed. */
static void
test_project_removed_extension(void **state)
{
    struct fx *f = *state;
    json_t *doc = json_pack("{s:[s,s,s], s:s, s:s, s:{s:s}, s:{s:s}, s:s}",
                            "schemas", USER_URN, "urn:gone:1.0:User", ENT,
                            "id", "42", "userName", "bjensen",
                            "urn:gone:1.0:User", "badge", "B-1",
                            ENT, "department", "R&D", "shoeSize", "9");
    json_t *out = NULL, *sc;

    scim_ctx_clear(&f->ctx);
    scim_ctx_init(&f->ctx, &f->cfg, f->reg);
    assert_int_equal(resource_project(&f->ctx, registry_rtype(f->reg,
                                                              "User"),
                                      doc, NULL, NULL, &out), SCIM_OK);
    json_decref(doc);
    json_decref(f->out);
    f->out = out;
    sc = json_object_get(out, "schemas");
    assert_int_equal(json_array_size(sc), 2);
    assert_string_equal(json_string_value(json_array_get(sc, 0)), USER_URN);
    assert_string_equal(json_string_value(json_array_get(sc, 1)), ENT);
    assert_null(json_object_get(out, "urn:gone:1.0:User"));
    assert_null(json_object_get(out, "shoeSize"));
    assert_string_equal(str_at(out, "userName", NULL), "bjensen");
    assert_string_equal(str_at(json_object_get(out, ENT), "department",
                               NULL), "R&D");
}

/* ---- Folding ----------------------------------------------------------- */

static void
test_fold_doc(void **state)
{
    struct fx *f = *state;
    json_t *doc = json_loads(full, 0, NULL), *o;
    const struct scim_rtype *u = registry_rtype(f->reg, "User");

    json_object_set_new(doc, "userName", json_string("Straße"));
    json_object_set_new(doc, "externalId", json_string("AbC"));
    o = resource_fold(u, doc);
    assert_non_null(o);
    assert_string_equal(str_at(o, "userName", NULL), "strasse");
    assert_string_equal(str_at(o, "externalId", NULL), "AbC");
    assert_string_equal(str_at(o, "id", NULL), "42");
    assert_string_equal(str_at(o, "name", "familyName"), "jensen");
    assert_string_equal(str_at(json_array_get(json_object_get(o, "emails"),
                                              0), "type", NULL), "work");
    assert_string_equal(str_at(o, "meta", "lastModified"),
                        "2024-05-01T08:00:00.0000000Z");
    assert_string_equal(str_at(o, "meta", "resourceType"), "User");
    assert_string_equal(str_at(json_object_get(o, ENT), "department", NULL),
                        "r&d");
    assert_string_equal(str_at(json_object_get(json_object_get(o, ENT),
                                               "manager"), "value", NULL),
                        "M1");
    /* The input is left as it was. */
    assert_string_equal(str_at(doc, "userName", NULL), "Straße");
    json_decref(o);
    json_decref(doc);
}

/* ---- Allocation failures ----------------------------------------------- */

/*
 * Every allocation during resource_prepare may fail, jansson's included.
 * Each run must end in SCIM_OK with the reference result or SCIM_ENOMEM
 * (never a false validation error), and ASan proves nothing leaks.
 */
static void
test_prepare_enomem(void **state)
{
    struct fx *f = *state;
    char body[1024];
    json_t *in, *ref, *out;
    long n, fails = 0, streak = 0;
    int rc;

    snprintf(body, sizeof(body), "{%s,\"" ENT "\":{\"manager\":\"m\"},\""
             ENT ":department\":\"D\",\"active\":\"True\",\"id\":\"x\","
             "\"roles\":[{\"value\":\"r\",\"primary\":true},{\"value\":"
             "\"s\",\"primary\":true}],\"shoeSize\":1,\"password\":\"pw\"}",
             base);
    in = json_loads(body, 0, NULL);
    assert_int_equal(resource_prepare(&f->ctx, registry_rtype(f->reg,
                                                              "User"),
                                      RESOURCE_CREATE, in, NULL, &ref),
                     SCIM_OK);
    json_set_alloc_funcs(scim_malloc, scim_free);
    for (n = 1; n < 100000 && streak < 50; n++) {
        scim_ctx_clear(&f->ctx);
        scim_ctx_init(&f->ctx, &f->cfg, f->reg);
        scim_alloc_fail_after(n);
        rc = resource_prepare(&f->ctx, registry_rtype(f->reg, "User"),
                              RESOURCE_CREATE, in, NULL, &out);
        scim_alloc_fail_after(0);
        if (rc == SCIM_ENOMEM) {
            assert_null(out);
            fails++;
            streak = 0;
            continue;
        }
        if (rc != SCIM_OK)
            fail_msg("n=%ld: rc %d: %s", n, rc, f->ctx.err.detail);
        assert_true(json_equal(out, ref));
        json_decref(out);
        streak++;
    }
    json_set_alloc_funcs(malloc, free);
    assert_true(fails > 20);
    json_decref(ref);
    json_decref(in);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_required_matrix),
        T(test_required_detail_and_emails),
        T(test_required_put_exemption),
        T(test_okta_profile_push),
        T(test_password_hash),
        T(test_entra_create),
        T(test_entra_group_and_unknown_urn),
        T(test_onelogin_template),
        T(test_string_booleans),
        T(test_flat_urn_keys),
        T(test_extension_checks),
        T(test_unknown_attributes),
        T(test_types_and_shapes),
        T(test_primary_and_canonical),
        T(test_immutable),
        T(test_project_default_and_never),
        T(test_project_attributes),
        T(test_project_excluded),
        T(test_project_removed_extension),
        T(test_fold_doc),
        T(test_prepare_enomem),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
