/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd glue: collects the request, hands it to the router, and
 * sends the answer with the SCIM content type and X-Request-Id. Each
 * pool thread keeps its own store handle. The response is queued on a
 * later call of the access handler than the first, because
 * libmicrohttpd 0.9.75 closes a keep-alive connection when a response
 * is queued on the first call.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "http.h"
#include "server.h"

static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store **handles;
static size_t nhandles;
static __thread struct store *tls_store;

static struct store *
thread_store(void)
{
    struct scim_error err = { 0 };
    struct store **nh;

    if (tls_store != NULL)
        return tls_store;
    if (store_clone(server_store(), &tls_store, &err) != SCIM_OK) {
        log_error("store", "cannot open a handle: %s", err.detail);
        return NULL;
    }
    pthread_mutex_lock(&handles_lock);
    nh = realloc(handles, (nhandles + 1) * sizeof(*handles));
    if (nh != NULL) {
        handles = nh;
        handles[nhandles++] = tls_store;
    }
    pthread_mutex_unlock(&handles_lock);
    return tls_store;
}

void
http_close_handles(void)
{
    size_t i;

    for (i = 0; i < nhandles; i++)
        store_close(handles[i]);
    free(handles);
    handles = NULL;
    nhandles = 0;
}

static int64_t
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
client_address(struct req *r)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
        r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

    if (sa != NULL && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
                  r->client, sizeof(r->client));
    else if (sa != NULL && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                  r->client, sizeof(r->client));
}

struct url_buf {
    char *s;
    size_t len;
    size_t cap;
};

static void
url_add(struct url_buf *b, const char *t)
{
    size_t n = strlen(t);
    char *ns;

    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        ns = realloc(b->s, b->cap);
        if (ns == NULL)
            return;
        b->s = ns;
    }
    memcpy(b->s + b->len, t, n + 1);
    b->len += n;
}

static enum MHD_Result
add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
        const char *value)
{
    struct url_buf *b = cls;

    (void)kind;
    url_add(b, b->len > 0 && strchr(b->s, '?') != NULL ? "&" : "?");
    url_add(b, key);
    if (value != NULL) {
        url_add(b, "=");
        url_add(b, value);
    }
    return MHD_YES;
}

static struct req *
req_new(struct MHD_Connection *conn, const char *method, const char *url)
{
    struct req *r = calloc(1, sizeof(*r));
    struct url_buf b = { 0 };
    unsigned char raw[8];

    if (r == NULL)
        return NULL;
    r->conn = conn;
    r->start_us = now_us();
    r->time_ms = r->start_us / 1000;
    r->method = method;
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(r->id, sizeof(r->id), raw, sizeof(raw));
    url_add(&b, url);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &b);
    r->url = b.s;
    r->path = strdup(url);
    r->user_agent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                "User-Agent");
    client_address(r);
    return r;
}

static void
req_free(struct req *r)
{
    if (r == NULL)
        return;
    if (r->ctx_ready)
        scim_ctx_clear(&r->ctx);
    if (r->tenant != NULL)
        tenants_put(r->tenant);
    if (r->body != NULL)
        sodium_memzero(r->body, r->body_len);
    free(r->body);
    free(r->path);
    free(r->url);
    free(r->resp);
    free(r->res_id);
    free(r->user_name);
    free(r->external_id);
    json_decref(r->emails);
    json_decref(r->read_summary);
    free(r);
}

static int
append_body(struct req *r, const char *data, size_t n)
{
    char *nb;

    if (r->too_large || r->body_len + n > SCIMD_MAX_BODY) {
        r->too_large = 1;
        return 0;
    }
    nb = realloc(r->body, r->body_len + n + 1);
    if (nb == NULL)
        return -1;
    r->body = nb;
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return 0;
}

static void
write_log(struct req *r)
{
    struct store_log rec;
    json_t *hold = NULL;

    if (!server_opts.scim_log || r->logged || r->store == NULL)
        return;
    /* A request refused before its body was read (401, 413, 429) still
     * names the user it was about, so support can find it by email. */
    if (r->user_name == NULL && r->body != NULL && !r->too_large) {
        json_t *body = json_loadb(r->body, r->body_len, 0, NULL);

        exchange_subject(r, body);
        json_decref(body);
    }
    exchange_record(r, &rec, &hold);
    if (store_log_append(r->store, &rec) != SCIM_OK)
        log_error("scimlog", "req=%s cannot queue the log record", r->id);
    exchange_release(hold);
}

static enum MHD_Result
send_answer(struct req *r)
{
    struct MHD_Response *resp;
    const char *body = r->resp != NULL ? r->resp : "";
    enum MHD_Result ret;

    resp = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                           MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    if (r->resp != NULL)
        MHD_add_response_header(resp, "Content-Type",
                                "application/scim+json; charset=utf-8");
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    if (r->location[0] != '\0')
        MHD_add_response_header(resp, "Location", r->location);
    if (r->etag[0] != '\0')
        MHD_add_response_header(resp, "ETag", r->etag);
    if (r->status == 405 && r->allow != NULL)
        MHD_add_response_header(resp, "Allow", r->allow);
    if (r->status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate",
                                "Bearer realm=\"scimd\"");
    if (r->status == 429)
        MHD_add_response_header(resp, "Retry-After", "1");
    ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void
log_access(struct req *r)
{
    log_debug("http", "req=%s tenant=%s method=%s path=%s status=%d ms=%.1f",
              r->id, r->tenant != NULL ? r->tenant->name : "-", r->method,
              r->path, r->status, (double)(now_us() - r->start_us) / 1000.0);
}

enum MHD_Result
http_access(void *cls, struct MHD_Connection *conn, const char *url,
            const char *method, const char *version,
            const char *upload_data, size_t *upload_size, void **con_cls)
{
    struct req *r = *con_cls;
    enum MHD_Result ret;

    (void)cls;
    (void)version;
    if (r == NULL) {
        r = req_new(conn, method, url);
        *con_cls = r;
        return r != NULL ? MHD_YES : MHD_NO;
    }
    if (*upload_size > 0) {
        if (append_body(r, upload_data, *upload_size) != 0)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    r->store = thread_store();
    route_request(r);
    ret = send_answer(r);
    write_log(r);
    log_access(r);
    return ret;
}

void
http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
               enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    req_free(*con_cls);
    *con_cls = NULL;
}
