/* SPDX-License-Identifier: MIT */
/*
 * Issue 6 durability: what scimd answered 2xx must survive SIGKILL.
 *
 *   e2e_kill write BASE TOKEN OUT WRITERS SECONDS
 *       WRITERS processes POST users as fast as they can and append
 *       "request-id user-id userName" of every 201 to OUT, until the
 *       server goes away or SECONDS pass.
 *   e2e_kill check BASE TOKEN OUT LOGJSON
 *       after a restart: every acknowledged user must be readable, and
 *       LOGJSON (the output of scimctl log --json) must hold a record of
 *       every acknowledged request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "e2e_http.h"

static void
writer(const char *base, const char *auth, const char *out, int w,
       int seconds)
{
    CURL *c = curl_easy_init();
    FILE *f = fopen(out, "a");
    time_t end = time(NULL) + seconds;
    char url[512], body[512];
    struct reply r;
    json_t *j;
    long i, st;

    snprintf(url, sizeof(url), "%s/Users", base);
    for (i = 0; f != NULL && time(NULL) < end; i++) {
        snprintf(body, sizeof(body), "{\"schemas\":[\"urn:ietf:params:scim:"
                 "schemas:core:2.0:User\"],\"userName\":\"k%d-%ld@example."
                 "com\",\"name\":{\"givenName\":\"K\",\"familyName\":\"W%d"
                 "\"},\"emails\":[{\"value\":\"k%d-%ld@example.com\"}]}",
                 w, i, w, w, i);
        st = e2e_request(c, "POST", url, auth, body, &r);
        if (st == 0)
            break;              /* the server is gone */
        if (st != 201)
            continue;
        j = json_loads(r.body, 0, NULL);
        fprintf(f, "%s %s %s\n", r.rid,
                json_string_value(json_object_get(j, "id")),
                json_string_value(json_object_get(j, "userName")));
        fflush(f);              /* acknowledged: must survive */
        json_decref(j);
    }
    if (f != NULL)
        fclose(f);
    curl_easy_cleanup(c);
}

static int
do_write(const char *base, const char *auth, const char *out, int writers,
         int seconds)
{
    int w;

    for (w = 0; w < writers; w++)
        if (fork() == 0) {
            writer(base, auth, out, w, seconds);
            _exit(0);
        }
    while (wait(NULL) > 0)
        ;
    return 0;
}

static int
logged(const json_t *log, const char *rid)
{
    const json_t *e;
    size_t i;

    json_array_foreach(log, i, e)
        if (strcmp(json_string_value(json_object_get(e, "request_id")),
                   rid) == 0 &&
            json_integer_value(json_object_get(e, "status")) == 201)
            return 1;
    return 0;
}

static int
do_check(const char *base, const char *auth, const char *in,
         const char *logfile)
{
    CURL *c = curl_easy_init();
    FILE *f = fopen(in, "r");
    json_t *log = json_load_file(logfile, 0, NULL), *j;
    char rid[64], id[64], name[128], url[512];
    struct reply r;
    long n = 0, missing = 0, unlogged = 0;

    if (f == NULL || !json_is_array(log)) {
        fprintf(stderr, "cannot read %s or %s\n", in, logfile);
        return 1;
    }
    while (fscanf(f, "%63s %63s %127s", rid, id, name) == 3) {
        n++;
        snprintf(url, sizeof(url), "%s/Users/%s", base, id);
        j = e2e_request(c, "GET", url, auth, NULL, &r) == 200
                ? json_loads(r.body, 0, NULL) : NULL;
        if (j == NULL || strcmp(json_string_value(json_object_get(
                                    j, "userName")), name) != 0) {
            printf("FAIL acknowledged user %s (%s) is lost\n", name, id);
            missing++;
        }
        json_decref(j);
        if (!logged(log, rid)) {
            printf("FAIL request %s has no SCIM log record\n", rid);
            unlogged++;
        }
    }
    printf("%ld acknowledged writes, %ld lost, %ld without log record\n",
           n, missing, unlogged);
    fclose(f);
    json_decref(log);
    curl_easy_cleanup(c);
    return n == 0 || missing > 0 || unlogged > 0;
}

int
main(int argc, char **argv)
{
    char auth[200];

    if (argc < 5)
        goto usage;
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", argv[3]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(argv[1], "write") == 0 && argc == 7)
        return do_write(argv[2], auth, argv[4], atoi(argv[5]),
                        atoi(argv[6]));
    if (strcmp(argv[1], "check") == 0 && argc == 6)
        return do_check(argv[2], auth, argv[4], argv[5]);
usage:
    fprintf(stderr, "usage: e2e_kill write BASE TOKEN OUT WRITERS SECS\n"
                    "       e2e_kill check BASE TOKEN OUT LOGJSON\n");
    return 2;
}
