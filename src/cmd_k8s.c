/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence k8s: the Kubernetes subcommands.  Each parses its options, calls
 * the library's node side (include/sysfence/k8s.h) and prints what it returns. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>

#include "cli.h"
#include "k8s.h"
#include "sysfence/artifact.h"
#include "sysfence/k8s.h"

#ifndef SYSFENCE_VERSION
#define SYSFENCE_VERSION "unknown"
#endif

#define DEFAULT_ROOT SF_K8S_DEFAULT_ROOT
#define DEFAULT_SUBDIR SF_K8S_DEFAULT_SUBDIR
#define DEFAULT_NAMESPACE "sysfence"
#define DEFAULT_IMAGE "localhost/sysfence:" SYSFENCE_VERSION

static const char install_usage[] =
        "usage: sysfence k8s install PROFILE... [--kubelet-root DIR] [--subdir NAME] [--bases DIR]\n"
        "                            [--arch LIST] [--caps LIST] [--kernel X.Y] [--strict] [--as-given]\n"
        "                            [--allow-registry HOST[:PORT]] [--plain-http-registry HOST[:PORT]]\n"
        "                            [--registry-auth FILE] [--json]\n"
        "       sysfence k8s install oci://HOST[:PORT]/REPO@sha256:DIGEST [OPTIONS]\n"
        "       sysfence k8s install - --name NAME.json [OPTIONS]   (the profile on standard input)\n"
        "\n"
        "Validate and compile each profile for this node, then write it atomically to\n"
        "DIR/seccomp/NAME/BASENAME and print the localhostProfile that names it\n"
        "(NAME/BASENAME).  If any profile is invalid, nothing is installed.  A profile\n"
        "that is not already runtime JSON (SeccompProfile YAML, an OCI config.json) is\n"
        "installed as Docker JSON, the form the kubelet's runtime reads.  One with\n"
        "archMap or includes/excludes is installed resolved for this node (its arch,\n"
        "kernel and --caps): containerd ignores them and would apply every rule; the\n"
        "rules left out are named.  A SeccompProfile's baseProfileName is resolved as\n"
        "the Security Profiles Operator does: another object of the same file, a\n"
        "SeccompProfile of --bases DIR, or a runtime base (runc-v1.1.5, crun-v1.8.1).\n"
        "oci://REF@sha256:DIGEST is a profile pulled from a registry (digest-pinned\n"
        "only), verified and checked as a KEP-6061 runtime would, installed as\n"
        "REPO's last name .json (or --name).\n"
        "\n"
        "  --kubelet-root DIR  the kubelet's root (default " DEFAULT_ROOT ")\n"
        "  --subdir NAME       the directory under DIR/seccomp (default " DEFAULT_SUBDIR ")\n"
        "  --as-given          keep archMap and includes/excludes (a runtime that evaluates\n"
        "                      them itself: CRI-O)\n"
        "  --bases DIR         SeccompProfile files (*.yaml, *.yml, *.json) a baseProfileName\n"
        "                      may name\n"
        "  --allow-registry HOST[:PORT]  pull oci:// profiles only from these (repeatable;\n"
        "                      default: any)\n"
        "  --plain-http-registry HOST[:PORT]  ... and from this one over plain http\n"
        "                      (repeatable)\n"
        "  --registry-auth FILE  registry credentials (a docker or podman auth file;\n"
        "                      default $REGISTRY_AUTH_FILE, ~/.docker/config.json)\n"
        "  --name FILE         the installed file's name, for one profile (needed for -)\n"
        "  --arch LIST         arches to compile for (default: this node's)\n"
        "  --caps LIST         capabilities for includes/excludes (default: default)\n"
        "  --kernel X.Y        kernel version for minKernel (default: this node's)\n"
        "  --strict            unknown syscall names are errors\n"
        "  --json              print the result as JSON\n"
        "  -h, --help          show this help\n"
        "\n"
        "example:\n"
        "  sysfence k8s install nginx.json redis.json\n"
        "  # then in the pod spec: seccompProfile: {type: Localhost, localhostProfile: sysfence/nginx.json}\n";

static const char agent_usage[] =
        "usage: sysfence k8s agent --source DIR [--kubelet-root DIR] [--subdir NAME] [--once]\n"
        "                          [--arch LIST] [--caps LIST] [--kernel X.Y] [--strict] [--as-given]\n"
        "                          [--allow-registry HOST[:PORT]]... [--plain-http-registry HOST[:PORT]]...\n"
        "                          [--registry-auth FILE]\n"
        "\n"
        "The node agent (run by the DaemonSet): keep every key of a ConfigMap volume\n"
        "installed under ROOT/seccomp/NAME.  It follows the kubelet's updates (the\n"
        "..data symlink swapped to a new timestamped directory) with inotify, validates\n"
        "and compiles each profile for this node before it installs it, writes\n"
        "atomically, never replaces a good copy by an invalid profile, and removes only\n"
        "files it installed (listed in ROOT/seccomp/NAME/" SF_K8S_STATE_NAME " by sha256,\n"
        "device and inode).  ROOT/seccomp and NAME must not be symlinks, a key is read\n"
        "only as a regular file (never through a symlink), ..data only as a symlink to\n"
        "a ..name beside it; key names must be ConfigMap keys.  Files keep the source's\n"
        "mode, at most 0644.\n"
        "A key whose text is oci://HOST[:PORT]/REPO@sha256:DIGEST names a profile in a\n"
        "registry (KEP-6061's artifact): pinned by digest only (a tag alone is refused),\n"
        "from the registries --allow-registry or --plain-http-registry name only,\n"
        "pulled once per digest, verified, at most 1 MiB, checked as a KEP-6061\n"
        "runtime would and compiled like any key.  A pull that fails leaves the\n"
        "installed copy and is tried again later.\n"
        "One line on stderr per event: installed, updated, removed, rejected, pulled,\n"
        "kept (an oci:// key's file as the agent installed it before a restart), failed.\n"
        "\n"
        "  --source DIR        the ConfigMap volume (or a plain directory)\n"
        "  --kubelet-root DIR  the kubelet's root (default " DEFAULT_ROOT ")\n"
        "  --subdir NAME       the directory under ROOT/seccomp (default " DEFAULT_SUBDIR ")\n"
        "  --once              sync once and exit: 0 if every profile is installed\n"
        "  --arch, --caps, --kernel, --strict  as for compile\n"
        "  --as-given          as for install: archMap and includes/excludes kept (CRI-O)\n"
        "  --allow-registry HOST[:PORT]  a registry oci:// keys may name (repeatable;\n"
        "                      none: every oci:// key is refused)\n"
        "  --plain-http-registry HOST[:PORT]  a registry oci:// keys may name, spoken to\n"
        "                      over plain http (repeatable; a registry on the node's network)\n"
        "  --registry-auth FILE  registry credentials (a docker or podman auth file);\n"
        "                      none else, never the environment's\n"
        "  -h, --help          show this help\n"
        "\n"
        "SIGTERM or SIGINT: exit 0.  SIGHUP: check every profile again.\n";

static const char status_usage[] =
        "usage: sysfence k8s status --source DIR [--kubelet-root DIR] [--subdir NAME] [--json]\n"
        "                           [--arch LIST] [--caps LIST] [--kernel X.Y] [--strict]\n"
        "\n"
        "Exit 0 only when every profile in the source is installed and current (the\n"
        "installed file is what the agent installs for it); else exit 1 and list what\n"
        "is missing, stale, rejected or failed (an oci:// key the agent could not pull;\n"
        "such keys are never pulled here: the agent's record says what it installed for\n"
        "them, and each is shown with its reference and digest).  The DaemonSet's\n"
        "readiness probe.\n"
        "\n"
        "  --source DIR        the ConfigMap volume (or a plain directory)\n"
        "  --kubelet-root DIR  the kubelet's root (default " DEFAULT_ROOT ")\n"
        "  --subdir NAME       the directory under ROOT/seccomp (default " DEFAULT_SUBDIR ")\n"
        "  --json              print the result as JSON\n"
        "  --arch, --caps, --kernel, --strict  as for compile (the agent's options)\n"
        "  --as-given          as the agent was given\n"
        "  -h, --help          show this help\n";

static const char manifests_usage[] =
        "usage: sysfence k8s manifests [--namespace N] [--image I] [--from DIR]\n"
        "\n"
        "Print, as multi-document YAML, what runs the node agent on every node: a\n"
        "Namespace, a ConfigMap with the profiles, and a DaemonSet that keeps them\n"
        "installed under /var/lib/kubelet/seccomp/" DEFAULT_SUBDIR "/ (so pods name them\n"
        "\"localhostProfile: " DEFAULT_SUBDIR "/FILE\") and is ready only when the node holds\n"
        "every one.  The output is deterministic: keep it in git, apply it with\n"
        "'kubectl apply -f -'.\n"
        "\n"
        "  --namespace N   the namespace (default " DEFAULT_NAMESPACE ")\n"
        "  --image I       the agent's image (default " DEFAULT_IMAGE ",\n"
        "                  which deploy/build-image builds; its --save FILE writes it for\n"
        "                  nodes without a registry: load it on each with\n"
        "                  'ctr -n k8s.io images import FILE' (kind: 'kind load\n"
        "                  image-archive FILE'); with one, push it and give\n"
        "                  --image REGISTRY/sysfence:TAG)\n"
        "  --from DIR      put DIR/*.json and DIR/*.yaml (the SeccompProfiles that\n"
        "                  record --format crd writes) in the ConfigMap, each validated and compiled\n"
        "                  first (default: an empty ConfigMap, to fill later)\n"
        "  -h, --help      show this help\n"
        "\n"
        "exit status: 0 printed, 1 a profile is invalid, 2 usage error\n";

static const char patch_usage[] =
        "usage: sysfence k8s pod-patch PROFILE [--subdir DIR] [--container NAME] [--template] [--json]\n"
        "\n"
        "Validate PROFILE, then print the patch that makes a pod run under it once the\n"
        "agent has installed it, as localhostProfile DIR/<file name of PROFILE>: at the\n"
        "pod level (spec.securityContext), or with --container at that container's\n"
        "(which overrides the pod's).  'kubectl patch --type strategic' applies it.\n"
        "\n"
        "  --subdir DIR      the agent's --subdir (default " DEFAULT_SUBDIR ")\n"
        "  --container NAME  bind it to one container\n"
        "  --template        for a workload (Deployment, DaemonSet, …): under spec.template\n"
        "  --json            JSON instead of YAML\n"
        "  -h, --help        show this help\n"
        "\n"
        "exit status: 0 printed, 1 the profile is invalid, 2 usage error\n";

typedef struct node_opts {
        const char *cmd;
        sf_k8s_node_opts node;
        const char *source;
        const char *name; /* install: the file name of a profile read from stdin */
        sf_arch arches[SF_ARCH__COUNT];
        bool json, once;
        const char *registries[32], *plain_http[32];
} node_opts;

/* HOST[:PORT] as a reference names a registry: the library's grammar, asked
 * with a repository appended. */
static bool registry_ok(const char *s)
{
        sf_buf b = { 0 };
        sf_buf_printf(&b, "%s/r", s);
        sf_artifact_ref ref = { 0 };
        sf_error *err = NULL;
        bool ok = !b.oom && !strchr(s, '/') && !strchr(s, '@') && sf_artifact_ref_parse(b.s, &ref, &err) == 0 &&
                  !ref.layout && ref.registry && strcmp(ref.registry, s) == 0;
        sf_artifact_ref_release(&ref);
        sf_error_free(err);
        sf_buf_release(&b);
        return ok;
}

/* Parses the options the three commands share: -1 and the index of the first
 * operand in *ret_first, or the exit status to leave with (--help, usage errors). */
static int parse_opts(int argc, char **argv, node_opts *o, const char *usage, bool source, bool once, int *ret_first)
{
        static const struct option opts[] = {
                { "kubelet-root", required_argument, NULL, 'R' }, { "subdir", required_argument, NULL, 'S' },
                { "source", required_argument, NULL, 'D' },       { "once", no_argument, NULL, 'O' },
                { "json", no_argument, NULL, 'j' },               { "arch", required_argument, NULL, 'a' },
                { "caps", required_argument, NULL, 'c' },         { "kernel", required_argument, NULL, 'k' },
                { "strict", no_argument, NULL, 's' },             { "help", no_argument, NULL, 'h' },
                { "name", required_argument, NULL, 'N' },         { "as-given", no_argument, NULL, 'G' },
                { "bases", required_argument, NULL, 'B' },        { "allow-registry", required_argument, NULL, 'r' },
                { "plain-http-registry", required_argument, NULL, 'H' },
                { "registry-auth", required_argument, NULL, 'U' },
                { 0 },
        };
        o->node.root = DEFAULT_ROOT;
        o->node.subdir = DEFAULT_SUBDIR;
        sf_target_default(&o->node.co.target);
        int c, r;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                if ((r = cli_compile_opts(o->cmd, c, optarg, &o->node.co, o->arches)) >= 0) {
                        if (r)
                                return r;
                        continue;
                }
                switch (c) {
                case 'R': o->node.root = optarg; break;
                case 'S': o->node.subdir = optarg; break;
                case 'D':
                        if (!source)
                                return cli_usage_error(o->cmd, "--source is for agent and status");
                        o->source = optarg;
                        break;
                case 'O':
                        if (!once)
                                return cli_usage_error(o->cmd, "--once is for agent");
                        o->once = true;
                        break;
                case 'j':
                        if (once)
                                return cli_usage_error(o->cmd, "--json is for install and status");
                        o->json = true;
                        break;
                case 's': o->node.co.strict = true; break;
                case 'G': o->node.as_given = true; break;
                case 'N':
                        if (source || once)
                                return cli_usage_error(o->cmd, "--name is for install");
                        o->name = optarg;
                        break;
                case 'B':
                        if (source || once)
                                return cli_usage_error(o->cmd, "--bases is for install (the agent's bases are keys "
                                                               "of its source)");
                        o->node.bases_dir = optarg;
                        break;
                case 'r':
                case 'H': {
                        bool plain = c == 'H';
                        const char *opt = plain ? "--plain-http-registry" : "--allow-registry";
                        if (source && !once)
                                return cli_usage_error(o->cmd, "%s is for agent and install (status never pulls)", opt);
                        if (!registry_ok(optarg))
                                return cli_usage_error(o->cmd, "%s \"%s\": give HOST[:PORT], as a reference names it",
                                                       opt, optarg);
                        size_t *n = plain ? &o->node.n_plain_http : &o->node.n_registries;
                        const char **v = plain ? o->plain_http : o->registries;
                        if (*n >= ARRAY_SIZE(o->registries))
                                return cli_usage_error(o->cmd, "%s: at most %zu", opt, ARRAY_SIZE(o->registries));
                        v[(*n)++] = optarg;
                        break;
                }
                case 'U':
                        if (source && !once)
                                return cli_usage_error(o->cmd, "--registry-auth is for agent and install (status "
                                                               "never pulls)");
                        o->node.registry_auth = optarg;
                        break;
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error(o->cmd, "invalid option");
                }
        }
        o->node.registries = o->registries;
        o->node.plain_http = o->plain_http;
        if (!sf_k8s_name_ok(o->node.subdir))
                return cli_usage_error(o->cmd, "--subdir \"%s\": give one directory name, not a path", o->node.subdir);
        if (!o->node.root[0])
                return cli_usage_error(o->cmd, "--kubelet-root is empty");
        if (source && !o->source)
                return cli_usage_error(o->cmd, "no --source given (the ConfigMap volume)");
        if (source && optind < argc)
                return cli_usage_error(o->cmd, "unexpected argument \"%s\"", argv[optind]);
        *ret_first = optind;
        return -1;
}

/* Prints findings the library returned, in order: a finding about a file as
 * cli_print_diags does, a message of its own as cli_error. */
static void print_notes(const char *cmd, const sf_diags *d)
{
        for (size_t i = 0; i < d->n; i++) {
                const sf_diag *g = &d->v[i];
                if (strcmp(g->id, SF_K8S_MESSAGE) == 0) {
                        cli_error(cmd, "%s", g->msg);
                        continue;
                }
                sf_diags one = { .v = (sf_diag *)g, .n = 1, .errors = g->severity == SF_SEV_ERROR,
                                 .warnings = g->severity == SF_SEV_WARNING };
                cli_print_diags(&one, true);
        }
        size_t shown = d->errors + d->warnings;
        if (shown > d->n)
                fprintf(stderr, "%s: %zu more findings not shown\n", cli_prog, shown - d->n);
}

/* --- install ----------------------------------------------------------------------- */

static void json_error(sf_buf *js, bool *first, const char *file, const char *msg)
{
        sf_buf_puts(js, *first ? "" : ",");
        *first = false;
        sf_buf_puts(js, "{\"severity\":\"error\",\"file\":");
        cli_json_str(js, file);
        sf_buf_puts(js, ",\"message\":");
        cli_json_str(js, msg);
        sf_buf_puts(js, "}");
}

static int k8s_install(int argc, char **argv)
{
        node_opts o = { .cmd = "k8s install" };
        int first, pr = parse_opts(argc, argv, &o, install_usage, false, false, &first);
        if (pr >= 0)
                return pr;
        if (first >= argc)
                return cli_usage_error(o.cmd, "no profile given");
        size_t n = (size_t)(argc - first);
        sf_k8s_install_item *items = calloc(n, sizeof(*items));
        char **names = calloc(n, sizeof(*names)); /* those made here */
        if (!items || !names) {
                free(items);
                free(names);
                cli_error(o.cmd, "out of memory");
                return EXIT_INVALID;
        }
        sf_buf js = { 0 };
        bool js_first = true;
        _cleanup_free_ char *dir = NULL;
        int status = EXIT_OK;
        for (size_t i = 0; i < n; i++) {
                sf_k8s_install_item *it = &items[i];
                it->file = argv[first + (int)i];
                const char *slash = strrchr(it->file, '/');
                it->name = slash ? slash + 1 : it->file;
                if (strncmp(it->file, SF_K8S_OCI_PREFIX, strlen(SF_K8S_OCI_PREFIX)) == 0) {
                        /* a pulled profile is named after its repository: .../profiles/nginx@sha256:... is nginx.json */
                        sf_artifact_ref ref = { 0 };
                        sf_error *perr = NULL;
                        if (sf_artifact_ref_parse(it->file + strlen(SF_K8S_OCI_PREFIX), &ref, &perr) == 0 && ref.repo) {
                                const char *last = strrchr(ref.repo, '/');
                                if (asprintf(&names[i], "%s.json", last ? last + 1 : ref.repo) < 0)
                                        names[i] = NULL;
                        }
                        sf_artifact_ref_release(&ref);
                        sf_error_free(perr);
                        /* a reference that does not parse is refused by the install, saying why */
                        it->name = names[i] ? names[i] : "oci-profile.json";
                }
                /* "-" is standard input, never a file named "-": its name comes from --name */
                if (strcmp(it->file, "-") == 0) {
                        if (!o.name) {
                                status = cli_usage_error(o.cmd, "a profile on standard input (-) needs --name "
                                                                "NAME.json: the installed file's name");
                                goto out;
                        }
                        it->name = o.name;
                } else if (o.name && n == 1) {
                        it->name = o.name;
                }
                if (o.name && n > 1) {
                        status = cli_usage_error(o.cmd, "--name names one profile; %zu given", n);
                        goto out;
                }
                if (!sf_k8s_name_ok(it->name)) {
                        status = cli_usage_error(o.cmd, "%s: the installed file is named after the profile's file, "
                                                        "and \"%s\" cannot name one (no dot-names)",
                                                 it->file, it->name);
                        goto out;
                }
                for (size_t j = 0; j < i; j++)
                        if (strcmp(items[j].name, it->name) == 0) {
                                status = cli_usage_error(o.cmd, "%s and %s would both be installed as \"%s\"",
                                                         items[j].file, it->file, it->name);
                                goto out;
                        }
        }
        /* Every profile is validated before anything is written: all or nothing. */
        size_t invalid = 0;
        sf_error *err = NULL;
        int r = sf_k8s_install(&o.node, items, n, &invalid, &dir, &err);
        if (r == -ENOMEM && !dir) {
                status = cli_fail(o.cmd, &err);
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                const sf_k8s_install_item *it = &items[i];
                if (o.json) {
                        cli_json_diags(&js, &it->diags, &js_first);
                        if (it->error)
                                json_error(&js, &js_first, it->file, it->error);
                } else {
                        cli_print_diags(&it->diags, true);
                        if (it->error)
                                cli_error(o.cmd, "%s", it->error);
                }
        }
        if (r == 1) {
                if (o.json)
                        printf("{\"installed\":[],\"findings\":[%s]}\n", js.s ? js.s : "");
                cli_error(o.cmd, "nothing installed: %zu of %zu profile%s invalid", invalid, n,
                          n == 1 ? " is" : "s are");
                status = EXIT_INVALID;
                goto out;
        }
        if (r < 0)
                status = cli_fail(o.cmd, &err);
        if (!dir)
                goto out;
        if (o.json) {
                sf_buf b = { 0 };
                sf_buf_puts(&b, "{\"installed\":[");
                for (size_t i = 0, k = 0; i < n; i++) {
                        if (!items[i].installed)
                                continue;
                        sf_buf_puts(&b, k++ ? ",{\"file\":" : "{\"file\":");
                        cli_json_str(&b, items[i].file);
                        sf_buf p = { 0 };
                        sf_buf_printf(&p, "%s/%s", dir, items[i].name);
                        sf_buf_puts(&b, ",\"path\":");
                        cli_json_str(&b, p.s);
                        sf_buf_truncate(&p, 0);
                        sf_buf_printf(&p, "%s/%s", o.node.subdir, items[i].name);
                        sf_buf_puts(&b, ",\"localhostProfile\":");
                        cli_json_str(&b, p.s);
                        sf_buf_release(&p);
                        sf_buf_printf(&b, ",\"sha256\":\"%s\"}", items[i].sha);
                }
                sf_buf_printf(&b, "],\"findings\":[%s]}\n", js.s ? js.s : "");
                if (b.s)
                        fputs(b.s, stdout);
                sf_buf_release(&b);
        } else {
                for (size_t i = 0; i < n; i++)
                        if (items[i].installed)
                                printf("%s/%s\n", o.node.subdir, items[i].name);
        }
out:
        sf_k8s_install_items_release(items, n);
        free(items);
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        sf_buf_release(&js);
        return status;
}

/* --- the agent ------------------------------------------------------------------------ */

static void agent_log(void *ctx, int level, const char *msg)
{
        (void)ctx;
        (void)level;
        /* one write per line, so that lines of concurrent writers never mix */
        sf_buf b = { 0 };
        sf_buf_printf(&b, "%s k8s agent: %s\n", cli_prog, msg);
        if (!b.oom)
                (void)!write(STDERR_FILENO, b.s, b.len);
        sf_buf_release(&b);
}

static void exit_on_signal(int sig)
{
        (void)sig;
        _exit(EXIT_OK);
}

static int k8s_agent(int argc, char **argv)
{
        node_opts o = { .cmd = "k8s agent" };
        int first, pr = parse_opts(argc, argv, &o, agent_usage, true, true, &first);
        if (pr >= 0)
                return pr;
        /* Until the signalfd takes over (or with --once), SIGTERM and SIGINT
         * still exit 0: whatever was written so far was written atomically. */
        struct sigaction sa = { .sa_handler = exit_on_signal };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sf_k8s_agent *a = NULL;
        sf_error *err = NULL;
        if (sf_k8s_agent_new(&o.node, o.source, agent_log, NULL, &a, &err) < 0)
                return cli_fail(o.cmd, &err);
        int status = EXIT_OK;
        if (o.once) {
                status = sf_k8s_agent_sync(a) == 0 ? EXIT_OK : EXIT_INVALID;
        } else {
                /* Signals arrive as reads, between syncs: a sync is never cut half-way. */
                sigset_t mask;
                sigemptyset(&mask);
                sigaddset(&mask, SIGTERM);
                sigaddset(&mask, SIGINT);
                sigaddset(&mask, SIGHUP);
                sigprocmask(SIG_BLOCK, &mask, NULL);
                int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
                if (sfd < 0) {
                        cli_error(o.cmd, "cannot set up inotify and signals: %s", strerror(errno));
                        status = EXIT_INVALID;
                } else {
                        if (sf_k8s_agent_run(a, sfd, &err) < 0)
                                status = cli_fail(o.cmd, &err);
                        close(sfd);
                }
        }
        sf_k8s_agent_free(a);
        return status;
}

/* --- status ------------------------------------------------------------------------------ */

static int k8s_status(int argc, char **argv)
{
        node_opts o = { .cmd = "k8s status" };
        int first, pr = parse_opts(argc, argv, &o, status_usage, true, false, &first);
        if (pr >= 0)
                return pr;
        sf_k8s_status st = { 0 };
        sf_error *err = NULL;
        if (sf_k8s_status_read(&o.node, o.source, &st, &err) < 0)
                return cli_fail(o.cmd, &err);
        if (st.warning)
                cli_error(o.cmd, "%s", st.warning);
        sf_buf js = { 0 };
        sf_buf txt = { 0 };
        for (size_t i = 0; i < st.n; i++) {
                const sf_k8s_status_entry *e = &st.v[i];
                const char *what = sf_k8s_state_name(e->state);
                /* an oci:// key is listed even when current: which artifact the node runs */
                if (e->state != SF_K8S_CURRENT || e->reference) {
                        sf_buf_printf(&txt, "%s %s", what, e->name);
                        if (e->reference && !e->error) /* an error names it already */
                                sf_buf_printf(&txt, " (oci://%s)", e->reference);
                        if (e->error)
                                sf_buf_printf(&txt, ": %s", e->error);
                        if ((e->state == SF_K8S_REJECTED || e->state == SF_K8S_FAILED) && e->installed[0])
                                sf_buf_puts(&txt, " (an older copy is installed)");
                        sf_buf_putc(&txt, '\n');
                }
                sf_buf_puts(&js, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
                cli_json_str(&js, e->name);
                sf_buf_printf(&js, ", \"status\": \"%s\"", what);
                if (e->reference) {
                        sf_buf_puts(&js, ", \"reference\": ");
                        cli_json_str(&js, e->reference);
                        sf_buf_puts(&js, ", \"digest\": ");
                        cli_json_str(&js, e->digest);
                }
                if (e->want[0])
                        sf_buf_printf(&js, ", \"sha256\": \"%s\"", e->want);
                if (e->installed[0])
                        sf_buf_printf(&js, ", \"installed_sha256\": \"%s\"", e->installed);
                if (e->error) {
                        sf_buf_puts(&js, ", \"error\": ");
                        cli_json_str(&js, e->error);
                }
                sf_buf_puts(&js, "}");
        }
        bool ready = st.current == st.n;
        if (o.json) {
                printf("{\n  \"ready\": %s,\n  \"source\": ", ready ? "true" : "false");
                sf_buf b = { 0 };
                cli_json_str(&b, o.source);
                sf_buf_puts(&b, ",\n  \"dir\": ");
                sf_buf p = { 0 };
                sf_buf_printf(&p, "%s/seccomp/%s", o.node.root, o.node.subdir);
                cli_json_str(&b, p.s);
                sf_buf_release(&p);
                printf("%s,\n  \"profiles\": [%s%s]\n}\n", b.s ? b.s : "", js.s ? js.s : "", st.n ? "\n  " : "");
                sf_buf_release(&b);
        } else {
                if (txt.s)
                        fputs(txt.s, stdout);
                printf("%s: %zu of %zu profile%s installed and current in %s/seccomp/%s\n",
                       ready ? "ready" : "not ready", st.current, st.n, st.n == 1 ? "" : "s", o.node.root,
                       o.node.subdir);
        }
        sf_buf_release(&js);
        sf_buf_release(&txt);
        sf_k8s_status_release(&st);
        return ready ? EXIT_OK : EXIT_INVALID;
}

/* --- manifests, pod-patch ------------------------------------------------------------------ */

static int k8s_manifests(int argc, char **argv)
{
        static const struct option opts[] = {
                { "namespace", required_argument, NULL, 'n' },
                { "image", required_argument, NULL, 'i' },
                { "from", required_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        const char *ns = DEFAULT_NAMESPACE, *image = DEFAULT_IMAGE, *from = NULL;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'n': ns = optarg; break;
                case 'i': image = optarg; break;
                case 'f': from = optarg; break;
                case 'h': fputs(manifests_usage, stdout); return EXIT_OK;
                default: return cli_usage_error("k8s manifests", "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error("k8s manifests", "unexpected argument \"%s\"", argv[optind]);
        if (!sf_k8s_dns_label(ns))
                return cli_usage_error("k8s manifests",
                                       "--namespace: \"%s\" is not a namespace name (lower-case letters, digits "
                                       "and -, at most 63)",
                                       ns);
        bool image_ok = *image && strlen(image) <= 512;
        for (const char *p = image; *p; p++)
                if ((unsigned char)*p <= ' ' || *p == 0x7f)
                        image_ok = false;
        if (!image_ok)
                return cli_usage_error("k8s manifests", "--image: \"%s\" is not an image reference", image);

        sf_diags d = { 0 };
        _cleanup_free_ char *yaml = NULL;
        int r = sf_k8s_manifests(ns, image, from, &yaml, &d);
        print_notes("k8s manifests", &d);
        sf_diags_release(&d);
        if (r < 0)
                cli_error("k8s manifests", "out of memory");
        if (r)
                return EXIT_INVALID;
        fputs(yaml, stdout);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_INVALID;
}

static int k8s_pod_patch(int argc, char **argv)
{
        static const struct option opts[] = {
                { "subdir", required_argument, NULL, 's' },
                { "container", required_argument, NULL, 'c' },
                { "template", no_argument, NULL, 't' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        const char *subdir = DEFAULT_SUBDIR, *container = NULL;
        bool json = false, tmpl = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 's': subdir = optarg; break;
                case 'c': container = optarg; break;
                case 't': tmpl = true; break;
                case 'j': json = true; break;
                case 'h': fputs(patch_usage, stdout); return EXIT_OK;
                default: return cli_usage_error("k8s pod-patch", "invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage_error("k8s pod-patch", "no profile given");
        if (optind + 1 < argc)
                return cli_usage_error("k8s pod-patch", "one profile at a time");
        if (*subdir && !sf_k8s_plain_subdir(subdir))
                return cli_usage_error("k8s pod-patch",
                                       "--subdir: \"%s\" is not a relative path without \".\" or \"..\"", subdir);
        if (container && (!*container || strlen(container) > 63))
                return cli_usage_error("k8s pod-patch", "--container: \"%s\" is not a container name", container);
        const char *file = argv[optind];
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        if (!sf_k8s_configmap_key(base))
                return cli_usage_error("k8s pod-patch",
                                       "\"%s\" cannot be a ConfigMap key, so the agent cannot install it under that "
                                       "name (letters, digits, -, _ and .)",
                                       base);
        sf_diags d = { 0 };
        int r = sf_k8s_profile_validate(file, NULL, &d);
        print_notes("k8s pod-patch", &d);
        sf_diags_release(&d);
        if (r)
                return EXIT_INVALID;
        _cleanup_free_ char *patch = NULL;
        if (sf_k8s_pod_patch(subdir, base, container, tmpl, json, &patch) < 0) {
                cli_error("k8s pod-patch", "out of memory");
                return EXIT_INVALID;
        }
        fputs(patch, stdout);
        return fflush(stdout) != 0 ? EXIT_INVALID : EXIT_OK;
}

/* --- the table ------------------------------------------------------------------------------ */

static const cli_command k8s_commands[] = {
        { "install", k8s_install, "validate, compile and install profiles under the kubelet's seccomp dir", NULL },
        { "agent", k8s_agent, "the node agent: keep a ConfigMap's profiles installed on this node", NULL },
        { "status", k8s_status, "exit 0 only when the agent has installed every profile (readiness)", NULL },
        { "manifests", k8s_manifests, "print the Namespace, ConfigMap and DaemonSet of the node agent", NULL },
        { "pod-patch", k8s_pod_patch, "print the securityContext that binds an installed profile", NULL },
        { "lint", k8s_lint, "check pod specs' seccomp settings against the node's profiles", NULL },
        { "ps", k8s_ps, "every container of this node and the filter it really runs under", NULL },
        { "record", k8s_record, "record a pod's containers from their start: one profile each", NULL },
};

static void print_help(FILE *f)
{
        fprintf(f,
                "usage: sysfence k8s COMMAND [ARGS]\n"
                "\n"
                "Ship profiles to every node of a cluster and bind them in pod specs.\n"
                "\n"
                "commands:\n");
        for (size_t i = 0; i < ARRAY_SIZE(k8s_commands); i++)
                fprintf(f, "  %-10s %s\n", k8s_commands[i].name, k8s_commands[i].summary);
        fprintf(f, "\n'sysfence k8s COMMAND --help' shows a command's options.\n");
}

int cmd_k8s(int argc, char **argv)
{
        if (argc < 2)
                return print_help(stderr), EXIT_USAGE;
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)
                return print_help(stdout), EXIT_OK;
        for (size_t i = 0; i < ARRAY_SIZE(k8s_commands); i++)
                if (strcmp(k8s_commands[i].name, argv[1]) == 0)
                        return k8s_commands[i].fn(argc - 1, argv + 1);
        return cli_usage_error("k8s", "unknown command \"%s\"", argv[1]);
}
