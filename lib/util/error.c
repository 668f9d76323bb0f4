/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sysfence/error.h"
#include "util.h"

static int error_vset(sf_error **err, int code, bool with_errno, const char *fmt, va_list ap)
{
        if (code < 0)
                code = -code;
        if (code == 0)
                code = EINVAL;
        if (!err || *err)
                return -code;

        sf_buf b = { 0 };
        sf_buf_vprintf(&b, fmt, ap);
        if (with_errno)
                sf_buf_printf(&b, ": %s", strerror(code));
        sf_error *e = calloc(1, sizeof(*e));
        char *msg = sf_buf_steal(&b);
        if (!e || !msg) {
                free(e);
                free(msg);
                return -code;
        }
        e->code = code;
        e->msg = msg;
        *err = e;
        return -code;
}

SF_EXPORT int sf_error_set(sf_error **err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = error_vset(err, code, false, fmt, ap);
        va_end(ap);
        return r;
}

SF_EXPORT int sf_error_set_errno(sf_error **err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = error_vset(err, code, true, fmt, ap);
        va_end(ap);
        return r;
}

SF_EXPORT int sf_error_wrap(sf_error **err, const char *fmt, ...)
{
        if (!err || !*err)
                return -EINVAL;
        sf_buf b = { 0 };
        va_list ap;
        va_start(ap, fmt);
        sf_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        sf_buf_printf(&b, ": %s", (*err)->msg);
        char *msg = sf_buf_steal(&b);
        if (msg) {
                free((*err)->msg);
                (*err)->msg = msg;
        }
        return -(*err)->code;
}

SF_EXPORT const char *sf_error_message(const sf_error *err)
{
        return err ? err->msg : "unknown error";
}

SF_EXPORT void sf_error_free(sf_error *err)
{
        if (!err)
                return;
        free(err->msg);
        free(err);
}

SF_EXPORT void sf_error_freep(sf_error **err)
{
        sf_error_free(*err);
        *err = NULL;
}
