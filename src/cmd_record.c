/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence record: run a command (or attach to a process tree, or watch a pid
 * namespace) under the seccomp-notification, ptrace or eBPF recorder and write
 * the profile that allows what it did. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "sysfence/record.h"

static const char usage[] =
        "usage: sysfence record [-o OUT] [--format docker|oci|crd] [--name NAME]\n"
        "                       [--default-action errno|kill|log | --complain] [--base none|runc|crun]\n"
        "                       [--inline-base]\n"
        "                       [--args SYSCALL[:INDEX],...] [--hot FILE] [--pin none|tracer|same|CPU]\n"
        "                       [--backend notify|ptrace|ebpf] [-v] [-q] (-- CMD [ARG...] | --pid PID | --pidns PID)\n"
        "\n"
        "Run CMD traced and write the profile that allows the syscalls it made, on the\n"
        "arches it made them, and nothing else.  CMD needs no privilege: it runs under a\n"
        "filter that hands every syscall to the recorder (SECCOMP_RET_TRACE, or\n"
        "SECCOMP_RET_USER_NOTIF with --backend notify), installed just before its execve, so\n"
        "nothing from the execve on is missed; its threads, children and their execs are\n"
        "followed.  The profile is written when CMD ends, and every process it left has\n"
        "ended, whatever its exit status.  With --backend ebpf (root) nothing is stopped: a BPF\n"
        "program counts the calls of CMD's tree (or of a container's pid namespace,\n"
        "--pidns) in the kernel, from the same execve on.\n"
        "\n"
        "  -o, --output OUT       write the profile to OUT atomically (required; - for stdout,\n"
        "                         where the command's own output goes too)\n"
        "  --format FMT           docker (default): Docker/moby JSON; oci: the OCI\n"
        "                         linux.seccomp object; crd: a SeccompProfile (YAML)\n"
        "  --name NAME            the SeccompProfile's name (default: from OUT)\n"
        "  --default-action ACT   what the profile does with any other syscall: errno\n"
        "                         (default: fail with EPERM), kill (SCMP_ACT_KILL_PROCESS)\n"
        "                         or log (SCMP_ACT_LOG: allow and log)\n"
        "  --complain             complain mode: the recorded allowlist with defaultAction\n"
        "                         SCMP_ACT_LOG, so a run under it is never denied and logs\n"
        "                         what the recording missed ('sysfence audit --to-profile\n"
        "                         --merge' adds it, 'sysfence convert --enforce' then denies)\n"
        "  --base RT              add the syscalls container runtime RT (runc, crun) makes\n"
        "                         after loading the filter, before the workload's execve;\n"
        "                         a SeccompProfile (--format crd) names them instead, in\n"
        "                         spec.baseProfileName: runc-v1.1.5 or crun-v1.8.1 (the\n"
        "                         versions the sets were measured on)\n"
        "  --inline-base          with --format crd: write the base's syscalls in the\n"
        "                         profile instead of naming the base\n"
        "  --args LIST            for these syscalls, allow only the argument values seen:\n"
        "                         socket, socketpair (family), personality, clone, unshare\n"
        "                         (namespace flags), setns (type), ioctl (request), prctl\n"
        "                         (option), fcntl (command), arch_prctl; or NAME:INDEX\n"
        "  --hot FILE             also write how often each syscall was made (lines \"NAME\n"
        "                         COUNT\", most frequent first), for 'compile --hot'\n"
        "  --pid PID              record a running process and its descendants instead:\n"
        "                         traced with PTRACE_SYSCALL (slower: no filter can be added\n"
        "                         to another process) until ^C or until it ends; it is then\n"
        "                         let go and goes on running (ebpf: its tree is counted\n"
        "                         from then on, nothing is stopped)\n"
        "  --pin WHERE            same (default): the recorder and CMD on the CPU the\n"
        "                         recorder starts on, several times less overhead (CMD is\n"
        "                         still told by sched_getaffinity of the CPUs it would\n"
        "                         have had, so nproc and thread pools come out the same);\n"
        "                         none: leave it to the scheduler; tracer: only the\n"
        "                         recorder; or a CPU number: both on it (not with ebpf)\n"
        "  --backend B            ptrace (the default: a ptrace stop per call), notify\n"
        "                         (Linux 5.6: each call waits while the recorder reads it\n"
        "                         from the filter's listener; cheaper, but a signal that\n"
        "                         comes meanwhile makes the call fail with EINTR where the\n"
        "                         handler lacks SA_RESTART, e.g. a shell's fork, and CMD's\n"
        "                         tree cannot load a filter with a listener of its own),\n"
        "                         both unprivileged; or\n"
        "                         ebpf (root: a BPF program on the sys_enter tracepoint\n"
        "                         counts the calls in the kernel; nothing is stopped)\n"
        "  --pidns PID            (ebpf) record every process in the pid namespace of PID\n"
        "                         (a container's), and in namespaces nested in it, until\n"
        "                         ^C or until PID ends; they go on running\n"
        "  -v, --verbose          show each syscall when it is first seen (the default when\n"
        "                         stderr is a terminal)\n"
        "  -q, --quiet            show nothing but errors\n"
        "      --json             the report (exit status, calls, syscalls per arch) as one JSON\n"
        "                         object, the last line of stdout, after the command's own;\n"
        "                         needs -o FILE\n"
        "  -h, --help             show this help\n"
        "\n"
        "^C (SIGINT), SIGTERM or SIGHUP: the signal is passed to CMD and recording goes on\n"
        "while it shuts down, so that its way out is in the profile too; a second signal,\n"
        "or 5 seconds, and the whole tree is killed.  The profile is written either way.\n"
        "\n"
        "exit status: CMD's (128+N when a signal N ended it; 0 after --pid or --pidns);\n"
        "1 if the recording or the profile failed (ebpf: also without root, or in a\n"
        "build without it); 126 if CMD could not be executed; 127 if CMD was not found;\n"
        "2 usage error\n"
        "\n"
        "examples:\n"
        "  sysfence record -o ls.json -- ls /\n"
        "  sysfence record --default-action kill --args socket -o web.json -- python3 -m http.server\n"
        "  sysfence record --backend ebpf -o app.json -- ./app\n"
        "  sysfence record --pidns \"$(podman inspect -f '{{.State.Pid}}' web)\" -o web.json\n"
        "  sysfence run --profile ls.json -- ls /\n";

static sf_recorder *the_recorder;
static sf_ebpf_recorder *the_ebpf;
static bool attached;
static volatile sig_atomic_t interrupted; /* the first signal */

static void on_signal(int sig, siginfo_t *si, void *uc)
{
        (void)uc;
        int errno_saved = errno;
        /* ^C from a terminal reached the whole process group, CMD too */
        int pass = si && si->si_code == SI_KERNEL && !attached ? 0 : sig;
        if (!interrupted)
                interrupted = sig;
        if (the_ebpf)
                sf_ebpf_recorder_interrupt(the_ebpf, pass);
        else
                sf_recorder_interrupt(the_recorder, pass);
        /* Wakes the recorder even if the signal came just before it began to
         * wait, and ends the grace period of a tree that does not stop. */
        alarm(5);
        errno = errno_saved;
}

static void on_alarm(int sig)
{
        (void)sig;
        int errno_saved = errno;
        if (interrupted && the_ebpf)
                sf_ebpf_recorder_interrupt(the_ebpf, SIGKILL);
        else if (interrupted)
                sf_recorder_interrupt(the_recorder, SIGKILL);
        errno = errno_saved;
}

static const char *native_short;

static void on_new(void *ctx, sf_arch arch, long nr, const char *name)
{
        (void)ctx;
        const char *a = arch != SF_ARCH_NONE ? sf_arch_short_name(arch) : "unknown arch";
        if (name && strcmp(a, native_short) == 0)
                fprintf(stderr, "%s record: new: %s\n", cli_prog, name);
        else if (name)
                fprintf(stderr, "%s record: new: %s (%s)\n", cli_prog, name, a);
        else
                fprintf(stderr, "%s record: new: syscall %ld (%s)\n", cli_prog, nr, a);
}

/* "socket,ioctl:1" → a NULL-terminated vector of malloc'd words (in *store). */
static int split_list(const char *s, char ***words, size_t *n)
{
        for (const char *p = s;;) {
                const char *e = strchrnul(p, ',');
                if (e > p) {
                        char **v = realloc(*words, (*n + 2) * sizeof(*v));
                        if (!v)
                                return -ENOMEM;
                        *words = v;
                        if (!(v[*n] = strndup(p, (size_t)(e - p))))
                                return -ENOMEM;
                        v[++*n] = NULL;
                }
                if (!*e)
                        return 0;
                p = e + 1;
        }
}

static void free_words(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

/* OUT atomically; "-", /dev/stdout, /dev/null and a FIFO (bash's >(...)) are
 * written into; any other device is refused (lib/util says why). */
static int write_out(const char *path, const char *text, sf_error **err)
{
        return sf_write_file_atomic_flags(path, text, strlen(text), 0644, SF_WRITE_INTO_FIFO, err);
}

/* Whether OUT can be written when the recording ends: "-", a device or FIFO,
 * or a path whose directory exists and takes new files (the atomic writer
 * puts a temporary beside it).  Prints why not. */
static bool writable(const char *opt, const char *path)
{
        if (strcmp(path, "-") == 0)
                return true;
        struct stat st;
        if (stat(path, &st) == 0) {
                if (S_ISDIR(st.st_mode)) {
                        cli_error("record", "%s %s: is a directory", opt, path);
                        return false;
                }
                if (!S_ISREG(st.st_mode)) {
                        /* what the writer takes in place (lib/util): anything else is refused now,
                         * before the command runs, not after */
                        if (S_ISFIFO(st.st_mode) || strcmp(path, "/dev/null") == 0 || strcmp(path, "/dev/stdout") == 0)
                                return true;
                        cli_error("record", "%s %s: not a regular file, a FIFO or /dev/null: it is not written", opt,
                                  path);
                        return false;
                }
        }
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
        if (!dir) {
                cli_error("record", "out of memory");
                return false;
        }
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                cli_error("record", "%s %s: the directory %s does not exist", opt, path, dir);
                return false;
        }
        if (access(dir, W_OK | X_OK) < 0) {
                cli_error("record", "%s %s: cannot write in %s: %s", opt, path, dir, strerror(errno));
                return false;
        }
        return true;
}

/* The profile's name: --name, else OUT without its directory and extension. */
static char *profile_name(const char *name, const char *out)
{
        if (name)
                return strdup(name);
        if (!out || strcmp(out, "-") == 0)
                return strdup("recorded");
        const char *base = strrchr(out, '/');
        return strdup(base ? base + 1 : out);
}

static int write_outputs(const sf_record *record, const sf_synth_opts *so, bool inline_base, const char *out,
                         const char *hot, bool quiet)
{
        sf_diags d = { 0 };
        sf_error *err = NULL;
        _cleanup_free_ char *text = NULL;
        sf_synth_opts o = *so;
        o.base_by_name = !inline_base;
        int r = sf_record_to_profile(record, &o, &text, &d, &err);
        if (!quiet || r < 0)
                cli_print_diags(&d, !quiet);
        sf_diags_release(&d);
        if (r < 0)
                return cli_fail("record", &err);
        if (write_out(out, text, &err) < 0)
                return cli_fail("record", &err);
        if (hot) {
                _cleanup_free_ char *h = NULL;
                if (sf_record_hot(record, &h, &err) < 0 || write_out(hot, h, &err) < 0)
                        return cli_fail("record", &err);
        }
        return 0;
}

/* --json: the report as the last line of standard output, after the command's own. */
static int json_summary(const sf_record *record, const char *out, int exit_status)
{
        sf_record_entry *e = NULL;
        size_t n = 0;
        sf_error *err = NULL;
        if (sf_record_entries(record, &e, &n, &err) < 0)
                return cli_fail("record", &err);
        size_t per_arch[SF_ARCH__COUNT] = { 0 };
        for (size_t i = 0; i < n; i++)
                per_arch[e[i].arch]++;
        free(e);
        sf_buf m = { 0 };
        sf_buf_printf(&m, "\"exit_status\":%d,\"calls\":%ju,\"syscalls\":{", exit_status,
                      (uintmax_t)sf_record_total(record));
        bool first = true;
        for (int a = SF_ARCH_NONE + 1; a < SF_ARCH__COUNT; a++)
                if (per_arch[a]) {
                        sf_buf_printf(&m, "%s\"%s\":%zu", first ? "" : ",", sf_arch_short_name((sf_arch)a), per_arch[a]);
                        first = false;
                }
        sf_buf_printf(&m, "},\"unknown_arches\":%zu", per_arch[SF_ARCH_NONE]);
        int r = m.oom ? EXIT_INVALID : cli_json_report(NULL, out, m.s, NULL);
        sf_buf_release(&m);
        return r;
}

static void summary(const sf_record *record, const char *out)
{
        sf_record_entry *e = NULL;
        size_t n = 0;
        if (sf_record_entries(record, &e, &n, NULL) < 0)
                return;
        size_t per_arch[SF_ARCH__COUNT] = { 0 };
        for (size_t i = 0; i < n; i++)
                per_arch[e[i].arch]++;
        free(e);
        sf_buf b = { 0 };
        for (int a = SF_ARCH_NONE + 1; a < SF_ARCH__COUNT; a++)
                if (per_arch[a])
                        sf_buf_printf(&b, "%s%zu on %s", b.len ? ", " : "", per_arch[a], sf_arch_short_name((sf_arch)a));
        if (per_arch[SF_ARCH_NONE])
                sf_buf_printf(&b, "%s%zu on unknown arches", b.len ? ", " : "", per_arch[SF_ARCH_NONE]);
        char *s = sf_buf_steal(&b);
        cli_error("record", "%ju calls; syscalls seen: %s; profile written to %s", (uintmax_t)sf_record_total(record),
                  s && *s ? s : "none", strcmp(out, "-") == 0 ? "stdout" : out);
        free(s);
}

static void free_recorders(void)
{
        sf_recorder_free(the_recorder);
        the_recorder = NULL;
        sf_ebpf_recorder_free(the_ebpf);
        the_ebpf = NULL;
}

static int parse_pin(const char *s, sf_record_opts *ro)
{
        uint64_t cpu;
        if (strcmp(s, "none") == 0)
                ro->pin = SF_RECORD_PIN_NONE;
        else if (strcmp(s, "tracer") == 0)
                ro->pin = SF_RECORD_PIN_TRACER;
        else if (strcmp(s, "same") == 0) {
                int c = sched_getcpu();
                ro->pin = c >= 0 ? SF_RECORD_PIN_ALL : SF_RECORD_PIN_NONE;
                ro->cpu = c >= 0 ? (unsigned)c : 0;
        } else if (sf_parse_u64(s, 10, &cpu) == 0 && cpu < 1024) {
                ro->pin = SF_RECORD_PIN_ALL;
                ro->cpu = (unsigned)cpu;
        } else
                return cli_usage_error("record", "--pin: \"%s\" is not none, tracer, same or a CPU number", s);
        return 0;
}

int cmd_record(int argc, char **argv)
{
        static const struct option opts[] = {
                { "output", required_argument, NULL, 'o' },         { "format", required_argument, NULL, 'f' },
                { "name", required_argument, NULL, 'n' },           { "default-action", required_argument, NULL, 'd' },
                { "base", required_argument, NULL, 'b' },           { "args", required_argument, NULL, 'a' },
                { "hot", required_argument, NULL, 'H' },            { "pid", required_argument, NULL, 'p' },
                { "pin", required_argument, NULL, 'P' },            { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, 'j' },
                { "backend", required_argument, NULL, 'B' },        { "pidns", required_argument, NULL, 'N' },
                { "inline-base", no_argument, NULL, 'I' },          { "complain", no_argument, NULL, 'C' },
                { 0 },
        };
        const char *out = NULL, *name = NULL, *hot = NULL, *pin = "same", *backend = NULL;
        sf_synth_opts so = { .default_action = SF_ACT_ERRNO, .default_errno = EPERM, .format = SF_FORMAT_DOCKER };
        char **args = NULL;
        size_t n_args = 0;
        pid_t pid = 0, pidns = 0;
        bool pin_given = false, complain = false, default_given = false;
        bool quiet = false, verbose = false, json = false, inline_base = false;
        int c, r;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+o:vqh", opts, NULL)) != -1) {
                switch (c) {
                case 'o': out = optarg; break;
                case 'n': name = optarg; break;
                case 'H': hot = optarg; break;
                case 'P': pin = optarg; pin_given = true; break;
                case 'B':
                        if (strcmp(optarg, "notify") != 0 && strcmp(optarg, "ptrace") != 0 &&
                            strcmp(optarg, "ebpf") != 0)
                                return free_words(args, n_args),
                                       cli_usage_error("record", "--backend: \"%s\" is not notify, ptrace or ebpf", optarg);
                        backend = optarg;
                        break;
                case 'v': verbose = true; break;
                case 'q': quiet = true; break;
                case 'j': json = true; break;
                case 'f':
                        if (strcmp(optarg, "docker") == 0)
                                so.format = SF_FORMAT_DOCKER;
                        else if (strcmp(optarg, "oci") == 0)
                                so.format = SF_FORMAT_OCI;
                        else if (strcmp(optarg, "crd") == 0)
                                so.format = SF_FORMAT_CRD;
                        else
                                return free_words(args, n_args),
                                       cli_usage_error("record", "--format: \"%s\" is not docker, oci or crd", optarg);
                        break;
                case 'd':
                        default_given = true;
                        if (strcmp(optarg, "errno") == 0)
                                so.default_action = SF_ACT_ERRNO;
                        else if (strcmp(optarg, "kill") == 0)
                                so.default_action = SF_ACT_KILL_PROCESS;
                        else if (strcmp(optarg, "log") == 0)
                                so.default_action = SF_ACT_LOG;
                        else
                                return free_words(args, n_args),
                                       cli_usage_error("record", "--default-action: \"%s\" is not errno, kill or log",
                                                       optarg);
                        break;
                case 'I': inline_base = true; break;
                case 'C':
                        complain = true;
                        so.default_action = sf_profile_mode_action(SF_MODE_COMPLAIN).kind;
                        break;
                case 'b':
                        if (strcmp(optarg, "none") != 0 && !sf_record_base(optarg))
                                return free_words(args, n_args),
                                       cli_usage_error("record", "--base: \"%s\" is not none, runc or crun", optarg);
                        so.base = optarg;
                        break;
                case 'a':
                        if (split_list(optarg, &args, &n_args) < 0) {
                                free_words(args, n_args);
                                cli_error("record", "out of memory");
                                return EXIT_INVALID;
                        }
                        break;
                case 'p': {
                        uint64_t v;
                        if (sf_parse_u64(optarg, 10, &v) < 0 || v == 0 || v > INT32_MAX)
                                return free_words(args, n_args),
                                       cli_usage_error("record", "--pid: \"%s\" is not a process id", optarg);
                        pid = (pid_t)v;
                        break;
                }
                case 'N': {
                        uint64_t v;
                        if (sf_parse_u64(optarg, 10, &v) < 0 || v == 0 || v > INT32_MAX)
                                return free_words(args, n_args),
                                       cli_usage_error("record", "--pidns: \"%s\" is not a process id", optarg);
                        pidns = (pid_t)v;
                        break;
                }
                case 'h':
                        free_words(args, n_args);
                        fputs(usage, stdout);
                        return EXIT_OK;
                default:
                        free_words(args, n_args);
                        return cli_usage_error("record", "invalid option");
                }
        }
        char **cmd = argv + optind;
        /* --pidns only exists with eBPF, and implies it */
        if (pidns && backend && strcmp(backend, "ebpf") != 0)
                return free_words(args, n_args), cli_usage_error("record", "--pidns needs --backend ebpf");
        if (pid && backend && strcmp(backend, "notify") == 0)
                return free_words(args, n_args),
                       cli_usage_error("record", "--pid: a running tree cannot be given a filter; use --backend ptrace or ebpf");
        bool ebpf = pidns || (backend && strcmp(backend, "ebpf") == 0);
        if (pidns && (pid || optind < argc))
                return free_words(args, n_args),
                       cli_usage_error("record", "give a command, --pid PID or --pidns PID, only one");
        if (ebpf && pin_given)
                return free_words(args, n_args),
                       cli_usage_error("record", "--pin is for the notify and ptrace backends (eBPF stops nothing)");
        if (pidns)
                pid = pidns;
        if (pid && optind < argc)
                return free_words(args, n_args), cli_usage_error("record", "give a command or --pid PID, not both");
        if (!pid && optind >= argc)
                return free_words(args, n_args),
                       cli_usage_error("record", "no command given (sysfence record -o OUT -- CMD [ARG...])");
        if (json && out && (r = cli_json_needs_file("record", out)) != 0)
                return free_words(args, n_args), r;
        if (complain && default_given)
                return free_words(args, n_args),
                       cli_usage_error("record", "--complain and --default-action: give one (--complain is log)");
        if (!out)
                return free_words(args, n_args),
                       cli_usage_error("record", "give -o OUT for the profile (-o - for standard output, which the "
                                                 "command writes to as well)");
        if (hot && strcmp(hot, "-") == 0 && strcmp(out, "-") == 0)
                return free_words(args, n_args), cli_usage_error("record", "the profile and --hot cannot both go to stdout");

        /* Known before the workload runs, not after: a recording lost to a bad path is
         * a run that cannot always be repeated. */
        if (!writable("-o", out) || (hot && !writable("--hot", hot)))
                return free_words(args, n_args), EXIT_INVALID;

        sf_record_opts ro = { .args = (const char *const *)args, .n_args = n_args };
        if (backend && strcmp(backend, "notify") == 0)
                ro.method = SF_RECORD_NOTIFY;
        else if (backend && strcmp(backend, "ptrace") == 0)
                ro.method = SF_RECORD_PTRACE;
        if ((r = parse_pin(pin, &ro)) != 0)
                return free_words(args, n_args), r;
        native_short = sf_arch_short_name(sf_arch_native());
        if (!quiet && (verbose || isatty(STDERR_FILENO)))
                ro.on_new = on_new;
        _cleanup_free_ char *pname = profile_name(name, out);
        so.name = pname;

        sf_error *err = NULL;
        if (ebpf) {
                /* --args mistakes are usage errors, whoever records */
                sf_record *check = NULL;
                r = sf_record_new(&ro, &check, &err);
                sf_record_free(check);
                if (r == 0 && !sf_ebpf_recorder_supported()) {
                        free_words(args, n_args);
                        cli_error("record", "--backend ebpf: this sysfence was built without the eBPF recorder (rebuild with libbpf, clang and bpftool: meson setup -Debpf=enabled)");
                        return EXIT_INVALID;
                }
                if (r == 0 && (r = sf_ebpf_recorder_new(&ro, &the_ebpf, &err)) < 0) {
                        free_words(args, n_args);
                        return cli_fail("record", &err);
                }
        } else {
                r = sf_recorder_new(&ro, &the_recorder, &err);
        }
        free_words(args, n_args);
        if (r < 0) {
                cli_error("record", "--args: %s", sf_error_message(err));
                sf_error_free(err);
                return EXIT_USAGE;
        }
        attached = pid != 0;
        struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO }; /* no SA_RESTART: wake the wait */
        struct sigaction al = { .sa_handler = on_alarm };
        struct sigaction old_int, old_term, old_hup, old_alrm;
        sigemptyset(&sa.sa_mask);
        sigaddset(&sa.sa_mask, SIGALRM);
        sigemptyset(&al.sa_mask);
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        sigaction(SIGHUP, &sa, &old_hup);
        sigaction(SIGALRM, &al, &old_alrm);

        int status = 0, wr = -1;
        if (the_ebpf) {
                r = pidns    ? sf_ebpf_recorder_pidns_of(the_ebpf, pidns, &err)
                    : attached ? sf_ebpf_recorder_attach(the_ebpf, pid, &err)
                               : sf_ebpf_recorder_spawn(the_ebpf, cmd, &err);
                /* the moment recording starts, for whoever drives a running workload */
                if (r == 0 && attached && !quiet)
                        cli_error("record", "recording %s %d until it ends or ^C", pidns ? "the pid namespace of process" : "process tree", (int)pid);
                if (r == 0)
                        wr = sf_ebpf_recorder_wait(the_ebpf, &status, &err);
        } else {
                r = attached ? sf_recorder_attach(the_recorder, pid, &err) : sf_recorder_spawn(the_recorder, cmd, &err);
                if (r == 0 && attached && !quiet)
                        cli_error("record", "recording process tree %d until it ends or ^C", (int)pid);
                if (r == 0)
                        wr = sf_recorder_wait(the_recorder, &status, &err);
        }
        alarm(0);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGHUP, &old_hup, NULL);
        sigaction(SIGALRM, &old_alrm, NULL);

        int exit_status = EXIT_INVALID;
        if (r < 0 || wr < 0) {
                /* the command did not run: no profile */
                int code = err ? err->code : EINVAL;
                cli_error("record", "%s%s%s", !attached && r == 0 ? cmd[0] : "", !attached && r == 0 ? ": " : "",
                          sf_error_message(err));
                sf_error_free(err);
                if (!attached)
                        exit_status = code == ENOENT ? 127 : r == 0 && code != ENOMEM ? 126 : EXIT_INVALID;
                if (code == EINTR && interrupted)
                        exit_status = 128 + interrupted; /* nothing started, nothing written */
                free_recorders();
                return exit_status;
        }
        if (wr == 1)
                exit_status = 0; /* detached, it runs on */
        else if (WIFEXITED(status))
                exit_status = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
                exit_status = 128 + WTERMSIG(status);
        const sf_record *record = the_ebpf ? sf_ebpf_recorder_record(the_ebpf) : sf_recorder_record(the_recorder);
        if (write_outputs(record, &so, inline_base, out, hot, quiet) != 0)
                exit_status = EXIT_INVALID;
        else if (json && json_summary(record, out, exit_status) != EXIT_OK)
                exit_status = EXIT_INVALID;
        else if (!quiet && !json)
                summary(record, out);
        free_recorders();
        return exit_status;
}
