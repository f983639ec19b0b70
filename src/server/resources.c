/* SPDX-License-Identifier: MIT */
/*
 * The resource endpoints: POST, GET, PUT, PATCH and DELETE on Users,
 * Groups and any tenant resource type. Each write is computed from the
 * stored version in the worker, validated by the core from the schema
 * registry, and handed to the store as a change set together with its
 * SCIM log record; a stale version (another writer got there first) is
 * recomputed, so concurrent PATCHes lose no update. A refused request
 * changes nothing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "members.h"
#include "patch.h"
#include "record.h"
#include "render.h"
#include "resource.h"
#include "server.h"

#define WRITE_ATTEMPTS 16

/*
 * Each operation may rescan the attribute it edits, so a request's cost
 * grows with operations times values; identity providers send a few.
 */
#define PATCH_MAX_OPS 1000

static int
answer_doc(struct req *r, const struct scim_rtype *rt, const char *id,
           const char *text, const json_t *links, int links_given,
           int status)
{
    struct render_in in = {
        .ctx = &r->ctx, .store = r->store, .tenant = r->tenant->id,
        .rt = rt, .id = id, .text = text,
        .attrs = req_arg(r, "attributes"),
        .excl = req_arg(r, "excludedAttributes"),
        .links_given = links_given, .links = links,
    };
    char *out = NULL;
    int rc = render_doc(&in, &out);

    if (rc != SCIM_OK) {
        if (!scim_error_isset(&r->ctx.err))
            scim_failf(&r->ctx.err, 500, SCIM_CAUSE_INTERNAL, NULL, NULL,
                       "The resource could not be rendered.");
        respond_error(r, &r->ctx.err);
        return rc;
    }
    free(r->resp);
    r->resp = out;
    r->status = status;
    return SCIM_OK;
}

static void
set_headers(struct req *r, const struct record *p)
{
    const json_t *meta = json_object_get(p->doc, "meta");

    snprintf(r->location, sizeof(r->location), "%s",
             json_string_value(json_object_get(meta, "location")));
    snprintf(r->etag, sizeof(r->etag), "%s",
             json_string_value(json_object_get(meta, "version")));
}

static void
store_failed(struct req *r, int rc, struct scim_error *err)
{
    if (scim_error_isset(err)) {
        scim_error_clear(&r->ctx.err);
        respond_error(r, err);
        return;
    }
    if (rc == SCIM_ENOTFOUND)
        respond_fail(r, 404, SCIM_CAUSE_NOT_FOUND, NULL, "id",
                     "No resource with id '%s' exists in this tenant.",
                     r->res_id != NULL ? r->res_id : "");
    else
        respond_fail(r, 503, SCIM_CAUSE_INTERNAL, NULL, NULL,
                     "The database could not complete the request; nothing "
                     "was changed. Retry the request.");
}

static void
do_create(struct req *r, const struct scim_rtype *rt)
{
    json_t *in = req_json(r), *valid = NULL;
    struct record p = { 0 };
    struct store_change ch[2];
    struct member_acc acc;
    struct scim_error err = { 0 };
    char id[37], loc[512];
    size_t n = 1;
    int rc;

    if (in == NULL)
        return;
    exchange_subject(r, in);
    if (resource_prepare(&r->ctx, rt, RESOURCE_CREATE, in, NULL, &valid)
        != SCIM_OK) {
        respond_error(r, &r->ctx.err);
        goto out;
    }
    record_new_id(id);
    req_location(r, rt->endpoint, id, loc, sizeof(loc));
    if (record_build(&p, rt, valid, id, NULL, 1, loc) != SCIM_OK) {
        respond_fail(r, 500, SCIM_CAUSE_INTERNAL, NULL, NULL,
                     "Out of memory.");
        goto out;
    }
    free(r->res_id);
    r->res_id = strdup(id);
    record_change(&ch[0], STORE_INSERT, rt, id, &p, &r->ctx);
    member_acc_init(&acc, r, id);
    if (p.members != NULL && json_array_size(p.members) > 0 &&
        member_add(&acc, &r->ctx, p.members) != SCIM_OK) {
        respond_error(r, &r->ctx.err);
        goto out_acc;
    }
    if (acc.n > 0)
        ch[n++] = acc.ch[0];
    if (answer_doc(r, rt, id, p.text, p.members, 1, 201) != SCIM_OK)
        goto out_acc;
    set_headers(r, &p);
    rc = exchange_commit(r, ch, n, &err);
    if (rc != SCIM_OK)
        store_failed(r, rc, &err);

out_acc:
    member_acc_free(&acc);
out:
    record_free(&p);
    json_decref(valid);
    json_decref(in);
}

static int
load(struct req *r, const struct scim_rtype *rt, const char *id,
     struct store_res *res, json_t **doc)
{
    int rc = store_get(r->store, r->tenant->id, rt->name, id, res);

    *doc = NULL;
    if (rc == SCIM_OK)
        *doc = json_loads(res->doc, 0, NULL);
    if (rc == SCIM_OK && *doc == NULL)
        rc = SCIM_EINTERNAL;
    if (rc == SCIM_ENOTFOUND)
        respond_fail(r, 404, SCIM_CAUSE_NOT_FOUND, NULL, "id",
                     "No %s with id '%s' exists in this tenant.", rt->name,
                     id);
    else if (rc != SCIM_OK)
        respond_fail(r, 503, SCIM_CAUSE_INTERNAL, NULL, NULL,
                     "The database could not read the resource.");
    if (rc == SCIM_OK)
        exchange_subject(r, *doc);
    return rc;
}

static void
do_get(struct req *r, const struct scim_rtype *rt, const char *id)
{
    struct store_res res;
    int rc = store_get(r->store, r->tenant->id, rt->name, id, &res);
    json_t *doc;

    if (rc == SCIM_ENOTFOUND) {
        respond_fail(r, 404, SCIM_CAUSE_NOT_FOUND, NULL, "id",
                     "No %s with id '%s' exists in this tenant.", rt->name,
                     id);
        return;
    }
    if (rc != SCIM_OK) {
        store_failed(r, rc, &r->ctx.err);
        return;
    }
    /* The subject (userName, emails) is for the SCIM log only. */
    if (server_opts.scim_log) {
        doc = json_loads(res.doc, 0, NULL);
        exchange_subject(r, doc);
        json_decref(doc);
    }
    snprintf(r->etag, sizeof(r->etag), "W/\"%lld\"",
             (long long)res.version);
    r->read_summary = json_pack("{s:s, s:I}", "id", id, "version",
                                (json_int_t)res.version);
    answer_doc(r, rt, id, res.doc, NULL, 0, 200);
    store_res_free(&res);
}

static void
do_delete(struct req *r, const struct scim_rtype *rt, const char *id)
{
    struct store_res res;
    struct store_change ch;
    struct scim_error err = { 0 };
    json_t *doc = NULL;
    int rc;

    if (load(r, rt, id, &res, &doc) != SCIM_OK)
        return;
    memset(&ch, 0, sizeof(ch));
    ch.kind = STORE_DELETE;
    ch.rtype = rt->name;
    ch.id = id;
    respond_text(r, 204, NULL);
    rc = exchange_commit(r, &ch, 1, &err);
    if (rc != SCIM_OK)
        store_failed(r, rc, &err);
    else
        cursor_forget(r->tenant->id);
    json_decref(doc);
    store_res_free(&res);
}

/*
 * Whether a PATCH left the document as it was apart from meta: then it
 * changed only a group's members, which are set operations that
 * commute, so the write need not wait for the version it read.
 */
static int
doc_unchanged(const json_t *old, const json_t *now)
{
    json_t *a = json_copy((json_t *)old), *b = json_copy((json_t *)now);
    int same;

    json_object_del(a, "meta");
    json_object_del(b, "meta");
    same = a != NULL && b != NULL && json_equal(a, b);
    json_decref(a);
    json_decref(b);
    return same;
}

/*
 * The validated new document: body applied to a copy of old (PATCH,
 * a group's member edits going to hooks) or standing in its place (PUT).
 */
static int
new_document(struct req *r, const struct scim_rtype *rt, const json_t *body,
             const json_t *old, int is_patch,
             const struct patch_members *hooks, json_t **valid)
{
    json_t *work;
    int rc;

    if (!is_patch)
        return resource_prepare(&r->ctx, rt, RESOURCE_REPLACE, body, old,
                                valid);
    work = json_deep_copy(old);
    if (work == NULL)
        return SCIM_ENOMEM;
    rc = patch_apply(&r->ctx, rt, work, body,
                     render_is(rt, "Group") ? hooks : NULL);
    if (rc == SCIM_OK)
        rc = resource_prepare(&r->ctx, rt, RESOURCE_PATCHED, work, old,
                              valid);
    json_decref(work);
    return rc;
}

/*
 * The change set of a write: the document's update (unconditional when
 * only members changed, see doc_unchanged), then the member edits.
 * Returns NULL on ENOMEM; caller frees.
 */
static struct store_change *
change_set(struct req *r, const struct scim_rtype *rt, const char *id,
           const struct record *p, const struct member_acc *acc,
           const json_t *old, int64_t version, int is_patch, size_t *n)
{
    struct store_change *ch = calloc(acc->n + 1, sizeof(*ch));
    size_t i;

    *n = 0;
    if (ch == NULL)
        return NULL;
    record_change(&ch[0], STORE_UPDATE, rt, id, p, &r->ctx);
    ch[0].version = is_patch && acc->n > 0 && doc_unchanged(old, p->doc)
                        ? -1 : version;
    for (i = 0; i < acc->n; i++)
        ch[i + 1] = acc->ch[i];
    *n = acc->n + 1;
    return ch;
}

/* Answers the error in ctx, or a 503 when none was recorded (ENOMEM). */
static void
write_failed(struct req *r)
{
    if (!scim_error_isset(&r->ctx.err))
        scim_failf(&r->ctx.err, 503, SCIM_CAUSE_INTERNAL, NULL, NULL,
                   "scimd ran out of memory; nothing was changed. Retry "
                   "the request.");
    respond_error(r, &r->ctx.err);
}

/*
 * One attempt at a PUT or PATCH. Returns SCIM_ERETRY when another
 * writer changed the resource in between; the caller tries again.
 */
static int
write_once(struct req *r, const struct scim_rtype *rt, const char *id,
           const json_t *body, int is_patch)
{
    struct store_res res;
    struct record p = { 0 };
    struct member_acc acc;
    struct patch_members hooks;
    struct scim_error err = { 0 };
    struct store_change *ch = NULL;
    json_t *old = NULL, *valid = NULL;
    char loc[512];
    size_t n = 0;
    int rc;

    if (load(r, rt, id, &res, &old) != SCIM_OK)
        return SCIM_ENOTFOUND;
    member_acc_init(&acc, r, id);
    member_hooks_init(&hooks, &acc);

    /* Compute and validate the new document, then what to store. */
    rc = new_document(r, rt, body, old, is_patch, &hooks, &valid);
    req_location(r, rt->endpoint, id, loc, sizeof(loc));
    if (rc == SCIM_OK)
        rc = record_build(&p, rt, valid, id, json_object_get(old, "meta"),
                          res.version + 1, loc);
    if (rc == SCIM_OK && !is_patch && render_is(rt, "Group"))
        rc = member_replace(&acc, &r->ctx, p.members);
    if (rc == SCIM_OK && (ch = change_set(r, rt, id, &p, &acc, old,
                                          res.version, is_patch, &n)) == NULL)
        rc = SCIM_ENOMEM;
    if (rc != SCIM_OK) {
        write_failed(r);
        goto out;
    }

    /* The answer goes into the log record that commits with the change;
     * a group's PATCH answer leaves members out unless asked. */
    if (answer_doc(r, rt, id, p.text, NULL,
                   is_patch && render_is(rt, "Group") &&
                       req_arg(r, "attributes") == NULL, 200) != SCIM_OK)
        goto out;
    set_headers(r, &p);
    rc = exchange_commit(r, ch, n, &err);
    if (rc != SCIM_OK && rc != SCIM_ERETRY)
        store_failed(r, rc, &err);

out:
    free(ch);
    member_acc_free(&acc);
    record_free(&p);
    json_decref(valid);
    json_decref(old);
    store_res_free(&res);
    return rc;
}

/*
 * Writers of one resource in this process take turns: read, compute and
 * commit happen under a lock chosen by the resource id, so optimistic
 * version checks only ever race against other processes.
 */
#define WRITE_STRIPES 256
static pthread_mutex_t stripes[WRITE_STRIPES];
static pthread_once_t stripes_once = PTHREAD_ONCE_INIT;

static void
stripes_init(void)
{
    int i;

    for (i = 0; i < WRITE_STRIPES; i++)
        pthread_mutex_init(&stripes[i], NULL);
}

static pthread_mutex_t *
stripe_of(const char *id)
{
    unsigned h = 5381;

    pthread_once(&stripes_once, stripes_init);
    while (*id != '\0')
        h = h * 33 + (unsigned char)*id++;
    return &stripes[h % WRITE_STRIPES];
}

static void
do_write(struct req *r, const struct scim_rtype *rt, const char *id,
         int is_patch)
{
    json_t *body = req_json(r);
    pthread_mutex_t *lock;
    size_t nops;
    int attempt, rc = SCIM_ERETRY;

    if (body == NULL)
        return;
    if (!is_patch)
        exchange_subject(r, body);
    nops = json_array_size(json_object_get(body, "Operations"));
    if (is_patch && nops > PATCH_MAX_OPS) {
        respond_fail(r, 413, SCIM_CAUSE_TOO_LARGE, NULL, "Operations",
                     "A PATCH request may hold at most %d operations; this "
                     "one holds %zu. Send them in several requests.",
                     PATCH_MAX_OPS, nops);
        json_decref(body);
        return;
    }
    lock = stripe_of(id);
    pthread_mutex_lock(lock);
    for (attempt = 0; attempt < WRITE_ATTEMPTS && rc == SCIM_ERETRY;
         attempt++) {
        /* Back off with jitter so that racing writers spread out. */
        if (attempt > 0)
            usleep((useconds_t)(randombytes_uniform(1000) + 1) *
                   (useconds_t)(attempt < 6 ? attempt : 6));
        scim_ctx_clear(&r->ctx);
        scim_ctx_init(&r->ctx, &r->tenant->cfg, r->tenant->reg);
        rc = write_once(r, rt, id, body, is_patch);
    }
    pthread_mutex_unlock(lock);
    if (rc == SCIM_ERETRY)
        respond_fail(r, 409, SCIM_CAUSE_INTERNAL, NULL, NULL,
                     "The resource kept changing while this request was "
                     "applied; nothing was changed. Retry the request.");
    json_decref(body);
}

/* Ids are UTF-8 text; anything else cannot name a resource. */
static int
valid_id(const char *id)
{
    json_t *j = json_string(id);

    json_decref(j);
    return j != NULL;
}

void
handle_resource(struct req *r, const struct scim_rtype *rt, const char *id)
{
    const char *m = r->method;

    r->allow = id == NULL ? "GET, POST" : "GET, PUT, PATCH, DELETE";
    if (id != NULL && !valid_id(id)) {
        respond_fail(r, 404, SCIM_CAUSE_NOT_FOUND, NULL, "id",
                     "No %s with id '%s' exists in this tenant.", rt->name,
                     id);
        return;
    }
    if (id == NULL) {
        if (strcmp(m, "POST") == 0)
            do_create(r, rt);
        else if (strcmp(m, "GET") == 0)
            handle_list(r, rt);
        else
            respond_fail(r, 405, SCIM_CAUSE_UNSUPPORTED_REQUEST, NULL, NULL,
                         "%s is not supported on the %s collection; use "
                         "%s %s/{id}.", m, rt->endpoint, m, rt->endpoint);
        return;
    }
    /* The SCIM log ties even a refused request to the resource. */
    if (r->res_id == NULL)
        r->res_id = strdup(id);
    if (strcmp(m, "GET") == 0)
        do_get(r, rt, id);
    else if (strcmp(m, "PUT") == 0)
        do_write(r, rt, id, 0);
    else if (strcmp(m, "PATCH") == 0)
        do_write(r, rt, id, 1);
    else if (strcmp(m, "DELETE") == 0)
        do_delete(r, rt, id);
    else
        respond_fail(r, 405, SCIM_CAUSE_UNSUPPORTED_REQUEST, NULL, NULL,
                     "%s is not supported on %s/{id}.", m, rt->endpoint);
}
