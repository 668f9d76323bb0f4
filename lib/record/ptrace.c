/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The unprivileged recorder: seccomp user notifications, or ptrace.
 *
 * A started command, by notification (the default where the kernel has
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE): the child installs a one-instruction
 * filter (RET USER_NOTIF) with a listener and execs; the recorder takes the
 * listener out of the child with pidfd_getfd() and, for every call of the
 * tree, reads it (arch, number, arguments) and lets it go on.  Forks, threads,
 * execs and 32-bit calls need nothing: the filter is inherited and says the
 * arch.  Measured here (bench/record-overhead): a notification with the
 * hand-over kept on one CPU (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6)
 * costs a fraction of a ptrace stop.  The recording ends when the listener
 * hangs up: no task has the filter any more.
 *
 * A started command, by ptrace: the child waits until the parent has seized it, installs
 * a one-instruction filter (RET TRACE, whatever the arch: x86_64, i386 and x32
 * calls alike), and execs.  Every syscall from that execve on is a
 * PTRACE_EVENT_SECCOMP stop: one stop per call, where PTRACE_SYSCALL makes two.
 * Without a tracer a RET TRACE call fails with ENOSYS, so the filter goes in
 * only once the tracer is there, and the tree is never detached: an interrupt
 * either lets it end by itself or kills it (PTRACE_O_EXITKILL does the same if
 * the recorder dies).
 *
 * An attached tree cannot be given a filter: it is traced with PTRACE_SYSCALL
 * and only syscall-entry stops are counted; on interrupt every task is detached
 * and goes on running.
 *
 * The loop keeps no per-task state: PTRACE_GET_SYSCALL_INFO says the arch of
 * each call (a 64-bit process may make i386 calls with int $0x80), and the only
 * set kept is the task ids, to kill or detach them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "record/record-internal.h"
#include "sysfence/error.h"

extern char **environ;

/* Newer than Debian 12's headers (Linux 6.6). */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#define SPAWN_OPTIONS                                                                      \
        (PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |                \
         PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL)
#define ATTACH_OPTIONS                                                                     \
        (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |                \
         PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC)

/* Nesting of processes followed when attaching to a tree. */
#define ATTACH_MAX_DEPTH 64

/* Where the child failed before its command ran, through a CLOEXEC pipe. */
typedef struct child_failure {
        int stage; /* 1: no_new_privs, 2: seccomp, 3: execve, 4: affinity; 0: (notify) the
                    * listener's fd number is in err */
        int err;
} child_failure;

typedef struct tid_set {
        pid_t *v;
        size_t n, cap;
} tid_set;

/* A sched_getaffinity call whose answer is rewritten when it returns. */
typedef struct affinity_fix {
        pid_t tid;
        uint64_t buf;
} affinity_fix;

/* sched_getaffinity as each arch numbers it. */
typedef struct arch_nr {
        uint32_t audit_arch;
        long nr;
} arch_nr;

struct sf_recorder {
        sf_record *rec;
        sf_record_pin pin;
        unsigned cpu;
        bool started;
        bool attached;          /* PTRACE_SYSCALL mode */
        pid_t from_exec;        /* attached: count from this process's execve on */
        bool counting;          /* ...which came */
        sf_record_method method;/* of a started command: NOTIFY or PTRACE */
        int listener;           /* NOTIFY: the filter's listener, -1 before */
        struct seccomp_notif *req;
        struct seccomp_notif_resp *resp;
        size_t req_size, resp_size;
        bool tree_done;         /* NOTIFY: the listener hung up, no task has the filter */
        pid_t pid;              /* the command, or the process attached to */
        int pidfd;              /* of a started command: signals never reach a reused pid */
        int fail_fd;            /* read end of the child's failure pipe */
        bool have_mask;
        cpu_set_t orig_mask;    /* the recorder's affinity before pinning */
        tid_set tasks;
        /* The tree runs on one CPU (SF_RECORD_PIN_ALL) but is told of the CPUs it
         * would have had: programs size thread pools from sched_getaffinity. */
        bool fix_affinity;
        arch_nr getaffinity[SF_ARCH__COUNT];
        size_t n_getaffinity;
        affinity_fix *fixes;
        size_t n_fixes, cap_fixes;
        bool main_done;
        int main_status;
        bool detaching;
        volatile sig_atomic_t interrupts;
        sig_atomic_t handled;
};

static long pt(long req, pid_t pid, unsigned long addr, unsigned long data)
{
        return syscall(SYS_ptrace, req, pid, addr, data);
}

/* --- the task set: sorted, small ------------------------------------------------------ */

static size_t set_find(const tid_set *s, pid_t tid, bool *found)
{
        size_t lo = 0, hi = s->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (s->v[mid] == tid) {
                        *found = true;
                        return mid;
                }
                if (s->v[mid] < tid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = false;
        return lo;
}

static bool set_has(const tid_set *s, pid_t tid)
{
        bool found;
        set_find(s, tid, &found);
        return found;
}

static int set_add(tid_set *s, pid_t tid)
{
        bool found;
        size_t i = set_find(s, tid, &found);
        if (found)
                return 0;
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 16;
                pid_t *v = realloc(s->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                s->v = v;
                s->cap = cap;
        }
        memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
        s->v[i] = tid;
        s->n++;
        return 0;
}

static void set_del(tid_set *s, pid_t tid)
{
        bool found;
        size_t i = set_find(s, tid, &found);
        if (!found)
                return;
        memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
        s->n--;
}

/* --- notifications: what the kernel offers ----------------------------------------------- */

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* The child's filter.  A call waiting for its notification is interrupted by
 * any signal (the call then fails with EINTR where the handler has no
 * SA_RESTART: a shell's fork, under SIGCHLD); once the recorder has received
 * it, WAIT_KILLABLE_RECV (Linux 5.19) leaves only fatal signals that power.
 * Before that the window stays, which is why notify is not the default. */
static bool load_filter(bool notify, const struct sock_fprog *prog)
{
        if (!notify)
                return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) == 0;
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                    SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, prog) >= 0)
                return true;
        return errno == EINVAL && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, prog) >= 0;
}

/* SECCOMP_USER_NOTIF_FLAG_CONTINUE came with Linux 5.5 and pidfd_getfd() with
 * 5.6; SECCOMP_GET_NOTIF_SIZES answers from 5.0.  Probed by asking for a
 * descriptor of ours that cannot exist: ENOSYS means no pidfd_getfd(). */
static bool notify_supported(void)
{
        struct seccomp_notif_sizes sz;
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
                return false;
        int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
        if (pidfd < 0)
                return false;
        long r = syscall(SYS_pidfd_getfd, pidfd, -1, 0);
        int e = errno;
        close(pidfd);
        return r < 0 && e != ENOSYS;
}


typedef struct pid_stack {
        pid_t *v;
        size_t n, cap;
        bool found;
} pid_stack;

static int kill_and_push(void *ctx, pid_t child)
{
        pid_stack *st = ctx;
        kill(child, SIGKILL);
        st->found = true;
        if (st->n == st->cap) {
                size_t cap = st->cap ? st->cap * 2 : 64;
                pid_t *v = realloc(st->v, cap * sizeof(*v));
                if (!v)
                        return 0; /* its children are found on the next pass */
                st->v = v;
                st->cap = cap;
        }
        st->v[st->n++] = child;
        return 0;
}

/* The tree of a started command, found through /proc (the recorder is its
 * subreaper, so orphans are its children too): SIGKILL for every process, until
 * a pass finds none.  A killed process cannot fork, so this ends. */
static void kill_tree(sf_recorder *rec)
{
        (void)rec;
        for (int pass = 0; pass < 64; pass++) {
                pid_stack st = { 0 };
                for (pid_t at = getpid();;) {
                        sf_proc_each_child(at, kill_and_push, &st);
                        if (st.n == 0)
                                break;
                        at = st.v[--st.n];
                }
                free(st.v);
                if (!st.found)
                        return;
        }
}

/* --- life cycle ------------------------------------------------------------------------ */

SF_EXPORT int sf_recorder_new(const sf_record_opts *opts, sf_recorder **ret, sf_error **err)
{
        sf_recorder *rec = calloc(1, sizeof(*rec));
        if (!rec)
                return sf_error_set(err, ENOMEM, "out of memory");
        int r = sf_record_new(opts, &rec->rec, err);
        if (r < 0) {
                free(rec);
                return r;
        }
        if (opts) {
                rec->pin = opts->pin;
                rec->cpu = opts->cpu;
                if (rec->pin == SF_RECORD_PIN_ALL && rec->cpu >= CPU_SETSIZE) {
                        sf_recorder_free(rec);
                        return sf_error_set(err, EINVAL, "cpu %u does not exist", opts->cpu);
                }
        }
        rec->pidfd = -1;
        rec->fail_fd = -1;
        rec->listener = -1;
        rec->from_exec = opts ? opts->count_from_exec : 0;
        rec->method = opts ? opts->method : SF_RECORD_AUTO;
        /* ptrace by default: a call in a ptrace stop is not interrupted by a
         * signal, one waiting for a notification is (see load_filter) */
        if (rec->method == SF_RECORD_AUTO)
                rec->method = SF_RECORD_PTRACE;
        if (rec->method == SF_RECORD_NOTIFY && !notify_supported()) {
                sf_recorder_free(rec);
                return sf_error_set(err, ENOTSUP,
                                    "the notify backend needs Linux 5.6 (SECCOMP_USER_NOTIF_FLAG_CONTINUE, pidfd_getfd)");
        }
        for (int a = SF_ARCH_NONE + 1; a < SF_ARCH__COUNT; a++) {
                int nr = sf_syscall_nr((sf_arch)a, "sched_getaffinity");
                if (nr >= 0)
                        rec->getaffinity[rec->n_getaffinity++] = (arch_nr){ sf_arch_audit((sf_arch)a), nr };
        }
        *ret = rec;
        return 0;
}

SF_EXPORT void sf_recorder_free(sf_recorder *rec)
{
        if (!rec)
                return;
        /* Whatever is still traced dies with us (PTRACE_O_EXITKILL) or is let go. */
        for (size_t i = 0; i < rec->tasks.n; i++) {
                if (rec->attached)
                        pt(PTRACE_DETACH, rec->tasks.v[i], 0, 0);
                else
                        kill(rec->tasks.v[i], SIGKILL);
        }
        if (rec->have_mask)
                sched_setaffinity(0, sizeof(rec->orig_mask), &rec->orig_mask);
        if (rec->method == SF_RECORD_NOTIFY && rec->started && !rec->attached && !rec->tree_done)
                kill_tree(rec);
        if (rec->pidfd >= 0)
                close(rec->pidfd);
        if (rec->fail_fd >= 0)
                close(rec->fail_fd);
        if (rec->listener >= 0)
                close(rec->listener);
        free(rec->req);
        free(rec->resp);
        free(rec->tasks.v);
        free(rec->fixes);
        sf_record_free(rec->rec);
        free(rec);
}

SF_EXPORT sf_record_method sf_recorder_method(const sf_recorder *rec)
{
        return rec->method;
}

SF_EXPORT const sf_record *sf_recorder_record(const sf_recorder *rec)
{
        return rec->rec;
}

/* --- starting a command ------------------------------------------------------------------ */

/* Pins the recorder (and what it forks) to one CPU, remembering where it ran. */
static int pin_self(sf_recorder *rec, sf_error **err)
{
        if (rec->pin == SF_RECORD_PIN_NONE)
                return 0;
        if (sched_getaffinity(0, sizeof(rec->orig_mask), &rec->orig_mask) < 0)
                return sf_error_set_errno(err, errno, "cannot read the CPU affinity");
        unsigned cpu = rec->cpu;
        if (rec->pin == SF_RECORD_PIN_TRACER) {
                int c = sched_getcpu();
                if (c < 0)
                        return sf_error_set_errno(err, errno, "cannot tell which CPU runs the recorder");
                cpu = (unsigned)c;
        }
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) < 0)
                return sf_error_set_errno(err, errno, "cannot pin the recorder to CPU %u", cpu);
        rec->have_mask = true;
        rec->fix_affinity = rec->pin == SF_RECORD_PIN_ALL && !rec->attached;
        return 0;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static _Noreturn void child_exec(sf_recorder *rec, const char *path, char *const argv[], int sync_fd,
                                 int fail_fd)
{
        static struct sock_filter trace_all[] = {
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
        };
        static struct sock_filter notify_all[] = {
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        };
        bool notify = rec->method == SF_RECORD_NOTIFY;
        struct sock_fprog prog = { .len = 1, .filter = notify ? notify_all : trace_all };
        child_failure f = { 0 };
        char c;

        /* Until the parent has seized us a RET TRACE call would fail with ENOSYS:
         * wait for it to close its end of the pipe. */
        while (read(sync_fd, &c, 1) < 0 && errno == EINTR)
                ;
        if (notify) {
                /* Once the filter is in, every call waits for the parent, which
                 * needs the listener first: say now which descriptor it will be
                 * (the lowest free one; nothing else is opened before it). */
                int probe = fcntl(fail_fd, F_DUPFD, 0);
                if (probe >= 0)
                        close(probe);
                f = (child_failure){ 0, probe };
                if (write(fail_fd, &f, sizeof(f)) != (ssize_t)sizeof(f))
                        _exit(127);
        }
        if (rec->pin == SF_RECORD_PIN_TRACER &&
            sched_setaffinity(0, sizeof(rec->orig_mask), &rec->orig_mask) < 0)
                f = (child_failure){ 4, errno };
        else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                f = (child_failure){ 1, errno };
        else if (!load_filter(notify, &prog))
                f = (child_failure){ 2, errno };
        else {
                /* From here on every call is traced, this execve first. */
                execve(path, argv, environ);
                f = (child_failure){ 3, errno };
        }
        ssize_t n = write(fail_fd, &f, sizeof(f));
        (void)n;
        _exit(127);
}

static int child_failed(sf_recorder *rec, sf_error **err);

/* The child has been told to go: take its listener.  The child names the
 * descriptor first, then loads the filter; until then the descriptor does not
 * exist (or is not a listener), so ask again, briefly, unless the child ended. */
static int notify_start(sf_recorder *rec, sf_error **err)
{
        child_failure f;
        ssize_t n;
        while ((n = read(rec->fail_fd, &f, sizeof(f))) < 0 && errno == EINTR)
                ;
        if (n != (ssize_t)sizeof(f) || f.stage != 0 || f.err < 0)
                return sf_error_set(err, EIO, "the command's process failed before it could be recorded");
        rec->pidfd = (int)syscall(SYS_pidfd_open, rec->pid, 0);
        if (rec->pidfd < 0)
                return sf_error_set_errno(err, errno, "cannot open the command's process (pidfd_open)");
        struct timespec pause = { 0, 20000 };
        for (unsigned i = 0; i < 100000; i++) {
                int fd = (int)syscall(SYS_pidfd_getfd, rec->pidfd, f.err, 0);
                if (fd < 0 && errno != EBADF)
                        return sf_error_set_errno(err, errno, "cannot take the command's seccomp listener (pidfd_getfd)");
                if (fd >= 0) {
                        /* a listener knows no notification 0; anything else knows no such ioctl */
                        uint64_t id = 0;
                        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 && errno == ENOENT) {
                                rec->listener = fd;
                                break;
                        }
                        close(fd);
                }
                int status;
                pid_t w = waitpid(rec->pid, &status, WNOHANG);
                if (w == rec->pid) {
                        int r = child_failed(rec, err);
                        return r < 0 ? r : sf_error_set(err, EIO, "the command's process ended before it could be recorded");
                }
                nanosleep(&pause, NULL);
                if (pause.tv_nsec < 1000000)
                        pause.tv_nsec *= 2;
        }
        if (rec->listener < 0)
                return sf_error_set(err, ETIMEDOUT, "the command's process never loaded the recording filter");
        /* Linux 6.6: the woken task and the recorder hand over on one CPU */
        (void)ioctl(rec->listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, 0);
        struct seccomp_notif_sizes sz;
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
                return sf_error_set_errno(err, errno, "cannot size seccomp notifications");
        rec->req_size = sz.seccomp_notif > sizeof(*rec->req) ? sz.seccomp_notif : sizeof(*rec->req);
        rec->resp_size = sz.seccomp_notif_resp > sizeof(*rec->resp) ? sz.seccomp_notif_resp : sizeof(*rec->resp);
        rec->req = calloc(1, rec->req_size);
        rec->resp = calloc(1, rec->resp_size);
        if (!rec->req || !rec->resp)
                return sf_error_set(err, ENOMEM, "out of memory");
        /* orphans of the tree come to us, so that an interrupt finds them */
        (void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        return 0;
}

static int spawned(sf_recorder *rec, pid_t pid, int go_fd, sf_error **err);

SF_EXPORT int sf_recorder_spawn(sf_recorder *rec, char *const argv[], sf_error **err)
{
        if (rec->started)
                return sf_error_set(err, EBUSY, "the recorder is already tracing");
        _cleanup_free_ char *path = NULL;
        int r = sf_spawn_path(argv, &path, err);
        if (r == 0)
                r = pin_self(rec, err);
        if (r < 0)
                return r;

        int sync[2], fail[2];
        sigset_t old;
        pid_t pid = sf_spawn_fork(&rec->interrupts, sync, fail, &old, err);
        if (pid < 0)
                return pid;
        if (pid == 0)
                child_exec(rec, path, argv, sync[0], fail[1]);
        rec->fail_fd = fail[0];
        r = spawned(rec, pid, sync[1], err);
        sf_signals_restore(&old);
        return r;
}

/* The parent's half of a spawn, with signals blocked: take the child, or kill it. */
static int spawned(sf_recorder *rec, pid_t pid, int go_fd, sf_error **err)
{
        int r;
        if (rec->method == SF_RECORD_NOTIFY) {
                rec->pid = pid;
                close(go_fd); /* go: the child says where its listener will be */
                r = notify_start(rec, err);
                if (r < 0) {
                        kill(pid, SIGKILL);
                        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                                ;
                        rec->pid = 0;
                        return r;
                }
                rec->started = true;
                return 0;
        }
        if (pt(PTRACE_SEIZE, pid, 0, SPAWN_OPTIONS) < 0) {
                r = sf_error_set_errno(err, errno, "cannot trace the command (ptrace)");
                kill(pid, SIGKILL);
                close(go_fd);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                return r;
        }
        rec->pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* O_CLOEXEC by design; -1 on old kernels */
        if (set_add(&rec->tasks, pid) < 0) {
                kill(pid, SIGKILL);
                close(go_fd);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                return sf_error_set(err, ENOMEM, "out of memory");
        }
        rec->pid = pid;
        rec->started = true;
        close(go_fd); /* go */
        return 0;
}

/* --- attaching to a running tree ---------------------------------------------------------- */

/* 1 when tid is now traced, 0 when it is skipped, or an error. */
static int seize(sf_recorder *rec, pid_t tid, bool required, sf_error **err)
{
        if (set_has(&rec->tasks, tid))
                return 0;
        if (pt(PTRACE_SEIZE, tid, 0, ATTACH_OPTIONS) < 0) {
                /* gone, a zombie, or auto-attached already through a fork we have
                 * not seen yet */
                if (!required && (errno == ESRCH || errno == EPERM))
                        return 0;
                if (errno == EPERM)
                        return sf_error_set(err, EPERM,
                                            "cannot trace process %d: operation not permitted (it needs the same user and no ptrace restriction, or CAP_SYS_PTRACE)",
                                            (int)tid);
                return sf_error_set_errno(err, errno, "cannot trace process %d", (int)tid);
        }
        if (set_add(&rec->tasks, tid) < 0) {
                pt(PTRACE_DETACH, tid, 0, 0);
                return sf_error_set(err, ENOMEM, "out of memory");
        }
        /* a seized task runs on until it is made to stop; the stop is where tracing starts */
        pt(PTRACE_INTERRUPT, tid, 0, 0);
        return 1;
}

typedef struct seize_ctx {
        sf_recorder *rec;
        unsigned depth;
        sf_error **err;
} seize_ctx;

static int seize_tree(sf_recorder *rec, pid_t pid, unsigned depth, sf_error **err);

static int seize_child(void *ctx, pid_t child)
{
        seize_ctx *c = ctx;
        return seize_tree(c->rec, child, c->depth, c->err);
}

static int seize_tree(sf_recorder *rec, pid_t pid, unsigned depth, sf_error **err)
{
        char dir[64];
        snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
        /* Threads made by a thread not yet seized are not followed: list again
         * until a pass finds nothing new. */
        bool again = true, first = true;
        while (again) {
                again = false;
                DIR *d = opendir(dir);
                if (!d) {
                        if (depth == 0)
                                return sf_error_set_errno(err, errno, "no process %d", (int)pid);
                        return 0;
                }
                struct dirent *de;
                while ((de = readdir(d))) {
                        uint64_t tid;
                        if (sf_parse_u64(de->d_name, 10, &tid) < 0 || tid > INT32_MAX)
                                continue;
                        if (set_has(&rec->tasks, (pid_t)tid))
                                continue;
                        int r = seize(rec, (pid_t)tid, depth == 0 && first && (pid_t)tid == pid, err);
                        if (r < 0) {
                                closedir(d);
                                return r;
                        }
                        /* Only a task seized now can have made threads we have not
                         * listed.  One that cannot be seized stays listed (a zombie
                         * whose parent we have just stopped is never reaped): listing
                         * again for it would never end. */
                        if (r > 0)
                                again = true;
                }
                closedir(d);
                first = false;
        }
        if (depth >= ATTACH_MAX_DEPTH)
                return 0;
        /* Children forked before we seized their parent: /proc/PID/task/TID/children. */
        seize_ctx c = { rec, depth + 1, err };
        return sf_proc_each_child(pid, seize_child, &c);
}

SF_EXPORT int sf_recorder_attach(sf_recorder *rec, pid_t pid, sf_error **err)
{
        if (rec->started)
                return sf_error_set(err, EBUSY, "the recorder is already tracing");
        if (pid <= 0)
                return sf_error_set(err, EINVAL, "no process %d", (int)pid);
        if (pid == getpid())
                return sf_error_set(err, EINVAL, "cannot record the recorder itself");
        rec->attached = true;
        rec->pid = pid;
        rec->started = true;
        int r = pin_self(rec, err);
        if (r == 0)
                r = seize_tree(rec, pid, 0, err);
        if (r < 0) {
                for (size_t i = 0; i < rec->tasks.n; i++)
                        pt(PTRACE_DETACH, rec->tasks.v[i], 0, 0);
                rec->tasks.n = 0;
                rec->started = false;
                return r;
        }
        return 0;
}

/* --- the loop ------------------------------------------------------------------------------- */

SF_EXPORT void sf_recorder_interrupt(sf_recorder *rec, int sig)
{
        /* async-signal-safe: a counter, and one syscall that wakes the loop */
        int n = rec->interrupts + 1;
        rec->interrupts = n;
        if (rec->attached) {
                if (rec->pid > 0)
                        pt(PTRACE_INTERRUPT, rec->pid, 0, 0);
        } else if (rec->pidfd >= 0) {
                if (n == 1 && sig > 0)
                        syscall(SYS_pidfd_send_signal, rec->pidfd, sig, NULL, 0);
                else if (n >= 2)
                        syscall(SYS_pidfd_send_signal, rec->pidfd, SIGKILL, NULL, 0);
        }
}

static void handle_interrupts(sf_recorder *rec)
{
        sig_atomic_t n = rec->interrupts;
        if (n == rec->handled)
                return;
        rec->handled = n;
        if (rec->attached) {
                if (!rec->detaching) {
                        rec->detaching = true;
                        for (size_t i = 0; i < rec->tasks.n; i++)
                                pt(PTRACE_INTERRUPT, rec->tasks.v[i], 0, 0);
                }
                return;
        }
        /* A tracee is not reaped before we wait for it, so its id is still its own. */
        if (n >= 2 || rec->main_done)
                for (size_t i = 0; i < rec->tasks.n; i++)
                        kill(rec->tasks.v[i], SIGKILL);
}

static int resume(sf_recorder *rec, pid_t tid, int sig)
{
        if (pt(rec->attached ? PTRACE_SYSCALL : PTRACE_CONT, tid, 0, (unsigned long)sig) < 0 && errno != ESRCH)
                return -errno;
        return 0;
}

static bool is_stop_signal(int sig)
{
        return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static bool is_getaffinity(const sf_recorder *rec, uint32_t audit_arch, long nr)
{
        for (size_t i = 0; i < rec->n_getaffinity; i++)
                if (rec->getaffinity[i].nr == nr && rec->getaffinity[i].audit_arch == audit_arch)
                        return true;
        return false;
}

/* Counts the call a task is stopped in; *ret_fix when the call is a
 * sched_getaffinity of the tree whose answer must be rewritten on its way out. */
static int record_call(sf_recorder *rec, pid_t tid, unsigned op, bool *ret_fix)
{
        struct ptrace_syscall_info info;
        *ret_fix = false;
        if (rec->attached && rec->from_exec && !rec->counting)
                return 0; /* the runtime's setup, before the workload's execve */
        long n = pt(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), (unsigned long)&info);
        if (n < 0)
                return errno == ESRCH ? 0 : -errno;
        if (info.op != op)
                return 0;
        const __u64 *a = op == PTRACE_SYSCALL_INFO_SECCOMP ? info.seccomp.args : info.entry.args;
        uint64_t args[6] = { a[0], a[1], a[2], a[3], a[4], a[5] };
        long nr = (long)(op == PTRACE_SYSCALL_INFO_SECCOMP ? info.seccomp.nr : info.entry.nr);
        int r = sf_record_add(rec->rec, info.arch, nr, args);
        if (rec->fix_affinity && is_getaffinity(rec, info.arch, nr) &&
            ((pid_t)args[0] == 0 || set_has(&rec->tasks, (pid_t)args[0]))) {
                if (rec->n_fixes == rec->cap_fixes) {
                        size_t cap = rec->cap_fixes ? rec->cap_fixes * 2 : 8;
                        affinity_fix *v = realloc(rec->fixes, cap * sizeof(*v));
                        if (!v)
                                return -ENOMEM;
                        rec->fixes = v;
                        rec->cap_fixes = cap;
                }
                rec->fixes[rec->n_fixes++] = (affinity_fix){ tid, args[2] };
                *ret_fix = true;
        }
        return r;
}

/* A sched_getaffinity of the tree returns: the mask it would have had unpinned
 * replaces the one CPU it runs on (the byte layout is the same for 32-bit calls). */
static void fix_affinity(sf_recorder *rec, pid_t tid)
{
        size_t i = 0;
        while (i < rec->n_fixes && rec->fixes[i].tid != tid)
                i++;
        if (i == rec->n_fixes)
                return;
        uint64_t buf = rec->fixes[i].buf;
        rec->fixes[i] = rec->fixes[--rec->n_fixes];
        struct ptrace_syscall_info info;
        if (pt(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), (unsigned long)&info) < 0 ||
            info.op != PTRACE_SYSCALL_INFO_EXIT || info.exit.is_error || info.exit.rval <= 0)
                return;
        size_t len = (size_t)info.exit.rval;
        if (len > sizeof(rec->orig_mask))
                len = sizeof(rec->orig_mask);
        struct iovec local = { &rec->orig_mask, len }, remote = { (void *)(uintptr_t)buf, len };
        (void)process_vm_writev(tid, &local, 1, &remote, 1, 0);
}

static int detach(sf_recorder *rec, pid_t tid, int status)
{
        int sig = WSTOPSIG(status);
        /* a signal-delivery-stop: the signal goes on with the task */
        if ((unsigned)status >> 16 != 0 || sig == (SIGTRAP | 0x80))
                sig = 0;
        if (pt(PTRACE_DETACH, tid, 0, (unsigned long)sig) < 0 && errno != ESRCH)
                return -errno;
        set_del(&rec->tasks, tid);
        return 0;
}

/* The command failed before its execve succeeded: what the child sent. */
static int child_failed(sf_recorder *rec, sf_error **err)
{
        if (rec->fail_fd < 0)
                return 0;
        child_failure f;
        ssize_t n;
        while ((n = read(rec->fail_fd, &f, sizeof(f))) < 0 && errno == EINTR)
                ;
        close(rec->fail_fd);
        rec->fail_fd = -1;
        if (n != (ssize_t)sizeof(f))
                return 0;
        switch (f.stage) {
        case 1: return sf_error_set_errno(err, f.err, "cannot set no_new_privs");
        case 2: return sf_error_set_errno(err, f.err, "cannot load the tracing filter");
        case 4: return sf_error_set_errno(err, f.err, "cannot restore the command's CPU affinity");
        default: return sf_error_set_errno(err, f.err, "cannot execute the command");
        }
}

static int handle_stop(sf_recorder *rec, pid_t tid, int status)
{
        int sig = WSTOPSIG(status);
        unsigned event = (unsigned)status >> 16;
        switch (event) {
        case PTRACE_EVENT_SECCOMP: {
                bool fix;
                int r = record_call(rec, tid, PTRACE_SYSCALL_INFO_SECCOMP, &fix);
                /* one more stop, where the call returns, for the answer to be rewritten */
                int r2 = fix ? (pt(PTRACE_SYSCALL, tid, 0, 0) < 0 && errno != ESRCH ? -errno : 0) : resume(rec, tid, 0);
                return r < 0 ? r : r2;
        }
        case 0:
                if (sig == (SIGTRAP | 0x80)) {
                        int r = 0;
                        bool fix;
                        if (rec->attached)
                                r = record_call(rec, tid, PTRACE_SYSCALL_INFO_ENTRY, &fix);
                        else
                                fix_affinity(rec, tid);
                        int r2 = resume(rec, tid, 0);
                        return r < 0 ? r : r2;
                }
                return resume(rec, tid, sig); /* a signal-delivery-stop: pass it on */
        case PTRACE_EVENT_STOP:
                if (is_stop_signal(sig)) {
                        /* group-stop: stay stopped, as without us, until SIGCONT */
                        if (pt(PTRACE_LISTEN, tid, 0, 0) < 0 && errno != ESRCH)
                                return -errno;
                        return 0;
                }
                /* a new task's first stop, or our PTRACE_INTERRUPT */
                if (set_add(&rec->tasks, tid) < 0)
                        return -ENOMEM;
                return resume(rec, tid, 0);
        case PTRACE_EVENT_EXEC: {
                /* a thread other than the leader that execs takes the leader's id */
                unsigned long former = 0;
                if (pt(PTRACE_GETEVENTMSG, tid, 0, (unsigned long)&former) == 0 && (pid_t)former != tid)
                        set_del(&rec->tasks, (pid_t)former);
                int r = 0;
                if (rec->attached && rec->from_exec && !rec->counting && tid == rec->from_exec) {
                        /* its entry stop came before counting began: the execve counts here */
                        static const uint64_t none[6];
                        struct ptrace_syscall_info info;
                        rec->counting = true;
                        if (pt(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), (unsigned long)&info) >= 0) {
                                int nr = sf_syscall_nr(sf_arch_from_audit(info.arch), "execve");
                                if (nr >= 0)
                                        r = sf_record_add(rec->rec, info.arch, nr, none);
                        }
                }
                int r2 = resume(rec, tid, 0);
                return r < 0 ? r : r2;
        }
        default: /* fork, vfork, clone, vfork-done: the new task reports on its own */
                return resume(rec, tid, 0);
        }
}

/* A native sched_getaffinity of a task of the pinned tree: answered here with
 * the mask it would have had unpinned (what the kernel would return, but for
 * the CPUs).  False when the call is left to the kernel: another task's mask,
 * or a 32-bit call (whose mask is laid out in 32-bit words). */
static bool notify_getaffinity(sf_recorder *rec, const struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
        if (!rec->fix_affinity || !is_getaffinity(rec, req->data.arch, req->data.nr) ||
            !sf_arch_is_64bit(sf_arch_from_audit(req->data.arch)) || (req->data.nr & SF_X32_BIT))
                return false;
        pid_t target = (pid_t)req->data.args[0];
        if (target != 0 && target != (pid_t)req->pid)
                return false;
        size_t len = req->data.args[1] > sizeof(cpu_set_t) ? sizeof(cpu_set_t) : (size_t)req->data.args[1];
        cpu_set_t mask;
        long n = syscall(SYS_sched_getaffinity, (pid_t)req->pid, len, &mask);
        if (n < 0) {
                resp->error = -errno;
                return true;
        }
        /* the task must still be in this call when its memory is written */
        if (ioctl(rec->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
                return false;
        struct iovec local = { &rec->orig_mask, (size_t)n },
                     remote = { (void *)(uintptr_t)req->data.args[2], (size_t)n };
        if (process_vm_writev((pid_t)req->pid, &local, 1, &remote, 1, 0) != n) {
                resp->error = -EFAULT;
                return true;
        }
        resp->val = n;
        return true;
}

/* Reads one notification, counts it and lets the call go on. */
static int notify_one(sf_recorder *rec)
{
        struct seccomp_notif *req = rec->req;
        struct seccomp_notif_resp *resp = rec->resp;
        memset(req, 0, rec->req_size);
        if (ioctl(rec->listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
                return errno == EINTR || errno == ENOENT ? 0 : -errno; /* ENOENT: the task is gone */
        uint64_t args[6];
        memcpy(args, req->data.args, sizeof(args));
        int r = sf_record_add(rec->rec, req->data.arch, req->data.nr, args);
        memset(resp, 0, rec->resp_size);
        resp->id = req->id;
        if (!notify_getaffinity(rec, req, resp))
                resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        if (ioctl(rec->listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT && errno != EINTR)
                return r < 0 ? r : -errno;
        return r;
}

/* Notifications until no task has the filter: the listener hangs up. */
static int notify_wait(sf_recorder *rec, int *ret_status, sf_error **err)
{
        int r = 0;
        for (;;) {
                sig_atomic_t n = rec->interrupts;
                if (n != rec->handled) {
                        rec->handled = n;
                        if (n >= 2 || rec->main_done)
                                kill_tree(rec);
                }
                struct pollfd p[2] = { { rec->listener, POLLIN, 0 }, { rec->pidfd, POLLIN, 0 } };
                /* the command's own end is seen on its pidfd; orphans it left are
                 * reaped when nothing else happens for a while */
                int k = poll(p, rec->main_done ? 1 : 2, 1000);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = sf_error_set_errno(err, errno, "cannot wait for the traced tasks");
                        break;
                }
                if (k == 0 || (p[1].revents & POLLIN)) {
                        int status;
                        pid_t w;
                        while ((w = waitpid(-1, &status, WNOHANG)) > 0)
                                if (w == rec->pid) {
                                        rec->main_done = true;
                                        rec->main_status = status;
                                }
                }
                if (p[0].revents & POLLIN) {
                        int e = notify_one(rec);
                        if (e < 0 && r == 0)
                                r = e == -ENOMEM ? sf_error_set(err, ENOMEM, "out of memory while recording")
                                                 : sf_error_set_errno(err, -e, "cannot read a seccomp notification");
                        if (e < 0 && e != -ENOMEM)
                                break;
                } else if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
                        rec->tree_done = true;
                        break;
                }
        }
        (void)prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
        if (r < 0) {
                kill_tree(rec);
                return r;
        }
        /* every task is gone; the command itself may still wait to be reaped */
        while (!rec->main_done) {
                int status;
                pid_t w = waitpid(rec->pid, &status, 0);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return sf_error_set_errno(err, errno, "cannot wait for the command");
                rec->main_done = true;
                rec->main_status = status;
        }
        int f = child_failed(rec, err);
        if (f < 0)
                return f;
        if (rec->have_mask) {
                sched_setaffinity(0, sizeof(rec->orig_mask), &rec->orig_mask);
                rec->have_mask = false;
        }
        if (ret_status)
                *ret_status = rec->main_status;
        return 0;
}

/* Drops from the task set every task that is gone or traced by someone else
 * (its /proc status says so): it will never stop for us. */
static void prune_lost(sf_recorder *rec)
{
        pid_t self = getpid();
        for (size_t i = 0; i < rec->tasks.n;) {
                char file[64];
                snprintf(file, sizeof(file), "/proc/%d/status", (int)rec->tasks.v[i]);
                _cleanup_free_ char *data = NULL;
                size_t len;
                bool ours = false;
                if (sf_read_file(file, 1 << 16, &data, &len, NULL) == 0) {
                        const char *t = strstr(data, "\nTracerPid:");
                        uint64_t tracer = 0;
                        if (t) {
                                t += strlen("\nTracerPid:");
                                while (*t == ' ' || *t == '\t')
                                        t++;
                                char num[24];
                                size_t k = 0;
                                while (k < sizeof(num) - 1 && t[k] >= '0' && t[k] <= '9') {
                                        num[k] = t[k];
                                        k++;
                                }
                                num[k] = 0;
                                ours = sf_parse_u64(num, 10, &tracer) == 0 && (pid_t)tracer == self;
                        }
                        /* a zombie still reports to us */
                        ours |= strstr(data, "\nState:\tZ") != NULL;
                }
                if (ours)
                        i++;
                else
                        set_del(&rec->tasks, rec->tasks.v[i]);
        }
}

SF_EXPORT int sf_recorder_wait(sf_recorder *rec, int *ret_status, sf_error **err)
{
        if (!rec->started)
                return sf_error_set(err, EINVAL, "nothing is traced");
        if (rec->method == SF_RECORD_NOTIFY && !rec->attached)
                return notify_wait(rec, ret_status, err);
        int r = 0;
        for (;;) {
                handle_interrupts(rec);
                if (rec->detaching && rec->tasks.n == 0)
                        break;
                int status;
                /* Detaching waits for every task to stop; one that can no longer
                 * stop for us (gone, or no longer ours) would keep it waiting:
                 * poll, and drop such tasks between polls. */
                pid_t tid = waitpid(-1, &status, __WALL | (rec->detaching ? WNOHANG : 0));
                if (tid == 0) {
                        prune_lost(rec);
                        struct timespec pause = { 0, 10000000 };
                        nanosleep(&pause, NULL);
                        continue;
                }
                if (tid < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == ECHILD)
                                break;
                        r = sf_error_set_errno(err, errno, "cannot wait for the traced tasks");
                        break;
                }
                if (WIFEXITED(status) || WIFSIGNALED(status)) {
                        set_del(&rec->tasks, tid);
                        for (size_t i = 0; i < rec->n_fixes; i++)
                                if (rec->fixes[i].tid == tid)
                                        rec->fixes[i--] = rec->fixes[--rec->n_fixes];
                        if (tid == rec->pid) {
                                rec->main_done = true;
                                rec->main_status = status;
                                int f = child_failed(rec, err);
                                if (f < 0) {
                                        r = f;
                                        break;
                                }
                        }
                        continue;
                }
                if (!WIFSTOPPED(status))
                        continue;
                int hr = rec->detaching ? detach(rec, tid, status) : handle_stop(rec, tid, status);
                if (hr < 0 && r == 0) {
                        /* keep going: the tree must not be left stopped; report at the end */
                        if (hr == -ENOMEM)
                                r = sf_error_set(err, ENOMEM, "out of memory while recording");
                        else
                                r = sf_error_set_errno(err, -hr, "cannot trace task %d", (int)tid);
                }
        }
        if (r < 0)
                return r;
        if (rec->have_mask) {
                sched_setaffinity(0, sizeof(rec->orig_mask), &rec->orig_mask);
                rec->have_mask = false;
        }
        if (!rec->main_done)
                return 1;
        if (ret_status)
                *ret_status = rec->main_status;
        return 0;
}
