/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of patch_apply: the identity providers' PATCH bodies from
 * ../shared/idp/cases.json (Okta deactivation, group push; Entra's
 * capitalised ops, string booleans, dotted and URN keys, manager, legacy
 * member removal; JumpCloud), each dialect rule on and off, the RFC 7644
 * 3.5.2 rules, error keywords, attributes and details, mutability,
 * primary, the member hooks and an allocation-failure walk.
 *
 * Test JSON is written with ' for " and ` for \" so that it stays
 * readable; the bodies are otherwise exactly as the providers send them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "ctx.h"
#include "patch.h"
#include "schema.h"

#define ENT "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define MSG "'schemas':['urn:ietf:params:scim:api:messages:2.0:PatchOp']"

struct fx {
    struct scim_registry *reg;
    struct scim_config cfg;
    struct scim_ctx ctx;
    json_t *doc;
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

    json_decref(f->doc);
    scim_ctx_clear(&f->ctx);
    config_free(&f->cfg);
    registry_free(f->reg);
    free(f);
    return 0;
}

/* Loads test JSON: ' stands for " and ` for \". */
static json_t *
J(const char *text)
{
    char buf[4096];
    size_t i, o = 0;
    json_error_t jerr;
    json_t *j;

    for (i = 0; text[i] != '\0' && o + 2 < sizeof(buf); i++) {
        if (text[i] == '`')
            buf[o++] = '\\';
        buf[o++] = text[i] == '\'' || text[i] == '`' ? '"' : text[i];
    }
    buf[o] = '\0';
    j = json_loads(buf, 0, &jerr);
    if (j == NULL)
        fail_msg("bad test JSON: %s: %s", jerr.text, buf);
    return j;
}

/*
 * Applies operations ops (a JSON array, or a whole body when it starts
 * with "{") to doc as resource type rtype; f->doc keeps the result and
 * f->ctx what happened.
 */
static int
run(struct fx *f, const char *rtype, const char *doc, const char *ops)
{
    char body[4096];
    json_t *b;
    int rc;

    if (ops[0] == '{')
        snprintf(body, sizeof(body), "%s", ops);
    else
        snprintf(body, sizeof(body), "{" MSG ",'Operations':%s}", ops);
    b = J(body);
    json_decref(f->doc);
    f->doc = J(doc);
    scim_ctx_clear(&f->ctx);
    scim_ctx_init(&f->ctx, &f->cfg, f->reg);
    rc = patch_apply(&f->ctx, registry_rtype(f->reg, rtype), f->doc, b,
                     NULL);
    json_decref(b);
    return rc;
}

/* Asserts that f->doc equals JSON text want. */
static void
expect_doc(struct fx *f, const char *want)
{
    json_t *w = J(want);
    char *got;

    if (!json_equal(f->doc, w)) {
        got = json_dumps(f->doc, JSON_SORT_KEYS | JSON_COMPACT);
        fail_msg("document differs: %s", got);
    }
    json_decref(w);
}

static void
expect_err(struct fx *f, int rc, const char *type, enum scim_cause cause,
           const char *attr)
{
    assert_int_equal(rc, SCIM_EINVAL);
    assert_int_equal(f->ctx.err.status, 400);
    assert_string_equal(f->ctx.err.scim_type, type);
    assert_string_equal(scim_cause_name(f->ctx.err.cause),
                        scim_cause_name(cause));
    assert_string_equal(f->ctx.err.attr, attr);
}

#define USER "{'schemas':['urn:ietf:params:scim:schemas:core:2.0:User']," \
             "'id':'u1','userName':'bjensen','active':true"
#define GROUP "{'schemas':['urn:ietf:params:scim:schemas:core:2.0:Group']," \
              "'id':'g1','displayName':'Eng Team'"

/* ---- Okta ---------------------------------------------------------------- */

/* OKTA-11 / OKTA-12: deactivation and reactivation have no path. */
static void
test_okta_deactivate_reactivate(void **state)
{
    struct fx *f = *state;

    assert_int_equal(run(f, "User", USER "}",
                         "{" MSG ",'Operations':[{'op':'replace','value':"
                         "{'active':false}}]}"), SCIM_OK);
    expect_doc(f, "{'schemas':['urn:ietf:params:scim:schemas:core:2.0:"
               "User'],'id':'u1','userName':'bjensen','active':false}");
    assert_int_equal(f->ctx.fired, 0);
    assert_int_equal(run(f, "User", USER "}",
                         "[{'op':'replace','value':{'active':true}}]"),
                     SCIM_OK);
    assert_true(json_is_true(json_object_get(f->doc, "active")));
}

/* OKTA-22: the rename re-sends the group's own id; equal id is no change. */
static void
test_okta_group_rename_with_id(void **state)
{
    struct fx *f = *state;
    int rc;

    assert_int_equal(run(f, "Group", GROUP "}",
                         "[{'op':'replace','value':{'id':'g1',"
                         "'displayName':'Eng Team Renamed'}}]"), SCIM_OK);
    expect_doc(f, "{'schemas':['urn:ietf:params:scim:schemas:core:2.0:"
               "Group'],'id':'g1','displayName':'Eng Team Renamed'}");
    rc = run(f, "Group", GROUP "}", "[{'op':'replace','value':{'id':'g2',"
             "'displayName':'X'}}]");
    expect_err(f, rc, "mutability", SCIM_CAUSE_MUTABILITY,
               "Operations[0].value");
    assert_non_null(strstr(f->ctx.err.detail, "'id' is readOnly"));
}

/* OKTA-23, -24, -25: group push membership. */
static void
test_okta_group_members(void **state)
{
    struct fx *f = *state;

    assert_int_equal(run(f, "Group", GROUP "}",
                         "[{'op':'add','path':'members','value':[{'value':"
                         "'u1','display':'user.one@example.com'}]}]"),
                     SCIM_OK);
    expect_doc(f, "{'schemas':['urn:ietf:params:scim:schemas:core:2.0:"
               "Group'],'id':'g1','displayName':'Eng Team','members':"
               "[{'value':'u1','display':'user.one@example.com'}]}");
    /* Adding an existing member again changes nothing. */
    assert_int_equal(run(f, "Group", GROUP ",'members':[{'value':'u1'}]}",
                         "[{'op':'add','path':'members','value':[{'value':"
                         "'u1','display':'user.one@example.com'}]}]"),
                     SCIM_OK);
    assert_int_equal(json_array_size(json_object_get(f->doc, "members")), 1);
    /* OKTA-24: remove by filter, then add, in order. */
    assert_int_equal(run(f, "Group", GROUP ",'members':[{'value':'u1'}]}",
                         "[{'op':'remove','path':'members[value eq `u1`]'},"
                         "{'op':'add','path':'members','value':[{'value':"
                         "'u2','display':'user.two@example.com'}]}]"),
                     SCIM_OK);
    expect_doc(f, GROUP ",'members':[{'value':'u2','display':"
               "'user.two@example.com'}]}");
    /* OKTA-25: the full list replaces the members. */
    assert_int_equal(run(f, "Group", GROUP ",'members':[{'value':'u9'}]}",
                         "[{'op':'replace','path':'members','value':["
                         "{'value':'u1','display':'user.one@example.com'},"
                         "{'value':'u2','display':'user.two@example.com'}"
                         "]}]"), SCIM_OK);
    expect_doc(f, GROUP ",'members':[{'value':'u1','display':"
               "'user.one@example.com'},{'value':'u2','display':"
               "'user.two@example.com'}]}");
}

/* ---- Entra ID ------------------------------------------------------------ */

/* ENTRA-07: capitalised ops; the work email is created when absent. */
static void
test_entra_replace_capitalised(void **state)
{
    struct fx *f = *state;
    const char *ops = "[{'op':'Replace','path':'emails[type eq `work`]."
                      "value','value':'new.mail@example.com'},{'op':"
                      "'Replace','path':'name.familyName','value':"
                      "'Newname'}]";
    int rc;

    assert_int_equal(run(f, "User", USER "}", ops), SCIM_OK);
    expect_doc(f, USER ",'emails':[{'type':'work','value':"
               "'new.mail@example.com'}],'name':{'familyName':'Newname'}}");
    assert_int_equal(f->ctx.fired, SCIM_DIALECT_OP_CASE
                                   | SCIM_DIALECT_FILTER_CREATE);
    /* An existing work email is updated in place, nothing created. */
    assert_int_equal(run(f, "User", USER ",'emails':[{'type':'home',"
                         "'value':'h@x'},{'type':'work','value':'w@x'}]}",
                         ops), SCIM_OK);
    expect_doc(f, USER ",'emails':[{'type':'home','value':'h@x'},{'type':"
               "'work','value':'new.mail@example.com'}],'name':"
               "{'familyName':'Newname'}}");
    assert_int_equal(f->ctx.fired, SCIM_DIALECT_OP_CASE);
    /* Strict RFC: noTarget for the filter, invalidSyntax for the case. */
    f->cfg.dialects &= ~SCIM_DIALECT_FILTER_CREATE;
    rc = run(f, "User", USER "}", "[{'op':'replace','path':'name.givenName',"
             "'value':'B'},{'op':'replace','path':'emails[type eq `home`]."
             "value','value':'h@x'}]");
    expect_err(f, rc, "noTarget", SCIM_CAUSE_NO_TARGET,
               "Operations[1].path");
    assert_string_equal(f->ctx.err.detail,
                        "Operation 1 (replace emails[type eq \"home\"]."
                        "value): no element of 'emails' matches the "
                        "filter.");
    f->cfg.dialects &= ~SCIM_DIALECT_OP_CASE;
    rc = run(f, "User", USER "}", ops);
    expect_err(f, rc, "invalidSyntax", SCIM_CAUSE_INVALID_SYNTAX,
               "Operations[0].op");
}

/* ENTRA-09 / ENTRA-10: "False" is false; JSON booleans fire nothing. */
static void
test_entra_string_booleans(void **state)
{
    struct fx *f = *state;
    int rc;

    assert_int_equal(run(f, "User", USER "}", "[{'op':'Replace','path':"
                         "'active','value':'False'}]"), SCIM_OK);
    assert_true(json_is_false(json_object_get(f->doc, "active")));
    assert_true(f->ctx.fired & SCIM_DIALECT_STRING_BOOL);
    assert_int_equal(run(f, "User", "{'id':'u1','active':false}",
                         "[{'op':'replace','path':'active','value':'tRUE'}]"),
                     SCIM_OK);
    assert_true(json_is_true(json_object_get(f->doc, "active")));
    assert_int_equal(run(f, "User", USER "}", "[{'op':'replace','path':"
                         "'active','value':false}]"), SCIM_OK);
    assert_true(json_is_false(json_object_get(f->doc, "active")));
    assert_int_equal(f->ctx.fired, 0);
    f->cfg.dialects &= ~SCIM_DIALECT_STRING_BOOL;
    rc = run(f, "User", USER "}", "[{'op':'replace','path':'active',"
             "'value':'False'}]");
    expect_err(f, rc, "invalidValue", SCIM_CAUSE_INVALID_TYPE,
               "Operations[0].value");
    assert_non_null(strstr(f->ctx.err.detail, "'active' takes a boolean, "
                           "not a string"));
}

/* ENTRA-12: path-less keys that are paths (aadOptscim062020). */
static void
test_entra_path_keys(void **state)
{
    struct fx *f = *state;
    const char *ops = "[{'op':'replace','path':'emails[type eq `work`]."
                      "value','value':'other.mail@example.com'},{'op':"
                      "'replace','value':{'displayName':'User Four B',"
                      "'name.givenName':'Userb','name.familyName':'Fourb',"
                      "'" ENT ":employeeNumber':'E-2004'}}]";
    int rc;

    assert_int_equal(run(f, "User", USER ",'emails':[{'type':'work',"
                         "'value':'a@x'}]}", ops), SCIM_OK);
    expect_doc(f, USER ",'emails':[{'type':'work','value':"
               "'other.mail@example.com'}],'displayName':'User Four B',"
               "'name':{'givenName':'Userb','familyName':'Fourb'},'" ENT
               "':{'employeeNumber':'E-2004'}}");
    assert_int_equal(f->ctx.fired, SCIM_DIALECT_PATH_KEYS);
    /* Off: the keys are attribute names nobody defines; policy ignore. */
    f->cfg.dialects &= ~SCIM_DIALECT_PATH_KEYS;
    assert_int_equal(run(f, "User", USER "}", "[{'op':'replace','value':"
                         "{'name.givenName':'Userb','nickName':'N'}}]"),
                     SCIM_OK);
    expect_doc(f, USER ",'nickName':'N'}");
    assert_string_equal(json_string_value(json_array_get(f->ctx.ignored,
                                                         0)),
                        "name.givenName");
    f->cfg.unknown = SCIM_UNKNOWN_REJECT;
    rc = run(f, "User", USER "}", "[{'op':'replace','value':"
             "{'name.givenName':'Userb'}}]");
    expect_err(f, rc, "invalidValue", SCIM_CAUSE_INVALID_VALUE,
               "Operations[0].value");
}

/* ENTRA-13: "Add" on a single-valued attribute replaces it. */
static void
test_entra_add_single(void **state)
{
    struct fx *f = *state;
    const char *ops = "[{'op':'Add','path':'nickName','value':'Fourie'}]";

    assert_int_equal(run(f, "User", USER ",'nickName':'Old'}", ops),
                     SCIM_OK);
    assert_string_equal(json_string_value(json_object_get(f->doc,
                                                          "nickName")),
                        "Fourie");
    assert_true(f->ctx.fired & SCIM_DIALECT_ADD_SINGLE);
    assert_int_equal(run(f, "User", USER "}", ops), SCIM_OK);
    assert_false(f->ctx.fired & SCIM_DIALECT_ADD_SINGLE);
    /* Off: RFC 7644 3.5.2.1 says the same; only the record differs. */
    f->cfg.dialects &= ~SCIM_DIALECT_ADD_SINGLE;
    assert_int_equal(run(f, "User", USER ",'nickName':'Old'}", ops),
                     SCIM_OK);
    assert_string_equal(json_string_value(json_object_get(f->doc,
                                                          "nickName")),
                        "Fourie");
    assert_false(f->ctx.fired & SCIM_DIALECT_ADD_SINGLE);
}

/* ENTRA-14: manager as a bare id, as {value}, and cleared by "". */
static void
test_entra_manager(void **state)
{
    struct fx *f = *state;
    int rc;

    assert_int_equal(run(f, "User", USER "}", "[{'op':'Add','path':'" ENT
                         ":manager','value':'m1'}]"), SCIM_OK);
    expect_doc(f, USER ",'" ENT "':{'manager':{'value':'m1'}}}");
    assert_true(f->ctx.fired & SCIM_DIALECT_MANAGER_STRING);
    assert_int_equal(run(f, "User", USER ",'" ENT "':{'manager':{'value':"
                         "'m1'}}}", "[{'op':'replace','path':'" ENT
                         ":manager','value':{'value':'m2'}}]"), SCIM_OK);
    expect_doc(f, USER ",'" ENT "':{'manager':{'value':'m2'}}}");
    assert_int_equal(run(f, "User", USER ",'" ENT "':{'manager':{'value':"
                         "'m2'},'department':'D'}}", "[{'op':'replace',"
                         "'path':'" ENT ":manager','value':{'value':''}}]"),
                     SCIM_OK);
    expect_doc(f, USER ",'" ENT "':{'department':'D'}}");
    /* The last extension attribute gone, the extension object goes. */
    assert_int_equal(run(f, "User", USER ",'" ENT "':{'manager':{'value':"
                         "'m2'}}}", "[{'op':'replace','path':'" ENT
                         ":manager','value':{'value':''}}]"), SCIM_OK);
    expect_doc(f, USER "}");
    /* Older sample: path "manager" and a one-element array. */
    assert_int_equal(run(f, "User", USER "}", "[{'op':'Add','path':"
                         "'manager','value':[{'$ref':'../Users/m3',"
                         "'value':'m3'}]}]"), SCIM_OK);
    expect_doc(f, USER ",'" ENT "':{'manager':{'$ref':'../Users/m3',"
               "'value':'m3'}}}");
    f->cfg.dialects &= ~SCIM_DIALECT_MANAGER_STRING;
    rc = run(f, "User", USER "}", "[{'op':'Add','path':'" ENT ":manager',"
             "'value':'m1'}]");
    expect_err(f, rc, "invalidValue", SCIM_CAUSE_INVALID_TYPE,
               "Operations[0].value");
}

/* ENTRA-15: "" and null clear. */
static void
test_entra_null_update(void **state)
{
    struct fx *f = *state;

    assert_int_equal(run(f, "User", USER ",'title':'T','nickName':'N'}",
                         "[{'op':'replace','path':'title','value':''},"
                         "{'op':'replace','path':'nickName','value':null}]"),
                     SCIM_OK);
    expect_doc(f, USER "}");
    /* A required attribute cannot be cleared. */
    expect_err(f, run(f, "User", USER "}", "[{'op':'replace','path':"
                      "'userName','value':null}]"), "invalidValue",
               SCIM_CAUSE_NULL_REQUIRED, "Operations[0].value");
}

/* ENTRA-20, -21, -22, -28 and JC-02: group members. */
static void
test_entra_group_members(void **state)
{
    struct fx *f = *state;
    const char *legacy = "[{'op':'Remove','path':'members','value':"
                         "[{'$ref':null,'value':'u1'}]}]";
    int rc;

    assert_int_equal(run(f, "Group", GROUP "}", "[{'op':'Add','path':"
                         "'members','value':[{'$ref':null,'value':'u1'},"
                         "{'$ref':null,'value':'u2'}]}]"), SCIM_OK);
    expect_doc(f, GROUP ",'members':[{'value':'u1'},{'value':'u2'}]}");
    assert_int_equal(run(f, "Group", GROUP ",'members':[{'value':'u1'},"
                         "{'value':'u2','display':'Two'}]}", legacy),
                     SCIM_OK);
    expect_doc(f, GROUP ",'members':[{'value':'u2','display':'Two'}]}");
    assert_true(f->ctx.fired & SCIM_DIALECT_REMOVE_VALUES);
    /* JC-02: the same shape, lowercase. */
    assert_int_equal(run(f, "Group", GROUP ",'members':[{'value':'u1',"
                         "'display':'One'},{'value':'u2'}]}", "[{'op':"
                         "'remove','path':'members','value':[{'value':"
                         "'u1'}]}]"), SCIM_OK);
    expect_doc(f, GROUP ",'members':[{'value':'u2'}]}");
    /* ENTRA-22 */
    assert_int_equal(run(f, "Group", GROUP ",'members':[{'value':'u1'},"
                         "{'value':'u2'}]}", "[{'op':'remove','path':"
                         "'members[value eq `u2`]'}]"), SCIM_OK);
    expect_doc(f, GROUP ",'members':[{'value':'u1'}]}");
    /* ENTRA-28: add then remove in one request, in order. */
    assert_int_equal(run(f, "Group", GROUP "}", "[{'op':'add','path':"
                         "'members','value':[{'value':'u3'}]},{'op':"
                         "'remove','path':'members[value eq `u3`]'}]"),
                     SCIM_OK);
    expect_doc(f, GROUP "}");
    /* Off: a value on remove is refused, never read as "remove all". */
    f->cfg.dialects &= ~SCIM_DIALECT_REMOVE_VALUES;
    rc = run(f, "Group", GROUP ",'members':[{'value':'u1'}]}", legacy);
    expect_err(f, rc, "invalidSyntax", SCIM_CAUSE_INVALID_SYNTAX,
               "Operations[0].value");
}

/* ---- The message and its errors ------------------------------------------ */

static void
test_message_checks(void **state)
{
    struct fx *f = *state;
    const char *ok = "{'op':'replace','path':'nickName','value':'N'}";
    char ops[512];

    expect_err(f, run(f, "User", USER "}", "{'Operations':[]}"),
               "invalidSyntax", SCIM_CAUSE_INVALID_SYNTAX, "schemas");
    expect_err(f, run(f, "User", USER "}", "{'schemas':['urn:ietf:params:"
                      "scim:api:messages:2.0:PatchOp','nonsense'],"
                      "'Operations':[]}"), "invalidSyntax",
               SCIM_CAUSE_INVALID_SYNTAX, "schemas");
    expect_err(f, run(f, "User", USER "}", "{" MSG "}"), "invalidValue",
               SCIM_CAUSE_INVALID_VALUE, "Operations");
    expect_err(f, run(f, "User", USER "}", "{" MSG ",'Operations':{}}"),
               "invalidSyntax", SCIM_CAUSE_INVALID_SYNTAX, "Operations");
    expect_err(f, run(f, "User", USER "}", "[]"), "invalidValue",
               SCIM_CAUSE_INVALID_VALUE, "Operations");
    snprintf(ops, sizeof(ops), "[%s,[]]", ok);
    expect_err(f, run(f, "User", USER "}", ops), "invalidValue",
               SCIM_CAUSE_INVALID_VALUE, "Operations[1]");
    snprintf(ops, sizeof(ops), "[%s,{'path':'title','value':'x'}]", ok);
    expect_err(f, run(f, "User", USER "}", ops), "invalidValue",
               SCIM_CAUSE_INVALID_VALUE, "Operations[1].op");
    expect_err(f, run(f, "User", USER "}", "[{'op':'toto','path':'title',"
                      "'value':'x'}]"), "invalidSyntax",
               SCIM_CAUSE_INVALID_SYNTAX, "Operations[0].op");
    assert_string_equal(f->ctx.err.detail, "Operation 0: op must be add, "
                        "replace or remove, not 'toto'.");
    expect_err(f, run(f, "User", USER "}", "[{'op':'add','path':true,"
                      "'value':'x'}]"), "invalidPath",
               SCIM_CAUSE_INVALID_PATH, "Operations[0].path");
    /* Operations may be spelled in any case (RFC 7643 2.1). */
    assert_int_equal(run(f, "User", USER "}", "{" MSG ",'operations':["
                         "{'OP':'add','Path':'title','VALUE':'T'}]}"),
                     SCIM_OK);
    expect_doc(f, USER ",'title':'T'}");
}

static void
test_operation_errors(void **state)
{
    struct fx *f = *state;

    expect_err(f, run(f, "User", USER "}", "[{'op':'remove'}]"), "noTarget",
               SCIM_CAUSE_NO_TARGET, "Operations[0].path");
    expect_err(f, run(f, "User", USER "}", "[{'op':'add','path':'title'}]"),
               "invalidValue", SCIM_CAUSE_INVALID_VALUE,
               "Operations[0].value");
    expect_err(f, run(f, "User", USER "}", "[{'op':'add','value':'x'}]"),
               "invalidValue", SCIM_CAUSE_INVALID_VALUE,
               "Operations[0].value");
    expect_err(f, run(f, "User", USER "}", "[{'op':'add','path':'shoeSize',"
                      "'value':1}]"), "invalidPath",
               SCIM_CAUSE_INVALID_PATH, "Operations[0].path");
    assert_string_equal(f->ctx.err.detail, "Operation 0 (add shoeSize): "
                        "'shoeSize' is not an attribute of User.");
    expect_err(f, run(f, "User", USER "}", "[{'op':'add','path':'emails["
                      "type eq]','value':'x'}]"), "invalidFilter",
               SCIM_CAUSE_INVALID_FILTER, "Operations[0].path");
    assert_non_null(strstr(f->ctx.err.detail, "Operation 0 (add emails["));
    expect_err(f, run(f, "User", USER "}", "[{'op':'replace','path':"
                      "'name','value':'BATMAN'}]"), "invalidValue",
               SCIM_CAUSE_INVALID_TYPE, "Operations[0].value");
    expect_err(f, run(f, "User", USER "}", "[{'op':'replace','path':"
                      "'meta.created','value':'2020-01-01T00:00:00Z'}]"),
               "mutability", SCIM_CAUSE_MUTABILITY, "Operations[0].path");
    expect_err(f, run(f, "User", USER "}", "[{'op':'add','path':'" ENT
                      ":manager.value','value':7}]"), "invalidValue",
               SCIM_CAUSE_INVALID_TYPE, "Operations[0].value");
}

/* ---- RFC 7644 3.5.2 ------------------------------------------------------ */

static void
test_multi_valued(void **state)
{
    struct fx *f = *state;
    const char *two = USER ",'emails':[{'type':'work','value':'w@x'},"
                      "{'type':'home','value':'h@x'}]}";

    /* add merges, without duplicating an equal value */
    assert_int_equal(run(f, "User", two, "[{'op':'add','path':'emails',"
                         "'value':[{'type':'home','value':'h@x'},{'type':"
                         "'other','value':'o@x'}]}]"), SCIM_OK);
    expect_doc(f, USER ",'emails':[{'type':'work','value':'w@x'},{'type':"
               "'home','value':'h@x'},{'type':'other','value':'o@x'}]}");
    /* replace without a filter replaces the list */
    assert_int_equal(run(f, "User", two, "[{'op':'replace','path':"
                         "'emails','value':[{'value':'n@x'}]}]"), SCIM_OK);
    expect_doc(f, USER ",'emails':[{'value':'n@x'}]}");
    /* replace with a filter touches only what it selects, merging */
    assert_int_equal(run(f, "User", two, "[{'op':'replace','path':"
                         "'emails[type eq `home`]','value':{'value':"
                         "'h2@x'}}]"), SCIM_OK);
    expect_doc(f, USER ",'emails':[{'type':'work','value':'w@x'},{'type':"
               "'home','value':'h2@x'}]}");
    /* remove with a filter; one that matches nothing is no error */
    assert_int_equal(run(f, "User", two, "[{'op':'remove','path':"
                         "'emails[type eq `work`]'},{'op':'remove','path':"
                         "'emails[type eq `pager`]'}]"), SCIM_OK);
    expect_doc(f, USER ",'emails':[{'type':'home','value':'h@x'}]}");
    /* removing the last value leaves the attribute unassigned */
    assert_int_equal(run(f, "User", two, "[{'op':'remove','path':"
                         "'emails[type pr]'}]"), SCIM_OK);
    expect_doc(f, USER "}");
    /* remove of an absent attribute is a no-op; sub of every value */
    assert_int_equal(run(f, "User", two, "[{'op':'remove','path':'title'},"
                         "{'op':'remove','path':'emails.type'}]"), SCIM_OK);
    expect_doc(f, USER ",'emails':[{'value':'w@x'},{'value':'h@x'}]}");
}

static void
test_complex(void **state)
{
    struct fx *f = *state;
    const char *named = USER ",'name':{'givenName':'B','familyName':'J'}}";

    /* RFC 7644 3.5.2.3: sub-attributes not given are left unchanged */
    assert_int_equal(run(f, "User", named, "[{'op':'replace','path':"
                         "'name','value':{'familyName':'K'}}]"), SCIM_OK);
    expect_doc(f, USER ",'name':{'givenName':'B','familyName':'K'}}");
    assert_int_equal(run(f, "User", USER "}", "[{'op':'add','path':"
                         "'name.givenName','value':'B'},{'op':'add',"
                         "'value':{'name':{'familyName':'J'}}}]"), SCIM_OK);
    expect_doc(f, named);
    assert_int_equal(run(f, "User", named, "[{'op':'remove','path':"
                         "'name.givenName'},{'op':'remove','path':"
                         "'name.familyName'}]"), SCIM_OK);
    expect_doc(f, USER "}");
    /* Bare URN path: the extension object, added to and removed. */
    assert_int_equal(run(f, "User", USER "}", "[{'op':'add','path':'" ENT
                         "','value':{'department':'D','costCenter':'C'}}]"),
                     SCIM_OK);
    expect_doc(f, USER ",'" ENT "':{'department':'D','costCenter':'C'}}");
    assert_int_equal(run(f, "User", USER ",'" ENT "':{'department':'D'}}",
                         "[{'op':'remove','path':'" ENT "'}]"), SCIM_OK);
    expect_doc(f, USER "}");
    /* A nested URN object in a path-less value merges per attribute. */
    assert_int_equal(run(f, "User", USER ",'" ENT "':{'department':'D'}}",
                         "[{'op':'replace','value':{'" ENT "':{"
                         "'costCenter':'C'},'schemas':['x']}}]"), SCIM_OK);
    expect_doc(f, USER ",'" ENT "':{'department':'D','costCenter':'C'}}");
}

static void
test_primary(void **state)
{
    struct fx *f = *state;
    const char *two = USER ",'emails':[{'value':'a@x','primary':true},"
                      "{'value':'b@x'}]}";

    assert_int_equal(run(f, "User", two, "[{'op':'add','path':'emails',"
                         "'value':{'value':'c@x','primary':true}}]"),
                     SCIM_OK);
    expect_doc(f, USER ",'emails':[{'value':'a@x','primary':false},"
               "{'value':'b@x'},{'value':'c@x','primary':true}]}");
    assert_int_equal(run(f, "User", two, "[{'op':'replace','path':"
                         "'emails[value eq `b@x`].primary','value':true}]"),
                     SCIM_OK);
    expect_doc(f, USER ",'emails':[{'value':'a@x','primary':false},"
               "{'value':'b@x','primary':true}]}");
    expect_err(f, run(f, "User", two, "[{'op':'replace','path':'emails',"
                      "'value':[{'value':'a@x','primary':true},{'value':"
                      "'b@x','primary':true}]}]"), "invalidValue",
               SCIM_CAUSE_INVALID_VALUE, "Operations[0].value");
}

static void
test_mutability(void **state)
{
    struct fx *f = *state;
    const char *grp = GROUP ",'members':[{'value':'u1'}]}";

    expect_err(f, run(f, "User", USER "}", "[{'op':'replace','path':'id',"
                      "'value':'u2'}]"), "mutability",
               SCIM_CAUSE_MUTABILITY, "Operations[0].path");
    assert_int_equal(run(f, "User", USER "}", "[{'op':'replace','path':"
                         "'id','value':'u1'}]"), SCIM_OK);
    expect_err(f, run(f, "User", USER "}", "[{'op':'remove','path':'id'}]"),
               "mutability", SCIM_CAUSE_MUTABILITY, "Operations[0].path");
    expect_err(f, run(f, "User", USER "}", "[{'op':'add','value':{'meta':"
                      "{'resourceType':'Group'}}}]"), "mutability",
               SCIM_CAUSE_MUTABILITY, "Operations[0].value");
    expect_err(f, run(f, "User", USER "}", "[{'op':'add','path':'groups',"
                      "'value':[{'value':'g1'}]}]"), "mutability",
               SCIM_CAUSE_MUTABILITY, "Operations[0].path");
    /* members.value is immutable: set values cannot change in place. */
    expect_err(f, run(f, "Group", grp, "[{'op':'replace','path':'members["
                      "value eq `u1`].value','value':'u9'}]"), "mutability",
               SCIM_CAUSE_MUTABILITY, "Operations[0].path");
    assert_int_equal(run(f, "Group", grp, "[{'op':'add','path':'members["
                         "value eq `u1`].type','value':'User'}]"), SCIM_OK);
    expect_doc(f, GROUP ",'members':[{'value':'u1','type':'User'}]}");
}

/*
 * "Unchanged" means what it means for PUT: a caseExact=false string in
 * another case, a dateTime naming the same instant.
 */
static void
test_mutability_same_value(void **state)
{
    struct fx *f = *state;
    json_t *j = J("{'id':'urn:acme:2.0:User','attributes':[{'name':"
                  "'badge','type':'string','mutability':'immutable'},"
                  "{'name':'code','type':'string','caseExact':true,"
                  "'mutability':'immutable'},{'name':'since','type':"
                  "'dateTime','mutability':'immutable'}]}");
    struct scim_schema *s;
    struct scim_error err = { 0 };
    const char *doc = USER ",'urn:acme:2.0:User':{'badge':'B-7','code':"
                      "'C-1','since':'2024-01-01T10:00:00+02:00'}}";

    assert_int_equal(schema_from_json(j, &s, &err), SCIM_OK);
    assert_int_equal(registry_add_extension(f->reg, s, "User", 0, &err),
                     SCIM_OK);
    json_decref(j);
    assert_int_equal(run(f, "User", doc, "[{'op':'replace','path':"
                         "'urn:acme:2.0:User:badge','value':'b-7'},"
                         "{'op':'replace','path':'urn:acme:2.0:User:since',"
                         "'value':'2024-01-01T08:00:00.000Z'}]"), SCIM_OK);
    expect_err(f, run(f, "User", doc, "[{'op':'replace','path':"
                      "'urn:acme:2.0:User:code','value':'c-1'}]"),
               "mutability", SCIM_CAUSE_MUTABILITY, "Operations[0].path");
    expect_err(f, run(f, "User", doc, "[{'op':'replace','path':"
                      "'urn:acme:2.0:User:since','value':"
                      "'2024-01-01T08:00:01Z'}]"),
               "mutability", SCIM_CAUSE_MUTABILITY, "Operations[0].path");
}

/*
 * The first fault wins and nothing after it runs; the caller keeps the
 * original document (it passes a copy), so the request applies whole
 * or not at all. The body itself is never modified.
 */
static void
test_all_or_none(void **state)
{
    struct fx *f = *state;
    json_t *body = J("{" MSG ",'Operations':[{'op':'replace','path':"
                     "'nickName','value':'N'},{'op':'replace','path':"
                     "'id','value':'zz'},{'op':'bogus'}]}");
    json_t *copy = json_deep_copy(body), *orig = J(USER "}");
    json_t *doc = json_deep_copy(orig);
    int rc;

    rc = patch_apply(&f->ctx, registry_rtype(f->reg, "User"), doc, body,
                     NULL);
    expect_err(f, rc, "mutability", SCIM_CAUSE_MUTABILITY,
               "Operations[1].path");
    assert_true(json_equal(body, copy));
    assert_null(json_object_get(orig, "nickName"));
    assert_string_equal(json_string_value(json_object_get(orig, "id")),
                        "u1");
    json_decref(doc);
    json_decref(orig);
    json_decref(copy);
    json_decref(body);
}

/* Smaller rules: schemas, filter_create limits, types, hook errors. */
static void
test_misc_rules(void **state)
{
    struct fx *f = *state;

    /* "schemas" is the server's: add ignored and noted, remove refused */
    assert_int_equal(run(f, "User", USER "}", "[{'op':'add','path':"
                         "'schemas','value':['urn:x']}]"), SCIM_OK);
    expect_doc(f, USER "}");
    expect_err(f, run(f, "User", USER "}", "[{'op':'remove','path':"
                      "'schemas'}]"), "invalidValue",
               SCIM_CAUSE_INVALID_VALUE, "Operations[0].path");
    /* filter_create needs eq terms joined by "and" */
    expect_err(f, run(f, "User", USER "}", "[{'op':'add','path':"
                      "'addresses[type eq `work` or type eq `home`]."
                      "formatted','value':'F'}]"), "noTarget",
               SCIM_CAUSE_NO_TARGET, "Operations[0].path");
    assert_int_equal(run(f, "User", USER "}", "[{'op':'add','path':"
                         "'addresses[type eq `work` and primary eq true]."
                         "locality','value':'L'}]"), SCIM_OK);
    expect_doc(f, USER ",'addresses':[{'type':'work','primary':true,"
               "'locality':'L'}]}");
    /* add through a filter without sub-attribute, nothing selected */
    assert_int_equal(run(f, "User", USER "}", "[{'op':'add','path':"
                         "'emails[type eq `work`]','value':{'display':"
                         "'W'}}]"), SCIM_OK);
    expect_doc(f, USER "}");
    /* a bare schema URN takes an object of that schema's attributes */
    expect_err(f, run(f, "User", USER "}", "[{'op':'add','path':'" ENT
                      "','value':'x'}]"), "invalidPath",
               SCIM_CAUSE_INVALID_PATH, "Operations[0].path");
    expect_err(f, run(f, "User", USER "}", "[{'op':'add','path':'" ENT
                      "','value':{'shoeSize':1}}]"), "invalidPath",
               SCIM_CAUSE_INVALID_PATH, "Operations[0].path");
    /* unknown path-less key: ignored and noted under the default */
    assert_int_equal(run(f, "User", USER "}", "[{'op':'add','value':"
                         "{'shoeSize':1,'title':'T'}}]"), SCIM_OK);
    expect_doc(f, USER ",'title':'T'}");
    assert_string_equal(json_string_value(json_array_get(f->ctx.ignored,
                                                         0)), "shoeSize");
    /* types inside complex values, booleans, dateTime */
    expect_err(f, run(f, "User", USER "}", "[{'op':'add','path':'emails',"
                      "'value':[{'value':'a@x','primary':'yes'}]}]"),
               "invalidValue", SCIM_CAUSE_INVALID_TYPE,
               "Operations[0].value");
    assert_int_equal(run(f, "User", USER "}", "[{'op':'add','path':'emails',"
                         "'value':[{'value':'a@x','Primary':'TRUE'}]}]"),
                     SCIM_OK);
    expect_doc(f, USER ",'emails':[{'value':'a@x','primary':true}]}");
    expect_err(f, run(f, "Group", GROUP "}", "[{'op':'replace','path':"
                      "'meta.lastModified','value':'yesterday'}]"),
               "mutability", SCIM_CAUSE_MUTABILITY, "Operations[0].path");
}

/* ---- Member hooks -------------------------------------------------------- */

struct calls {
    char log[512];
};

static void
note(struct calls *c, const char *what, const json_t *v)
{
    char *s = v != NULL ? json_dumps(v, JSON_COMPACT) : NULL;
    size_t n = strlen(c->log);

    snprintf(c->log + n, sizeof(c->log) - n, "%s%s;", what,
             s != NULL ? s : "");
    free(s);
}

static int
h_add(void *arg, struct scim_ctx *ctx, const json_t *values)
{
    (void)ctx;
    note(arg, "add", values);
    return SCIM_OK;
}

static int
h_remove(void *arg, struct scim_ctx *ctx, const struct filter_node *flt,
         const json_t *values)
{
    json_t *u1 = json_pack("{s:s}", "value", "u1");

    (void)ctx;
    if (flt != NULL)
        note(arg, filter_match_elem(flt, u1) ? "remove-filter-u1"
                                             : "remove-filter", NULL);
    else
        note(arg, values != NULL ? "remove-values" : "remove-all", values);
    json_decref(u1);
    return SCIM_OK;
}

static int
h_replace(void *arg, struct scim_ctx *ctx, const json_t *values)
{
    (void)ctx;
    note(arg, "replace", values);
    return SCIM_OK;
}

static void
test_member_hooks(void **state)
{
    struct fx *f = *state;
    struct calls c = { "" };
    struct patch_members m = { &c, h_add, h_remove, h_replace };
    json_t *body = J("{" MSG ",'Operations':[{'op':'remove','path':"
                     "'members[value eq `u1`]'},{'op':'Add','path':"
                     "'members','value':[{'$ref':null,'value':'u2'}]},"
                     "{'op':'Remove','path':'members','value':[{'value':"
                     "'u3'}]},{'op':'remove','path':'members'},{'op':"
                     "'replace','value':{'displayName':'D','members':"
                     "[{'value':'u4','display':'Four'}]}}]}");
    json_t *doc = J(GROUP "}");
    int rc;

    rc = patch_apply(&f->ctx, registry_rtype(f->reg, "Group"), doc, body,
                     &m);
    assert_int_equal(rc, SCIM_OK);
    assert_string_equal(c.log, "remove-filter-u1;add[{\"value\":\"u2\"}];"
                        "remove-values[{\"value\":\"u3\"}];remove-all;"
                        "replace[{\"value\":\"u4\",\"display\":"
                        "\"Four\"}];");
    assert_null(json_object_get(doc, "members"));
    assert_string_equal(json_string_value(json_object_get(doc,
                                                          "displayName")),
                        "D");
    json_decref(body);
    body = J("{" MSG ",'Operations':[{'op':'replace','path':'members["
             "value eq `u1`].display','value':'x'}]}");
    scim_ctx_clear(&f->ctx);
    scim_ctx_init(&f->ctx, &f->cfg, f->reg);
    rc = patch_apply(&f->ctx, registry_rtype(f->reg, "Group"), doc, body,
                     &m);
    expect_err(f, rc, "invalidPath", SCIM_CAUSE_INVALID_PATH,
               "Operations[0].path");
    json_decref(body);
    json_decref(doc);
}

static int
h_fail(void *arg, struct scim_ctx *ctx, const json_t *values)
{
    (void)arg;
    (void)values;
    return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_VALUE,
                      "invalidValue", "members", "unknown member u7");
}

/* A hook's error is the request's error. */
static void
test_member_hook_error(void **state)
{
    struct fx *f = *state;
    struct patch_members m = { NULL, h_fail, h_remove, h_fail };
    json_t *body = J("{" MSG ",'Operations':[{'op':'add','path':'members',"
                     "'value':[{'value':'u7'}]}]}");
    json_t *doc = J(GROUP "}");

    expect_err(f, patch_apply(&f->ctx, registry_rtype(f->reg, "Group"),
                              doc, body, &m), "invalidValue",
               SCIM_CAUSE_INVALID_VALUE, "members");
    assert_string_equal(f->ctx.err.detail, "unknown member u7");
    json_decref(body);
    json_decref(doc);
}

/* ---- Allocation failures ------------------------------------------------- */

/*
 * Every allocation may fail, jansson's included: each run ends in
 * SCIM_OK with the reference result or SCIM_ENOMEM, never in a false
 * validation error, and ASan shows nothing leaks. The value filter
 * compares a boolean: filter_match_elem() cannot report a failed
 * allocation while it folds strings (see patch_target.c).
 */
static void
test_patch_enomem(void **state)
{
    struct fx *f = *state;
    const struct scim_rtype *rt = registry_rtype(f->reg, "User");
    json_t *body = J("{" MSG ",'Operations':[{'op':'Replace','path':'emails"
                     "[type eq `work`].value','value':'w@x'},{'op':"
                     "'replace','value':{'name.givenName':'B','active':"
                     "'False','" ENT ":manager':'m1','" ENT "':{"
                     "'department':'D'}}},{'op':'add','path':'emails',"
                     "'value':{'value':'p@x','primary':true}},{'op':"
                     "'remove','path':'emails[primary eq false]'}]}");
    json_t *base = J(USER ",'emails':[{'value':'h@x','primary':true}]}");
    json_t *ref = json_deep_copy(base), *doc;
    long n, fails = 0, streak = 0;
    int rc;

    assert_int_equal(patch_apply(&f->ctx, rt, ref, body, NULL), SCIM_OK);
    json_set_alloc_funcs(scim_malloc, scim_free);
    for (n = 1; n < 100000 && streak < 50; n++) {
        doc = json_deep_copy(base);
        scim_ctx_clear(&f->ctx);
        scim_ctx_init(&f->ctx, &f->cfg, f->reg);
        scim_alloc_fail_after(n);
        rc = doc != NULL ? patch_apply(&f->ctx, rt, doc, body, NULL)
                         : SCIM_ENOMEM;
        scim_alloc_fail_after(0);
        if (rc == SCIM_ENOMEM) {
            fails++;
            streak = 0;
        } else {
            if (rc != SCIM_OK)
                fail_msg("n=%ld: rc %d: %s", n, rc, f->ctx.err.detail);
            if (!json_equal(doc, ref)) {
                char *a = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);

                json_set_alloc_funcs(malloc, free);
                fail_msg("n=%ld: %s", n, a);
            }
            streak++;
        }
        json_decref(doc);
    }
    json_set_alloc_funcs(malloc, free);
    assert_true(fails > 20);
    json_decref(ref);
    json_decref(base);
    json_decref(body);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_okta_deactivate_reactivate),
        T(test_okta_group_rename_with_id),
        T(test_okta_group_members),
        T(test_entra_replace_capitalised),
        T(test_entra_string_booleans),
        T(test_entra_path_keys),
        T(test_entra_add_single),
        T(test_entra_manager),
        T(test_entra_null_update),
        T(test_entra_group_members),
        T(test_message_checks),
        T(test_operation_errors),
        T(test_multi_valued),
        T(test_complex),
        T(test_primary),
        T(test_mutability),
        T(test_mutability_same_value),
        T(test_all_or_none),
        T(test_misc_rules),
        T(test_member_hooks),
        T(test_member_hook_error),
        T(test_patch_enomem),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
