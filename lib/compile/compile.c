/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sf_compile: resolve for the node, decide per arch, lower to BPF. */
#include <errno.h>
#include <string.h>

#include "compile/compile-internal.h"
#include "arch/tables.h"
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
        /* Sources name the rules of the profile as written, not as resolved. */
        _cleanup_free_ int *map = calloc(rp->n_rules + 1, sizeof(int));
        for (size_t i = 0, k = 0; map && i < rp->n_rules; i++) {
                while (k < p->n_rules && p->rules[k].names != rp->rules[i].names)
                        k++;
                map[i] = (int)k;
        }
        s.rule_map = map;
        sf_prog *prog = calloc(1, sizeof(*prog));
        if (!prog || !map) {
                free(prog);
                sf_profile_free(rp);
                return sf_error_set(err, ENOMEM, "out of memory");
        }
        r = sf_decide_prepare(&s, err);
        if (r == 0)
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
        if (r == 0) {
                sf_cstate *keep = malloc(sizeof(*keep));
                if (!keep) {
                        r = sf_error_set(err, ENOMEM, "out of memory");
                } else {
                        *keep = s;
                        keep->p = NULL; /* the resolved profile goes; decisions keep only indexes */
                        keep->rule_map = NULL;
                        keep->opts = NULL;
                        keep->diags = NULL;
                        s.arena = (sf_arena){ 0 };
                        prog->internal_ = keep;
                        prog->default_action = s.def;
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
        sf_cstate *st = prog->internal_;
        if (st) {
                sf_arena_release(&st->arena);
                free(st);
        }
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

SF_EXPORT int sf_prog_lookup(const sf_prog *prog, uint32_t audit_arch, uint32_t nr, const uint64_t args[6],
                             sf_verdict *ret)
{
        const sf_cstate *s = prog->internal_;
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < s->n_regions; i++) {
                const sf_region *rg = &s->regions[i];
                if (rg->audit != audit_arch)
                        continue;
                size_t lo = 0, hi = rg->n_iv;
                while (lo + 1 < hi) {
                        size_t mid = (lo + hi) / 2;
                        if (rg->iv[mid].lo <= nr)
                                lo = mid;
                        else
                                hi = mid;
                }
                const sf_decision *d = rg->iv[lo].d;
                /* the interval may merge several numbers: take the number's own decision */
                for (size_t t = 0; t < s->n_tables && d != s->badarch_d; t++) {
                        const sf_arch_table *tb = &s->tables[t];
                        if (sf_arch_audit(tb->arch) != audit_arch ||
                            ((tb->arch == SF_ARCH_X32) != ((nr & 0x40000000u) != 0) && audit_arch == sf_arch_audit(SF_ARCH_X86_64)))
                                continue;
                        long idx = sf_syscall_index_of_nr(tb->arch, (int)nr);
                        if (idx >= 0 && tb->set[idx])
                                d = &tb->d[idx];
                        break;
                }
                sf_verdict v = { .action = d->action, .src = d->src, .conditional = d->conditional,
                                 .bad_arch = d == s->badarch_d };
                if (d->conditional) {
                        uint64_t a[6] = { 0 };
                        for (int k = 0; k < 6 && args; k++)
                                a[k] = args[k] & (d->is32 ? UINT32_MAX : UINT64_MAX);
                        v.src = (sf_src){ -1, -1 };
                        sf_tree_run(d->pool, d->outs, d->root, a, &v.action, &v.src);
                }
                *ret = v;
                return 0;
        }
        *ret = (sf_verdict){ .action = s->badarch, .src = { -1, -1 }, .bad_arch = true };
        return 0;
}
