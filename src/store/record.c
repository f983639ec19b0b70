/* SPDX-License-Identifier: MIT */
/*
 * Building what the store keeps from a validated document (record.h):
 * the final document with id and meta, its folded copy for filters and
 * the indexed keys. The server and scimctl import both come through
 * here, so a resource is stored the same way whoever wrote it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "fold.h"
#include "record.h"
#include "resource.h"

static int
is_type(const struct scim_rtype *rt, const char *name)
{
    return strcmp(rt->name, name) == 0;
}

/* What a write stores besides the document: its keys and folded copy. */

void
record_free(struct record *p)
{
    size_t i;

    json_decref(p->doc);
    free(p->text);
    free(p->ftext);
    scim_free(p->name_key);
    scim_free(p->display_key);
    for (i = 0; i < p->nemail; i++)
        scim_free((void *)p->email_keys[i]);
    free(p->email_keys);
    json_decref(p->members);
    memset(p, 0, sizeof(*p));
}

static void
now_text(char *out, size_t size)
{
    struct timespec ts;
    struct tm tm;
    char base[24];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s.%03ldZ", base, ts.tv_nsec / 1000000);
}

void
record_new_id(char out[37])
{
    unsigned char b[16];

    randombytes_buf(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
             b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static char *
fold_of(const json_t *v)
{
    const char *s = json_string_value(v);

    return s != NULL ? scim_fold(s, strlen(s)) : NULL;
}

static void
collect_email_keys(struct record *p)
{
    const json_t *emails = json_object_get(p->doc, "emails"), *e;
    size_t i;

    p->email_keys = calloc(json_array_size(emails) + 1,
                           sizeof(*p->email_keys));
    if (p->email_keys == NULL)
        return;
    json_array_foreach(emails, i, e) {
        char *k = fold_of(json_object_get(e, "value"));

        if (k != NULL)
            p->email_keys[p->nemail++] = k;
    }
}

/*
 * Builds the stored document from the validated one: schemas, id, the
 * attributes, then meta with the given version. old_meta keeps created.
 */
static json_t *
finalize(const struct scim_rtype *rt, json_t *valid, const char *id,
         const json_t *old_meta, int64_t version, const char *loc)
{
    json_t *d = json_object(), *meta = json_object(), *v;
    const char *k, *created;
    char now[40], ver[32];

    json_object_set(d, "schemas", json_object_get(valid, "schemas"));
    json_object_set_new(d, "id", json_string(id));
    json_object_foreach(valid, k, v)
        if (strcmp(k, "schemas") != 0 && strcmp(k, "id") != 0 &&
            strcmp(k, "meta") != 0)
            json_object_set(d, k, v);
    if (is_type(rt, "User") && json_object_get(d, "active") == NULL)
        json_object_set_new(d, "active", json_true());

    now_text(now, sizeof(now));
    created = json_string_value(json_object_get(old_meta, "created"));
    snprintf(ver, sizeof(ver), "W/\"%lld\"", (long long)version);
    json_object_set_new(meta, "resourceType", json_string(rt->name));
    json_object_set_new(meta, "created", json_string(created != NULL
                                                         ? created : now));
    json_object_set_new(meta, "lastModified", json_string(now));
    json_object_set_new(meta, "location", json_string(loc));
    json_object_set_new(meta, "version", json_string(ver));
    json_object_set_new(d, "meta", meta);
    return d;
}

int
record_build(struct record *p, const struct scim_rtype *rt, json_t *valid,
             const char *id, const json_t *old_meta, int64_t version,
             const char *location)
{
    json_t *fdoc;

    memset(p, 0, sizeof(*p));
    if (is_type(rt, "Group")) {
        p->members = json_incref(json_object_get(valid, "members"));
        json_object_del(valid, "members");
    }
    p->doc = finalize(rt, valid, id, old_meta, version, location);
    fdoc = resource_fold(rt, p->doc);
    p->text = json_dumps(p->doc, JSON_COMPACT);
    p->ftext = fdoc != NULL ? json_dumps(fdoc, JSON_COMPACT) : NULL;
    json_decref(fdoc);
    if (p->text == NULL || p->ftext == NULL)
        return SCIM_ENOMEM;
    if (is_type(rt, "User"))
        p->name_key = fold_of(json_object_get(p->doc, "userName"));
    else if (is_type(rt, "Group"))
        p->name_key = fold_of(json_object_get(p->doc, "displayName"));
    p->display_key = fold_of(json_object_get(p->doc, "displayName"));
    collect_email_keys(p);
    return SCIM_OK;
}

void
record_change(struct store_change *c, enum store_change_kind kind,
              const struct scim_rtype *rt, const char *id,
              const struct record *p, const struct scim_ctx *ctx)
{
    const json_t *active = json_object_get(p->doc, "active");

    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->rtype = rt->name;
    c->id = id;
    c->doc = p->text;
    c->fdoc = p->ftext;
    c->pw_hash = ctx->password_hash;
    c->keep_pw = ctx->password_hash == NULL;
    c->keys.id = id;
    c->keys.external_id = json_string_value(json_object_get(p->doc,
                                                            "externalId"));
    c->keys.name_key = p->name_key;
    c->keys.display_key = p->display_key;
    c->keys.email_keys = p->email_keys;
    c->keys.active = active == NULL || json_is_true(active);
}

