/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL store against a real server. SCIMD_TEST_PG holds a
 * libpq conninfo or URL of a role that may create databases; the suite
 * creates a fresh database, runs every store operation on it (each test
 * in its own tenant), and drops it. Without SCIMD_TEST_PG every test is
 * skipped. Two-connection tests check what several scimd processes on
 * one database rely on: one winner per userName, no lost update.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "filter.h"
#include "schema.h"
#include "store_impl.h"

static const char *admin_info;     /* SCIMD_TEST_PG */
static char dbname[64];
static char *db_url;               /* postgresql:// URL of dbname */

/* ---- Database set-up ------------------------------------------------- */

static void
url_add(char *url, size_t n, const char *key, const char *val)
{
    size_t len = strlen(url);
    const char *hex = "0123456789ABCDEF";

    len += (size_t)snprintf(url + len, n - len, "%s%s=",
                            url[len - 1] == '?' ? "" : "&", key);
    for (; *val != '\0' && len + 4 < n; val++) {
        unsigned char c = (unsigned char)*val;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("-._~", c) != NULL) {
            url[len++] = (char)c;
        } else {
            url[len++] = '%';
            url[len++] = hex[c >> 4];
            url[len++] = hex[c & 15];
        }
    }
    url[len] = '\0';
}

/* The admin conninfo re-aimed at database db, as a postgresql:// URL. */
static char *
url_for(const char *db)
{
    PQconninfoOption *opts = PQconninfoParse(admin_info, NULL), *o;
    char *url = malloc(4096);

    if (opts == NULL || url == NULL) {
        PQconninfoFree(opts);
        free(url);
        return NULL;
    }
    snprintf(url, 4096, "postgresql://?");
    for (o = opts; o->keyword != NULL; o++)
        if (o->val != NULL && *o->val != '\0' &&
            strcmp(o->keyword, "dbname") != 0)
            url_add(url, 4096, o->keyword, o->val);
    url_add(url, 4096, "dbname", db);
    PQconninfoFree(opts);
    return url;
}

static void
quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Runs sql on the server of conninfo; 0 on success. */
static int
exec_on(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    PGresult *r;
    int ok;

    PQsetNoticeProcessor(c, quiet, NULL);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "test_store_pg: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    r = PQexec(c, sql);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
         PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "test_store_pg: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

static int
admin_exec(const char *sql)
{
    return exec_on(admin_info, sql);
}

static int
create_db(const char *name)
{
    char sql[128];

    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    return admin_exec(sql);
}

/* Ends every session on db (ours are closed by now, but a test that
 * failed may have left one), then drops it. */
static void
drop_db(const char *name)
{
    char sql[256];

    snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(pid) FROM"
             " pg_stat_activity WHERE datname = '%s'", name);
    admin_exec(sql);
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
    admin_exec(sql);
}

/* Breaks every connection to the test database, as a server restart
 * or a network failure would. */
static void
kill_sessions(void)
{
    PGconn *c = PQconnectdb(admin_info);
    char sql[256];
    PGresult *r;

    snprintf(sql, sizeof(sql), "SELECT count(pg_terminate_backend(pid))"
             " FROM pg_stat_activity WHERE datname = '%s'"
             " AND pid <> pg_backend_pid()", dbname);
    r = PQexec(c, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "1");
    PQclear(r);
    PQfinish(c);
    usleep(50000);
}

/* Runs sql on the test database and returns the first value (static
 * buffer), or NULL. */
static const char *
db_value(const char *sql)
{
    static char val[256];
    PGconn *c = PQconnectdb(db_url);
    PGresult *r = PQexec(c, sql);
    const char *ret = NULL;

    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 &&
        !PQgetisnull(r, 0, 0)) {
        snprintf(val, sizeof(val), "%s", PQgetvalue(r, 0, 0));
        ret = val;
    }
    PQclear(r);
    PQfinish(c);
    return ret;
}

static int
group_setup(void **state)
{
    (void)state;
    admin_info = getenv("SCIMD_TEST_PG");
    if (admin_info == NULL || *admin_info == '\0') {
        fprintf(stderr, "test_store_pg: SCIMD_TEST_PG is not set; "
                "skipping the PostgreSQL store tests\n");
        admin_info = NULL;
        return 0;
    }
    snprintf(dbname, sizeof(dbname), "scimd_test_%ld", (long)getpid());
    drop_db(dbname);
    if (create_db(dbname) != 0)
        return -1;
    db_url = url_for(dbname);
    return db_url != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
    (void)state;
    if (admin_info != NULL)
        drop_db(dbname);
    free(db_url);
    return 0;
}

/* ---- Helpers ---------------------------------------------------------- */

static struct store *
open_store(void)
{
    struct scim_error err = { 0 };
    struct store *s = NULL;

    if (admin_info == NULL)
        skip();
    assert_int_equal(store_open(db_url, &s, &err), SCIM_OK);
    assert_string_equal(store_backend(s), "postgresql");
    return s;
}

static int64_t
new_tenant(struct store *s, const char *name)
{
    struct scim_error err = { 0 };
    struct store_tenant t;
    int64_t id;

    assert_int_equal(store_tenant_add(s, name, "{}", &err), SCIM_OK);
    assert_int_equal(store_tenant_get(s, name, 0, &t), SCIM_OK);
    id = t.id;
    store_tenant_free(&t);
    return id;
}

/* A user (or group) change with its document and keys. */
struct res {
    char id[64];
    char name[64];
    char key[64];
    char doc[640];
    const char *emails[3];
    char email[96];
    struct store_change ch;
};

static void
lower(char *dst, size_t n, const char *src)
{
    size_t i;

    for (i = 0; i + 1 < n && src[i] != '\0'; i++)
        dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] + 32
                                                        : src[i]);
    dst[i] = '\0';
}

static void
make_user(struct res *u, const char *id, const char *name, int active)
{
    memset(u, 0, sizeof(*u));
    snprintf(u->id, sizeof(u->id), "%s", id);
    snprintf(u->name, sizeof(u->name), "%s", name);
    lower(u->key, sizeof(u->key), name);
    snprintf(u->email, sizeof(u->email), "%s@example.com", u->key);
    snprintf(u->doc, sizeof(u->doc), "{\"id\": \"%s\",  \"userName\": "
             "\"%s\", \"active\": %s, \"displayName\": \"D %s\"}", id, name,
             active ? "true" : "false", name);
    u->emails[0] = u->email;
    u->ch.kind = STORE_INSERT;
    u->ch.rtype = "User";
    u->ch.id = u->id;
    u->ch.doc = u->doc;
    u->ch.fdoc = u->doc;
    u->ch.keys.id = u->id;
    u->ch.keys.name_key = u->key;
    u->ch.keys.display_key = u->key;
    u->ch.keys.email_keys = u->emails;
    u->ch.keys.active = active;
}

static void
make_group(struct res *g, const char *id, const char *name)
{
    memset(g, 0, sizeof(*g));
    snprintf(g->id, sizeof(g->id), "%s", id);
    lower(g->key, sizeof(g->key), name);
    snprintf(g->doc, sizeof(g->doc), "{\"id\":\"%s\",\"displayName\":"
             "\"%s\"}", id, name);
    g->ch.kind = STORE_INSERT;
    g->ch.rtype = "Group";
    g->ch.id = g->id;
    g->ch.doc = g->doc;
    g->ch.fdoc = g->doc;
    g->ch.keys.id = g->id;
    g->ch.keys.display_key = g->key;
    g->ch.keys.active = 1;
}

static int
apply1(struct store *s, int64_t t, const struct store_change *ch,
       struct scim_error *err)
{
    struct scim_error local = { 0 };

    return store_apply(s, t, ch, 1, NULL, err != NULL ? err : &local);
}

static int
members_change(struct store *s, int64_t t, enum store_change_kind kind,
               const char *group, const char *const *ids, size_t n,
               struct scim_error *err)
{
    struct store_change ch = { .kind = kind, .rtype = "Group", .id = group,
                               .members = ids, .nmembers = n };

    return apply1(s, t, &ch, err);
}

/* ---- Opening and migrations ------------------------------------------- */

static void
test_open_migrate(void **state)
{
    struct store *s = open_store(), *s2 = NULL, *c = NULL;
    struct scim_error err = { 0 };

    (void)state;
    assert_string_equal(db_value("SELECT value FROM meta"
                                 " WHERE key = 'schema_version'"), "2");
    assert_int_equal(store_open(db_url, &s2, &err), SCIM_OK);
    assert_int_equal(store_clone(s, &c, &err), SCIM_OK);
    assert_string_equal(store_backend(c), "postgresql");
    store_close(c);
    store_close(s2);
    store_close(s);
}

static void
test_open_bad(void **state)
{
    struct scim_error err = { 0 };
    struct store *s = NULL;

    (void)state;
    if (admin_info == NULL)
        skip();
    assert_int_equal(store_open("postgresql://?host=/nonexistent&port=1",
                                &s, &err), SCIM_ESTORE);
    assert_null(s);
    assert_int_equal(err.status, 500);
    assert_non_null(strstr(err.detail, "cannot connect to PostgreSQL"));
}

struct opener {
    const char *url;
    int rc;
};

static void *
open_thread(void *arg)
{
    struct opener *o = arg;
    struct scim_error err = { 0 };
    struct store *s = NULL;

    o->rc = store_open(o->url, &s, &err);
    store_close(s);
    return NULL;
}

static void
test_migrate_concurrent(void **state)
{
    struct opener o[6];
    pthread_t th[6];
    char name[80];
    char *url;
    int i;

    (void)state;
    if (admin_info == NULL)
        skip();
    snprintf(name, sizeof(name), "%s_mig", dbname);
    drop_db(name);
    assert_int_equal(create_db(name), 0);
    url = url_for(name);
    for (i = 0; i < 6; i++) {
        o[i].url = url;
        pthread_create(&th[i], NULL, open_thread, &o[i]);
    }
    for (i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(o[i].rc, SCIM_OK);
    }
    free(url);
    drop_db(name);
}

static void
test_migrate_newer(void **state)
{
    struct scim_error err = { 0 };
    struct store *s = NULL;
    char name[80];
    char *url;

    (void)state;
    if (admin_info == NULL)
        skip();
    snprintf(name, sizeof(name), "%s_new", dbname);
    drop_db(name);
    assert_int_equal(create_db(name), 0);
    url = url_for(name);
    assert_int_equal(store_open(url, &s, &err), SCIM_OK);
    store_close(s);
    s = NULL;

    /* A later scimd migrated this database: refuse, change nothing. */
    assert_int_equal(exec_on(url, "UPDATE meta SET value = '99'"
                             " WHERE key = 'schema_version'"), 0);
    assert_int_equal(store_open(url, &s, &err), SCIM_ESTORE);
    assert_null(s);
    assert_string_equal(err.detail, "the database schema is version 99, "
                        "newer than this scimd knows (2); upgrade scimd");
    free(url);
    drop_db(name);
}

/* ---- Tenants and tokens ----------------------------------------------- */

static void
test_tenants(void **state)
{
    struct store *s = open_store();
    struct scim_error err = { 0 };
    struct store_tenant t, *list = NULL;
    size_t n = 0, i, seen = 0;
    int64_t id = new_tenant(s, "acme");

    (void)state;
    assert_int_equal(store_tenant_add(s, "acme", "{}", &err),
                     SCIM_ECONFLICT);
    assert_int_equal(err.status, 409);
    assert_string_equal(err.detail, "tenant 'acme' already exists");

    assert_int_equal(store_tenant_get(s, NULL, id, &t), SCIM_OK);
    assert_string_equal(t.name, "acme");
    assert_string_equal(t.config, "{}");
    assert_int_equal(t.config_version, 1);
    store_tenant_free(&t);

    assert_int_equal(store_tenant_set_config(s, "acme", "{\"a\":1}"),
                     SCIM_OK);
    assert_int_equal(store_tenant_get(s, "acme", 0, &t), SCIM_OK);
    assert_string_equal(t.config, "{\"a\":1}");
    assert_int_equal(t.config_version, 2);
    store_tenant_free(&t);
    assert_int_equal(store_tenant_set_config(s, "nobody", "{}"),
                     SCIM_ENOTFOUND);
    assert_int_equal(store_tenant_get(s, "nobody", 0, &t), SCIM_ENOTFOUND);

    assert_int_equal(store_tenant_list(s, &list, &n), SCIM_OK);
    for (i = 0; i < n; i++) {
        seen += strcmp(list[i].name, "acme") == 0;
        store_tenant_free(&list[i]);
    }
    free(list);
    assert_int_equal(seen, 1);
    store_close(s);
}

static void
test_tokens(void **state)
{
    struct store *s = open_store();
    int64_t id = new_tenant(s, "tok"), got = 0, ver = 0;

    (void)state;
    assert_int_equal(store_token_add(s, id, "hash-1"), SCIM_OK);
    assert_int_equal(store_token_lookup(s, "hash-1", &got, &ver), SCIM_OK);
    assert_int_equal(got, id);
    assert_int_equal(ver, 1);
    assert_int_equal(store_tenant_set_config(s, "tok", "{}"), SCIM_OK);
    assert_int_equal(store_token_lookup(s, "hash-1", &got, &ver), SCIM_OK);
    assert_int_equal(ver, 2);
    assert_int_equal(store_token_lookup(s, "hash-2", &got, &ver),
                     SCIM_ENOTFOUND);
    store_close(s);
}

/* ---- Resources -------------------------------------------------------- */

static void
test_crud(void **state)
{
    struct store *s = open_store();
    int64_t t = new_tenant(s, "crud");
    struct store_res r;
    struct res u;

    (void)state;
    make_user(&u, "u-1", "Alice", 1);
    u.ch.pw_hash = "$argon2id$x";
    assert_int_equal(apply1(s, t, &u.ch, NULL), SCIM_OK);
    assert_int_equal(store_get(s, t, "User", "u-1", &r), SCIM_OK);
    assert_string_equal(r.doc, u.doc);      /* byte for byte */
    assert_string_equal(r.id, "u-1");
    assert_string_equal(r.rtype, "User");
    assert_int_equal(r.version, 1);
    assert_int_equal(r.active, 1);
    assert_true(r.seq > 0);
    store_res_free(&r);
    assert_int_equal(store_get(s, t, "Group", "u-1", &r), SCIM_ENOTFOUND);
    assert_int_equal(store_get(s, t + 1000, "User", "u-1", &r),
                     SCIM_ENOTFOUND);

    /* Update with the current version; the password hash is kept. */
    make_user(&u, "u-1", "Alice", 0);
    u.ch.kind = STORE_UPDATE;
    u.ch.version = 1;
    u.ch.keep_pw = 1;
    assert_int_equal(apply1(s, t, &u.ch, NULL), SCIM_OK);
    assert_int_equal(store_get(s, t, "User", "u-1", &r), SCIM_OK);
    assert_int_equal(r.version, 2);
    assert_int_equal(r.active, 0);
    assert_string_equal(r.doc, u.doc);
    store_res_free(&r);
    assert_string_equal(db_value("SELECT pw_hash FROM resources"
                                 " WHERE id = 'u-1'"), "$argon2id$x");

    /* Stale version, then a missing resource. */
    assert_int_equal(apply1(s, t, &u.ch, NULL), SCIM_ERETRY);
    u.ch.id = "u-none";
    assert_int_equal(apply1(s, t, &u.ch, NULL), SCIM_ENOTFOUND);

    /* Update without keep_pw replaces the hash (here: clears it). */
    u.ch.id = "u-1";
    u.ch.version = 2;
    u.ch.keep_pw = 0;
    assert_int_equal(apply1(s, t, &u.ch, NULL), SCIM_OK);
    assert_null(db_value("SELECT pw_hash FROM resources WHERE id = 'u-1'"));

    u.ch.kind = STORE_DELETE;
    assert_int_equal(apply1(s, t, &u.ch, NULL), SCIM_OK);
    assert_int_equal(store_get(s, t, "User", "u-1", &r), SCIM_ENOTFOUND);
    assert_int_equal(apply1(s, t, &u.ch, NULL), SCIM_ENOTFOUND);
    store_close(s);
}

static void
test_emails(void **state)
{
    struct store *s = open_store();
    int64_t t = new_tenant(s, "mails");
    char sql[160];
    struct res u;

    (void)state;
    make_user(&u, "e-1", "Erin", 1);
    assert_int_equal(apply1(s, t, &u.ch, NULL), SCIM_OK);
    snprintf(sql, sizeof(sql), "SELECT string_agg(value_key, ',') FROM"
             " emails WHERE tenant_id = %lld", (long long)t);
    assert_string_equal(db_value(sql), "erin@example.com");

    /* An update replaces the set. */
    u.emails[0] = "a@x.org";
    u.emails[1] = "b@x.org";
    u.ch.kind = STORE_UPDATE;
    u.ch.version = 1;
    assert_int_equal(apply1(s, t, &u.ch, NULL), SCIM_OK);
    snprintf(sql, sizeof(sql), "SELECT string_agg(value_key, ',' ORDER BY"
             " value_key) FROM emails WHERE tenant_id = %lld", (long long)t);
    assert_string_equal(db_value(sql), "a@x.org,b@x.org");

    u.ch.kind = STORE_DELETE;
    assert_int_equal(apply1(s, t, &u.ch, NULL), SCIM_OK);
    assert_null(db_value(sql));
    store_close(s);
}

static void
test_conflicts(void **state)
{
    struct store *s = open_store();
    int64_t t = new_tenant(s, "conflicts");
    struct scim_error err = { 0 };
    struct store_change two[2];
    struct store_res r;
    struct res a, b, c;

    (void)state;
    make_user(&a, "c-1", "Carol", 1);
    assert_int_equal(apply1(s, t, &a.ch, NULL), SCIM_OK);

    /* Same folded userName: 409 uniqueness. */
    make_user(&b, "c-2", "CAROL", 1);
    assert_int_equal(apply1(s, t, &b.ch, &err), SCIM_ECONFLICT);
    assert_int_equal(err.status, 409);
    assert_int_equal(err.cause, SCIM_CAUSE_UNIQUENESS);
    assert_string_equal(err.scim_type, "uniqueness");
    assert_string_equal(err.attr, "userName");
    assert_string_equal(err.detail, "Attribute 'userName' must be unique: "
                        "another user already holds this userName "
                        "(compared without regard to case).");

    /* A change set is atomic: the first insert is undone too. */
    make_user(&c, "c-3", "Chuck", 1);
    two[0] = c.ch;
    two[1] = b.ch;
    scim_error_clear(&err);
    assert_int_equal(store_apply(s, t, two, 2, NULL, &err), SCIM_ECONFLICT);
    assert_int_equal(store_get(s, t, "User", "c-3", &r), SCIM_ENOTFOUND);

    /* Renaming onto a taken userName conflicts as well. */
    assert_int_equal(apply1(s, t, &c.ch, NULL), SCIM_OK);
    make_user(&c, "c-3", "carol", 1);
    c.ch.kind = STORE_UPDATE;
    c.ch.version = 1;
    scim_error_clear(&err);
    assert_int_equal(apply1(s, t, &c.ch, &err), SCIM_ECONFLICT);
    assert_int_equal(err.cause, SCIM_CAUSE_UNIQUENESS);

    /* The holder is deactivated: reactivation_conflict. */
    make_user(&a, "c-1", "Carol", 0);
    a.ch.kind = STORE_UPDATE;
    a.ch.version = 1;
    assert_int_equal(apply1(s, t, &a.ch, NULL), SCIM_OK);
    scim_error_clear(&err);
    assert_int_equal(apply1(s, t, &b.ch, &err), SCIM_ECONFLICT);
    assert_int_equal(err.cause, SCIM_CAUSE_REACTIVATION_CONFLICT);
    assert_string_equal(err.detail, "Attribute 'userName' must be unique: "
                        "a deactivated user already holds this userName "
                        "(in any case). Reactivate that user instead of "
                        "creating a new one.");

    /* The same name in another tenant is fine. */
    assert_int_equal(apply1(s, new_tenant(s, "conflicts2"), &b.ch, NULL),
                     SCIM_OK);
    store_close(s);
}

static void
test_members(void **state)
{
    struct store *s = open_store();
    int64_t t = new_tenant(s, "members");
    const char *add[] = { "m-1", "m-2", "m-1" };
    const char *bad[] = { "m-1", "nope-1", "nope-2" };
    struct scim_error err = { 0 };
    struct res u1, u2, g;
    json_t *arr = NULL, *o;

    (void)state;
    make_user(&u1, "m-1", "Mia", 1);
    make_user(&u2, "m-2", "Max", 1);
    make_group(&g, "g-1", "Staff");
    assert_int_equal(apply1(s, t, &u1.ch, NULL), SCIM_OK);
    assert_int_equal(apply1(s, t, &u2.ch, NULL), SCIM_OK);
    assert_int_equal(apply1(s, t, &g.ch, NULL), SCIM_OK);

    assert_int_equal(members_change(s, t, STORE_MEMBERS_ADD, "g-1", add, 3,
                                    NULL), SCIM_OK);
    assert_int_equal(store_members(s, t, "g-1", &arr), SCIM_OK);
    assert_int_equal(json_array_size(arr), 2);
    o = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(o, "value")),
                        "m-1");
    assert_string_equal(json_string_value(json_object_get(o, "display")),
                        "D Mia");
    assert_string_equal(json_string_value(json_object_get(o, "$ref")),
                        "Users/m-1");
    assert_string_equal(json_string_value(json_object_get(o, "type")),
                        "User");
    json_decref(arr);

    /* Unknown ids: 400 naming each, nothing applied. */
    assert_int_equal(members_change(s, t, STORE_MEMBERS_REMOVE, "g-1", add,
                                    1, NULL), SCIM_OK);
    assert_int_equal(members_change(s, t, STORE_MEMBERS_ADD, "g-1", bad, 3,
                                    &err), SCIM_EINVAL);
    assert_int_equal(err.status, 400);
    assert_int_equal(err.cause, SCIM_CAUSE_INVALID_VALUE);
    assert_string_equal(err.attr, "members");
    assert_string_equal(err.detail, "Attribute 'members' names 2 values "
                        "that are no user or group of this tenant: "
                        "'nope-1', 'nope-2'. Nothing of the request was "
                        "applied.");
    assert_int_equal(store_members(s, t, "g-1", &arr), SCIM_OK);
    assert_int_equal(json_array_size(arr), 1);
    json_decref(arr);

    assert_int_equal(store_groups_of(s, t, "m-2", &arr), SCIM_OK);
    assert_int_equal(json_array_size(arr), 1);
    o = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(o, "value")),
                        "g-1");
    assert_string_equal(json_string_value(json_object_get(o, "display")),
                        "Staff");
    assert_string_equal(json_string_value(json_object_get(o, "$ref")),
                        "Groups/g-1");
    json_decref(arr);

    /* Deleting a member removes its membership. */
    u2.ch.kind = STORE_DELETE;
    assert_int_equal(apply1(s, t, &u2.ch, NULL), SCIM_OK);
    assert_int_equal(store_members(s, t, "g-1", &arr), SCIM_OK);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    assert_int_equal(members_change(s, t, STORE_MEMBERS_ADD, "g-1", add, 1,
                                    NULL), SCIM_OK);
    assert_int_equal(members_change(s, t, STORE_MEMBERS_CLEAR, "g-1", NULL,
                                    0, NULL), SCIM_OK);
    assert_int_equal(store_members(s, t, "g-1", &arr), SCIM_OK);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    assert_int_equal(members_change(s, t, STORE_MEMBERS_ADD, "g-none", add,
                                    1, NULL), SCIM_ENOTFOUND);
    store_close(s);
}

/* ---- Search ----------------------------------------------------------- */

static void
test_search(void **state)
{
    struct store *s = open_store();
    int64_t t = new_tenant(s, "search");
    struct store_search q = { .rtype = "User", .start = 2, .count = 2 };
    struct scim_registry *reg = registry_new();
    struct scim_error err = { 0 };
    struct filter_node *f = NULL;
    struct store_page page;
    struct scim_ctx ctx;
    struct res u;
    char id[16], name[16];
    int i;

    (void)state;
    for (i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "s-%d", i);
        snprintf(name, sizeof(name), "User%d", i);
        make_user(&u, id, name, 1);
        assert_int_equal(apply1(s, t, &u.ch, NULL), SCIM_OK);
    }
    assert_int_equal(store_search(s, t, &q, &page, &err), SCIM_OK);
    assert_int_equal(page.total, 5);
    assert_int_equal(page.nitems, 2);
    assert_string_equal(page.items[0].id, "s-1");
    assert_string_equal(page.items[1].id, "s-2");
    assert_non_null(page.items[0].doc);
    store_page_free(&page);

    q.ids_only = 1;
    q.count = 0;
    assert_int_equal(store_search(s, t, &q, &page, &err), SCIM_OK);
    assert_int_equal(page.total, 5);
    assert_int_equal(page.nitems, 0);
    store_page_free(&page);

    /* A compiled filter with bound parameters. */
    assert_non_null(reg);
    scim_ctx_init(&ctx, NULL, reg);
    assert_int_equal(filter_parse(&ctx, registry_rtype(reg, "User"),
                                  "userName eq \"user3\"", &f), SCIM_OK);
    q.filter = f;
    q.start = 1;
    q.count = 10;
    q.ids_only = 0;
    assert_int_equal(store_search(s, t, &q, &page, &err), SCIM_OK);
    assert_int_equal(page.total, 1);
    assert_int_equal(page.nitems, 1);
    assert_string_equal(page.items[0].id, "s-3");
    store_page_free(&page);
    filter_free(f);
    scim_ctx_clear(&ctx);
    registry_free(reg);
    store_close(s);
}

/* ---- The SCIM log ----------------------------------------------------- */

static void
test_log(void **state)
{
    struct store *s = open_store();
    int64_t t = new_tenant(s, "logt");
    struct store_log rec = { .request_id = "r-1", .time_ms = 1000,
                             .tenant_id = t, .tenant = "logt",
                             .method = "POST", .path = "/Users",
                             .status = 201, .user_name = "Lena",
                             .emails = "[\"Lena@Example.com\"]",
                             .request_body = "{\"userName\":\"Lena\"}" };
    struct store_log_query lq = { .tenant = "logt", .user = "LENA" };
    struct scim_error err = { 0 };
    json_t *rows = NULL, *row;
    struct res u, dup;

    (void)state;
    make_user(&u, "l-1", "Lena", 1);
    assert_int_equal(store_apply(s, t, &u.ch, 1, &rec, &err), SCIM_OK);

    /* A failed change set writes no record of its own. */
    make_user(&dup, "l-2", "lena", 1);
    rec.request_id = "r-2";
    assert_int_equal(store_apply(s, t, &dup.ch, 1, &rec, &err),
                     SCIM_ECONFLICT);
    rec.status = 409;
    rec.time_ms = 2000;
    assert_int_equal(store_log_append(s, &rec), SCIM_OK);
    rec.request_id = "r-3";
    rec.status = 200;
    rec.time_ms = 3000;
    rec.user_name = "other";
    rec.emails = NULL;
    assert_int_equal(store_log_append(s, &rec), SCIM_OK);

    assert_int_equal(store_log_query(s, &lq, &rows), SCIM_OK);
    assert_int_equal(json_array_size(rows), 2);
    row = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(row,
                        "request_id")), "r-1");
    assert_int_equal(json_integer_value(json_object_get(row, "status")),
                     201);
    assert_int_equal(json_integer_value(json_object_get(row, "time_ms")),
                     1000);
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(row, "request_body"), "userName")), "Lena");
    assert_true(json_is_array(json_object_get(row, "emails")));
    assert_true(json_is_null(json_object_get(row, "cause")));
    json_decref(rows);

    /* By email, failed only, by time, with a limit. */
    lq.user = "lena@example.COM";
    lq.failed_only = 1;
    assert_int_equal(store_log_query(s, &lq, &rows), SCIM_OK);
    assert_int_equal(json_array_size(rows), 1);
    json_decref(rows);
    lq.user = NULL;
    lq.failed_only = 0;
    lq.since_ms = 2000;
    lq.until_ms = 3000;
    lq.limit = 1;
    assert_int_equal(store_log_query(s, &lq, &rows), SCIM_OK);
    assert_int_equal(json_array_size(rows), 1);
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(rows, 0), "request_id")), "r-2");
    json_decref(rows);

    assert_int_equal(store_log_prune(s, t, 2500), SCIM_OK);
    memset(&lq, 0, sizeof(lq));
    lq.tenant = "logt";
    assert_int_equal(store_log_query(s, &lq, &rows), SCIM_OK);
    assert_int_equal(json_array_size(rows), 1);
    json_decref(rows);
    assert_string_equal(db_value("SELECT count(*) FROM scim_log_keys k"
                                 " LEFT JOIN scim_log l ON l.seq = k.log_seq"
                                 " WHERE l.seq IS NULL"), "0");
    store_close(s);
}

/* ---- Lost connections ------------------------------------------------- */

static void
test_reconnect(void **state)
{
    struct store *s = open_store();
    int64_t t = new_tenant(s, "reconnect");
    struct store_log rec = { .request_id = "rc", .time_ms = 1,
                             .status = 200 };
    struct store_res r;
    struct res u;

    (void)state;
    make_user(&u, "r-1", "Rita", 1);
    assert_int_equal(apply1(s, t, &u.ch, NULL), SCIM_OK);

    /* A read on a broken connection is retried on a fresh one. */
    kill_sessions();
    assert_int_equal(store_get(s, t, "User", "r-1", &r), SCIM_OK);
    store_res_free(&r);

    /* A change set that lost its connection before COMMIT is rerun. */
    kill_sessions();
    u.ch.kind = STORE_UPDATE;
    u.ch.version = 1;
    assert_int_equal(apply1(s, t, &u.ch, NULL), SCIM_OK);
    assert_int_equal(store_get(s, t, "User", "r-1", &r), SCIM_OK);
    assert_int_equal(r.version, 2);
    store_res_free(&r);

    kill_sessions();
    assert_int_equal(store_log_append(s, &rec), SCIM_OK);
    kill_sessions();
    assert_int_equal(store_tenant_set_config(s, "reconnect", "{}"),
                     SCIM_OK);
    store_close(s);
}

struct slow {
    struct store *s;
    int64_t tenant;
    const struct store_change *ch;
    int rc;
};

static void *
slow_thread(void *arg)
{
    struct slow *w = arg;
    struct store_log rec = { .request_id = "slow-commit", .time_ms = 1,
                             .status = 200 };
    struct scim_error err = { 0 };

    w->rc = store_apply(w->s, w->tenant, w->ch, 1, &rec, &err);
    return NULL;
}

/* The connection breaks while COMMIT runs (a deferred trigger makes it
 * last a second): the store asks the server what became of the
 * transaction and, as it was rolled back, applies it once more. */
static void
test_lost_commit(void **state)
{
    struct store *s = open_store();
    int64_t t = new_tenant(s, "lost_commit");
    struct slow w = { .s = s, .tenant = t };
    struct store_res r;
    pthread_t th;
    struct res u;

    (void)state;
    assert_int_equal(exec_on(db_url, "CREATE OR REPLACE FUNCTION"
        " slow_commit() RETURNS trigger LANGUAGE plpgsql AS"
        " $$BEGIN PERFORM pg_sleep(1); RETURN NULL; END$$;"
        " CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON scim_log"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
        " WHEN (NEW.request_id = 'slow-commit')"
        " EXECUTE FUNCTION slow_commit()"), 0);
    make_user(&u, "lc-1", "Lou", 1);
    assert_int_equal(apply1(s, t, &u.ch, NULL), SCIM_OK);
    u.ch.kind = STORE_UPDATE;
    u.ch.version = 1;
    w.ch = &u.ch;
    pthread_create(&th, NULL, slow_thread, &w);
    usleep(400000);
    kill_sessions();
    pthread_join(th, NULL);
    assert_int_equal(w.rc, SCIM_OK);
    assert_int_equal(store_get(s, t, "User", "lc-1", &r), SCIM_OK);
    assert_int_equal(r.version, 2);
    store_res_free(&r);
    assert_string_equal(db_value("SELECT count(*) FROM scim_log"
                                 " WHERE request_id = 'slow-commit'"), "1");
    assert_int_equal(exec_on(db_url, "DROP TRIGGER slow_commit"
                             " ON scim_log"), 0);
    store_close(s);
}

/* ---- Two connections at once ------------------------------------------ */

struct racer {
    struct store *s;
    int64_t tenant;
    pthread_barrier_t *go;
    const struct store_change *ch;
    int rc;
    struct scim_error err;
};

static void *
race_thread(void *arg)
{
    struct racer *r = arg;

    pthread_barrier_wait(r->go);
    r->rc = store_apply(r->s, r->tenant, r->ch, 1, NULL, &r->err);
    return NULL;
}

/* Runs a and b at the same moment on two connections. */
static void
race(struct store *s1, struct store *s2, int64_t t,
     const struct store_change *a, const struct store_change *b,
     int *rc_a, int *rc_b)
{
    pthread_barrier_t go;
    struct racer r[2] = { { .s = s1, .tenant = t, .go = &go, .ch = a },
                          { .s = s2, .tenant = t, .go = &go, .ch = b } };
    pthread_t th[2];
    int i;

    pthread_barrier_init(&go, NULL, 2);
    for (i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, race_thread, &r[i]);
    for (i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&go);
    *rc_a = r[0].rc;
    *rc_b = r[1].rc;
}

static void
test_concurrent_create(void **state)
{
    struct store *s1 = open_store(), *s2 = NULL;
    struct scim_error err = { 0 };
    int64_t t = new_tenant(s1, "race_create");
    struct res a, b;
    char id[32], name[32];
    int i, ra, rb;

    (void)state;
    assert_int_equal(store_clone(s1, &s2, &err), SCIM_OK);
    for (i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "Racer%d", i);
        snprintf(id, sizeof(id), "ra-%d", i);
        make_user(&a, id, name, 1);
        snprintf(id, sizeof(id), "rb-%d", i);
        make_user(&b, id, name, 1);
        race(s1, s2, t, &a.ch, &b.ch, &ra, &rb);
        assert_true((ra == SCIM_OK && rb == SCIM_ECONFLICT) ||
                    (ra == SCIM_ECONFLICT && rb == SCIM_OK));
    }
    store_close(s2);
    store_close(s1);
}

static void
test_concurrent_update(void **state)
{
    struct store *s1 = open_store(), *s2 = NULL;
    struct scim_error err = { 0 };
    int64_t t = new_tenant(s1, "race_update");
    struct store_res r;
    struct res a, b;
    int i, ra, rb;

    (void)state;
    assert_int_equal(store_clone(s1, &s2, &err), SCIM_OK);
    make_user(&a, "up-1", "Uma", 1);
    assert_int_equal(apply1(s1, t, &a.ch, NULL), SCIM_OK);
    make_user(&b, "up-1", "Uma", 0);
    a.ch.kind = b.ch.kind = STORE_UPDATE;
    for (i = 1; i <= 20; i++) {
        a.ch.version = b.ch.version = i;
        race(s1, s2, t, &a.ch, &b.ch, &ra, &rb);
        assert_true((ra == SCIM_OK && rb == SCIM_ERETRY) ||
                    (ra == SCIM_ERETRY && rb == SCIM_OK));
    }
    assert_int_equal(store_get(s1, t, "User", "up-1", &r), SCIM_OK);
    assert_int_equal(r.version, 21);
    store_res_free(&r);
    store_close(s2);
    store_close(s1);
}

static void
test_concurrent_members(void **state)
{
    struct store *s1 = open_store(), *s2 = NULL;
    struct scim_error err = { 0 };
    int64_t t = new_tenant(s1, "race_members");
    struct store_change a = { .kind = STORE_MEMBERS_ADD, .rtype = "Group",
                              .id = "rg", .nmembers = 1 };
    struct store_change b = a;
    char ids[40][16];
    const char *pa[1], *pb[1];
    json_t *arr = NULL;
    struct res u;
    int i, ra, rb;

    (void)state;
    assert_int_equal(store_clone(s1, &s2, &err), SCIM_OK);
    make_group(&u, "rg", "Racers");
    assert_int_equal(apply1(s1, t, &u.ch, NULL), SCIM_OK);
    for (i = 0; i < 40; i++) {
        snprintf(ids[i], sizeof(ids[i]), "rm-%d", i);
        make_user(&u, ids[i], ids[i], 1);
        assert_int_equal(apply1(s1, t, &u.ch, NULL), SCIM_OK);
    }
    a.members = pa;
    b.members = pb;
    for (i = 0; i < 20; i++) {
        pa[0] = ids[2 * i];
        pb[0] = ids[2 * i + 1];
        race(s1, s2, t, &a, &b, &ra, &rb);
        assert_int_equal(ra, SCIM_OK);
        assert_int_equal(rb, SCIM_OK);
    }
    assert_int_equal(store_members(s2, t, "rg", &arr), SCIM_OK);
    assert_int_equal(json_array_size(arr), 40);
    json_decref(arr);
    store_close(s2);
    store_close(s1);
}

/* What the server does on SCIM_ERETRY: read again and recompute. */
struct counter {
    struct store *s;
    int64_t tenant;
    int rounds;
    int retries;
};

static int
bump(struct counter *c)
{
    struct store_change ch = { .kind = STORE_UPDATE, .rtype = "User",
                               .id = "cnt", .keep_pw = 1 };
    struct scim_error err = { 0 };
    struct store_res r;
    char doc[96];
    long n = 0;
    int rc;

    if (store_get(c->s, c->tenant, "User", "cnt", &r) != SCIM_OK)
        return SCIM_ESTORE;
    sscanf(r.doc, "{\"id\":\"cnt\",\"n\":%ld}", &n);
    snprintf(doc, sizeof(doc), "{\"id\":\"cnt\",\"n\":%ld}", n + 1);
    ch.version = r.version;
    ch.doc = ch.fdoc = doc;
    ch.keys.id = "cnt";
    ch.keys.name_key = "cnt";
    ch.keys.active = 1;
    rc = store_apply(c->s, c->tenant, &ch, 1, NULL, &err);
    store_res_free(&r);
    return rc;
}

static void *
count_thread(void *arg)
{
    struct counter *c = arg;
    int i, rc;

    for (i = 0; i < c->rounds; i++) {
        while ((rc = bump(c)) == SCIM_ERETRY)
            c->retries++;
        if (rc != SCIM_OK)
            break;
    }
    return NULL;
}

static void
test_no_lost_update(void **state)
{
    struct store *s1 = open_store(), *s2 = NULL;
    struct scim_error err = { 0 };
    int64_t t = new_tenant(s1, "race_counter");
    struct store_change ch = { .kind = STORE_INSERT, .rtype = "User",
                               .id = "cnt", .fdoc = "{}",
                               .doc = "{\"id\":\"cnt\",\"n\":0}" };
    struct counter c[2];
    struct store_res r;
    pthread_t th[2];
    int i;

    (void)state;
    assert_int_equal(store_clone(s1, &s2, &err), SCIM_OK);
    ch.keys.id = "cnt";
    ch.keys.name_key = "cnt";
    ch.keys.active = 1;
    assert_int_equal(apply1(s1, t, &ch, NULL), SCIM_OK);
    for (i = 0; i < 2; i++) {
        c[i] = (struct counter){ i == 0 ? s1 : s2, t, 50, 0 };
        pthread_create(&th[i], NULL, count_thread, &c[i]);
    }
    for (i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(store_get(s1, t, "User", "cnt", &r), SCIM_OK);
    assert_string_equal(r.doc, "{\"id\":\"cnt\",\"n\":100}");
    assert_int_equal(r.version, 101);
    store_res_free(&r);
    store_close(s2);
    store_close(s1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_migrate),
        cmocka_unit_test(test_open_bad),
        cmocka_unit_test(test_migrate_concurrent),
        cmocka_unit_test(test_migrate_newer),
        cmocka_unit_test(test_tenants),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_crud),
        cmocka_unit_test(test_emails),
        cmocka_unit_test(test_conflicts),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_log),
        cmocka_unit_test(test_reconnect),
        cmocka_unit_test(test_lost_commit),
        cmocka_unit_test(test_concurrent_create),
        cmocka_unit_test(test_concurrent_update),
        cmocka_unit_test(test_concurrent_members),
        cmocka_unit_test(test_no_lost_update),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
