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

#endif /* SCIMD_LIB_RESOURCE_H */
