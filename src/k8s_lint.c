/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence k8s lint: options, then each file's containers and findings as the
 * library's linter (lib/k8s/lint.c) returns them, as text or JSON. */
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "k8s.h"
#include "sysfence/k8s.h"
#include "sysfence/record.h"

static const char lint_usage[] =
        "usage: sysfence k8s lint [--kubelet-root DIR] [--profiles-dir DIR] [--seccomp-default]\n"
        "                         [--runtime runc|crun] [--arch A] [--json] [-q] FILE...\n"
        "\n"
        "Check the seccomp settings of Kubernetes manifests (YAML, one or many documents,\n"
        "or JSON; List kinds too): Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,\n"
        "ReplicationController, Job, CronJob and PodTemplate, every container, init\n"
        "container and ephemeral container.  For each container it works out the\n"
        "profile it runs under (the container's seccompProfile overrides the pod's) and\n"
        "reports, as \"file:line:col: path: error|warning|info: message (hint)\":\n"
        "no profile (Unconfined), explicit Unconfined, privileged containers (seccomp\n"
        "is ignored), Localhost without localhostProfile, absolute or \"..\" paths, the\n"
        "deprecated alpha annotations, a Localhost profile missing on the node, and a\n"
        "Localhost profile that is invalid or denies what the container runtime needs\n"
        "after it has loaded the filter.  Localhost profiles are looked up only where\n"
        "--kubelet-root or --profiles-dir says.  FILE may be - for standard input.\n"
        "\n"
        "  --kubelet-root DIR   look for Localhost profiles in DIR/seccomp/ (the node's\n"
        "                       /var/lib/kubelet)\n"
        "  --profiles-dir DIR   look for Localhost profiles in DIR/ (e.g. a checkout)\n"
        "  --seccomp-default    the kubelet runs with --seccomp-default: a container\n"
        "                       without a profile gets RuntimeDefault, not Unconfined\n"
        "  --runtime RT         the node's runtime, runc (default) or crun: whose needs\n"
        "                       a Localhost profile must allow\n"
        "  --arch A             the nodes' architecture (default: this machine's), e.g.\n"
        "                       arm64: what Localhost profiles are compiled for\n"
        "  --json               print the containers and findings as JSON on stdout\n"
        "  -q, --quiet          print errors only\n"
        "  -h, --help           show this help\n"
        "\n"
        "exit status: 0 no errors, 1 errors found, 2 usage error\n";

/* --- lint --------------------------------------------------------------------------------- */

static const char *plural(size_t n, const char *one, const char *many)
{
        return n == 1 ? one : many;
}

static void lint_json_findings(sf_buf *json, const sf_k8s_lint_result *res)
{
        for (size_t i = 0; i < res->n_findings; i++) {
                const sf_k8s_finding *f = &res->findings[i];
                sf_buf_puts(json, i == 0 ? "{\"severity\":" : ",{\"severity\":");
                cli_json_str(json, sf_k8s_sev_name(f->sev));
                sf_buf_puts(json, ",\"id\":");
                cli_json_str(json, f->id);
                sf_buf_puts(json, ",\"file\":");
                cli_json_str(json, f->file);
                sf_buf_puts(json, ",\"path\":");
                cli_json_str(json, f->path);
                sf_buf_printf(json, ",\"line\":%u,\"column\":%u,\"message\":", f->line, f->col);
                cli_json_str(json, f->msg);
                if (f->hint) {
                        sf_buf_puts(json, ",\"hint\":");
                        cli_json_str(json, f->hint);
                }
                sf_buf_puts(json, "}");
        }
}

static void lint_json_containers(sf_buf *b, const sf_k8s_lint_result *res)
{
        for (size_t i = 0; i < res->n_containers; i++) {
                const sf_k8s_lint_container *c = &res->containers[i];
                sf_buf_puts(b, i == 0 ? "{" : ",{");
                sf_buf_puts(b, "\"kind\":");
                cli_json_str(b, c->kind);
                sf_buf_puts(b, ",\"name\":");
                cli_json_str(b, c->name);
                sf_buf_puts(b, ",\"list\":");
                cli_json_str(b, c->list);
                sf_buf_puts(b, ",\"container\":");
                cli_json_str(b, c->container);
                sf_buf_printf(b, ",\"line\":%u,\"column\":%u,\"type\":", c->line, c->col);
                cli_json_str(b, c->type);
                if (c->lp) {
                        sf_buf_puts(b, ",\"localhostProfile\":");
                        cli_json_str(b, c->lp);
                }
                sf_buf_puts(b, ",\"source\":");
                cli_json_str(b, c->source);
                sf_buf_printf(b, ",\"privileged\":%s}", c->privileged ? "true" : "false");
        }
}

static void lint_print(const sf_k8s_lint_result *res, bool quiet)
{
        /* Each file's containers, its findings, its summary, in that order
         * on a terminal or in one stream (2>&1). */
        for (size_t i = 0; !quiet && i < res->n_containers; i++) {
                const sf_k8s_lint_container *c = &res->containers[i];
                printf("%s:%u:%u: %s/%s: %s \"%s\": %s%s%s%s (%s)\n", res->file, c->line, c->col, c->kind, c->name,
                       strcmp(c->list, "containers") == 0       ? "container"
                       : strcmp(c->list, "initContainers") == 0 ? "init container"
                                                                : "ephemeral container",
                       c->container, c->type, c->lp ? " \"" : "", c->lp ? c->lp : "", c->lp ? "\"" : "", c->source);
        }
        fflush(stdout);
        for (size_t i = 0; i < res->n_findings; i++) {
                const sf_k8s_finding *f = &res->findings[i];
                if (quiet && f->sev != SF_K8S_ERROR)
                        continue;
                fputs(f->file, stderr);
                if (f->line)
                        fprintf(stderr, ":%u:%u", f->line, f->col);
                fputs(": ", stderr);
                if (*f->path)
                        fprintf(stderr, "%s: ", f->path);
                fprintf(stderr, "%s: %s", sf_k8s_sev_name(f->sev), f->msg);
                if (f->hint)
                        fprintf(stderr, " (%s)", f->hint);
                fputc('\n', stderr);
        }
        if (!quiet) {
                size_t e = res->errors, w = res->warnings, inf = res->infos;
                printf("%s: %zu container%s, %zu error%s, %zu warning%s, %zu info%s\n", res->file, res->n_containers,
                       plural(res->n_containers, "", "s"), e, plural(e, "", "s"), w, plural(w, "", "s"), inf,
                       plural(inf, "", "s"));
                fflush(stdout);
        }
}

int k8s_lint(int argc, char **argv)
{
        static const struct option opts[] = {
                { "kubelet-root", required_argument, NULL, 'k' },
                { "profiles-dir", required_argument, NULL, 'p' },
                { "seccomp-default", no_argument, NULL, 'd' },
                { "runtime", required_argument, NULL, 'r' },
                { "arch", required_argument, NULL, 'a' },
                { "json", no_argument, NULL, 'j' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        sf_k8s_lint_opts lo = { .runtime = "runc", .arch = sf_arch_native() };
        bool json = false, quiet = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
                switch (c) {
                case 'k': lo.kubelet_root = optarg; break;
                case 'p': lo.profiles_dir = optarg; break;
                case 'd': lo.seccomp_default = true; break;
                case 'r':
                        if (!sf_record_base(optarg))
                                return cli_usage_error("k8s lint", "--runtime: \"%s\" is not runc or crun", optarg);
                        lo.runtime = optarg;
                        break;
                case 'a':
                        if (cli_parse_arch("k8s lint", optarg, &lo.arch))
                                return EXIT_USAGE;
                        break;
                case 'j': json = true; break;
                case 'q': quiet = true; break;
                case 'h': fputs(lint_usage, stdout); return EXIT_OK;
                default: return cli_usage_error("k8s lint", "invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage_error("k8s lint", "no manifest given");
        const char *dirs[2] = { lo.kubelet_root, lo.profiles_dir };
        for (int i = 0; i < 2; i++) {
                struct stat st;
                if (dirs[i] && (stat(dirs[i], &st) < 0 || !S_ISDIR(st.st_mode)))
                        return cli_usage_error("k8s lint", "%s: \"%s\" is not a directory",
                                               i ? "--profiles-dir" : "--kubelet-root", dirs[i]);
        }
        sf_k8s_linter *l = NULL;
        if (sf_k8s_linter_new(&lo, &l) < 0) {
                cli_error("k8s lint", "out of memory");
                return EXIT_INVALID;
        }
        sf_buf json_b = { 0 };
        bool oom = false;
        if (json)
                sf_buf_puts(&json_b, "{\"files\":[");
        for (int i = optind; i < argc && !oom; i++) {
                sf_k8s_lint_result res;
                if (sf_k8s_lint_file(l, argv[i], &res) < 0) {
                        oom = true;
                        break;
                }
                if (json) {
                        sf_buf_puts(&json_b, i == optind ? "{\"file\":" : ",{\"file\":");
                        cli_json_str(&json_b, res.file);
                        sf_buf_printf(&json_b, ",\"documents\":%zu,\"containers\":[", res.documents);
                        lint_json_containers(&json_b, &res);
                        sf_buf_printf(&json_b, "],\"errors\":%zu,\"warnings\":%zu,\"infos\":%zu,\"findings\":[",
                                      res.errors, res.warnings, res.infos);
                        lint_json_findings(&json_b, &res);
                        sf_buf_puts(&json_b, "]}");
                } else {
                        lint_print(&res, quiet);
                }
        }
        size_t errors, warnings, infos, unchecked;
        sf_k8s_linter_totals(l, &errors, &warnings, &infos, &unchecked);
        if (unchecked && !json && !oom)
                fprintf(stderr,
                        "sysfence k8s lint: note: %zu Localhost profile%s not looked up (give --kubelet-root DIR or "
                        "--profiles-dir DIR to check that %s and %s valid)\n",
                        unchecked, plural(unchecked, " was", "s were"), plural(unchecked, "it exists", "they exist"),
                        plural(unchecked, "is", "are"));
        int status = errors ? EXIT_INVALID : EXIT_OK;
        if (json && !oom) {
                sf_buf_printf(&json_b, "],\"errors\":%zu,\"warnings\":%zu,\"infos\":%zu,\"localhost_unchecked\":%zu}\n",
                              errors, warnings, infos, unchecked);
                if (!json_b.oom)
                        fputs(json_b.s, stdout);
        }
        if (json_b.oom || oom) {
                cli_error("k8s lint", "out of memory");
                status = EXIT_INVALID;
        }
        sf_buf_release(&json_b);
        sf_k8s_linter_free(l);
        if (fflush(stdout) != 0)
                return EXIT_INVALID;
        return status;
}

