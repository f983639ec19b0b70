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
 */
struct filter_attr {
    char *text;                /* the path exactly as written */
    char *uri;                 /* schema URN prefix, or NULL */
    char *name;                /* attribute name */
    char *sub;                 /* sub-attribute name, or NULL */
    struct scim_attr_ref ref;  /* all NULL when parsed without schema */
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

/* Operator keyword as in RFC 7644 ("eq"). */
const char *filter_op_name(enum filter_op op);

#endif /* SCIMD_LIB_FILTER_H */
