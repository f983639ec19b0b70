/* SPDX-License-Identifier: MIT */
/*
 * A tenant's configuration: required attributes, what to do with
 * attributes no schema knows, which identity-provider dialect rules are
 * on, password policy, log retention and custom extension schemas. It
 * is stored as JSON in the tenant's row; scimctl edits it and the server
 * reloads it when its version changes, so no restart is needed.
 */
#ifndef SCIMD_LIB_CONFIG_H
#define SCIMD_LIB_CONFIG_H

#include <stddef.h>

#include <jansson.h>

#include "scimd/scim.h"

/* Dialect rules: each lets a documented identity-provider habit through. */
#define SCIM_DIALECT_OP_CASE        (1u << 0)  /* "Replace", "ADD" */
#define SCIM_DIALECT_PATH_KEYS      (1u << 1)  /* path-less dotted/URN keys */
#define SCIM_DIALECT_STRING_BOOL    (1u << 2)  /* "True"/"False" booleans */
#define SCIM_DIALECT_ADD_SINGLE     (1u << 3)  /* add on single-valued */
#define SCIM_DIALECT_REMOVE_VALUES  (1u << 4)  /* remove members + values */
#define SCIM_DIALECT_MANAGER_STRING (1u << 5)  /* manager as a bare id */
#define SCIM_DIALECT_FILTER_CREATE  (1u << 6)  /* unmatched filter creates */
#define SCIM_DIALECT_BARE_TOKEN     (1u << 7)  /* token without "Bearer " */
#define SCIM_DIALECT_UNQUOTED_VALUE (1u << 8)  /* externalId eq bare-word */
#define SCIM_DIALECT_FILTER_SUBATTR (1u << 9)  /* emails[type eq "work"]
                                                  .value eq "x" (Entra) */
#define SCIM_DIALECT_COUNT 10
#define SCIM_DIALECT_ALL ((1u << SCIM_DIALECT_COUNT) - 1)

enum scim_unknown_policy {
    SCIM_UNKNOWN_IGNORE,   /* drop, and note it in the SCIM log */
    SCIM_UNKNOWN_REJECT    /* 400 invalidValue naming the attribute */
};

struct scim_config {
    char **required;       /* User attribute paths: "name.givenName" */
    size_t nrequired;
    enum scim_unknown_policy unknown;
    unsigned dialects;     /* enabled SCIM_DIALECT_* bits */
    int store_passwords;   /* keep argon2id hashes instead of dropping */
    int retention_days;    /* SCIM log retention */
    int max_results;       /* largest page and filter result served */
    int rate_limit;        /* requests per second per process; 0: none */
    json_t *extensions;    /* array of {"schema":{...},"resourceType":..,
                              "required":bool} definitions */
};

/* Fills cfg with the defaults. Returns SCIM_OK or SCIM_ENOMEM. */
int config_default(struct scim_config *cfg);

/*
 * Reads cfg from its JSON form; keys that are absent keep their default.
 * On bad input returns SCIM_EINVAL with err naming the key.
 */
int config_from_json(const json_t *j, struct scim_config *cfg,
                     struct scim_error *err);

/* The JSON form of cfg, a new reference; NULL on ENOMEM. */
json_t *config_to_json(const struct scim_config *cfg);

void config_free(struct scim_config *cfg);

/* Name of a dialect bit ("op_case"), or NULL when bit is not one rule. */
const char *config_dialect_name(unsigned bit);

/* Bit of a dialect name, or 0 when unknown. */
unsigned config_dialect_bit(const char *name);

struct scim_registry;

/*
 * Builds the schema registry that cfg implies: the built-in schemas plus
 * cfg's custom extensions, and checks that every required path resolves
 * against User. On success *out is a new registry the caller frees with
 * registry_free(); on a bad extension or path returns SCIM_EINVAL with
 * err naming it ("extensions[0].costTier"), or SCIM_ENOMEM.
 */
int config_registry(const struct scim_config *cfg,
                    struct scim_registry **out, struct scim_error *err);

#endif /* SCIMD_LIB_CONFIG_H */
