/* SPDX-License-Identifier: MIT */
/*
 * The reference servers of the benchmark: the least work our stack
 * (libmicrohttpd, SQLite) can do for a SCIM request, so that scimd's
 * figures read as a fraction of what the machine allows.
 *   fixed  answers every request with one stored 1.2 KB User;
 *   read   answers GET .../Users/ID with a SQLite point lookup (one
 *          connection and prepared statement per MHD thread, WAL);
 *   write  stores each POST body with one autocommit INSERT at the
 *          given synchronous level, one writer at a time like SQLite;
 *   seed   loads a JSON Lines file of Users into a database for read
 *          and writes "id<TAB>userName" lines for the wrk scripts.
 * The daemon runs like scimd: a pool of 2 MHD threads, epoll when the
 * library has it, and responses queued on the second call of the access
 * handler (libmicrohttpd 0.9.75 drops keep-alive when queued on the
 * first).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USERS_PREFIX "/scim/v2/Users"
#define MAX_BODY (64 * 1024)
#define SEED_BATCH 10000

enum mode { MODE_FIXED, MODE_READ, MODE_WRITE, MODE_SEED };

struct opts {
    enum mode mode;
    unsigned port;
    unsigned threads;
    const char *db;
    const char *sync;
    const char *ids;
};

/* Per-connection request state: the body gathered so far. */
struct req {
    char *body;
    size_t len;
};

/* One SQLite connection per MHD thread for reads, listed for shutdown. */
struct tconn {
    sqlite3 *db;
    sqlite3_stmt *get;
    struct tconn *next;
};

static struct opts opt = { MODE_FIXED, 0, 2, NULL, "FULL", NULL };
static _Thread_local struct tconn *tc;
static pthread_mutex_t readers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tconn *readers;
static _Thread_local unsigned long rng;

/* The single writer connection of write mode, behind a mutex. */
static pthread_mutex_t wlock = PTHREAD_MUTEX_INITIALIZER;
static sqlite3 *wdb;
static sqlite3_stmt *wins;

static const char fixed_user[] =
    "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\","
    "\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"],"
    "\"id\":\"2819c223-7f76-453a-919d-413861904646\","
    "\"externalId\":\"00u1a2b3c4d5e6f7g8\","
    "\"userName\":\"user0000042@example.com\",\"name\":{\"formatted\":"
    "\"Grace Hopper\",\"familyName\":\"Hopper\",\"givenName\":\"Grace\","
    "\"middleName\":\"Q\"},\"displayName\":\"Grace Hopper\","
    "\"nickName\":\"Grace\",\"title\":\"Software Engineer\","
    "\"userType\":\"Employee\",\"preferredLanguage\":\"en-US\","
    "\"locale\":\"en-US\",\"timezone\":\"Europe/Lisbon\",\"active\":true,"
    "\"emails\":[{\"value\":\"user0000042@example.com\",\"type\":\"work\","
    "\"primary\":true},{\"value\":\"u0000042@home.example.org\","
    "\"type\":\"home\"}],\"phoneNumbers\":[{\"value\":\"+1-555-123-0042\","
    "\"type\":\"work\",\"primary\":true},{\"value\":\"+1-555-302-0294\","
    "\"type\":\"mobile\"}],\"addresses\":[{\"type\":\"work\","
    "\"streetAddress\":\"321 Market Street, Floor 21\",\"locality\":"
    "\"Lisbon\",\"region\":\"Central\",\"postalCode\":\"42021\","
    "\"country\":\"PT\",\"formatted\":\"321 Market Street, Lisbon\","
    "\"primary\":true}],"
    "\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{"
    "\"employeeNumber\":\"E0000042\",\"costCenter\":\"CC-2021\","
    "\"organization\":\"Example Corp\",\"division\":\"Engineering "
    "Division\",\"department\":\"Engineering\",\"manager\":{\"value\":"
    "\"00u205ad4a708b96c46\",\"displayName\":\"Edsger Johnson\"}},"
    "\"meta\":{\"resourceType\":\"User\",\"created\":"
    "\"2024-05-01T10:00:00.000Z\",\"lastModified\":"
    "\"2024-05-01T10:00:00.000Z\",\"version\":\"W/\\\"1\\\"\","
    "\"location\":\"/scim/v2/Users/2819c223-7f76-453a-919d-413861904646\"}}";

static unsigned long
mix(unsigned long x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdUL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53UL;
    x ^= x >> 33;
    return x;
}

/* Formats a UUID-shaped id from two 64-bit numbers into out[37]. */
static void
make_id(char *out, unsigned long a, unsigned long b)
{
    snprintf(out, 37, "%08lx-%04lx-4%03lx-a%03lx-%012lx",
             a >> 32, (a >> 16) & 0xffff, a & 0xfff, (b >> 48) & 0xfff,
             b & 0xffffffffffffUL);
}

static int
exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "ceiling: %s: %s\n", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Opens FILE in WAL mode with the configured synchronous level. */
static sqlite3 *
open_db(const char *file, const char *sync)
{
    sqlite3 *db = NULL;
    char sql[64];
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                SQLITE_OPEN_NOMUTEX;

    if (sqlite3_open_v2(file, &db, flags, NULL) != SQLITE_OK) {
        fprintf(stderr, "ceiling: open %s: %s\n", file, sqlite3_errmsg(db));
        goto fail;
    }
    snprintf(sql, sizeof(sql), "PRAGMA synchronous=%s", sync);
    if (exec(db, "PRAGMA journal_mode=WAL") != 0 || exec(db, sql) != 0 ||
        exec(db, "PRAGMA busy_timeout=5000") != 0)
        goto fail;
    if (exec(db, "CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY,"
                 " json TEXT NOT NULL)") != 0)
        goto fail;
    return db;

fail:
    sqlite3_close(db);
    return NULL;
}

static struct MHD_Response *
json_response(const char *body, size_t len, enum MHD_ResponseMemoryMode m)
{
    struct MHD_Response *r;

    r = MHD_create_response_from_buffer(len, (void *)body, m);
    if (r != NULL)
        MHD_add_response_header(r, "Content-Type", "application/scim+json");
    return r;
}

static enum MHD_Result
send_json(struct MHD_Connection *c, unsigned status, const char *body,
          size_t len, enum MHD_ResponseMemoryMode m)
{
    struct MHD_Response *r = json_response(body, len, m);
    enum MHD_Result ret;

    if (r == NULL)
        return MHD_NO;
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
send_status(struct MHD_Connection *c, unsigned status)
{
    static const char err[] = "{\"schemas\":[\"urn:ietf:params:scim:api:"
                              "messages:2.0:Error\"],\"status\":\"error\"}";

    return send_json(c, status, err, sizeof(err) - 1,
                     MHD_RESPMEM_PERSISTENT);
}

/*
 * Opens this thread's reader on the heap (thread-local storage dies with
 * the thread) and lists it for close_readers().
 */
static int
open_reader(void)
{
    struct tconn *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return -1;
    t->db = open_db(opt.db, opt.sync);
    if (t->db == NULL || sqlite3_prepare_v2(t->db,
            "SELECT json FROM users WHERE id = ?1", -1, &t->get,
            NULL) != SQLITE_OK) {
        sqlite3_close(t->db);
        free(t);
        return -1;
    }
    pthread_mutex_lock(&readers_lock);
    t->next = readers;
    readers = t;
    pthread_mutex_unlock(&readers_lock);
    tc = t;
    return 0;
}

/* After MHD stopped: its threads are gone, their connections are not. */
static void
close_readers(void)
{
    struct tconn *t, *next;

    for (t = readers; t != NULL; t = next) {
        next = t->next;
        sqlite3_finalize(t->get);
        sqlite3_close(t->db);
        free(t);
    }
    readers = NULL;
}

/* Point lookup of a stored User; the statement stays prepared. */
static enum MHD_Result
do_read(struct MHD_Connection *c, const char *url)
{
    const char *id;
    enum MHD_Result ret;

    if (strncmp(url, USERS_PREFIX "/", sizeof(USERS_PREFIX)) != 0)
        return send_status(c, MHD_HTTP_NOT_FOUND);
    id = url + sizeof(USERS_PREFIX);
    if (tc == NULL && open_reader() != 0)
        return send_status(c, MHD_HTTP_INTERNAL_SERVER_ERROR);

    sqlite3_bind_text(tc->get, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(tc->get) == SQLITE_ROW)
        ret = send_json(c, MHD_HTTP_OK,
                        (const char *)sqlite3_column_text(tc->get, 0),
                        (size_t)sqlite3_column_bytes(tc->get, 0),
                        MHD_RESPMEM_MUST_COPY);
    else
        ret = send_status(c, MHD_HTTP_NOT_FOUND);
    sqlite3_reset(tc->get);
    sqlite3_clear_bindings(tc->get);
    return ret;
}

/*
 * One autocommit INSERT of the posted body under a fresh random id.
 * Limitation: the body is stored unparsed; the ceiling is the disk and
 * SQLite, and JSON work belongs to what is measured against it.
 */
static enum MHD_Result
do_write(struct MHD_Connection *c, struct req *q)
{
    char id[37];
    int rc;

    if (rng == 0)
        rng = mix((unsigned long)time(NULL) ^ (unsigned long)&rng);
    rng = mix(rng + 1);
    make_id(id, rng, mix(rng ^ 0x9e3779b97f4a7c15UL));

    pthread_mutex_lock(&wlock);
    sqlite3_bind_text(wins, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(wins, 2, q->body ? q->body : "{}",
                      q->body ? (int)q->len : 2, SQLITE_STATIC);
    rc = sqlite3_step(wins);
    sqlite3_reset(wins);
    pthread_mutex_unlock(&wlock);

    if (rc != SQLITE_DONE)
        return send_status(c, MHD_HTTP_INTERNAL_SERVER_ERROR);
    if (q->body == NULL)
        return send_status(c, MHD_HTTP_BAD_REQUEST);
    return send_json(c, MHD_HTTP_CREATED, q->body, q->len,
                     MHD_RESPMEM_MUST_COPY);
}

static int
append(struct req *q, const char *data, size_t n)
{
    char *p;

    if (q->len + n > MAX_BODY)
        return -1;
    p = realloc(q->body, q->len + n + 1);
    if (p == NULL)
        return -1;
    memcpy(p + q->len, data, n);
    q->len += n;
    p[q->len] = '\0';
    q->body = p;
    return 0;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
       const char *method, const char *version, const char *upload,
       size_t *upload_size, void **con_cls)
{
    struct req *q = *con_cls;

    (void)cls;
    (void)version;
    (void)method;

    /* First call: headers only. Answer on a later call (see above). */
    if (q == NULL) {
        q = calloc(1, sizeof(*q));
        *con_cls = q;
        return q != NULL ? MHD_YES : MHD_NO;
    }
    if (*upload_size != 0) {
        if (append(q, upload, *upload_size) != 0)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }

    switch (opt.mode) {
    case MODE_FIXED:
        return send_json(c, MHD_HTTP_OK, fixed_user,
                         sizeof(fixed_user) - 1, MHD_RESPMEM_PERSISTENT);
    case MODE_READ:
        return do_read(c, url);
    default:
        return do_write(c, q);
    }
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
          enum MHD_RequestTerminationCode toe)
{
    struct req *q = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (q != NULL) {
        free(q->body);
        free(q);
    }
    *con_cls = NULL;
}

/* Copies the stored User with "id" and "meta" added at its end. */
static int
seed_line(sqlite3_stmt *ins, FILE *ids, char *line, size_t n,
          unsigned long i)
{
    char id[37], *json, *un, *end;
    int len, rc;

    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (n < 2 || line[n - 1] != '}')
        return 0;
    make_id(id, mix(i + 1), mix(~i));
    line[n - 1] = '\0';
    len = asprintf(&json, "%s,\"id\":\"%s\",\"meta\":{\"resourceType\":"
                   "\"User\",\"created\":\"2024-05-01T10:00:00.000Z\","
                   "\"lastModified\":\"2024-05-01T10:00:00.000Z\","
                   "\"location\":\"" USERS_PREFIX "/%s\"}}", line, id, id);
    if (len < 0)
        return -1;

    sqlite3_bind_text(ins, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, json, len, SQLITE_STATIC);
    rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    free(json);

    un = strstr(line, "\"userName\":\"");
    end = un ? strchr(un + 12, '"') : NULL;
    if (end != NULL)
        fprintf(ids, "%s\t%.*s\n", id, (int)(end - un - 12), un + 12);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int
seed(void)
{
    sqlite3 *db = open_db(opt.db, "OFF");
    sqlite3_stmt *ins = NULL;
    FILE *ids = fopen(opt.ids ? opt.ids : "/dev/null", "w");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long i = 0;
    int rc = -1;

    if (db == NULL || ids == NULL || sqlite3_prepare_v2(db,
            "INSERT INTO users (id, json) VALUES (?1, ?2)", -1, &ins,
            NULL) != SQLITE_OK)
        goto out;
    exec(db, "BEGIN");
    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (seed_line(ins, ids, line, (size_t)n, i++) != 0)
            goto out;
        if (i % SEED_BATCH == 0 && (exec(db, "COMMIT") || exec(db, "BEGIN")))
            goto out;
    }
    rc = exec(db, "COMMIT");

out:
    if (rc != 0 && db != NULL)
        fprintf(stderr, "ceiling: seed: %s\n", sqlite3_errmsg(db));
    free(line);
    if (ids != NULL)
        fclose(ids);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return rc == 0 ? 0 : 1;
}

static int
parse_args(int argc, char **argv)
{
    static const char *const modes[] = { "fixed", "read", "write", "seed" };
    int i, m;

    if (argc < 2)
        return -1;
    for (m = 0; m < 4 && strcmp(argv[1], modes[m]) != 0; m++)
        ;
    if (m == 4)
        return -1;
    opt.mode = (enum mode)m;
    for (i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            opt.port = (unsigned)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--db") == 0)
            opt.db = argv[i + 1];
        else if (strcmp(argv[i], "--sync") == 0)
            opt.sync = argv[i + 1];
        else if (strcmp(argv[i], "--ids") == 0)
            opt.ids = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0)
            opt.threads = (unsigned)atoi(argv[i + 1]);
        else
            return -1;
    }
    if (i != argc || (opt.mode != MODE_FIXED && opt.db == NULL))
        return -1;
    return opt.mode == MODE_SEED || opt.port != 0 ? 0 : -1;
}

static int
prepare_writer(void)
{
    wdb = open_db(opt.db, opt.sync);
    if (wdb == NULL || sqlite3_prepare_v2(wdb,
            "INSERT INTO users (id, json) VALUES (?1, ?2)", -1, &wins,
            NULL) != SQLITE_OK)
        return -1;
    return 0;
}

static struct MHD_Daemon *
start(void)
{
    struct sockaddr_in sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;

    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
        flags |= MHD_USE_EPOLL;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)opt.port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    return MHD_start_daemon(flags, (unsigned short)opt.port, NULL, NULL,
                            handle, NULL,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_THREAD_POOL_SIZE, opt.threads,
                            MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                            MHD_OPTION_CONNECTION_LIMIT, 1000u,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                            MHD_OPTION_END);
}

int
main(int argc, char **argv)
{
    struct MHD_Daemon *d;
    sigset_t set;
    int sig;

    if (parse_args(argc, argv) != 0) {
        fprintf(stderr, "usage: ceiling fixed|read|write --port N "
                "[--db FILE] [--sync LEVEL] [--threads N]\n"
                "       ceiling seed --db FILE [--ids OUT] < users.jsonl\n");
        return 2;
    }
    if (opt.mode == MODE_SEED)
        return seed();
    if (opt.mode == MODE_WRITE && prepare_writer() != 0)
        return 1;

    /* Block the stop signals before MHD starts its threads. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    d = start();
    if (d == NULL) {
        fprintf(stderr, "ceiling: cannot listen on port %u\n", opt.port);
        return 1;
    }
    sigwait(&set, &sig);

    MHD_stop_daemon(d);
    close_readers();
    sqlite3_finalize(wins);
    sqlite3_close(wdb);
    return 0;
}
