/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a KEP-6061 runtime refuses in a profile it pulled, said before it does.
 *
 * The rules are those of the KEP ("OCI profiles that set them are rejected at
 * pull validation") and of the merge library it names for that validation
 * (sigs.k8s.io/security-profiles-merger, seccomp.ValidateArtifact):
 * SCMP_ACT_NOTIFY anywhere (an artifact cannot bring the listener it needs),
 * listenerPath, listenerMetadata and SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
 * (they belong to the node's own listener), one syscall named by more than
 * 128 entries, one entry of more than 1024 names, and a file over 1 MiB (the
 * limit runtimes apply by default).  The layer is a runtime-spec
 * linux.seccomp document, so a SeccompProfile object or a whole config.json is
 * not one; archMap, includes/excludes and comments are Docker's, not the
 * runtime-spec's: a runtime decoding linux.seccomp drops them, and spoc, which
 * decodes the layer strictly (unknown fields refused), fails (warnings).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile-internal.h"
#include "sysfence/artifact.h"
#include "util/util.h"

static void add(sf_diags *d, const sf_profile *p, sf_severity sev, const char *id, const sf_loc *loc,
                const char *path, const char *hint, const char *fmt, ...) __attribute__((format(printf, 8, 9)));

static void add(sf_diags *d, const sf_profile *p, sf_severity sev, const char *id, const sf_loc *loc,
                const char *path, const char *hint, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        sf_diags_vadd(d, sev, id, p->file, path ? path : loc && loc->path ? loc->path : "", loc ? loc->line : 0,
                      loc ? loc->col : 0, hint, fmt, ap);
        va_end(ap);
}

typedef struct mention {
        const char *name;
        size_t rule, idx; /* the rule and the name's index in it */
} mention;

static int cmp_mention(const void *a, const void *b)
{
        const mention *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        if (c)
                return c;
        return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* A syscall named by more than SF_ARTIFACT_MAX_ENTRIES_PER_SYSCALL entries:
 * reported once, at the first entry over the limit. */
static void check_entries(const sf_profile *p, sf_diags *d)
{
        size_t n = 0;
        for (size_t i = 0; i < p->n_rules; i++)
                n += p->rules[i].n_names;
        if (n == 0)
                return;
        _cleanup_free_ mention *v = malloc(n * sizeof(*v));
        if (!v) {
                add(d, p, SF_SEV_ERROR, "kep6061-oom", NULL, "", NULL, "out of memory");
                return;
        }
        n = 0;
        for (size_t i = 0; i < p->n_rules; i++)
                for (size_t k = 0; k < p->rules[i].n_names; k++)
                        v[n++] = (mention){ p->rules[i].names[k], i, k };
        qsort(v, n, sizeof(*v), cmp_mention);
        for (size_t i = 0; i < n;) {
                size_t j = i, entries = 0;
                const mention *over = NULL;
                for (; j < n && strcmp(v[j].name, v[i].name) == 0; j++) {
                        if (j > i && v[j].rule == v[j - 1].rule)
                                continue; /* one entry naming it twice is one entry */
                        if (++entries == SF_ARTIFACT_MAX_ENTRIES_PER_SYSCALL + 1)
                                over = &v[j];
                }
                if (over) {
                        const sf_rule *r = &p->rules[over->rule];
                        char path[64];
                        add(d, p, SF_SEV_ERROR, "kep6061-entries", &r->name_locs[over->idx],
                            sf_rule_name_path(r, over->idx, path, sizeof(path)),
                            "merge the entries, or give the conditions fewer entries",
                            "\"%s\" is named by %zu entries: KEP-6061 runtimes refuse more than %u", v[i].name,
                            entries, SF_ARTIFACT_MAX_ENTRIES_PER_SYSCALL);
                }
                i = j;
        }
}

SF_EXPORT void sf_kep6061_check(const sf_profile *p, size_t size, sf_diags *d)
{
        if (size > SF_ARTIFACT_MAX_PROFILE)
                add(d, p, SF_SEV_ERROR, "kep6061-size", NULL, "", NULL,
                    "the file has %zu bytes: KEP-6061 runtimes refuse a profile over %u (1 MiB)", size,
                    SF_ARTIFACT_MAX_PROFILE);
        if (p->format == SF_FORMAT_CRD || p->format == SF_FORMAT_OCI_CONFIG)
                add(d, p, SF_SEV_ERROR, "kep6061-format", NULL, "", "write it with 'sysfence convert --to oci'",
                    "a %s is not a runtime-spec seccomp profile, which is what a KEP-6061 artifact holds",
                    p->format == SF_FORMAT_CRD ? "SeccompProfile object" : "whole OCI config.json");
        if (p->default_action.kind == SF_ACT_USER_NOTIF)
                add(d, p, SF_SEV_ERROR, "kep6061-notify", &p->default_loc, NULL, NULL,
                    "SCMP_ACT_NOTIFY: KEP-6061 runtimes refuse it (an artifact cannot bring a listener)");
        if (p->listener_path)
                add(d, p, SF_SEV_ERROR, "kep6061-listener", &p->listener_path_loc, "listenerPath", NULL,
                    "listenerPath: KEP-6061 runtimes refuse it (the listener is the node's)");
        if (p->listener_metadata)
                add(d, p, SF_SEV_ERROR, "kep6061-listener", &p->listener_metadata_loc, "listenerMetadata", NULL,
                    "listenerMetadata: KEP-6061 runtimes refuse it (the listener is the node's)");
        if (p->flags & SF_FLAG_WAIT_KILLABLE_RECV)
                add(d, p, SF_SEV_ERROR, "kep6061-listener", NULL, "flags", NULL,
                    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: KEP-6061 runtimes refuse it (the listener is the node's)");
        if (p->n_arch_map)
                add(d, p, SF_SEV_WARNING, "kep6061-ignored", &p->arch_map[0].loc, "archMap",
                    "write the plain form for the nodes with 'sysfence convert --to oci'",
                    "archMap is not in the runtime-spec: a KEP-6061 runtime ignores it");
        bool cond_warned = false, comment_warned = false;
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                if (r->action.kind == SF_ACT_USER_NOTIF)
                        add(d, p, SF_SEV_ERROR, "kep6061-notify", &r->loc, NULL, NULL,
                            "SCMP_ACT_NOTIFY: KEP-6061 runtimes refuse it (an artifact cannot bring a listener)");
                if (r->n_names > SF_ARTIFACT_MAX_NAMES_PER_ENTRY)
                        add(d, p, SF_SEV_ERROR, "kep6061-names", &r->loc, NULL, "split the entry",
                            "%zu names in one entry: KEP-6061 runtimes refuse more than %u", r->n_names,
                            SF_ARTIFACT_MAX_NAMES_PER_ENTRY);
                if ((r->includes.present || r->excludes.present) && !cond_warned) {
                        cond_warned = true;
                        add(d, p, SF_SEV_WARNING, "kep6061-ignored", &r->loc, NULL,
                            "write the plain form for the nodes with 'sysfence convert --to oci'",
                            "includes/excludes are not in the runtime-spec: a KEP-6061 runtime applies the "
                            "rule everywhere");
                }
                if (r->comment && !comment_warned) {
                        comment_warned = true;
                        add(d, p, SF_SEV_WARNING, "kep6061-ignored", &r->loc, NULL, NULL,
                            "\"comment\" is not in the runtime-spec: a strict reader (spoc pull) refuses the file");
                }
        }
        check_entries(p, d);
}

SF_EXPORT int sf_kep6061_check_data(const char *data, size_t len, const char *name, sf_diags *d)
{
        sf_load_opts lo = { .display_name = NULL };
        sf_profile **v = NULL;
        size_t n = 0;
        sf_error *err = NULL;
        size_t before = d->errors;
        if (sf_profile_load_data(data, len, name, &lo, &v, &n, d, &err) < 0) {
                if (d->errors == before)
                        sf_diags_add(d, SF_SEV_ERROR, "io", name, "", 0, 0, NULL, "%s", sf_error_message(err));
                sf_error_free(err);
                return -EINVAL;
        }
        if (n != 1)
                sf_diags_add(d, SF_SEV_ERROR, "kep6061-format", name, "", 0, 0, NULL,
                             "%zu profiles: a KEP-6061 artifact holds exactly one", n);
        for (size_t i = 0; i < n; i++) {
                sf_profile_check(v[i], &lo, d);
                sf_kep6061_check(v[i], len, d);
        }
        sf_profiles_free(v, n);
        return d->errors > before ? -EINVAL : 0;
}
