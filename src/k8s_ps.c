/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence k8s ps: options, then the library's answer (lib/k8s/ps.c) as a
 * table or JSON. */
#include <string.h>

#include "cli.h"
#include "k8s.h"
#include "sysfence/k8s.h"

#define DEFAULT_ROOT SF_K8S_DEFAULT_ROOT

/* --- ps ------------------------------------------------------------------------------------ */

static const char ps_usage[] =
        "usage: sysfence k8s ps [--state-dir DIR] [--crio-storage DIR] [--kubelet-root DIR] [--all] [--json]\n"
        "\n"
        "Every container of this node (root: their filters are read with ptrace) with\n"
        "its pod, namespace and name, the profile its spec asks for, and the filter its\n"
        "process really runs under, named by the installed profile (under\n"
        "DIR/seccomp/, compiled as containerd reads it: includes/excludes and archMap\n"
        "ignored) or containerd's default that makes the\n"
        "same decisions for every syscall: \"sysfence/nginx.json (equal)\",\n"
        "\"RuntimeDefault (equal)\", \"UNCONFINED\", \"unknown filter (N instructions)\".\n"
        "Containers are read from containerd's shim bundles\n"
        "(STATE/io.containerd.runtime.v2.task/NS/ID/config.json and init.pid) and CRI-O's\n"
        "(STORAGE/overlay-containers/ID/userdata/), no CRI client needed.\n"
        "\n"
        "  --state-dir DIR     containerd's state dir (default /run/containerd)\n"
        "  --crio-storage DIR  CRI-O's run storage (default /run/containers/storage)\n"
        "  --kubelet-root DIR  the kubelet's root (default " DEFAULT_ROOT ")\n"
        "  --all               list the pods' sandbox (pause) containers too\n"
        "  --json              print the containers as JSON\n"
        "  -h, --help          show this help\n"
        "\n"
        "exit status: 0 listed, 1 the state dirs cannot be read, 2 usage error\n";

/* A name from a container's spec, for a table cell: "-" for none, and a
 * control byte (which would break the table or the terminal) as '?'. */
static void cell(sf_buf *b, const char *s)
{
        if (!s || !*s) {
                sf_buf_putc(b, '-');
                return;
        }
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                sf_buf_putc(b, *p < 0x20 || *p == 0x7f ? '?' : (char)*p);
}

/* The LOADED column: what the process runs under. */
static void ps_loaded(sf_buf *b, const sf_k8s_ps_row *r)
{
        switch (r->loaded) {
        case SF_K8S_LOADED_MATCH: sf_buf_printf(b, "%s (equal)", r->match); break;
        case SF_K8S_LOADED_UNKNOWN:
                if (r->n_filters > 1)
                        sf_buf_printf(b, "unknown filter (%u stacked, %zu instructions)", r->n_filters, r->insns);
                else
                        sf_buf_printf(b, "unknown filter (%zu instructions)", r->insns);
                break;
        case SF_K8S_LOADED_NONE: sf_buf_puts(b, "UNCONFINED"); break;
        case SF_K8S_LOADED_STRICT: sf_buf_puts(b, "strict mode"); break;
        case SF_K8S_LOADED_UNREADABLE: sf_buf_printf(b, "a filter, unreadable: %s", r->why); break;
        case SF_K8S_LOADED_STOPPED: sf_buf_puts(b, "not running"); break;
        }
}

static const char *const loaded_key[] = {
        [SF_K8S_LOADED_MATCH] = "equal",       [SF_K8S_LOADED_UNKNOWN] = "unknown",
        [SF_K8S_LOADED_NONE] = "unconfined",   [SF_K8S_LOADED_STRICT] = "strict",
        [SF_K8S_LOADED_UNREADABLE] = "unreadable", [SF_K8S_LOADED_STOPPED] = "not-running",
};

static void ps_json(sf_buf *b, const sf_k8s_ps *ps)
{
        sf_buf_puts(b, "{\"containers\":[");
        for (size_t i = 0; i < ps->n; i++) {
                const sf_k8s_ps_row *r = &ps->v[i];
                const sf_k8s_container *c = r->c;
                sf_buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
                cli_json_str(b, c->id);
                const char *keys[] = { "runtime_namespace", "namespace", "pod", "container", "type" };
                const char *vals[] = { c->ns, c->pod_ns, c->pod, c->name, c->type };
                for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
                        sf_buf_printf(b, ",\"%s\":", keys[k]);
                        if (vals[k])
                                cli_json_str(b, vals[k]);
                        else
                                sf_buf_puts(b, "null");
                }
                sf_buf_printf(b, ",\"pid\":%d,\"spec\":", (int)c->pid);
                cli_json_str(b, r->spec);
                sf_buf_puts(b, ",\"loaded\":");
                cli_json_str(b, loaded_key[r->loaded]);
                if (r->match) {
                        sf_buf_puts(b, ",\"profile\":");
                        cli_json_str(b, r->match);
                }
                sf_buf_printf(b, ",\"filters\":%u", r->n_filters);
                if (r->insns)
                        sf_buf_printf(b, ",\"instructions\":%zu", r->insns);
                if (r->why) {
                        sf_buf_puts(b, ",\"error\":");
                        cli_json_str(b, r->why);
                }
                sf_buf_puts(b, ",\"text\":");
                sf_buf t = { 0 };
                ps_loaded(&t, r);
                cli_json_str(b, t.s);
                sf_buf_release(&t);
                sf_buf_puts(b, "}");
        }
        sf_buf_printf(b, "],\"profiles_compared\":%zu}\n", ps->n_profiles);
}

static void ps_table(sf_buf *b, const sf_k8s_ps *ps)
{
        enum { COLS = 5 };
        static const char *const head[COLS] = { "NAMESPACE", "POD", "CONTAINER", "SPEC", "LOADED" };
        size_t w[COLS];
        for (size_t k = 0; k < COLS; k++)
                w[k] = strlen(head[k]);
        sf_buf *cells = calloc(ps->n * COLS + 1, sizeof(*cells));
        if (!cells) {
                b->oom = true;
                return;
        }
        for (size_t i = 0; i < ps->n; i++) {
                const sf_k8s_ps_row *r = &ps->v[i];
                sf_buf *row = &cells[i * COLS];
                cell(&row[0], r->c->pod_ns);
                cell(&row[1], r->c->pod);
                /* a container no CRI named: its runtime id */
                if (r->c->name && *r->c->name)
                        cell(&row[2], r->c->name);
                else
                        sf_buf_printf(&row[2], "%.12s", r->c->id);
                if (r->c->type && strcmp(r->c->type, "sandbox") == 0)
                        sf_buf_puts(&row[2], " (sandbox)");
                sf_buf_puts(&row[3], r->spec);
                ps_loaded(&row[4], r);
                for (size_t k = 0; k < COLS; k++)
                        if (row[k].len > w[k])
                                w[k] = row[k].len;
        }
        for (size_t i = 0; i <= ps->n; i++)
                for (size_t k = 0; k < COLS; k++) {
                        const char *v = i == 0 ? head[k] : cells[(i - 1) * COLS + k].s;
                        if (k + 1 < COLS)
                                sf_buf_printf(b, "%-*s  ", (int)w[k], v ? v : "");
                        else
                                sf_buf_printf(b, "%s\n", v ? v : "");
                }
        for (size_t i = 0; i < ps->n * COLS; i++)
                sf_buf_release(&cells[i]);
        free(cells);
}

int k8s_ps(int argc, char **argv)
{
        static const struct option opts[] = {
                { "state-dir", required_argument, NULL, 's' },  { "crio-storage", required_argument, NULL, 'c' },
                { "kubelet-root", required_argument, NULL, 'R' }, { "all", no_argument, NULL, 'a' },
                { "json", no_argument, NULL, 'j' },              { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        sf_k8s_ps_opts o = { .inv = { .containerd_state = "/run/containerd", .crio_storage = "/run/containers/storage" },
                             .kubelet_root = DEFAULT_ROOT };
        bool json = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 's': o.inv.containerd_state = optarg; break;
                case 'c': o.inv.crio_storage = optarg; break;
                case 'R': o.kubelet_root = optarg; break;
                case 'a': o.sandboxes = true; break;
                case 'j': json = true; break;
                case 'h': fputs(ps_usage, stdout); return EXIT_OK;
                default: return cli_usage_error("k8s ps", "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error("k8s ps", "unexpected argument \"%s\"", argv[optind]);
        if (!*o.inv.containerd_state || !*o.inv.crio_storage || !*o.kubelet_root)
                return cli_usage_error("k8s ps", "a directory option is empty");
        sf_k8s_ps ps = { 0 };
        sf_error *err = NULL;
        if (sf_k8s_ps_read(&o, &ps, &err) < 0)
                return cli_fail("k8s ps", &err);
        cli_print_diags(&ps.notes, true);
        sf_buf b = { 0 };
        if (json)
                ps_json(&b, &ps);
        else
                ps_table(&b, &ps);
        sf_k8s_ps_release(&ps);
        int status = EXIT_OK;
        if (b.oom) {
                cli_error("k8s ps", "out of memory");
                status = EXIT_INVALID;
        } else {
                fputs(b.s, stdout);
        }
        sf_buf_release(&b);
        return fflush(stdout) == 0 ? status : EXIT_INVALID;
}

