/* SPDX-License-Identifier: MIT */
/*
 * The SCIM filter language (RFC 7644 section 3.4.2.2) and PATCH paths
 * (section 3.5.2). One parser builds one AST; the store compiles that
 * AST to SQL and filter_match() evaluates it in memory against a JSON
 * resource, which PATCH value paths need.
 */
#ifndef SCIMD_LIB_FILTER_H
#define SCIMD_LIB_FILTER_H

#include <stddef.h>

#include <jansson.h>

#include "ctx.h"
#include "schema.h"

enum filter_op {
    FILTER_EQ, FILTER_NE, FILTER_CO, FILTER_SW, FILTER_EW,
    FILTER_GT, FILTER_GE, FILTER_LT, FILTER_LE, FILTER_PR,
    FILTER_AND, FILTER_OR, FILTER_NOT, FILTER_VALUEPATH
};

/*
 * An attribute path as written, and what it resolved to. Inside a value
 * filter (emails[type eq "work"]) paths are relative to the multi-valued
 * attribute: name is the sub-attribute and ref.sub its definition.
 * A comparison on a multi-valued complex attribute that has a "value"
 * sub-attribute (RFC 7644's example emails co "example.com") is read as
 * emails.value: with rt the parser sets sub = "value" and ref.sub, while
 * text keeps "emails". Under a simple multi-valued parent (schemas[value
 * eq ...]) "value" names the element itself: ref.sub is NULL and
 * ref.attr the parent. Inside a value filter ext is copied from the
 * parent, so that ref and ext locate the value as a full path would.
 */
struct filter_attr {
    char *text;                /* the path exactly as written */
    char *uri;                 /* schema URN prefix, or NULL */
    char *name;                /* attribute name */
    char *sub;                 /* sub-attribute name, or NULL */
    struct scim_attr_ref ref;  /* all NULL when parsed without schema */
    int ext;                   /* resolved into an extension schema: the
                                  attribute lives in doc[ref.schema->id] */
};

struct filter_node {
    enum filter_op op;
    struct filter_attr attr;   /* comparisons, pr and valuePath */
    json_t *value;             /* comparison literal (owned) */
    struct filter_node *a;     /* and/or: left; not: operand;
                                  valuePath: the inner filter */
    struct filter_node *b;     /* and/or: right */
    size_t pos;                /* byte offset in the filter text */
};

/*
 * Parses filter text. With rt set, attribute paths are resolved against
 * rt and checked (unknown attribute, ordering operator on a boolean,
 * operator on a complex attribute without sub-attribute, bad dateTime
 * literal); with rt NULL the filter is parsed schemaless and evaluated
 * with string semantics, caseExact false. Errors are 400 invalidFilter
 * with a detail quoting the filter and the offending token, recorded in
 * ctx->err. On success *out is a tree the caller frees with filter_free.
 */
int filter_parse(struct scim_ctx *ctx, const struct scim_rtype *rt,
                 const char *text, struct filter_node **out);

void filter_free(struct filter_node *f);

/*
 * Evaluates f against resource doc (attribute names matched
 * case-insensitively; case, type and dateTime rules from the schema
 * when the filter was resolved). Returns 1 on match, 0 otherwise.
 */
int filter_match(const struct filter_node *f, const json_t *doc);

/*
 * Evaluates a value-filter (the inner filter of a valuePath) against one
 * element of a multi-valued attribute. Returns 1 on match, 0 otherwise.
 */
int filter_match_elem(const struct filter_node *f, const json_t *elem);

/* A PATCH path: attrPath, or valuePath with an optional sub-attribute. */
struct scim_path {
    struct filter_attr attr;   /* the attribute (and its sub when no
                                  filter is given) */
    struct filter_node *filter;   /* value filter, or NULL */
    char *sub_after;           /* "emails[...].value" -> "value" */
    const struct scim_attr *sub_after_def;
};

/*
 * Parses a PATCH path against rt (which may be NULL for schemaless
 * use). A bare schema URN is accepted and leaves attr.ref.attr NULL.
 * Errors are 400 invalidPath (invalidFilter for a bad value filter)
 * recorded in ctx->err. Caller frees *out with path_free.
 */
int path_parse(struct scim_ctx *ctx, const struct scim_rtype *rt,
               const char *text, struct scim_path **out);

void path_free(struct scim_path *p);

/*
 * path_parse with options. PATH_ALLOW_UNKNOWN: an attribute rt does not
 * know parses as with rt NULL (attr.ref all NULL) instead of failing,
 * for callers whose tenant policy ignores unknown attributes.
 */
#define PATH_ALLOW_UNKNOWN 0x1u
int path_parse_flags(struct scim_ctx *ctx, const struct scim_rtype *rt,
                     const char *text, unsigned flags,
                     struct scim_path **out);

/* Operator keyword as in RFC 7644 ("eq"). */
const char *filter_op_name(enum filter_op op);

/*
 * Limits that keep a hostile filter from exhausting the stack of the
 * parser, the evaluator or the SQL compiler, which all recurse.
 */
#define FILTER_MAX_DEPTH 64     /* nested parentheses, not and [] */
#define FILTER_MAX_TERMS 1000   /* comparisons in one filter */

/*
 * Internal to the filter module (filter_*.c, path.c); not for callers.
 *
 * filter_failf records a 400 error that quotes text (len bytes) and
 * points at byte offset at: invalidFilter, or invalidPath when
 * path_err is set; in_path words it as a filter inside a PATCH path.
 */
int filter_failf(struct scim_ctx *ctx, const char *text, size_t len,
                 int in_path, int path_err, const char *attr, size_t at,
                 const char *fmt, ...) SCIM_PRINTF(8, 9);

/*
 * Splits attribute path s (len bytes) into out->text, uri, name and sub
 * after checking the RFC 7644 attrPath syntax (a leading "$" is allowed
 * for "$ref"). Returns SCIM_OK, SCIM_EINVAL (malformed; nothing
 * recorded) or SCIM_ENOMEM. filter_attr_clear frees the strings.
 */
int filter_attr_split(const char *s, size_t len, struct filter_attr *out);
void filter_attr_clear(struct filter_attr *a);

/*
 * Resolves and checks node n (a comparison, pr or valuePath) against
 * rt; parent is the valuePath attribute when n sits inside a value
 * filter. With rt NULL only the operator/literal pairing is checked.
 * text/len/in_path are for the message. SCIM_OK, SCIM_EINVAL or
 * SCIM_ENOMEM.
 */
int filter_resolve(struct scim_ctx *ctx, const struct scim_rtype *rt,
                   const struct filter_attr *parent, struct filter_node *n,
                   const char *text, size_t len, int in_path);

/*
 * Parses the value filter of a PATCH path: text[*pos] follows the "["
 * and parent is the attribute before it. On success *pos is just past
 * the closing "]" and *out holds the filter.
 */
int filter_parse_valfilter(struct scim_ctx *ctx, const struct scim_rtype *rt,
                           const char *text, size_t *pos,
                           const struct filter_attr *parent,
                           struct filter_node **out);

#endif /* SCIMD_LIB_FILTER_H */
