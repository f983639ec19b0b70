/* SPDX-License-Identifier: MIT */
/*
 * The declarative half of scim-httptest: buffers, ${var} substitution,
 * JSON paths and the subset matcher that compares a response body with
 * the "expect" value of a step. The matcher reports the first mismatch
 * with the JSON path where it was found, so a failing case says exactly
 * which attribute differed rather than dumping two documents.
 */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httptest.h"

static int match_at(const json_t *exp, const json_t *act, int exact,
                    struct ht_buf *path, struct ht_buf *why);

void
ht_buf_add(struct ht_buf *b, const void *p, size_t n)
{
    size_t want = b->len + n + 1;
    char *np;

    if (want > b->cap) {
        size_t cap = b->cap ? b->cap : 256;

        while (cap < want)
            cap *= 2;
        np = realloc(b->data, cap);
        if (np == NULL) {
            fprintf(stderr, "scim-httptest: out of memory\n");
            abort();
        }
        b->data = np;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void
ht_buf_printf(struct ht_buf *b, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        fprintf(stderr, "scim-httptest: out of memory\n");
        abort();
    }
    ht_buf_add(b, s, (size_t)n);
    free(s);
}

void
ht_buf_free(struct ht_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

char *
ht_strdup(const char *s)
{
    char *d = strdup(s);

    if (d == NULL) {
        fprintf(stderr, "scim-httptest: out of memory\n");
        abort();
    }
    return d;
}

int
ht_fail(struct ht_case *c, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    if (c->report.len > 0)
        return -1;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    if (c->stepno > 0)
        ht_buf_printf(&c->report, "step %d: ", c->stepno);
    else
        ht_buf_printf(&c->report, c->stepno == 0 ? "set-up: "
                                                 : "after the steps: ");
    ht_buf_printf(&c->report, "%s\n", s != NULL ? s : "(out of memory)");
    free(s);
    return -1;
}

void
ht_show(struct ht_case *c, const char *label, const char *text, size_t len)
{
    size_t n = len > HT_SHOW_MAX ? HT_SHOW_MAX : len;
    size_t i;

    ht_buf_printf(&c->report, "    %s:\n      ", label);
    for (i = 0; i < n; i++) {
        ht_buf_add(&c->report, text + i, 1);
        if (text[i] == '\n' && i + 1 < n)
            ht_buf_add(&c->report, "      ", 6);
    }
    if (n < len)
        ht_buf_printf(&c->report, "... (%zu more bytes)\n", len - n);
    else if (n == 0 || text[n - 1] != '\n')
        ht_buf_add(&c->report, n == 0 ? "(empty)\n" : "\n", n == 0 ? 8 : 1);
}

void
ht_var_set(struct ht_case *c, const char *name, const char *value)
{
    json_object_set_new(c->vars, name, json_string(value));
}

/* Appends value with POSIX ERE metacharacters escaped. */
static void
add_escaped(struct ht_buf *out, const char *value)
{
    const char *p;

    for (p = value; *p != '\0'; p++) {
        if (strchr("\\^$.|?*+()[]{}", *p) != NULL)
            ht_buf_add(out, "\\", 1);
        ht_buf_add(out, p, 1);
    }
}

/* Expands the one reference named by name[0..n). */
static int
expand_one(struct ht_case *c, const char *name, size_t n,
           struct ht_buf *out)
{
    int escape = n > 3 && strncmp(name, "re:", 3) == 0;
    char key[128];
    const char *value;

    if (escape) {
        name += 3;
        n -= 3;
    }
    if (n == 0 || n >= sizeof(key))
        return ht_fail(c, "bad variable reference ${%.*s}", (int)n, name);
    memcpy(key, name, n);
    key[n] = '\0';
    value = json_string_value(json_object_get(c->vars, key));
    if (value == NULL)
        return ht_fail(c, "undefined variable ${%s}", key);
    if (escape)
        add_escaped(out, value);
    else
        ht_buf_add(out, value, strlen(value));
    return 0;
}

char *
ht_subst_str(struct ht_case *c, const char *s)
{
    struct ht_buf out = { 0 };
    const char *p = s;
    const char *open;
    const char *close;

    ht_buf_add(&out, "", 0);
    while ((open = strstr(p, "${")) != NULL) {
        close = strchr(open + 2, '}');
        if (close == NULL)
            break;
        ht_buf_add(&out, p, (size_t)(open - p));
        if (expand_one(c, open + 2, (size_t)(close - open - 2), &out) != 0) {
            ht_buf_free(&out);
            return NULL;
        }
        p = close + 1;
    }
    ht_buf_add(&out, p, strlen(p));
    return out.data;
}

json_t *
ht_subst(struct ht_case *c, const json_t *v)
{
    json_t *copy;
    json_t *item;
    const char *key;
    size_t i;
    char *s;

    if (json_is_string(v)) {
        s = ht_subst_str(c, json_string_value(v));
        copy = s != NULL ? json_string(s) : NULL;
        free(s);
        return copy;
    }
    if (json_is_array(v)) {
        copy = json_array();
        json_array_foreach(v, i, item) {
            if (json_array_append_new(copy, ht_subst(c, item)) != 0)
                goto fail;
        }
        return copy;
    }
    if (json_is_object(v)) {
        copy = json_object();
        json_object_foreach((json_t *)v, key, item) {
            if (json_object_set_new(copy, key, ht_subst(c, item)) != 0)
                goto fail;
        }
        return copy;
    }
    return json_deep_copy(v);

fail:
    json_decref(copy);
    return NULL;
}

char *
ht_value_str(const json_t *v)
{
    char *s;

    if (json_is_string(v))
        return ht_strdup(json_string_value(v));
    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    return s != NULL ? s : ht_strdup("(unprintable)");
}

int
ht_regex(const char *re, const char *s, int flags, struct ht_buf *why)
{
    regex_t rx;
    char msg[200];
    int rc;

    rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB | flags);
    if (rc != 0) {
        regerror(rc, &rx, msg, sizeof(msg));
        ht_buf_printf(why, "bad regex /%s/: %s", re, msg);
        return -1;
    }
    rc = regexec(&rx, s, 0, NULL, 0);
    regfree(&rx);
    return rc == 0;
}

int
ht_read_file(const char *path, struct ht_buf *out)
{
    char chunk[8192];
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL)
        return -1;
    ht_buf_add(out, "", 0);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ht_buf_add(out, chunk, n);
    fclose(f);
    return 0;
}

/* Finds the longest key of obj that path starts with, ending at . [ NUL. */
static const char *
longest_key(const json_t *obj, const char *path, size_t *klen)
{
    const char *best = NULL;
    const char *key;
    json_t *item;
    size_t n;

    *klen = 0;
    json_object_foreach((json_t *)obj, key, item) {
        n = strlen(key);
        if (n <= *klen || strncmp(path, key, n) != 0)
            continue;
        if (path[n] == '\0' || path[n] == '.' || path[n] == '[') {
            best = key;
            *klen = n;
        }
    }
    return best;
}

static int
walk(const json_t *node, const char *path, const json_t **first)
{
    const char *key;
    size_t klen;
    size_t i;
    char *end;
    long idx;
    int n = 0;

    if (*path == '.')
        path++;
    if (*path == '\0') {
        if (first != NULL && *first == NULL)
            *first = node;
        return 1;
    }
    if (strncmp(path, "[*]", 3) == 0) {
        for (i = 0; i < json_array_size(node); i++)
            n += walk(json_array_get(node, i), path + 3, first);
        return n;
    }
    if (*path == '[') {
        errno = 0;
        idx = strtol(path + 1, &end, 10);
        if (errno != 0 || *end != ']' || idx < 0 ||
            (size_t)idx >= json_array_size(node))
            return 0;
        return walk(json_array_get(node, (size_t)idx), end + 1, first);
    }
    if (!json_is_object(node))
        return 0;
    key = longest_key(node, path, &klen);
    if (key == NULL)
        return 0;
    return walk(json_object_get(node, key), path + klen, first);
}

int
ht_path(const json_t *root, const char *path, const json_t **first)
{
    if (first != NULL)
        *first = NULL;
    if (root == NULL)
        return 0;
    return walk(root, path, first);
}

static const char *
type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:  return "object";
    case JSON_ARRAY:   return "array";
    case JSON_STRING:  return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL:    return "real";
    case JSON_TRUE:    return "true";
    case JSON_FALSE:   return "false";
    default:           return "null";
    }
}

/* Records "at PATH: expected E, got A" (values cut to keep it short). */
static int
mismatch(struct ht_buf *why, struct ht_buf *path, const char *what,
         const json_t *act)
{
    char *got = act != NULL ? ht_value_str(act) : NULL;

    ht_buf_printf(why, "at %s: expected %s, got ",
                  path->len > 0 ? path->data : "(body)", what);
    if (got == NULL)
        ht_buf_printf(why, "nothing");
    else if (strlen(got) > 200)
        ht_buf_printf(why, "%.200s... (%s)", got, type_name(act));
    else
        ht_buf_printf(why, "%s (%s)", got, type_name(act));
    free(got);
    return 0;
}

/* "$integer", "$string", ...: a type check rather than a value. */
static int
type_marker(const char *s, const json_t *act, int *ok)
{
    json_type t = json_typeof(act);

    if (strcmp(s, "$integer") == 0)
        *ok = t == JSON_INTEGER;
    else if (strcmp(s, "$string") == 0)
        *ok = t == JSON_STRING;
    else if (strcmp(s, "$number") == 0)
        *ok = t == JSON_INTEGER || t == JSON_REAL;
    else if (strcmp(s, "$boolean") == 0)
        *ok = t == JSON_TRUE || t == JSON_FALSE;
    else if (strcmp(s, "$object") == 0)
        *ok = t == JSON_OBJECT;
    else if (strcmp(s, "$array") == 0)
        *ok = t == JSON_ARRAY;
    else
        return 0;
    return 1;
}

static int
match_string(const char *s, const json_t *act, struct ht_buf *path,
             struct ht_buf *why)
{
    struct ht_buf what = { 0 };
    const char *re;
    int icase;
    int ok;

    if (strcmp(s, "$any") == 0)
        return 1;
    if (type_marker(s, act, &ok)) {
        if (!ok)
            mismatch(why, path, s + 1, act);
        return ok;
    }
    if (s[0] == '~') {
        icase = s[1] == '*';
        re = s + 1 + icase;
        ok = json_is_string(act) ? ht_regex(re, json_string_value(act),
                                            icase ? REG_ICASE : 0, why) : 0;
        if (ok == 0) {
            ht_buf_printf(&what, "a string matching /%s/%s", re,
                          icase ? "i" : "");
            mismatch(why, path, what.data, act);
            ht_buf_free(&what);
        }
        return ok == 1;
    }
    if (json_is_string(act) && strcmp(s, json_string_value(act)) == 0)
        return 1;
    ht_buf_printf(&what, "\"%s\"", s);
    mismatch(why, path, what.data, act);
    ht_buf_free(&what);
    return 0;
}

static int
match_number(const json_t *exp, const json_t *act, struct ht_buf *path,
             struct ht_buf *why)
{
    char *want = ht_value_str(exp);
    int ok;

    if (json_is_integer(exp) && json_is_integer(act))
        ok = json_integer_value(exp) == json_integer_value(act);
    else if (json_is_number(act))
        ok = fabs(json_number_value(exp) - json_number_value(act)) < 1e-9;
    else
        ok = 0;
    if (!ok)
        mismatch(why, path, want, act);
    free(want);
    return ok;
}

/* Saves path length, appends a segment, and restores it after. */
static size_t
path_push(struct ht_buf *path, const char *fmt, const char *key, size_t i)
{
    size_t mark = path->len;

    if (key != NULL)
        ht_buf_printf(path, mark > 0 ? ".%s" : "%s", key);
    else
        ht_buf_printf(path, fmt, i);
    return mark;
}

static void
path_pop(struct ht_buf *path, size_t mark)
{
    path->len = mark;
    if (path->data != NULL)
        path->data[mark] = '\0';
}

static int
match_object(const json_t *exp, const json_t *act, int exact,
             struct ht_buf *path, struct ht_buf *why)
{
    const char *key;
    json_t *item;
    size_t mark;
    int ok = 1;

    if (!json_is_object(act))
        return mismatch(why, path, "an object", act);
    json_object_foreach((json_t *)exp, key, item) {
        const json_t *got = json_object_get(act, key);

        mark = path_push(path, NULL, key, 0);
        if (json_is_string(item) &&
            strcmp(json_string_value(item), "$absent") == 0) {
            if (got != NULL)
                ok = mismatch(why, path, "no such attribute", got);
        } else if (got == NULL) {
            ok = mismatch(why, path, "the attribute", NULL);
        } else {
            ok = match_at(item, got, exact, path, why);
        }
        path_pop(path, mark);
        if (!ok)
            return 0;
    }
    if (exact && json_object_size(act) > json_object_size(exp)) {
        json_object_foreach((json_t *)act, key, item) {
            if (json_object_get(exp, key) == NULL) {
                mark = path_push(path, NULL, key, 0);
                ok = mismatch(why, path, "no such attribute (exact)", item);
                path_pop(path, mark);
                return ok;
            }
        }
    }
    return 1;
}

/* ["$contains", e1, e2...]: each ei matches some element of act. */
static int
match_contains(const json_t *exp, const json_t *act, int exact,
               struct ht_buf *path, struct ht_buf *why)
{
    struct ht_buf scratch = { 0 };
    size_t i;
    size_t j;
    int found;

    for (i = 1; i < json_array_size(exp); i++) {
        found = 0;
        for (j = 0; j < json_array_size(act) && !found; j++) {
            scratch.len = 0;
            found = match_at(json_array_get(exp, i), json_array_get(act, j),
                             exact, path, &scratch);
        }
        ht_buf_free(&scratch);
        if (!found) {
            char *want = ht_value_str(json_array_get(exp, i));
            struct ht_buf what = { 0 };

            ht_buf_printf(&what, "an element matching %.200s", want);
            mismatch(why, path, what.data, act);
            ht_buf_free(&what);
            free(want);
            return 0;
        }
    }
    return 1;
}

static int
match_array(const json_t *exp, const json_t *act, int exact,
            struct ht_buf *path, struct ht_buf *why)
{
    struct ht_buf what = { 0 };
    const char *first = json_string_value(json_array_get(exp, 0));
    size_t i;
    size_t mark;

    if (first != NULL && strcmp(first, "$all") == 0) {
        for (i = 1; i < json_array_size(exp); i++) {
            if (!match_at(json_array_get(exp, i), act, exact, path, why))
                return 0;
        }
        return 1;
    }
    if (!json_is_array(act))
        return mismatch(why, path, "an array", act);
    if (first != NULL && strcmp(first, "$contains") == 0)
        return match_contains(exp, act, exact, path, why);
    if (json_array_size(exp) != json_array_size(act)) {
        ht_buf_printf(&what, "an array of %zu elements",
                      json_array_size(exp));
        mismatch(why, path, what.data, act);
        ht_buf_free(&what);
        return 0;
    }
    for (i = 0; i < json_array_size(exp); i++) {
        mark = path_push(path, "[%zu]", NULL, i);
        if (!match_at(json_array_get(exp, i), json_array_get(act, i), exact,
                      path, why))
            return 0;
        path_pop(path, mark);
    }
    return 1;
}

static int
match_at(const json_t *exp, const json_t *act, int exact,
         struct ht_buf *path, struct ht_buf *why)
{
    switch (json_typeof(exp)) {
    case JSON_OBJECT:
        return match_object(exp, act, exact, path, why);
    case JSON_ARRAY:
        return match_array(exp, act, exact, path, why);
    case JSON_STRING:
        return match_string(json_string_value(exp), act, path, why);
    case JSON_INTEGER:
    case JSON_REAL:
        return match_number(exp, act, path, why);
    default:
        if (json_typeof(exp) == json_typeof(act))
            return 1;
        return mismatch(why, path, type_name(exp), act);
    }
}

int
ht_match(const json_t *exp, const json_t *act, int exact,
         struct ht_buf *why)
{
    struct ht_buf path = { 0 };
    int ok;

    ht_buf_add(&path, "", 0);
    ok = match_at(exp, act, exact, &path, why);
    ht_buf_free(&path);
    return ok;
}
