/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the filter-to-SQL compiler (src/store/sqlgen.c). The
 * SQL text and parameters are checked for both dialects, and then every
 * filter of a long list runs for real on an in-memory SQLite database
 * (and on PostgreSQL when SCIMD_TEST_PG holds a libpq conninfo): the
 * ids it selects must be exactly those filter_match() selects on the
 * same documents. Index use of the fast paths is checked with EXPLAIN
 * QUERY PLAN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "ctx.h"
#include "filter.h"
#include "fold.h"
#include "resource.h"
#include "schema.h"
#include "sqlgen.h"

#define ENT SCIM_SCHEMA_ENTERPRISE
#define TX "urn:example:params:scim:schemas:extension:test:2.0:User"

static struct scim_registry *reg;
static const struct scim_rtype *user;
static const struct scim_rtype *group;
static sqlite3 *db;
static PGconn *pg;
static int64_t cur_tenant = 1;     /* the tenant searches run in */

/* A custom extension with the types the core User lacks. */
static const char *const test_ext =
    "{\"id\":\"" TX "\",\"name\":\"Test\",\"attributes\":["
    "{\"name\":\"level\",\"type\":\"integer\",\"multiValued\":false},"
    "{\"name\":\"score\",\"type\":\"decimal\",\"multiValued\":false},"
    "{\"name\":\"tags\",\"type\":\"string\",\"multiValued\":true,"
    "\"caseExact\":false},"
    "{\"name\":\"flag\",\"type\":\"boolean\",\"multiValued\":false},"
    "{\"name\":\"since\",\"type\":\"dateTime\",\"multiValued\":false},"
    "{\"name\":\"code\",\"type\":\"reference\",\"multiValued\":false,"
    "\"caseExact\":false,\"referenceTypes\":[\"external\"]}]}";

/* Users of tenant 1 (seq 1..10), then one of tenant 2 (seq 11). */
static const char *const users[] = {
    "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\",\"" TX
    "\"],\"id\":\"id-1\",\"externalId\":\"AbC-1\",\"userName\":\"bjensen\","
    "\"name\":{\"givenName\":\"Barbara\",\"familyName\":\"Jensen\"},"
    "\"displayName\":\"Babs Jensen\",\"title\":\"Tour Guide\","
    "\"password\":\"secret\",\"active\":true,"
    "\"emails\":[{\"value\":\"bjensen@example.com\",\"type\":\"work\","
    "\"primary\":true},{\"value\":\"babs@home.org\",\"type\":\"home\"}],"
    "\"meta\":{\"created\":\"2024-01-02T03:04:05Z\","
    "\"lastModified\":\"2024-06-30T23:00:00.5-02:00\"},"
    "\"" ENT "\":{\"department\":\"R&D\",\"employeeNumber\":\"701984\","
    "\"manager\":{\"value\":\"m-1\"}},"
    "\"" TX "\":{\"level\":3,\"score\":2.5,\"tags\":[\"Blue\",\"green\"],"
    "\"flag\":true,\"since\":\"2024-01-01T00:00:00+01:00\","
    "\"code\":\"http://X.example/A\"}}",

    "{\"id\":\"id-2\",\"userName\":\"straße\",\"displayName\":\"Jürgen "
    "Straße\",\"name\":{\"familyName\":\"Straße\"},\"title\":\"\","
    "\"active\":false,\"emails\":[{\"value\":\"J.Strasse@Example.DE\","
    "\"type\":\"work\"}],\"meta\":{\"created\":"
    "\"2024-01-02T04:04:05+01:00\"},"
    "\"" TX "\":{\"level\":10,\"score\":-1,\"flag\":false}}",

    "{\"id\":\"id-3\",\"userName\":\"ÉLODIE\",\"nickName\":\"élo\","
    "\"emails\":[{\"value\":\"elodie@example.fr\",\"type\":\"home\","
    "\"primary\":true}],\"active\":true,"
    "\"meta\":{\"created\":\"2023-06-01T12:00:00.1234567Z\"},"
    "\"" TX "\":{\"level\":2,\"score\":2.5,\"tags\":[\"Grün\"]}}",

    "{\"id\":\"id-4\",\"externalId\":\"abc-1\",\"userName\":\"o'malley\","
    "\"displayName\":\"José O'Malley [x] (and) or\",\"title\":\"Manager\","
    "\"name\":{\"givenName\":\"José\"}}",

    "{\"id\":\"id-5\",\"userName\":\"percent%user\",\"nickName\":"
    "\"100%_sure\",\"emails\":[{\"value\":\"p_u@x.org\",\"type\":\"work\"},"
    "{\"value\":\"P%U@X.ORG\",\"type\":\"other\"}],"
    "\"" TX "\":{\"tags\":[\"red\"],\"code\":\"urn:Z\"}}",

    "{\"id\":\"id-6\",\"userName\":\"noemail\"}",

    "{\"id\":\"id-7\",\"userName\":\"dup\",\"active\":true,"
    "\"emails\":[{\"value\":\"a@x.org\",\"type\":\"work\"},"
    "{\"value\":\"b@y.org\",\"type\":\"home\",\"primary\":true}],"
    "\"" TX "\":{\"level\":-4,\"score\":0.5}}",

    "{\"id\":\"id-8\",\"userName\":\"zed\",\"meta\":{\"created\":"
    "\"2023-12-31T23:30:00-01:00\"},\"" TX "\":{\"since\":"
    "\"2023-12-31T23:00:00.0000001Z\"}}",

    "{\"id\":\"id-9\",\"userName\":\"Zürich\",\"name\":{\"givenName\":"
    "\"Zoë\"},\"active\":true,\"" ENT "\":{\"department\":\"r&d\"}}",

    "{\"id\":\"id-10\",\"userName\":\"ten\",\"emails\":[],"
    "\"" TX "\":{\"level\":0,\"score\":0.0,\"flag\":true,\"tags\":[],"
    "\"code\":\"\"}}",

    "{\"id\":\"id-11\",\"userName\":\"bjensen\",\"emails\":[{\"value\":"
    "\"bjensen@example.com\"}]}",
};
#define NUSERS (sizeof(users) / sizeof(users[0]))
#define TENANT_USERS 10

static const char *const groups[] = {
    "{\"id\":\"gid-1\",\"displayName\":\"Admins\"}",
    "{\"id\":\"gid-2\",\"displayName\":\"Staff\"}",
    "{\"id\":\"gid-3\",\"displayName\":\"Empty\"}",
};

/* (group seq, member seq): users have seq 1..11, groups 12..14. */
static const int memberships[][2] = {
    { 12, 1 }, { 12, 2 }, { 13, 1 }, { 13, 12 },
};

static const char *const schema_sql[] = {
    "CREATE TABLE resources(seq INTEGER PRIMARY KEY, tenant_id INTEGER "
    "NOT NULL, rtype TEXT NOT NULL, id TEXT NOT NULL, external_id TEXT, "
    "name_key TEXT, display_key TEXT, active INTEGER NOT NULL, version "
    "INTEGER NOT NULL, created TEXT NOT NULL, modified TEXT NOT NULL, doc "
    "TEXT NOT NULL, fdoc %s NOT NULL, pw_hash TEXT)",
    "CREATE UNIQUE INDEX resources_id ON resources(tenant_id, id)",
    "CREATE UNIQUE INDEX resources_name ON resources(tenant_id, rtype, "
    "name_key)",
    "CREATE INDEX resources_ext ON resources(tenant_id, rtype, external_id)",
    "CREATE INDEX resources_display ON resources(tenant_id, rtype, "
    "display_key)",
    "CREATE TABLE emails(res_seq INTEGER NOT NULL, tenant_id INTEGER NOT "
    "NULL, value_key TEXT NOT NULL)",
    "CREATE INDEX emails_key ON emails(tenant_id, value_key)",
    "CREATE INDEX emails_res ON emails(res_seq)",
    "CREATE TABLE members(group_seq INTEGER NOT NULL, member_seq INTEGER "
    "NOT NULL, PRIMARY KEY(group_seq, member_seq))",
    "CREATE INDEX members_member ON members(member_seq)",
};

/* ---- Helpers ------------------------------------------------------------- */

static struct filter_node *
parse(const struct scim_rtype *rt, const char *text)
{
    struct scim_ctx ctx;
    struct filter_node *f = NULL;
    int rc;

    scim_ctx_init(&ctx, NULL, reg);
    rc = filter_parse(&ctx, rt, text, &f);
    if (rc != SCIM_OK)
        print_error("filter_parse(%s): %s\n", text, ctx.err.detail);
    assert_int_equal(rc, SCIM_OK);
    scim_ctx_clear(&ctx);
    return f;
}

/* Compiles text; the caller frees b. */
static int
compile(const struct scim_rtype *rt, enum sqlgen_dialect d, const char *text,
        struct sql_buf *b, struct scim_error *err)
{
    struct filter_node *f = parse(rt, text);
    int rc;

    sql_buf_init(b, d);
    scim_error_clear(err);
    rc = sqlgen_where(b, f, err);
    filter_free(f);
    return rc;
}

static void
expect_sql(const struct scim_rtype *rt, enum sqlgen_dialect d,
           const char *text, const char *sql, const char *p1)
{
    struct scim_error err;
    struct sql_buf b;

    assert_int_equal(compile(rt, d, text, &b, &err), SCIM_OK);
    assert_string_equal(b.sql, sql);
    if (p1 != NULL) {
        assert_true(b.nparams >= 1);
        assert_int_equal(b.params[0].type, SQL_P_TEXT);
        assert_string_equal(b.params[0].text, p1);
    }
    sql_buf_free(&b);
}

static char *
dump(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);

    assert_non_null(s);
    return s;
}

/* Appends id to a comma-separated list. */
static void
list_add(char *list, size_t size, const char *id)
{
    if (list[0] != '\0')
        strncat(list, ",", size - strlen(list) - 1);
    strncat(list, id, size - strlen(list) - 1);
}

/* ---- The databases ------------------------------------------------------- */

struct row {
    int64_t seq;
    int64_t tenant;
    const char *rtype;
    json_t *doc;
    json_t *fdoc;
};

static struct row rows[NUSERS + 3];
static size_t nrows;

static char *
fold_or_null(const json_t *v)
{
    return json_is_string(v)
           ? scim_fold(json_string_value(v), json_string_length(v)) : NULL;
}

static void
load_rows(void)
{
    const struct scim_rtype *rt;
    json_error_t je;
    size_t i;

    for (i = 0; i < NUSERS + 3; i++) {
        struct row *r = &rows[nrows++];

        rt = i < NUSERS ? user : group;
        r->seq = (int64_t)i + 1;
        r->tenant = i == NUSERS - 1 ? 2 : 1;
        r->rtype = rt->name;
        r->doc = json_loads(i < NUSERS ? users[i] : groups[i - NUSERS], 0,
                            &je);
        if (r->doc == NULL)
            print_error("row %zu: %s\n", i, je.text);
        assert_non_null(r->doc);
        r->fdoc = resource_fold(rt, r->doc);
        assert_non_null(r->fdoc);
    }
}

static void
sqlite_exec(const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        print_error("%s: %s\n", sql, msg);
    assert_null(msg);
}

/* The id column: the document's id, or a stand-in when it has none. */
static const char *
row_id(const struct row *r, char *buf, size_t size)
{
    const char *id = json_string_value(json_object_get(r->doc, "id"));

    if (id != NULL)
        return id;
    snprintf(buf, size, "#%lld", (long long)r->seq);
    return buf;
}

static const char *
row_text(const struct row *r, const char *key)
{
    return json_string_value(json_object_get(r->doc, key));
}

static void
sqlite_insert_row(const struct row *r)
{
    char idbuf[32];
    sqlite3_stmt *st;
    char *doc = dump(r->doc), *fdoc = dump(r->fdoc);
    char *nk = fold_or_null(json_object_get(r->doc, "userName"));
    char *dk = fold_or_null(json_object_get(r->doc, "displayName"));

    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO resources VALUES("
                     "?, ?, ?, ?, ?, ?, ?, 1, 1, '', '', ?, ?, NULL)", -1,
                     &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, r->seq);
    sqlite3_bind_int64(st, 2, r->tenant);
    sqlite3_bind_text(st, 3, r->rtype, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, row_id(r, idbuf, sizeof(idbuf)), -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 5, row_text(r, "externalId"), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, nk, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, dk, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, doc, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, fdoc, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    free(doc);
    free(fdoc);
    scim_free(nk);
    scim_free(dk);
}

static void
sqlite_insert_email(int64_t seq, int64_t tenant, const char *value)
{
    sqlite3_stmt *st;
    char *k = scim_fold(value, strlen(value));

    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO emails VALUES("
                     "?, ?, ?)", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_int64(st, 2, tenant);
    sqlite3_bind_text(st, 3, k, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    scim_free(k);
}

/* What the store writes next to a document: one row per email. */
static void
each_email(const struct row *r, void (*fn)(int64_t, int64_t, const char *))
{
    json_t *e;
    size_t i;

    json_array_foreach(json_object_get(r->doc, "emails"), i, e)
        if (json_is_string(json_object_get(e, "value")))
            fn(r->seq, r->tenant, json_string_value(json_object_get(e,
                                                                    "value")));
}

/*
 * Statement i of the schema; without unique, the unique indexes become
 * plain ones (third-party vectors hold duplicate userNames and ids).
 */
static void
schema_stmt(size_t i, const char *json_type, int unique, char *sql,
            size_t size)
{
    const char *u = "CREATE UNIQUE INDEX";

    if (!unique && strncmp(schema_sql[i], u, strlen(u)) == 0) {
        snprintf(sql, size, "CREATE INDEX%s", schema_sql[i] + strlen(u));
        return;
    }
    snprintf(sql, size, schema_sql[i], json_type);
}

static void
sqlite_create(int unique)
{
    char sql[1024];
    size_t i;

    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    for (i = 0; i < sizeof(schema_sql) / sizeof(schema_sql[0]); i++) {
        schema_stmt(i, "TEXT", unique, sql, sizeof(sql));
        sqlite_exec(sql);
    }
}

static void
sqlite_load(void)
{
    char sql[1024];
    size_t i;

    sqlite_create(1);
    for (i = 0; i < nrows; i++) {
        sqlite_insert_row(&rows[i]);
        each_email(&rows[i], sqlite_insert_email);
    }
    for (i = 0; i < sizeof(memberships) / sizeof(memberships[0]); i++) {
        snprintf(sql, sizeof(sql), "INSERT INTO members VALUES(%d, %d)",
                 memberships[i][0], memberships[i][1]);
        sqlite_exec(sql);
    }
}

static void
pg_exec(const char *sql)
{
    PGresult *res = PQexec(pg, sql);

    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        print_error("%s: %s\n", sql, PQerrorMessage(pg));
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
}

static void
pg_insert_row(const struct row *r)
{
    char seq[24], tenant[24], idbuf[32];
    char *doc = dump(r->doc), *fdoc = dump(r->fdoc);
    char *nk = fold_or_null(json_object_get(r->doc, "userName"));
    char *dk = fold_or_null(json_object_get(r->doc, "displayName"));
    const char *v[9] = { seq, tenant, r->rtype,
        row_id(r, idbuf, sizeof(idbuf)), row_text(r, "externalId"),
        nk, dk, doc, fdoc };
    PGresult *res;

    snprintf(seq, sizeof(seq), "%lld", (long long)r->seq);
    snprintf(tenant, sizeof(tenant), "%lld", (long long)r->tenant);
    res = PQexecParams(pg, "INSERT INTO resources VALUES($1, $2, $3, $4, "
                       "$5, $6, $7, 1, 1, '', '', $8, $9, NULL)", 9, NULL,
                       v, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        print_error("insert: %s\n", PQerrorMessage(pg));
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    free(doc);
    free(fdoc);
    scim_free(nk);
    scim_free(dk);
}

static void
pg_insert_email(int64_t seq, int64_t tenant, const char *value)
{
    char s[24], t[24];
    char *k = scim_fold(value, strlen(value));
    const char *v[3] = { s, t, k };
    PGresult *res;

    snprintf(s, sizeof(s), "%lld", (long long)seq);
    snprintf(t, sizeof(t), "%lld", (long long)tenant);
    res = PQexecParams(pg, "INSERT INTO emails VALUES($1, $2, $3)", 3, NULL,
                       v, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    scim_free(k);
}

/* A schema of our own, dropped at the end, so the database stays clean. */
static void
pg_create(const char *name, int unique)
{
    char sql[1024];
    size_t i;

    snprintf(sql, sizeof(sql), "CREATE SCHEMA %s_%ld; SET search_path TO "
             "%s_%ld", name, (long)getpid(), name, (long)getpid());
    pg_exec(sql);
    for (i = 0; i < sizeof(schema_sql) / sizeof(schema_sql[0]); i++) {
        schema_stmt(i, "JSONB", unique, sql, sizeof(sql));
        pg_exec(sql);
    }
}

static void
pg_load(void)
{
    char sql[1024];
    size_t i;

    pg_exec("SET client_min_messages = warning");
    pg_create("sqlgen_t", 1);
    for (i = 0; i < nrows; i++) {
        pg_insert_row(&rows[i]);
        each_email(&rows[i], pg_insert_email);
    }
    for (i = 0; i < sizeof(memberships) / sizeof(memberships[0]); i++) {
        snprintf(sql, sizeof(sql), "INSERT INTO members VALUES(%d, %d)",
                 memberships[i][0], memberships[i][1]);
        pg_exec(sql);
    }
    pg_exec("ANALYZE");
}

static int
setup(void **state)
{
    struct scim_schema *s = NULL;
    struct scim_error err;
    json_t *def;
    const char *ci = getenv("SCIMD_TEST_PG");

    (void)state;
    if ((reg = registry_new()) == NULL)
        return -1;
    def = json_loads(test_ext, 0, NULL);
    if (def == NULL || schema_from_json(def, &s, &err) != SCIM_OK
        || registry_add_extension(reg, s, "User", 0, &err) != SCIM_OK)
        return -1;
    json_decref(def);
    user = registry_rtype(reg, "User");
    group = registry_rtype(reg, "Group");
    load_rows();
    sqlite_load();
    if (ci != NULL && *ci != '\0') {
        pg = PQconnectdb(ci);
        if (PQstatus(pg) != CONNECTION_OK) {
            print_error("SCIMD_TEST_PG: %s\n", PQerrorMessage(pg));
            return -1;
        }
        pg_load();
    }
    return 0;
}

static int
teardown(void **state)
{
    char sql[128];
    size_t i;

    (void)state;
    if (pg != NULL) {
        snprintf(sql, sizeof(sql), "DROP SCHEMA sqlgen_t_%ld CASCADE",
                 (long)getpid());
        pg_exec(sql);
        PQfinish(pg);
    }
    for (i = 0; i < nrows; i++) {
        json_decref(rows[i].doc);
        json_decref(rows[i].fdoc);
    }
    sqlite3_close(db);
    registry_free(reg);
    return 0;
}

/* ---- Running filters ----------------------------------------------------- */

/* The ids filter_match selects among tenant 1's resources of type rt. */
static void
match_ids(const struct scim_rtype *rt, const char *text, char *out,
          size_t size)
{
    struct filter_node *f = parse(rt, text);
    size_t i;

    out[0] = '\0';
    for (i = 0; i < nrows; i++)
        if (rows[i].tenant == 1 && strcmp(rows[i].rtype, rt->name) == 0
            && filter_match(f, rows[i].doc))
            list_add(out, size, json_string_value(json_object_get(
                         rows[i].doc, "id")));
    filter_free(f);
}

/* "SELECT r.id ... WHERE tenant AND rtype AND (filter) ORDER BY ...". */
static int
build_select(const struct scim_rtype *rt, enum sqlgen_dialect d,
             const char *text, const struct scim_attr_ref *sort, int desc,
             struct sql_buf *b, struct scim_error *err)
{
    struct filter_node *f = text != NULL ? parse(rt, text) : NULL;
    int rc;

    sql_buf_init(b, d);
    scim_error_clear(err);
    sql_buf_add(b, "SELECT r.id FROM resources r WHERE r.tenant_id = ");
    sql_buf_int(b, cur_tenant);
    sql_buf_add(b, " AND r.rtype = ");
    sql_buf_text(b, rt->name);
    sql_buf_add(b, " AND (");
    rc = sqlgen_where(b, f, err);
    sql_buf_add(b, ") ORDER BY ");
    if (rc == SCIM_OK && sort != NULL) {
        rc = sqlgen_order(b, sort, err);
        sql_buf_add(b, desc ? " DESC, " : " ASC, ");
    }
    sql_buf_add(b, "r.seq");
    filter_free(f);
    return rc;
}

static void
sqlite_ids(const struct sql_buf *b, char *out, size_t size)
{
    sqlite3_stmt *st;
    size_t i;

    out[0] = '\0';
    if (sqlite3_prepare_v2(db, b->sql, -1, &st, NULL) != SQLITE_OK)
        print_error("%s\n%s\n", b->sql, sqlite3_errmsg(db));
    for (i = 0; i < b->nparams; i++) {
        const struct sql_param *p = &b->params[i];

        if (p->type == SQL_P_TEXT)
            sqlite3_bind_text(st, (int)i + 1, p->text, -1, SQLITE_STATIC);
        else if (p->type == SQL_P_INT)
            sqlite3_bind_int64(st, (int)i + 1, p->i);
        else
            sqlite3_bind_double(st, (int)i + 1, p->d);
    }
    while (sqlite3_step(st) == SQLITE_ROW)
        list_add(out, size, (const char *)sqlite3_column_text(st, 0));
    assert_int_equal(sqlite3_errcode(db), SQLITE_DONE);
    sqlite3_finalize(st);
}

static void
pg_ids(const struct sql_buf *b, char *out, size_t size)
{
    char (*num)[32] = calloc(b->nparams + 1, sizeof(*num));
    const char **v = calloc(b->nparams + 1, sizeof(*v));
    Oid *t = calloc(b->nparams + 1, sizeof(*t));
    PGresult *res;
    int i;

    assert_non_null(num);
    assert_non_null(v);
    assert_non_null(t);
    /* Typed as the PostgreSQL store sends them: text, int8, float8. */
    for (i = 0; i < (int)b->nparams; i++) {
        const struct sql_param *p = &b->params[i];

        v[i] = num[i];
        if (p->type == SQL_P_TEXT) {
            t[i] = 25;
            v[i] = p->text;
        } else if (p->type == SQL_P_INT) {
            t[i] = 20;
            snprintf(num[i], sizeof(num[i]), "%lld", (long long)p->i);
        } else {
            t[i] = 701;
            snprintf(num[i], sizeof(num[i]), "%.17g", p->d);
        }
    }
    res = PQexecParams(pg, b->sql, (int)b->nparams, t, v, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        print_error("%s\n%s\n", b->sql, PQerrorMessage(pg));
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    out[0] = '\0';
    for (i = 0; i < PQntuples(res); i++)
        list_add(out, size, PQgetvalue(res, i, 0));
    PQclear(res);
    free(num);
    free(v);
    free(t);
}

/* The ids the database selects with text (and sort), in order. */
static void
db_ids(const struct scim_rtype *rt, enum sqlgen_dialect d, const char *text,
       const struct scim_attr_ref *sort, int desc, char *out, size_t size)
{
    struct scim_error err;
    struct sql_buf b;
    int rc = build_select(rt, d, text, sort, desc, &b, &err);

    if (rc != SCIM_OK)
        print_error("%s: %s\n", text, err.detail);
    assert_int_equal(rc, SCIM_OK);
    if (d == SQLGEN_SQLITE)
        sqlite_ids(&b, out, size);
    else
        pg_ids(&b, out, size);
    sql_buf_free(&b);
}

static void
same_as_match(const struct scim_rtype *rt, const char *text)
{
    char want[512], got[512];

    match_ids(rt, text, want, sizeof(want));
    db_ids(rt, SQLGEN_SQLITE, text, NULL, 0, got, sizeof(got));
    if (strcmp(want, got) != 0)
        print_error("sqlite: %s\n", text);
    assert_string_equal(got, want);
    if (pg == NULL)
        return;
    db_ids(rt, SQLGEN_PG, text, NULL, 0, got, sizeof(got));
    if (strcmp(want, got) != 0)
        print_error("postgresql: %s\n", text);
    assert_string_equal(got, want);
}

/* For filters filter_match cannot answer (memberships). */
static void
expect_ids(const struct scim_rtype *rt, const char *text, const char *want)
{
    char got[512];

    db_ids(rt, SQLGEN_SQLITE, text, NULL, 0, got, sizeof(got));
    if (strcmp(want, got) != 0)
        print_error("sqlite: %s\n", text);
    assert_string_equal(got, want);
    if (pg == NULL)
        return;
    db_ids(rt, SQLGEN_PG, text, NULL, 0, got, sizeof(got));
    if (strcmp(want, got) != 0)
        print_error("postgresql: %s\n", text);
    assert_string_equal(got, want);
}

/* ---- SQL text ---------------------------------------------------------- */

static void
test_shape_fast_paths(void **state)
{
    (void)state;
    expect_sql(user, SQLGEN_SQLITE, "userName eq \"BJensen\"",
               "r.name_key = ?", "bjensen");
    expect_sql(user, SQLGEN_PG, "USERNAME Eq \"STRASSE\"",
               "r.name_key = $1::text", "strasse");
    expect_sql(user, SQLGEN_SQLITE, "id eq \"A-1\"", "r.id = ?", "A-1");
    expect_sql(user, SQLGEN_SQLITE, "externalId eq \"AbC\"",
               "r.external_id = ?", "AbC");
    expect_sql(group, SQLGEN_SQLITE, "displayName eq \"Admins\"",
               "r.display_key = ?", "admins");
    expect_sql(user, SQLGEN_SQLITE, "emails.value eq \"A@X.org\"",
               "r.seq IN (SELECT res_seq FROM emails WHERE tenant_id = "
               "r.tenant_id AND value_key = ?)", "a@x.org");
    expect_sql(user, SQLGEN_SQLITE, "emails[value eq \"A@X.org\"]",
               "r.seq IN (SELECT res_seq FROM emails WHERE tenant_id = "
               "r.tenant_id AND value_key = ?)", "a@x.org");
    expect_sql(user, SQLGEN_PG, "emails.value eq \"A@X.org\"",
               "EXISTS (SELECT 1 FROM emails x WHERE x.res_seq = r.seq AND "
               "x.tenant_id = r.tenant_id AND x.value_key = $1::text)",
               "a@x.org");
    expect_sql(group, SQLGEN_SQLITE, "members[value eq \"U-1\"]",
               "r.seq IN (SELECT m.group_seq FROM members m JOIN resources "
               "u ON u.seq = m.member_seq WHERE u.tenant_id = r.tenant_id "
               "AND u.id = ?)", "U-1");
    expect_sql(user, SQLGEN_SQLITE, "groups.value eq \"G-1\"",
               "r.seq IN (SELECT m.member_seq FROM members m JOIN resources "
               "u ON u.seq = m.group_seq WHERE u.tenant_id = r.tenant_id "
               "AND u.id = ?)", "G-1");
}

static void
test_shape_general(void **state)
{
    (void)state;
    expect_sql(user, SQLGEN_SQLITE, "title co \"Mr_%\"",
               "(json_type(r.fdoc, '$.\"title\"') = 'text' AND "
               "instr(json_extract(r.fdoc, '$.\"title\"'), ?) > 0)",
               "mr_%");
    expect_sql(user, SQLGEN_PG, "name.familyName gt \"J\"",
               "(jsonb_typeof(r.fdoc #> '{\"name\",\"familyName\"}') = "
               "'string' AND (r.fdoc #>> '{\"name\",\"familyName\"}') "
               "COLLATE \"C\" > $1::text)", "j");
    expect_sql(user, SQLGEN_SQLITE, ENT ":department sw \"R\"",
               "(json_type(r.fdoc, '$.\"" ENT "\".\"department\"') = 'text'"
               " AND instr(json_extract(r.fdoc, '$.\"" ENT
               "\".\"department\"'), ?) = 1)", "r");
    expect_sql(user, SQLGEN_SQLITE, "active eq true",
               "(json_type(r.fdoc, '$.\"active\"') = 'true')", NULL);
    expect_sql(user, SQLGEN_SQLITE, "emails[type eq \"work\"]",
               "EXISTS (SELECT 1 FROM json_each(r.fdoc, '$.\"emails\"') AS "
               "e WHERE ((json_type(e.value, '$.\"type\"') = 'text' AND "
               "json_extract(e.value, '$.\"type\"') = ?)))", "work");
    expect_sql(user, SQLGEN_SQLITE, "not (userName eq \"x\")",
               "(NOT coalesce(r.name_key = ?, FALSE))", "x");
    expect_sql(user, SQLGEN_SQLITE, "userName ne \"x\"",
               "(NOT coalesce((json_type(r.fdoc, '$.\"userName\"') = 'text'"
               " AND json_extract(r.fdoc, '$.\"userName\"') = ?), FALSE))",
               "x");
    expect_sql(user, SQLGEN_SQLITE, "meta.created gt "
               "\"2024-01-01T01:00:00+01:00\"",
               "(json_type(r.fdoc, '$.\"meta\".\"created\"') = 'text' AND "
               "json_extract(r.fdoc, '$.\"meta\".\"created\"') > ?)",
               "2024-01-01T00:00:00.0000000Z");
    expect_sql(user, SQLGEN_SQLITE, "password pr", "FALSE", NULL);
}

/* Literals are parameters: PostgreSQL numbering follows earlier ones. */
static void
test_shape_params(void **state)
{
    struct filter_node *f = parse(user, TX ":level ge 2 and "
                                  TX ":score lt 1.5");
    struct scim_error err;
    struct sql_buf b;

    (void)state;
    sql_buf_init(&b, SQLGEN_PG);
    sql_buf_add(&b, "r.tenant_id = ");
    sql_buf_int(&b, 7);
    sql_buf_add(&b, " AND ");
    assert_int_equal(sqlgen_where(&b, f, &err), SCIM_OK);
    assert_non_null(strstr(b.sql, ">= $2::numeric"));
    assert_non_null(strstr(b.sql, "< $3::numeric"));
    assert_int_equal(b.nparams, 3);
    assert_int_equal(b.params[1].type, SQL_P_INT);
    assert_int_equal(b.params[1].i, 2);
    assert_int_equal(b.params[2].type, SQL_P_REAL);
    assert_true(b.params[2].d == 1.5);
    sql_buf_free(&b);
    filter_free(f);
}

/* ---- Same answers as filter_match ---------------------------------------- */

static const char *const filters[] = {
    "userName eq \"BJENSEN\"",
    "userName eq \"STRASSE\"",
    "userName eq \"élodie\"",
    "userName ne \"bjensen\"",
    "userName co \"SS\"",
    "userName sw \"B\"",
    "userName ew \"DIE\"",
    "userName co \"%\"",
    "userName co \"_\"",
    "nickName co \"%_\"",
    "nickName sw \"\"",
    "userName gt \"o\"",
    "userName le \"percent%user\"",
    "userName lt \"zz\"",
    "id eq \"id-1\"",
    "id eq \"ID-1\"",
    "externalId eq \"AbC-1\"",
    "externalId eq \"abc-1\"",
    "externalId pr",
    "displayName eq \"babs jensen\"",
    "displayName co \"[x] (and)\"",
    "displayName eq \"JÜRGEN STRASSE\"",
    "name.familyName eq \"STRASSE\"",
    "name.givenName pr",
    "name pr",
    "name[givenName sw \"z\"]",
    "title pr",
    "not (title pr)",
    "title eq null",
    "title ne null",
    "emails.value eq \"BJENSEN@example.com\"",
    "emails eq \"babs@home.org\"",
    "emails co \"EXAMPLE\"",
    "emails.value ew \".org\"",
    "emails.type eq \"work\"",
    "emails.type ne \"work\"",
    "emails[type eq \"work\" and value co \"y.org\"]",
    "emails[type eq \"home\" and value co \"y.org\"]",
    "emails[value eq \"p%u@x.org\"]",
    "emails[not (type eq \"work\")]",
    "emails[type eq \"work\" or primary eq true]",
    "emails[type eq \"work\"] and not (emails[primary eq true])",
    "emails pr",
    "emails eq null",
    "emails.primary eq true",
    "emails.primary pr",
    "active eq true",
    "active eq false",
    "active ne true",
    "meta.created gt \"2024-01-01T00:00:00Z\"",
    "meta.created eq \"2024-01-02T04:04:05+01:00\"",
    "meta.created lt \"2024-01-02T04:04:05+01:00\"",
    "meta.created le \"2024-01-02T04:04:05+01:00\"",
    "meta.created ge \"2023-06-01T12:00:00.1234567Z\"",
    "meta.lastModified ge \"2024-07-01T01:00:00.5Z\"",
    ENT ":department eq \"r&d\"",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
    "manager.value eq \"M-1\"",
    "department pr",
    TX ":level gt 2",
    TX ":level ge 2.5",
    TX ":level eq 10",
    TX ":level lt 0.5",
    TX ":level ne 3",
    TX ":score lt 2.5",
    TX ":score eq 2.5",
    TX ":score ne 2.5",
    TX ":score ge -1",
    TX ":score eq 0",
    TX ":flag eq true",
    TX ":flag eq false",
    TX ":flag pr",
    TX ":tags eq \"BLUE\"",
    TX ":tags co \"e\"",
    TX ":tags pr",
    TX ":tags eq \"GRÜN\"",
    TX ":tags[value sw \"gr\"]",
    TX ":tags[not (value eq \"red\")]",
    TX ":since gt \"2023-12-31T23:00:00Z\"",
    TX ":since ge \"2024-01-01T00:00:00+01:00\"",
    TX ":since le \"2023-12-31T23:00:00.0000001Z\"",
    TX ":code eq \"HTTP://x.EXAMPLE/a\"",
    TX ":code sw \"urn:z\"",
    TX ":code pr",
    "schemas eq \"urn:ietf:params:scim:schemas:core:2.0:user\"",
    "schemas eq \"" TX "\"",
    "schemas pr",
    "userName eq \"bjensen\" or userName eq \"dup\" and active eq false",
    "(userName eq \"bjensen\" or userName eq \"dup\") and active eq true",
    "not (userName eq \"bjensen\" or emails pr)",
    "not (not (active eq true))",
    "not (active eq true) and not (" TX ":flag eq true)",
    "password eq \"secret\"",
    "password pr",
    "not (password pr)",
    "nickName eq null",
    "nickName ne \"élo\"",
    "x509Certificates pr",
    "x509Certificates.value pr",
};

static void
test_matches_filter_match(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
        same_as_match(user, filters[i]);
    same_as_match(group, "displayName eq \"ADMINS\"");
    same_as_match(group, "displayName sw \"s\" or id eq \"gid-3\"");
}

/* SQLite refuses expression trees deeper than 1000: chains are balanced. */
static void
test_long_chain(void **state)
{
    size_t n = 900, i;
    char *text = malloc(n * 32), *p = text;

    (void)state;
    assert_non_null(text);
    for (i = 0; i < n; i++)
        p += sprintf(p, "%suserName eq \"u%zu\"", i > 0 ? " or " : "", i);
    p += sprintf(p, " or userName eq \"zed\"");
    same_as_match(user, text);
    free(text);
}

static void
test_members(void **state)
{
    (void)state;
    expect_ids(group, "members.value eq \"id-1\"", "gid-1,gid-2");
    expect_ids(group, "members[value eq \"id-2\"]", "gid-1");
    expect_ids(group, "members.value eq \"gid-1\"", "gid-2");
    expect_ids(group, "members.value eq \"id-11\"", "");
    expect_ids(group, "members pr", "gid-1,gid-2");
    expect_ids(group, "not (members pr)", "gid-3");
    expect_ids(group, "members eq null", "gid-3");
    expect_ids(group, "members.value ne \"id-1\"", "gid-3");
    expect_ids(group, "members[type eq \"Group\"]", "gid-2");
    expect_ids(group, "members[value sw \"id-\" and not (value eq "
               "\"id-1\")]", "gid-1");
    expect_ids(group, "members eq \"id-2\" or displayName eq \"empty\"",
               "gid-1,gid-3");
    expect_ids(user, "groups.value eq \"gid-1\"", "id-1,id-2");
    expect_ids(user, "groups[value eq \"gid-2\"]", "id-1");
    expect_ids(user, "groups pr and userName sw \"s\"", "id-2");
    expect_ids(user, "emails.value eq \"bjensen@EXAMPLE.com\"", "id-1");
}

static void
test_refused(void **state)
{
    struct scim_error err;
    struct sql_buf b;

    (void)state;
    assert_int_equal(compile(group, SQLGEN_SQLITE, "members.display eq "
                             "\"x\"", &b, &err), SCIM_EINVAL);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.scim_type, "invalidFilter");
    assert_string_equal(err.attr, "members.display");
    sql_buf_free(&b);
}

/* ---- Sorting ------------------------------------------------------------- */

static void
sort_is(const char *path, int desc, const char *want)
{
    struct scim_attr_ref ref;
    char got[512];

    assert_int_equal(rtype_resolve(user, path, strlen(path), &ref),
                     SCIM_OK);
    db_ids(user, SQLGEN_SQLITE, NULL, &ref, desc, got, sizeof(got));
    assert_string_equal(got, want);
    if (pg == NULL)
        return;
    db_ids(user, SQLGEN_PG, NULL, &ref, desc, got, sizeof(got));
    assert_string_equal(got, want);
}

static void
test_order(void **state)
{
    (void)state;
    /* Folded: "élodie" sorts after the ASCII letters (code points). */
    sort_is("userName", 0, "id-1,id-7,id-6,id-4,id-5,id-2,id-10,id-8,id-9,"
            "id-3");
    sort_is(TX ":level", 0, "id-7,id-10,id-3,id-1,id-2,id-4,id-5,id-6,"
            "id-8,id-9");
    /* Missing values come first in descending order (RFC 7644). */
    sort_is(TX ":level", 1, "id-4,id-5,id-6,id-8,id-9,id-2,id-1,id-3,"
            "id-10,id-7");
    sort_is(TX ":score", 0, "id-2,id-10,id-7,id-1,id-3,id-4,id-5,id-6,"
            "id-8,id-9");
    /* Primary email, else the first one. */
    sort_is("emails", 0, "id-7,id-1,id-3,id-2,id-5,id-4,id-6,id-8,id-9,"
            "id-10");
    sort_is("emails.type", 0, "id-3,id-7,id-1,id-2,id-5,id-4,id-6,id-8,"
            "id-9,id-10");
    /* Instants, not text: id-8's -01:00 is 2024-01-01T00:30Z, and id-1
       and id-2 were created at the same instant (then by seq). */
    sort_is("meta.created", 0, "id-3,id-8,id-1,id-2,id-4,id-5,id-6,id-7,"
            "id-9,id-10");
    sort_is("active", 1, "id-4,id-5,id-6,id-8,id-10,id-1,id-3,id-7,id-9,"
            "id-2");
}

static void
test_order_refused(void **state)
{
    struct scim_attr_ref ref;
    struct scim_error err;
    struct sql_buf b;

    (void)state;
    assert_int_equal(rtype_resolve(user, "name", 4, &ref), SCIM_OK);
    sql_buf_init(&b, SQLGEN_SQLITE);
    scim_error_clear(&err);
    assert_int_equal(sqlgen_order(&b, &ref, &err), SCIM_EINVAL);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.attr, "sortBy");
    sql_buf_free(&b);
}

/* ---- Indexes ------------------------------------------------------------- */

/* The EXPLAIN QUERY PLAN lines of the search for text, one per line. */
static void
sqlite_plan(const char *text, char *out, size_t size)
{
    struct scim_error err;
    struct sql_buf b, e;
    sqlite3_stmt *st;
    size_t i;

    assert_int_equal(build_select(user, SQLGEN_SQLITE, text, NULL, 0, &b,
                                  &err), SCIM_OK);
    sql_buf_init(&e, SQLGEN_SQLITE);
    sql_buf_add(&e, "EXPLAIN QUERY PLAN ");
    sql_buf_add(&e, b.sql);
    assert_int_equal(sqlite3_prepare_v2(db, e.sql, -1, &st, NULL),
                     SQLITE_OK);
    for (i = 0; i < b.nparams; i++)
        if (b.params[i].type == SQL_P_TEXT)
            sqlite3_bind_text(st, (int)i + 1, b.params[i].text, -1,
                              SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, (int)i + 1, b.params[i].i);
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        strncat(out, (const char *)sqlite3_column_text(st, 3),
                size - strlen(out) - 2);
        strcat(out, "\n");
    }
    sqlite3_finalize(st);
    sql_buf_free(&e);
    sql_buf_free(&b);
}

static void
plan_has(const char *text, const char *want)
{
    char plan[2048];

    sqlite_plan(text, plan, sizeof(plan));
    if (strstr(plan, want) == NULL)
        print_error("%s\n%s", text, plan);
    assert_non_null(strstr(plan, want));
}

static void
test_plan_sqlite(void **state)
{
    (void)state;
    plan_has("userName eq \"bjensen\"",
             "SEARCH r USING INDEX resources_name (tenant_id=? AND rtype=? "
             "AND name_key=?)");
    plan_has("id eq \"id-1\"",
             "SEARCH r USING INDEX resources_id (tenant_id=? AND id=?)");
    plan_has("externalId eq \"AbC-1\"",
             "SEARCH r USING INDEX resources_ext (tenant_id=? AND rtype=? "
             "AND external_id=?)");
    plan_has("displayName eq \"babs jensen\"",
             "SEARCH r USING INDEX resources_display (tenant_id=? AND "
             "rtype=? AND display_key=?)");
    plan_has("emails.value eq \"b@y.org\"",
             "SEARCH emails USING INDEX emails_key (tenant_id=? AND "
             "value_key=?)");
    plan_has("emails[value eq \"b@y.org\"]",
             "SEARCH emails USING INDEX emails_key (tenant_id=? AND "
             "value_key=?)");
    plan_has("groups.value eq \"gid-1\"",
             "SEARCH u USING COVERING INDEX resources_id (tenant_id=? AND "
             "id=?)");
    /* With statistics of a real tenant, the email lookup drives the
       search by rowid. The filler rows have another resource type. */
    sqlite_exec("WITH RECURSIVE c(i) AS (SELECT 100 UNION ALL SELECT i + 1 "
                "FROM c WHERE i < 3000) INSERT INTO resources SELECT i, 1, "
                "'Filler', 'f' || i, NULL, NULL, NULL, 1, 1, '', '', '{}', "
                "'{}', NULL FROM c");
    sqlite_exec("INSERT INTO emails SELECT seq, 1, id || '@f.org' FROM "
                "resources WHERE rtype = 'Filler'");
    sqlite_exec("ANALYZE");
    plan_has("emails.value eq \"b@y.org\"",
             "SEARCH r USING INTEGER PRIMARY KEY (rowid=?)");
}

static void
test_plan_pg(void **state)
{
    char plan[4096];
    struct scim_error err;
    struct sql_buf b, e;
    PGresult *res;
    const char *v[4];
    int i;

    (void)state;
    if (pg == NULL) {
        print_message("SCIMD_TEST_PG is not set: PostgreSQL skipped\n");
        skip();
    }
    pg_exec("SET enable_seqscan = off");
    assert_int_equal(build_select(user, SQLGEN_PG, "emails.value eq "
                                  "\"b@y.org\"", NULL, 0, &b, &err),
                     SCIM_OK);
    sql_buf_init(&e, SQLGEN_PG);
    sql_buf_add(&e, "EXPLAIN ");
    sql_buf_add(&e, b.sql);
    v[0] = "1";
    for (i = 1; i < (int)b.nparams; i++)
        v[i] = b.params[i].text;
    res = PQexecParams(pg, e.sql, (int)b.nparams, NULL, v, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    plan[0] = '\0';
    for (i = 0; i < PQntuples(res); i++) {
        strncat(plan, PQgetvalue(res, i, 0), sizeof(plan) - strlen(plan)
                - 2);
        strcat(plan, "\n");
    }
    PQclear(res);
    if (strstr(plan, "emails_key") == NULL)
        print_error("%s", plan);
    assert_non_null(strstr(plan, "emails_key"));
    pg_exec("RESET enable_seqscan");
    sql_buf_free(&e);
    sql_buf_free(&b);
}

/* Says once, visibly, whether the PostgreSQL half of the tests ran. */
static void
test_pg_available(void **state)
{
    (void)state;
    if (pg == NULL) {
        print_message("SCIMD_TEST_PG is not set: PostgreSQL skipped\n");
        skip();
    }
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
}

/* ---- Third-party vectors ------------------------------------------------- */

/*
 * The evaluation cases of ../shared/vectors/filters.json whose filter
 * parses against User: their documents are not normalised (nulls, "",
 * [], odd types), which is where SQL and C most easily part ways.
 */
static int
vec_case(const json_t *c, int64_t tenant, struct row *vr, size_t *nvr)
{
    const char *text = json_string_value(json_object_get(c, "filter"));
    const json_t *res = json_object_get(c, "resources"), *d;
    struct filter_node *f = NULL;
    struct scim_ctx ctx;
    char want[1024] = "", got[1024], idbuf[32];
    size_t k, first = *nvr;

    scim_ctx_init(&ctx, NULL, reg);
    if (text == NULL || !json_is_array(res)
        || filter_parse(&ctx, user, text, &f) != SCIM_OK) {
        scim_ctx_clear(&ctx);
        return 0;
    }
    scim_ctx_clear(&ctx);
    json_array_foreach(res, k, d) {
        struct row *r = &vr[(*nvr)++];

        r->seq = 1000 * tenant + (int64_t)k;
        r->tenant = tenant;
        r->rtype = "User";
        r->doc = json_incref((json_t *)d);
        r->fdoc = resource_fold(user, d);
        assert_non_null(r->fdoc);
        sqlite_insert_row(r);
        each_email(r, sqlite_insert_email);
        if (pg != NULL) {
            pg_insert_row(r);
            each_email(r, pg_insert_email);
        }
        if (filter_match(f, d))
            list_add(want, sizeof(want), row_id(r, idbuf, sizeof(idbuf)));
    }
    filter_free(f);
    cur_tenant = tenant;
    db_ids(user, SQLGEN_SQLITE, text, NULL, 0, got, sizeof(got));
    if (strcmp(got, want) != 0)
        print_error("sqlite, %s: %s\n", json_string_value(json_object_get(
                        c, "id")), text);
    assert_string_equal(got, want);
    if (pg != NULL) {
        db_ids(user, SQLGEN_PG, text, NULL, 0, got, sizeof(got));
        assert_string_equal(got, want);
    }
    cur_tenant = 1;
    return *nvr > first;
}

static void
test_vectors(void **state)
{
    const char *path = getenv("SCIMD_VECTORS_FILTERS");
    json_t *cases, *c;
    struct row *vr;
    sqlite3 *main_db = db;
    size_t i, nvr = 0, n = 0;

    (void)state;
    cases = json_load_file(path != NULL ? path
                           : "../shared/vectors/filters.json", 0, NULL);
    if (cases == NULL) {
        print_message("filters.json not found: vectors skipped\n");
        skip();
    }
    vr = calloc(4096, sizeof(*vr));
    assert_non_null(vr);
    sqlite_create(0);
    if (pg != NULL)
        pg_create("sqlgen_v", 0);
    json_array_foreach(cases, i, c)
        if (nvr + 64 < 4096)
            n += (size_t)vec_case(c, (int64_t)i + 10, vr, &nvr);
    print_message("%zu vector cases agree with filter_match\n", n);
    assert_true(n >= 20);
    for (i = 0; i < nvr; i++) {
        json_decref(vr[i].doc);
        json_decref(vr[i].fdoc);
    }
    free(vr);
    json_decref(cases);
    sqlite3_close(db);
    db = main_db;
    if (pg != NULL) {
        char sql[128];

        snprintf(sql, sizeof(sql), "DROP SCHEMA sqlgen_v_%ld CASCADE; "
                 "SET search_path TO sqlgen_t_%ld", (long)getpid(),
                 (long)getpid());
        pg_exec(sql);
    }
}

/* ---- Allocation failures ------------------------------------------------- */

static void
test_alloc_failures(void **state)
{
    struct filter_node *f = parse(user, "emails[type eq \"work\" and not "
                                  "(value co \"X\")] or userName eq \"Ä\" "
                                  "or " TX ":level gt 2 or title pr");
    struct scim_error err;
    struct sql_buf b;
    long n;
    int rc = SCIM_ENOMEM;

    (void)state;
    for (n = 1; rc == SCIM_ENOMEM && n < 200; n++) {
        sql_buf_init(&b, n % 2 ? SQLGEN_PG : SQLGEN_SQLITE);
        scim_alloc_fail_after(n);
        rc = sqlgen_where(&b, f, &err);
        scim_alloc_fail_after(0);
        assert_true(rc == SCIM_OK || rc == SCIM_ENOMEM);
        sql_buf_free(&b);
    }
    assert_int_equal(rc, SCIM_OK);
    filter_free(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_fast_paths),
        cmocka_unit_test(test_shape_general),
        cmocka_unit_test(test_shape_params),
        cmocka_unit_test(test_matches_filter_match),
        cmocka_unit_test(test_long_chain),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_order_refused),
        cmocka_unit_test(test_plan_sqlite),
        cmocka_unit_test(test_plan_pg),
        cmocka_unit_test(test_pg_available),
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_alloc_failures),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
