/* SPDX-License-Identifier: MIT */
/*
 * Text rules shared by the filter, the store and validation: full
 * Unicode case folding (utf8proc) for caseExact=false comparisons, and
 * xsd:dateTime parsing so that dateTimes compare as instants.
 */
#ifndef SCIMD_LIB_FOLD_H
#define SCIMD_LIB_FOLD_H

#include <stddef.h>

/*
 * The case-folded, NFC-normalised form of s (len bytes of UTF-8).
 * Returns a new string the caller frees with scim_free, or NULL on bad
 * UTF-8 or ENOMEM.
 */
char *scim_fold(const char *s, size_t len);

/* Length of the canonical dateTime form, with its terminating NUL. */
#define SCIM_DATETIME_LEN 32

/*
 * Parses an xsd:dateTime ("2024-01-02T03:04:05Z", with optional
 * fraction and numeric offset) and writes it as UTC in the canonical
 * form "YYYY-MM-DDTHH:MM:SS.fffffffZ", which sorts as the instant does.
 * Returns 0 on success, -1 when s is not a valid dateTime.
 */
int scim_datetime_canon(const char *s, char out[SCIM_DATETIME_LEN]);

#endif /* SCIMD_LIB_FOLD_H */
