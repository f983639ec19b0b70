/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of src/cli/explain.c, the explanation table behind scimctl
 * diagnose: every cause has a meaning and a fix for every identity
 * provider, the Okta and Entra wordings name their own consoles, and a
 * log row is read back into the attribute at fault and a summary of
 * what was sent. The CLI files are compiled into this program directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/cli/cli_time.c"
#include "../../src/cli/explain.c"

static const enum explain_idp idps[] = {
    EXPLAIN_GENERIC, EXPLAIN_OKTA, EXPLAIN_ENTRA
};

static void
assert_contains(const char *hay, const char *needle)
{
    if (hay == NULL || strstr(hay, needle) == NULL)
        fail_msg("\"%s\" not in \"%s\"", needle, hay ? hay : "(null)");
}

static void
assert_lacks(const char *hay, const char *needle)
{
    if (hay != NULL && strstr(hay, needle) != NULL)
        fail_msg("\"%s\" unexpectedly in \"%s\"", needle, hay);
}

static void
check_fix(enum scim_cause c, enum explain_idp idp, const char *attr,
          const char *want)
{
    char *fix = explain_fix(c, idp, attr, "acme");

    assert_contains(fix, want);
    free(fix);
}

static void
test_every_cause_explained(void **state)
{
    char *fix;
    size_t i;
    int c;

    (void)state;
    for (c = 0; c < SCIM_CAUSE_COUNT; c++) {
        assert_non_null(explain_meaning((enum scim_cause)c));
        assert_true(strlen(explain_meaning((enum scim_cause)c)) > 20);
        for (i = 0; i < sizeof(idps) / sizeof(idps[0]); i++) {
            fix = explain_fix((enum scim_cause)c, idps[i], "name.familyName",
                              "acme");
            assert_non_null(fix);
            assert_true(strlen(fix) > 20);
            /* Every placeholder is filled in. */
            assert_lacks(fix, "{attr}");
            assert_lacks(fix, "{tenant}");
            assert_lacks(fix, "_src}");
            if (idps[i] == EXPLAIN_GENERIC) {
                assert_lacks(fix, "Okta");
                assert_lacks(fix, "Entra");
            }
            free(fix);
        }
    }
    /* Out of range and unknown values fall back, never NULL. */
    assert_non_null(explain_meaning((enum scim_cause)999));
    fix = explain_fix((enum scim_cause)-1, EXPLAIN_OKTA, NULL, NULL);
    assert_non_null(fix);
    free(fix);
}

static void
test_required_wording(void **state)
{
    static const enum scim_cause req[] = {
        SCIM_CAUSE_MISSING_REQUIRED, SCIM_CAUSE_NULL_REQUIRED,
        SCIM_CAUSE_EMPTY_REQUIRED
    };
    size_t i;

    (void)state;
    for (i = 0; i < 3; i++) {
        check_fix(req[i], EXPLAIN_OKTA, "name.familyName",
                  "In Okta, open the app > Provisioning > To App > "
                  "Attribute Mappings and map a non-empty value to "
                  "name.familyName (e.g. user.lastName)");
        check_fix(req[i], EXPLAIN_OKTA, "name.familyName", "Profile Editor");
        check_fix(req[i], EXPLAIN_ENTRA, "name.familyName",
                  "In Entra, Enterprise application > Provisioning > "
                  "Mappings > Provision Microsoft Entra ID Users > add/fix "
                  "the mapping for name.familyName (e.g. surname)");
        check_fix(req[i], EXPLAIN_GENERIC, "name.familyName",
                  "name.familyName");
    }
    /* Source hints follow the attribute, through URNs and filters. */
    check_fix(SCIM_CAUSE_MISSING_REQUIRED, EXPLAIN_OKTA, "name.givenName",
              "(e.g. user.firstName)");
    check_fix(SCIM_CAUSE_MISSING_REQUIRED, EXPLAIN_ENTRA,
              "emails[type eq \"work\"].value", "(e.g. mail)");
    check_fix(SCIM_CAUSE_MISSING_REQUIRED, EXPLAIN_OKTA, "emails.value",
              "(e.g. user.email)");
    check_fix(SCIM_CAUSE_MISSING_REQUIRED, EXPLAIN_ENTRA,
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
              "employeeNumber", "(e.g. employeeId)");
    check_fix(SCIM_CAUSE_MISSING_REQUIRED, EXPLAIN_OKTA, "nosuchThing",
              "to nosuchThing, or");
}

static void
test_idp_specific_fixes(void **state)
{
    (void)state;
    check_fix(SCIM_CAUSE_REACTIVATION_CONFLICT, EXPLAIN_OKTA, "userName",
              "scimd DOES return inactive users");
    check_fix(SCIM_CAUSE_REACTIVATION_CONFLICT, EXPLAIN_OKTA, "userName",
              "reactivate it instead of recreating it");
    check_fix(SCIM_CAUSE_NOT_FOUND, EXPLAIN_OKTA, "id", "stale SCIM id");
    check_fix(SCIM_CAUSE_NOT_FOUND, EXPLAIN_OKTA, "id", "run an import");
    check_fix(SCIM_CAUSE_NOT_FOUND, EXPLAIN_ENTRA, "id",
              "Provision on demand");
    check_fix(SCIM_CAUSE_UNAUTHORIZED, EXPLAIN_OKTA, NULL,
              "scimctl token issue acme");
    check_fix(SCIM_CAUSE_UNAUTHORIZED, EXPLAIN_OKTA, NULL, "Bearer");
    check_fix(SCIM_CAUSE_UNAUTHORIZED, EXPLAIN_ENTRA, NULL, "Secret Token");
    check_fix(SCIM_CAUSE_IGNORED_ATTRIBUTE, EXPLAIN_OKTA, "favouriteColour",
              "scimctl config extension add acme");
    check_fix(SCIM_CAUSE_IGNORED_ATTRIBUTE, EXPLAIN_ENTRA, "favouriteColour",
              "The mapping sends favouriteColour");
    check_fix(SCIM_CAUSE_INVALID_TYPE, EXPLAIN_ENTRA, "active",
              "string_bool");
    check_fix(SCIM_CAUSE_INVALID_FILTER, EXPLAIN_ENTRA, NULL,
              "unquoted_value");
    check_fix(SCIM_CAUSE_UNSUPPORTED_REQUEST, EXPLAIN_OKTA, NULL,
              "/scim/v2");
    check_fix(SCIM_CAUSE_MUTABILITY, EXPLAIN_ENTRA, "userName",
              "Only during object creation");
}

static void
test_idp_of(void **state)
{
    (void)state;
    assert_int_equal(explain_idp_of("Okta SCIM Client 1.0.0", NULL),
                     EXPLAIN_OKTA);
    assert_int_equal(explain_idp_of("OKTA SCIM Integration", "/x"),
                     EXPLAIN_OKTA);
    assert_int_equal(explain_idp_of("Microsoft.Azure.ActiveDirectory", NULL),
                     EXPLAIN_ENTRA);
    assert_int_equal(explain_idp_of("Azure AD provisioning", NULL),
                     EXPLAIN_ENTRA);
    assert_int_equal(explain_idp_of(NULL,
                                    "/scim/v2/Users?aadOptscim062020"),
                     EXPLAIN_ENTRA);
    assert_int_equal(explain_idp_of("curl/8.5", "/scim/v2/Users"),
                     EXPLAIN_GENERIC);
    assert_int_equal(explain_idp_of(NULL, NULL), EXPLAIN_GENERIC);
    assert_string_equal(explain_idp_name(EXPLAIN_OKTA), "okta");
    assert_string_equal(explain_idp_name(EXPLAIN_ENTRA), "entra");
    assert_string_equal(explain_idp_name(EXPLAIN_GENERIC), "generic");
}

static json_t *
row(const char *text)
{
    json_t *r = json_loads(text, 0, NULL);

    assert_non_null(r);
    return r;
}

static void
check_attr(const char *text, const char *want)
{
    json_t *r = row(text);
    char *a = explain_attr(r);

    if (want == NULL)
        assert_null(a);
    else
        assert_string_equal(a, want);
    free(a);
    json_decref(r);
}

static void
test_attr(void **state)
{
    (void)state;
    check_attr("{\"attribute\": \"name.familyName\"}", "name.familyName");
    check_attr("{\"attribute\": null}", NULL);
    check_attr("{\"attribute\": \"Operations[1].path\", \"request_body\":"
               " {\"Operations\": [{\"op\": \"add\", \"path\": \"emails\"},"
               " {\"op\": \"replace\", \"path\": \"name.familyName\"}]}}",
               "name.familyName");
    check_attr("{\"attribute\": \"Operations[0].value\", \"request_body\":"
               " {\"operations\": [{\"op\": \"replace\", \"value\":"
               " {\"active\": false, \"displayName\": \"X\"}}]}}",
               "active, displayName");
    /* An index past the operations keeps the recorded attribute. */
    check_attr("{\"attribute\": \"Operations[5].path\", \"request_body\":"
               " {\"Operations\": []}}", "Operations[5].path");
    check_attr("{\"attribute\": \"Operations[x].path\"}",
               "Operations[x].path");
}

static void
check_sent(const char *text, const char *attr, const char *want)
{
    json_t *r = row(text);
    char *s = explain_sent(r, attr);

    assert_contains(s, want);
    free(s);
    json_decref(r);
}

static void
test_sent(void **state)
{
    const char *user = "{\"method\": \"POST\", \"request_body\": "
        "{\"userName\": \"a@example.com\", \"name\": {\"givenName\": \"A\","
        " \"familyName\": null, \"middleName\": \"\"}, \"emails\": [],"
        " \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":"
        " {\"employeeNumber\": 7}, \"active\": \"yes\"}}";

    (void)state;
    check_sent(user, "name.familyName", "name.familyName was null");
    check_sent(user, "name.middleName", "was an empty string");
    check_sent(user, "emails", "emails was an empty list");
    check_sent(user, "title", "title was absent");
    check_sent(user, "active", "active was \"yes\" (string)");
    check_sent(user, "Name.GivenName", "was \"A\" (string)");
    check_sent(user, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:"
               "User:employeeNumber", "was 7 (number)");
    check_sent(user, NULL, "userName=\"a@example.com\"");
    check_sent(user, NULL, "familyName=null");
    check_sent("{\"request_body\": {\"Operations\": [{\"op\": \"Replace\","
               " \"path\": \"active\", \"value\": \"False\"}]}}", NULL,
               "PatchOp with 1 operation: [0] Replace active value=\"False\"");
    check_sent("{\"request_body\": null, \"path\": \"/scim/v2/Users?filter="
               "userName%20eq%20%22a%40example.com%22&count=1\"}", NULL,
               "filter: userName eq \"a@example.com\"; no body");
    check_sent("{\"request_body\": \"{not json\"}", NULL,
               "not JSON (9 bytes)");
    check_sent("{}", NULL, "no body");
}

static void
test_row_cause(void **state)
{
    json_t *r;

    (void)state;
    r = row("{\"status\": 400, \"cause\": \"uniqueness\"}");
    assert_int_equal(explain_row_cause(r), SCIM_CAUSE_UNIQUENESS);
    json_decref(r);
    r = row("{\"status\": 500, \"cause\": null}");
    assert_int_equal(explain_row_cause(r), SCIM_CAUSE_INTERNAL);
    json_decref(r);
    r = row("{\"status\": 201, \"cause\": null}");
    assert_int_equal(explain_row_cause(r), SCIM_CAUSE_NONE);
    json_decref(r);
}

static void
test_finding(void **state)
{
    json_t *r = row("{\"request_id\": \"r1\", \"time_ms\": 1714566896123,"
        " \"tenant\": \"acme\", \"user_agent\": \"Okta SCIM Client 1.0.0\","
        " \"method\": \"POST\", \"path\": \"/scim/v2/Users\", \"status\":"
        " 400, \"cause\": \"missing_required\", \"attribute\":"
        " \"name.familyName\", \"detail\": \"Attribute 'name.familyName' is"
        " required but was not sent.\", \"request_body\": {\"userName\":"
        " \"a\"}}");
    json_t *f = explain_finding(r, SCIM_CAUSE_MISSING_REQUIRED, NULL);

    (void)state;
    assert_non_null(f);
    assert_string_equal(json_string_value(json_object_get(f, "request_id")),
                        "r1");
    assert_string_equal(json_string_value(json_object_get(f, "time")),
                        "2024-05-01T12:34:56.123Z");
    assert_string_equal(json_string_value(json_object_get(f, "cause")),
                        "missing_required");
    assert_string_equal(json_string_value(json_object_get(f, "attribute")),
                        "name.familyName");
    assert_int_equal(json_integer_value(json_object_get(f, "status")), 400);
    assert_string_equal(json_string_value(json_object_get(f, "idp")),
                        "okta");
    assert_contains(json_string_value(json_object_get(f, "explanation")),
                    "is required but was not sent");
    assert_contains(json_string_value(json_object_get(f, "fix")),
                    "user.lastName");
    assert_contains(json_string_value(json_object_get(f, "sent")),
                    "name.familyName was absent");
    json_decref(f);

    /* An ignored attribute on a success names the attribute given. */
    json_object_set_new(r, "status", json_integer(201));
    f = explain_finding(r, SCIM_CAUSE_IGNORED_ATTRIBUTE, "favouriteColour");
    assert_string_equal(json_string_value(json_object_get(f, "cause")),
                        "ignored_attribute");
    assert_string_equal(json_string_value(json_object_get(f, "attribute")),
                        "favouriteColour");
    assert_contains(json_string_value(json_object_get(f, "explanation")),
                    "accepted the request (status 201)");
    assert_contains(json_string_value(json_object_get(f, "fix")),
                    "scimctl config extension add acme");
    json_decref(f);
    json_decref(r);
}

static void
test_decode(void **state)
{
    char *s;

    (void)state;
    s = explain_decode("a%20b+c%40d%2", 13);
    assert_string_equal(s, "a b c@d%2");
    free(s);
    s = explain_decode("%zz%4", 5);
    assert_string_equal(s, "%zz%4");
    free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cause_explained),
        cmocka_unit_test(test_required_wording),
        cmocka_unit_test(test_idp_specific_fixes),
        cmocka_unit_test(test_idp_of),
        cmocka_unit_test(test_attr),
        cmocka_unit_test(test_sent),
        cmocka_unit_test(test_row_cause),
        cmocka_unit_test(test_finding),
        cmocka_unit_test(test_decode),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
