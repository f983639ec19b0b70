/* SPDX-License-Identifier: MIT */
/*
 * Tenant configuration: defaults, the JSON form stored in the tenant's
 * row, and the registry a configuration implies (built-in schemas plus
 * its custom extensions). Reading is strict: an unknown key or a value
 * of the wrong kind is refused with the key named, because a typo in a
 * tenant setting would otherwise silently change provisioning.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "schema.h"

static const char *const dialect_names[SCIM_DIALECT_COUNT] = {
    "op_case", "path_keys", "string_bool", "add_single", "remove_values",
    "manager_string", "filter_create", "bare_token", "unquoted_value",
    "filter_subattr",
};

static const char *const default_required[] = {
    "userName", "name.givenName", "name.familyName", "emails",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
config_dialect_name(unsigned bit)
{
    unsigned i;

    for (i = 0; i < SCIM_DIALECT_COUNT; i++)
        if (bit == (1u << i))
            return dialect_names[i];
    return NULL;
}

unsigned
config_dialect_bit(const char *name)
{
    unsigned i;

    for (i = 0; name != NULL && i < SCIM_DIALECT_COUNT; i++)
        if (strcmp(dialect_names[i], name) == 0)
            return 1u << i;
    return 0;
}

static void
required_free(struct scim_config *cfg)
{
    size_t i;

    for (i = 0; cfg->required != NULL && i < cfg->nrequired; i++)
        scim_free(cfg->required[i]);
    scim_free(cfg->required);
    cfg->required = NULL;
    cfg->nrequired = 0;
}

void
config_free(struct scim_config *cfg)
{
    if (cfg == NULL)
        return;
    required_free(cfg);
    json_decref(cfg->extensions);
    memset(cfg, 0, sizeof(*cfg));
}

static int
required_add(struct scim_config *cfg, const char *path)
{
    char **v = scim_realloc(cfg->required,
                            (cfg->nrequired + 1) * sizeof(char *));

    if (v == NULL)
        return SCIM_ENOMEM;
    cfg->required = v;
    v[cfg->nrequired] = scim_strdup(path);
    if (v[cfg->nrequired] == NULL)
        return SCIM_ENOMEM;
    cfg->nrequired++;
    return SCIM_OK;
}

int
config_default(struct scim_config *cfg)
{
    size_t i;

    memset(cfg, 0, sizeof(*cfg));
    cfg->unknown = SCIM_UNKNOWN_IGNORE;
    cfg->dialects = SCIM_DIALECT_ALL;
    cfg->store_passwords = 0;
    cfg->retention_days = 30;
    cfg->max_results = 1000;
    cfg->rate_limit = 0;
    for (i = 0; i < NELEM(default_required); i++) {
        if (required_add(cfg, default_required[i]) != SCIM_OK) {
            config_free(cfg);
            return SCIM_ENOMEM;
        }
    }
    return SCIM_OK;
}

/* ---- Reading ---------------------------------------------------------- */

static int
bad_key(struct scim_error *err, const char *key, const char *expected)
{
    return scim_failf(err, 400, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                      key, "The configuration key '%s' must be %s.", key,
                      expected);
}

static int
read_required(const json_t *v, struct scim_config *cfg,
              struct scim_error *err)
{
    size_t i;
    json_t *e;

    if (!json_is_array(v))
        return bad_key(err, "required", "a list of attribute paths");
    json_array_foreach(v, i, e) {
        if (!json_is_string(e) || json_string_length(e) == 0
            || strlen(json_string_value(e)) != json_string_length(e))
            return bad_key(err, "required", "a list of attribute paths");
    }
    required_free(cfg);
    json_array_foreach(v, i, e) {
        if (required_add(cfg, json_string_value(e)) != SCIM_OK)
            return SCIM_ENOMEM;
    }
    return SCIM_OK;
}

static int
read_unknown(const json_t *v, struct scim_config *cfg,
             struct scim_error *err)
{
    const char *s = json_string_value(v);

    if (s != NULL && strcmp(s, "ignore") == 0)
        cfg->unknown = SCIM_UNKNOWN_IGNORE;
    else if (s != NULL && strcmp(s, "reject") == 0)
        cfg->unknown = SCIM_UNKNOWN_REJECT;
    else
        return bad_key(err, "unknown", "\"ignore\" or \"reject\"");
    return SCIM_OK;
}

static int
read_dialects(const json_t *v, struct scim_config *cfg,
              struct scim_error *err)
{
    unsigned bits = 0, bit;
    size_t i;
    json_t *e;

    if (!json_is_array(v))
        return bad_key(err, "dialects", "a list of dialect rule names");
    json_array_foreach(v, i, e) {
        bit = config_dialect_bit(json_string_value(e));
        if (bit == 0)
            return scim_failf(err, 400, SCIM_CAUSE_INVALID_VALUE,
                              "invalidValue", "dialects", "The dialect "
                              "rule '%s' is unknown; known rules are "
                              "op_case, path_keys, string_bool, add_single, "
                              "remove_values, manager_string, filter_create,"
                              " bare_token and unquoted_value.",
                              json_is_string(e) ? json_string_value(e)
                                                : "(not a string)");
        bits |= bit;
    }
    cfg->dialects = bits;
    return SCIM_OK;
}

static int
read_int(const json_t *v, const char *key, int min, int max, int *out,
         struct scim_error *err)
{
    json_int_t n;

    if (!json_is_integer(v) || (n = json_integer_value(v)) < min || n > max)
        return scim_failf(err, 400, SCIM_CAUSE_INVALID_VALUE,
                          "invalidValue", key, "The configuration key '%s' "
                          "must be an integer from %d to %d.", key, min,
                          max);
    *out = (int)n;
    return SCIM_OK;
}

/* Shape check only; config_registry() validates the schemas. */
static int
read_extensions(const json_t *v, struct scim_config *cfg,
                struct scim_error *err)
{
    size_t i;
    json_t *e, *req;

    if (!json_is_array(v))
        return bad_key(err, "extensions", "a list of extension objects");
    json_array_foreach(v, i, e) {
        req = json_object_get(e, "required");
        if (!json_is_object(json_object_get(e, "schema"))
            || !json_is_string(json_object_get(e, "resourceType"))
            || (req != NULL && !json_is_boolean(req)))
            return bad_key(err, "extensions", "a list of objects with "
                           "\"schema\" (object), \"resourceType\" (string) "
                           "and optional \"required\" (boolean)");
    }
    json_decref(cfg->extensions);
    cfg->extensions = json_deep_copy(v);
    return cfg->extensions == NULL ? SCIM_ENOMEM : SCIM_OK;
}

static int
read_key(const char *k, const json_t *v, struct scim_config *cfg,
         struct scim_error *err)
{
    if (strcmp(k, "required") == 0)
        return read_required(v, cfg, err);
    if (strcmp(k, "unknown") == 0)
        return read_unknown(v, cfg, err);
    if (strcmp(k, "dialects") == 0)
        return read_dialects(v, cfg, err);
    if (strcmp(k, "store_passwords") == 0) {
        if (!json_is_boolean(v))
            return bad_key(err, k, "true or false");
        cfg->store_passwords = json_is_true(v);
        return SCIM_OK;
    }
    if (strcmp(k, "retention_days") == 0)
        return read_int(v, k, 1, 3650, &cfg->retention_days, err);
    if (strcmp(k, "max_results") == 0)
        return read_int(v, k, 1, 100000, &cfg->max_results, err);
    if (strcmp(k, "rate_limit") == 0)
        return read_int(v, k, 0, 1000000, &cfg->rate_limit, err);
    if (strcmp(k, "extensions") == 0)
        return read_extensions(v, cfg, err);
    return scim_failf(err, 400, SCIM_CAUSE_INVALID_VALUE, "invalidValue", k,
                      "The configuration key '%s' is unknown.", k);
}

int
config_from_json(const json_t *j, struct scim_config *cfg,
                 struct scim_error *err)
{
    const char *k;
    json_t *v;
    int rc;

    if (!json_is_object(j))
        return scim_failf(err, 400, SCIM_CAUSE_INVALID_VALUE,
                          "invalidValue", "", "The configuration must be a "
                          "JSON object.");
    json_object_foreach((json_t *)j, k, v) {
        if ((rc = read_key(k, v, cfg, err)) != SCIM_OK)
            return rc;
    }
    return SCIM_OK;
}

/* ---- Writing ---------------------------------------------------------- */

static json_t *
strv_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; a != NULL && i < n; i++) {
        if (json_array_append_new(a, json_string(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *
dialects_json(unsigned bits)
{
    json_t *a = json_array();
    unsigned i;

    for (i = 0; a != NULL && i < SCIM_DIALECT_COUNT; i++) {
        if (!(bits & (1u << i)))
            continue;
        if (json_array_append_new(a, json_string(dialect_names[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *
config_to_json(const struct scim_config *cfg)
{
    json_t *j = json_object();

    if (j == NULL
        || json_object_set_new(j, "required",
                               strv_json(cfg->required, cfg->nrequired))
        || json_object_set_new(j, "unknown",
                               json_string(cfg->unknown == SCIM_UNKNOWN_REJECT
                                           ? "reject" : "ignore"))
        || json_object_set_new(j, "dialects", dialects_json(cfg->dialects))
        || json_object_set_new(j, "store_passwords",
                               json_boolean(cfg->store_passwords))
        || json_object_set_new(j, "retention_days",
                               json_integer(cfg->retention_days))
        || json_object_set_new(j, "max_results",
                               json_integer(cfg->max_results))
        || json_object_set_new(j, "rate_limit",
                               json_integer(cfg->rate_limit))
        || json_object_set_new(j, "extensions",
                               cfg->extensions != NULL
                               ? json_deep_copy(cfg->extensions)
                               : json_array())) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* ---- The registry a configuration implies ----------------------------- */

static int
add_ext(struct scim_registry *reg, const json_t *e, size_t i,
        struct scim_error *err)
{
    struct scim_schema *s;
    int rc;

    rc = schema_from_json(json_object_get(e, "schema"), &s, err);
    if (rc != SCIM_OK) {
        /* Prefix the schema's own path with where it sits in the list. */
        if (rc == SCIM_EINVAL && err != NULL) {
            char tmp[sizeof(err->attr)];

            if (snprintf(tmp, sizeof(tmp), "extensions[%zu].%s", i,
                         err->attr) < (int)sizeof(tmp))
                memcpy(err->attr, tmp, sizeof(tmp));
        }
        return rc;
    }
    return registry_add_extension(reg, s,
                                  json_string_value(json_object_get(
                                      e, "resourceType")),
                                  json_is_true(json_object_get(e,
                                                               "required")),
                                  err);
}

static int
check_required(const struct scim_config *cfg, const struct scim_registry *reg,
               struct scim_error *err)
{
    const struct scim_rtype *user = registry_rtype(reg, "User");
    struct scim_attr_ref ref;
    size_t i;

    for (i = 0; i < cfg->nrequired; i++) {
        const char *p = cfg->required[i];

        if (rtype_resolve(user, p, strlen(p), &ref) != SCIM_OK
            || ref.attr == NULL)
            return scim_failf(err, 400, SCIM_CAUSE_INVALID_VALUE,
                              "invalidValue", "required", "The required "
                              "attribute '%s' is not defined by any User "
                              "schema of this tenant.", p);
    }
    return SCIM_OK;
}

int
config_registry(const struct scim_config *cfg, struct scim_registry **out,
                struct scim_error *err)
{
    struct scim_registry *reg = registry_new();
    size_t i;
    int rc = SCIM_ENOMEM;

    *out = NULL;
    if (reg == NULL)
        return SCIM_ENOMEM;
    for (i = 0; i < json_array_size(cfg->extensions); i++) {
        rc = add_ext(reg, json_array_get(cfg->extensions, i), i, err);
        if (rc != SCIM_OK)
            goto fail;
    }
    if ((rc = check_required(cfg, reg, err)) != SCIM_OK)
        goto fail;
    *out = reg;
    return SCIM_OK;

fail:
    registry_free(reg);
    return rc;
}
