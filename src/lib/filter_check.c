/* SPDX-License-Identifier: MIT */
/*
 * Attribute paths in filters: their syntax (RFC 7644 attrPath), their
 * resolution against a resource type, and the rules RFC 7644 section
 * 3.4.2.2 puts on operator, attribute type and literal. A filter that
 * passes here means something for every stored resource, so the store
 * can compile it without second-guessing; one that cannot mean anything
 * (gt on a boolean, eq on a complex attribute, a dateTime that is not
 * one) fails with 400 invalidFilter naming the attribute.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "filter.h"
#include "fold.h"

/*
 * "schemas" is a common attribute (RFC 7643 section 3) that no schema
 * definition lists, yet RFC 7644 filters on it in its own examples.
 */
static const struct scim_attr schemas_attr = {
    .name = (char *)"schemas",
    .type = SCIM_AT_REFERENCE,
    .multi_valued = 1,
    .required = 1,
    .case_exact = 0,
    .mutability = SCIM_MUT_READWRITE,
    .returned = SCIM_RET_ALWAYS,
};

/* ---- Syntax -------------------------------------------------------------- */

/* ATTRNAME = ALPHA *(nameChar); "$ref" keeps its leading "$". */
static int
valid_name(const char *s, size_t n)
{
    size_t i = 0;

    if (n > 0 && s[0] == '$')
        i++;
    if (i >= n || !isalpha((unsigned char)s[i]))
        return 0;
    for (i++; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return 0;
    return 1;
}

static int
dup_part(const char *s, size_t n, char **out)
{
    *out = scim_strndup(s, n);
    return *out != NULL ? SCIM_OK : SCIM_ENOMEM;
}

int
filter_attr_split(const char *s, size_t len, struct filter_attr *out)
{
    const char *colon = NULL, *name, *dot;
    size_t i, nlen, slen = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < len; i++)
        if (s[i] == ':')
            colon = s + i;
    name = colon != NULL ? colon + 1 : s;
    nlen = len - (size_t)(name - s);
    if ((dot = memchr(name, '.', nlen)) != NULL) {
        slen = nlen - (size_t)(dot - name) - 1;
        nlen = (size_t)(dot - name);
        if (!valid_name(dot + 1, slen))
            return SCIM_EINVAL;
    }
    if (!valid_name(name, nlen) || colon == s)
        return SCIM_EINVAL;
    rc = dup_part(s, len, &out->text);
    if (rc == SCIM_OK && colon != NULL)
        rc = dup_part(s, (size_t)(colon - s), &out->uri);
    if (rc == SCIM_OK)
        rc = dup_part(name, nlen, &out->name);
    if (rc == SCIM_OK && dot != NULL)
        rc = dup_part(dot + 1, slen, &out->sub);
    if (rc != SCIM_OK)
        filter_attr_clear(out);
    return rc;
}

void
filter_attr_clear(struct filter_attr *a)
{
    if (a == NULL)
        return;
    scim_free(a->text);
    scim_free(a->uri);
    scim_free(a->name);
    scim_free(a->sub);
    memset(a, 0, sizeof(*a));
}

/* ---- Messages ------------------------------------------------------------ */

struct chk {
    struct scim_ctx *ctx;
    const struct scim_rtype *rt;
    const char *text;
    size_t len;
    int in_path;
};

static int
cerr(const struct chk *c, const struct filter_node *n, const char *fmt,
     ...) SCIM_PRINTF(3, 4);

static int
cerr(const struct chk *c, const struct filter_node *n, const char *fmt, ...)
{
    char msg[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return filter_failf(c->ctx, c->text, c->len, c->in_path, 0,
                        n->attr.text, n->pos, "%s", msg);
}

/* ---- Operator and literal ------------------------------------------------ */

static int
is_ordering(enum filter_op op)
{
    return op == FILTER_GT || op == FILTER_GE || op == FILTER_LT
           || op == FILTER_LE;
}

static int
is_substring(enum filter_op op)
{
    return op == FILTER_CO || op == FILTER_SW || op == FILTER_EW;
}

/*
 * Checks that need no schema: ordering needs a string or a number,
 * co/sw/ew a string, and null only means "absent" to eq and ne.
 */
static int
check_literal(const struct chk *c, const struct filter_node *n)
{
    const char *op = filter_op_name(n->op);

    if (n->op == FILTER_VALUEPATH && n->attr.sub != NULL)
        return cerr(c, n, "a value filter applies to an attribute, not to "
                    "the sub-attribute '%s'", n->attr.text);
    if (n->op == FILTER_PR || n->op == FILTER_VALUEPATH)
        return SCIM_OK;
    if (json_is_null(n->value) && n->op != FILTER_EQ && n->op != FILTER_NE)
        return cerr(c, n, "'%s' cannot compare with null", op);
    if (is_ordering(n->op) && json_is_boolean(n->value))
        return cerr(c, n, "'%s' cannot order booleans", op);
    if (is_substring(n->op) && !json_is_string(n->value))
        return cerr(c, n, "'%s' needs a string value", op);
    return SCIM_OK;
}

/* Which literal kinds an attribute type accepts. */
static int
literal_fits(const struct scim_attr *d, const json_t *v)
{
    char canon[SCIM_DATETIME_LEN];

    if (json_is_null(v))
        return 1;
    switch (d->type) {
    case SCIM_AT_BOOLEAN:
        return json_is_boolean(v);
    case SCIM_AT_INTEGER:
    case SCIM_AT_DECIMAL:
        return json_is_number(v);
    case SCIM_AT_DATETIME:
        return json_is_string(v)
               && scim_datetime_canon(json_string_value(v), canon) == 0;
    default:
        return json_is_string(v);
    }
}

/* RFC 7644 3.4.2.2: which operators an attribute type supports. */
static int
check_type(const struct chk *c, const struct filter_node *n,
           const struct scim_attr *d)
{
    const char *op = filter_op_name(n->op);
    const char *type = scim_atype_name(d->type);

    if (n->op == FILTER_PR)
        return SCIM_OK;
    if (is_ordering(n->op)
        && (d->type == SCIM_AT_BOOLEAN || d->type == SCIM_AT_BINARY))
        return cerr(c, n, "'%s' cannot order %s attribute '%s'", op, type,
                    n->attr.text);
    /* Substring tests are defined on text only; dateTimes compare as
       instants, so "co" on one would depend on how it was written. */
    if (is_substring(n->op) && d->type != SCIM_AT_STRING
        && d->type != SCIM_AT_REFERENCE && d->type != SCIM_AT_BINARY)
        return cerr(c, n, "'%s' does not apply to %s attribute '%s'", op,
                    type, n->attr.text);
    if (!literal_fits(d, n->value) && d->type == SCIM_AT_DATETIME)
        return cerr(c, n, "'%s' needs an xsd:dateTime value for %s "
                    "attribute '%s'", op, type, n->attr.text);
    if (!literal_fits(d, n->value))
        return cerr(c, n, "'%s' needs %s %s value for attribute '%s'", op,
                    d->type == SCIM_AT_INTEGER ? "an" : "a", type,
                    n->attr.text);
    return SCIM_OK;
}

/*
 * A complex attribute has no value of its own, so only pr and eq/ne
 * null (absence) apply. The exception is RFC 7644's own example
 * "emails co \"example.com\"": a multi-valued complex attribute with a
 * "value" sub-attribute (RFC 7643 2.4, "the attribute's significant
 * value") compares through that sub-attribute.
 */
static int
check_complex(const struct chk *c, struct filter_node *n)
{
    const struct scim_attr *a = n->attr.ref.attr, *v;

    if (n->op == FILTER_PR || json_is_null(n->value))
        return SCIM_OK;
    v = attr_sub(a, "value", 5);
    if (!a->multi_valued || v == NULL)
        return cerr(c, n, "'%s' is a complex attribute; compare one of its "
                    "sub-attributes (such as '%s.%s')", n->attr.text,
                    n->attr.text, a->nsubs > 0 ? a->subs[0].name : "value");
    n->attr.sub = scim_strdup(v->name);
    if (n->attr.sub == NULL)
        return SCIM_ENOMEM;
    n->attr.ref.sub = v;
    return check_type(c, n, v);
}

/* ---- Resolution ---------------------------------------------------------- */

static int
resolve_top(const struct chk *c, struct filter_node *n)
{
    struct filter_attr *a = &n->attr;

    if (rtype_resolve(c->rt, a->text, strlen(a->text), &a->ref) != SCIM_OK) {
        if (a->uri != NULL || a->sub != NULL
            || strcasecmp(a->name, "schemas") != 0)
            return cerr(c, n, "unknown attribute '%s'", a->text);
        a->ref.schema = c->rt->core;
        a->ref.attr = &schemas_attr;
        a->ref.sub = NULL;
    }
    if (a->ref.attr == NULL)
        return cerr(c, n, "'%s' names a schema, not an attribute", a->text);
    a->ext = !rtype_is_core(c->rt, a->ref.schema);
    return SCIM_OK;
}

/*
 * Inside attr[...] a path names a sub-attribute of attr. A simple
 * multi-valued attribute (schemas) has no sub-attributes; its elements
 * are reached as "value", the way RFC 7644 writes members[value eq ..].
 */
static int
resolve_inner(const struct chk *c, const struct filter_attr *parent,
              struct filter_node *n)
{
    const struct scim_attr *pa = parent->ref.attr, *sub = NULL;
    struct filter_attr *a = &n->attr;

    if (a->uri == NULL && a->sub == NULL) {
        if (pa->type == SCIM_AT_COMPLEX)
            sub = attr_sub(pa, a->name, strlen(a->name));
        else if (strcasecmp(a->name, "value") == 0)
            sub = pa;
    }
    if (sub == NULL)
        return cerr(c, n, "'%s' has no sub-attribute '%s'", parent->text,
                    a->text);
    a->ref.schema = parent->ref.schema;
    a->ref.attr = pa;
    a->ref.sub = sub != pa ? sub : NULL;
    a->ext = parent->ext;   /* so the ref locates like a full path */
    return SCIM_OK;
}

static int
check_valuepath(const struct chk *c, const struct filter_node *n)
{
    const struct scim_attr *a = n->attr.ref.attr;

    if (a->type != SCIM_AT_COMPLEX && !a->multi_valued)
        return cerr(c, n, "'%s' is neither multi-valued nor complex; it "
                    "takes no value filter", n->attr.text);
    return SCIM_OK;
}

static int
check_resolved(const struct chk *c, struct filter_node *n)
{
    const struct scim_attr *d;

    if (n->op == FILTER_VALUEPATH)
        return check_valuepath(c, n);
    d = n->attr.ref.sub != NULL ? n->attr.ref.sub : n->attr.ref.attr;
    if (d->type == SCIM_AT_COMPLEX)
        return check_complex(c, n);
    return check_type(c, n, d);
}

int
filter_resolve(struct scim_ctx *ctx, const struct scim_rtype *rt,
               const struct filter_attr *parent, struct filter_node *n,
               const char *text, size_t len, int in_path)
{
    struct chk c = { ctx, rt, text, len, in_path };
    int rc;

    /* Without a schema (or under an unresolved parent) only the
       operator and the literal can be checked. */
    if (rt == NULL || (parent != NULL && parent->ref.attr == NULL))
        return check_literal(&c, n);
    rc = parent != NULL ? resolve_inner(&c, parent, n) : resolve_top(&c, n);
    if (rc == SCIM_OK)
        rc = check_resolved(&c, n);
    if (rc == SCIM_OK)
        rc = check_literal(&c, n);
    return rc;
}
