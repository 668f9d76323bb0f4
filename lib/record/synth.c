/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Synthesis: the profile that allows what a recording saw, and nothing else.
 *
 * The text is built as a plain Docker profile and then loaded and emitted by
 * the profile module, so it is canonical in every format (the same bytes as
 * 'sysfence convert' gives) and whatever the recording held, it parses. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "record/record-internal.h"
#include "sysfence/error.h"

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_spec(const void *a, const void *b)
{
        const sf_arg_spec *x = *(const sf_arg_spec *const *)a, *y = *(const sf_arg_spec *const *)b;
        return strcmp(x->name, y->name);
}

/* Whether the name gets per-value rules instead of a place in the plain list. */
static const sf_arg_spec *value_rules(const sf_record *r, const char *name)
{
        for (size_t i = 0; i < r->n_specs; i++)
                if (strcmp(r->specs[i].name, name) == 0)
                        return r->specs[i].n && !r->specs[i].overflow ? &r->specs[i] : NULL;
        return NULL;
}

static void json_names(sf_buf *b, const char *const *v, size_t n)
{
        sf_buf_putc(b, '[');
        for (size_t i = 0; i < n; i++)
                sf_buf_printf(b, "%s\"%s\"", i ? ", " : "", v[i]);
        sf_buf_putc(b, ']');
}

/* The Docker JSON of the observations, not yet canonical. */
static int build_text(const sf_record *r, const sf_synth_opts *o, const char *name, sf_buf *b, sf_diags *diags,
                      sf_error **err)
{
        _cleanup_free_ sf_record_entry *e = NULL;
        size_t n;
        int rr = sf_record_entries(r, &e, &n, err);
        if (rr < 0)
                return rr;
        const char *const *base = NULL;
        size_t n_base = 0;
        if (o->base && strcmp(o->base, "none") != 0) {
                base = sf_record_base(o->base);
                if (!base)
                        return sf_error_set(err, EINVAL, "no base set for runtime \"%s\" (runc or crun)", o->base);
                while (base[n_base])
                        n_base++;
        }
        _cleanup_free_ const char **names = calloc(n + n_base + 1, sizeof(*names));
        if (!names)
                return sf_error_set(err, ENOMEM, "out of memory");

        bool arch_seen[SF_ARCH__COUNT] = { false };
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (e[i].arch == SF_ARCH_NONE) {
                        sf_diags_add(diags, SF_SEV_WARNING, "unknown-arch", name, "", 0, 0, NULL,
                                     "%ju calls of syscall %ld on an arch the tables do not know (audit arch 0x%x): the profile cannot allow them",
                                     (uintmax_t)e[i].count, e[i].nr, e[i].audit_arch);
                        continue;
                }
                arch_seen[e[i].arch] = true;
                if (!e[i].name) {
                        sf_diags_add(diags, SF_SEV_WARNING, "unnamed-syscall", name, "", 0, 0, NULL,
                                     "%ju calls of syscall %ld on %s, which the tables cannot name: the profile cannot allow them",
                                     (uintmax_t)e[i].count, e[i].nr, sf_arch_short_name(e[i].arch));
                        continue;
                }
                if (!value_rules(r, e[i].name))
                        names[k++] = e[i].name;
        }
        for (size_t i = 0; i < n_base; i++)
                names[k++] = base[i];
        qsort(names, k, sizeof(*names), cmp_str);
        size_t m = 0;
        for (size_t i = 0; i < k; i++)
                if (m == 0 || strcmp(names[m - 1], names[i]) != 0)
                        names[m++] = names[i];

        sf_buf_printf(b, "{\n  \"defaultAction\": \"%s\"", sf_action_name(o->default_action));
        if (o->default_action == SF_ACT_ERRNO)
                sf_buf_printf(b, ",\n  \"defaultErrnoRet\": %u", o->default_errno ? o->default_errno : EPERM);
        sf_buf_puts(b, ",\n  \"architectures\": [");
        bool first = true;
        for (int a = SF_ARCH_NONE + 1; a < SF_ARCH__COUNT; a++)
                if (arch_seen[a]) {
                        sf_buf_printf(b, "%s\"%s\"", first ? "" : ", ", sf_arch_scmp_name((sf_arch)a));
                        first = false;
                }
        sf_buf_puts(b, "],\n  \"syscalls\": [");
        first = true;
        if (m) {
                sf_buf_puts(b, "\n    {\"names\": ");
                json_names(b, names, m);
                sf_buf_puts(b, ", \"action\": \"SCMP_ACT_ALLOW\"}");
                first = false;
        }
        /* one rule per value: by name, then by value */
        _cleanup_free_ const sf_arg_spec **specs = calloc(r->n_specs + 1, sizeof(*specs));
        if (!specs)
                return sf_error_set(err, ENOMEM, "out of memory");
        size_t ns = 0;
        for (size_t i = 0; i < r->n_specs; i++) {
                const sf_arg_spec *s = &r->specs[i];
                if (s->overflow)
                        sf_diags_add(diags, SF_SEV_WARNING, "too-many-values", name, "", 0, 0, NULL,
                                     "more than %d distinct values of argument %u of \"%s\": it is allowed with any value",
                                     SF_RECORD_MAX_VALUES, s->index, s->name);
                else if (s->n)
                        specs[ns++] = s;
        }
        qsort(specs, ns, sizeof(*specs), cmp_spec);
        for (size_t i = 0; i < ns; i++) {
                const sf_arg_spec *s = specs[i];
                for (size_t j = 0; j < s->n; j++) {
                        sf_buf_printf(b, "%s\n    {\"names\": [\"%s\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [", first ? "" : ",",
                                      s->name);
                        if (s->mask)
                                sf_buf_printf(b, "{\"index\": %u, \"value\": %ju, \"valueTwo\": %ju, \"op\": \"SCMP_CMP_MASKED_EQ\"}",
                                              s->index, (uintmax_t)s->mask, (uintmax_t)s->values[j]);
                        else
                                sf_buf_printf(b, "{\"index\": %u, \"value\": %ju, \"op\": \"SCMP_CMP_EQ\"}", s->index,
                                              (uintmax_t)s->values[j]);
                        sf_buf_puts(b, "]}");
                        first = false;
                }
        }
        sf_buf_puts(b, first ? "]\n}\n" : "\n  ]\n}\n");
        if (b->oom)
                return sf_error_set(err, ENOMEM, "out of memory");
        return 0;
}

SF_EXPORT int sf_record_to_profile(const sf_record *r, const sf_synth_opts *o, char **ret_text, sf_diags *diags,
                                   sf_error **err)
{
        switch (o->format) {
        case SF_FORMAT_DOCKER:
        case SF_FORMAT_OCI:
        case SF_FORMAT_CRD:
                break;
        default:
                return sf_error_set(err, EINVAL, "a recording is written as Docker JSON, OCI or a SeccompProfile");
        }
        if (o->default_action == SF_ACT_ALLOW)
                return sf_error_set(err, EINVAL, "a default action of SCMP_ACT_ALLOW makes a profile that allows everything");
        if (o->default_action == SF_ACT_ERRNO && o->default_errno > SF_ERRNO_MAX)
                return sf_error_set(err, EINVAL, "errno %u is above %u", o->default_errno, SF_ERRNO_MAX);
        const char *name = o->name && *o->name ? o->name : "recorded";
        /* the base by its runtime name: the workload's own syscalls, the base named */
        const char *base_name = o->format == SF_FORMAT_CRD && o->base_by_name && o->base &&
                                                strcmp(o->base, "none") != 0
                                        ? sf_profile_runtime_base_for(o->base)
                                        : NULL;
        sf_synth_opts own;
        if (base_name) {
                own = *o;
                own.base = NULL;
                o = &own;
        }

        sf_buf b = { 0 };
        int rr = build_text(r, o, name, &b, diags, err);
        if (rr < 0) {
                sf_buf_release(&b);
                return rr;
        }
        sf_profile **v = NULL;
        size_t n = 0;
        sf_load_opts lo = { .strict = true, .inherit = base_name ? SF_INHERIT_NONE : SF_INHERIT_DEFAULT };
        rr = sf_profile_load_data(b.s, b.len, name, &lo, &v, &n, diags, err);
        sf_buf_release(&b);
        if (rr < 0) {
                sf_error_wrap(err, "the synthesized profile does not load");
                return rr;
        }
        if (base_name)
                v[0]->base_profile_name = base_name;
        rr = sf_profile_emit(v[0], o->format, ret_text, err);
        sf_profiles_free(v, n);
        return rr;
}
