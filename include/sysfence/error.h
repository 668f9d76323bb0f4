/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence — errors returned by the library.
 *
 * Every fallible library function returns a negative errno-style code and,
 * when given a non-NULL `sf_error **err`, fills *err at most once.  Callers add
 * context with sf_error_wrap(), which prefixes the existing message; they never
 * overwrite it.  Only the CLI prints.
 */
#ifndef SYSFENCE_ERROR_H
#define SYSFENCE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sf_error {
        int code;  /* positive errno value */
        char *msg; /* human message, lower-case, no trailing newline */
} sf_error;

/* Sets *err (if err and !*err) and returns -code.  A second set keeps the first. */
int sf_error_set(sf_error **err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Like sf_error_set() with ": strerror(code)" appended. */
int sf_error_set_errno(sf_error **err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Prefixes "<context>: " to *err's message; returns -(*err)->code, or -EINVAL. */
int sf_error_wrap(sf_error **err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
const char *sf_error_message(const sf_error *err);
void sf_error_free(sf_error *err);
void sf_error_freep(sf_error **err);

#ifdef __cplusplus
}
#endif
#endif
