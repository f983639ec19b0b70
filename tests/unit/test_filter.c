/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the filter language and PATCH paths (filter.h): every
 * operator, precedence and grouping, value filters, literals (Unicode,
 * escapes, numbers, booleans, null, dateTimes with offsets), case rules
 * from the schema, each way a filter can be invalid (with the detail a
 * client would read), path forms, limits and allocation failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "ctx.h"
#include "filter.h"
#include "schema.h"

#define ENT_URN SCIM_SCHEMA_ENTERPRISE

static struct scim_registry *reg;
static const struct scim_rtype *user;
static const struct scim_rtype *group;

/* A User document most tests evaluate against. */
static const char *const bjensen =
    "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\","
    "\"" ENT_URN "\"],"
    "\"id\":\"2819c223-7f76-453a-919d-413861904646\","
    "\"externalId\":\"AbC-1\",\"userName\":\"straße\","
    "\"displayName\":\"José O'Malley [x] (and) or\","
    "\"name\":{\"givenName\":\"Barbara\",\"familyName\":\"Jensen\"},"
    "\"title\":\"\",\"active\":true,\"password\":\"secret\","
    "\"nickName\":\"Babs \\ud83d\\ude00\","
    "\"emails\":[{\"value\":\"bjensen@example.com\",\"type\":\"work\","
    "\"primary\":true},{\"value\":\"babs@home.org\",\"type\":\"home\"}],"
    "\"meta\":{\"created\":\"2024-01-02T03:04:05Z\","
    "\"lastModified\":\"2024-06-30T23:00:00.5-02:00\"},"
    "\"" ENT_URN "\":{\"department\":\"R&D\","
    "\"manager\":{\"value\":\"m-1\",\"displayName\":\"Boss\"}}}";

static int
setup(void **state)
{
    (void)state;
    reg = registry_new();
    if (reg == NULL)
        return -1;
    user = registry_rtype(reg, "User");
    group = registry_rtype(reg, "Group");
    return user != NULL && group != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    registry_free(reg);
    return 0;
}

/* ---- Helpers ------------------------------------------------------------- */

static struct filter_node *
parse_ok(const struct scim_rtype *rt, const char *text)
{
    struct scim_ctx ctx;
    struct filter_node *f = NULL;
    int rc;

    scim_ctx_init(&ctx, NULL, reg);
    rc = filter_parse(&ctx, rt, text, &f);
    if (rc != SCIM_OK)
        fail_msg("'%s' rejected: %s", text, ctx.err.detail);
    assert_non_null(f);
    scim_ctx_clear(&ctx);
    return f;
}

/* Expects text to fail; returns the error for further checks. */
static struct scim_error
parse_bad(const struct scim_rtype *rt, const char *text, const char *needle)
{
    struct scim_ctx ctx;
    struct filter_node *f = NULL;
    struct scim_error err;
    int rc;

    scim_ctx_init(&ctx, NULL, reg);
    rc = filter_parse(&ctx, rt, text, &f);
    if (rc == SCIM_OK)
        fail_msg("'%s' accepted", text);
    assert_int_equal(rc, SCIM_EINVAL);
    assert_null(f);
    assert_int_equal(ctx.err.status, 400);
    assert_string_equal(ctx.err.scim_type, "invalidFilter");
    assert_int_equal(ctx.err.cause, SCIM_CAUSE_INVALID_FILTER);
    if (strstr(ctx.err.detail, needle) == NULL)
        fail_msg("detail '%s' lacks '%s'", ctx.err.detail, needle);
    err = ctx.err;
    scim_ctx_clear(&ctx);
    return err;
}

static int
match(const struct scim_rtype *rt, const char *text, const char *doc)
{
    struct filter_node *f = parse_ok(rt, text);
    json_t *d = json_loads(doc, 0, NULL);
    int m;

    assert_non_null(d);
    m = filter_match(f, d);
    json_decref(d);
    filter_free(f);
    return m;
}

static int
umatch(const char *text)
{
    return match(user, text, bjensen);
}

/* ---- Operators ----------------------------------------------------------- */

static void
test_each_operator(void **state)
{
    (void)state;
    assert_true(umatch("userName eq \"straße\""));
    assert_false(umatch("userName eq \"strass\""));
    assert_true(umatch("userName ne \"strass\""));
    assert_false(umatch("userName ne \"STRASSE\""));
    assert_true(umatch("name.familyName co \"ens\""));
    assert_true(umatch("name.familyName sw \"jen\""));
    assert_false(umatch("name.familyName sw \"sen\""));
    assert_true(umatch("name.familyName ew \"SEN\""));
    assert_true(umatch("name.familyName gt \"Jensem\""));
    assert_true(umatch("name.familyName ge \"jensen\""));
    assert_false(umatch("name.familyName gt \"jensen\""));
    assert_true(umatch("name.familyName lt \"Jensf\""));
    assert_true(umatch("name.familyName le \"JENSEN\""));
    assert_true(umatch("name.givenName pr"));
    assert_false(umatch("name.middleName pr"));
    assert_false(umatch("title pr"));       /* "" is not present */
    assert_true(umatch("name pr"));
    assert_true(umatch("emails pr"));
}

static void
test_operator_case(void **state)
{
    (void)state;
    assert_true(umatch("userName Eq \"STRASSE\""));
    assert_true(umatch("USERNAME EQ \"straße\""));
    assert_true(umatch("name.givenName PR AND name.familyName Co \"j\""));
    assert_true(umatch("title pr Or active eq TRUE"));
    assert_true(umatch("NOT (title pr)"));
}

static void
test_ne_and_null(void **state)
{
    (void)state;
    /* ne is "not eq": it also matches an absent attribute. */
    assert_true(umatch("nickName ne \"x\""));
    assert_true(umatch("userType ne \"Employee\""));
    assert_false(umatch("emails.type ne \"work\""));
    /* eq null means absent, ne null present ("" counts as absent). */
    assert_true(umatch("userType eq null"));
    assert_true(umatch("title eq null"));
    assert_false(umatch("userName eq null"));
    assert_true(umatch("userName ne null"));
    assert_false(umatch("userType ne null"));
}

/* ---- Structure ----------------------------------------------------------- */

static void
test_precedence(void **state)
{
    struct filter_node *f;

    (void)state;
    f = parse_ok(NULL, "a pr or b pr and c pr");
    assert_int_equal(f->op, FILTER_OR);
    assert_int_equal(f->a->op, FILTER_PR);
    assert_string_equal(f->a->attr.name, "a");
    assert_int_equal(f->b->op, FILTER_AND);
    assert_string_equal(f->b->a->attr.name, "b");
    assert_string_equal(f->b->b->attr.name, "c");
    filter_free(f);

    f = parse_ok(NULL, "not (a pr) and b pr or c pr and d pr");
    assert_int_equal(f->op, FILTER_OR);
    assert_int_equal(f->a->op, FILTER_AND);
    assert_int_equal(f->a->a->op, FILTER_NOT);
    assert_string_equal(f->a->a->a->attr.name, "a");
    assert_int_equal(f->b->op, FILTER_AND);
    filter_free(f);

    /* and/or are left-associative. */
    f = parse_ok(NULL, "a pr and b pr and c pr");
    assert_int_equal(f->op, FILTER_AND);
    assert_int_equal(f->a->op, FILTER_AND);
    assert_string_equal(f->b->attr.name, "c");
    assert_int_equal(f->b->pos, 18);
    filter_free(f);

    assert_false(umatch("title pr and active eq true or title pr"));
    assert_true(umatch("title pr or active eq true and userName pr"));
}

static void
test_parentheses(void **state)
{
    struct filter_node *f;

    (void)state;
    f = parse_ok(NULL, "(a pr or b pr) and c pr");
    assert_int_equal(f->op, FILTER_AND);
    assert_int_equal(f->a->op, FILTER_OR);
    filter_free(f);
    f = parse_ok(NULL, "((((a eq 1))))");
    assert_int_equal(f->op, FILTER_EQ);
    assert_int_equal(json_integer_value(f->value), 1);
    filter_free(f);
    f = parse_ok(NULL, "not(a pr)");
    assert_int_equal(f->op, FILTER_NOT);
    filter_free(f);
    assert_false(umatch("title pr and (active eq true or userName pr)"));
    assert_true(umatch("(title pr or active eq true) and userName pr"));
    assert_true(umatch("not (not (active eq true))"));
}

static void
test_value_filter(void **state)
{
    struct filter_node *f;

    (void)state;
    f = parse_ok(user, "emails[type eq \"work\" and value co \"@example\"]");
    assert_int_equal(f->op, FILTER_VALUEPATH);
    assert_string_equal(f->attr.name, "emails");
    assert_int_equal(f->a->op, FILTER_AND);
    assert_string_equal(f->a->a->attr.name, "type");
    assert_non_null(f->a->a->attr.ref.sub);
    assert_string_equal(f->a->a->attr.ref.sub->name, "type");
    assert_string_equal(f->a->a->attr.ref.attr->name, "emails");
    filter_free(f);

    /* The same element must satisfy the whole value filter. */
    assert_true(umatch("emails[type eq \"work\" and value co \"example\"]"));
    assert_false(umatch("emails[type eq \"home\" and value co \"example\"]"));
    assert_true(umatch("emails.type eq \"home\" and "
                       "emails.value co \"example\""));
    assert_true(umatch("emails[not (type eq \"work\")]"));
    assert_true(umatch("emails[type eq \"x\" or (primary eq true)]"));
    assert_true(match(group, "id eq \"g1\" and members[value eq \"u2\"]",
                      "{\"id\":\"g1\",\"members\":[{\"value\":\"u1\"},"
                      "{\"value\":\"u2\"}]}"));
    assert_false(match(group, "members[value eq \"u3\"]",
                       "{\"members\":[{\"value\":\"u1\"}]}"));
}

static void
test_match_elem(void **state)
{
    struct scim_ctx ctx;
    struct scim_path *p = NULL;
    json_t *work = json_pack("{s:s, s:s}", "type", "Work", "value", "a@b");
    json_t *home = json_pack("{s:s}", "type", "home");

    (void)state;
    scim_ctx_init(&ctx, NULL, reg);
    assert_int_equal(path_parse(&ctx, user, "emails[type eq \"work\"]", &p),
                     SCIM_OK);
    assert_true(filter_match_elem(p->filter, work));
    assert_false(filter_match_elem(p->filter, home));
    path_free(p);
    json_decref(work);
    json_decref(home);
    scim_ctx_clear(&ctx);
}

/* ---- Literals ------------------------------------------------------------ */

static void
test_unicode_values(void **state)
{
    struct filter_node *f;

    (void)state;
    assert_true(umatch("displayName co \"JOSÉ\""));
    assert_true(umatch("displayName co \"o'malley\""));
    assert_true(umatch("displayName co \"[x] (and) or\""));
    assert_true(umatch("displayName sw \"jos\\u00e9 \""));
    assert_true(umatch("displayName sw \"Jos\\u00C9\""));
    assert_true(umatch("nickName ew \"\\uD83D\\uDE00\""));
    assert_true(umatch("nickName eq \"babs 😀\""));
    f = parse_ok(NULL, "a eq \"\\\"\\\\\\/\\b\\f\\n\\r\\t\"");
    assert_string_equal(json_string_value(f->value), "\"\\/\b\f\n\r\t");
    filter_free(f);
    f = parse_ok(NULL, "a eq \"and or not ) ( ] [ pr\"");
    assert_int_equal(f->op, FILTER_EQ);
    assert_string_equal(json_string_value(f->value),
                        "and or not ) ( ] [ pr");
    filter_free(f);
    /* Full case folding: ß folds to ss. */
    assert_true(umatch("userName eq \"STRASSE\""));
    assert_true(umatch("userName sw \"STRAS\""));
}

static void
test_numbers(void **state)
{
    const char *doc = "{\"w\":175.6,\"n\":5,\"neg\":-3,\"big\":1e3}";
    struct filter_node *f;

    (void)state;
    assert_true(match(NULL, "w gt 175.2", doc));
    assert_false(match(NULL, "w lt 175.6", doc));
    assert_true(match(NULL, "w le 175.6", doc));
    assert_true(match(NULL, "n eq 5.0", doc));
    assert_true(match(NULL, "n ge 5 and n lt 5.5", doc));
    assert_true(match(NULL, "neg lt -2.5e0", doc));
    assert_true(match(NULL, "big eq 1000", doc));
    assert_true(match(NULL, "n ne \"5\"", doc));  /* type mismatch */
    assert_true(match(NULL, "w gt 1E2", doc));
    f = parse_ok(NULL, "n eq 12345678901234");
    assert_true(json_is_integer(f->value));
    filter_free(f);
    f = parse_ok(NULL, "n eq -0.5e-3");
    assert_true(json_is_real(f->value));
    filter_free(f);
    parse_bad(NULL, "n eq 01", "'01' is not a value");
    parse_bad(NULL, "n eq 1.", "'1.' is not a value");
    parse_bad(NULL, "n eq .5", "'.5' is not a value");
    parse_bad(NULL, "n eq 1e", "'1e' is not a value");
    parse_bad(NULL, "n eq -", "'-' is not a value");
    parse_bad(NULL, "n eq 123abc", "'123abc' is not a value");
    parse_bad(NULL, "n eq 1e999", "number out of range");
}

static void
test_booleans(void **state)
{
    (void)state;
    assert_true(umatch("active eq true"));
    assert_false(umatch("active eq false"));
    assert_true(umatch("active ne false"));
    assert_true(umatch("emails[primary eq true and type eq \"work\"]"));
    assert_true(match(NULL, "h eq false", "{\"h\":false}"));
    assert_false(match(NULL, "h eq false", "{\"h\":\"false\"}"));
    parse_bad(user, "active eq \"true\"", "needs a boolean value");
}

static void
test_datetime(void **state)
{
    (void)state;
    /* The same instant written with three offsets. */
    assert_true(umatch("meta.created eq \"2024-01-02T03:04:05Z\""));
    assert_true(umatch("meta.created eq \"2024-01-02T04:04:05+01:00\""));
    assert_true(umatch("meta.created eq \"2024-01-01T22:04:05.000-05:00\""));
    assert_false(umatch("meta.created gt \"2024-01-01T22:04:05-05:00\""));
    assert_true(umatch("meta.created ge \"2024-01-01T22:04:05-05:00\""));
    assert_true(umatch("meta.created lt \"2024-01-02T03:04:05.001Z\""));
    /* 23:00:00.5-02:00 is 01:00:00.5 UTC on the next day. */
    assert_true(umatch("meta.lastModified gt \"2024-07-01T01:00:00Z\""));
    assert_true(umatch("meta.lastModified lt \"2024-07-01T01:00:01Z\""));
    /* Schemaless: two strings that read as dateTimes compare as such. */
    assert_true(match(NULL, "t eq \"2015-03-02T09:04:05.123-06:00\"",
                      "{\"t\":\"2015-03-02T15:04:05.123Z\"}"));
    parse_bad(user, "meta.created gt \"2024-01\"", "xsd:dateTime");
    parse_bad(user, "meta.created co \"2024\"", "does not apply to dateTime");
}

static void
test_case_rules(void **state)
{
    (void)state;
    /* id and externalId are caseExact in RFC 7643; userName is not. */
    assert_true(umatch("externalId eq \"AbC-1\""));
    assert_false(umatch("externalId eq \"abc-1\""));
    assert_false(umatch("id eq \"2819C223-7F76-453A-919D-413861904646\""));
    assert_true(umatch("id sw \"2819c223\""));
    assert_true(umatch("uSeRnAmE eq \"Straße\""));
    /* Schemaless strings are caseExact=false. */
    assert_true(match(NULL, "externalId eq \"abc-1\"", bjensen));
}

static void
test_implied_value(void **state)
{
    struct filter_node *f;

    (void)state;
    /* RFC 7644's own example: emails compares through emails.value. */
    f = parse_ok(user, "emails co \"example.com\"");
    assert_string_equal(f->attr.text, "emails");
    assert_string_equal(f->attr.sub, "value");
    assert_string_equal(f->attr.ref.sub->name, "value");
    filter_free(f);
    assert_true(umatch("emails co \"EXAMPLE.com\""));
    assert_true(umatch("emails eq \"babs@home.org\""));
    assert_true(umatch("emails.value ew \".org\""));
    assert_true(match(NULL, "emails co \"home\"", bjensen));
    parse_bad(user, "addresses eq \"x\"", "'addresses' is a complex");
}

static void
test_schema_refs(void **state)
{
    struct filter_node *f;

    (void)state;
    f = parse_ok(user, "urn:ietf:params:scim:schemas:extension:enterprise:"
                 "2.0:User:department eq \"r&d\" and userName pr");
    assert_string_equal(f->a->attr.uri, ENT_URN);
    assert_string_equal(f->a->attr.name, "department");
    assert_int_equal(f->a->attr.ext, 1);
    assert_string_equal(f->a->attr.ref.schema->id, ENT_URN);
    assert_string_equal(f->a->attr.ref.attr->name, "department");
    assert_int_equal(f->b->attr.ext, 0);
    assert_non_null(f->b->attr.ref.attr);
    filter_free(f);
    assert_true(umatch("urn:ietf:params:scim:schemas:extension:enterprise:"
                       "2.0:User:department eq \"r&d\""));
    assert_true(umatch("department eq \"R&D\""));
    assert_true(umatch("urn:ietf:params:scim:schemas:extension:enterprise:"
                       "2.0:User:manager.displayName eq \"boss\""));
    f = parse_ok(user, ENT_URN ":manager[value eq \"m-1\"]");
    assert_int_equal(f->attr.ext, 1);
    assert_int_equal(f->a->attr.ext, 1);
    assert_string_equal(f->a->attr.ref.sub->name, "value");
    filter_free(f);
    assert_true(umatch(ENT_URN ":manager[value eq \"m-1\"]"));
    assert_false(umatch(ENT_URN ":manager[value eq \"M-1\"]"));
    assert_false(umatch("manager[displayName eq \"x\"]"));
    assert_true(umatch("urn:ietf:params:scim:schemas:core:2.0:User:"
                       "name.familyName eq \"jensen\""));
    assert_true(umatch("schemas eq \"" ENT_URN "\""));
    assert_true(umatch("Schemas[value eq \"" ENT_URN "\"]"));
    /* returned=never attributes read as absent. */
    assert_false(umatch("password eq \"secret\""));
    assert_false(umatch("password pr"));
    /* A path with a URN that is not the resource's schema. */
    f = parse_ok(NULL, "urn:extension:members eq 25");
    assert_string_equal(f->attr.uri, "urn:extension");
    assert_string_equal(f->attr.name, "members");
    assert_null(f->attr.ref.attr);
    filter_free(f);
}

static void
test_dialect_unquoted(void **state)
{
    struct scim_config cfg;
    struct scim_ctx ctx;
    struct filter_node *f = NULL;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.dialects = SCIM_DIALECT_UNQUOTED_VALUE;
    scim_ctx_init(&ctx, &cfg, reg);
    assert_int_equal(filter_parse(&ctx, user, "externalId eq jyoung", &f),
                     SCIM_OK);
    assert_string_equal(json_string_value(f->value), "jyoung");
    assert_true(ctx.fired & SCIM_DIALECT_UNQUOTED_VALUE);
    filter_free(f);
    scim_ctx_clear(&ctx);

    /* Literals keep their meaning; nothing fires. */
    scim_ctx_init(&ctx, &cfg, reg);
    assert_int_equal(filter_parse(&ctx, user, "active eq true", &f),
                     SCIM_OK);
    assert_int_equal(ctx.fired, 0);
    filter_free(f);
    scim_ctx_clear(&ctx);

    parse_bad(user, "externalId eq jyoung", "'jyoung' is not a value");
}

static void path_bad(const struct scim_rtype *rt, const char *text,
                     const char *type, const char *needle);

/* ---- Invalid filters ----------------------------------------------------- */

static void
test_error_details(void **state)
{
    struct scim_error e;

    (void)state;
    e = parse_bad(user, "userName eq", "");
    assert_string_equal(e.detail, "Invalid filter 'userName eq': expected a "
                        "value after 'eq' at position 12.");
    assert_string_equal(e.attr, "filter");
    e = parse_bad(user, "active gt true", "");
    assert_string_equal(e.detail, "Invalid filter 'active gt true': 'gt' "
                        "cannot order boolean attribute 'active' at "
                        "position 1.");
    assert_string_equal(e.attr, "active");
    parse_bad(NULL, "h ge false", "'ge' cannot order booleans");
    parse_bad(user, "userName eq \"bjensen", "unterminated string starting "
              "at position 13");
    parse_bad(user, "userName pr and", "expected an attribute path, 'not' "
              "or '(' after 'and' but found end of filter at position 16");
    parse_bad(user, "and userName pr", "expected an attribute path");
    e = parse_bad(user, "name eq \"x\"", "'name' is a complex attribute; "
                  "compare one of its sub-attributes (such as "
                  "'name.formatted')");
    assert_string_equal(e.attr, "name");
    parse_bad(user, "not userName pr", "expected '(' after 'not' but found "
              "'userName' at position 5");
    parse_bad(user, "", "the filter is empty");
    parse_bad(user, "   ", "the filter is empty");
    e = parse_bad(user, "nosuch eq 1", "unknown attribute 'nosuch'");
    assert_string_equal(e.attr, "nosuch");
    parse_bad(user, "userName bad \"x\"", "unknown operator 'bad' at "
              "position 10");
    parse_bad(user, "userName np", "unknown operator 'np'");
    parse_bad(user, "userName pr \"x\"", "unexpected '\"x\"'");
    parse_bad(user, "(userName pr", "the '(' at position 1 is not closed; "
              "expected ')' at position 13");
    parse_bad(user, "userName pr)", "unexpected ')' without a matching '('");
    parse_bad(user, "userName pr]", "unexpected ']'");
    parse_bad(user, "userName eq 'x'", "strings take double quotes");
    parse_bad(user, "userName eq (\"x\")", "expected a value after 'eq' but "
              "found '('");
    parse_bad(user, "userName eq \"\\a\"", "invalid escape '\\a'");
    parse_bad(user, "userName eq \"\\ud800\"", "invalid \\u escape");
    parse_bad(user, "userName eq \"\\udc00\\ud800\"", "invalid \\u escape");
    parse_bad(user, "userName eq \"\\u12\"", "invalid \\u escape");
    parse_bad(user, "userName eq \"\\u0000\"", "'\\u0000' is not allowed");
    parse_bad(user, "userName eq \"a\tb\"", "control character");
    parse_bad(user, "emails[value[x eq 1]]", "cannot contain another value "
              "filter");
    parse_bad(user, "emails[type eq \"work\"].value eq \"x\"",
              "only allowed in PATCH paths");
    parse_bad(user, "emails[nosuch eq 1]", "'emails' has no sub-attribute "
              "'nosuch'");
    parse_bad(user, "userName[value eq \"x\"]", "takes no value filter");
    parse_bad(user, "name.givenName[value eq \"x\"]", "not to the "
              "sub-attribute");
    parse_bad(user, "emails[type eq \"work\"", "the '[' at position 7 is "
              "not closed; expected ']' at position 22");
    parse_bad(user, "userName co 1", "'co' needs a string value");
    parse_bad(user, "userName gt null", "cannot compare with null");
    parse_bad(user, "active co \"t\"", "does not apply to boolean");
    parse_bad(user, "userName eq 1", "needs a string value");
    parse_bad(user, "9lives pr", "is not a valid attribute path");
    parse_bad(user, "a..b pr", "is not a valid attribute path");
    parse_bad(user, ENT_URN " pr", "names a schema, not an attribute");
    /* The detail stays UTF-8 whatever the client sent. */
    e = parse_bad(user, "userName eq \"a\xff\"", "not valid UTF-8");
    assert_non_null(strstr(e.detail, "'userName eq \"a?\"'"));
    assert_non_null(strstr(e.detail, "at position 15"));
    path_bad(user, "emails[type eq \"work\"]\xc3", "invalidPath",
             "unexpected '?' after the value filter");
    /* Positions count characters, not bytes. */
    parse_bad(user, "displayName eq \"é\" and", "at position 23");
}

static void
test_limits(void **state)
{
    char buf[16384];
    size_t n = 0;
    int i;

    (void)state;
    for (i = 0; i < FILTER_MAX_DEPTH + 1; i++)
        buf[n++] = '(';
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "a pr");
    for (i = 0; i < FILTER_MAX_DEPTH + 1; i++)
        buf[n++] = ')';
    buf[n] = '\0';
    parse_bad(NULL, buf, "nested too deeply");

    n = 0;
    for (i = 0; i <= FILTER_MAX_TERMS; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sa pr",
                              i > 0 ? " or " : "");
    parse_bad(NULL, buf, "more than 1000 comparisons");
}

/* ---- PATCH paths --------------------------------------------------------- */

static struct scim_path *
path_ok(const struct scim_rtype *rt, const char *text)
{
    struct scim_ctx ctx;
    struct scim_path *p = NULL;

    scim_ctx_init(&ctx, NULL, reg);
    if (path_parse(&ctx, rt, text, &p) != SCIM_OK)
        fail_msg("path '%s' rejected: %s", text, ctx.err.detail);
    scim_ctx_clear(&ctx);
    return p;
}

static void
path_bad(const struct scim_rtype *rt, const char *text, const char *type,
         const char *needle)
{
    struct scim_ctx ctx;
    struct scim_path *p = NULL;

    scim_ctx_init(&ctx, NULL, reg);
    if (path_parse(&ctx, rt, text, &p) == SCIM_OK)
        fail_msg("path '%s' accepted", text);
    assert_null(p);
    assert_int_equal(ctx.err.status, 400);
    assert_string_equal(ctx.err.scim_type, type);
    if (strstr(ctx.err.detail, needle) == NULL)
        fail_msg("detail '%s' lacks '%s'", ctx.err.detail, needle);
    scim_ctx_clear(&ctx);
}

static void
test_path_forms(void **state)
{
    struct scim_path *p;

    (void)state;
    p = path_ok(user, "name.givenName");
    assert_string_equal(p->attr.name, "name");
    assert_string_equal(p->attr.sub, "givenName");
    assert_string_equal(p->attr.ref.sub->name, "givenName");
    assert_null(p->filter);
    path_free(p);

    p = path_ok(user, "emails[type eq \"work\"]");
    assert_non_null(p->filter);
    assert_null(p->sub_after);
    assert_string_equal(p->filter->attr.ref.sub->name, "type");
    path_free(p);

    p = path_ok(user, "emails[type eq \"work\" and primary eq true].value");
    assert_string_equal(p->sub_after, "value");
    assert_string_equal(p->sub_after_def->name, "value");
    assert_int_equal(p->filter->op, FILTER_AND);
    path_free(p);

    p = path_ok(user, ENT_URN ":manager.value");
    assert_string_equal(p->attr.uri, ENT_URN);
    assert_string_equal(p->attr.ref.attr->name, "manager");
    assert_string_equal(p->attr.ref.sub->name, "value");
    assert_int_equal(p->attr.ext, 1);
    path_free(p);

    p = path_ok(user, ENT_URN);
    assert_null(p->attr.ref.attr);
    assert_string_equal(p->attr.ref.schema->id, ENT_URN);
    assert_int_equal(p->attr.ext, 1);
    path_free(p);

    p = path_ok(group, "members[value eq \"u1\"]");
    assert_string_equal(p->attr.ref.attr->name, "members");
    path_free(p);

    p = path_ok(NULL, "x[y eq 1].z");
    assert_string_equal(p->attr.name, "x");
    assert_string_equal(p->sub_after, "z");
    path_free(p);
}

static void
test_path_errors(void **state)
{
    struct scim_ctx ctx;
    struct scim_path *p = NULL;

    (void)state;
    path_bad(user, "", "invalidPath", "the path is empty");
    path_bad(user, "nosuch", "invalidPath", "unknown attribute 'nosuch'");
    path_bad(user, "emails[type eq]", "invalidFilter",
             "Invalid filter in path 'emails[type eq]': expected a value "
             "after 'eq' but found ']' at position 15.");
    path_bad(user, "emails[type eq \"work\"]x", "invalidPath",
             "unexpected 'x' after the value filter at position 23");
    path_bad(user, "emails[type eq \"work\"].nosuch", "invalidPath",
             "'emails' has no sub-attribute 'nosuch'");
    path_bad(user, "emails[type eq \"work\"].a.b", "invalidPath",
             "is not a sub-attribute name");
    path_bad(user, "name.givenName[x eq 1]", "invalidPath",
             "cannot follow the sub-attribute");
    path_bad(user, "userName[value eq \"x\"]", "invalidPath",
             "takes no value filter");
    path_bad(user, "user name", "invalidPath", "unexpected ' '");
    path_bad(user, "emails[type eq \"work\"", "invalidFilter",
             "expected ']' to close the value filter");
    path_bad(user, "emails[value[x eq 1]]", "invalidFilter",
             "cannot contain another value filter");
    path_bad(user, "9x", "invalidPath", "is not a valid attribute path");

    /* Unknown attributes pass with PATH_ALLOW_UNKNOWN, unresolved. */
    scim_ctx_init(&ctx, NULL, reg);
    assert_int_equal(path_parse_flags(&ctx, user, "custom.x",
                                      PATH_ALLOW_UNKNOWN, &p), SCIM_OK);
    assert_null(p->attr.ref.attr);
    assert_string_equal(p->attr.sub, "x");
    path_free(p);
    scim_ctx_clear(&ctx);
}

/* ---- Allocation failures ------------------------------------------------- */

static void
test_alloc_failures(void **state)
{
    const char *text = "(emails[type eq \"work\" and value co \"x\"] or "
                       "emails co \"y\") and not (name.givenName sw "
                       "\"\\u00e9\") and " ENT_URN ":department pr";
    struct scim_ctx ctx;
    struct filter_node *f;
    struct scim_path *p;
    long n;
    int rc = SCIM_ENOMEM;

    (void)state;
    for (n = 1; rc == SCIM_ENOMEM && n < 500; n++) {
        f = NULL;
        scim_ctx_init(&ctx, NULL, reg);
        scim_alloc_fail_after(n);
        rc = filter_parse(&ctx, user, text, &f);
        scim_alloc_fail_after(0);
        assert_true(rc == SCIM_OK || rc == SCIM_ENOMEM);
        assert_true((rc == SCIM_OK) == (f != NULL));
        filter_free(f);
        scim_ctx_clear(&ctx);
    }
    assert_int_equal(rc, SCIM_OK);

    rc = SCIM_ENOMEM;
    for (n = 1; rc == SCIM_ENOMEM && n < 500; n++) {
        p = NULL;
        scim_ctx_init(&ctx, NULL, reg);
        scim_alloc_fail_after(n);
        rc = path_parse(&ctx, user, "emails[type eq \"work\"].value", &p);
        scim_alloc_fail_after(0);
        assert_true(rc == SCIM_OK || rc == SCIM_ENOMEM);
        path_free(p);
        scim_ctx_clear(&ctx);
    }
    assert_int_equal(rc, SCIM_OK);
}

static void
test_op_names(void **state)
{
    (void)state;
    assert_string_equal(filter_op_name(FILTER_EQ), "eq");
    assert_string_equal(filter_op_name(FILTER_LE), "le");
    assert_string_equal(filter_op_name(FILTER_PR), "pr");
    assert_string_equal(filter_op_name(FILTER_NOT), "not");
    assert_string_equal(filter_op_name(FILTER_VALUEPATH), "valuePath");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_operator),
        cmocka_unit_test(test_operator_case),
        cmocka_unit_test(test_ne_and_null),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_parentheses),
        cmocka_unit_test(test_value_filter),
        cmocka_unit_test(test_match_elem),
        cmocka_unit_test(test_unicode_values),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_booleans),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_case_rules),
        cmocka_unit_test(test_implied_value),
        cmocka_unit_test(test_schema_refs),
        cmocka_unit_test(test_dialect_unquoted),
        cmocka_unit_test(test_error_details),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_path_forms),
        cmocka_unit_test(test_path_errors),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_op_names),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
