/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resolving a profile for one node, as moby/runc do: archMap picks the node's
 * arch and its sub-arches; includes/excludes are decided by the node's arch,
 * capabilities and kernel.  Excludes first; any excluded cap drops the rule,
 * all included caps are needed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "arch/caps.h"
#include "profile/profile-internal.h"

SF_EXPORT void sf_target_default(sf_target *t)
{
        *t = (sf_target){ .arch = sf_arch_native(), .caps = sf_caps_default() };
        struct utsname u;
        if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &t->kernel_major, &t->kernel_minor) != 2)
                t->kernel_major = t->kernel_minor = 0;
}

static bool kernel_at_least(const sf_target *t, unsigned maj, unsigned min)
{
        return t->kernel_major > maj || (t->kernel_major == maj && t->kernel_minor >= min);
}

static bool arch_listed(const sf_filter_cond *c, sf_arch a)
{
        for (size_t i = 0; i < c->n_arches; i++)
                if (c->arches[i] == a)
                        return true;
        return false;
}

static bool rule_kept(const sf_rule *r, const sf_target *t)
{
        const sf_filter_cond *ex = &r->excludes, *in = &r->includes;
        if (ex->n_arches && arch_listed(ex, t->arch))
                return false;
        if (ex->caps & t->caps)
                return false;
        if ((ex->min_kernel_major || ex->min_kernel_minor) &&
            kernel_at_least(t, ex->min_kernel_major, ex->min_kernel_minor))
                return false;
        if (in->n_arches && !arch_listed(in, t->arch))
                return false;
        if ((in->caps & t->caps) != in->caps)
                return false;
        if ((in->min_kernel_major || in->min_kernel_minor) &&
            !kernel_at_least(t, in->min_kernel_major, in->min_kernel_minor))
                return false;
        return true;
}

SF_EXPORT int sf_profile_resolve(const sf_profile *p, const sf_target *target, sf_profile **ret, sf_error **err)
{
        sf_target t = *target;
        if (t.arch == SF_ARCH_NONE || t.kernel_major == 0) {
                sf_target def;
                sf_target_default(&def);
                if (t.arch == SF_ARCH_NONE)
                        t.arch = def.arch;
                if (t.kernel_major == 0) {
                        t.kernel_major = def.kernel_major;
                        t.kernel_minor = def.kernel_minor;
                }
        }
        sf_store *store = p->arena_;
        sf_profile *q = sf_profile_new(store);
        if (!q)
                return sf_error_set(err, ENOMEM, "%s: out of memory", p->file);
        sf_arena *a = &store->arena;
        *q = *p;
        q->arena_ = store;

        if (p->n_arch_map) {
                q->arch_map = NULL;
                q->n_arch_map = 0;
                q->arches = NULL;
                q->n_arches = 0;
                for (size_t i = 0; i < p->n_arch_map; i++) {
                        const sf_arch_map *m = &p->arch_map[i];
                        if (m->arch != t.arch)
                                continue;
                        q->arches = sf_arena_alloc(a, (m->n_sub + 1) * sizeof(sf_arch));
                        if (!q->arches)
                                goto oom;
                        q->arches[q->n_arches++] = m->arch;
                        for (size_t k = 0; k < m->n_sub; k++)
                                q->arches[q->n_arches++] = m->sub[k];
                        break;
                }
        }

        q->rules = sf_arena_alloc(a, (p->n_rules + 1) * sizeof(sf_rule));
        if (!q->rules)
                goto oom;
        q->n_rules = 0;
        for (size_t i = 0; i < p->n_rules; i++) {
                if (!rule_kept(&p->rules[i], &t))
                        continue;
                sf_rule *r = &q->rules[q->n_rules++];
                *r = p->rules[i];
                r->includes = (sf_filter_cond){ 0 };
                r->excludes = (sf_filter_cond){ 0 };
        }
        *ret = q;
        return 0;
oom:
        sf_profile_free(q);
        return sf_error_set(err, ENOMEM, "%s: out of memory", p->file);
}

static bool same_act(sf_action a, sf_action b)
{
        return a.kind == b.kind && ((a.kind != SF_ACT_ERRNO && a.kind != SF_ACT_TRACE) || a.data == b.data);
}

/* Whether rule r decides `name` in libseccomp's terms: the first unconditional
 * rule with a non-default action wins over every other rule for the name. */
static int first_unconditional(const sf_profile *p, const char *name)
{
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                if (r->n_args || same_act(r->action, p->default_action))
                        continue;
                for (size_t j = 0; j < r->n_names; j++)
                        if (strcmp(r->names[j], name) == 0)
                                return (int)i;
        }
        return -1;
}

SF_EXPORT int sf_profile_prune_shadowed(sf_profile *p, size_t *ret_removed, sf_error **err)
{
        sf_arena *a = profile_arena(p);
        size_t removed = 0;
        for (size_t i = 0; i < p->n_rules; i++) {
                sf_rule *r = &p->rules[i];
                if (r->includes.present || r->excludes.present)
                        return sf_error_set(err, EINVAL, "%s: resolve the profile before pruning", p->file);
                if (same_act(r->action, p->default_action))
                        continue;
                const char **names = NULL;
                sf_loc *locs = NULL;
                size_t n = 0;
                for (size_t j = 0; j < r->n_names; j++) {
                        int w = first_unconditional(p, r->names[j]);
                        bool dead = w >= 0 && (size_t)w != i;
                        if (dead && !names) {
                                names = sf_arena_alloc(a, (r->n_names + 1) * sizeof(*names));
                                locs = sf_arena_alloc(a, (r->n_names + 1) * sizeof(*locs));
                                if (!names || !locs)
                                        return sf_error_set(err, ENOMEM, "out of memory");
                                memcpy(names, r->names, j * sizeof(*names));
                                memcpy(locs, r->name_locs, j * sizeof(*locs));
                                n = j;
                        }
                        if (dead) {
                                removed++;
                                continue;
                        }
                        if (names) {
                                names[n] = r->names[j];
                                locs[n++] = r->name_locs[j];
                        }
                }
                if (names) {
                        r->names = names;
                        r->name_locs = locs;
                        r->n_names = n;
                }
        }
        /* rules left without names go */
        size_t k = 0;
        for (size_t i = 0; i < p->n_rules; i++)
                if (p->rules[i].n_names || same_act(p->rules[i].action, p->default_action))
                        p->rules[k++] = p->rules[i];
        p->n_rules = k;
        if (ret_removed)
                *ret_removed = removed;
        return 0;
}
