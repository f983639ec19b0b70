/* SPDX-License-Identifier: MIT */
/*
 * scimctl, the admin command line: one file per subcommand (cmd_*.c),
 * all working on the store given by --db.
 */
#ifndef SCIMD_CLI_CLI_H
#define SCIMD_CLI_CLI_H

#include <stdint.h>

#include "store.h"

/* A subcommand gets the store and its own arguments (argv[0] = name). */
typedef int (*cli_cmd_fn)(struct store *s, int argc, char **argv);

int cmd_tenant(struct store *s, int argc, char **argv);
int cmd_token(struct store *s, int argc, char **argv);
int cmd_config(struct store *s, int argc, char **argv);
int cmd_log(struct store *s, int argc, char **argv);
int cmd_diagnose(struct store *s, int argc, char **argv);
int cmd_import(struct store *s, int argc, char **argv);

/* Prints "scimctl: <message>" to stderr and returns exit status 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Loads tenant name into *out; prints an error and returns 1 if none. */
int cli_tenant(struct store *s, const char *name, struct store_tenant *out);

/*
 * Parses a time: RFC 3339, "YYYY-MM-DD HH:MM" (UTC), or relative to now
 * ("2h", "30m", "45s", "3d"). Returns 0 and Unix milliseconds in *ms, or
 * -1 when text is none of these.
 */
int cli_time(const char *text, int64_t *ms);

/* Parses a duration ("30m", "2h", "90s", "1d") into milliseconds. */
int cli_duration(const char *text, int64_t *ms);

#endif /* SCIMD_CLI_CLI_H */
