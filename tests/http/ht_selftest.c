/* SPDX-License-Identifier: MIT */
/*
 * scim-httptest --self-test: table-driven checks of the runner's own
 * matcher, paths and substitution, so a bug in the harness cannot make
 * every case pass. Each row is an expectation, an actual document and
 * the verdict the matcher must reach; tests/run.sh runs this first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httptest.h"

struct match_row {
    const char *exp;
    const char *act;
    int exact;
    int want;
};

static const struct match_row match_rows[] = {
    { "{\"a\":1}", "{\"a\":1,\"b\":2}", 0, 1 },
    { "{\"a\":1}", "{\"a\":1,\"b\":2}", 1, 0 },
    { "{\"a\":1}", "{\"a\":1.0}", 0, 1 },
    { "{\"a\":\"1\"}", "{\"a\":1}", 0, 0 },
    { "{\"status\":\"401\"}", "{\"status\":401}", 0, 0 },
    { "{\"a\":\"$absent\"}", "{\"b\":1}", 0, 1 },
    { "{\"a\":\"$absent\"}", "{\"a\":null}", 0, 0 },
    { "{\"a\":\"$any\"}", "{\"a\":null}", 0, 1 },
    { "{\"a\":\"$any\"}", "{}", 0, 0 },
    { "{\"a\":\"$integer\"}", "{\"a\":5}", 0, 1 },
    { "{\"a\":\"$integer\"}", "{\"a\":\"5\"}", 0, 0 },
    { "{\"a\":\"$integer\"}", "{\"a\":5.5}", 0, 0 },
    { "{\"a\":\"$string\"}", "{\"a\":\"\"}", 0, 1 },
    { "{\"a\":\"$boolean\"}", "{\"a\":false}", 0, 1 },
    { "{\"a\":\"~^ab+c$\"}", "{\"a\":\"abbc\"}", 0, 1 },
    { "{\"a\":\"~^ab+c$\"}", "{\"a\":\"ABBC\"}", 0, 0 },
    { "{\"a\":\"~*^ab+c$\"}", "{\"a\":\"ABBC\"}", 0, 1 },
    { "{\"a\":\"~1\"}", "{\"a\":1}", 0, 0 },
    { "[1,2]", "[1,2]", 0, 1 },
    { "[1,2]", "[2,1]", 0, 0 },
    { "[1]", "[1,2]", 0, 0 },
    { "[\"$contains\",2]", "[1,2,3]", 0, 1 },
    { "[\"$contains\",{\"v\":2}]", "[{\"v\":1},{\"v\":2,\"w\":0}]", 0, 1 },
    { "[\"$contains\",4]", "[1,2,3]", 0, 0 },
    { "{\"d\":[\"$all\",\"~x\",\"~y\"]}", "{\"d\":\"xy\"}", 0, 1 },
    { "{\"d\":[\"$all\",\"~x\",\"~z\"]}", "{\"d\":\"xy\"}", 0, 0 },
    { "{\"n\":[\"$all\",\"$integer\",2]}", "{\"n\":2}", 0, 1 },
    { "{\"o\":{\"p\":true}}", "{\"o\":{\"p\":true,\"q\":1}}", 0, 1 },
    { "{\"o\":{\"p\":true}}", "{\"o\":{\"p\":false}}", 0, 0 },
    { "{\"o\":null}", "{\"o\":null}", 0, 1 },
    { "{\"o\":null}", "{\"o\":0}", 0, 0 },
    { "[]", "[]", 0, 1 },
    { "[]", "{}", 0, 0 },
};

struct path_row {
    const char *doc;
    const char *path;
    int want;                   /* values reached */
    const char *first;          /* text of the first, or NULL */
};

static const struct path_row path_rows[] = {
    { "{\"a\":{\"b\":[1,{\"c\":\"x\"}]}}", "a.b[1].c", 1, "x" },
    { "{\"a\":{\"b\":[1,2]}}", "a.b[2]", 0, NULL },
    { "{\"R\":[{\"p\":1},{\"q\":2},{\"p\":3}]}", "R[*].p", 2, "1" },
    { "{\"urn:x:2.0:User\":{\"d\":\"e\"}}", "urn:x:2.0:User.d", 1, "e" },
    { "{\"a\":1,\"a.b\":2}", "a.b", 1, "2" },
    { "{\"id\":\"u1\"}", "id", 1, "u1" },
    { "{\"id\":\"u1\"}", "idx", 0, NULL },
    { "[1]", "a", 0, NULL },
};

static int
check_match(const struct match_row *r)
{
    struct ht_buf why = { 0 };
    json_t *exp = json_loads(r->exp, JSON_DECODE_ANY, NULL);
    json_t *act = json_loads(r->act, JSON_DECODE_ANY, NULL);
    int got = ht_match(exp, act, r->exact, &why);
    int ok = got == r->want && (got == 1 || why.len > 0);

    if (!ok)
        printf("FAIL self-test match %s vs %s (exact %d): got %d %s\n",
               r->exp, r->act, r->exact, got, why.data ? why.data : "");
    json_decref(exp);
    json_decref(act);
    ht_buf_free(&why);
    return ok;
}

static int
check_path(const struct path_row *r)
{
    json_t *doc = json_loads(r->doc, JSON_DECODE_ANY, NULL);
    const json_t *first = NULL;
    int n = ht_path(doc, r->path, &first);
    char *text = first != NULL ? ht_value_str(first) : NULL;
    int ok = n == r->want && (r->first == NULL ? first == NULL :
                              text != NULL && strcmp(text, r->first) == 0);

    if (!ok)
        printf("FAIL self-test path %s in %s: got %d (%s)\n", r->path,
               r->doc, n, text != NULL ? text : "none");
    free(text);
    json_decref(doc);
    return ok;
}

static int
check_subst(void)
{
    struct ht_case c = { 0 };
    char *s;
    int ok;

    c.vars = json_object();
    ht_var_set(&c, "uid", "a.b(c)");
    s = ht_subst_str(&c, "/Users/${uid}?x=${re:uid}$");
    ok = s != NULL && strcmp(s, "/Users/a.b(c)?x=a\\.b\\(c\\)$") == 0;
    free(s);
    s = ht_subst_str(&c, "${nope}");
    ok = ok && s == NULL && c.report.len > 0;
    if (!ok)
        printf("FAIL self-test substitution\n");
    ht_buf_free(&c.report);
    json_decref(c.vars);
    return ok;
}

int
ht_self_test(void)
{
    size_t i;
    int passed = 0;
    int failed = 0;

    for (i = 0; i < sizeof(match_rows) / sizeof(match_rows[0]); i++)
        check_match(&match_rows[i]) ? passed++ : failed++;
    for (i = 0; i < sizeof(path_rows) / sizeof(path_rows[0]); i++)
        check_path(&path_rows[i]) ? passed++ : failed++;
    check_subst() ? passed++ : failed++;
    printf("%d passed, %d failed\n", passed, failed);
    return failed > 0 ? 1 : 0;
}
