/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sf_compile: resolve for the node, decide per arch, lower to BPF. */
#include <errno.h>
#include <string.h>

#include "compile/compile-internal.h"
#include "profile/profile-internal.h"

/* The arches a runtime would load: the native arch (libseccomp always has it),
 * then those the profile lists (after archMap resolution), without repeats. */
static size_t default_arches(const sf_profile *p, sf_arch native, sf_arch *v)
{
        size_t n = 0;
        v[n++] = native;
        for (size_t i = 0; i < p->n_arches; i++) {
                bool seen = false;
                for (size_t j = 0; j < n; j++)
                        seen |= v[j] == p->arches[i];
                if (!seen && n < SF_ARCH__COUNT)
                        v[n++] = p->arches[i];
        }
        return n;
}

SF_EXPORT int sf_compile(const sf_profile *p, const sf_compile_opts *opts, sf_prog **ret, sf_diags *diags,
                         sf_error **err)
{
        static const sf_compile_opts no_opts;
        if (!opts)
                opts = &no_opts;
        sf_target t = opts->target;
        if (t.arch == SF_ARCH_NONE && t.caps == 0 && t.kernel_major == 0)
                sf_target_default(&t);

        sf_profile *rp = NULL;
        int r = sf_profile_resolve(p, &t, &rp, err);
        if (r < 0)
                return r;

        sf_arch arches[SF_ARCH__COUNT];
        size_t n_arches;
        if (opts->n_arches) {
                n_arches = 0;
                for (size_t i = 0; i < opts->n_arches && n_arches < SF_ARCH__COUNT; i++) {
                        bool seen = false;
                        for (size_t j = 0; j < n_arches; j++)
                                seen |= arches[j] == opts->arches[i];
                        if (!seen)
                                arches[n_arches++] = opts->arches[i];
                }
        } else {
                n_arches = default_arches(rp, t.arch != SF_ARCH_NONE ? t.arch : sf_arch_native(), arches);
        }

        /* Names no arch knows: runtimes skip them, so do we (check says so too). */
        for (size_t i = 0; i < rp->n_rules; i++) {
                const sf_rule *rule = &rp->rules[i];
                for (size_t j = 0; j < rule->n_names; j++) {
                        if (sf_syscall_known(rule->names[j]))
                                continue;
                        char path[128];
                        sf_diags_add(diags, opts->strict ? SF_SEV_ERROR : SF_SEV_WARNING, "unknown-syscall", rp->file,
                                     sf_rule_name_path(rule, j, path, sizeof(path)), rule->name_locs[j].line,
                                     rule->name_locs[j].col, NULL,
                                     opts->strict ? "unknown syscall \"%s\"" : "unknown syscall \"%s\" is skipped",
                                     rule->names[j]);
                        if (opts->strict) {
                                sf_error_set(err, EINVAL, "%s: %s: unknown syscall \"%s\"", rp->file, path,
                                             rule->names[j]);
                                sf_profile_free(rp);
                                return -EINVAL;
                        }
                }
        }

        /* One filter has one byte order (libseccomp refuses to mix them too). */
        for (size_t i = 1; i < n_arches; i++)
                if (sf_arch_big_endian(arches[i]) != sf_arch_big_endian(arches[0])) {
                        sf_profile_free(rp);
                        return sf_error_set(err, EINVAL,
                                            "%s: %s is %s-endian and %s is not: one filter cannot serve both", p->file,
                                            sf_arch_short_name(arches[i]),
                                            sf_arch_big_endian(arches[i]) ? "big" : "little",
                                            sf_arch_short_name(arches[0]));
                }

        sf_cstate s = {
                .p = rp,
                .opts = opts,
                .diags = diags,
                .def = rp->default_action,
                .badarch = { .kind = SF_ACT_KILL_THREAD },
        };
        sf_prog *prog = calloc(1, sizeof(*prog));
        if (!prog) {
                sf_profile_free(rp);
                return sf_error_set(err, ENOMEM, "out of memory");
        }
        r = sf_decide(&s, arches, n_arches, err);
        if (r == 0)
                r = sf_lower(&s, prog, err);
        if (r == 0) {
                prog->arches = malloc(n_arches * sizeof(sf_arch));
                if (!prog->arches)
                        r = sf_error_set(err, ENOMEM, "out of memory");
                else {
                        memcpy(prog->arches, arches, n_arches * sizeof(sf_arch));
                        prog->n_arches = n_arches;
                        prog->big_endian = sf_arch_big_endian(arches[0]);
                }
        }
        sf_arena_release(&s.arena);
        sf_profile_free(rp);
        if (r < 0) {
                sf_prog_free(prog);
                return sf_error_wrap(err, "%s", p->file);
        }
        *ret = prog;
        return 0;
}

SF_EXPORT void sf_prog_free(sf_prog *prog)
{
        if (!prog)
                return;
        free(prog->insns);
        free(prog->src);
        free(prog->arches);
        free(prog);
}

SF_EXPORT int sf_prog_serialize(const sf_prog *prog, void **ret, size_t *ret_size, sf_error **err)
{
        size_t size = prog->len * sizeof(struct sock_filter);
        struct sock_filter *v = malloc(size ? size : 1);
        if (!v)
                return sf_error_set(err, ENOMEM, "out of memory");
        memcpy(v, prog->insns, size);
        bool host_big = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
        if (prog->big_endian != host_big)
                for (size_t i = 0; i < prog->len; i++) {
                        v[i].code = __builtin_bswap16(v[i].code);
                        v[i].k = __builtin_bswap32(v[i].k);
                }
        *ret = v;
        *ret_size = size;
        return 0;
}
