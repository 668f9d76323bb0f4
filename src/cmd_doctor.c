/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence doctor: can this machine apply, log and ship seccomp profiles?
 * Each check prints one line: OK, WARN or FAIL, what was found, and the fix. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>

#include "cli.h"
#include "sysfence/record.h"

/* Older uapi headers lack the newer flags; the values are ABI. */
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static const char usage[] =
        "usage: sysfence doctor [--json] [--kubelet-root DIR]\n"
        "\n"
        "Check that this machine can apply, log and ship seccomp profiles: kernel\n"
        "support, the actions and filter flags it accepts, where seccomp audit records\n"
        "go, the kubelet's profile directory and the container runtimes found.  Each\n"
        "check prints OK, WARN or FAIL, what it found and, when not OK, the fix.\n"
        "Probes that install filters run in short-lived child processes.\n"
        "\n"
        "  --json              print {\"checks\":[{\"name\",\"status\",\"detail\",\"fix\"}...],\"ok\"}\n"
        "  --kubelet-root DIR  the kubelet's root directory (default /var/lib/kubelet)\n"
        "  -h, --help          show this help\n"
        "\n"
        "exit status: 0 no check failed (warnings allowed), 1 a check failed, 2 usage error\n";

#define CMD "doctor"
#define DEFAULT_KUBELET_ROOT "/var/lib/kubelet"
#define VERSION_TIMEOUT_MS 5000
#define ZCAT_TIMEOUT_MS 10000
#define MAX_CONFIG_SIZE (16u << 20)
#define MAX_DIR_DEPTH 16
#define MAX_VERSION_OUTPUT (64u << 10)

typedef enum { ST_OK, ST_WARN, ST_FAIL } status;
static const char *const status_names[] = { "OK", "WARN", "FAIL" };

typedef struct check {
        const char *name;
        status st;
        sf_buf detail;
        sf_buf fix;
} check;

/* A kernel config option: 0 unknown, 'y', 'm' or 'n'. */
typedef struct kconfig {
        const char *source; /* NULL when no config was readable */
        char seccomp, seccomp_filter, auditsyscall;
} kconfig;

typedef struct doctor {
        check checks[20];
        size_t n;
        kconfig cfg;
        char config_path[300]; /* /boot/config-RELEASE */
        char zcat_why[160];    /* why /proc/config.gz could not be read */
        int filter_err; /* what a plain test filter met: 0, an errno, or -1 */
        unsigned kmaj, kmin;
        const char *release;
        struct utsname uts;
        const char *kubelet_root;
} doctor;

static check *check_new(doctor *d, const char *name)
{
        /* The list of checks is fixed; the array holds all of them. */
        check *c = &d->checks[d->n++];
        c->name = name;
        return c;
}

/* Appends to what the check found, "; "-separated. */
__attribute__((format(printf, 2, 3))) static void found(check *c, const char *fmt, ...)
{
        va_list ap;
        if (c->detail.len)
                sf_buf_puts(&c->detail, "; ");
        va_start(ap, fmt);
        sf_buf_vprintf(&c->detail, fmt, ap);
        va_end(ap);
}

/* Raises the check's status to st and appends a fix (fmt may be NULL). */
__attribute__((format(printf, 3, 4))) static void problem(check *c, status st, const char *fmt, ...)
{
        va_list ap;
        if (st > c->st)
                c->st = st;
        if (!fmt)
                return;
        if (c->fix.len)
                sf_buf_puts(&c->fix, "; ");
        va_start(ap, fmt);
        sf_buf_vprintf(&c->fix, fmt, ap);
        va_end(ap);
}

/* --- small system helpers ---------------------------------------------------------- */

/* Reads a small text file into buf, without the trailing newline.  0 or -errno. */
static int read_small(const char *path, char *buf, size_t size)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        size_t len = 0;
        while (len + 1 < size) {
                ssize_t n = read(fd, buf + len, size - 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
                len--;
        buf[len] = 0;
        return 0;
}

/* The value of "KEY:\tvalue" in /proc/self/status, or -1 when absent. */
static long status_field(const char *key)
{
        char buf[8192];
        if (read_small("/proc/self/status", buf, sizeof(buf)) < 0)
                return -1;
        size_t klen = strlen(key);
        for (char *line = buf, *next; *line; line = next) {
                next = strchrnul(line, '\n');
                if (*next)
                        *next++ = 0;
                if (strncmp(line, key, klen) != 0 || line[klen] != ':')
                        continue;
                char *end = NULL;
                errno = 0;
                long v = strtol(line + klen + 1, &end, 10);
                if (errno || end == line + klen + 1)
                        return -1;
                return v;
        }
        return -1;
}

/* Whether the space-separated list holds word. */
static bool has_word(const char *list, const char *word)
{
        size_t n = strlen(word);
        for (const char *p = list; (p = strstr(p, word)); p += n)
                if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
                        return true;
        return false;
}

/* Finds an executable regular file named name in $PATH; writes its path to buf. */
static bool find_in_path(const char *name, char *buf, size_t size)
{
        const char *path = getenv("PATH");
        if (!path || !*path)
                path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
        for (const char *p = path;; p++) {
                const char *end = strchrnul(p, ':');
                int len = (int)(end - p);
                int n = len ? snprintf(buf, size, "%.*s/%s", len, p, name) : snprintf(buf, size, "./%s", name);
                struct stat st;
                if (n > 0 && (size_t)n < size && stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
                    access(buf, X_OK) == 0)
                        return true;
                if (!*end)
                        return false;
                p = end;
        }
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs argv (argv[0] a path) with stdin and stderr on /dev/null in its own process
 * group, and collects at most max bytes of its stdout within timeout_ms.  Returns
 * its exit status, -ETIMEDOUT (it was killed), -EFBIG (too much output, killed),
 * -ECHILD (a signal ended it) or another -errno when it could not be started. */
static int run_capture(char *const argv[], size_t max, int timeout_ms, sf_buf *out)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, p[1], 1);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        posix_spawnattr_init(&attr);
        /* Its own group, so that a timeout kills whatever it started too. */
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attr, 0);
        pid_t pid;
        int r = posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        close(p[1]);
        if (r != 0) {
                close(p[0]);
                return -r;
        }
        int res = 0;
        long long deadline = now_ms() + timeout_ms;
        for (;;) {
                long long left = deadline - now_ms();
                struct pollfd pfd = { .fd = p[0], .events = POLLIN };
                int k = left > 0 ? poll(&pfd, 1, (int)left) : 0;
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        res = -ETIMEDOUT;
                        break;
                }
                char tmp[4096];
                ssize_t n = read(p[0], tmp, sizeof(tmp));
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n <= 0)
                        break;
                if (out->len + (size_t)n > max) {
                        res = -EFBIG;
                        break;
                }
                sf_buf_add(out, tmp, (size_t)n);
        }
        close(p[0]);
        if (res < 0)
                kill(-pid, SIGKILL);
        int wst;
        while (waitpid(pid, &wst, 0) < 0)
                if (errno != EINTR)
                        return res < 0 ? res : -ECHILD;
        if (res < 0)
                return res;
        return WIFEXITED(wst) ? WEXITSTATUS(wst) : -ECHILD;
}

/* --- seccomp probes, each in a forked child ------------------------------------------ */

/* In the child: no_new_privs, then an allow-all filter with flags.  0 or errno. */
static int install_allow(unsigned long flags)
{
        struct sock_filter insn[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct sock_fprog prog = { .len = ARRAY_SIZE(insn), .filter = insn };
        /* Loading a filter needs no_new_privs (or CAP_SYS_ADMIN); set it to not depend on caps. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return errno;
        long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
        if (r < 0)
                return errno;
        if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
                /* The kernel returns the listener; it must be a real, close-on-exec fd. */
                int fl = fcntl((int)r, F_GETFD);
                if (fl < 0 || !(fl & FD_CLOEXEC))
                        return EBADF;
        }
        return 0;
}

/* Installs an allow-all filter with flags in a forked child, so this process stays
 * unconfined.  Returns 0, the errno the child met, or -1 (fork failed, or the child
 * died by a signal: e.g. an outer filter killed it). */
static int probe_filter(unsigned long flags)
{
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0)
                _exit(install_allow(flags) & 0xff);
        int wst;
        while (waitpid(pid, &wst, 0) < 0)
                if (errno != EINTR)
                        return -1;
        return WIFEXITED(wst) ? WEXITSTATUS(wst) : -1;
}

static const char *probe_error(int r)
{
        return r < 0 ? "the probe process died or could not start" : strerror(r);
}

/* --- kernel configuration ---------------------------------------------------------- */

static void config_line(kconfig *k, const char *line, size_t len)
{
        const struct {
                const char *name;
                char *slot;
        } keys[] = {
                { "SECCOMP", &k->seccomp },
                { "SECCOMP_FILTER", &k->seccomp_filter },
                { "AUDITSYSCALL", &k->auditsyscall },
        };
        const char *name;
        size_t nlen;
        char v;
        if (len > 7 && memcmp(line, "CONFIG_", 7) == 0) {
                const char *eq = memchr(line, '=', len);
                if (!eq || eq + 1 >= line + len)
                        return;
                name = line + 7;
                nlen = (size_t)(eq - name);
                v = eq[1] == 'y' || eq[1] == 'm' ? eq[1] : 'n';
        } else if (len > 9 && memcmp(line, "# CONFIG_", 9) == 0) {
                const char *sp = memchr(line + 9, ' ', len - 9);
                if (!sp)
                        return;
                name = line + 9;
                nlen = (size_t)(sp - name);
                v = 'n';
        } else {
                return;
        }
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                if (strlen(keys[i].name) == nlen && memcmp(keys[i].name, name, nlen) == 0)
                        *keys[i].slot = v;
}

static void config_parse(kconfig *k, const char *text, size_t len)
{
        for (const char *p = text, *end = text + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                config_line(k, p, n);
                p += n + 1;
        }
        /* Kconfig leaves out options whose dependencies are unmet: absent means off. */
        if (!k->seccomp)
                k->seccomp = 'n';
        if (!k->seccomp_filter)
                k->seccomp_filter = 'n';
        if (!k->auditsyscall)
                k->auditsyscall = 'n';
}

/* /boot/config-$(uname -r), else /proc/config.gz through zcat; else nothing. */
static void config_load(doctor *d)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        sf_error *err = NULL;
        snprintf(d->config_path, sizeof(d->config_path), "/boot/config-%s", d->release);
        if (sf_read_file(d->config_path, MAX_CONFIG_SIZE, &text, &len, &err) == 0) {
                config_parse(&d->cfg, text, len);
                d->cfg.source = d->config_path;
                return;
        }
        sf_error_free(err);

        if (access("/proc/config.gz", R_OK) < 0) {
                snprintf(d->zcat_why, sizeof(d->zcat_why), "no /proc/config.gz");
                return;
        }
        char zcat[PATH_MAX];
        if (!find_in_path("zcat", zcat, sizeof(zcat))) {
                snprintf(d->zcat_why, sizeof(d->zcat_why), "no zcat to read /proc/config.gz");
                return;
        }
        char *argv[] = { zcat, (char *)"/proc/config.gz", NULL };
        sf_buf out = { 0 };
        int r = run_capture(argv, MAX_CONFIG_SIZE, ZCAT_TIMEOUT_MS, &out);
        if (r == 0 && !out.oom && out.len) {
                config_parse(&d->cfg, out.s, out.len);
                d->cfg.source = "/proc/config.gz";
        } else if (r > 0) {
                snprintf(d->zcat_why, sizeof(d->zcat_why), "zcat /proc/config.gz exited with status %d", r);
        } else {
                snprintf(d->zcat_why, sizeof(d->zcat_why), "zcat /proc/config.gz failed (%s)",
                         r < 0 ? strerror(-r) : "no output");
        }
        sf_buf_release(&out);
}

static const char *config_value(char v)
{
        return v == 'y' ? "y" : v == 'm' ? "m" : "is not set";
}

/* --- the checks ------------------------------------------------------------------ */

static void check_seccomp(doctor *d)
{
        check *c = check_new(d, "seccomp");
        errno = 0;
        int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
        int perr = errno;
        if (d->cfg.source)
                found(c, "CONFIG_SECCOMP%s%s (%s)", d->cfg.seccomp == 'n' ? " " : "=",
                      config_value(d->cfg.seccomp), d->cfg.source);
        else
                found(c, "no kernel config (no %s; %s): inferred from behaviour", d->config_path, d->zcat_why);
        /* What the kernel does decides; the config file only explains it. */
        if (mode >= 0) {
                found(c, "prctl(PR_GET_SECCOMP) works");
                if (d->cfg.source && d->cfg.seccomp == 'n')
                        problem(c, ST_WARN, "%s does not describe the running kernel: fix or remove it",
                                d->cfg.source);
        } else {
                found(c, "prctl(PR_GET_SECCOMP) failed: %s", strerror(perr));
                problem(c, ST_FAIL, "boot a kernel built with CONFIG_SECCOMP=y: no runtime can apply a profile");
        }
}

static void check_filter(doctor *d)
{
        check *c = check_new(d, "seccomp filter");
        if (d->cfg.source)
                found(c, "CONFIG_SECCOMP_FILTER%s%s", d->cfg.seccomp_filter == 'n' ? " " : "=",
                      config_value(d->cfg.seccomp_filter));
        int r = d->filter_err = probe_filter(0);
        if (r == 0) {
                found(c, "a test filter loads");
                if (d->cfg.source && d->cfg.seccomp_filter == 'n')
                        problem(c, ST_WARN, "%s does not describe the running kernel: fix or remove it",
                                d->cfg.source);
        } else {
                found(c, "a test filter was refused: %s", probe_error(r));
                if (r == EINVAL || r == ENOSYS)
                        problem(c, ST_FAIL, "boot a kernel built with CONFIG_SECCOMP_FILTER=y");
                else
                        problem(c, ST_FAIL,
                                "if this runs in a container, its own seccomp profile or LSM must allow seccomp(2)");
        }
        /* Seccomp_filters appeared in Linux 5.9. */
        long mode = status_field("Seccomp"), nfilters = status_field("Seccomp_filters");
        if (mode < 0) {
                found(c, "this process: no Seccomp line in /proc/self/status");
                return;
        }
        found(c, "this process: Seccomp %ld", mode);
        if (nfilters >= 0)
                sf_buf_printf(&c->detail, ", Seccomp_filters %ld", nfilters);
        if (mode == 2)
                sf_buf_puts(&c->detail, " (already confined, e.g. in a container: new filters stack on top)");
}

static const struct action {
        const char *name;    /* as in actions_avail */
        const char *profile; /* as in a profile */
        uint32_t ret;
        const char *since;
} actions[] = {
        { "kill_process", "SCMP_ACT_KILL_PROCESS", SECCOMP_RET_KILL_PROCESS, "4.14" },
        { "kill_thread", "SCMP_ACT_KILL", SECCOMP_RET_KILL_THREAD, "3.5" },
        { "trap", "SCMP_ACT_TRAP", SECCOMP_RET_TRAP, "3.5" },
        { "errno", "SCMP_ACT_ERRNO", SECCOMP_RET_ERRNO, "3.5" },
        { "user_notif", "SCMP_ACT_NOTIFY", SECCOMP_RET_USER_NOTIF, "5.0" },
        { "trace", "SCMP_ACT_TRACE", SECCOMP_RET_TRACE, "3.5" },
        { "log", "SCMP_ACT_LOG", SECCOMP_RET_LOG, "4.14" },
        { "allow", "SCMP_ACT_ALLOW", SECCOMP_RET_ALLOW, "3.5" },
};

static void check_actions_avail(doctor *d)
{
        check *c = check_new(d, "actions available");
        char avail[512];
        int r = read_small("/proc/sys/kernel/seccomp/actions_avail", avail, sizeof(avail));
        /* SECCOMP_GET_ACTION_AVAIL (4.14) asks the same question without /proc/sys. */
        uint32_t probe = SECCOMP_RET_ALLOW;
        bool can_ask = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &probe) == 0;
        if (r < 0 && !can_ask) {
                found(c, "cannot read /proc/sys/kernel/seccomp/actions_avail (%s) and SECCOMP_GET_ACTION_AVAIL "
                         "is not supported (Linux before 4.14?)",
                      strerror(-r));
                problem(c, ST_WARN,
                        "KILL_PROCESS and LOG need Linux 4.14, NOTIFY 5.0: profiles using them will not load");
                return;
        }
        sf_buf missing = { 0 }, disagree = { 0 };
        size_t n_ok = 0;
        for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
                const struct action *a = &actions[i];
                bool listed = r == 0 && has_word(avail, a->name);
                uint32_t ret = a->ret;
                bool asked = can_ask && syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &ret) == 0;
                if (r == 0 && can_ask && listed != asked)
                        sf_buf_printf(&disagree, "%s%s", disagree.len ? ", " : "", a->name);
                if (listed || asked) {
                        n_ok++;
                        continue;
                }
                sf_buf_printf(&missing, "%s%s", missing.len ? ", " : "", a->name);
                problem(c, ST_WARN, "profiles using %s will not load (%s needs Linux %s)", a->profile, a->name,
                        a->since);
        }
        if (r == 0)
                found(c, "%s", avail);
        else
                found(c, "actions_avail unreadable (%s)", strerror(-r));
        if (missing.len)
                found(c, "missing %s", missing.s);
        else
                found(c, "all %zu actions", n_ok);
        if (can_ask)
                found(c, "SECCOMP_GET_ACTION_AVAIL %s", disagree.len ? "disagrees on " : "agrees");
        if (disagree.len)
                sf_buf_puts(&c->detail, disagree.s);
        sf_buf_release(&missing);
        sf_buf_release(&disagree);
}

static void check_actions_logged(doctor *d)
{
        check *c = check_new(d, "actions logged");
        const char *path = "/proc/sys/kernel/seccomp/actions_logged";
        char logged[512];
        int r = read_small(path, logged, sizeof(logged));
        if (r < 0) {
                found(c, "cannot read %s: %s", path, strerror(-r));
                problem(c, ST_WARN, r == -ENOENT ? "actions_logged needs Linux 4.14; before it only kills are logged"
                                                 : "run as root to read it");
                return;
        }
        found(c, "%s", *logged ? logged : "(empty)");
        bool log = has_word(logged, "log");
        bool kills = has_word(logged, "kill_process") && has_word(logged, "kill_thread");
        if (!log)
                found(c, "log is missing: SCMP_ACT_LOG would be silent, so recording from audit records sees nothing");
        if (!kills)
                found(c, "a kill action is missing: killed workloads leave no record");
        if (!log || !kills) {
                /* The fix writes back what is there plus what is missing (allow cannot be logged). */
                sf_buf want = { 0 };
                sf_buf_puts(&want, logged);
                static const char *const need[] = { "kill_process", "kill_thread", "log" };
                for (size_t i = 0; i < ARRAY_SIZE(need); i++)
                        if (!has_word(logged, need[i]))
                                sf_buf_printf(&want, "%s%s", want.len ? " " : "", need[i]);
                problem(c, ST_WARN, "sysctl -w kernel.seccomp.actions_logged=\"%s\"", want.s ? want.s : "");
                sf_buf_release(&want);
        }
        /* The kernel logs ERRNO/TRAP/TRACE/USER_NOTIF only for filters loaded with
         * SECCOMP_FILTER_FLAG_LOG, whatever actions_logged says. */
        found(c, "ERRNO, TRAP, TRACE and NOTIFY are logged only when the filter sets SECCOMP_FILTER_FLAG_LOG");
}

/* When no filter loads at all, flag probes say nothing about the kernel's version. */
static bool filter_unusable(doctor *d, check *c)
{
        if (d->filter_err == 0)
                return false;
        found(c, "not probed: a plain test filter does not load (%s)", probe_error(d->filter_err));
        problem(c, ST_WARN, "see the \"seccomp filter\" check");
        return true;
}

static void check_flags(doctor *d)
{
        static const struct {
                const char *name;
                unsigned long flags;
                const char *since;
        } flags[] = {
                { "TSYNC", SECCOMP_FILTER_FLAG_TSYNC, "3.17" },
                { "LOG", SECCOMP_FILTER_FLAG_LOG, "4.14" },
                { "SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW, "4.17" },
                /* TSYNC_ESRCH only means something with TSYNC, WAIT_KILLABLE_RECV with a listener. */
                { "TSYNC_ESRCH", SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH, "5.7" },
                { "WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
                  "5.19" },
        };
        check *c = check_new(d, "filter flags");
        if (filter_unusable(d, c))
                return;
        sf_buf ok = { 0 }, bad = { 0 };
        for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
                int r = probe_filter(flags[i].flags);
                if (r == 0) {
                        sf_buf_printf(&ok, "%s%s", ok.len ? " " : "", flags[i].name);
                        continue;
                }
                sf_buf_printf(&bad, "%s%s (%s)", bad.len ? ", " : "", flags[i].name, probe_error(r));
                problem(c, ST_WARN, "profiles whose flags list SECCOMP_FILTER_FLAG_%s will not load (needs Linux %s)",
                        flags[i].name, flags[i].since);
        }
        if (ok.len)
                found(c, "accepted: %s", ok.s);
        if (bad.len)
                found(c, "refused: %s", bad.s);
        if (!bad.len)
                found(c, "TSYNC applies a filter to every thread at once");
        sf_buf_release(&ok);
        sf_buf_release(&bad);
}

static void check_notify(doctor *d)
{
        check *c = check_new(d, "user notification");
        if (filter_unusable(d, c))
                return;
        int r = probe_filter(SECCOMP_FILTER_FLAG_NEW_LISTENER);
        if (r == 0) {
                found(c, "SECCOMP_FILTER_FLAG_NEW_LISTENER returns a listener fd: "
                         "SCMP_ACT_NOTIFY and listenerPath work");
                return;
        }
        found(c, "SECCOMP_FILTER_FLAG_NEW_LISTENER refused: %s", probe_error(r));
        problem(c, ST_WARN,
                r == EINVAL ? "user notification needs Linux 5.0: profiles using SCMP_ACT_NOTIFY will not load"
                            : "profiles using SCMP_ACT_NOTIFY will not load here");
}

static void check_ebpf(doctor *d)
{
        check *c = check_new(d, "ebpf recorder");
        if (!sf_ebpf_recorder_supported()) {
                found(c, "this sysfence was built without it");
                problem(c, ST_WARN,
                        "rebuild with libbpf, clang and bpftool (meson setup -Debpf=enabled); record and oci-hook use "
                        "seccomp notification or ptrace meanwhile");
                return;
        }
        /* what every recording needs first: the kernel struct offsets, from BTF */
        sf_ebpf_recorder *rec = NULL;
        sf_error *err = NULL;
        if (sf_ebpf_recorder_new(NULL, &rec, &err) < 0) {
                found(c, "%s", sf_error_message(err));
                problem(c, ST_WARN,
                        "a kernel with BTF (CONFIG_DEBUG_INFO_BTF=y) lets `record --backend ebpf` run; the notify and "
                        "ptrace backends work without it");
                sf_error_free(err);
                return;
        }
        sf_ebpf_recorder_free(rec);
        found(c, "built in; the kernel's BTF gives the struct offsets its program reads");
        if (geteuid() != 0)
                problem(c, ST_WARN, "`record --backend ebpf` and the OCI hook's eBPF mode need root (CAP_BPF and "
                                    "CAP_PERFMON, or CAP_SYS_ADMIN)");
        else
                found(c, "root: `record --backend ebpf` and `record --pidns` can load it");
}

static void check_cache(doctor *d)
{
        check *c = check_new(d, "action cache");
        if (d->kmaj == 0) {
                found(c, "cannot parse the kernel release \"%s\"", d->release);
                problem(c, ST_WARN, NULL);
        } else if (d->kmaj > 5 || (d->kmaj == 5 && d->kmin >= 11)) {
                found(c, "Linux %u.%u: the kernel caches argument-free ALLOWs per syscall number", d->kmaj, d->kmin);
        } else {
                found(c, "Linux %u.%u has no action cache: every syscall runs the whole filter", d->kmaj, d->kmin);
                problem(c, ST_WARN, "Linux 5.11 or later caches argument-free ALLOWs and makes them free");
        }
        if (access("/proc/self/seccomp_cache", F_OK) == 0)
                found(c, "/proc/PID/seccomp_cache is present (CONFIG_SECCOMP_CACHE_DEBUG): it lists what is cached");
}

/* i386 and x32: what can run here (profiles decide both kinds of call wherever
 * they reach the filter, so neither is a failure). */
static void check_abis(doctor *d)
{
        check *c = check_new(d, "i386 ABI");
        bool filtered = false;
        int r = sf_abi_probe(SF_ABI_I386, &filtered);
        if (r == SF_ABI_RUNS) {
                found(c, "int $0x80 works: 32-bit programs run here");
        } else if (r == SF_ABI_FAULTS) {
                found(c, "int $0x80 faults on this machine: 32-bit programs cannot run here; profiles still decide their "
                         "calls");
                problem(c, ST_WARN, NULL);
        } else if (r == -ENOTSUP) {
                found(c, "not an x86_64 build");
        } else {
                found(c, "the probe could not run: %s", strerror(-r));
                problem(c, ST_WARN, NULL);
        }

        c = check_new(d, "x32 ABI");
        filtered = false;
        r = sf_abi_probe(SF_ABI_X32, &filtered);
        if (r == -ENOTSUP) {
                found(c, "not an x86_64 build");
                return;
        }
        if (r < 0) {
                found(c, "the probe could not run: %s", strerror(-r));
                problem(c, ST_WARN, NULL);
                return;
        }
        found(c, r == SF_ABI_RUNS ? "x32 system calls work: x32 programs run here"
                                  : "x32 is off in this kernel (ENOSYS): x32 programs cannot run here");
        if (filtered) {
                found(c, "numbers with bit 30 reach seccomp filters, which decide them");
        } else {
                found(c, "numbers with bit 30 did not reach a test filter");
                problem(c, ST_WARN, "report this kernel: a filter should see every syscall number");
        }
}

/* Looks for the answer to request 1 in a netlink datagram: 0 (ret filled), the
 * kernel's -errno, or -EAGAIN when it is not there. */
static int audit_status_parse(const char *buf, size_t n, struct audit_status *ret)
{
        for (size_t off = 0; n - off >= sizeof(struct nlmsghdr);) {
                const struct nlmsghdr *h = (const struct nlmsghdr *)(buf + off);
                if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > n - off)
                        break;
                off += NLMSG_ALIGN(h->nlmsg_len);
                if (off > n)
                        off = n;
                const char *data = (const char *)h + NLMSG_HDRLEN;
                size_t payload = h->nlmsg_len - NLMSG_HDRLEN;
                if (h->nlmsg_seq != 1)
                        continue;
                if (h->nlmsg_type == NLMSG_ERROR && payload >= sizeof(struct nlmsgerr)) {
                        const struct nlmsgerr *e = (const struct nlmsgerr *)data;
                        if (e->error)
                                return e->error;
                } else if (h->nlmsg_type == AUDIT_GET) {
                        /* Older kernels send a shorter struct; the rest stays zero. */
                        struct audit_status st = { 0 };
                        memcpy(&st, data, payload < sizeof(st) ? payload : sizeof(st));
                        *ret = st;
                        return 0;
                }
        }
        return -EAGAIN;
}

/* Asks the kernel for its audit status (AUDIT_GET; needs CAP_AUDIT_CONTROL in the
 * initial namespaces).  0 or -errno. */
static int audit_status_get(struct audit_status *ret)
{
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
        if (fd < 0)
                return -errno;
        struct nlmsghdr req = {
                .nlmsg_len = NLMSG_LENGTH(0),
                .nlmsg_type = AUDIT_GET,
                .nlmsg_flags = NLM_F_REQUEST,
                .nlmsg_seq = 1,
        };
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        if (sendto(fd, &req, req.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
                return -errno;
        for (int tries = 0; tries < 8; tries++) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                int k = poll(&pfd, 1, 1000);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return -ETIMEDOUT;
                union {
                        struct nlmsghdr h;
                        char raw[8192];
                } msg;
                ssize_t n = recv(fd, &msg, sizeof(msg), 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                int r = audit_status_parse(msg.raw, (size_t)n, ret);
                if (r != -EAGAIN)
                        return r;
        }
        return -ETIMEDOUT;
}

/* A process whose comm is name: its pid, or 0. */
static long find_process(const char *name)
{
        DIR *dir = opendir("/proc"); /* glibc opens it O_CLOEXEC */
        if (!dir)
                return 0;
        long found_pid = 0;
        for (struct dirent *de; !found_pid && (de = readdir(dir));) {
                uint64_t pid;
                if (sf_parse_u64(de->d_name, 10, &pid) < 0)
                        continue;
                char path[64], comm[64];
                snprintf(path, sizeof(path), "/proc/%llu/comm", (unsigned long long)pid);
                if (read_small(path, comm, sizeof(comm)) == 0 && strcmp(comm, name) == 0)
                        found_pid = (long)pid;
        }
        closedir(dir);
        return found_pid;
}

static void check_audit_records(doctor *d)
{
        check *c = check_new(d, "audit records");
        const char *log = "/var/log/audit/audit.log";
        bool have_log = access(log, F_OK) == 0;
        struct audit_status st = { 0 };
        int r = audit_status_get(&st);
        long daemon = r == 0 ? (long)st.pid : 0;
        char comm[64] = "";
        if (daemon > 0) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%ld/comm", daemon);
                if (read_small(path, comm, sizeof(comm)) < 0)
                        snprintf(comm, sizeof(comm), "an audit daemon");
        } else if (r < 0 && (daemon = find_process("auditd")) > 0) {
                /* Without AUDIT_GET a process named auditd is the best evidence. */
                snprintf(comm, sizeof(comm), "auditd");
        }

        if (d->cfg.source && d->cfg.auditsyscall == 'n') {
                found(c, "CONFIG_AUDITSYSCALL is not set: the kernel writes no seccomp records at all");
                problem(c, ST_WARN,
                        "record with ptrace (the default of `sysfence record`); audit-based recording cannot work");
        }
        if (daemon > 0) {
                found(c, "%s (pid %ld) receives every record", comm, daemon);
                if (have_log)
                        sf_buf_printf(&c->detail, "; %s exists", log);
                else
                        sf_buf_printf(&c->detail, "; no %s (it logs elsewhere)", log);
        } else {
                /* The kernel prints audit records under the printk rate limit (10 per 5 s by default). */
                char burst[32], interval[32];
                if (read_small("/proc/sys/kernel/printk_ratelimit_burst", burst, sizeof(burst)) < 0)
                        snprintf(burst, sizeof(burst), "10");
                if (read_small("/proc/sys/kernel/printk_ratelimit", interval, sizeof(interval)) < 0)
                        snprintf(interval, sizeof(interval), "5");
                found(c, "no audit daemon: records go to the kernel log, rate-limited to %s per %s s (the rest is "
                         "dropped)",
                      burst, interval);
                if (have_log)
                        found(c, "%s exists but nothing writes it now", log);
                problem(c, ST_WARN,
                        "use `sysfence audit --follow` (a lossless netlink reader, needs CAP_AUDIT_READ) or install "
                        "auditd");
        }
}

static void check_audit_netlink(doctor *d)
{
        check *c = check_new(d, "audit netlink");
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
        if (fd < 0) {
                int e = errno;
                found(c, "cannot open a NETLINK_AUDIT socket: %s", strerror(e));
                problem(c, ST_WARN,
                        e == EPROTONOSUPPORT ? "the kernel lacks CONFIG_AUDIT: record with ptrace instead"
                                             : "run as root, outside a restricted container");
                return;
        }
        /* Members of this multicast group get a copy of every record without being
         * the audit daemon; the kernel checks CAP_AUDIT_READ at bind time. */
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1) };
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;
                found(c, "cannot bind to AUDIT_NLGRP_READLOG: %s", strerror(e));
                problem(c, ST_WARN,
                        e == EPERM ? "it needs CAP_AUDIT_READ: run `sysfence audit --follow` as root"
                                   : "the kernel refuses the audit multicast group (Linux 3.16 or later has it)");
                return;
        }
        found(c, "a socket bound to AUDIT_NLGRP_READLOG opens: `sysfence audit --follow` can read every record");
}

/* Counts *.json files under the directory dfd (taken over), following no
 * symlinked directory. Hidden entries are skipped: temporary files of atomic
 * writes and a ConfigMap volume's ..data internals would count twice. */
static void count_json(int dfd, unsigned depth, size_t *n)
{
        DIR *dir = fdopendir(dfd);
        if (!dir) {
                close(dfd);
                return;
        }
        for (struct dirent *de; (de = readdir(dir));) {
                if (de->d_name[0] == '.')
                        continue;
                struct stat st;
                if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        if (depth >= MAX_DIR_DEPTH)
                                continue;
                        int sub = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                count_json(sub, depth + 1, n);
                        continue;
                }
                size_t len = strlen(de->d_name);
                if (len <= 5 || strcmp(de->d_name + len - 5, ".json") != 0)
                        continue;
                /* A symlinked profile counts if it leads to a regular file, as the kubelet reads it. */
                if (S_ISLNK(st.st_mode) && fstatat(dirfd(dir), de->d_name, &st, 0) < 0)
                        continue;
                if (S_ISREG(st.st_mode))
                        (*n)++;
        }
        closedir(dir);
}

static void check_kubelet(doctor *d)
{
        check *c = check_new(d, "kubelet profiles");
        char dir[PATH_MAX];
        size_t rl = strlen(d->kubelet_root);
        while (rl > 1 && d->kubelet_root[rl - 1] == '/')
                rl--;
        snprintf(dir, sizeof(dir), "%.*s/seccomp", (int)rl, d->kubelet_root);
        const char *create = "profiles are installed there; `sysfence k8s install` creates it";
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                struct stat st;
                if (e == ENOENT) {
                        found(c, "%s: not found", dir);
                        if (stat(d->kubelet_root, &st) < 0)
                                sf_buf_printf(&c->detail, " (nor %s: not a Kubernetes node, or give --kubelet-root)",
                                              d->kubelet_root);
                        problem(c, ST_WARN, "%s", create);
                } else if (e == ENOTDIR) {
                        found(c, "%s is not a directory", dir);
                        problem(c, ST_FAIL, "the kubelet looks up Localhost profiles in that directory: replace it "
                                            "with one (`sysfence k8s install` creates it)");
                } else {
                        found(c, "%s: %s", dir, strerror(e));
                        problem(c, ST_WARN, "%s", e == EACCES ? "run as root to inspect it" : create);
                }
                return;
        }
        size_t n = 0;
        count_json(fd, 0, &n);
        found(c, "%s: %zu profile%s (*.json, subdirectories included)", dir, n, n == 1 ? "" : "s");
}

static void check_runtimes(doctor *d)
{
        static const char *const names[] = { "runc", "crun", "podman" };
        check *c = check_new(d, "runtimes");
        size_t n_found = 0;
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                char path[PATH_MAX];
                if (!find_in_path(names[i], path, sizeof(path)))
                        continue;
                n_found++;
                char *argv[] = { path, (char *)"--version", NULL };
                sf_buf out = { 0 };
                int r = run_capture(argv, MAX_VERSION_OUTPUT, VERSION_TIMEOUT_MS, &out);
                if (r == 0 && out.len && !out.oom) {
                        size_t first = strcspn(out.s, "\n");
                        found(c, "%s: %.*s", path, (int)first, out.s);
                        /* runc reports the libseccomp it was linked with: worth knowing. */
                        const char *lib = strstr(out.s, "\nlibseccomp: ");
                        if (lib) {
                                lib += strlen("\nlibseccomp: ");
                                sf_buf_printf(&c->detail, " (libseccomp %.*s)", (int)strcspn(lib, "\n"), lib);
                        }
                } else if (r == -ETIMEDOUT) {
                        found(c, "%s: `--version` gave no answer within %d s", path, VERSION_TIMEOUT_MS / 1000);
                        problem(c, ST_WARN, "check that %s works: `%s --version` hangs", names[i], path);
                } else {
                        found(c, "%s: `--version` failed (%s)", path,
                              r > 0 ? "non-zero exit status" : r < 0 ? strerror(-r) : "no output");
                        problem(c, ST_WARN, "check that %s works: `%s --version` fails", names[i], path);
                }
                sf_buf_release(&out);
        }
        if (!n_found) {
                found(c, "none of runc, crun, podman in PATH");
                problem(c, ST_WARN, "install runc or crun (podman drives either) to run containers under profiles");
        }
}

static void check_cgroups(doctor *d)
{
        check *c = check_new(d, "cgroups");
        struct statfs fs;
        if (statfs("/sys/fs/cgroup", &fs) < 0) {
                found(c, "/sys/fs/cgroup: %s", strerror(errno));
                problem(c, ST_WARN, "container runtimes need a cgroup filesystem at /sys/fs/cgroup");
                return;
        }
        if ((unsigned long)fs.f_type == CGROUP2_SUPER_MAGIC) {
                found(c, "cgroup v2 (unified hierarchy)");
                return;
        }
        bool hybrid = statfs("/sys/fs/cgroup/unified", &fs) == 0 && (unsigned long)fs.f_type == CGROUP2_SUPER_MAGIC;
        if (!hybrid) {
                found(c, "cgroup v1 (legacy hierarchy)");
                return;
        }
        found(c, "hybrid: v1 controllers with cgroup v2 at /sys/fs/cgroup/unified");
        char path[PATH_MAX];
        if (find_in_path("crun", path, sizeof(path))) {
                found(c, "crun refuses hybrid mode (runc works)");
                problem(c, ST_WARN, "crun needs cgroup v2 or `unshare -m` + `umount /sys/fs/cgroup/unified`");
        } else {
                found(c, "runc works; crun would need cgroup v2 or `unshare -m` + `umount /sys/fs/cgroup/unified`");
        }
}

/* --- output ---------------------------------------------------------------------- */

static void print_text(const doctor *d, sf_buf *out)
{
        int width = 0;
        for (size_t i = 0; i < d->n; i++)
                if ((int)strlen(d->checks[i].name) > width)
                        width = (int)strlen(d->checks[i].name);
        for (size_t i = 0; i < d->n; i++) {
                const check *c = &d->checks[i];
                sf_buf_printf(out, "%-5s %-*s  %s", status_names[c->st], width, c->name,
                              c->detail.s ? c->detail.s : "");
                if (c->st != ST_OK && c->fix.len)
                        sf_buf_printf(out, "; fix: %s", c->fix.s);
                sf_buf_putc(out, '\n');
        }
}

static void print_json(const doctor *d, sf_buf *out, bool ok)
{
        sf_buf_puts(out, "{\"checks\":[");
        for (size_t i = 0; i < d->n; i++) {
                const check *c = &d->checks[i];
                sf_buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
                cli_json_str(out, c->name);
                sf_buf_puts(out, ",\"status\":");
                cli_json_str(out, status_names[c->st]);
                sf_buf_puts(out, ",\"detail\":");
                cli_json_str(out, c->detail.s);
                sf_buf_puts(out, ",\"fix\":");
                if (c->st != ST_OK && c->fix.len)
                        cli_json_str(out, c->fix.s);
                else
                        sf_buf_puts(out, "null");
                sf_buf_puts(out, "}");
        }
        sf_buf_printf(out, "],\"ok\":%s}\n", ok ? "true" : "false");
}

int cmd_doctor(int argc, char **argv)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "kubelet-root", required_argument, NULL, 'k' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        doctor d = { .kubelet_root = DEFAULT_KUBELET_ROOT };
        bool json = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'j': json = true; break;
                case 'k':
                        if (!*optarg)
                                return cli_usage_error(CMD, "--kubelet-root needs a directory");
                        d.kubelet_root = optarg;
                        break;
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error(CMD, "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(CMD, "unexpected argument \"%s\"", argv[optind]);

        if (uname(&d.uts) == 0)
                d.release = d.uts.release;
        else
                d.release = "unknown";
        if (sscanf(d.release, "%u.%u", &d.kmaj, &d.kmin) != 2)
                d.kmaj = d.kmin = 0;
        config_load(&d);

        check_seccomp(&d);
        check_filter(&d);
        check_actions_avail(&d);
        check_actions_logged(&d);
        check_flags(&d);
        check_notify(&d);
        check_ebpf(&d);
        check_cache(&d);
        check_abis(&d);
        check_audit_records(&d);
        check_audit_netlink(&d);
        check_kubelet(&d);
        check_runtimes(&d);
        check_cgroups(&d);

        bool ok = true, oom = false;
        for (size_t i = 0; i < d.n; i++) {
                ok = ok && d.checks[i].st != ST_FAIL;
                oom = oom || d.checks[i].detail.oom || d.checks[i].fix.oom;
        }
        sf_buf out = { 0 };
        if (json)
                print_json(&d, &out, ok);
        else
                print_text(&d, &out);
        for (size_t i = 0; i < d.n; i++) {
                sf_buf_release(&d.checks[i].detail);
                sf_buf_release(&d.checks[i].fix);
        }
        if (oom || out.oom) {
                sf_buf_release(&out);
                cli_error(CMD, "out of memory");
                return EXIT_INVALID;
        }
        fputs(out.s, stdout);
        sf_buf_release(&out);
        if (fflush(stdout) != 0) {
                cli_error(CMD, "writing the report: %s", strerror(errno));
                return EXIT_INVALID;
        }
        return ok ? EXIT_OK : EXIT_INVALID;
}
