/* SPDX-License-Identifier: MIT */
/*
 * The benchmark's set-up client (libcurl, one keep-alive connection):
 *   ids   BASE TOKEN OUT          pages through /Users and writes
 *                                 "id<TAB>userName" lines for wrk;
 *   group BASE TOKEN IDS SIZE NAME
 *                                 creates a group and fills it with the
 *                                 first SIZE ids, 1000 per PATCH, as an
 *                                 identity provider's push would; prints
 *                                 the group id and the build time;
 *   pool  BASE TOKEN N OUT        creates N fresh users, writes their ids;
 *   walk  BASE TOKEN LIMIT_S      Okta's import: sequential pages of 100
 *                                 until totalResults or LIMIT_S seconds;
 *                                 prints "pages users seconds complete".
 * BASE is the SCIM root, e.g. http://127.0.0.1:8080/scim/v2.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PATCHOP "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define BATCH 1000

struct buf {
    char *p;
    size_t n;
};

static CURL *curl;
static struct curl_slist *hdrs;
static const char *base;

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    char *p = realloc(b->p, b->n + size * n + 1);

    if (p == NULL)
        return 0;
    memcpy(p + b->n, data, size * n);
    b->n += size * n;
    p[b->n] = '\0';
    b->p = p;
    return size * n;
}

/*
 * Sends one request and parses the JSON answer. Returns the document
 * (caller decrefs) or NULL, after printing why, when the status is not
 * 2xx or the body is not JSON.
 */
static json_t *
call(const char *method, const char *path, const char *body)
{
    struct buf b = { NULL, 0 };
    char url[2048];
    long status = 0;
    json_t *doc = NULL;
    CURLcode rc;

    snprintf(url, sizeof(url), "%s%s", base, path);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    if (body == NULL)
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);

    if (rc != CURLE_OK || status < 200 || status > 299) {
        fprintf(stderr, "driver: %s %s: %s %ld %.300s\n", method, path,
                curl_easy_strerror(rc), status, b.p ? b.p : "");
        goto out;
    }
    doc = b.n > 0 ? json_loadb(b.p, b.n, 0, NULL) : json_object();
    if (doc == NULL)
        fprintf(stderr, "driver: %s %s: answer is not JSON\n", method, path);

out:
    free(b.p);
    return doc;
}

static int
setup(const char *root, const char *token)
{
    char auth[1024];

    base = root;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl = curl_easy_init();
    if (curl == NULL)
        return -1;
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    hdrs = curl_slist_append(hdrs, auth);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/scim+json");
    hdrs = curl_slist_append(hdrs, "Accept: application/scim+json");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
    return 0;
}

/* Writes the page's users; returns how many it held, -1 on error. */
static long
write_page(json_t *doc, FILE *out)
{
    json_t *res = json_object_get(doc, "Resources"), *u;
    size_t i;

    if (res != NULL && !json_is_array(res))
        return -1;
    json_array_foreach(res, i, u) {
        const char *id = json_string_value(json_object_get(u, "id"));
        const char *name = json_string_value(json_object_get(u, "userName"));

        if (id == NULL)
            return -1;
        fprintf(out, "%s\t%s\n", id, name ? name : "");
    }
    return res != NULL ? (long)json_array_size(res) : 0;
}

static int
cmd_ids(const char *file)
{
    FILE *out = fopen(file, "w");
    char path[128];
    long start = 1, got, total = 0;
    json_t *doc;

    if (out == NULL)
        return 1;
    do {
        snprintf(path, sizeof(path), "/Users?attributes=id,userName"
                 "&startIndex=%ld&count=%d", start, BATCH);
        doc = call("GET", path, NULL);
        if (doc == NULL)
            break;
        total = (long)json_integer_value(json_object_get(doc,
                                                         "totalResults"));
        got = write_page(doc, out);
        json_decref(doc);
        if (got <= 0)
            break;
        start += got;
    } while (start <= total);

    if (fclose(out) != 0 || start <= total) {
        fprintf(stderr, "driver: ids: stopped at %ld of %ld\n", start, total);
        return 1;
    }
    return 0;
}

/* Reads up to max ids (first column) of an id list. */
static char **
read_ids(const char *file, size_t max, size_t *n)
{
    FILE *in = fopen(file, "r");
    char line[512], **ids = calloc(max + 1, sizeof(*ids));

    *n = 0;
    if (in == NULL || ids == NULL) {
        if (in != NULL)
            fclose(in);
        free(ids);
        return NULL;
    }
    while (*n < max && fgets(line, sizeof(line), in) != NULL) {
        line[strcspn(line, "\t\r\n")] = '\0';
        if (line[0] != '\0')
            ids[(*n)++] = strdup(line);
    }
    fclose(in);
    return ids;
}

/* PATCH-adds ids[from..to) to the group in one request. */
static int
add_members(const char *gid, char **ids, size_t from, size_t to)
{
    json_t *members = json_array(), *op, *doc, *res;
    char path[512], *body;
    size_t i;

    for (i = from; i < to; i++)
        json_array_append_new(members, json_pack("{ss}", "value", ids[i]));
    op = json_pack("{ss ss so}", "op", "add", "path", "members",
                   "value", members);
    doc = json_pack("{s[s] s[o]}", "schemas", PATCHOP, "Operations", op);
    body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);

    snprintf(path, sizeof(path), "/Groups/%s?excludedAttributes=members",
             gid);
    res = body ? call("PATCH", path, body) : NULL;
    free(body);
    json_decref(res);
    return res != NULL ? 0 : -1;
}

static int
cmd_group(const char *file, size_t size, const char *name)
{
    size_t n = 0, i;
    char **ids = read_ids(file, size, &n), *body, gid[128];
    json_t *doc;
    double t0 = now();
    int rc = 1;

    if (ids == NULL || n < size) {
        fprintf(stderr, "driver: group: %zu ids in %s\n", n, file);
        goto out;
    }
    doc = json_pack("{s[s] ss}", "schemas",
                    "urn:ietf:params:scim:schemas:core:2.0:Group",
                    "displayName", name);
    body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    doc = call("POST", "/Groups", body);
    free(body);
    if (doc == NULL || json_string_value(json_object_get(doc, "id")) == NULL)
        goto out;
    snprintf(gid, sizeof(gid), "%s",
             json_string_value(json_object_get(doc, "id")));
    json_decref(doc);

    for (i = 0; i < n; i += BATCH)
        if (add_members(gid, ids, i, i + BATCH < n ? i + BATCH : n) != 0)
            goto out;
    printf("%s %.3f\n", gid, now() - t0);
    rc = 0;

out:
    for (i = 0; ids != NULL && i < n; i++)
        free(ids[i]);
    free(ids);
    return rc;
}

static int
cmd_pool(long n, const char *file)
{
    FILE *out = fopen(file, "w");
    char body[768];
    long i, tag = (long)time(NULL);
    json_t *doc;

    for (i = 0; out != NULL && i < n; i++) {
        snprintf(body, sizeof(body), "{\"schemas\":[\"urn:ietf:params:"
                 "scim:schemas:core:2.0:User\"],\"userName\":"
                 "\"pool%lx-%ld@bench.example.com\",\"name\":{\"givenName\":"
                 "\"Pool\",\"familyName\":\"Member%ld\"},\"emails\":[{"
                 "\"value\":\"pool%lx-%ld@bench.example.com\",\"type\":"
                 "\"work\",\"primary\":true}],\"active\":true}",
                 tag, i, i, tag, i);
        doc = call("POST", "/Users", body);
        if (doc == NULL)
            break;
        fprintf(out, "%s\n", json_string_value(json_object_get(doc, "id")));
        json_decref(doc);
    }
    if (out == NULL || fclose(out) != 0 || i < n)
        return 1;
    return 0;
}

/*
 * Limitation: a walk cut by the time limit has not reached the deepest
 * pages; the report extrapolates it, and the random-page wrk run is what
 * shows whether deep pages cost more.
 */
static int
cmd_walk(double limit)
{
    char path[128];
    long start = 1, total = 1, pages = 0, users = 0, got;
    double t0 = now();
    json_t *doc;

    while (start <= total && now() - t0 < limit) {
        snprintf(path, sizeof(path), "/Users?startIndex=%ld&count=100",
                 start);
        doc = call("GET", path, NULL);
        if (doc == NULL)
            return 1;
        total = (long)json_integer_value(json_object_get(doc,
                                                         "totalResults"));
        got = (long)json_array_size(json_object_get(doc, "Resources"));
        json_decref(doc);
        if (got == 0)
            break;
        pages++;
        users += got;
        start += got;
    }
    printf("%ld %ld %.3f %d\n", pages, users, now() - t0,
           start > total ? 1 : 0);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 4 || setup(argv[2], argv[3]) != 0)
        goto usage;
    if (strcmp(argv[1], "ids") == 0 && argc == 5)
        return cmd_ids(argv[4]);
    if (strcmp(argv[1], "group") == 0 && argc == 7)
        return cmd_group(argv[4], strtoul(argv[5], NULL, 10), argv[6]);
    if (strcmp(argv[1], "pool") == 0 && argc == 6)
        return cmd_pool(strtol(argv[4], NULL, 10), argv[5]);
    if (strcmp(argv[1], "walk") == 0 && argc == 5)
        return cmd_walk(strtod(argv[4], NULL));

usage:
    fprintf(stderr, "usage: driver ids BASE TOKEN OUT\n"
            "       driver group BASE TOKEN IDS SIZE NAME\n"
            "       driver pool BASE TOKEN N OUT\n"
            "       driver walk BASE TOKEN LIMIT_SECONDS\n");
    return 2;
}
