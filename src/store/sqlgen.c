/* SPDX-License-Identifier: MIT */
/*
 * The filter compiler: a resolved filter AST becomes one SQL boolean
 * expression over "resources r", for SQLite (json_extract, json_each)
 * or PostgreSQL (jsonb operators), with every literal bound as a
 * parameter. Comparisons read r.fdoc, the folded copy of the document,
 * against a folded (or dateTime-canonical) literal, so plain equality
 * and byte order give the answers filter_match() gives in memory. eq on
 * id, externalId, userName, displayName and emails.value, and member
 * lookups, go to indexed key columns and tables instead. Each operator
 * has its own small emitter; see docs/internals/sqlgen.md.
 */
#include <string.h>

#include "fold.h"
#include "sqlgen.h"

/* Where the attributes of a (sub)filter live. */
enum scope {
    SC_TOP,         /* the resource itself */
    SC_ELEM,        /* inside attr[...] of a multi-valued attribute */
    SC_COMPLEX,     /* inside attr[...] of a single complex attribute */
    SC_MEMBER,      /* inside members[...]: rows m (members), u (member) */
    SC_GROUP        /* inside groups[...]: rows m (members), u (group) */
};

/* How a comparison reaches its values. */
enum iter {
    IT_NONE,        /* one value in the document */
    IT_JSON,        /* any element of a JSON array */
    IT_MEMBERS,     /* any member of the group r */
    IT_GROUPS       /* any group that holds the user r */
};

/*
 * A value's location: a JSON path below r.fdoc or below the current
 * array element (elem: SQLite json_each row e, PostgreSQL row e(v); with
 * no path, the element itself), or an SQL text column (col_kind).
 */
struct loc {
    int col_kind;
    const char *col;
    int lower;          /* compare lower(value), see leaf_lower() */
    int elem;
    const char *seg[3];
    int nseg;
};

struct gen {
    struct sql_buf *b;
    struct scim_error *err;
    int pg;
};

static int gen_node(struct gen *g, const struct filter_node *f,
                    enum scope sc);

/* ---- Text ------------------------------------------------------------- */

static void
put(struct gen *g, const char *s)
{
    sql_buf_add(g->b, s);
}

/* A text parameter; PostgreSQL gets a cast so overloads resolve. */
static void
put_ptext(struct gen *g, const char *s)
{
    sql_buf_text(g->b, s);
    if (g->pg)
        put(g, "::text");
}

static void
put_false(struct gen *g)
{
    put(g, "FALSE");
}

/* 400 invalidFilter: detail, then the attribute as the client wrote it. */
static int
failf(struct gen *g, const struct filter_attr *a, const char *detail)
{
    const char *text = a != NULL && a->text != NULL ? a->text : NULL;

    if (text == NULL)
        return scim_failf(g->err, 400, SCIM_CAUSE_INVALID_FILTER,
                          "invalidFilter", "filter", "%s.", detail);
    return scim_failf(g->err, 400, SCIM_CAUSE_INVALID_FILTER,
                      "invalidFilter", text, "%s (attribute '%s').", detail,
                      text);
}

/*
 * Names are spliced into JSON paths inside SQL string literals, so the
 * characters that could end a quoted path segment or the literal are
 * refused. Registry names never hold them; this guards the invariant.
 */
static int
safe_name(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s == '"' || *s == '\'' || *s == '\\'
            || (unsigned char)*s < 0x20)
            return 0;
    return 1;
}

/* '$."a"."b"' for SQLite, '{"a","b"}' for PostgreSQL. */
static void
put_path(struct gen *g, const struct loc *l)
{
    int i;

    put(g, g->pg ? "'{" : "'$");
    for (i = 0; i < l->nseg; i++) {
        if (g->pg && i > 0)
            put(g, ",");
        put(g, g->pg ? "\"" : ".\"");
        put(g, l->seg[i]);
        put(g, "\"");
    }
    put(g, g->pg ? "}'" : "'");
}

static const char *
base_of(const struct gen *g, const struct loc *l)
{
    if (!l->elem)
        return "r.fdoc";
    return g->pg ? "e.v" : "e.value";
}

/* PostgreSQL only: the jsonb value at l. */
static void
put_json(struct gen *g, const struct loc *l)
{
    put(g, "(");
    put(g, base_of(g, l));
    if (l->nseg > 0) {
        put(g, " #> ");
        put_path(g, l);
    }
    put(g, ")");
}

/* The scalar at l: SQL text/number (SQLite), text (PostgreSQL). */
static void
put_val(struct gen *g, const struct loc *l)
{
    if (l->col_kind) {
        put(g, l->col);
    } else if (g->pg) {
        put(g, "(");
        put(g, base_of(g, l));
        put(g, " #>> ");
        put_path(g, l);
        put(g, ")");
    } else if (l->elem && l->nseg == 0) {
        put(g, "e.value");
    } else {
        put(g, "json_extract(");
        put(g, base_of(g, l));
        put(g, ", ");
        put_path(g, l);
        put(g, ")");
    }
}

/* The JSON type name of the value at l, NULL when absent. */
static void
put_type(struct gen *g, const struct loc *l)
{
    if (l->col_kind) {
        put(g, g->pg ? "'string'" : "'text'");
    } else if (g->pg) {
        put(g, "jsonb_typeof");
        put_json(g, l);
    } else if (l->elem && l->nseg == 0) {
        put(g, "e.type");
    } else {
        put(g, "json_type(");
        put(g, base_of(g, l));
        put(g, ", ");
        put_path(g, l);
        put(g, ")");
    }
}

/* ---- Locations -------------------------------------------------------- */

static int
add_seg(struct gen *g, struct loc *l, const char *name)
{
    if (name == NULL || !safe_name(name))
        return failf(g, NULL, "The store cannot address this attribute");
    l->seg[l->nseg++] = name;
    return SCIM_OK;
}

/* The attribute a (and its sub-attribute when with_sub) in r.fdoc. */
static int
doc_loc(struct gen *g, const struct filter_attr *a, int with_sub,
        struct loc *l)
{
    int rc = SCIM_OK;

    memset(l, 0, sizeof(*l));
    if (a->ext)
        rc = add_seg(g, l, a->ref.schema->id);
    if (rc == SCIM_OK)
        rc = add_seg(g, l, a->ref.attr->name);
    if (rc == SCIM_OK && with_sub && a->ref.sub != NULL)
        rc = add_seg(g, l, a->ref.sub->name);
    return rc;
}

/* The current array element, or its sub-attribute sub. */
static int
elem_loc(struct gen *g, const struct scim_attr *sub, struct loc *l)
{
    memset(l, 0, sizeof(*l));
    l->elem = 1;
    return sub != NULL ? add_seg(g, l, sub->name) : SCIM_OK;
}

static int
is_core(const struct scim_attr_ref *ref, const char *schema,
        const char *name)
{
    return ref->schema != NULL && ref->attr != NULL
           && strcmp(ref->schema->id, schema) == 0
           && strcmp(ref->attr->name, name) == 0;
}

/* Group members and a user's groups live in the members table. */
static enum iter
member_iter(const struct filter_attr *a)
{
    if (a->ext)
        return IT_NONE;
    if (is_core(&a->ref, SCIM_SCHEMA_GROUP, "members"))
        return IT_MEMBERS;
    if (is_core(&a->ref, SCIM_SCHEMA_USER, "groups"))
        return IT_GROUPS;
    return IT_NONE;
}

/*
 * A member row: "value" is the member's (or group's) id, "type" its
 * resource type, or "direct" for a user's groups. caseExact=false
 * compares lower(): ids and type names are ASCII, where lower() is the
 * case folding.
 * Limitation: a user's groups are its direct memberships only; nested
 * groups are not followed (RFC 7643 4.1.2 allows "indirect" ones).
 */
static int
member_loc(struct gen *g, const struct filter_node *f, enum scope sc,
           struct loc *l)
{
    const struct scim_attr *s = f->attr.ref.sub;
    const char *name = s != NULL ? s->name : "value";
    int fold = s != NULL && !s->case_exact;

    memset(l, 0, sizeof(*l));
    l->col_kind = 1;
    if (strcmp(name, "value") == 0)
        l->col = fold ? "lower(u.id)" : "u.id";
    else if (strcmp(name, "type") == 0 && sc == SC_MEMBER)
        l->col = fold ? "lower(u.rtype)" : "u.rtype";
    else if (strcmp(name, "type") == 0)
        l->col = "'direct'";
    else
        /* Limitation: member display and $ref are not stored as such;
           filters on them are refused rather than answered wrongly. */
        return failf(g, &f->attr, "The store can filter members and "
                     "groups on value and type only");
    return SCIM_OK;
}

/* Where the values compared by leaf f are, and how to reach them. */
static int
locate(struct gen *g, const struct filter_node *f, enum scope sc,
       struct loc *l, enum iter *it)
{
    const struct filter_attr *a = &f->attr;

    memset(l, 0, sizeof(*l));
    *it = IT_NONE;
    if (a->ref.attr == NULL || a->ref.schema == NULL)
        return failf(g, a, "The store needs a resolved attribute");
    switch (sc) {
    case SC_MEMBER:
    case SC_GROUP:
        return member_loc(g, f, sc, l);
    case SC_ELEM:
        return elem_loc(g, a->ref.sub, l);
    case SC_COMPLEX:
        return doc_loc(g, a, 1, l);
    case SC_TOP:
        break;
    }
    if ((*it = member_iter(a)) != IT_NONE)
        return member_loc(g, f, *it == IT_MEMBERS ? SC_MEMBER : SC_GROUP,
                          l);
    /* Limitation: a multi-valued sub-attribute is read as one value. */
    if (a->ref.attr->multi_valued) {
        *it = IT_JSON;
        return elem_loc(g, a->ref.sub, l);
    }
    return doc_loc(g, a, 1, l);
}

/* ---- Iteration -------------------------------------------------------- */

/*
 * Opens "EXISTS (... WHERE " over the values of a; close with ")".
 * Limitation: in SQLite, an element that is not an object while the
 * schema says complex makes json_extract fail the query; stored
 * documents are validated, so only a corrupted row can do that.
 */
static int
open_iter(struct gen *g, const struct filter_attr *a, enum iter it)
{
    struct loc arr;
    int rc;

    if (it == IT_MEMBERS || it == IT_GROUPS) {
        put(g, "EXISTS (SELECT 1 FROM members m JOIN resources u ON ");
        put(g, it == IT_MEMBERS
               ? "u.seq = m.member_seq WHERE m.group_seq = r.seq AND "
               : "u.seq = m.group_seq WHERE m.member_seq = r.seq AND ");
        return SCIM_OK;
    }
    if ((rc = doc_loc(g, a, 0, &arr)) != SCIM_OK)
        return rc;
    if (!g->pg) {
        put(g, "EXISTS (SELECT 1 FROM json_each(r.fdoc, ");
        put_path(g, &arr);
        put(g, ") AS e WHERE ");
        return SCIM_OK;
    }
    /* jsonb_array_elements fails on a non-array; treat it as empty. */
    put(g, "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN "
           "jsonb_typeof");
    put_json(g, &arr);
    put(g, " = 'array' THEN ");
    put_json(g, &arr);
    put(g, " ELSE '[]'::jsonb END) AS e(v) WHERE ");
    return SCIM_OK;
}

/* ---- Operators ------------------------------------------------------- */

/* Whether child p (of an array or object) is present, one level deep. */
static void
put_child_present(struct gen *g)
{
    if (g->pg)
        put(g, "CASE jsonb_typeof(p.v) WHEN 'null' THEN FALSE WHEN 'string' "
               "THEN p.v #>> '{}' <> '' WHEN 'array' THEN p.v <> '[]'::jsonb "
               "WHEN 'object' THEN p.v <> '{}'::jsonb ELSE TRUE END)");
    else
        put(g, "CASE p.type WHEN 'null' THEN FALSE WHEN 'text' THEN "
               "p.value <> '' WHEN 'array' THEN p.value <> '[]' WHEN "
               "'object' THEN p.value <> '{}' ELSE TRUE END)");
}

/*
 * An array or object is present when one of its children is. SCIM
 * documents nest two levels at most below a pr (element, then its
 * sub-attributes), so looking one level down is exact for them.
 */
static void
put_children(struct gen *g, const struct loc *l, int object)
{
    put(g, "EXISTS (SELECT 1 FROM ");
    if (g->pg) {
        put(g, object ? "jsonb_each" : "jsonb_array_elements");
        put_json(g, l);
        put(g, object ? " AS p(k, v) WHERE " : " AS p(v) WHERE ");
    } else {
        put(g, "json_each(");
        put(g, base_of(g, l));
        if (!l->elem || l->nseg > 0) {
            put(g, ", ");
            put_path(g, l);
        }
        put(g, ") AS p WHERE ");
    }
    put_child_present(g);
}

/*
 * pr (RFC 7644 3.4.2.2): not null, not "", and for an array or object
 * at least one present child, as filter_match() reads it. Never NULL.
 */
static void
put_present(struct gen *g, const struct loc *l)
{
    if (l->col_kind) {
        put(g, "(");
        put_val(g, l);
        put(g, " IS NOT NULL AND ");
        put_val(g, l);
        put(g, " <> '')");
        return;
    }
    put(g, "(CASE coalesce(");
    put_type(g, l);
    put(g, ", 'null') WHEN 'null' THEN FALSE WHEN ");
    put(g, g->pg ? "'string'" : "'text'");
    put(g, " THEN ");
    put_val(g, l);
    put(g, " <> '' WHEN 'array' THEN ");
    put_children(g, l, 0);
    put(g, " WHEN 'object' THEN ");
    put_children(g, l, 1);
    put(g, " ELSE TRUE END)");
}

/* The value compared as text, lower-cased when l->lower says so. */
static void
put_cmp_val(struct gen *g, const struct loc *l)
{
    if (l->lower)
        put(g, "lower(");
    put_val(g, l);
    if (l->lower)
        put(g, ")");
}

static const char *
order_sym(enum filter_op op)
{
    switch (op) {
    case FILTER_GT: return " > ";
    case FILTER_GE: return " >= ";
    case FILTER_LT: return " < ";
    case FILTER_LE: return " <= ";
    default: return " = ";
    }
}

/* co, sw, ew: exact string functions, so no LIKE escaping is needed. */
static void
put_substr_op(struct gen *g, const struct loc *l, enum filter_op op,
              const char *lit)
{
    if (op == FILTER_CO) {
        put(g, g->pg ? "strpos(" : "instr(");
        put_cmp_val(g, l);
        put(g, ", ");
        put_ptext(g, lit);
        put(g, ") > 0");
    } else if (op == FILTER_SW) {
        put(g, g->pg ? "starts_with(" : "instr(");
        put_cmp_val(g, l);
        put(g, ", ");
        put_ptext(g, lit);
        put(g, g->pg ? ")" : ") = 1");
    } else if (g->pg) {
        put(g, "right(");
        put_cmp_val(g, l);
        put(g, ", length(");
        put_ptext(g, lit);
        put(g, ")) = ");
        put_ptext(g, lit);
    } else {
        put(g, "substr(");
        put_cmp_val(g, l);
        put(g, ", -length(");
        put_ptext(g, lit);
        put(g, ")) = ");
        put_ptext(g, lit);
    }
}

/*
 * A string comparison. Ordering is by code point: SQLite's BINARY
 * collation on UTF-8, PostgreSQL's "C" collation.
 */
static void
put_text_cmp(struct gen *g, const struct loc *l, enum filter_op op,
             const char *lit)
{
    int substr = op == FILTER_CO || op == FILTER_SW || op == FILTER_EW;

    put(g, "(");
    put_type(g, l);
    put(g, g->pg ? " = 'string'" : " = 'text'");
    if (substr && lit[0] == '\0') {
        put(g, ")");        /* every string contains "" */
        return;
    }
    put(g, " AND ");
    if (substr) {
        put_substr_op(g, l, op, lit);
    } else {
        put_cmp_val(g, l);
        if (g->pg && op != FILTER_EQ)
            put(g, " COLLATE \"C\"");
        put(g, order_sym(op));
        put_ptext(g, lit);
    }
    put(g, ")");
}

static void
put_num_param(struct gen *g, const json_t *v)
{
    if (json_is_integer(v))
        sql_buf_int(g->b, (int64_t)json_integer_value(v));
    else
        sql_buf_real(g->b, json_real_value(v));
    if (g->pg)
        put(g, "::numeric");
}

/* Numbers compare numerically; PostgreSQL casts only real numbers. */
static void
put_num_cmp(struct gen *g, const struct loc *l, enum filter_op op,
            const json_t *v)
{
    if (op == FILTER_CO || op == FILTER_SW || op == FILTER_EW) {
        put_false(g);
        return;
    }
    if (g->pg) {
        put(g, "(CASE WHEN ");
        put_type(g, l);
        put(g, " = 'number' THEN ");
        put_val(g, l);
        put(g, "::numeric");
        put(g, order_sym(op));
        put_num_param(g, v);
        put(g, " ELSE FALSE END)");
        return;
    }
    put(g, "(");
    put_type(g, l);
    put(g, " IN ('integer', 'real') AND ");
    put_val(g, l);
    put(g, order_sym(op));
    put_num_param(g, v);
    put(g, ")");
}

/* Booleans: only eq is meaningful (the parser refuses ordering). */
static void
put_bool_cmp(struct gen *g, const struct loc *l, enum filter_op op,
             int value)
{
    if (op != FILTER_EQ) {
        put_false(g);
        return;
    }
    put(g, "(");
    put_type(g, l);
    if (!g->pg) {
        put(g, value ? " = 'true')" : " = 'false')");
        return;
    }
    put(g, " = 'boolean' AND ");
    put_val(g, l);
    put(g, value ? " = 'true')" : " = 'false')");
}

/*
 * The literal as the stored fdoc spells it: dateTimes in canonical UTC,
 * caseExact=false strings case-folded. Caller frees with scim_free.
 */
static int
literal_text(struct gen *g, const struct filter_node *f,
             const struct scim_attr *def, char **out)
{
    const char *s = json_string_value(f->value);
    char canon[SCIM_DATETIME_LEN];

    if (def->type == SCIM_AT_DATETIME) {
        if (scim_datetime_canon(s, canon) != 0)
            return failf(g, &f->attr, "The value is not an xsd:dateTime");
        *out = scim_strdup(canon);
    } else if (!def->case_exact) {
        *out = scim_fold(s, json_string_length(f->value));
    } else {
        *out = scim_strdup(s);
    }
    return *out != NULL ? SCIM_OK : SCIM_ENOMEM;
}

/* The definition that governs leaf f's values. */
static const struct scim_attr *
leaf_def(const struct filter_node *f)
{
    return f->attr.ref.sub != NULL ? f->attr.ref.sub : f->attr.ref.attr;
}

/* A comparison with a non-null literal at location l. */
static int
put_cmp(struct gen *g, const struct filter_node *f, enum filter_op op,
        const struct loc *l)
{
    char *lit = NULL;
    int rc;

    if (json_is_number(f->value)) {
        put_num_cmp(g, l, op, f->value);
        return SCIM_OK;
    }
    if (json_is_boolean(f->value)) {
        put_bool_cmp(g, l, op, json_is_true(f->value));
        return SCIM_OK;
    }
    if (!json_is_string(f->value))
        return failf(g, &f->attr, "The store cannot compare this kind of "
                     "value");
    if ((rc = literal_text(g, f, leaf_def(f), &lit)) != SCIM_OK)
        return rc;
    put_text_cmp(g, l, op, lit);
    scim_free(lit);
    return SCIM_OK;
}

/*
 * resource_fold() folds caseExact=false values of type string only; a
 * caseExact=false reference or binary ("schemas", custom attributes)
 * stays as sent and is lower-cased in SQL.
 * Limitation: that is ASCII-only case folding for those types.
 */
static int
leaf_lower(const struct scim_attr *d)
{
    return !d->case_exact
           && (d->type == SCIM_AT_REFERENCE || d->type == SCIM_AT_BINARY);
}

/*
 * Attributes that are never returned (password) read as absent, so a
 * filter cannot probe them; filter_match() does the same.
 */
static int
never_returned(const struct scim_attr_ref *ref)
{
    return (ref->attr != NULL && ref->attr->returned == SCIM_RET_NEVER)
           || (ref->sub != NULL && ref->sub->returned == SCIM_RET_NEVER);
}

/* A comparison or pr on one attribute path, in scope sc. */
static int
gen_leaf(struct gen *g, const struct filter_node *f, enum filter_op op,
         enum scope sc)
{
    struct loc l;
    enum iter it;
    int rc;

    if (never_returned(&f->attr.ref)) {
        put_false(g);
        return SCIM_OK;
    }
    if ((rc = locate(g, f, sc, &l, &it)) != SCIM_OK)
        return rc;
    l.lower = !l.col_kind && leaf_lower(leaf_def(f));
    if (it != IT_NONE && (rc = open_iter(g, &f->attr, it)) != SCIM_OK)
        return rc;
    if (op == FILTER_PR)
        put_present(g, &l);
    else
        rc = put_cmp(g, f, op, &l);
    if (it != IT_NONE)
        put(g, ")");
    return rc;
}

/* NOT that treats an unknown (NULL) operand as false, as filter_match. */
static int
gen_not(struct gen *g, const struct filter_node *f, enum filter_op op,
        enum scope sc)
{
    int rc;

    put(g, "(NOT coalesce(");
    rc = op == FILTER_NOT ? gen_node(g, f, sc) : gen_leaf(g, f, op, sc);
    put(g, ", FALSE))");
    return rc;
}

/* ---- Index fast paths ------------------------------------------------- */

/* "col = ?" with the literal as stored in that key column. */
static int
key_eq(struct gen *g, const char *col, const char *lit, int fold)
{
    char *k = fold ? scim_fold(lit, strlen(lit)) : scim_strdup(lit);

    if (k == NULL)
        return SCIM_ENOMEM;
    put(g, col);
    put_ptext(g, k);
    scim_free(k);
    return SCIM_OK;
}

/*
 * The subqueries are written so that each dialect's planner drives them
 * from the index: SQLite turns "r.seq IN (...)" into rowid lookups, and
 * PostgreSQL pulls a correlated EXISTS up into a semi-join.
 */
static const char *const fast_sql[2][3][2] = {
    {   /* SQLite */
        { "r.seq IN (SELECT res_seq FROM emails WHERE tenant_id = "
          "r.tenant_id AND value_key = ", ")" },
        { "r.seq IN (SELECT m.group_seq FROM members m JOIN resources u "
          "ON u.seq = m.member_seq WHERE u.tenant_id = r.tenant_id AND "
          "u.id = ", ")" },
        { "r.seq IN (SELECT m.member_seq FROM members m JOIN resources u "
          "ON u.seq = m.group_seq WHERE u.tenant_id = r.tenant_id AND "
          "u.id = ", ")" },
    },
    {   /* PostgreSQL */
        { "EXISTS (SELECT 1 FROM emails x WHERE x.res_seq = r.seq AND "
          "x.tenant_id = r.tenant_id AND x.value_key = ", ")" },
        { "EXISTS (SELECT 1 FROM members m JOIN resources u ON u.seq = "
          "m.member_seq WHERE m.group_seq = r.seq AND u.tenant_id = "
          "r.tenant_id AND u.id = ", ")" },
        { "EXISTS (SELECT 1 FROM members m JOIN resources u ON u.seq = "
          "m.group_seq WHERE m.member_seq = r.seq AND u.tenant_id = "
          "r.tenant_id AND u.id = ", ")" },
    },
};

static int
fast_sub(struct gen *g, int which, const char *lit, int fold)
{
    int rc;

    rc = key_eq(g, fast_sql[g->pg][which][0], lit, fold);
    put(g, fast_sql[g->pg][which][1]);
    return rc;
}

/*
 * eq with a string on an indexed key. Sets *done when it emitted SQL.
 * The key columns hold exactly what filter_match compares: caseExact
 * ids as they are, folded userName, displayName and emails.value.
 */
static int
fast_path(struct gen *g, const struct scim_attr_ref *ref, int ext,
          const json_t *v, int *done)
{
    const char *lit = json_string_value(v);
    const struct scim_attr *a = ref->attr, *s = ref->sub;
    int user = ref->schema != NULL && a != NULL
               && strcmp(ref->schema->id, SCIM_SCHEMA_USER) == 0;
    int group = ref->schema != NULL && a != NULL
                && strcmp(ref->schema->id, SCIM_SCHEMA_GROUP) == 0;

    *done = 0;
    if (ext || lit == NULL || (!user && !group))
        return SCIM_OK;
    *done = 1;
    if (s == NULL && strcmp(a->name, "id") == 0 && a->case_exact)
        return key_eq(g, "r.id = ", lit, 0);
    if (s == NULL && strcmp(a->name, "externalId") == 0 && a->case_exact)
        return key_eq(g, "r.external_id = ", lit, 0);
    if (s == NULL && user && strcmp(a->name, "userName") == 0
        && !a->case_exact)
        return key_eq(g, "r.name_key = ", lit, 1);
    if (s == NULL && strcmp(a->name, "displayName") == 0 && !a->case_exact)
        return key_eq(g, "r.display_key = ", lit, 1);
    if (s != NULL && strcmp(s->name, "value") == 0) {
        if (user && strcmp(a->name, "emails") == 0 && !s->case_exact)
            return fast_sub(g, 0, lit, 1);
        if (group && strcmp(a->name, "members") == 0 && s->case_exact)
            return fast_sub(g, 1, lit, 0);
        if (user && strcmp(a->name, "groups") == 0 && s->case_exact)
            return fast_sub(g, 2, lit, 0);
    }
    *done = 0;
    return SCIM_OK;
}

/* attr[value eq "x"] alone is the same lookup as attr.value eq "x". */
static int
fast_valuepath(struct gen *g, const struct filter_node *f, int *done)
{
    const struct filter_node *in = f->a;
    struct scim_attr_ref ref = f->attr.ref;

    *done = 0;
    if (in == NULL || in->op != FILTER_EQ || in->attr.ref.sub == NULL
        || !json_is_string(in->value))
        return SCIM_OK;
    ref.sub = in->attr.ref.sub;
    return fast_path(g, &ref, f->attr.ext, in->value, done);
}

/* ---- Tree ------------------------------------------------------------- */

static int
gen_valuepath(struct gen *g, const struct filter_node *f, enum scope sc)
{
    const struct filter_attr *a = &f->attr;
    enum iter it;
    int rc, done;

    if (sc != SC_TOP || f->a == NULL)
        return failf(g, a, "Value filters do not nest");
    if (a->ref.attr == NULL || a->ref.schema == NULL)
        return failf(g, a, "The store needs a resolved attribute");
    if (never_returned(&a->ref)) {
        put_false(g);
        return SCIM_OK;
    }
    if ((rc = fast_valuepath(g, f, &done)) != SCIM_OK || done)
        return rc;
    it = member_iter(a);
    if (it == IT_NONE && !a->ref.attr->multi_valued)
        return gen_node(g, f->a, SC_COMPLEX);
    if (it == IT_NONE)
        it = IT_JSON;
    if ((rc = open_iter(g, a, it)) != SCIM_OK)
        return rc;
    put(g, "(");
    rc = gen_node(g, f->a, it == IT_JSON ? SC_ELEM
                           : it == IT_MEMBERS ? SC_MEMBER : SC_GROUP);
    put(g, "))");
    return rc;
}

/* Counts the operands of a chain of one operator (a or b or c ...). */
static size_t
chain_count(const struct filter_node *f, enum filter_op op)
{
    if (f->op != op)
        return 1;
    return chain_count(f->a, op) + chain_count(f->b, op);
}

static void
chain_fill(const struct filter_node *f, enum filter_op op,
           const struct filter_node **v, size_t *n)
{
    if (f->op != op) {
        v[(*n)++] = f;
        return;
    }
    chain_fill(f->a, op, v, n);
    chain_fill(f->b, op, v, n);
}

/* Emits v[0..n) joined by op as a balanced tree of depth log2(n). */
static int
gen_balanced(struct gen *g, const struct filter_node **v, size_t n,
             enum filter_op op, enum scope sc)
{
    size_t h = n / 2;
    int rc;

    if (n == 1)
        return gen_node(g, v[0], sc);
    put(g, "(");
    if ((rc = gen_balanced(g, v, h, op, sc)) != SCIM_OK)
        return rc;
    put(g, op == FILTER_AND ? " AND " : " OR ");
    rc = gen_balanced(g, v + h, n - h, op, sc);
    put(g, ")");
    return rc;
}

/*
 * and/or. The parser builds left-deep chains; SQLite refuses expression
 * trees deeper than 1000, so a long chain is re-balanced (the operators
 * are associative, and NULL only ever stands for false here).
 */
static int
gen_chain(struct gen *g, const struct filter_node *f, enum scope sc)
{
    size_t n = chain_count(f, f->op), k = 0;
    const struct filter_node **v = scim_calloc(n, sizeof(*v));
    int rc;

    if (v == NULL)
        return SCIM_ENOMEM;
    chain_fill(f, f->op, v, &k);
    rc = gen_balanced(g, v, n, f->op, sc);
    scim_free(v);
    return rc;
}

static int
gen_node(struct gen *g, const struct filter_node *f, enum scope sc)
{
    int rc, done;

    switch (f->op) {
    case FILTER_AND:
    case FILTER_OR:
        return gen_chain(g, f, sc);
    case FILTER_NOT:
        return gen_not(g, f->a, FILTER_NOT, sc);
    case FILTER_VALUEPATH:
        return gen_valuepath(g, f, sc);
    case FILTER_PR:
        return gen_leaf(g, f, FILTER_PR, sc);
    default:
        break;
    }
    /* eq null means absent, ne null present (RFC 7643 2.5). */
    if (json_is_null(f->value) || f->value == NULL)
        return f->op == FILTER_NE ? gen_leaf(g, f, FILTER_PR, sc)
               : f->op == FILTER_EQ ? gen_not(g, f, FILTER_PR, sc)
               : failf(g, &f->attr, "Only eq and ne compare with null");
    if (f->op == FILTER_NE)
        return gen_not(g, f, FILTER_EQ, sc);
    if (f->op == FILTER_EQ && sc == SC_TOP) {
        rc = fast_path(g, &f->attr.ref, f->attr.ext, f->value, &done);
        if (rc != SCIM_OK || done)
            return rc;
    }
    return gen_leaf(g, f, f->op, sc);
}

int
sqlgen_where(struct sql_buf *b, const struct filter_node *f,
             struct scim_error *err)
{
    struct gen g = { b, err, b->dialect == SQLGEN_PG };
    int rc;

    if (f == NULL) {
        put(&g, "TRUE");
        return b->oom ? SCIM_ENOMEM : SCIM_OK;
    }
    rc = gen_node(&g, f, SC_TOP);
    if (rc == SCIM_OK && b->oom)
        rc = SCIM_ENOMEM;
    return rc;
}

/* ---- Sorting ---------------------------------------------------------- */

static int
sort_fail(struct gen *g, const struct scim_attr_ref *ref, const char *why)
{
    return scim_failf(g->err, 400, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                      "sortBy", "sortBy '%s%s%s' %s.", ref->attr->name,
                      ref->sub != NULL ? "." : "",
                      ref->sub != NULL ? ref->sub->name : "", why);
}

/*
 * The sort key of the value at l. PostgreSQL orders numbers as numeric
 * and text by code point; SQLite's json_extract is already typed.
 */
static void
put_sort_val(struct gen *g, const struct loc *at, const struct scim_attr *d)
{
    struct loc l = *at;

    l.lower = leaf_lower(d);
    if (!g->pg) {
        put_cmp_val(g, &l);
    } else if (d->type == SCIM_AT_INTEGER || d->type == SCIM_AT_DECIMAL) {
        put(g, "(CASE WHEN ");
        put_type(g, &l);
        put(g, " = 'number' THEN ");
        put_val(g, &l);
        put(g, "::numeric END)");
    } else {
        put_cmp_val(g, &l);
        put(g, " COLLATE \"C\"");
    }
}

/* RFC 7644 3.4.2.3: the primary element's value, else the first one's. */
static int
put_sort_multi(struct gen *g, const struct filter_attr *a,
               const struct scim_attr *sub)
{
    const struct scim_attr *prim = attr_sub(a->ref.attr, "primary", 7);
    struct loc arr, el;
    int rc;

    if ((rc = doc_loc(g, a, 0, &arr)) != SCIM_OK
        || (rc = elem_loc(g, sub, &el)) != SCIM_OK)
        return rc;
    put(g, "(SELECT ");
    put_sort_val(g, &el, sub != NULL ? sub : a->ref.attr);
    if (g->pg) {
        put(g, " FROM jsonb_array_elements(CASE WHEN jsonb_typeof");
        put_json(g, &arr);
        put(g, " = 'array' THEN ");
        put_json(g, &arr);
        put(g, " ELSE '[]'::jsonb END) WITH ORDINALITY AS e(v, n) ORDER BY ");
        if (prim != NULL)
            put(g, "coalesce(e.v -> 'primary' = 'true'::jsonb, FALSE) "
                   "DESC, ");
        put(g, "e.n LIMIT 1)");
        return SCIM_OK;
    }
    put(g, " FROM json_each(r.fdoc, ");
    put_path(g, &arr);
    put(g, ") AS e ORDER BY ");
    if (prim != NULL)
        put(g, "coalesce(json_type(e.value, '$.\"primary\"') = 'true', 0) "
               "DESC, ");
    put(g, "e.key LIMIT 1)");
    return SCIM_OK;
}

/*
 * sqlgen_order gets no resource type: a core schema is recognised by
 * the common attribute "id", which the registry lists in core schemas
 * only (RFC 7643 section 3.1).
 */
static int
ref_is_ext(const struct scim_attr_ref *ref)
{
    return schema_attr(ref->schema, "id", 2) == NULL;
}

static int
order_expr(struct gen *g, const struct scim_attr_ref *ref)
{
    struct filter_attr a;
    const struct scim_attr *sub = ref->sub;
    struct loc l;
    int rc;

    memset(&a, 0, sizeof(a));
    a.ref = *ref;
    a.ext = ref_is_ext(ref);
    if (member_iter(&a) != IT_NONE)
        /* Limitation: sorting by members or groups is not supported. */
        return sort_fail(g, ref, "is not supported by the store");
    if (never_returned(ref)) {
        put(g, "NULL");     /* reads as absent everywhere */
        return SCIM_OK;
    }
    if (ref->attr->multi_valued) {
        if (sub == NULL && ref->attr->type == SCIM_AT_COMPLEX
            && (sub = attr_sub(ref->attr, "value", 5)) == NULL)
            return sort_fail(g, ref, "names a complex attribute");
        return put_sort_multi(g, &a, sub);
    }
    if ((sub != NULL ? sub : ref->attr)->type == SCIM_AT_COMPLEX)
        return sort_fail(g, ref, "names a complex attribute");
    if ((rc = doc_loc(g, &a, 1, &l)) != SCIM_OK)
        return rc;
    put_sort_val(g, &l, sub != NULL ? sub : ref->attr);
    return SCIM_OK;
}

/*
 * Missing values sort last ascending and first descending (RFC 7644
 * 3.4.2.3): PostgreSQL's NULL ordering already does that; in SQLite a
 * BLOB sorts after every number and text, so NULL becomes x''.
 */
int
sqlgen_order(struct sql_buf *b, const struct scim_attr_ref *ref,
             struct scim_error *err)
{
    struct gen g = { b, err, b->dialect == SQLGEN_PG };
    int rc;

    if (ref == NULL || ref->attr == NULL || ref->schema == NULL)
        return scim_failf(err, 400, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                          "sortBy", "sortBy needs an attribute.");
    if (!g.pg)
        put(&g, "coalesce(");
    rc = order_expr(&g, ref);
    if (!g.pg)
        put(&g, ", x'')");
    if (rc == SCIM_OK && b->oom)
        rc = SCIM_ENOMEM;
    return rc;
}
