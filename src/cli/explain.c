/* SPDX-License-Identifier: MIT */
/*
 * Explanations of SCIM log records for support staff. A table indexed
 * by enum scim_cause holds, for every cause, what it means and how to
 * fix it three ways: for Okta, for Microsoft Entra ID and for any other
 * identity provider. The fixes name the screens an admin actually opens,
 * and the source attribute usually mapped to the SCIM attribute at
 * fault, because "map name.familyName" is only useful to someone who
 * also knows it comes from user.lastName. Templates take {attr},
 * {okta_src}, {entra_src} and {tenant}; docs/CAUSES.md is the same
 * content for people, and the unit test checks that no cause is missing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "explain.h"

struct cause_text {
    const char *meaning;
    const char *generic;
    const char *okta;
    const char *entra;
};

#define OKTA_MAP "In Okta, open the app > Provisioning > To App > " \
                 "Attribute Mappings"
#define ENTRA_MAP "In Entra, Enterprise application > Provisioning > " \
                  "Mappings > Provision Microsoft Entra ID Users"

/* Fixes for a required attribute that is missing, null or empty. */
#define REQ_OKTA OKTA_MAP " and map a non-empty value to {attr}{okta_src}, " \
    "or mark it required in the Profile Editor so that Okta does not " \
    "provision users without it; a user whose Okta profile lacks the " \
    "value needs it filled in, then retry the task."
#define REQ_ENTRA ENTRA_MAP " > add/fix the mapping for {attr}{entra_src}" \
    " and fill the source attribute for this user, or give the mapping " \
    "a 'Default value if null'; then use Provision on demand to retry."
#define REQ_GENERIC "Map a non-empty value to {attr} in the identity " \
    "provider's attribute mappings and fill it for this user; or, if " \
    "the attribute is not really needed, stop requiring it for the " \
    "tenant (scimctl config set {tenant} required ...)."

static const struct cause_text texts[SCIM_CAUSE_COUNT] = {
    [SCIM_CAUSE_NONE] = {
        "No cause was recorded for this exchange.",
        "Nothing to change on the identity provider's side; look at the "
        "status and the detail of the exchange.",
        "Nothing to change in Okta; look at the status and the detail "
        "of the exchange.",
        "Nothing to change in Entra; look at the status and the detail "
        "of the exchange."
    },
    [SCIM_CAUSE_MISSING_REQUIRED] = {
        "A required attribute was not in the request at all.",
        REQ_GENERIC, REQ_OKTA, REQ_ENTRA
    },
    [SCIM_CAUSE_NULL_REQUIRED] = {
        "A required attribute was sent as null, which clears it.",
        REQ_GENERIC, REQ_OKTA, REQ_ENTRA
    },
    [SCIM_CAUSE_EMPTY_REQUIRED] = {
        "A required attribute was sent as an empty string or an empty "
        "list.",
        REQ_GENERIC, REQ_OKTA, REQ_ENTRA
    },
    [SCIM_CAUSE_INVALID_TYPE] = {
        "A value had the wrong JSON type for its attribute (a string "
        "where a boolean, number or complex object was expected, or a "
        "single value where a list was expected).",
        "Send {attr} with the type the tenant's schema declares (GET "
        "/scim/v2/Schemas). If the identity provider sends booleans as "
        "strings (\"True\"), turn on the string_bool dialect: scimctl "
        "config dialect {tenant} string_bool on.",
        OKTA_MAP ", check the expression feeding {attr}{okta_src}, and in "
        "the Profile Editor give the app attribute the type of the SCIM "
        "attribute (boolean, string, number; a list for multi-valued "
        "attributes).",
        ENTRA_MAP " > edit the mapping for {attr}{entra_src}: its target "
        "type must match scimd's schema. Entra's legacy PATCH sends "
        "booleans as \"True\"/\"False\": add ?aadOptscim062020 to the "
        "Tenant URL, or turn on the string_bool dialect (scimctl config "
        "dialect {tenant} string_bool on)."
    },
    [SCIM_CAUSE_INVALID_VALUE] = {
        "A value is not acceptable for its attribute: not one of its "
        "canonical values, badly formatted, a reference to a resource "
        "that does not exist, or an attribute the tenant does not have.",
        "Correct the value the identity provider maps to {attr}; the "
        "detail says which values are accepted. If {attr} is not an "
        "attribute of the tenant, remove the mapping or add a custom "
        "extension (scimctl config extension add {tenant} FILE).",
        OKTA_MAP ", fix the expression that feeds {attr}{okta_src} so it "
        "yields an accepted value (the detail lists them), and check the "
        "user's Okta profile value; for group pushes, re-push the group "
        "after importing users so member ids are current.",
        ENTRA_MAP " > edit the mapping for {attr}{entra_src} so it yields "
        "an accepted value (the detail lists them); an expression such as "
        "Switch() or ToLower() can translate the source value."
    },
    [SCIM_CAUSE_MUTABILITY] = {
        "The request tried to change an attribute that is read-only or "
        "immutable once set.",
        "Stop sending a new value for {attr} on updates: send the stored "
        "value back or leave it out.",
        OKTA_MAP " and set the mapping of {attr}{okta_src} to apply on "
        "create only, or stop mapping it. If userName changed because the "
        "user's email changed, restore the old app username for this "
        "user (app > Assignments > edit the user).",
        ENTRA_MAP " > edit the mapping for {attr}{entra_src} and set "
        "'Apply this mapping' to 'Only during object creation'."
    },
    [SCIM_CAUSE_UNIQUENESS] = {
        "Another resource of the tenant already holds this value of a "
        "unique attribute (a user's userName or a group's displayName, "
        "compared case-insensitively).",
        "Another user or group already has this {attr}. Either the identity "
        "provider maps two people to the same value, or it did not find "
        "the existing user and tried to create it again: link the "
        "existing user instead of creating a new one.",
        "Okta's existence check did not match the existing scimd user, "
        "so Okta tried to create it again. In Okta, open the app > Import "
        "and run an import, then confirm the match to link the existing "
        "user; and check the app username format (app > Sign On) does "
        "not give two Okta users the same {attr}.",
        ENTRA_MAP " > check the attribute with matching precedence 1 "
        "(usually userName from userPrincipalName): Entra did not find "
        "the existing user by it and tried to create a second one. Fix "
        "the matching attribute or the source value, then Provision on "
        "demand."
    },
    [SCIM_CAUSE_REACTIVATION_CONFLICT] = {
        "A create (POST) collided with a deactivated user that holds the "
        "same userName: the identity provider should have reactivated it.",
        "Reactivate the existing user instead of creating it again: find "
        "it with GET /Users?filter=userName eq \"...\" (scimd returns "
        "inactive users) and send PATCH active=true or a PUT on its id.",
        "Okta's existence check (GET /Users?filter=userName eq ...) did "
        "not find the deactivated user, so Okta sent a create instead of "
        "a reactivation. scimd DOES return inactive users to that filter, "
        "so the link is likely broken (the user was re-added to the app "
        "or matched on another value). In Okta, open the app > Import, "
        "run an import and confirm the match to re-link the user, then "
        "reactivate it instead of recreating it.",
        "Entra did not match the deactivated user and tried to create it "
        "again. " ENTRA_MAP " > check the matching attribute (matching "
        "precedence 1) and the source value; once it matches, Entra "
        "reactivates the user with active=true. Retry with Provision on "
        "demand."
    },
    [SCIM_CAUSE_INVALID_FILTER] = {
        "The filter query parameter is not valid SCIM filter syntax, or "
        "names an attribute that cannot be filtered on.",
        "Make the identity provider query with a valid filter on a known "
        "attribute, e.g. userName eq \"user@example.com\" (value in "
        "double quotes).",
        "Okta builds its existence-check filter from the app's unique "
        "user identifier: in the app > Provisioning > Integration (or "
        "the connector's settings) make it userName, and if a custom "
        "connector builds the filter, quote the value: userName eq "
        "\"...\".",
        ENTRA_MAP " > the matching attribute (matching precedence) must "
        "be one scimd can filter on: userName, externalId or "
        "emails[type eq \"work\"].value. For the legacy unquoted form "
        "(externalId eq abc) turn on the unquoted_value dialect: scimctl "
        "config dialect {tenant} unquoted_value on."
    },
    [SCIM_CAUSE_INVALID_PATH] = {
        "A PATCH operation's path is malformed or names no attribute of "
        "the resource.",
        "Send PATCH paths that name attributes of the tenant's schema "
        "(GET /scim/v2/Schemas), e.g. name.familyName or emails[type eq "
        "\"work\"].value.",
        "A mapping pushes an attribute whose external name or namespace "
        "scimd does not know. In Okta, open the Profile Editor for the "
        "app and correct the external name and namespace of {attr}, or "
        "remove that attribute's mapping (app > Provisioning > To App).",
        ENTRA_MAP " > edit the target attribute of the mapping for {attr}: "
        "it must exist in scimd's schema. Adding ?aadOptscim062020 to "
        "the Tenant URL makes Entra send standard PATCH paths."
    },
    [SCIM_CAUSE_NO_TARGET] = {
        "A PATCH operation had nothing to act on: its path or value "
        "filter matched no value of the resource, or a remove named no "
        "path.",
        "The identity provider's view of the resource is stale: re-read "
        "the resource (GET) and send operations on values that exist, "
        "or use add instead of replace/remove.",
        "Okta's copy of the user or group is stale. In Okta, open the app "
        "> Import and run an import (or re-push the group from Push "
        "Groups) so Okta sends operations on values that exist.",
        "Entra's cached state is stale. In Entra, Enterprise application "
        "> Provisioning > Provision on demand for this user (or restart "
        "provisioning) so it re-reads the resource."
    },
    [SCIM_CAUSE_INVALID_SYNTAX] = {
        "The body is not valid JSON or not a valid SCIM message (wrong "
        "or missing schemas, no Operations, wrong Content-Type).",
        "Send a JSON body that is a SCIM message of the right kind for "
        "the request, with its schemas URN; the detail names the fault.",
        "OIN apps build the body themselves: if this is a custom "
        "connector or a workflow, fix its request template; otherwise "
        "contact Okta support with the request id.",
        "Entra builds the body itself: check the Tenant URL and the "
        "mappings' target attributes in " ENTRA_MAP ", then contact "
        "Microsoft support with the request id if it persists."
    },
    [SCIM_CAUSE_UNSUPPORTED_REQUEST] = {
        "The method or endpoint is not supported, e.g. PATCH or PUT on "
        "the /Users collection instead of /Users/{id}, or a URL outside "
        "/scim/v2.",
        "Check the base URL configured in the identity provider: it "
        "must be https://HOST/scim/v2 with nothing after it; resource "
        "updates go to /Users/{id} and /Groups/{id}.",
        "In Okta, open the app > Provisioning > Integration and check the "
        "SCIM connector base URL: it must end in /scim/v2 (no /Users "
        "after it); then Test Connector Configuration.",
        "In Entra, Enterprise application > Provisioning > Admin "
        "Credentials: the Tenant URL must be https://HOST/scim/v2 "
        "(optionally ?aadOptscim062020), nothing after it; then Test "
        "Connection."
    },
    [SCIM_CAUSE_NOT_FOUND] = {
        "The id in the URL (or a member id) does not exist in this "
        "tenant, for example a stale SCIM id of a user who was deleted "
        "or recreated in scimd.",
        "The identity provider holds a stale SCIM id: re-match the user "
        "by userName so it learns the current id.",
        "Okta holds a stale SCIM id (the user was deleted or recreated "
        "in scimd). In Okta, open the app > Import, run an import and "
        "confirm the match so Okta learns the current id; then re-push "
        "affected groups (Push Groups).",
        "Entra cached a SCIM id that no longer exists. In Entra, "
        "Enterprise application > Provisioning > Provision on demand for "
        "this user, or Restart provisioning to clear the cached ids."
    },
    [SCIM_CAUSE_UNAUTHORIZED] = {
        "The request had no valid bearer token: the Authorization header "
        "was missing, the token was wrong or revoked, or it was not sent "
        "as \"Bearer TOKEN\".",
        "Issue a token (scimctl token issue {tenant}) and configure the "
        "identity provider to send it as Authorization: Bearer TOKEN.",
        "In Okta, open the app > Provisioning > Integration, paste a "
        "current token (scimctl token issue {tenant}) as the API token "
        "(with a custom header, the value must be \"Bearer TOKEN\"), and "
        "click Test Connector Configuration.",
        "In Entra, Enterprise application > Provisioning > Admin "
        "Credentials: paste a current token (scimctl token issue "
        "{tenant}) into Secret Token and click Test Connection."
    },
    [SCIM_CAUSE_TOO_LARGE] = {
        "The request body exceeded scimd's size limit.",
        "Send smaller requests: split large group membership changes "
        "into several PATCH requests.",
        "Usually a group push with a very large member list. In Okta, "
        "push membership of smaller groups, or let Okta send membership "
        "changes incrementally (PATCH) rather than a full PUT.",
        "Usually a group with a very large membership change. Entra "
        "splits membership changes itself; reduce the provisioning scope "
        "or assign smaller groups."
    },
    [SCIM_CAUSE_RATE_LIMITED] = {
        "scimd answered 429 because the tenant sent too many requests; "
        "the identity provider should retry after Retry-After.",
        "Nothing is wrong with the request: make the identity provider "
        "retry after the Retry-After delay and spread large changes "
        "over time.",
        "Okta reschedules throttled tasks after Retry-After. If tasks "
        "stay failed, retry them in the Okta dashboard > Tasks, and "
        "spread large assignments and group pushes over time.",
        "Entra retries throttled requests after Retry-After or on the "
        "next cycle. If the job went into quarantine, reduce the "
        "provisioning scope and restart provisioning."
    },
    [SCIM_CAUSE_IGNORED_ATTRIBUTE] = {
        "The request carried an attribute that no schema of the tenant "
        "defines: scimd accepted the request but dropped that attribute, "
        "so its data was silently lost.",
        "The mapping sends {attr}, which the tenant does not have: add a "
        "custom extension defining it (scimctl config extension add "
        "{tenant} FILE), or remove the mapping in the identity provider.",
        "The mapping sends {attr}, which the tenant does not have: add a "
        "custom extension defining it (scimctl config extension add "
        "{tenant} FILE), or remove the mapping (" OKTA_MAP ", and the "
        "attribute in the Profile Editor).",
        "The mapping sends {attr}, which the tenant does not have: add a "
        "custom extension defining it (scimctl config extension add "
        "{tenant} FILE), or remove the mapping (" ENTRA_MAP ")."
    },
    [SCIM_CAUSE_INTERNAL] = {
        "scimd failed for a reason not caused by the request (database "
        "unavailable, a change racing this one, or a defect).",
        "Nothing to change on the identity provider's side: retry the "
        "request, and check scimd's process log for req=REQUEST_ID.",
        "Nothing to change in Okta: retry the failed task (Okta "
        "dashboard > Tasks), and check scimd's process log for the "
        "request id.",
        "Nothing to change in Entra: it retries on the next cycle; check "
        "scimd's process log for the request id."
    },
};

/* Usual source attribute of each SCIM attribute, for the fix text. */
static const struct {
    const char *scim;
    const char *okta;
    const char *entra;
} sources[] = {
    { "userName", "the app username format, app > Sign On",
      "userPrincipalName" },
    { "givenName", "user.firstName", "givenName" },
    { "familyName", "user.lastName", "surname" },
    { "formatted", "user.displayName",
      "Join(\" \", [givenName], [surname])" },
    { "displayName", "user.displayName", "displayName" },
    { "nickName", "user.nickName", "mailNickname" },
    { "emails", "user.email", "mail" },
    { "externalId", "set by Okta to the Okta user id", "objectId" },
    { "active", "set by Okta from the assignment",
      "Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", "
      "\"False\")" },
    { "title", "user.title", "jobTitle" },
    { "phoneNumbers", "user.mobilePhone", "mobile" },
    { "preferredLanguage", "user.preferredLanguage", "preferredLanguage" },
    { "locale", "user.locale", "usageLocation" },
    { "employeeNumber", "user.employeeNumber", "employeeId" },
    { "department", "user.department", "department" },
    { "manager", "user.managerId", "manager" },
    { "organization", "user.organization", "companyName" },
};

enum explain_idp
explain_idp_of(const char *user_agent, const char *path)
{
    if (user_agent != NULL && strcasestr(user_agent, "okta") != NULL)
        return EXPLAIN_OKTA;
    if (user_agent != NULL && (strcasestr(user_agent, "azure") != NULL ||
                               strcasestr(user_agent, "microsoft") != NULL))
        return EXPLAIN_ENTRA;
    if (path != NULL && strcasestr(path, "aadOptscim062020") != NULL)
        return EXPLAIN_ENTRA;
    return EXPLAIN_GENERIC;
}

const char *
explain_idp_name(enum explain_idp idp)
{
    if (idp == EXPLAIN_OKTA)
        return "okta";
    return idp == EXPLAIN_ENTRA ? "entra" : "generic";
}

static const struct cause_text *
text_of(enum scim_cause cause)
{
    if ((int)cause < 0 || cause >= SCIM_CAUSE_COUNT)
        cause = SCIM_CAUSE_NONE;
    return &texts[cause];
}

const char *
explain_meaning(enum scim_cause cause)
{
    return text_of(cause)->meaning;
}

/*
 * The source hint for attr: the last name segment of the path (after a
 * URN's ':' and a value filter), so "emails[type eq \"work\"].value"
 * and "urn:...:User:employeeNumber" find their rows.
 */
static const char *
source_of(const char *attr, enum explain_idp idp)
{
    char name[128];
    const char *p, *seg = attr;
    size_t i, n = 0;

    if (attr == NULL)
        return NULL;
    for (p = attr; *p != '\0' && *p != '['; p++)
        if (*p == ':' || *p == '.')
            seg = p + 1;
    if (*p == '[' || strcmp(seg, "value") == 0) {
        /* "emails[...].value" and "emails.value" are about emails. */
        for (p = attr; *p != '\0' && *p != '[' && *p != '.'; p++)
            if (*p == ':')
                attr = p + 1;
        seg = attr;
    }
    while (seg[n] != '\0' && seg[n] != '[' && seg[n] != '.' &&
           n + 1 < sizeof(name)) {
        name[n] = seg[n];
        n++;
    }
    name[n] = '\0';
    for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
        if (strcasecmp(name, sources[i].scim) == 0)
            return idp == EXPLAIN_OKTA ? sources[i].okta : sources[i].entra;
    return NULL;
}

static void
put_hint(FILE *f, const char *attr, enum explain_idp idp,
         enum explain_idp want)
{
    const char *src = idp == want ? source_of(attr, idp) : NULL;

    if (src != NULL)
        fprintf(f, " (e.g. %s)", src);
}

char *
explain_fix(enum scim_cause cause, enum explain_idp idp, const char *attr,
            const char *tenant)
{
    const struct cause_text *t = text_of(cause);
    const char *tpl = idp == EXPLAIN_OKTA ? t->okta
                      : idp == EXPLAIN_ENTRA ? t->entra : t->generic;
    const char *p, *close;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    if (f == NULL)
        return NULL;
    if (attr == NULL || *attr == '\0')
        attr = "the attribute";
    for (p = tpl; *p != '\0'; p++) {
        close = *p == '{' ? strchr(p, '}') : NULL;
        if (close == NULL)
            fputc(*p, f);
        else if (strncmp(p, "{attr}", 6) == 0)
            fputs(attr, f);
        else if (strncmp(p, "{tenant}", 8) == 0)
            fputs(tenant != NULL ? tenant : "TENANT", f);
        else if (strncmp(p, "{okta_src}", 10) == 0)
            put_hint(f, attr, idp, EXPLAIN_OKTA);
        else if (strncmp(p, "{entra_src}", 11) == 0)
            put_hint(f, attr, idp, EXPLAIN_ENTRA);
        else
            fwrite(p, 1, (size_t)(close - p + 1), f);
        if (close != NULL)
            p = close;
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* ---- Reading a log row ------------------------------------------------ */

static const char *
row_str(const json_t *row, const char *key)
{
    return json_string_value(json_object_get(row, key));
}

/* Case-insensitive member lookup: SCIM names ignore case (RFC 7643 2.1). */
static json_t *
iget(const json_t *obj, const char *key, size_t len)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)obj, k, v)
        if (strlen(k) == len && strncasecmp(k, key, len) == 0)
            return v;
    return NULL;
}

/* The PATCH operation an "Operations[N]..." attribute points at. */
static const json_t *
patch_op(const json_t *row, const char *attr)
{
    const json_t *body = json_object_get(row, "request_body");
    const json_t *ops = json_is_object(body)
                            ? iget(body, "Operations", 10) : NULL;
    char *end;
    long n;

    if (attr == NULL || strncmp(attr, "Operations[", 11) != 0)
        return NULL;
    n = strtol(attr + 11, &end, 10);
    if (end == attr + 11 || *end != ']' || n < 0)
        return NULL;
    return json_array_get(ops, (size_t)n);
}

char *
explain_attr(const json_t *row)
{
    const char *attr = row_str(row, "attribute");
    const json_t *op = patch_op(row, attr), *value;
    const char *path, *k;
    json_t *v;
    char *out = NULL;
    size_t len = 0;
    FILE *f;

    if (attr == NULL || *attr == '\0')
        return NULL;
    path = json_string_value(iget(op, "path", 4));
    value = iget(op, "value", 5);
    if (op == NULL || (path == NULL && !json_is_object(value)))
        return strdup(attr);
    if (path != NULL)
        return strdup(path);
    /* A path-less operation: the keys of its value are the attributes. */
    f = open_memstream(&out, &len);
    if (f == NULL)
        return NULL;
    json_object_foreach((json_t *)value, k, v)
        fprintf(f, "%s%s", ftell(f) > 0 ? ", " : "", k);
    if (fclose(f) != 0 || len == 0) {
        free(out);
        return strdup(attr);
    }
    return out;
}

enum scim_cause
explain_row_cause(const json_t *row)
{
    const char *name = row_str(row, "cause");
    json_int_t status = json_integer_value(json_object_get(row, "status"));
    enum scim_cause c = name != NULL ? scim_cause_from_name(name)
                                     : SCIM_CAUSE_NONE;

    if (status < 400)
        return SCIM_CAUSE_NONE;
    return c != SCIM_CAUSE_NONE ? c : SCIM_CAUSE_INTERNAL;
}

/* ---- What was sent ---------------------------------------------------- */

#define SHOW_STR 48     /* longest string value shown in a summary */
#define SHOW_KEYS 12    /* most members of one object listed */
#define SHOW_OPS 6      /* most PATCH operations listed */

static void
put_value(FILE *f, const json_t *v, int depth)
{
    const char *k;
    json_t *e;
    size_t n = 0, len;
    char *s;

    if (json_is_string(v)) {
        len = json_string_length(v);
        s = json_dumps(v, JSON_ENCODE_ANY);
        if (s != NULL && len > SHOW_STR)
            fprintf(f, "\"%.*s...\"", SHOW_STR, json_string_value(v));
        else if (s != NULL)
            fputs(s, f);
        free(s);
    } else if (json_is_array(v)) {
        fprintf(f, json_array_size(v) == 0 ? "[]" : "[%zu]",
                json_array_size(v));
    } else if (json_is_object(v) && depth > 1) {
        fprintf(f, json_object_size(v) == 0 ? "{}" : "{...}");
    } else if (json_is_object(v)) {
        fputc('{', f);
        json_object_foreach((json_t *)v, k, e) {
            if (n++ == SHOW_KEYS) {
                fputs(", ...", f);
                break;
            }
            fprintf(f, "%s%s=", n > 1 ? ", " : "", k);
            put_value(f, e, depth + 1);
        }
        fputc('}', f);
    } else {
        s = json_dumps(v, JSON_ENCODE_ANY);
        fputs(s != NULL ? s : "?", f);
        free(s);
    }
}

static void
put_ops(FILE *f, const json_t *ops)
{
    const json_t *op, *path;
    size_t i;

    fprintf(f, "PatchOp with %zu operation%s:", json_array_size(ops),
            json_array_size(ops) == 1 ? "" : "s");
    json_array_foreach(ops, i, op) {
        if (i == SHOW_OPS) {
            fprintf(f, " ... (%zu more)", json_array_size(ops) - i);
            break;
        }
        path = iget(op, "path", 4);
        fprintf(f, "%s [%zu] %s", i > 0 ? ";" : "", i,
                json_is_string(iget(op, "op", 2))
                    ? json_string_value(iget(op, "op", 2)) : "(no op)");
        if (json_is_string(path))
            fprintf(f, " %s", json_string_value(path));
        else
            fputs(" (no path)", f);
        if (iget(op, "value", 5) != NULL) {
            fputs(" value=", f);
            put_value(f, iget(op, "value", 5), 0);
        }
    }
}

/*
 * Finds attr in body: '.' separates sub-attributes, an extension URN is
 * matched as the longest key that prefixes the path, "[N]" indexes and
 * a value filter "[...]" stops at the list. Returns 1 when found.
 */
static int
find_attr(const json_t *body, const char *attr, const json_t **out)
{
    const json_t *cur = body;
    const char *p = attr, *k, *best, *close;
    size_t klen, blen;
    int index;
    json_t *v;

    while (*p != '\0') {
        best = NULL;
        blen = 0;
        json_object_foreach((json_t *)cur, k, v) {
            klen = strlen(k);
            if (klen > blen && strncasecmp(p, k, klen) == 0 &&
                strchr(".:[", p[klen]) != NULL) {
                best = k;
                blen = klen;
            }
        }
        if (best == NULL)
            return 0;
        cur = json_object_get(cur, best);
        p += blen;
        if (*p == '[') {
            close = strchr(p, ']');
            index = isdigit((unsigned char)p[1]);
            if (index)
                cur = json_array_get(cur, strtoul(p + 1, NULL, 10));
            p = close != NULL ? close + 1 : p + strlen(p);
            if (!index || cur == NULL)
                break;
        }
        if (*p == '.' || *p == ':')
            p++;
    }
    *out = cur;
    return cur != NULL;
}

static void
put_focus(FILE *f, const json_t *body, const char *attr)
{
    const json_t *v = NULL;

    if (attr == NULL || strchr(attr, ',') != NULL ||
        strncmp(attr, "Operations", 10) == 0)
        return;
    fprintf(f, "; %s ", attr);
    if (!find_attr(body, attr, &v))
        fputs("was absent", f);
    else if (json_is_null(v))
        fputs("was null", f);
    else if (json_is_string(v) && json_string_length(v) == 0)
        fputs("was an empty string", f);
    else if (json_is_array(v) && json_array_size(v) == 0)
        fputs("was an empty list", f);
    else {
        fputs("was ", f);
        put_value(f, v, 1);
        fprintf(f, " (%s)", json_is_string(v) ? "string"
                : json_is_boolean(v) ? "boolean"
                : json_is_number(v) ? "number"
                : json_is_array(v) ? "list" : "object");
    }
}

char *
explain_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1), *o = out;
    unsigned hex;
    size_t i;

    if (out == NULL)
        return NULL;
    for (i = 0; i < len; i++) {
        if (s[i] == '+')
            *o++ = ' ';
        else if (s[i] == '%' && i + 2 < len &&
                 isxdigit((unsigned char)s[i + 1]) &&
                 isxdigit((unsigned char)s[i + 2]) &&
                 sscanf(s + i + 1, "%2x", &hex) == 1) {
            *o++ = (char)hex;
            i += 2;
        } else
            *o++ = s[i];
    }
    *o = '\0';
    return out;
}

/* The filter of a query string, percent-decoded, or NULL. */
static char *
query_filter(const char *path)
{
    const char *p = path != NULL ? strstr(path, "filter=") : NULL;

    if (p == NULL || (p != path && p[-1] != '?' && p[-1] != '&'))
        return NULL;
    p += 7;
    return explain_decode(p, strcspn(p, "&"));
}

char *
explain_sent(const json_t *row, const char *attr)
{
    const json_t *body = json_object_get(row, "request_body");
    const json_t *ops = json_is_object(body)
                            ? iget(body, "Operations", 10) : NULL;
    char *filter = query_filter(row_str(row, "path"));
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    if (f == NULL) {
        free(filter);
        return NULL;
    }
    if (filter != NULL)
        fprintf(f, "filter: %s; ", filter);
    if (body == NULL || json_is_null(body))
        fputs("no body", f);
    else if (json_is_string(body))
        fprintf(f, "a body that is not JSON (%zu bytes)",
                json_string_length(body));
    else if (json_is_array(ops))
        put_ops(f, ops);
    else if (json_is_object(body)) {
        fputs("attributes ", f);
        put_value(f, body, 0);
        put_focus(f, body, attr);
    } else {
        fputs("a JSON body that is not an object: ", f);
        put_value(f, body, 1);
    }
    free(filter);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* ---- Findings --------------------------------------------------------- */

static char *
explanation(const json_t *row, enum scim_cause cause, const char *attr)
{
    const char *detail = row_str(row, "detail");
    json_int_t status = json_integer_value(json_object_get(row, "status"));
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    if (f == NULL)
        return NULL;
    if (cause == SCIM_CAUSE_IGNORED_ATTRIBUTE)
        fprintf(f, "scimd accepted the request (status %d) but dropped "
                "%s. ", (int)status, attr != NULL ? attr : "an attribute");
    else
        fprintf(f, "scimd refused it with status %d (%s%s%s). ",
                (int)status, scim_cause_name(cause),
                attr != NULL ? ", attribute " : "",
                attr != NULL ? attr : "");
    fputs(explain_meaning(cause), f);
    if (detail != NULL && *detail != '\0' &&
        cause != SCIM_CAUSE_IGNORED_ATTRIBUTE)
        fprintf(f, " scimd said: %s", detail);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static void
set_text(json_t *o, const char *key, char *text)
{
    json_object_set_new(o, key, text != NULL ? json_string(text)
                                             : json_null());
    free(text);
}

static void
copy_field(json_t *o, const json_t *row, const char *key)
{
    json_t *v = json_object_get(row, key);

    json_object_set_new(o, key, v != NULL ? json_incref(v) : json_null());
}

/* Causes where the state of the attribute in the body tells the story. */
static int
about_body(enum scim_cause cause)
{
    switch (cause) {
    case SCIM_CAUSE_MISSING_REQUIRED:
    case SCIM_CAUSE_NULL_REQUIRED:
    case SCIM_CAUSE_EMPTY_REQUIRED:
    case SCIM_CAUSE_INVALID_TYPE:
    case SCIM_CAUSE_INVALID_VALUE:
    case SCIM_CAUSE_MUTABILITY:
    case SCIM_CAUSE_UNIQUENESS:
    case SCIM_CAUSE_REACTIVATION_CONFLICT:
    case SCIM_CAUSE_IGNORED_ATTRIBUTE:
        return 1;
    default:
        return 0;
    }
}

json_t *
explain_finding(const json_t *row, enum scim_cause cause, const char *attr)
{
    const char *raw = attr != NULL ? attr : row_str(row, "attribute");
    char *target = attr != NULL ? strdup(attr) : explain_attr(row);
    enum explain_idp idp = explain_idp_of(row_str(row, "user_agent"),
                                          row_str(row, "path"));
    char when[CLI_TIME_LEN];
    json_t *o = json_object();

    if (o == NULL) {
        free(target);
        return NULL;
    }
    cli_time_format(json_integer_value(json_object_get(row, "time_ms")),
                    when);
    copy_field(o, row, "request_id");
    json_object_set_new(o, "time", json_string(when));
    copy_field(o, row, "tenant");
    copy_field(o, row, "method");
    copy_field(o, row, "path");
    copy_field(o, row, "status");
    json_object_set_new(o, "cause", json_string(scim_cause_name(cause)));
    json_object_set_new(o, "attribute", raw != NULL ? json_string(raw)
                                                    : json_null());
    if (target != NULL && raw != NULL && strcmp(target, raw) != 0)
        json_object_set_new(o, "target", json_string(target));
    copy_field(o, row, "detail");
    set_text(o, "sent", explain_sent(row, about_body(cause) ? target
                                                            : NULL));
    set_text(o, "explanation", explanation(row, cause, target));
    set_text(o, "fix", explain_fix(cause, idp, target,
                                   row_str(row, "tenant")));
    json_object_set_new(o, "idp", json_string(explain_idp_name(idp)));
    copy_field(o, row, "user_agent");
    free(target);
    return o;
}
