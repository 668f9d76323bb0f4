/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence — findings about an input file, each with the spot it is about. */
#ifndef SYSFENCE_DIAG_H
#define SYSFENCE_DIAG_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sf_severity {
        SF_SEV_ERROR = 0,
        SF_SEV_WARNING = 1,
        SF_SEV_NOTE = 2,    /* information: neither an error nor a warning (not counted) */
} sf_severity;

typedef struct sf_diag {
        sf_severity severity;
        const char *id;     /* stable identifier, e.g. "unknown-syscall" (static string) */
        char *file;         /* the input's name as given */
        char *path;         /* JSON path ("syscalls[3].names[5]"), "" for the whole file */
        unsigned line, col; /* 1-based; 0 when not known */
        char *msg;          /* lower-case, the bad value quoted */
        char *hint;         /* e.g. "did you mean \"open\"?", or NULL */
} sf_diag;

typedef struct sf_diags {
        sf_diag *v;
        size_t n, cap;
        size_t errors, warnings;
        size_t max;         /* stop recording after this many (0: 1000) */
} sf_diags;

void sf_diags_add(sf_diags *d, sf_severity sev, const char *id, const char *file, const char *path,
                  unsigned line, unsigned col, const char *hint, const char *fmt, ...)
        __attribute__((format(printf, 9, 10)));
void sf_diags_vadd(sf_diags *d, sf_severity sev, const char *id, const char *file, const char *path,
                   unsigned line, unsigned col, const char *hint, const char *fmt, va_list ap);
/* "file:line:col: path: error: msg (hint)" — malloc'd, NULL on ENOMEM. */
char *sf_diag_format(const sf_diag *diag);
void sf_diags_release(sf_diags *d);

#ifdef __cplusplus
}
#endif
#endif
