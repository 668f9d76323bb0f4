/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running a command under a program as a container runtime loads it: forked,
 * the filter installed in the child with no_new_privs as the last step before
 * execve, nothing of the parent's inherited by accident (every fd of ours is
 * close-on-exec).  Any failure before the exec is reported, and the command
 * has not run: it never runs unconfined.
 *
 * What the filter did is learned without changing a decision: a kill from the
 * audit netlink stream (root); the calls it denied with ERRNO, as root by
 * SECCOMP_FILTER_FLAG_LOG on the same stream, otherwise by a user-notification
 * listener that answers each call with the errno the program itself gives. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include "sysfence/audit.h"
#include "sysfence/bpf.h"
#include "sysfence/run.h"
#include "util/util.h"

/* Where the child failed, and its listener, through shared memory: after the
 * filter is in place it may not be allowed to write, or even to exit. */
typedef struct child_error {
        int stage;    /* sf_run_stage */
        int err;
        int listener; /* the notify listener's fd (in the table the parent shares), or -1 */
        int loaded;   /* set once the filter is in place */
} child_error;

/* The child's exit after a failure: the raw syscall, not _exit(), which a
 * sanitizer intercepts to run checks that make calls the filter may deny; and
 * if even exit_group is denied, a fault ends the process. */
__attribute__((noreturn)) static void child_exit(int code)
{
        syscall(__NR_exit_group, code);
        syscall(__NR_exit, code);
        for (;;)
                *(volatile int *)0 = 0;
}

/* What the audit stream said of the command's process: its kill, and the
 * calls the profile denied with ERRNO (logged by SECCOMP_FILTER_FLAG_LOG). */
#define MAX_DENIALS SF_RUN_MAX_DENIALS
typedef sf_run_denial denial;
typedef struct killer {
        pid_t pid;
        pid_t marker;     /* the barrier's process (see audit_barrier) */
        bool marker_seen;
        sf_audit_record rec;
        bool found;
        denial denied[MAX_DENIALS];
        size_t n_denied;
        unsigned long more; /* denials of other calls beyond MAX_DENIALS */
} killer;

/* Whether pid descends from root, by the parent links in /proc: a process of
 * the command's tree that is still there when its record is read (records come
 * within milliseconds; one that has gone by then is not counted). */
static bool descends(pid_t pid, pid_t root)
{
        for (int depth = 0; depth < 64 && pid > 1; depth++) {
                if (pid == root)
                        return true;
                char path[64], buf[512];
                snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
                FILE *f = fopen(path, "re");
                if (!f)
                        return false;
                size_t n = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
                buf[n] = 0;
                /* "PID (COMM) STATE PPID ...": COMM may hold spaces and ')' */
                const char *e = strrchr(buf, ')');
                int ppid;
                char state;
                if (!e || sscanf(e + 1, " %c %d", &state, &ppid) != 2)
                        return false;
                pid = ppid;
        }
        return false;
}

/* Counts a denied call of (arch, nr) once more. */
static void count_denial(killer *k, sf_arch arch, long nr, const char *name)
{
        for (size_t i = 0; i < k->n_denied; i++)
                if (k->denied[i].arch == arch && k->denied[i].nr == nr) {
                        k->denied[i].count++;
                        return;
                }
        if (k->n_denied == MAX_DENIALS) {
                k->more++;
                return;
        }
        k->denied[k->n_denied++] = (denial){ .arch = arch, .name = name, .nr = nr, .count = 1 };
}

static void on_record(void *ctx, const sf_audit_record *rec)
{
        killer *k = ctx;
        uint32_t act = rec->code & SECCOMP_RET_ACTION_FULL;
        if (k->marker > 0 && rec->pid == k->marker) {
                k->marker_seen = true;
                return;
        }
        if (rec->pid != k->pid && !(act == SECCOMP_RET_ERRNO && descends(rec->pid, k->pid)))
                return;
        if (act == SECCOMP_RET_KILL_THREAD || act == SECCOMP_RET_KILL_PROCESS) {
                k->rec = *rec;
                k->found = true;
        } else if (act == SECCOMP_RET_ERRNO) {
                /* the record's code is the action alone: the errno is not in it */
                count_denial(k, rec->arch, rec->syscall, rec->syscall_name);
        }
}

/* The kernel hands audit records to the netlink group from one queue, in
 * order, through its kauditd thread (late on a busy machine): a record of our
 * own made after the command ended comes after all of the command's.  A child
 * logs one getppid (a LOG filter) and every record is read until it arrives,
 * for 2 s at most.  A few milliseconds, as root only. */
static void audit_barrier(int audit_fd, killer *k)
{
        /* no LOG record to wait for where the kernel logs no LOG action */
        char logged[256] = " ";
        int fd = open("/proc/sys/kernel/seccomp/actions_logged", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, logged + 1, sizeof(logged) - 3) : -1;
        if (fd >= 0)
                close(fd);
        if (n <= 0)
                return;
        logged[n + 1] = ' ';
        logged[n + 2] = 0;
        for (char *c = logged; *c; c++)
                if (*c == '\n')
                        *c = ' ';
        if (!strstr(logged, " log "))
                return;
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                return;
        if (pid == 0) {
                struct sock_filter f[] = {
                        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
                        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_LOG),
                        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                };
                struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
                    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
                        syscall(__NR_getppid);
                syscall(__NR_exit_group, 0);
        }
        k->marker = pid;
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (!k->marker_seen) {
                int rd = sf_audit_netlink_read(audit_fd, 200, on_record, k);
                clock_gettime(CLOCK_MONOTONIC, &t);
                long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
                if ((rd < 0 && rd != -EINTR && rd != -ENOBUFS && rd != -EAGAIN) || ms >= 2000)
                        break;
        }
}

/* Whether this process already runs under a seccomp filter: a filter of ours
 * that says USER_NOTIF where it said ERRNO would then lose to an older
 * filter's ERRNO (the kernel keeps the most restrictive action). */
static bool under_filter(void)
{
        FILE *f = fopen("/proc/self/status", "re");
        if (!f)
                return true;
        char line[256];
        bool filtered = true;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "Seccomp:", 8) == 0) {
                        filtered = strtol(line + 8, NULL, 10) != 0;
                        break;
                }
        fclose(f);
        return filtered;
}

/* The ERRNO denials without root: the child's filter returns USER_NOTIF where
 * the profile's returns ERRNO, and each notification is answered with the
 * errno the profile's own program gives for that call (run on the
 * notification's seccomp_data, capped at 4095 as the kernel caps it), so the
 * command sees what it would see. */
typedef struct listener {
        int fd;
        const struct sock_filter *insns; /* the profile's program, as compiled */
        size_t len;
        void *req, *resp; /* of the kernel's sizes (SECCOMP_GET_NOTIF_SIZES) */
        size_t req_size, resp_size;
} listener;

static int listener_init(listener *l, int fd, const struct sock_fprog *prog)
{
        struct seccomp_notif_sizes sz = { 0 };
        if (syscall(__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
                return -errno;
        *l = (listener){ .fd = fd, .insns = prog->filter, .len = prog->len };
        l->req_size = sz.seccomp_notif > sizeof(struct seccomp_notif) ? sz.seccomp_notif : sizeof(struct seccomp_notif);
        l->resp_size = sz.seccomp_notif_resp > sizeof(struct seccomp_notif_resp) ? sz.seccomp_notif_resp
                                                                                : sizeof(struct seccomp_notif_resp);
        l->req = calloc(1, l->req_size);
        l->resp = calloc(1, l->resp_size);
        return l->req && l->resp ? 0 : -ENOMEM;
}

static void listener_release(listener *l)
{
        free(l->req);
        free(l->resp);
        if (l->fd >= 0)
                close(l->fd);
        l->fd = -1;
}

/* Answers one notification; k (may be NULL) counts it.  < 0 when the listener
 * is of no more use. */
static int listener_answer(listener *l, killer *k)
{
        memset(l->req, 0, l->req_size);
        struct seccomp_notif *req = l->req;
        if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
                return errno == EINTR || errno == ENOENT ? 0 : -errno;
        uint32_t ret = sf_bpf_run(l->insns, l->len, &req->data, NULL, NULL);
        unsigned e = ret & SECCOMP_RET_DATA;
        if (e > 4095)
                e = 4095;
        memset(l->resp, 0, l->resp_size);
        struct seccomp_notif_resp *resp = l->resp;
        resp->id = req->id;
        /* only an ERRNO of the profile's becomes a notification */
        resp->error = (ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO ? -(int)e : -ENOSYS;
        /* ENOENT: the caller is gone (killed while it waited) */
        if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT && errno != EINTR)
                return -errno;
        if (k) {
                sf_arch arch = sf_arch_from_audit(req->data.arch);
                long nr = req->data.nr;
                if (arch == SF_ARCH_X86_64 && nr > 0 && (nr & 0x40000000L))
                        arch = SF_ARCH_X32;
                count_denial(k, arch, nr, arch != SF_ARCH_NONE ? sf_syscall_name(arch, (int)nr) : NULL);
        }
        return 0;
}

/* CMD has ended but processes of its tree may still run under the filter: a
 * detached process answers for them, as the profile would, until the last of
 * them is gone (the listener hangs up), so that they too see the profile's errno. */
static void listener_hand_over(listener *l)
{
        struct pollfd p = { .fd = l->fd, .events = POLLIN };
        if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)) && !(p.revents & POLLIN))
                return;
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                return;
        if (pid == 0) {
                if (fork() != 0)
                        _exit(0);
                setsid();
                for (int fd = 0; fd < 3; fd++)
                        close(fd);
                for (;;) {
                        p.revents = 0;
                        if (poll(&p, 1, -1) < 0) {
                                if (errno == EINTR)
                                        continue;
                                break;
                        }
                        if (p.revents & POLLIN) {
                                if (listener_answer(l, NULL) < 0)
                                        break;
                        } else if (p.revents & (POLLHUP | POLLERR)) {
                                break;
                        }
                }
                _exit(0);
        }
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}


static unsigned kernel_flags_for(const sf_run_opts *o, int audit_fd)
{
        unsigned f = o->flags;
        /* As root, ERRNO denials are logged too, so that they can be named (the
         * kernel logs only kills and LOG otherwise); decisions do not change. */
        if (audit_fd >= 0 && o->name)
                f |= SECCOMP_FILTER_FLAG_LOG;
        return f;
}

/* The kill's record: the kernel logs it before the exit, but other records (a
 * busy machine's) may come between: looked for 2 s at most. */
static void find_kill(int audit_fd, killer *k)
{
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (audit_fd >= 0 && !k->found) {
                int rd = sf_audit_netlink_read(audit_fd, 200, on_record, k);
                clock_gettime(CLOCK_MONOTONIC, &t);
                long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
                if (rd == 0 || (rd < 0 && rd != -EINTR && rd != -ENOBUFS) || ms >= 2000)
                        break;
        }
}

SF_EXPORT int sf_run(const sf_run_opts *o, sf_run_result *ret, sf_error **err)
{
        const struct sock_fprog fprog = *o->prog;
        _cleanup_close_ int audit_fd = -1;
        _cleanup_free_ struct sock_filter *notify_insns = NULL;
        bool quiet = !o->name;

        /* A lossless source for the record of a kill (root only; best effort). */
        sf_error *aerr = NULL;
        if (sf_audit_netlink_open(&audit_fd, &aerr) < 0)
                sf_error_free(aerr);

        child_error *shm = mmap(NULL, sizeof(child_error), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shm == MAP_FAILED)
                return sf_error_set(err, errno, "cannot map memory: %s", strerror(errno));
        *shm = (child_error){ .listener = -1 };
        unsigned kflags = kernel_flags_for(o, audit_fd);
        /* Without the audit stream, a listener hears them (see listener above);
         * TSYNC cannot be combined with a listener. */
        struct sock_fprog nprog = { 0 };
        if (audit_fd < 0 && !quiet && !(kflags & SECCOMP_FILTER_FLAG_TSYNC) && !under_filter()) {
                size_t changed = 0;
                sf_error *nerr = NULL;
                if (sf_bpf_errno_to_notify(fprog.filter, fprog.len, &notify_insns, &changed, &nerr) < 0)
                        sf_error_free(nerr);
                else if (changed)
                        nprog = (struct sock_fprog){ .len = fprog.len, .filter = notify_insns };
        }
        /* A signal from here on waits until the caller's handlers (on_child) can pass it on. */
        sigset_t old_mask;
        sf_signals_block(&old_mask);
        fflush(NULL);
        /* With a listener, the child shares our file table until its exec, so
         * that the listener's fd, made in the child, is ours too: passing it
         * would take a syscall the filter may deny.  (exec unshares the table,
         * and the fd is close-on-exec in the child's copy.) */
        pid_t pid = nprog.filter ? (pid_t)syscall(__NR_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0) : fork();
        if (pid < 0) {
                int e = errno;
                sf_signals_restore(&old_mask);
                munmap(shm, sizeof(*shm));
                return sf_error_set(err, e, "cannot fork: %s", strerror(e));
        }
        if (pid == 0) {
                /* No handler of ours in the child.  If the profile denies exit, the
                 * child ends by a fault: let it, without a handler (a sanitizer's)
                 * that would make more denied calls. */
                sf_child_signals_reset(&old_mask);
                int stage = SF_RUN_RAN, e = 0;
                long lr = -1;
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                        stage = SF_RUN_NO_NEW_PRIVS, e = errno;
                } else {
                        if (nprog.filter) {
                                lr = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
                                             kflags | SECCOMP_FILTER_FLAG_NEW_LISTENER, &nprog);
                                if (lr >= 0)
                                        __atomic_store_n(&shm->listener, (int)lr, __ATOMIC_RELEASE);
                        }
                        /* no listener (a kernel before 5.0): the program as compiled */
                        if (lr < 0)
                                lr = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, kflags, &fprog);
                        if (lr < 0) {
                                stage = SF_RUN_LOAD, e = errno;
                        } else {
                                /* the filter is in place: said by a store, as the next
                                 * syscall is the exec */
                                __atomic_store_n(&shm->loaded, 1, __ATOMIC_RELEASE);
                                execve(o->path, o->argv, o->envp);
                                stage = SF_RUN_EXEC, e = errno;
                        }
                }
                shm->err = e;
                __atomic_store_n(&shm->stage, stage, __ATOMIC_RELEASE);
                child_exit(stage == SF_RUN_EXEC ? 126 : 1);
        }
        if (o->on_child)
                o->on_child(o->ctx, pid);
        sf_signals_restore(&old_mask);
        sf_run_result res = { 0 };

        /* Wait, reading the audit stream meanwhile (its buffer is bounded): woken
         * by a record or by the child's end (its pidfd), so the wait is not longer
         * than the command.  Quiet, nothing is named: a plain wait. */
        int st = 0;
        bool exited = false;
        killer k = { .pid = pid };
        listener lis = { .fd = -1 };
        if (nprog.filter) {
                /* until the child's filter is in place (or it failed before) */
                while (!__atomic_load_n(&shm->loaded, __ATOMIC_ACQUIRE) && !__atomic_load_n(&shm->stage, __ATOMIC_ACQUIRE)) {
                        pid_t w = waitpid(pid, &st, WNOHANG);
                        if (w == pid) {
                                exited = true;
                                break;
                        }
                        nanosleep(&(struct timespec){ 0, 100000 }, NULL);
                }
                int lfd = __atomic_load_n(&shm->listener, __ATOMIC_ACQUIRE);
                int lr = lfd >= 0 ? listener_init(&lis, lfd, &fprog) : 0;
                if (lr < 0) {
                        /* unanswered, the child would wait forever: closed, its calls fail with ENOSYS */
                        res.listener_err = -lr;
                        lis.fd = lfd;
                        listener_release(&lis);
                }
        }
        bool reading = audit_fd >= 0 && !quiet;
        int pfd = (reading || lis.fd >= 0) && !exited ? (int)syscall(__NR_pidfd_open, pid, 0) : -1;
        while (!exited) {
                pid_t w = waitpid(pid, &st, reading || lis.fd >= 0 ? WNOHANG : 0);
                if (w == pid || (w < 0 && errno != EINTR))
                        break;
                if (w != 0)
                        continue;
                struct pollfd fds[3] = { { .fd = reading ? audit_fd : -1, .events = POLLIN },
                                         { .fd = pfd, .events = POLLIN },
                                         { .fd = lis.fd, .events = POLLIN } };
                /* without a pidfd (Linux < 5.3), look again every 10 ms */
                if (poll(fds, 3, pfd >= 0 ? -1 : 10) <= 0)
                        continue;
                if (fds[0].revents & POLLIN) {
                        int rd = sf_audit_netlink_read(audit_fd, 0, on_record, &k);
                        if (rd < 0 && rd != -EINTR && rd != -ENOBUFS && rd != -EAGAIN) {
                                close(audit_fd);
                                audit_fd = -1;
                                reading = false;
                        }
                }
                if (fds[2].revents & POLLIN) {
                        int lr = listener_answer(&lis, &k);
                        if (lr < 0) {
                                res.listener_err = -lr;
                                listener_release(&lis);
                        }
                }
        }
        if (pfd >= 0)
                close(pfd);
        if (lis.fd >= 0)
                listener_hand_over(&lis);
        listener_release(&lis);
        /* everything the command made reaches us before the barrier's record */
        if (audit_fd >= 0 && !quiet)
                audit_barrier(audit_fd, &k);
        if (!quiet && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
                find_kill(audit_fd, &k);

        child_error ce = *shm;
        munmap(shm, sizeof(*shm));
        res.stage = (sf_run_stage)ce.stage;
        res.err = ce.err;
        res.status = st;
        if (k.found) {
                res.kill_known = true;
                res.kill_arch = k.rec.arch;
                res.kill_nr = k.rec.syscall;
                res.kill_name = k.rec.syscall_name;
        }
        memcpy(res.denied, k.denied, sizeof(res.denied));
        res.n_denied = k.n_denied;
        res.more = k.more;
        *ret = res;
        return 0;
}

