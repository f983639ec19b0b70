/* SPDX-License-Identifier: MIT */
/*
 * Issue 7 at scale, for correctness: builds a group of N members with
 * PATCH requests of 1,000 members each (the way Okta and Entra push a
 * big group), adds one more, removes one by filter, and checks the
 * member list and the "which groups hold this user" filter after each.
 * It prints how long one add took on the big group and on a group of
 * 10, but asserts no timing: bench/ measures that.
 *
 *   e2e_groups_scale BASE_URL TOKEN N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#define BATCH 1000

struct http {
    CURL *curl;
    const char *base;
    char auth[160];
    char *body;
    size_t len;
};

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
    struct http *h = arg;
    char *nb = realloc(h->body, h->len + size * n + 1);

    if (nb == NULL)
        return 0;
    h->body = nb;
    memcpy(h->body + h->len, p, size * n);
    h->len += size * n;
    h->body[h->len] = '\0';
    return size * n;
}

/* Sends one request; returns the status and leaves the body in h. */
static long
call(struct http *h, const char *method, const char *path, json_t *body)
{
    struct curl_slist *hdrs = NULL;
    char url[2048], *text = NULL;
    long status = 0;

    snprintf(url, sizeof(url), "%s%s", h->base, path);
    free(h->body);
    h->body = NULL;
    h->len = 0;
    hdrs = curl_slist_append(hdrs, h->auth);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/scim+json");
    curl_easy_reset(h->curl);
    curl_easy_setopt(h->curl, CURLOPT_URL, url);
    curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
    if (body != NULL) {
        text = json_dumps(body, JSON_COMPACT);
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, text);
    }
    if (curl_easy_perform(h->curl) == CURLE_OK)
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    free(text);
    return status;
}

static json_t *
body_json(struct http *h)
{
    return h->body != NULL ? json_loads(h->body, 0, NULL) : NULL;
}

static int failures;

static void
check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok)
        failures++;
}

/* Collects the ids of the first n users, 1,000 per page. */
static json_t *
user_ids(struct http *h, long n)
{
    json_t *ids = json_array(), *page, *e;
    char path[128];
    long start;
    size_t i;

    for (start = 1; start <= n; start += BATCH) {
        snprintf(path, sizeof(path), "/Users?startIndex=%ld&count=%d"
                 "&attributes=id", start, BATCH);
        if (call(h, "GET", path, NULL) != 200)
            break;
        page = body_json(h);
        json_array_foreach(json_object_get(page, "Resources"), i, e)
            json_array_append(ids, json_object_get(e, "id"));
        json_decref(page);
    }
    return ids;
}

static char *
create_group(struct http *h, const char *name)
{
    json_t *b = json_pack("{s:[s], s:s}", "schemas",
                          "urn:ietf:params:scim:schemas:core:2.0:Group",
                          "displayName", name), *r;
    char *id = NULL;

    if (call(h, "POST", "/Groups", b) == 201) {
        r = body_json(h);
        id = strdup(json_string_value(json_object_get(r, "id")));
        json_decref(r);
    }
    json_decref(b);
    return id;
}

static json_t *
patch_body(const char *op, json_t *values, const char *path)
{
    json_t *o = json_pack("{s:s, s:s}", "op", op, "path", path);

    if (values != NULL)
        json_object_set_new(o, "value", values);
    return json_pack("{s:[s], s:[o]}", "schemas",
                     "urn:ietf:params:scim:api:messages:2.0:PatchOp",
                     "Operations", o);
}

static json_t *
members_of(const json_t *ids, size_t from, size_t to)
{
    json_t *v = json_array();
    size_t i;

    for (i = from; i < to; i++)
        json_array_append_new(v, json_pack("{s:O}", "value",
                                           json_array_get(ids, i)));
    return v;
}

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* PATCH-adds ids[from..to) to group gid; returns the elapsed ms. */
static double
add(struct http *h, const char *gid, const json_t *ids, size_t from,
    size_t to, int *ok)
{
    char path[128];
    json_t *b = patch_body("add", members_of(ids, from, to), "members");
    double t0 = now_ms();
    long st;

    snprintf(path, sizeof(path), "/Groups/%s", gid);
    st = call(h, "PATCH", path, b);
    json_decref(b);
    *ok = st == 200 || st == 204;
    return now_ms() - t0;
}

static long
member_count(struct http *h, const char *gid)
{
    char path[128];
    json_t *g;
    long n = -1;

    snprintf(path, sizeof(path), "/Groups/%s?attributes=members", gid);
    if (call(h, "GET", path, NULL) == 200) {
        g = body_json(h);
        n = (long)json_array_size(json_object_get(g, "members"));
        json_decref(g);
    }
    return n;
}

static long
groups_holding(struct http *h, const char *uid)
{
    char path[256];
    json_t *r;
    long n = -1;

    snprintf(path, sizeof(path), "/Groups?filter=members%%5Bvalue%%20eq"
             "%%20%%22%s%%22%%5D&excludedAttributes=members", uid);
    if (call(h, "GET", path, NULL) == 200) {
        r = body_json(h);
        n = (long)json_integer_value(json_object_get(r, "totalResults"));
        json_decref(r);
    }
    return n;
}

static void
run(struct http *h, long n)
{
    json_t *ids = user_ids(h, n);
    char *big = create_group(h, "Big"), *small = create_group(h, "Small");
    const char *last;
    char what[160], path[160];
    size_t i, total = json_array_size(ids);
    double t_big, t_small;
    int ok = 1, one;
    json_t *b;

    check((long)total == n, "every imported user is listed by paging");
    check(big != NULL && small != NULL, "groups created");
    if ((long)total != n || big == NULL || small == NULL)
        goto out;
    for (i = 0; ok && i + 1 < total; i += BATCH)
        add(h, big, ids, i, i + BATCH < total - 1 ? i + BATCH : total - 1,
            &ok);
    check(ok, "PATCH batches of 1000 members accepted");
    add(h, small, ids, 0, 10, &one);
    check(one, "small group of 10 built");

    t_big = add(h, big, ids, total - 1, total, &one);
    check(one, "one more member added to the big group");
    t_small = add(h, small, ids, total - 1, total, &one);
    check(one, "one more member added to the small group");
    snprintf(what, sizeof(what), "big group holds all %zu members", total);
    check(member_count(h, big) == (long)total, what);
    check(member_count(h, small) == 11, "small group holds 11 members");
    last = json_string_value(json_array_get(ids, total - 1));
    check(groups_holding(h, last) == 2, "both groups hold the last user");

    snprintf(path, sizeof(path), "members[value eq \"%s\"]", last);
    b = patch_body("remove", NULL, path);
    snprintf(path, sizeof(path), "/Groups/%s", big);
    one = call(h, "PATCH", path, b);
    json_decref(b);
    check(one == 200 || one == 204, "remove one member by filter");
    check(member_count(h, big) == (long)total - 1,
          "big group lost exactly that member");
    check(groups_holding(h, last) == 1, "only the small group holds it");
    printf("info: add one member: %.2f ms on %zu members, %.2f ms on 10 "
           "(ratio %.2f; measured properly in bench/)\n", t_big, total - 1,
           t_small, t_small > 0 ? t_big / t_small : 0.0);

out:
    free(big);
    free(small);
    json_decref(ids);
}

int
main(int argc, char **argv)
{
    struct http h = { 0 };

    if (argc != 4) {
        fprintf(stderr, "usage: e2e_groups_scale BASE TOKEN N\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h.curl = curl_easy_init();
    h.base = argv[1];
    snprintf(h.auth, sizeof(h.auth), "Authorization: Bearer %s", argv[2]);
    run(&h, atol(argv[3]));
    curl_easy_cleanup(h.curl);
    free(h.body);
    curl_global_cleanup();
    printf("%d failed checks\n", failures);
    return failures > 0;
}
