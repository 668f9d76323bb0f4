/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence run: a command under a profile, loaded as a container runtime loads
 * it: compiled in the parent, installed in the child as the very last step
 * before execve, with no_new_privs.  Any failure before the exec is fatal: the
 * command never runs unconfined. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "sysfence/bpf.h"
#include "sysfence/run.h"

extern char **environ;

static const char usage[] =
        "usage: sysfence run (--profile FILE | --default[=RUNTIME] | --bpf FILE) [--arch LIST]\n"
        "                    [--caps LIST] [--kernel X.Y] [--log] [--tsync] [--quiet] [--] CMD [ARG...]\n"
        "\n"
        "Run CMD under a seccomp profile exactly as a container runtime would load it:\n"
        "compiled here, installed in the child with no_new_privs as the last step before\n"
        "execve.  If the profile cannot be read, compiled or loaded, CMD does not run\n"
        "and the exit status is 1.  Otherwise the exit status is CMD's; a command killed\n"
        "by seccomp is reported with the syscall that killed it (as root, from the audit\n"
        "netlink stream), and exits 128+31.  As root, the calls the profile denied with\n"
        "SCMP_ACT_ERRNO are named too, in one line (the filter gets\n"
        "SECCOMP_FILTER_FLAG_LOG for that; its decisions do not change): those of CMD's\n"
        "process, and of its children while they are still there when their record is read.\n"
        "Without root they are named by a seccomp user-notification listener instead: the\n"
        "filter returns SECCOMP_RET_USER_NOTIF where it would return ERRNO and run answers\n"
        "each call with the errno the profile gives (decisions do not change, CMD's whole\n"
        "tree is heard; CMD cannot then install a listener of its own).  --quiet, --tsync\n"
        "or a run already under a seccomp filter turn the listener off.\n"
        "\n"
        "  --profile FILE     a profile in any format check reads\n"
        "  --default[=RT]     the runtime default built in: containerd (default), docker, podman\n"
        "  --bpf FILE         a raw program, as compile writes it\n"
        "  --arch LIST        arches the filter serves (default: this machine's plus the\n"
        "                     profile's sub-arches)\n"
        "  --caps LIST        capabilities for includes/excludes (default: default)\n"
        "  --kernel X.Y       kernel version for minKernel (default: this machine's)\n"
        "  --log              add SECCOMP_FILTER_FLAG_LOG: log every action but ALLOW\n"
        "  --tsync            add SECCOMP_FILTER_FLAG_TSYNC\n"
        "  -q, --quiet        no warnings, no report of how CMD ended\n"
        "  -h, --help         show this help\n"
        "\n"
        "exit status: CMD's; 1 if the profile could not be loaded; 126 if CMD could not be\n"
        "executed (e.g. the profile denies execve); 127 if CMD was not found; 2 usage error\n"
        "\n"
        "examples:\n"
        "  sysfence run --default -- ls /\n"
        "  sysfence run --profile violation.json -- true\n";

static pid_t child_pid;

static void forward(int sig)
{
        if (child_pid > 0)
                kill(child_pid, sig);
}

/* Terminal signals reach the child through the process group; others are
 * passed on.  Set (signals blocked) as soon as the child is there. */
typedef struct signals {
        bool set;
        struct sigaction old_int, old_quit;
} signals;

static void on_child(void *ctx, pid_t pid)
{
        signals *sg = ctx;
        struct sigaction ign = { .sa_handler = SIG_IGN }, fwd = { .sa_handler = forward };
        child_pid = pid;
        sigaction(SIGINT, &ign, &sg->old_int);
        sigaction(SIGQUIT, &ign, &sg->old_quit);
        sigaction(SIGTERM, &fwd, NULL);
        sigaction(SIGHUP, &fwd, NULL);
        sg->set = true;
}

/* "mkdir (amd64) x2, ..." on one line. */
static void print_denials(const sf_run_result *res)
{
        sf_buf b = { 0 };
        for (size_t i = 0; i < res->n_denied; i++) {
                const sf_run_denial *d = &res->denied[i];
                sf_buf_printf(&b, "%s", i ? ", " : "");
                if (d->name)
                        sf_buf_puts(&b, d->name);
                else
                        sf_buf_printf(&b, "syscall %ld", d->nr);
                sf_buf_printf(&b, " (%s)", d->arch ? sf_arch_short_name(d->arch) : "unknown arch");
                if (d->count > 1)
                        sf_buf_printf(&b, " x%lu", d->count);
        }
        if (res->more)
                sf_buf_printf(&b, ", and %lu more", res->more);
        if (!b.oom)
                cli_error("run", "denied by the profile (SCMP_ACT_ERRNO): %s", b.s);
        sf_buf_release(&b);
}

static unsigned kernel_flags(unsigned profile_flags)
{
        unsigned f = 0;
        if (profile_flags & SF_FLAG_TSYNC)
                f |= SECCOMP_FILTER_FLAG_TSYNC;
        if (profile_flags & SF_FLAG_LOG)
                f |= SECCOMP_FILTER_FLAG_LOG;
        if (profile_flags & SF_FLAG_SPEC_ALLOW)
                f |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
#ifdef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
        if (profile_flags & SF_FLAG_WAIT_KILLABLE_RECV)
                f |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
#endif
        return f;
}

int cmd_run(int argc, char **argv)
{
        static const struct option opts[] = {
                { "profile", required_argument, NULL, 'p' }, { "default", optional_argument, NULL, 'D' },
                { "bpf", required_argument, NULL, 'b' },     { "arch", required_argument, NULL, 'a' },
                { "caps", required_argument, NULL, 'c' },    { "kernel", required_argument, NULL, 'k' },
                { "log", no_argument, NULL, 'L' },           { "tsync", no_argument, NULL, 'T' },
                { "quiet", no_argument, NULL, 'q' },         { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        sf_compile_opts co = { 0 };
        sf_target_default(&co.target);
        sf_arch arches[SF_ARCH__COUNT];
        const char *profile = NULL, *bpf = NULL, *runtime = NULL;
        bool quiet = false;
        unsigned extra_flags = 0;
        int c, r;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
                if ((r = cli_compile_opts("run", c, optarg, &co, arches)) >= 0) {
                        if (r)
                                return r;
                        continue;
                }
                switch (c) {
                case 'p': profile = optarg; break;
                case 'D': runtime = optarg ? optarg : SF_BUILTIN_DEFAULT; break;
                case 'b': bpf = optarg; break;
                case 'L': extra_flags |= SF_FLAG_LOG; break;
                case 'T': extra_flags |= SF_FLAG_TSYNC; break;
                case 'q': quiet = true; break;
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error("run", "invalid option");
                }
        }
        if (!!profile + !!bpf + !!runtime != 1)
                return cli_usage_error("run", "give exactly one of --profile FILE, --default or --bpf FILE");
        if (optind >= argc)
                return cli_usage_error("run", "no command given (sysfence run --profile P -- CMD [ARG...])");
        char **cmd = argv + optind;

        /* Everything that can fail happens here, before the fork. */
        sf_profile *p = NULL;
        sf_prog *prog = NULL;
        _cleanup_free_ char *raw = NULL;
        struct sock_fprog fprog = { 0 };
        unsigned flags = extra_flags;
        if (bpf) {
                size_t len;
                sf_error *err = NULL;
                if (sf_read_file(bpf, SF_BPF_MAX_INSNS * sizeof(struct sock_filter), &raw, &len, &err) < 0)
                        return cli_fail("run", &err);
                if (len % sizeof(struct sock_filter) != 0 || len == 0) {
                        cli_error("run", "%s: %zu bytes is not a whole number of 8-byte instructions", bpf, len);
                        return EXIT_INVALID;
                }
                if (sf_bpf_validate((struct sock_filter *)raw, len / sizeof(struct sock_filter), &err) < 0) {
                        sf_error_wrap(&err, "%s", bpf);
                        return cli_fail("run", &err);
                }
                fprog.filter = (struct sock_filter *)raw;
                fprog.len = (unsigned short)(len / sizeof(struct sock_filter));
        } else {
                sf_load_opts lo = { 0 };
                sf_profile **v = NULL;
                size_t n = 0;
                sf_diags d = { 0 };
                sf_error *err = NULL;
                int lr;
                if (runtime) {
                        size_t len;
                        const char *text = sf_builtin_profile(runtime, &len);
                        if (!text)
                                return cli_usage_error("run", "no built-in profile for \"%s\" (containerd, containerd-2, docker or podman)",
                                                       runtime);
                        char name[64];
                        snprintf(name, sizeof(name), "builtin:%s.json", runtime);
                        lr = sf_profile_load_data(text, len, name, &lo, &v, &n, &d, &err);
                } else {
                        lr = sf_profile_load_file(profile, &lo, &v, &n, &d, &err);
                }
                if (lr == 0 && n != 1) {
                        cli_error("run", "%s holds %zu profiles; give one", profile, n);
                        lr = -EINVAL;
                }
                if (lr < 0) {
                        cli_print_diags(&d, false);
                        if (d.errors == 0 && err)
                                cli_error("run", "%s", sf_error_message(err));
                        sf_error_free(err);
                        sf_diags_release(&d);
                        sf_profiles_free(v, n);
                        return EXIT_INVALID;
                }
                sf_diags_release(&d);
                p = v[0];
                free(v);
                if (p->listener_path) {
                        cli_error("run", "%s: listenerPath needs a user-notification agent; run cannot serve one",
                                  p->file);
                        sf_profile_free(p);
                        return EXIT_INVALID;
                }
                r = sf_compile(p, &co, &prog, &d, &err);
                /* the built-in profiles name syscalls newer than libseccomp 2.5: not news */
                if (!quiet || r < 0)
                        cli_print_diags(&d, !quiet && !runtime);
                sf_diags_release(&d);
                if (r < 0) {
                        sf_profile_free(p);
                        return cli_fail("run", &err);
                }
                for (size_t i = 0; i < p->n_rules; i++)
                        if (p->rules[i].action.kind == SF_ACT_USER_NOTIF || p->default_action.kind == SF_ACT_USER_NOTIF) {
                                cli_error("run", "%s: SCMP_ACT_NOTIFY needs a user-notification agent; run cannot serve one",
                                          p->file);
                                sf_prog_free(prog);
                                sf_profile_free(p);
                                return EXIT_INVALID;
                        }
                flags |= p->flags;
                fprog.filter = prog->insns;
                fprog.len = (unsigned short)prog->len;
        }
        int status = EXIT_INVALID;
        _cleanup_free_ char *path = sf_find_exec(cmd[0]);
        if (!path) {
                cli_error("run", "%s: command not found", cmd[0]);
                status = 127;
                goto out;
        }

        signals sg = { 0 };
        sf_run_opts ro = { .path = path, .argv = cmd, .envp = environ, .prog = &fprog, .flags = kernel_flags(flags),
                           .name = !quiet, .on_child = on_child, .ctx = &sg };
        sf_run_result res;
        sf_error *rerr = NULL;
        r = sf_run(&ro, &res, &rerr);
        if (sg.set) {
                sigaction(SIGINT, &sg.old_int, NULL);
                sigaction(SIGQUIT, &sg.old_quit, NULL);
        }
        if (r < 0) {
                status = cli_fail("run", &rerr);
                goto out;
        }
        if (res.listener_err)
                cli_error("run", "the notify listener failed: %s; from then on the calls the profile denies got ENOSYS",
                          strerror(res.listener_err));
        if (res.stage != SF_RUN_RAN) {
                if (res.stage == SF_RUN_NO_NEW_PRIVS)
                        cli_error("run", "cannot set no_new_privs: %s; %s did not run", strerror(res.err), cmd[0]);
                else if (res.stage == SF_RUN_LOAD)
                        cli_error("run", "cannot load the filter: %s; %s did not run", strerror(res.err), cmd[0]);
                else if (res.err == EPERM || res.err == EACCES)
                        cli_error("run", "cannot execute %s: %s (the profile does not allow execve)", path,
                                  strerror(res.err));
                else
                        cli_error("run", "cannot execute %s: %s", path, strerror(res.err));
                status = res.stage == SF_RUN_EXEC ? 126 : EXIT_INVALID;
                goto out;
        }
        if (WIFEXITED(res.status)) {
                status = WEXITSTATUS(res.status);
        } else if (WIFSIGNALED(res.status)) {
                int sig = WTERMSIG(res.status);
                status = 128 + sig;
                if (sig == SIGSYS && !quiet) {
                        if (res.kill_known)
                                cli_error("run", "%s killed by seccomp: %s (%s)", cmd[0],
                                          res.kill_name ? res.kill_name : "unknown syscall",
                                          res.kill_arch ? sf_arch_short_name(res.kill_arch) : "unknown arch");
                        else
                                cli_error("run",
                                          "%s killed by SIGSYS: a seccomp kill or trap (run as root to learn the syscall, or see 'sysfence audit')",
                                          cmd[0]);
                } else if (!quiet) {
                        cli_error("run", "%s killed by signal %d (%s)", cmd[0], sig, strsignal(sig));
                }
        }
        if (!quiet && res.n_denied)
                print_denials(&res);
out:
        sf_prog_free(prog);
        sf_profile_free(p);
        return status;
}
