/* SPDX-License-Identifier: MIT */
/*
 * Issue 8: two scimd processes on one database stay consistent. Forty
 * clients, alternating between the two servers, at once:
 *  - create the same userName: exactly one 201, the rest 409;
 *  - add a distinct member each to one group: every member lands;
 *  - add a distinct email each to one user: no update is lost.
 *
 *   e2e_hammer BASE1 BASE2 TOKEN
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "e2e_http.h"

#define CLIENTS 40

static const char *base[2];
static char auth[200];
static int failures;

static void
check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    failures += !ok;
}

static long
call(const char *method, int server, const char *path, const char *body,
     struct reply *r)
{
    CURL *c = curl_easy_init();
    char url[512];
    long st;

    snprintf(url, sizeof(url), "%s%s", base[server], path);
    st = e2e_request(c, method, url, auth, body, r);
    curl_easy_cleanup(c);
    return st;
}

static char *
create(const char *path, const char *body)
{
    static struct reply r;
    json_t *j;
    char *id = NULL;

    if (call("POST", 0, path, body, &r) == 201) {
        j = json_loads(r.body, 0, NULL);
        id = strdup(json_string_value(json_object_get(j, "id")));
        json_decref(j);
    }
    return id;
}

static char *
user_body(const char *name)
{
    static char b[512];

    snprintf(b, sizeof(b), "{\"schemas\":[\"urn:ietf:params:scim:schemas:"
             "core:2.0:User\"],\"userName\":\"%s\",\"name\":{\"givenName\":"
             "\"H\",\"familyName\":\"M\"},\"emails\":[{\"value\":\"%s\"}]}",
             name, name);
    return b;
}

/* Runs fn(i) in CLIENTS processes at once; counts exit statuses. */
static void
race(int (*fn)(int), int counts[256])
{
    int i, st;

    memset(counts, 0, 256 * sizeof(int));
    for (i = 0; i < CLIENTS; i++)
        if (fork() == 0)
            _exit(fn(i));
    while (wait(&st) > 0)
        counts[WIFEXITED(st) ? WEXITSTATUS(st) : 255]++;
}

static int
same_user(int i)
{
    struct reply r;
    long st = call("POST", i % 2, "/Users", user_body("hammer@example.com"),
                   &r);

    return st == 201 ? 1 : st == 409 ? 2 : 3;
}

static char *member_ids[CLIENTS];
static char *group_id, *user_id;

static int
add_member(int i)
{
    char path[128], body[256];
    struct reply r;
    long st;

    snprintf(path, sizeof(path), "/Groups/%s", group_id);
    snprintf(body, sizeof(body), "{\"schemas\":[\"urn:ietf:params:scim:api:"
             "messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"add\","
             "\"path\":\"members\",\"value\":[{\"value\":\"%s\"}]}]}",
             member_ids[i]);
    st = call("PATCH", i % 2, path, body, &r);
    return st == 200 || st == 204 ? 1 : 3;
}

static int
add_email(int i)
{
    char path[128], body[256];
    struct reply r;
    long st;

    snprintf(path, sizeof(path), "/Users/%s", user_id);
    snprintf(body, sizeof(body), "{\"schemas\":[\"urn:ietf:params:scim:api:"
             "messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"add\","
             "\"path\":\"emails\",\"value\":[{\"value\":\"e%d@example.com\","
             "\"type\":\"other\"}]}]}", i);
    st = call("PATCH", i % 2, path, body, &r);
    return st == 200 ? 1 : 3;
}

static size_t
count_of(const char *path, const char *attr)
{
    struct reply r;
    json_t *j;
    size_t n = 0;

    if (call("GET", 1, path, NULL, &r) == 200) {
        j = json_loads(r.body, 0, NULL);
        n = json_array_size(json_object_get(j, attr));
        json_decref(j);
    }
    return n;
}

int
main(int argc, char **argv)
{
    int counts[256], i;
    char name[64], path[128];

    if (argc != 4) {
        fprintf(stderr, "usage: e2e_hammer BASE1 BASE2 TOKEN\n");
        return 2;
    }
    base[0] = argv[1];
    base[1] = argv[2];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", argv[3]);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    race(same_user, counts);
    printf("same userName: %d created, %d conflicts, %d other\n", counts[1],
           counts[2], counts[3] + counts[255]);
    check(counts[1] == 1 && counts[2] == CLIENTS - 1,
          "one userName from both servers: exactly one 201, the rest 409");

    for (i = 0; i < CLIENTS; i++) {
        snprintf(name, sizeof(name), "m%d@example.com", i);
        member_ids[i] = create("/Users", user_body(name));
    }
    group_id = create("/Groups", "{\"schemas\":[\"urn:ietf:params:scim:"
                      "schemas:core:2.0:Group\"],\"displayName\":\"Hammer\"}");
    user_id = create("/Users", user_body("emails@example.com"));
    check(group_id != NULL && user_id != NULL && member_ids[CLIENTS - 1],
          "set-up");
    if (failures > 0)
        return 1;

    race(add_member, counts);
    printf("member adds: %d answered 2xx, %d other\n", counts[1],
           CLIENTS - counts[1]);
    check(counts[1] == CLIENTS, "every concurrent member add answered 2xx");
    snprintf(path, sizeof(path), "/Groups/%s", group_id);
    check(count_of(path, "members") == CLIENTS,
          "the group ends with every member that was added");

    race(add_email, counts);
    printf("user PATCHes: %d answered 200, %d other\n", counts[1],
           CLIENTS - counts[1]);
    check(counts[1] == CLIENTS, "every concurrent user PATCH answered 200");
    snprintf(path, sizeof(path), "/Users/%s", user_id);
    check(count_of(path, "emails") == CLIENTS + 1,
          "the user ends with every email added: no lost update");
    curl_global_cleanup();
    printf("%d failed checks\n", failures);
    return failures > 0;
}
