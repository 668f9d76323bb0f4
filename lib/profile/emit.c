/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Canonical output: fixed key order, names sorted and deduplicated within a rule,
 * rule order kept (it decides conflicts), two-space indentation, a final newline.
 * Emitting the emitted text again gives the same bytes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arch/caps.h"
#include "profile/profile-internal.h"

static void json_str(sf_buf *b, const char *s)
{
        sf_buf_putc(b, '"');
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                switch (*p) {
                case '"': sf_buf_puts(b, "\\\""); break;
                case '\\': sf_buf_puts(b, "\\\\"); break;
                case '\n': sf_buf_puts(b, "\\n"); break;
                case '\t': sf_buf_puts(b, "\\t"); break;
                case '\r': sf_buf_puts(b, "\\r"); break;
                default:
                        if (*p < 0x20)
                                sf_buf_printf(b, "\\u%04x", *p);
                        else
                                sf_buf_putc(b, (char)*p);
                }
        }
        sf_buf_putc(b, '"');
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The rule's names sorted and without duplicates (malloc'd array). */
static const char **sorted_names(const sf_rule *r, size_t *ret_n)
{
        const char **v = malloc((r->n_names + 1) * sizeof(*v));
        if (!v)
                return NULL;
        memcpy(v, r->names, r->n_names * sizeof(*v));
        qsort(v, r->n_names, sizeof(*v), cmp_str);
        size_t n = 0;
        for (size_t i = 0; i < r->n_names; i++)
                if (n == 0 || strcmp(v[n - 1], v[i]) != 0)
                        v[n++] = v[i];
        *ret_n = n;
        return v;
}

static bool has_errno(sf_action a) { return a.kind == SF_ACT_ERRNO || a.kind == SF_ACT_TRACE; }

typedef struct emitter {
        sf_buf b;
        bool yaml;
        bool oci; /* plain OCI: no archMap, comment, includes/excludes */
} emitter;

static void indent(sf_buf *b, int n)
{
        for (int i = 0; i < n; i++)
                sf_buf_puts(b, "  ");
}

static void arch_list_json(sf_buf *b, const sf_arch *v, size_t n, bool short_names, int ind)
{
        sf_buf_puts(b, "[");
        for (size_t i = 0; i < n; i++) {
                sf_buf_puts(b, i ? ",\n" : "\n");
                indent(b, ind + 1);
                json_str(b, short_names ? sf_arch_short_name(v[i]) : sf_arch_scmp_name(v[i]));
        }
        if (n) {
                sf_buf_putc(b, '\n');
                indent(b, ind);
        }
        sf_buf_puts(b, "]");
}

static void cond_json(sf_buf *b, const char *key, const sf_filter_cond *c, int ind)
{
        sf_buf_puts(b, ",\n");
        indent(b, ind);
        sf_buf_printf(b, "\"%s\": {", key);
        bool first = true;
        if (c->n_arches) {
                sf_buf_puts(b, "\n");
                indent(b, ind + 1);
                sf_buf_puts(b, "\"arches\": ");
                arch_list_json(b, c->arches, c->n_arches, true, ind + 1);
                first = false;
        }
        if (c->caps) {
                sf_buf_puts(b, first ? "\n" : ",\n");
                indent(b, ind + 1);
                sf_buf_puts(b, "\"caps\": [");
                bool f2 = true;
                for (int cap = 0; cap < 64; cap++)
                        if (c->caps & (UINT64_C(1) << cap)) {
                                sf_buf_puts(b, f2 ? "\n" : ",\n");
                                indent(b, ind + 2);
                                json_str(b, sf_cap_name(cap));
                                f2 = false;
                        }
                sf_buf_puts(b, "\n");
                indent(b, ind + 1);
                sf_buf_puts(b, "]");
                first = false;
        }
        if (c->min_kernel_major || c->min_kernel_minor) {
                sf_buf_puts(b, first ? "\n" : ",\n");
                indent(b, ind + 1);
                sf_buf_printf(b, "\"minKernel\": \"%u.%u\"", c->min_kernel_major, c->min_kernel_minor);
                first = false;
        }
        if (!first) {
                sf_buf_puts(b, "\n");
                indent(b, ind);
        }
        sf_buf_puts(b, "}");
}

static int emit_json(emitter *e, const sf_profile *p)
{
        sf_buf *b = &e->b;
        sf_buf_puts(b, "{\n  \"defaultAction\": ");
        json_str(b, sf_action_name(p->default_action.kind));
        if (has_errno(p->default_action))
                sf_buf_printf(b, ",\n  \"defaultErrnoRet\": %u", p->default_action.data);
        if (p->n_arches) {
                sf_buf_puts(b, ",\n  \"architectures\": ");
                arch_list_json(b, p->arches, p->n_arches, false, 1);
        }
        if (p->n_arch_map && !e->oci) {
                sf_buf_puts(b, ",\n  \"archMap\": [");
                for (size_t i = 0; i < p->n_arch_map; i++) {
                        const sf_arch_map *m = &p->arch_map[i];
                        sf_buf_puts(b, i ? ",\n    {\n      \"architecture\": " : "\n    {\n      \"architecture\": ");
                        json_str(b, sf_arch_scmp_name(m->arch));
                        sf_buf_puts(b, ",\n      \"subArchitectures\": ");
                        arch_list_json(b, m->sub, m->n_sub, false, 3);
                        sf_buf_puts(b, "\n    }");
                }
                sf_buf_puts(b, "\n  ]");
        }
        if (p->flags) {
                static const char *const names[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                                     "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                                     "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" };
                sf_buf_puts(b, ",\n  \"flags\": [");
                bool first = true;
                for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                        if (p->flags & (1u << i)) {
                                sf_buf_puts(b, first ? "\n    " : ",\n    ");
                                json_str(b, names[i]);
                                first = false;
                        }
                sf_buf_puts(b, "\n  ]");
        }
        if (p->listener_path) {
                sf_buf_puts(b, ",\n  \"listenerPath\": ");
                json_str(b, p->listener_path);
        }
        if (p->listener_metadata) {
                sf_buf_puts(b, ",\n  \"listenerMetadata\": ");
                json_str(b, p->listener_metadata);
        }
        sf_buf_puts(b, ",\n  \"syscalls\": [");
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                size_t n;
                _cleanup_free_ const char **names = sorted_names(r, &n);
                if (!names)
                        return -ENOMEM;
                sf_buf_puts(b, i ? ",\n    {\n      \"names\": [" : "\n    {\n      \"names\": [");
                for (size_t j = 0; j < n; j++) {
                        sf_buf_puts(b, j ? ",\n        " : "\n        ");
                        json_str(b, names[j]);
                }
                sf_buf_puts(b, n ? "\n      ],\n      \"action\": " : "],\n      \"action\": ");
                json_str(b, sf_action_name(r->action.kind));
                if (has_errno(r->action))
                        sf_buf_printf(b, ",\n      \"errnoRet\": %u", r->action.data);
                if (r->n_args) {
                        sf_buf_puts(b, ",\n      \"args\": [");
                        for (size_t k = 0; k < r->n_args; k++) {
                                const sf_arg *a = &r->args[k];
                                sf_buf_printf(b,
                                              "%s\n        {\n          \"index\": %u,\n          \"value\": %ju,\n"
                                              "          \"valueTwo\": %ju,\n          \"op\": \"%s\"\n        }",
                                              k ? "," : "", a->index, (uintmax_t)a->value, (uintmax_t)a->value_two,
                                              sf_op_name(a->op));
                        }
                        sf_buf_puts(b, "\n      ]");
                }
                if (!e->oci) {
                        if (r->comment) {
                                sf_buf_puts(b, ",\n      \"comment\": ");
                                json_str(b, r->comment);
                        }
                        if (r->includes.present)
                                cond_json(b, "includes", &r->includes, 3);
                        if (r->excludes.present)
                                cond_json(b, "excludes", &r->excludes, 3);
                }
                sf_buf_puts(b, "\n    }");
        }
        sf_buf_puts(b, p->n_rules ? "\n  ]\n}\n" : "]\n}\n");
        return 0;
}

/* YAML scalars that could be read as something else are quoted. */
static void yaml_str(sf_buf *b, const char *s)
{
        bool plain = *s != 0;
        for (const char *p = s; *p && plain; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '-' || *p == '.' || *p == '/'))
                        plain = false;
        /* what YAML 1.1 (go-yaml v2, which Kubernetes reads with) takes for a null or
         * a boolean, in any case: e.g. "ON" would come back as true */
        static const char *const special[] = { "null", "true", "false", "yes", "no", "on", "off", "y", "n", "~" };
        for (size_t i = 0; i < ARRAY_SIZE(special) && plain; i++)
                if (strcasecmp(s, special[i]) == 0)
                        plain = false;
        if (plain && ((*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
                plain = false;
        if (plain)
                sf_buf_puts(b, s);
        else
                json_str(b, s); /* a JSON string is a valid double-quoted YAML scalar */
}

/* What the operator computes or kubectl keeps in an annotation: stale once the
 * object is written again, so not carried over. */
static bool derived_annotation(const char *key)
{
        return strcmp(key, "syscalls") == 0 || strcmp(key, "kubectl.kubernetes.io/last-applied-configuration") == 0;
}

static void yaml_map(sf_buf *b, const char *key, const char *const *kv, size_t n)
{
        bool first = true;
        for (size_t i = 0; i < n; i++) {
                if (strcmp(key, "annotations") == 0 && derived_annotation(kv[2 * i]))
                        continue;
                if (first)
                        sf_buf_printf(b, "\n  %s:", key);
                first = false;
                sf_buf_puts(b, "\n    ");
                yaml_str(b, kv[2 * i]);
                sf_buf_puts(b, ": ");
                yaml_str(b, kv[2 * i + 1]);
        }
}

/* What SPO's CRD schema (v1beta1) refuses: argument values are int64 there. */
static int crd_representable(const sf_profile *p, sf_error **err)
{
        for (size_t i = 0; i < p->n_rules; i++) {
                if (p->rules[i].action.kind == SF_ACT_ERRNO && p->rules[i].action.data == 0 && p->rules[i].n_names)
                        return sf_error_set(err, EINVAL,
                                            "%s: %s: errnoRet 0 cannot be written in a SeccompProfile: the operator drops a zero errnoRet and the rule would return EPERM",
                                            p->file, p->rules[i].loc.path ? p->rules[i].loc.path : "syscalls");
                for (size_t k = 0; k < p->rules[i].n_args; k++) {
                        const sf_arg *a = &p->rules[i].args[k];
                        if (a->value > INT64_MAX || a->value_two > INT64_MAX)
                                return sf_error_set(err, EINVAL,
                                                    "%s: %s.args[%zu]: %ju is above %jd: a SeccompProfile's argument values are int64 (the operator's schema refuses it)",
                                                    p->file, p->rules[i].loc.path ? p->rules[i].loc.path : "syscalls",
                                                    k, (uintmax_t)(a->value > INT64_MAX ? a->value : a->value_two),
                                                    (intmax_t)INT64_MAX);
                }
        }
        return 0;
}

static int emit_crd(emitter *e, const sf_profile *p, const char *name)
{
        sf_buf *b = &e->b;
        sf_buf_puts(b, "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: ");
        yaml_str(b, name);
        if (p->namespace_) {
                sf_buf_puts(b, "\n  namespace: ");
                yaml_str(b, p->namespace_);
        }
        yaml_map(b, "labels", p->labels, p->n_labels);
        yaml_map(b, "annotations", p->annotations, p->n_annotations);
        sf_buf_puts(b, "\nspec:\n");
        if (p->disabled)
                sf_buf_puts(b, "  disabled: true\n");
        if (p->base_profile_name) {
                sf_buf_puts(b, "  baseProfileName: ");
                yaml_str(b, p->base_profile_name);
                sf_buf_putc(b, '\n');
        }
        sf_buf_printf(b, "  defaultAction: %s\n", sf_action_name(p->default_action.kind));
        if (p->n_arches) {
                sf_buf_puts(b, "  architectures:\n");
                for (size_t i = 0; i < p->n_arches; i++)
                        sf_buf_printf(b, "  - %s\n", sf_arch_scmp_name(p->arches[i]));
        }
        if (p->flags) {
                static const char *const names[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                                     "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                                     "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" };
                sf_buf_puts(b, "  flags:\n");
                for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                        if (p->flags & (1u << i))
                                sf_buf_printf(b, "  - %s\n", names[i]);
        }
        if (p->listener_path) {
                sf_buf_puts(b, "  listenerPath: ");
                yaml_str(b, p->listener_path);
                sf_buf_putc(b, '\n');
        }
        if (p->listener_metadata) {
                sf_buf_puts(b, "  listenerMetadata: ");
                yaml_str(b, p->listener_metadata);
                sf_buf_putc(b, '\n');
        }
        size_t named = 0;
        for (size_t i = 0; i < p->n_rules; i++)
                named += p->rules[i].n_names > 0;
        if (named)
                sf_buf_puts(b, "  syscalls:\n");
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                size_t n;
                if (r->n_names == 0)
                        continue; /* decides nothing, and the schema wants names */
                _cleanup_free_ const char **names = sorted_names(r, &n);
                if (!names)
                        return -ENOMEM;
                sf_buf_printf(b, "  - action: %s\n", sf_action_name(r->action.kind));
                if (has_errno(r->action))
                        sf_buf_printf(b, "    errnoRet: %u\n", r->action.data);
                sf_buf_puts(b, n ? "    names:\n" : "    names: []\n");
                for (size_t j = 0; j < n; j++) {
                        sf_buf_puts(b, "    - ");
                        yaml_str(b, names[j]);
                        sf_buf_putc(b, '\n');
                }
                if (r->n_args) {
                        sf_buf_puts(b, "    args:\n");
                        for (size_t k = 0; k < r->n_args; k++) {
                                const sf_arg *a = &r->args[k];
                                sf_buf_printf(b, "    - index: %u\n      value: %ju\n      valueTwo: %ju\n      op: %s\n",
                                              a->index, (uintmax_t)a->value, (uintmax_t)a->value_two, sf_op_name(a->op));
                        }
                }
        }
        return 0;
}

/* A Kubernetes object name from the file name: lower-case RFC 1123 label. */
static char *crd_name(const sf_profile *p)
{
        if (p->name)
                return strdup(p->name);
        const char *base = strrchr(p->file, '/');
        base = base ? base + 1 : p->file;
        sf_buf b = { 0 };
        for (const char *s = base; *s && b.len < 63; s++) {
                char c = *s;
                if (strcmp(s, ".json") == 0 || strcmp(s, ".yaml") == 0 || strcmp(s, ".yml") == 0)
                        break;
                if (c >= 'A' && c <= 'Z')
                        c = (char)(c - 'A' + 'a');
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
                        c = '-';
                if (c == '-' && (b.len == 0 || b.s[b.len - 1] == '-'))
                        continue;
                sf_buf_putc(&b, c);
        }
        while (b.len && b.s[b.len - 1] == '-')
                sf_buf_truncate(&b, b.len - 1);
        if (b.len == 0)
                sf_buf_puts(&b, "profile");
        return sf_buf_steal(&b);
}

static bool has_conditions(const sf_profile *p)
{
        if (p->n_arch_map)
                return true;
        for (size_t i = 0; i < p->n_rules; i++)
                if (p->rules[i].includes.present || p->rules[i].excludes.present)
                        return true;
        return false;
}

SF_EXPORT int sf_profile_emit(const sf_profile *p, sf_format format, char **ret_text, sf_error **err)
{
        emitter e = { .oci = format == SF_FORMAT_OCI || format == SF_FORMAT_OCI_CONFIG };
        if (format != SF_FORMAT_DOCKER && has_conditions(p))
                return sf_error_set(err, EINVAL,
                                    "%s: archMap and includes/excludes cannot be written as %s; resolve the profile for a node first",
                                    p->file, format == SF_FORMAT_CRD ? "a SeccompProfile" : "OCI");
        int r;
        if (format == SF_FORMAT_CRD) {
                if ((r = crd_representable(p, err)) < 0)
                        return r;
                _cleanup_free_ char *name = crd_name(p);
                r = name ? emit_crd(&e, p, name) : -ENOMEM;
        } else if (format == SF_FORMAT_OCI_CONFIG) {
                return sf_error_set(err, EINVAL, "%s: writing a whole OCI config.json is not supported", p->file);
        } else {
                r = emit_json(&e, p);
        }
        char *text = sf_buf_steal(&e.b);
        if (r < 0 || !text) {
                free(text);
                return sf_error_set(err, ENOMEM, "%s: out of memory", p->file);
        }
        *ret_text = text;
        return 0;
}
