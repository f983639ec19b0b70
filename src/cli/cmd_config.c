/* SPDX-License-Identifier: MIT */
/*
 * scimctl config: shows and changes a tenant's configuration. Every
 * change is validated by the core (config_from_json, and the schema
 * loader for extensions) before it is stored; the server picks it up on
 * the tenant's next request, without a restart.
 *
 *   config show NAME
 *   config set NAME KEY VALUE     (VALUE: JSON, or a comma list for
 *                                  required and dialects)
 *   config dialect NAME RULE on|off
 *   config extension add NAME FILE [--resource-type T] [--required]
 *   config extension remove NAME URN
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "schema.h"

static json_t *
load_config(struct store *s, const char *name)
{
    struct store_tenant t;
    json_t *j;

    if (cli_tenant(s, name, &t) != 0)
        return NULL;
    j = json_loads(t.config, 0, NULL);
    store_tenant_free(&t);
    if (j == NULL)
        cli_fail("tenant '%s' has an unreadable configuration", name);
    return j;
}

/* Checks j with the core, then stores it in its canonical form. */
static int
save_config(struct store *s, const char *name, json_t *j)
{
    struct scim_config cfg;
    struct scim_error err = { 0 };
    struct scim_registry *reg;
    json_t *canon;
    char *text;
    int rc;

    config_default(&cfg);
    rc = config_from_json(j, &cfg, &err);
    reg = NULL;
    if (rc == SCIM_OK)
        rc = config_registry(&cfg, &reg, &err);
    registry_free(reg);
    if (rc != SCIM_OK) {
        config_free(&cfg);
        return cli_fail("invalid configuration: %s", err.detail);
    }
    canon = config_to_json(&cfg);
    config_free(&cfg);
    text = canon != NULL ? json_dumps(canon, JSON_COMPACT) : NULL;
    json_decref(canon);
    if (text == NULL)
        return cli_fail("out of memory");
    rc = store_tenant_set_config(s, name, text);
    free(text);
    return rc == SCIM_OK ? 0 : cli_fail("cannot store the configuration");
}

static json_t *
list_value(const char *text)
{
    json_t *a = json_array();
    const char *p = text, *comma;

    while (*p != '\0') {
        comma = strchr(p, ',');
        if (comma == NULL)
            comma = p + strlen(p);
        if (comma > p)
            json_array_append_new(a, json_stringn(p, (size_t)(comma - p)));
        p = *comma == ',' ? comma + 1 : comma;
    }
    return a;
}

static json_t *
parse_value(const char *key, const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

    if (v != NULL)
        return v;
    if (strcmp(key, "required") == 0 || strcmp(key, "dialects") == 0)
        return list_value(text);
    return json_string(text);
}

static int
config_set(struct store *s, const char *name, const char *key,
           const char *value)
{
    json_t *j = load_config(s, name);
    int rc;

    if (j == NULL)
        return 1;
    json_object_set_new(j, key, parse_value(key, value));
    rc = save_config(s, name, j);
    json_decref(j);
    if (rc == 0)
        fprintf(stderr, "tenant '%s': %s updated\n", name, key);
    return rc;
}

static int
config_dialect(struct store *s, const char *name, const char *rule,
               const char *onoff)
{
    json_t *j = load_config(s, name), *d, *e;
    int on = strcmp(onoff, "on") == 0;
    size_t i;
    int rc;

    if (j == NULL)
        return 1;
    if (!on && strcmp(onoff, "off") != 0) {
        json_decref(j);
        return cli_fail("'%s' is neither on nor off", onoff);
    }
    if (config_dialect_bit(rule) == 0) {
        json_decref(j);
        return cli_fail("unknown dialect rule '%s'", rule);
    }
    d = json_object_get(j, "dialects");
    json_array_foreach(d, i, e)
        if (strcmp(json_string_value(e), rule) == 0) {
            json_array_remove(d, i);
            break;
        }
    if (on)
        json_array_append_new(d, json_string(rule));
    rc = save_config(s, name, j);
    json_decref(j);
    return rc;
}

static int
extension_add(struct store *s, const char *name, int argc, char **argv)
{
    json_error_t jerr;
    json_t *j, *def, *ext;
    const char *rt = "User";
    int i, req = 0, rc;

    if (argc < 1)
        return cli_fail("usage: config extension add NAME FILE "
                        "[--resource-type T] [--required]");
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--resource-type") == 0 && i + 1 < argc)
            rt = argv[++i];
        else if (strcmp(argv[i], "--required") == 0)
            req = 1;
        else
            return cli_fail("unknown option '%s'", argv[i]);
    }
    def = json_load_file(argv[0], 0, &jerr);
    if (def == NULL)
        return cli_fail("%s: not JSON: %s (line %d)", argv[0], jerr.text,
                        jerr.line);
    j = load_config(s, name);
    if (j == NULL) {
        json_decref(def);
        return 1;
    }
    ext = json_pack("{s:o, s:s, s:b}", "schema", def, "resourceType", rt,
                    "required", req);
    if (!json_is_array(json_object_get(j, "extensions")))
        json_object_set_new(j, "extensions", json_array());
    json_array_append_new(json_object_get(j, "extensions"), ext);
    rc = save_config(s, name, j);
    json_decref(j);
    if (rc == 0)
        fprintf(stderr, "tenant '%s': extension added\n", name);
    return rc;
}

static int
extension_remove(struct store *s, const char *name, const char *urn)
{
    json_t *j = load_config(s, name), *exts, *e;
    size_t i;
    int rc;

    if (j == NULL)
        return 1;
    exts = json_object_get(j, "extensions");
    json_array_foreach(exts, i, e) {
        const char *id = json_string_value(json_object_get(
            json_object_get(e, "schema"), "id"));

        if (id != NULL && strcmp(id, urn) == 0) {
            json_array_remove(exts, i);
            rc = save_config(s, name, j);
            json_decref(j);
            return rc;
        }
    }
    json_decref(j);
    return cli_fail("tenant '%s' has no extension '%s'", name, urn);
}

static int
config_show(struct store *s, const char *name)
{
    json_t *j = load_config(s, name);

    if (j == NULL)
        return 1;
    json_dumpf(j, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(j);
    return 0;
}

int
cmd_config(struct store *s, int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "show") == 0)
        return config_show(s, argv[2]);
    if (argc == 5 && strcmp(argv[1], "set") == 0)
        return config_set(s, argv[2], argv[3], argv[4]);
    if (argc == 5 && strcmp(argv[1], "dialect") == 0)
        return config_dialect(s, argv[2], argv[3], argv[4]);
    if (argc >= 4 && strcmp(argv[1], "extension") == 0 &&
        strcmp(argv[2], "add") == 0)
        return extension_add(s, argv[3], argc - 4, argv + 4);
    if (argc == 5 && strcmp(argv[1], "extension") == 0 &&
        strcmp(argv[2], "remove") == 0)
        return extension_remove(s, argv[3], argv[4]);
    return cli_fail("usage: config show NAME | config set NAME KEY VALUE | "
                    "config dialect NAME RULE on|off | config extension "
                    "add NAME FILE [--resource-type T] [--required] | "
                    "config extension remove NAME URN");
}
