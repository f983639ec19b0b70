/* SPDX-License-Identifier: MIT */
/*
 * Resource validation, projection and folding, all driven by the schema
 * registry: what a POST, PUT or patched document must look like, what a
 * response may show (returned, attributes, excludedAttributes), and the
 * folded copy of a document that the store searches.
 */
#ifndef SCIMD_LIB_RESOURCE_H
#define SCIMD_LIB_RESOURCE_H

#include <jansson.h>

#include "ctx.h"
#include "fold.h"
#include "schema.h"

enum resource_mode {
    RESOURCE_CREATE,    /* POST */
    RESOURCE_REPLACE,   /* PUT: existing is the stored document */
    RESOURCE_PATCHED    /* the result of patch_apply: existing likewise */
};

/*
 * Checks input against rt and the tenant configuration and returns the
 * normalised document in *out (a new reference):
 * - attribute names in their canonical case, extension attributes under
 *   their URN, "schemas" rebuilt from what is present;
 * - readOnly attributes (id, meta, groups...) dropped, never refused;
 * - attributes no schema knows dropped and noted, or refused, as the
 *   configuration says;
 * - types checked ("True"/"False" strings become booleans when the
 *   dialect allows), canonical values checked;
 * - null, "" and [] for an optional attribute mean absent and are
 *   removed (RFC 7643 section 2.5); for a required attribute, or one of
 *   the tenant's required paths, each is an error naming the path;
 * - immutable attributes compared with existing;
 * - password removed; hashed into ctx->password_hash when configured.
 * Errors are recorded in ctx->err with cause, attribute and scimType.
 */
int resource_prepare(struct scim_ctx *ctx, const struct scim_rtype *rt,
                     enum resource_mode mode, const json_t *input,
                     const json_t *existing, json_t **out);

/*
 * The representation of doc that a response may show: "returned"
 * rules (never, request, always) and the comma-separated attributes or
 * excludedAttributes lists of RFC 7644 section 3.9 (either may be NULL).
 * Returns a new reference in *out, or an error for a bad list.
 */
int resource_project(struct scim_ctx *ctx, const struct scim_rtype *rt,
                     const json_t *doc, const char *attributes,
                     const char *excluded, json_t **out);

/*
 * A copy of doc in which every string of a caseExact=false attribute is
 * Unicode case-folded and every dateTime is in canonical UTC form, so
 * that the store can compare with plain equality and ordering. Returns
 * a new reference, or NULL on ENOMEM.
 */
json_t *resource_fold(const struct scim_rtype *rt, const json_t *doc);

/*
 * Building blocks shared by resource*.c (and usable by patch.c): they
 * record errors in ctx->err the same way resource_prepare does.
 */

/* Nonzero for NULL, null, "", [] and {}: "no value" (RFC 7643 2.5). */
int resource_is_empty(const json_t *v);

/*
 * Checks value v of attribute a (path names it in errors) and returns
 * in *out a new, normalised copy, or NULL when v means "no value".
 */
int resource_check_value(struct scim_ctx *ctx, const struct scim_rtype *rt,
                         const struct scim_attr *a, const json_t *v,
                         const char *path, json_t **out);

/*
 * Records "required attribute path is missing"; raw is what the client
 * sent for it (NULL when nothing), which selects the cause:
 * missing_required, null_required or empty_required.
 */
int resource_required_error(struct scim_ctx *ctx, const char *path,
                            const json_t *raw);

/*
 * Nonzero when x and y are the same value of simple attribute a: a
 * caseExact=false string compared case-folded, a dateTime as an instant,
 * anything else by JSON equality. -1 on ENOMEM.
 */
int resource_same_value(const struct scim_attr *a, const json_t *x,
                        const json_t *y);

/* Records "a has the wrong JSON type" for value v at path. */
int resource_type_error(struct scim_ctx *ctx, const struct scim_attr *a,
                        const json_t *v, const char *path);

/*
 * An attribute no schema defines, at path: refused (400 invalidValue)
 * when the tenant rejects unknown attributes, else noted in the SCIM log
 * under note and SCIM_OK.
 */
int resource_unknown(struct scim_ctx *ctx, const struct scim_rtype *rt,
                     const char *path, const char *note);

/*
 * snprintf for attribute paths: a path too long for buf is cut short,
 * which is still a readable prefix for a message. Returns buf.
 */
char *resource_pathf(char *buf, size_t n, const char *fmt, ...)
    SCIM_PRINTF(3, 4);

#endif /* SCIMD_LIB_RESOURCE_H */
