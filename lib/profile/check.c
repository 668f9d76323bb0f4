/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Semantic checks: what loads fine but does not do what its author thinks. */
#include <stdio.h>
#include <string.h>

#include "profile/profile-internal.h"

static void add(sf_diags *d, const sf_profile *p, sf_severity sev, const char *id, const sf_loc *loc,
                const char *path, const char *hint, const char *fmt, ...) __attribute__((format(printf, 8, 9)));

static void add(sf_diags *d, const sf_profile *p, sf_severity sev, const char *id, const sf_loc *loc,
                const char *path, const char *hint, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        sf_diags_vadd(d, sev, id, p->file, path ? path : loc ? loc->path : "", loc ? loc->line : 0,
                      loc ? loc->col : 0, hint, fmt, ap);
        va_end(ap);
}

static bool same_action(sf_action a, sf_action b)
{
        if (a.kind != b.kind)
                return false;
        return (a.kind != SF_ACT_ERRNO && a.kind != SF_ACT_TRACE) || a.data == b.data;
}

static const char *action_text(sf_action a, char *buf, size_t size)
{
        if (a.kind == SF_ACT_ERRNO || a.kind == SF_ACT_TRACE)
                snprintf(buf, size, "%s(%u)", sf_action_name(a.kind), a.data);
        else
                snprintf(buf, size, "%s", sf_action_name(a.kind));
        return buf;
}

static bool arch_in(const sf_arch *v, size_t n, sf_arch a)
{
        for (size_t i = 0; i < n; i++)
                if (v[i] == a)
                        return true;
        return false;
}

static unsigned kver(unsigned maj, unsigned min) { return maj * 100000 + min; }

/* Whether some node (arch, caps, kernel) keeps both rules. */
static bool can_coexist(const sf_rule *a, const sf_rule *b)
{
        for (int arch = 1; arch < SF_ARCH__COUNT; arch++) {
                bool ok = true;
                const sf_rule *rs[2] = { a, b };
                for (int k = 0; k < 2 && ok; k++) {
                        const sf_rule *r = rs[k];
                        if (r->includes.n_arches && !arch_in(r->includes.arches, r->includes.n_arches, (sf_arch)arch))
                                ok = false;
                        if (r->excludes.n_arches && arch_in(r->excludes.arches, r->excludes.n_arches, (sf_arch)arch))
                                ok = false;
                }
                if (!ok)
                        continue;
                if ((a->includes.caps | b->includes.caps) & (a->excludes.caps | b->excludes.caps))
                        return false;
                unsigned lo = 0, hi = ~0u;
                for (int k = 0; k < 2; k++) {
                        const sf_rule *r = rs[k];
                        unsigned inc = kver(r->includes.min_kernel_major, r->includes.min_kernel_minor);
                        unsigned exc = kver(r->excludes.min_kernel_major, r->excludes.min_kernel_minor);
                        if (inc > lo)
                                lo = inc;
                        if (exc && exc < hi)
                                hi = exc;
                }
                return lo < hi;
        }
        return false;
}

static bool uses_conditions(const sf_rule *r) { return r->includes.present || r->excludes.present; }

void sf_profile_check(const sf_profile *p, const sf_load_opts *opts, sf_diags *d)
{
        char b1[64], b2[64], pathbuf[128], hint[256];
        bool strict = opts && opts->strict;

        /* The kernel takes errno values up to 4095, but libseccomp 2.5 refuses 4095
         * (seccomp_init and seccomp_rule_add fail), so runc and crun cannot
         * start the container. */
        if (p->default_action.kind == SF_ACT_ERRNO && p->default_action.data == SF_ERRNO_MAX)
                add(d, p, SF_SEV_WARNING, "errno-4095", &p->default_loc, NULL, "use 4094 or less",
                    "errno 4095: libseccomp refuses it, so runc and crun fail to start the container");
        for (size_t i = 0; i < p->n_rules; i++)
                if (p->rules[i].action.kind == SF_ACT_ERRNO && p->rules[i].action.data == SF_ERRNO_MAX)
                        add(d, p, SF_SEV_WARNING, "errno-4095", &p->rules[i].loc, NULL, "use 4094 or less",
                            "errno 4095: libseccomp refuses it, so runc and crun fail to start the container");

        /* Unknown names, duplicates in one rule, repeated arg indexes, MASKED_EQ data. */
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                for (size_t j = 0; j < r->n_names; j++) {
                        const char *name = r->names[j];
                        const char *path = sf_rule_name_path(r, j, pathbuf, sizeof(pathbuf));
                        if (!sf_syscall_known(name)) {
                                /* a hint only for the findings that are kept: past the
                                 * limit they are only counted, and a profile can hold
                                 * 65,536 unknown names */
                                bool kept = d && d->n < (d->max ? d->max : 1000);
                                const char *s = kept ? sf_syscall_suggest(name) : NULL;
                                if (s)
                                        snprintf(hint, sizeof(hint), "did you mean \"%s\"?", s);
                                add(d, p, strict ? SF_SEV_ERROR : SF_SEV_WARNING, "unknown-syscall",
                                    &r->name_locs[j], path, s ? hint : NULL,
                                    strict ? "unknown syscall \"%s\"" : "unknown syscall \"%s\" is skipped", name);
                        }
                        for (size_t k = 0; k < j; k++)
                                if (strcmp(r->names[k], name) == 0) {
                                        add(d, p, SF_SEV_WARNING, "duplicate-name", &r->name_locs[j], path, NULL,
                                            "\"%s\" is listed twice in this rule", name);
                                        break;
                                }
                }
                for (size_t a = 0; a < r->n_args; a++) {
                        const sf_arg *x = &r->args[a];
                        for (size_t c = 0; c < a; c++)
                                if (r->args[c].index == x->index) {
                                        add(d, p, SF_SEV_WARNING, "repeated-index", &x->loc, NULL,
                                            "runc and crun make each such condition a rule of its own, so they are ORed, not ANDed",
                                            "argument %u is tested twice in this rule", x->index);
                                        break;
                                }
                        if (x->op == SF_OP_MASKED_EQ && (x->value_two & ~x->value)) {
                                snprintf(hint, sizeof(hint), "libseccomp compares (arg & 0x%jx) with 0x%jx",
                                         (uintmax_t)x->value, (uintmax_t)(x->value_two & x->value));
                                add(d, p, SF_SEV_WARNING, "masked-eq-bits", &x->loc, NULL, hint,
                                    "valueTwo 0x%jx has bits outside the mask 0x%jx, so the rule matches more than it reads",
                                    (uintmax_t)x->value_two, (uintmax_t)x->value);
                        }
                }
                if (same_action(r->action, p->default_action) && r->n_names)
                        add(d, p, SF_SEV_WARNING, "no-op-rule", &r->loc, NULL, NULL,
                            "rule has the default action %s and does nothing", action_text(r->action, b1, sizeof(b1)));
                if (r->action.kind == SF_ACT_USER_NOTIF && !p->listener_path)
                        add(d, p, SF_SEV_ERROR, "notify-without-listener", &r->loc, NULL,
                            "set \"listenerPath\" to the agent's socket",
                            "SCMP_ACT_NOTIFY needs a listenerPath: runtimes refuse the profile");
        }
        if (p->default_action.kind == SF_ACT_USER_NOTIF)
                add(d, p, SF_SEV_ERROR, "notify-default", &p->default_loc, NULL, NULL,
                    "SCMP_ACT_NOTIFY cannot be the default action: the runtime's own syscalls would wait on the agent");

        /* Two unconditional rules with different actions for one syscall: libseccomp
         * keeps the first and drops the later, so the result depends on rule order. */
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                if (r->n_args || same_action(r->action, p->default_action))
                        continue;
                for (size_t j = 0; j < r->n_names; j++) {
                        const char *name = r->names[j];
                        bool found = false;
                        for (size_t i2 = 0; i2 < i && !found; i2++) {
                                const sf_rule *q = &p->rules[i2];
                                if (q->n_args || same_action(q->action, r->action) ||
                                    same_action(q->action, p->default_action) || !can_coexist(q, r))
                                        continue;
                                for (size_t j2 = 0; j2 < q->n_names; j2++) {
                                        if (strcmp(q->names[j2], name) != 0)
                                                continue;
                                        char where[160];
                                        snprintf(where, sizeof(where), "%s.names[%zu] at line %u gives %s, which wins",
                                                 q->loc.path, j2, q->name_locs[j2].line,
                                                 action_text(q->action, b2, sizeof(b2)));
                                        /* A contradiction in the file is an error; one that arises
                                         * only on some nodes (includes/excludes) is a warning. */
                                        bool plain = !uses_conditions(q) && !uses_conditions(r);
                                        add(d, p, plain ? SF_SEV_ERROR : SF_SEV_WARNING, "conflicting-actions",
                                            &r->name_locs[j],
                                            sf_rule_name_path(r, j, pathbuf, sizeof(pathbuf)), where,
                                            plain ? "\"%s\" gets %s here and a different action earlier; the result depends on rule order"
                                                  : "\"%s\" gets %s here and a different action earlier on nodes where both rules apply; this rule is shadowed there",
                                            name, action_text(r->action, b1, sizeof(b1)));
                                        found = true;
                                        break;
                                }
                        }
                }
        }

        /* The runtime calls execve after it loads the filter. */
        if (p->default_action.kind != SF_ACT_ALLOW && p->default_action.kind != SF_ACT_LOG) {
                bool allowed = false, conditional = false;
                for (size_t i = 0; i < p->n_rules && !allowed; i++) {
                        const sf_rule *r = &p->rules[i];
                        if (r->action.kind != SF_ACT_ALLOW && r->action.kind != SF_ACT_LOG)
                                continue;
                        for (size_t j = 0; j < r->n_names; j++)
                                if (strcmp(r->names[j], "execve") == 0) {
                                        if (r->n_args || uses_conditions(r))
                                                conditional = true;
                                        else
                                                allowed = true;
                                }
                }
                if (!allowed)
                        add(d, p, SF_SEV_WARNING, "execve-denied", &p->default_loc, NULL,
                            "add \"execve\" to an SCMP_ACT_ALLOW rule",
                            conditional ? "execve is allowed only under conditions: the runtime execs the workload after loading the filter, so the container may not start"
                                        : "execve is not allowed: the runtime execs the workload after loading the filter, so the container cannot start");
        }

        /* containerd reads Localhost profiles into the plain OCI struct. */
        size_t n_cond = 0;
        const sf_rule *first = NULL;
        for (size_t i = 0; i < p->n_rules; i++)
                if (uses_conditions(&p->rules[i])) {
                        n_cond++;
                        if (!first)
                                first = &p->rules[i];
                }
        if (p->n_arch_map || n_cond) {
                snprintf(hint, sizeof(hint), "resolve it for the node: sysfence convert %s --to docker --arch %s --caps default",
                         p->file, sf_arch_short_name(sf_arch_native()));
                char what[128];
                if (p->n_arch_map && n_cond)
                        snprintf(what, sizeof(what), "archMap and includes/excludes (%zu rules)", n_cond);
                else if (p->n_arch_map)
                        snprintf(what, sizeof(what), "archMap");
                else
                        snprintf(what, sizeof(what), "includes/excludes (%zu rules)", n_cond);
                const sf_loc *loc = p->n_arch_map ? &p->arch_map[0].loc : &first->loc;
                add(d, p, SF_SEV_WARNING, "containerd-ignores", loc, p->n_arch_map ? "archMap" : NULL, hint,
                    "containerd ignores %s in Localhost profiles: there the rules apply unconditionally", what);
        }
        if (p->base_profile_name)
                add(d, p, SF_SEV_WARNING, "base-profile", NULL, "spec.baseProfileName", NULL,
                    "baseProfileName \"%s\" is resolved by the operator in the cluster; this check covers this profile alone",
                    p->base_profile_name);
}
