/* SPDX-License-Identifier: MIT */
/*
 * Shared declarations of the scimd daemon: the per-request state that
 * flows from the libmicrohttpd glue (http.c) through authentication
 * (auth.c) and the SCIM handlers (resources.c, lists.c, discovery.c) to
 * the response and the SCIM log record (respond.c, exchange.c).
 */
#ifndef SCIMD_SERVER_SERVER_H
#define SCIMD_SERVER_SERVER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "ctx.h"
#include "store.h"

#define SCIMD_VERSION "0.1.0"
#define SCIM_BASE "/scim/v2"
#define SCIMD_MAX_BODY (1024 * 1024)

struct server_opts {
    const char *db;
    const char *listen_host;
    unsigned short port;
    unsigned threads;
    int scim_log;           /* record exchanges in the database */
    int verbose;
};

/* A tenant as the server uses it: parsed config and schema registry. */
struct tenant {
    int64_t id;
    char *name;
    int64_t config_version;
    struct scim_config cfg;
    struct scim_registry *reg;
    int refs;               /* guarded by the tenant cache lock */
    pthread_mutex_t rl_lock;    /* guards the rate-limit bucket */
    double rl_tokens;
    double rl_last;
};

struct req {
    char id[24];                /* request id, also X-Request-Id */
    int64_t start_us;
    int64_t time_ms;
    const char *method;
    char *path;                 /* below /scim/v2, e.g. "/Users/abc" */
    char *url;                  /* path and query as received */
    struct MHD_Connection *conn;
    char *body;
    size_t body_len;
    int too_large;
    char client[64];
    const char *user_agent;
    struct store *store;
    struct tenant *tenant;
    struct scim_ctx ctx;
    int ctx_ready;

    /* The answer. */
    int status;
    char *resp;                 /* body text, or NULL */
    char location[512];
    char etag[48];
    const char *allow;          /* methods for a 405's Allow header */
    int logged;                 /* its record went in with the change */
    json_t *read_summary;       /* a successful read's answer, as the
                                   SCIM log keeps it (ids, counts) */

    /* What the SCIM log says the request concerned. */
    char *res_id;
    char *user_name;
    char *external_id;
    json_t *emails;             /* array of strings */
};

/* ---- tenants.c: cache of tenants by id, reloaded on config change --- */
int tenants_get(struct store *s, int64_t id, int64_t version,
                struct tenant **out);
void tenants_put(struct tenant *t);
void tenants_shutdown(void);

/* ---- cursor.c: keyset continuation of sequential list pages -------- */
/* The seq to continue after for this page start, or 0 for none. */
int64_t cursor_find(int64_t tenant, const char *rtype, long start);
void cursor_put(int64_t tenant, const char *rtype, long start, int64_t seq);
/* Forgets a tenant's cursors (after a delete). */
void cursor_forget(int64_t tenant);

/* ---- ratelimit.c: nonzero when the request may proceed ------------- */
int ratelimit_take(struct tenant *t);

/* ---- maintain.c: background pruning of the SCIM log ----------------- */
void maintain_start(struct store *master);
void maintain_stop(void);

/* ---- auth.c ---------------------------------------------------------- */
/* Authenticates req; on failure sets a 401 answer and returns nonzero. */
int auth_request(struct req *r);

/* ---- respond.c ------------------------------------------------------- */
/* Sets the answer to a SCIM error from err (detail gets the request id).*/
void respond_error(struct req *r, const struct scim_error *err);

/* Shorthand: records the error in r->ctx.err and answers it. */
void respond_fail(struct req *r, int status, enum scim_cause cause,
                  const char *scim_type, const char *attr,
                  const char *fmt, ...) SCIM_PRINTF(6, 7);

/* Replaces each byte that is not part of valid UTF-8 (and NUL) by '?',
 * in place; the _dup form returns a scrubbed copy (NULL for NULL). */
void utf8_scrub(char *s);
char *utf8_scrub_dup(const char *s);

/* Sets the answer to status and JSON body (steals body). */
void respond_json(struct req *r, int status, json_t *body);

/* Sets the answer to status and body text (copied). */
void respond_text(struct req *r, int status, const char *text);

/* ---- exchange.c: the SCIM log record of a request -------------------- */
/* Fills rec from r; strings point into r or into *hold (caller frees
 * with exchange_release). */
void exchange_record(struct req *r, struct store_log *rec, json_t **hold);
void exchange_release(json_t *hold);

/* The request body with password values replaced, as text; free(). */
char *exchange_redact(const char *body, size_t len);

/* Nonzero when s (len bytes) mentions "password" in any case. */
int exchange_mentions_password(const char *s, size_t len);

/* Notes which user a request concerns, from a resource document. */
void exchange_subject(struct req *r, const json_t *doc);

/* Applies changes and the log record of r atomically (store_apply). */
int exchange_commit(struct req *r, const struct store_change *ch, size_t n,
                    struct scim_error *err);

/* ---- routing and handlers -------------------------------------------- */
void route_request(struct req *r);
void handle_resource(struct req *r, const struct scim_rtype *rt,
                     const char *id);
void handle_list(struct req *r, const struct scim_rtype *rt);
void handle_search(struct req *r, const struct scim_rtype *rt);
void handle_discovery(struct req *r, const char *what, const char *arg);

/* Query argument of the request, or NULL. */
const char *req_arg(struct req *r, const char *name);

/*
 * The request body as JSON (new reference). On an empty or malformed
 * body answers 400 invalidSyntax and returns NULL.
 */
json_t *req_json(struct req *r);

/* Absolute URL of a resource ("http://host/scim/v2/Users/ID"). */
void req_location(struct req *r, const char *endpoint, const char *id,
                  char *out, size_t size);

/* ---- log.c: the process log (stderr), never the SCIM log -------------- */
void log_init(int verbose);
void log_error(const char *component, const char *fmt, ...)
    SCIM_PRINTF(2, 3);
void log_warn(const char *component, const char *fmt, ...)
    SCIM_PRINTF(2, 3);
void log_info(const char *component, const char *fmt, ...)
    SCIM_PRINTF(2, 3);
void log_debug(const char *component, const char *fmt, ...)
    SCIM_PRINTF(2, 3);

/* The global options and master store; set once by main. */
extern struct server_opts server_opts;
struct store *server_store(void);

#endif /* SCIMD_SERVER_SERVER_H */
