/* SPDX-License-Identifier: MIT */
/*
 * HTTP steps of scim-httptest: builds the request a case step describes
 * (method and path, headers, auth, JSON or raw body), sends it with
 * libcurl on one handle kept per case (so connections are reused the way
 * Okta's keep-alive client reuses them), then saves variables and checks
 * status, headers and body. Characters a URL may not carry (space, '"',
 * ...) are percent-encoded here, so case files can write filters
 * readably; a '%' already in the path is left alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "httptest.h"

/* Requests that take longer than this fail the step. */
#define HT_REQ_TIMEOUT 30L

struct request {
    char *line;                 /* substituted "METHOD /path" */
    char *method;               /* points into line */
    char *path;                 /* points into line */
    json_t *headers;            /* name -> string, or null for "none" */
    struct ht_buf body;
    int has_body;
};

struct response {
    long status;
    json_t *headers;            /* lower-case name -> value */
    struct ht_buf body;
    json_t *json;               /* parsed body, NULL until needed */
};

/* Sets name (any case) to value, replacing an earlier spelling. */
static void
header_set(json_t *h, const char *name, json_t *value)
{
    const char *key;
    json_t *item;
    void *tmp;

    json_object_foreach_safe(h, tmp, key, item) {
        if (strcasecmp(key, name) == 0)
            json_object_del(h, key);
    }
    json_object_set_new(h, name, value);
}

static json_t *
header_get(const json_t *h, const char *name)
{
    const char *key;
    json_t *item;

    json_object_foreach((json_t *)h, key, item) {
        if (strcasecmp(key, name) == 0)
            return item;
    }
    return NULL;
}

/* Overlays the (substituted) header object src onto dst. */
static int
headers_overlay(struct ht_case *c, json_t *dst, const json_t *src)
{
    json_t *copy;
    const char *key;
    json_t *item;

    if (src == NULL)
        return 0;
    copy = ht_subst(c, src);
    if (copy == NULL)
        return -1;
    json_object_foreach(copy, key, item)
        header_set(dst, key, json_incref(item));
    json_decref(copy);
    return 0;
}

/* The Authorization header: tenant default, then auth / authHeader. */
static int
auth_header(struct ht_case *c, const json_t *step, json_t *h)
{
    const json_t *tenants = json_object_get(c->doc, "tenants");
    const json_t *auth = json_object_get(step, "auth");
    const json_t *raw = json_object_get(step, "authHeader");
    const char *var = "token";
    char *s;

    if (json_is_array(tenants))
        var = json_string_value(
            json_object_get(json_array_get(tenants, 0), "var"));
    if (var != NULL && json_object_get(c->vars, var) != NULL)
        header_set(h, "Authorization", json_sprintf("Bearer %s",
                   json_string_value(json_object_get(c->vars, var))));
    if (json_is_null(auth))
        header_set(h, "Authorization", json_null());
    if (json_is_string(auth) || json_is_string(raw)) {
        s = ht_subst_str(c, json_string_value(raw != NULL ? raw : auth));
        if (s == NULL)
            return -1;
        header_set(h, "Authorization", raw != NULL ? json_string(s) :
                   json_sprintf("Bearer %s", s));
        free(s);
    }
    return 0;
}

static int
build_body(struct ht_case *c, const json_t *step, struct request *rq)
{
    const json_t *body = json_object_get(step, "body");
    const json_t *raw = json_object_get(step, "raw");
    json_int_t repeat = json_integer_value(json_object_get(step, "repeat"));
    json_t *copy;
    char *s;

    if (body != NULL) {
        copy = ht_subst(c, body);
        s = copy != NULL ? json_dumps(copy, JSON_COMPACT | JSON_ENCODE_ANY)
                         : NULL;
        json_decref(copy);
    } else if (json_is_string(raw)) {
        s = ht_subst_str(c, json_string_value(raw));
    } else {
        return 0;
    }
    if (s == NULL)
        return -1;
    if (repeat < 1)
        repeat = 1;
    while (repeat-- > 0)
        ht_buf_add(&rq->body, s, strlen(s));
    free(s);
    rq->has_body = 1;
    return 0;
}

static int
build_request(struct ht_case *c, const json_t *step, struct request *rq)
{
    const char *ctype;
    char *sp;

    rq->line = ht_subst_str(c, json_string_value(json_object_get(step,
                                                                 "req")));
    if (rq->line == NULL)
        return -1;
    sp = strchr(rq->line, ' ');
    if (sp == NULL || sp[1] != '/')
        return ht_fail(c, "\"req\" must be \"METHOD /path\", got \"%s\"",
                       rq->line);
    *sp = '\0';
    rq->method = rq->line;
    rq->path = sp + 1;

    rq->headers = json_object();
    if (auth_header(c, step, rq->headers) != 0 ||
        headers_overlay(c, rq->headers,
                        json_object_get(c->doc, "headers")) != 0 ||
        headers_overlay(c, rq->headers,
                        json_object_get(step, "headers")) != 0)
        return -1;
    if (build_body(c, step, rq) != 0)
        return -1;
    ctype = json_string_value(json_object_get(c->doc, "contentType"));
    if (rq->has_body && header_get(rq->headers, "Content-Type") == NULL)
        header_set(rq->headers, "Content-Type", json_string(
                   ctype != NULL ? ctype : "application/scim+json"));
    return 0;
}

static void
request_free(struct request *rq)
{
    free(rq->line);
    json_decref(rq->headers);
    ht_buf_free(&rq->body);
}

static void
response_free(struct response *rs)
{
    json_decref(rs->headers);
    json_decref(rs->json);
    ht_buf_free(&rs->body);
}

/*
 * Percent-encodes what may not appear raw in a URL; keeps '%' as is.
 * Limitation: a request target with raw spaces or quotes cannot be sent,
 * as libcurl refuses such URLs; scimd's tolerance of them (OKTA-33, as
 * some test tools send them) is therefore not exercised by case files.
 */
static char *
make_url(struct ht_case *c, const char *path)
{
    struct ht_buf url = { 0 };
    const unsigned char *p;

    ht_buf_printf(&url, "http://127.0.0.1:%d", c->port);
    for (p = (const unsigned char *)path; *p != '\0'; p++) {
        if (*p <= 0x20 || *p >= 0x7f || strchr("\"<>\\^`{|}", *p) != NULL)
            ht_buf_printf(&url, "%%%02X", *p);
        else
            ht_buf_add(&url, p, 1);
    }
    return url.data;
}

static struct curl_slist *
make_header_list(const json_t *h)
{
    struct curl_slist *list = NULL;
    const char *key;
    json_t *item;
    char *line;

    /* curl would add "Expect: 100-continue" to big bodies; no IdP does. */
    list = curl_slist_append(list, "Expect:");
    json_object_foreach((json_t *)h, key, item) {
        int n;

        /* "Name:" suppresses a header curl adds; "Name;" sends it empty. */
        if (json_is_null(item))
            n = asprintf(&line, "%s:", key);
        else if (json_string_length(item) == 0)
            n = asprintf(&line, "%s;", key);
        else
            n = asprintf(&line, "%s: %s", key, json_string_value(item));
        if (n < 0)
            continue;
        list = curl_slist_append(list, line);
        free(line);
    }
    return list;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
    ht_buf_add(arg, p, size * n);
    return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
    struct response *rs = arg;
    size_t len = size * n;
    char *line = strndup(p, len);
    char *colon;
    char *v;
    char *k;

    /* A new status line (after 100 Continue) starts a fresh header set. */
    if (line != NULL && strncmp(line, "HTTP/", 5) == 0)
        json_object_clear(rs->headers);
    colon = line != NULL ? strchr(line, ':') : NULL;
    if (colon != NULL) {
        *colon = '\0';
        for (k = line; *k != '\0'; k++)
            *k = (char)(*k >= 'A' && *k <= 'Z' ? *k + 32 : *k);
        v = colon + 1;
        v += strspn(v, " \t");
        v[strcspn(v, "\r\n")] = '\0';
        json_object_set_new(rs->headers, line, json_string(v));
    }
    free(line);
    return len;
}

static int
perform(struct ht_case *c, struct request *rq, struct response *rs)
{
    struct curl_slist *hl = make_header_list(rq->headers);
    char *url = make_url(c, rq->path);
    CURLcode rc;

    if (c->curl == NULL)
        c->curl = curl_easy_init();
    curl_easy_reset(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, rq->method);
    if (strcmp(rq->method, "HEAD") == 0)
        curl_easy_setopt(c->curl, CURLOPT_NOBODY, 1L);
    if (rq->has_body) {
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, rq->body.data);
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)rq->body.len);
    }
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &rs->body);
    curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, rs);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, HT_REQ_TIMEOUT);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    rc = curl_easy_perform(c->curl);
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &rs->status);
    curl_slist_free_all(hl);
    free(url);

    /* A server may answer 413 and close before reading a huge body. */
    if (rc != CURLE_OK && rs->status == 0)
        return ht_fail(c, "%s %s: request failed: %s", rq->method,
                       rq->path, curl_easy_strerror(rc));
    ht_buf_add(&rs->body, "", 0);
    return 0;
}

/* Parses the body once; returns it, or NULL after recording a failure. */
static json_t *
body_json(struct ht_case *c, struct request *rq, struct response *rs)
{
    json_error_t err;

    if (rs->json == NULL) {
        rs->json = json_loadb(rs->body.data, rs->body.len, 0, &err);
        if (rs->json == NULL)
            ht_fail(c, "%s %s: body is not JSON (%s)", rq->method, rq->path,
                    err.text);
    }
    return rs->json;
}

static int
check_status(struct ht_case *c, const json_t *step, struct request *rq,
             struct response *rs)
{
    const json_t *want = json_object_get(step, "status");
    char *text;
    size_t i;

    if (want == NULL)
        return 0;
    if (json_is_integer(want) && json_integer_value(want) == rs->status)
        return 0;
    for (i = 0; i < json_array_size(want); i++) {
        if (json_integer_value(json_array_get(want, i)) == rs->status)
            return 0;
    }
    text = ht_value_str(want);
    ht_fail(c, "%s %s: status expected %s, got %ld", rq->method, rq->path,
            text, rs->status);
    free(text);
    return -1;
}

static int
save_vars(struct ht_case *c, const json_t *step, struct request *rq,
          struct response *rs)
{
    const json_t *hdrs = json_object_get(step, "saveHeader");
    const json_t *paths = json_object_get(step, "save");
    const json_t *found;
    const char *var = json_string_value(json_object_get(step, "saveBody"));
    json_t *item;
    char *s;

    if (var != NULL)
        ht_var_set(c, var, rs->body.data != NULL ? rs->body.data : "");
    json_object_foreach((json_t *)hdrs, var, item) {
        found = header_get(rs->headers, json_string_value(item));
        if (!json_is_string(found))
            return ht_fail(c, "%s %s: no header %s to save as ${%s}",
                           rq->method, rq->path, json_string_value(item),
                           var);
        ht_var_set(c, var, json_string_value(found));
    }
    if (paths != NULL && body_json(c, rq, rs) == NULL)
        return -1;
    json_object_foreach((json_t *)paths, var, item) {
        if (ht_path(rs->json, json_string_value(item), &found) == 0)
            return ht_fail(c, "%s %s: nothing at %s to save as ${%s}",
                           rq->method, rq->path, json_string_value(item),
                           var);
        s = ht_value_str(found);
        ht_var_set(c, var, s);
        free(s);
    }
    return 0;
}

static int
check_one_header(struct ht_case *c, struct request *rq,
                 struct response *rs, const char *name, const json_t *want)
{
    struct ht_buf why = { 0 };
    const json_t *got = header_get(rs->headers, name);
    const char *w = json_string_value(want);
    int ok;

    if (w != NULL && strcmp(w, "$absent") == 0)
        ok = got == NULL;
    else
        ok = got != NULL && ht_match(want, got, 0, &why);
    if (!ok)
        ht_fail(c, "%s %s: header %s: expected %s, got %s", rq->method,
                rq->path, name, w != NULL ? w : "?",
                got != NULL ? json_string_value(got) : "no such header");
    ht_buf_free(&why);
    return ok ? 0 : -1;
}

static int
check_headers(struct ht_case *c, const json_t *step, struct request *rq,
              struct response *rs)
{
    const json_t *sets[2];
    const char *name;
    json_t *want;
    json_t *copy;
    int i;
    int rc = 0;

    sets[0] = json_object_get(c->doc, "expectHeaders");
    sets[1] = json_object_get(step, "expectHeaders");
    for (i = 0; i < 2 && rc == 0; i++) {
        if (sets[i] == NULL)
            continue;
        copy = ht_subst(c, sets[i]);
        if (copy == NULL)
            return -1;
        json_object_foreach(copy, name, want) {
            rc = check_one_header(c, rq, rs, name, want);
            if (rc != 0)
                break;
        }
        json_decref(copy);
    }
    return rc;
}

static int
check_expect(struct ht_case *c, const json_t *step, struct request *rq,
             struct response *rs)
{
    const json_t *exp = json_object_get(step, "expect");
    int exact = json_is_true(json_object_get(step, "exact"));
    struct ht_buf why = { 0 };
    json_t *copy;
    int ok;

    if (exp == NULL)
        return 0;
    if (body_json(c, rq, rs) == NULL)
        return -1;
    copy = ht_subst(c, exp);
    if (copy == NULL)
        return -1;
    ok = ht_match(copy, rs->json, exact, &why);
    if (!ok)
        ht_fail(c, "%s %s: body %s", rq->method, rq->path, why.data);
    json_decref(copy);
    ht_buf_free(&why);
    return ok ? 0 : -1;
}

static int
check_absent(struct ht_case *c, const json_t *step, struct request *rq,
             struct response *rs)
{
    const json_t *list = json_object_get(step, "absent");
    const json_t *found;
    const char *lit = json_string_value(json_object_get(step,
                                                        "bodyAbsent"));
    size_t i;
    char *s;

    if (lit != NULL) {
        s = ht_subst_str(c, lit);
        if (s == NULL)
            return -1;
        if (*s != '\0' && strstr(rs->body.data, s) != NULL) {
            ht_fail(c, "%s %s: body contains \"%s\"", rq->method, rq->path,
                    s);
            free(s);
            return -1;
        }
        free(s);
    }
    if (json_array_size(list) > 0 && body_json(c, rq, rs) == NULL)
        return -1;
    for (i = 0; i < json_array_size(list); i++) {
        const char *p = json_string_value(json_array_get(list, i));

        if (p != NULL && ht_path(rs->json, p, &found) > 0) {
            s = ht_value_str(found);
            ht_fail(c, "%s %s: body has %s (= %.200s), expected absent",
                    rq->method, rq->path, p, s);
            free(s);
            return -1;
        }
    }
    return 0;
}

static int
check_body_regex(struct ht_case *c, const json_t *step,
                 struct request *rq, struct response *rs)
{
    const char *re = json_string_value(json_object_get(step, "bodyRegex"));
    struct ht_buf why = { 0 };
    char *s;
    int ok;

    if (re == NULL)
        return 0;
    s = ht_subst_str(c, re);
    if (s == NULL)
        return -1;
    ok = ht_regex(s, rs->body.data, 0, &why);
    if (ok != 1)
        ht_fail(c, "%s %s: body does not match /%s/ %s", rq->method,
                rq->path, s, why.data != NULL ? why.data : "");
    free(s);
    ht_buf_free(&why);
    return ok == 1 ? 0 : -1;
}

/* "bodyEquals": the raw body must be exactly this string (after ${}). */
static int
check_body_equals(struct ht_case *c, const json_t *step,
                  struct request *rq, struct response *rs)
{
    const char *want = json_string_value(json_object_get(step,
                                                         "bodyEquals"));
    const char *got = rs->body.data != NULL ? rs->body.data : "";
    char *s;
    int ok;

    if (want == NULL)
        return 0;
    s = ht_subst_str(c, want);
    if (s == NULL)
        return -1;
    ok = strcmp(s, got) == 0;
    if (!ok)
        ht_fail(c, "%s %s: body differs from the expected %zu bytes "
                "(expected: %.500s)", rq->method, rq->path, strlen(s), s);
    free(s);
    return ok ? 0 : -1;
}

static int
check_response(struct ht_case *c, const json_t *step, struct request *rq,
               struct response *rs)
{
    if (check_status(c, step, rq, rs) != 0 ||
        save_vars(c, step, rq, rs) != 0 ||
        check_headers(c, step, rq, rs) != 0 ||
        check_expect(c, step, rq, rs) != 0 ||
        check_absent(c, step, rq, rs) != 0 ||
        check_body_regex(c, step, rq, rs) != 0 ||
        check_body_equals(c, step, rq, rs) != 0) {
        ht_show(c, "response body", rs->body.data, rs->body.len);
        return -1;
    }
    return 0;
}

int
ht_step_http(struct ht_case *c, const json_t *step)
{
    struct request rq = { 0 };
    struct response rs = { 0 };
    int rc = -1;

    rs.headers = json_object();
    if (build_request(c, step, &rq) != 0)
        goto out;
    if (c->verbose)
        fprintf(stderr, "  %s step %d: %s %s\n", c->name, c->stepno,
                rq.method, rq.path);
    if (perform(c, &rq, &rs) != 0)
        goto out;
    if (c->verbose)
        fprintf(stderr, "    -> %ld %.300s\n", rs.status, rs.body.data);
    rc = check_response(c, step, &rq, &rs);

out:
    request_free(&rq);
    response_free(&rs);
    return rc;
}

void
ht_http_cleanup(struct ht_case *c)
{
    if (c->curl != NULL)
        curl_easy_cleanup(c->curl);
    c->curl = NULL;
}
