/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "sysfence/diag.h"
#include "util.h"

SF_EXPORT void sf_diags_vadd(sf_diags *d, sf_severity sev, const char *id, const char *file,
                             const char *path, unsigned line, unsigned col, const char *hint,
                             const char *fmt, va_list ap)
{
        if (!d)
                return;
        if (sev == SF_SEV_ERROR)
                d->errors++;
        else if (sev == SF_SEV_WARNING)
                d->warnings++;
        if (d->n >= (d->max ? d->max : 1000))
                return;
        if (d->n == d->cap) {
                size_t cap = d->cap ? d->cap * 2 : 16;
                sf_diag *v = realloc(d->v, cap * sizeof(*v));
                if (!v)
                        return;
                d->v = v;
                d->cap = cap;
        }
        sf_buf b = { 0 };
        sf_buf_vprintf(&b, fmt, ap);
        sf_diag *g = &d->v[d->n];
        *g = (sf_diag){
                .severity = sev,
                .id = id,
                .file = strdup(file ? file : ""),
                .path = strdup(path ? path : ""),
                .line = line,
                .col = col,
                .msg = sf_buf_steal(&b),
                .hint = hint ? strdup(hint) : NULL,
        };
        if (!g->file || !g->path || !g->msg || (hint && !g->hint)) {
                free(g->file);
                free(g->path);
                free(g->msg);
                free(g->hint);
                return;
        }
        d->n++;
}

SF_EXPORT void sf_diags_add(sf_diags *d, sf_severity sev, const char *id, const char *file,
                            const char *path, unsigned line, unsigned col, const char *hint,
                            const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        sf_diags_vadd(d, sev, id, file, path, line, col, hint, fmt, ap);
        va_end(ap);
}

SF_EXPORT char *sf_diag_format(const sf_diag *g)
{
        sf_buf b = { 0 };
        sf_buf_puts(&b, g->file);
        if (g->line)
                sf_buf_printf(&b, ":%u:%u", g->line, g->col);
        sf_buf_puts(&b, ": ");
        if (g->path && *g->path)
                sf_buf_printf(&b, "%s: ", g->path);
        sf_buf_puts(&b, g->severity == SF_SEV_ERROR ? "error: " : g->severity == SF_SEV_NOTE ? "note: " : "warning: ");
        sf_buf_puts(&b, g->msg);
        if (g->hint)
                sf_buf_printf(&b, " (%s)", g->hint);
        return sf_buf_steal(&b);
}

SF_EXPORT void sf_diags_release(sf_diags *d)
{
        for (size_t i = 0; i < d->n; i++) {
                free(d->v[i].file);
                free(d->v[i].path);
                free(d->v[i].msg);
                free(d->v[i].hint);
        }
        free(d->v);
        *d = (sf_diags){ .max = d->max };
}
