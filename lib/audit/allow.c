/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The allowlist that seccomp records ask for: every syscall a record names,
 * on the arches the records came from, as a Docker profile that denies the
 * rest with EPERM ("sysfence audit --to-profile") -- or added to a profile
 * that was tried in complain mode (defaultAction SCMP_ACT_LOG): under it a
 * record means the rules did not allow the call, so each syscall named that
 * the profile does not allow unconditionally yet gets an ALLOW rule of its own
 * after the profile's rules; its default action and everything else is kept
 * ("sysfence audit --to-profile OUT --merge FILE").  A syscall FILE allows only
 * for some arguments becomes allowed for all: the call was made with others. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile/merge.h"
#include "sysfence/audit.h"
#include "util/util.h"

struct sf_audit_allow {
        const char **names; /* static strings from the syscall tables */
        size_t n, cap;
        unsigned arches;    /* bit per sf_arch */
        sf_audit_allow_stats st;
};

SF_EXPORT int sf_audit_allow_new(sf_audit_allow **ret, sf_error **err)
{
        sf_audit_allow *a = calloc(1, sizeof(*a));
        if (!a)
                return sf_error_set(err, ENOMEM, "out of memory");
        *ret = a;
        return 0;
}

SF_EXPORT void sf_audit_allow_free(sf_audit_allow *a)
{
        if (!a)
                return;
        free(a->names);
        free(a);
}

SF_EXPORT int sf_audit_allow_add(sf_audit_allow *a, const sf_audit_record *r)
{
        if (!r->syscall_name) {
                if (a->st.nameless++ == 0) {
                        a->st.nameless_nr = r->syscall;
                        a->st.nameless_arch = r->arch;
                        a->st.nameless_audit_arch = r->audit_arch;
                }
                return 0;
        }
        a->arches |= 1U << r->arch;
        for (size_t i = 0; i < a->n; i++)
                if (a->names[i] == r->syscall_name || strcmp(a->names[i], r->syscall_name) == 0)
                        return 0;
        if (a->n == a->cap) {
                size_t nc = a->cap ? a->cap * 2 : 64;
                const char **nv = realloc(a->names, nc * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                a->names = nv;
                a->cap = nc;
        }
        a->names[a->n++] = r->syscall_name;
        a->st.names = a->n;
        return 1;
}

SF_EXPORT void sf_audit_allow_stats_get(const sf_audit_allow *a, sf_audit_allow_stats *ret)
{
        *ret = a->st;
}

static int cmp_str(const void *x, const void *y)
{
        return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Whether p allows name whatever the arguments, arch and capabilities. */
static bool allows(const sf_profile *p, const char *name)
{
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                if (r->action.kind != SF_ACT_ALLOW || r->n_args || r->includes.present || r->excludes.present)
                        continue;
                for (size_t j = 0; j < r->n_names; j++)
                        if (strcmp(r->names[j], name) == 0)
                                return true;
        }
        return false;
}

/* The Docker profile allowing names[0..n) on arches (none: say no arches). */
static void allowlist_text(sf_buf *b, const char *const *names, size_t n, unsigned arches)
{
        sf_buf_puts(b, "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"defaultErrnoRet\": 1,\n");
        if (arches) {
                sf_buf_puts(b, "  \"architectures\": [");
                bool first = true;
                for (int a = SF_ARCH_NONE + 1; a < SF_ARCH__COUNT; a++) {
                        if (!(arches & (1U << a)))
                                continue;
                        sf_buf_printf(b, "%s\n    \"%s\"", first ? "" : ",", sf_arch_scmp_name((sf_arch)a));
                        first = false;
                }
                sf_buf_puts(b, "\n  ],\n");
        }
        sf_buf_puts(b, "  \"syscalls\": [\n    {\n      \"names\": [");
        for (size_t i = 0; i < n; i++)
                sf_buf_printf(b, "%s\n        \"%s\"", i ? "," : "", names[i]);
        sf_buf_puts(b, "\n      ],\n      \"action\": \"SCMP_ACT_ALLOW\"\n    }\n  ]\n}\n");
}

/* base plus an ALLOW rule for names[0..n). */
static int merged_text(const sf_profile *base, const char *const *names, size_t n, unsigned arches, char **ret,
                       sf_diags *d, sf_error **err)
{
        /* the rule's arches are base's: an archMap and a list cannot be merged,
         * and a profile without either applies to the node's own arch */
        sf_buf b = { 0 };
        allowlist_text(&b, names, n, base->n_arches && !base->n_arch_map ? arches : 0);
        if (b.oom) {
                sf_buf_release(&b);
                return sf_error_set(err, ENOMEM, "out of memory");
        }
        sf_profile **v = NULL;
        size_t nv = 0;
        sf_load_opts lo = { .strict = true, .inherit = SF_INHERIT_NONE };
        int r = sf_profile_load_data(b.s, b.len, "<logged>", &lo, &v, &nv, d, err);
        sf_buf_release(&b);
        if (r < 0)
                return r;
        sf_profile_set_default_action(v[0], base->default_action);
        sf_profile *in[2] = { (sf_profile *)base, v[0] }, *m = NULL;
        sf_merge_opts mo = { .default_action = &base->default_action, .name = base->file, .prefer_first = false };
        r = sf_profile_merge(in, 2, &mo, &m, d, err);
        sf_profiles_free(v, nv);
        if (r < 0)
                return r;
        r = sf_profile_emit(m, SF_FORMAT_DOCKER, ret, err);
        sf_profile_free(m);
        return r;
}

SF_EXPORT int sf_audit_allow_profile(const sf_audit_allow *a, const sf_profile *base, char **ret_text,
                                     size_t *ret_added, sf_diags *d, sf_error **err)
{
        _cleanup_free_ const char **names = a->n ? malloc(a->n * sizeof(*names)) : NULL;
        if (a->n && !names)
                return sf_error_set(err, ENOMEM, "out of memory");
        size_t n = 0;
        for (size_t i = 0; i < a->n; i++)
                if (!base || !allows(base, a->names[i]))
                        names[n++] = a->names[i];
        if (n > 1)
                qsort(names, n, sizeof(*names), cmp_str);
        if (!base && n == 0)
                return sf_error_set(err, ENODATA, "no syscall named in the records");
        int r;
        char *text = NULL;
        if (!base) {
                sf_buf b = { 0 };
                allowlist_text(&b, names, n, a->arches);
                if (b.oom) {
                        sf_buf_release(&b);
                        return sf_error_set(err, ENOMEM, "out of memory");
                }
                text = b.s;
                r = 0;
        } else if (n == 0) {
                r = sf_profile_emit(base, SF_FORMAT_DOCKER, &text, err);
        } else {
                r = merged_text(base, names, n, a->arches, &text, d, err);
        }
        if (r < 0)
                return r;
        *ret_text = text;
        if (ret_added)
                *ret_added = n;
        return 0;
}
