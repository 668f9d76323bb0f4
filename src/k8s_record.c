/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence k8s record: options, then the library's recorder (lib/k8s/record.c):
 * install the audit profile, record the pod's containers until it ends or a
 * signal, write one profile per container and print how pods name each. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "k8s.h"
#include "sysfence/k8s.h"

static const char record_usage[] =
        "usage: sysfence k8s record (--pod NAMESPACE/NAME | --selector KEY=VALUE[,...]) -o DIR\n"
        "                           [--container NAME] [--format docker|crd] [--name NAME]\n"
        "                           [--base auto|none|runc|crun] [--inline-base] [--complain]\n"
        "                           [--default-action errno|kill|log] [--timeout SECONDS]\n"
        "                           [--kubelet-root DIR] [--state-dir DIR] [--crio-storage DIR] [--live] [-q]\n"
        "\n"
        "Record a pod's containers on this node (root), from their start, and write one\n"
        "profile per container.  It installs the audit profile\n"
        "ROOT/seccomp/" SF_K8S_DEFAULT_SUBDIR "/" SF_K8S_RECORD_PROFILE " ({\"defaultAction\": \"SCMP_ACT_LOG\"}, atomically);\n"
        "run the pod with localhostProfile: " SF_K8S_DEFAULT_SUBDIR "/" SF_K8S_RECORD_PROFILE ".  Every record of it\n"
        "is read from the audit netlink group (lossless, unlike the kernel log's 10\n"
        "per 5 s), named by its pod and container (pid, cgroup, the container's OCI\n"
        "annotations), and counted for that container.  When the pod has ended (its\n"
        "sandbox gone, or all its containers exited), or at SIGINT or SIGTERM, each\n"
        "container's profile is written atomically to DIR/NAME-CONTAINER.json (.yaml with\n"
        "--format crd), and the localhostProfile that names it is printed.  The runtime's\n"
        "own calls (its init's, before the workload's execve) are left out and its\n"
        "measured base set is added instead.  Replicas (--selector) are merged per\n"
        "container name: the same profile whatever order the pods are seen in.\n"
        "\n"
        "  --pod NS/NAME        the pod to record (it may start after this command)\n"
        "  --selector K=V,...   every pod whose labels hold these: CRI-O's sandbox labels,\n"
        "                       or on containerd (which keeps labels in its database) the\n"
        "                       pod annotations it copies into the sandbox's OCI config\n"
        "                       (its runtime's pod_annotations setting names them)\n"
        "  --container NAME     only this container\n"
        "  -o, --output DIR     where the profiles go (must exist and be writable: checked\n"
        "                       before recording starts)\n"
        "  --format FMT         docker (default): Docker JSON, for k8s install; crd: a\n"
        "                       SeccompProfile of the Security Profiles Operator named\n"
        "                       NAME-CONTAINER\n"
        "  --name NAME          the profiles' name prefix (default: the pod's name, or the\n"
        "                       selector's first value)\n"
        "  --base RT            auto (default): the base set of the runtime whose init was\n"
        "                       seen (runc, else crun; runc when neither was); none; runc;\n"
        "                       crun.  A SeccompProfile names it in spec.baseProfileName\n"
        "  --inline-base        with --format crd: the base's syscalls in the profile instead\n"
        "  --complain           defaultAction SCMP_ACT_LOG: everything runs, what the\n"
        "                       recording missed is logged (same as --default-action log)\n"
        "  --default-action ACT errno (default: EPERM), kill (SCMP_ACT_KILL_PROCESS) or log\n"
        "  --timeout SECONDS    how long the pod may take to appear (default 60)\n"
        "  --live               (--pod) record its running containers from now on instead,\n"
        "                       with the eBPF recorder on each one's pid namespace: no\n"
        "                       profile installed, nothing restarted; it cannot have seen\n"
        "                       the calls made before it started, nor calls a filter the\n"
        "                       container runs under already refuses (sys_enter comes\n"
        "                       after seccomp)\n"
        "  --kubelet-root DIR   the kubelet's root (default " SF_K8S_DEFAULT_ROOT ")\n"
        "  --state-dir DIR      containerd's state dir (default /run/containerd)\n"
        "  --crio-storage DIR   CRI-O's run storage (default /run/containers/storage)\n"
        "  -q, --quiet          print only the localhostProfile lines and errors\n"
        "  -h, --help           show this help\n"
        "\n"
        "exit status: 0 written, 1 no pod, no records, not root or a failure (nothing\n"
        "written), 2 usage error\n"
        "\n"
        "example:\n"
        "  sysfence k8s record --pod default/web -o profiles/ &\n"
        "  kubectl apply -f web.yaml   # seccompProfile: {type: Localhost, localhostProfile: "
        SF_K8S_DEFAULT_SUBDIR "/" SF_K8S_RECORD_PROFILE "}\n"
        "  sysfence k8s install profiles/web-*.json\n";

static const char cmd[] = "k8s record";

static void record_log(void *ctx, int level, const char *msg)
{
        (void)level;
        if (!*(const bool *)ctx)
                cli_error(cmd, "%s", msg);
}

/* The options, checked; the exit status to leave with, or -1 to go on. */
typedef struct rec_args {
        sf_k8s_record_opts o;
        sf_synth_opts so;
        const char *out, *name;
        bool inline_base, quiet;
        char *pod_ns; /* --pod's namespace, cut from its value */
} rec_args;

static int parse(int argc, char **argv, rec_args *a)
{
        static const struct option opts[] = {
                { "pod", required_argument, NULL, 'p' },          { "selector", required_argument, NULL, 'l' },
                { "container", required_argument, NULL, 'c' },    { "output", required_argument, NULL, 'o' },
                { "format", required_argument, NULL, 'f' },       { "name", required_argument, NULL, 'n' },
                { "base", required_argument, NULL, 'b' },         { "inline-base", no_argument, NULL, 'I' },
                { "complain", no_argument, NULL, 'C' },           { "default-action", required_argument, NULL, 'd' },
                { "timeout", required_argument, NULL, 't' },      { "kubelet-root", required_argument, NULL, 'R' },
                { "state-dir", required_argument, NULL, 's' },    { "crio-storage", required_argument, NULL, 'S' },
                { "quiet", no_argument, NULL, 'q' },              { "help", no_argument, NULL, 'h' },
                { "live", no_argument, NULL, 'L' },
                { 0 },
        };
        const char *pod = NULL, *action = NULL;
        bool complain = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
                switch (c) {
                case 'p': pod = optarg; break;
                case 'l': a->o.selector = optarg; break;
                case 'c': a->o.container = optarg; break;
                case 'o': a->out = optarg; break;
                case 'n': a->name = optarg; break;
                case 'I': a->inline_base = true; break;
                case 'C': complain = true; break;
                case 'd': action = optarg; break;
                case 'R': a->o.kubelet_root = optarg; break;
                case 's': a->o.inv.containerd_state = optarg; break;
                case 'S': a->o.inv.crio_storage = optarg; break;
                case 'q': a->quiet = true; break;
                case 'L': a->o.live = true; break;
                case 'f':
                        if (strcmp(optarg, "docker") == 0)
                                a->so.format = SF_FORMAT_DOCKER;
                        else if (strcmp(optarg, "crd") == 0)
                                a->so.format = SF_FORMAT_CRD;
                        else
                                return cli_usage_error(cmd, "--format: \"%s\" is not docker or crd", optarg);
                        break;
                case 'b':
                        if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "none") != 0 && !sf_record_base(optarg))
                                return cli_usage_error(cmd, "--base: \"%s\" is not auto, none, runc or crun", optarg);
                        a->so.base = optarg;
                        break;
                case 't': {
                        uint64_t v;
                        if (sf_parse_u64(optarg, 10, &v) < 0 || v == 0 || v > 86400)
                                return cli_usage_error(cmd, "--timeout: \"%s\" is not a number of seconds (1 to 86400)",
                                                       optarg);
                        a->o.wait_ms = (unsigned)v * 1000;
                        break;
                }
                case 'h': fputs(record_usage, stdout); return EXIT_OK;
                default: return cli_usage_error(cmd, "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
        if (!pod == !a->o.selector)
                return cli_usage_error(cmd, "give --pod NAMESPACE/NAME or --selector KEY=VALUE, one of them");
        if (pod) {
                const char *slash = strchr(pod, '/');
                if (!slash || !(a->pod_ns = strndup(pod, (size_t)(slash - pod))))
                        return cli_usage_error(cmd, "--pod \"%s\": give NAMESPACE/NAME", pod);
                a->o.pod_ns = a->pod_ns;
                a->o.pod = slash + 1;
                if (!sf_k8s_dns_label(a->o.pod_ns) || !*a->o.pod || strlen(a->o.pod) > 253 || strchr(a->o.pod, '/'))
                        return cli_usage_error(cmd, "--pod \"%s\": not a namespace and a pod name", pod);
        }
        if (a->o.container && !sf_k8s_dns_label(a->o.container))
                return cli_usage_error(cmd, "--container \"%s\": not a container name", a->o.container);
        if (!a->out)
                return cli_usage_error(cmd, "give -o DIR: the directory the profiles go to");
        if (a->o.kubelet_root && !*a->o.kubelet_root)
                return cli_usage_error(cmd, "--kubelet-root is empty");
        if (complain && action && strcmp(action, "log") != 0)
                return cli_usage_error(cmd, "--complain is --default-action log; not with --default-action %s", action);
        if (complain || (action && strcmp(action, "log") == 0))
                a->so.default_action = SF_ACT_LOG;
        else if (action && strcmp(action, "kill") == 0)
                a->so.default_action = SF_ACT_KILL_PROCESS;
        else if (action && strcmp(action, "errno") != 0)
                return cli_usage_error(cmd, "--default-action: \"%s\" is not errno, kill or log", action);
        if (a->o.live && a->o.selector)
                return cli_usage_error(cmd, "--live records one pod: give --pod, not --selector");
        if (a->inline_base && a->so.format != SF_FORMAT_CRD)
                return cli_usage_error(cmd, "--inline-base is for --format crd");
        return -1;
}

static void print_stats(const sf_k8s_recording *r)
{
        sf_k8s_record_stats st;
        sf_k8s_record_stats_get(r, &st);
        cli_error(cmd, "%ju records read: %ju of the workloads kept, %ju of the runtime's init left out, %ju of no known "
                       "pod's container; %ju named by a parent process",
                  (uintmax_t)st.records, (uintmax_t)st.kept, (uintmax_t)st.runtime, (uintmax_t)st.unnamed,
                  (uintmax_t)st.by_parent);
        if (st.lost)
                cli_error(cmd, "warning: the kernel dropped records %ju times (a socket overflowed): the profiles may "
                               "miss calls",
                          (uintmax_t)st.lost);
}

int k8s_record(int argc, char **argv)
{
        rec_args a = {
                .o = { .inv = { .containerd_state = "/run/containerd", .crio_storage = "/run/containers/storage" } },
                .so = { .default_action = SF_ACT_ERRNO, .default_errno = EPERM, .format = SF_FORMAT_DOCKER, .base = "auto" },
        };
        int status = parse(argc, argv, &a);
        if (status >= 0) {
                free(a.pod_ns);
                return status;
        }
        status = EXIT_INVALID;
        sf_error *err = NULL;
        sf_k8s_recording *r = NULL;
        sf_k8s_recorded *v = NULL;
        size_t n = 0;
        int sfd = -1;
        if (geteuid() != 0) {
                cli_error(cmd, "needs root: it installs a profile under the kubelet's dir and reads the audit netlink "
                               "group (CAP_AUDIT_READ)");
                goto out;
        }
        /* checked now, not after the pod ran: a recording lost to a bad path cannot always be repeated */
        if (sf_k8s_record_dir_check(a.out, &err) < 0) {
                cli_error(cmd, "-o %s", sf_error_message(err));
                sf_error_free(err);
                goto out;
        }
        /* Signals arrive as reads between records: one that comes while the
         * profile is installed still ends the recording cleanly. */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0) {
                cli_error(cmd, "signalfd: %s", strerror(errno));
                goto out;
        }
        a.o.log = record_log;
        a.o.log_ctx = &a.quiet;
        _cleanup_free_ char *installed = NULL;
        if (sf_k8s_record_new(&a.o, &r, &installed, &err) < 0) {
                cli_fail(cmd, &err);
                goto out;
        }
        if (!a.quiet && installed)
                cli_error(cmd, "installed %s; run the pod with localhostProfile: " SF_K8S_DEFAULT_SUBDIR
                               "/" SF_K8S_RECORD_PROFILE "; recording until it ends or ^C",
                          installed);
        else if (!a.quiet)
                cli_error(cmd, "live: recording pod %s/%s from now on until its containers end or ^C; note: the "
                               "calls made before now, and those a filter it runs under refuses, cannot be seen",
                          a.o.pod_ns, a.o.pod);
        int rr = sf_k8s_record_run(r, sfd, &err);
        if (rr < 0) {
                cli_fail(cmd, &err);
                goto out;
        }
        if (!a.quiet)
                print_stats(r);
        sf_diags d = { 0 };
        int pr = sf_k8s_record_profiles(r, a.name, &a.so, a.inline_base, &v, &n, &d, &err);
        cli_print_diags(&d, !a.quiet);
        sf_diags_release(&d);
        if (pr < 0 || sf_k8s_record_write(a.out, v, n, &err) < 0) {
                cli_fail(cmd, &err);
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                printf("%s: localhostProfile: %s\n", v[i].container, v[i].localhost_profile);
                if (!a.quiet)
                        cli_error(cmd, "%s/%s: container %s, %ju calls, %zu syscalls, base %s", a.out, v[i].file,
                                  v[i].container, (uintmax_t)v[i].calls, v[i].syscalls,
                                  v[i].runtime ? v[i].runtime : "none");
        }
        status = fflush(stdout) == 0 ? EXIT_OK : EXIT_INVALID;
out:
        sf_k8s_recorded_release(v, n);
        sf_k8s_record_free(r);
        if (sfd >= 0)
                close(sfd);
        free(a.pod_ns);
        return status;
}
