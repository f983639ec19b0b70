/* SPDX-License-Identifier: MIT */
/*
 * The SCIM log record of an exchange: who asked what, what scimd
 * answered, why it failed and which identity-provider dialect rules
 * fired, plus the user it concerned so support can find it by email.
 * Passwords are redacted here, before anything reaches the database;
 * the Authorization header is never part of the record.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "server.h"

#define LOG_BODY_MAX (64 * 1024)
#define REDACTED "[redacted]"

static int
is_secret_key(const char *k)
{
    size_t n = strlen(k);

    return n >= 8 && strcasecmp(k + n - 8, "password") == 0;
}

int
exchange_mentions_password(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i + 8 <= len; i++)
        if (strncasecmp(s + i, "password", 8) == 0)
            return 1;
    return 0;
}

static void
redact(json_t *v)
{
    const char *k;
    json_t *e;
    size_t i;
    int secret_path;

    if (json_is_array(v)) {
        json_array_foreach(v, i, e)
            redact(e);
        return;
    }
    if (!json_is_object(v))
        return;
    /* A PATCH operation names the secret in its path, not as a key. */
    k = json_string_value(json_object_get(v, "path"));
    secret_path = k != NULL && is_secret_key(k);
    json_object_foreach(v, k, e) {
        if (is_secret_key(k) ||
            (secret_path && strcasecmp(k, "value") == 0) ||
            (strcasecmp(k, "filter") == 0 && json_is_string(e) &&
             exchange_mentions_password(json_string_value(e),
                               json_string_length(e))))
            json_object_set_new(v, k, json_string(REDACTED));
        else
            redact(e);
    }
}

char *
exchange_redact(const char *body, size_t len)
{
    json_t *j;
    char *out;

    if (body == NULL || len == 0)
        return NULL;
    j = json_loadb(body, len, JSON_DECODE_ANY, NULL);
    if (j == NULL)
        return exchange_mentions_password(body, len)
                   ? strdup("[unparsable body withheld: it mentions a "
                            "password]")
                   : strndup(body, len > LOG_BODY_MAX ? LOG_BODY_MAX : len);
    redact(j);
    out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    return out;
}

/*
 * The path and query as the log keeps them. A query that mentions a
 * password (a filter on it, RFC 7643 allows equality) is withheld: its
 * literal would be the password in clear.
 */
static char *
logged_url(const char *url)
{
    const char *q = url != NULL ? strchr(url, '?') : NULL;
    char *out;
    size_t n;

    if (q == NULL || !exchange_mentions_password(q, strlen(q)))
        return utf8_scrub_dup(url);
    n = (size_t)(q - url) + 48;
    out = malloc(n);
    if (out != NULL)
        snprintf(out, n, "%.*s?[query withheld: it mentions a password]",
                 (int)(q - url), url);
    return out;
}

static void
set_str(char **slot, const char *v)
{
    if (*slot == NULL && v != NULL && *v != '\0')
        *slot = strdup(v);
}

void
exchange_subject(struct req *r, const json_t *doc)
{
    const json_t *emails, *e;
    size_t i;

    if (!json_is_object(doc))
        return;
    set_str(&r->res_id, json_string_value(json_object_get(doc, "id")));
    set_str(&r->user_name,
            json_string_value(json_object_get(doc, "userName")));
    if (r->user_name == NULL)
        set_str(&r->user_name,
                json_string_value(json_object_get(doc, "displayName")));
    set_str(&r->external_id,
            json_string_value(json_object_get(doc, "externalId")));
    emails = json_object_get(doc, "emails");
    if (r->emails != NULL || !json_is_array(emails))
        return;
    r->emails = json_array();
    json_array_foreach(emails, i, e) {
        const char *v = json_string_value(json_object_get(e, "value"));

        if (v != NULL)
            json_array_append_new(r->emails, json_string(v));
    }
}

static json_t *
fired_names(unsigned fired)
{
    json_t *a = json_array();
    unsigned bit;

    for (bit = 1; bit != 0 && bit <= SCIM_DIALECT_ALL; bit <<= 1)
        if ((fired & bit) != 0 && config_dialect_name(bit) != NULL)
            json_array_append_new(a, json_string(config_dialect_name(bit)));
    return a;
}

static const char *
keep(json_t *hold, char *text)
{
    if (text == NULL)
        return NULL;
    json_array_append_new(hold, json_string_nocheck(text));
    free(text);
    return json_string_value(json_array_get(hold, json_array_size(hold) - 1));
}

static char *
cap(const char *s)
{
    size_t n;

    if (s == NULL)
        return NULL;
    n = strlen(s);
    if (n <= LOG_BODY_MAX)
        return strdup(s);
    return strndup(s, LOG_BODY_MAX);
}

/* Time since the request arrived; for a write, up to its commit. */
static int64_t
elapsed_us(const struct req *r)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - r->start_us;
}

void
exchange_record(struct req *r, struct store_log *rec, json_t **hold)
{
    const struct scim_error *e = &r->ctx.err;
    json_t *h = json_array(), *names;

    memset(rec, 0, sizeof(*rec));
    *hold = h;
    rec->request_id = r->id;
    rec->time_ms = r->time_ms;
    rec->tenant_id = r->tenant != NULL ? r->tenant->id : 0;
    rec->tenant = r->tenant != NULL ? r->tenant->name : NULL;
    rec->client = r->client;
    rec->user_agent = keep(h, utf8_scrub_dup(r->user_agent));
    rec->method = r->method;
    rec->path = keep(h, logged_url(r->url));
    rec->status = r->status;
    rec->latency_us = elapsed_us(r);
    rec->resource_id = r->res_id;
    rec->user_name = r->user_name;
    rec->external_id = r->external_id;
    rec->emails = keep(h, r->emails != NULL
                              ? json_dumps(r->emails, JSON_COMPACT) : NULL);
    rec->request_body = keep(h, exchange_redact(r->body, r->body_len));
    /* A successful read is kept as what it returned (ids and counts),
     * not the documents themselves: those are in the store, and reads
     * outnumber writes many times over. Writes and failures keep their
     * whole answer. */
    if (r->read_summary != NULL && r->status < 400)
        rec->response_body = keep(h, json_dumps(r->read_summary,
                                                JSON_COMPACT));
    else
        rec->response_body = keep(h, cap(r->resp));
    if (r->status >= 400 && scim_error_isset(e)) {
        rec->cause = scim_cause_name(e->cause);
        rec->attribute = e->attr[0] != '\0' ? e->attr : NULL;
        rec->detail = e->detail;
    }
    if (r->ctx.fired != 0) {
        names = fired_names(r->ctx.fired);
        rec->dialects = keep(h, json_dumps(names, JSON_COMPACT));
        json_decref(names);
    }
    if (r->ctx.ignored != NULL && json_array_size(r->ctx.ignored) > 0)
        rec->ignored = keep(h, json_dumps(r->ctx.ignored, JSON_COMPACT));
}

void
exchange_release(json_t *hold)
{
    json_decref(hold);
}

int
exchange_commit(struct req *r, const struct store_change *ch, size_t n,
                struct scim_error *err)
{
    struct store_log rec;
    json_t *hold = NULL;
    int rc;

    if (!server_opts.scim_log)
        return store_apply(r->store, r->tenant->id, ch, n, NULL, err);
    exchange_record(r, &rec, &hold);
    rc = store_apply(r->store, r->tenant->id, ch, n, &rec, err);
    exchange_release(hold);
    if (rc == SCIM_OK)
        r->logged = 1;
    return rc;
}
