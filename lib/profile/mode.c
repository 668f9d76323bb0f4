/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Complain mode, then enforce: an allowlist tried under SCMP_ACT_LOG runs
 * everything and logs, as seccomp audit records, each syscall its rules do not
 * allow (the kernel logs LOG and KILL actions; ERRNO only with
 * SECCOMP_FILTER_FLAG_LOG), so what a recording missed is learned without a
 * denial; the same rules under SCMP_ACT_ERRNO (EPERM, what runc and crun
 * return for defaultAction SCMP_ACT_ERRNO without defaultErrnoRet) enforce it.
 * Only the default action changes: the rules are kept as they are. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "profile/profile-internal.h"

SF_EXPORT sf_action sf_profile_mode_action(sf_profile_mode mode)
{
        return mode == SF_MODE_COMPLAIN ? (sf_action){ SF_ACT_LOG, 0 } : (sf_action){ SF_ACT_ERRNO, EPERM };
}

SF_EXPORT void sf_profile_set_default_action(sf_profile *p, sf_action a)
{
        p->default_action = a;
        /* an errno other than EPERM needs defaultErrnoRet to be said */
        p->default_errno_set = a.kind == SF_ACT_ERRNO && a.data != EPERM;
}

SF_EXPORT int sf_action_parse(const char *s, sf_action *ret, sf_error **err)
{
        static const char hint[] = "e.g. SCMP_ACT_ERRNO, SCMP_ACT_ERRNO(38), SCMP_ACT_ERRNO(ENOSYS), SCMP_ACT_LOG, "
                                   "SCMP_ACT_KILL_PROCESS";
        const char *paren = strchr(s, '(');
        size_t len = paren ? (size_t)(paren - s) : strlen(s);
        bool prefixed = len >= 9 && strncmp(s, "SCMP_ACT_", 9) == 0;
        char name[48];
        if (len == 0 || len + (prefixed ? 0 : 9) >= sizeof(name))
                return sf_error_set(err, EINVAL, "unknown action \"%s\" (%s)", s, hint);
        snprintf(name, sizeof(name), "%s%.*s", prefixed ? "" : "SCMP_ACT_", (int)len, s);
        bool ok;
        sf_action a = { .kind = sf_action_from_name(name, &ok) };
        if (!ok)
                return sf_error_set(err, EINVAL, "unknown action \"%s\" (%s)", s, hint);
        if (a.kind == SF_ACT_ERRNO)
                a.data = EPERM;
        if (paren) {
                size_t plen = strlen(paren);
                if (a.kind != SF_ACT_ERRNO && a.kind != SF_ACT_TRACE)
                        return sf_error_set(err, EINVAL, "%s takes no value (\"%s\")", name, s);
                char val[32];
                if (plen < 3 || paren[plen - 1] != ')' || plen - 2 >= sizeof(val))
                        return sf_error_set(err, EINVAL, "invalid action \"%s\" (e.g. SCMP_ACT_ERRNO(38))", s);
                snprintf(val, sizeof(val), "%.*s", (int)(plen - 2), paren + 1);
                uint64_t v;
                int e = a.kind == SF_ACT_ERRNO ? sf_errno_from_name(val) : -1;
                if (e >= 0)
                        v = (uint64_t)e;
                else if (sf_parse_u64(val, 10, &v) < 0 || v > SF_ERRNO_MAX)
                        return sf_error_set(err, EINVAL, "invalid value \"%s\" in \"%s\" (a number 0 to %d%s)", val, s,
                                            SF_ERRNO_MAX, a.kind == SF_ACT_ERRNO ? " or a name like ENOSYS" : "");
                a.data = (uint32_t)v;
        }
        *ret = a;
        return 0;
}
