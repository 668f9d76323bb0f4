/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The eBPF recorder (bpf/record.bpf.c is its kernel half).
 *
 * A program on the sys_enter raw tracepoint counts the syscalls of the
 * recorded tasks in a per-CPU array, by arch and number; the recorder reads the
 * counts when the recording ends and feeds them to an sf_record, so synthesis
 * and --hot work as with ptrace.  The traced program is never stopped: the
 * overhead is the tracepoint's and a bitmap check per syscall, for every task
 * of the machine while the program is attached.
 *
 * Which tasks: a started command's tree (the program adds the command when
 * its execve succeeds, and every task a task of the tree creates before it
 * first runs; the tree is a bitmap of thread ids in an array map the recorder
 * maps too), a running process's tree (--pid: its threads and descendants are
 * added, then followed the same way), or every task of a pid namespace and of
 * the namespaces nested in it (a container).  The program is loaded for one
 * of these when the recording starts, with the kernel struct offsets it needs
 * taken from the kernel's BTF (lib/record/btf.c): the verifier sees only what
 * that mode runs.
 *
 * Task ids are the initial pid namespace's: the recorder must run there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "record/record-internal.h"
#include "sysfence/error.h"

#ifdef SF_HAVE_EBPF

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/audit.h>
#include <linux/nsfs.h>

#include "btf.h"
#include "record.skel.h"

extern char **environ;

/* Must match bpf/record.bpf.c. */
enum { SLOT_X86_64, SLOT_I386, SLOT_X32, N_SLOT_ARCH };
#define NR_SLOTS 1024
#define MODE_TREE 0
#define MODE_PIDNS 1
#define VALUES_MAX 16384
/* Nesting of processes followed when adding a running tree. */
#define ATTACH_MAX_DEPTH 64

static const sf_arch slot_arch[N_SLOT_ARCH] = { SF_ARCH_X86_64, SF_ARCH_X86, SF_ARCH_X32 };
#define N_SLOTS (N_SLOT_ARCH * NR_SLOTS)

struct odd_key {
        uint32_t arch;
        uint32_t pad;
        int64_t nr;
};

struct value_key {
        uint32_t slot;
        uint32_t pad;
        uint64_t value;
};

typedef enum run_mode {
        RUN_NONE,
        RUN_SPAWN,      /* a command we started */
        RUN_ATTACH,     /* a running tree */
        RUN_PIDNS,      /* a pid namespace */
} run_mode;

struct sf_ebpf_recorder {
        sf_record *rec;
        struct sf_record_bpf *skel;
        run_mode mode;
        pid_t from_exec;        /* MODE_PIDNS: count from this process's execve on */
        pid_t pid;              /* the command, the attached process, or the one whose end ends a pidns recording */
        int pidfd;
        int fail_fd;            /* read end of the child's failure pipe */
        bool main_done;
        int main_status;
        bool collected;
        uint8_t *announced;     /* per counts slot: on_new already called (live -v) */
        uint64_t *tree;         /* the map `tree`, mapped: one bit per thread id */
        size_t tree_words;
        volatile sig_atomic_t interrupts;
        sig_atomic_t handled;
};

/* libbpf prints; the library must not: keep its last line for an error message. */
static char libbpf_last[256];

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
        if (level == LIBBPF_DEBUG)
                return 0;
        char line[sizeof(libbpf_last)];
        int n = vsnprintf(line, sizeof(line), fmt, ap);
        if (n <= 1)
                return 0;
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == ' '))
                line[--len] = '\0';
        if (len)
                memcpy(libbpf_last, line, len + 1);
        return 0;
}

/* The kernel struct offsets the program reads at, from the kernel's BTF. */
static int set_offsets(struct sf_record_bpf__rodata *ro, sf_error **err)
{
        static const struct {
                const char *type, *field;
                size_t at;
        } fields[] = {
#define F(t, f, member) { t, f, offsetof(struct sf_record_bpf__rodata, member) }
                F("task_struct", "pid", off_task_pid),
                F("task_struct", "thread_info.status", off_task_status),
                F("task_struct", "thread_pid", off_task_thread_pid),
                F("pid", "level", off_pid_level),
                F("pid", "numbers", off_pid_numbers),
                F("upid", "ns", off_upid_ns),
                F("pid_namespace", "ns.inum", off_pidns_inum),
                F("pt_regs", "bx", off_regs[0]),
                F("pt_regs", "cx", off_regs[1]),
                F("pt_regs", "dx", off_regs[2]),
                F("pt_regs", "si", off_regs[3]),
                F("pt_regs", "di", off_regs[4]),
                F("pt_regs", "bp", off_regs[5]),
                F("pt_regs", "r8", off_regs[6]),
                F("pt_regs", "r9", off_regs[7]),
                F("pt_regs", "r10", off_regs[8]),
#undef F
        };
        sf_btf *btf = NULL;
        int r = sf_btf_open(NULL, &btf, err);
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(fields); i++) {
                uint32_t off;
                r = sf_btf_field_offset(btf, fields[i].type, fields[i].field, &off, err);
                if (r == 0)
                        memcpy((char *)ro + fields[i].at, &off, sizeof(off));
        }
        uint32_t size = 0;
        if (r == 0 && (r = sf_btf_struct_size(btf, "upid", &size, err)) == 0)
                ro->size_upid = size;
        sf_btf_free(btf);
        return r;
}

/* The kernel's pid_max: thread ids stay below it (at most 4M, PID_MAX_LIMIT). */
static size_t pid_max(void)
{
        char buf[32] = "";
        _cleanup_close_ int fd = open("/proc/sys/kernel/pid_max", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        uint64_t v;
        if (n > 0)
                buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        if (n <= 0 || sf_parse_u64(buf, 10, &v) < 0 || v > 4194304)
                return 4194304;
        return v < 64 ? 64 : (size_t)v;
}

static size_t tree_bytes(const sf_ebpf_recorder *rec)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        return (rec->tree_words * sizeof(uint64_t) + page - 1) / page * page;
}

SF_EXPORT bool sf_ebpf_recorder_supported(void)
{
        return true;
}

SF_EXPORT int sf_ebpf_recorder_new(const sf_record_opts *opts, sf_ebpf_recorder **ret, sf_error **err)
{
        sf_ebpf_recorder *rec = calloc(1, sizeof(*rec));
        if (!rec)
                return sf_error_set(err, ENOMEM, "out of memory");
        rec->pidfd = -1;
        rec->fail_fd = -1;
        rec->from_exec = opts ? opts->count_from_exec : 0;
        int r = sf_record_new(opts, &rec->rec, err);
        if (r < 0) {
                free(rec);
                return r;
        }
        libbpf_set_print(libbpf_quiet);
        libbpf_last[0] = '\0';
        rec->skel = sf_record_bpf__open();
        if (!rec->skel) {
                r = sf_error_set_errno(err, errno, "cannot open the eBPF recorder's program%s%s",
                                       libbpf_last[0] ? ": " : "", libbpf_last);
                sf_ebpf_recorder_free(rec);
                return r;
        }
        r = set_offsets(rec->skel->rodata, err);
        if (r < 0) {
                sf_error_wrap(err, "the eBPF recorder needs the kernel's BTF");
                sf_ebpf_recorder_free(rec);
                return r;
        }
        /* the value map costs memory only when arguments are kept */
        bpf_map__set_max_entries(rec->skel->maps.values, rec->rec->n_specs ? VALUES_MAX : 1);
        *ret = rec;
        return 0;
}

/* Loads and attaches the program for one way of recording: what the mode
 * does not use is neither verified nor attached.  ns_inum and ns_level name
 * the pid namespace of MODE_PIDNS. */
static int start(sf_ebpf_recorder *rec, uint32_t mode, uint32_t ns_inum, uint32_t ns_level, sf_error **err)
{
        struct sf_record_bpf *skel = rec->skel;
        skel->rodata->mode = mode;
        skel->rodata->ns_inum = ns_inum;
        skel->rodata->ns_level = ns_level;
        skel->rodata->keep_args = rec->rec->n_specs > 0;
        int execve_nr = sf_syscall_nr(SF_ARCH_X86_64, "execve");
        skel->rodata->execve_slot = SLOT_X86_64 * NR_SLOTS + (uint32_t)(execve_nr >= 0 ? execve_nr : 0);
        /* a bit for every thread id the kernel hands out now */
        rec->tree_words = mode == MODE_TREE ? (pid_max() + 63) / 64 : 1;
        bpf_map__set_max_entries(skel->maps.tree, (uint32_t)rec->tree_words);
        bool gated = mode == MODE_PIDNS && rec->from_exec > 0;
        if (mode != MODE_TREE) {
                bpf_program__set_autoload(skel->progs.sched_process_fork, false);
                bpf_program__set_autoload(skel->progs.sched_process_exit, false);
                bpf_program__set_autoload(skel->progs.sched_process_exec, gated);
        }
        libbpf_last[0] = '\0';
        if (sf_record_bpf__load(skel) < 0) {
                int e = errno;
                /* EACCES is the verifier's; EPERM the missing privilege */
                if (e == EPERM)
                        return sf_error_set(err, EPERM,
                                            "the eBPF recorder needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN): cannot load its BPF program: %s",
                                            strerror(e));
                return sf_error_set_errno(err, e, "cannot load the eBPF recorder's program%s%s",
                                          libbpf_last[0] ? "; libbpf: " : "", libbpf_last);
        }
        void *m = mmap(NULL, tree_bytes(rec), PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(skel->maps.tree), 0);
        if (m == MAP_FAILED)
                return sf_error_set_errno(err, errno, "cannot map the eBPF recorder's task bitmap");
        rec->tree = m;
        /* Which argument each (arch, number) keeps, where the arch has the syscall. */
        for (size_t i = 0; i < rec->rec->n_specs; i++)
                for (int a = 0; a < N_SLOT_ARCH; a++) {
                        int nr = sf_syscall_nr(slot_arch[a], rec->rec->specs[i].name);
                        if (nr < 0)
                                continue;
                        long idx = (long)nr & ~SF_X32_BIT;
                        if (idx < NR_SLOTS)
                                skel->bss->arg_index[a * NR_SLOTS + idx] = (uint8_t)(rec->rec->specs[i].index + 1);
                }
        if (gated)
                skel->bss->start_tid = (uint32_t)rec->from_exec;
        if (sf_record_bpf__attach(skel) < 0) {
                int e = errno;
                return sf_error_set_errno(err, e, "cannot attach the eBPF recorder's program to the syscall tracepoints%s",
                                          e == EPERM || e == EACCES ? " (it needs root)" : "");
        }
        return 0;
}

SF_EXPORT void sf_ebpf_recorder_free(sf_ebpf_recorder *rec)
{
        if (!rec)
                return;
        /* A started command does not outlive a recorder that never waited for it. */
        if (rec->mode == RUN_SPAWN && !rec->main_done && rec->pid > 0) {
                kill(rec->pid, SIGKILL);
                while (waitpid(rec->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        if (rec->tree)
                munmap(rec->tree, tree_bytes(rec));
        sf_record_bpf__destroy(rec->skel);
        free(rec->announced);
        if (rec->pidfd >= 0)
                close(rec->pidfd);
        if (rec->fail_fd >= 0)
                close(rec->fail_fd);
        sf_record_free(rec->rec);
        free(rec);
}

SF_EXPORT const sf_record *sf_ebpf_recorder_record(const sf_ebpf_recorder *rec)
{
        return rec->rec;
}

/* Adds a task to the tree: its bit, which the per-syscall check reads. */
static int track(sf_ebpf_recorder *rec, pid_t tid)
{
        uint32_t key = (uint32_t)tid;
        if (key / 64 >= rec->tree_words)
                return -ERANGE;
        __atomic_fetch_or(&rec->tree[key / 64], UINT64_C(1) << (key % 64), __ATOMIC_SEQ_CST);
        return 0;
}

static bool tracked(const sf_ebpf_recorder *rec, uint32_t tid)
{
        return tid / 64 < rec->tree_words && (__atomic_load_n(&rec->tree[tid / 64], __ATOMIC_SEQ_CST) >> (tid % 64)) & 1;
}

static void untrack(sf_ebpf_recorder *rec, uint32_t tid)
{
        if (tid / 64 < rec->tree_words)
                __atomic_fetch_and(&rec->tree[tid / 64], ~(UINT64_C(1) << (tid % 64)), __ATOMIC_SEQ_CST);
}

/* --- starting a command ---------------------------------------------------------- */

/* In the child, between fork and exec: only async-signal-safe calls.  The
 * recording starts when its execve succeeds: the program adds the task then. */
static _Noreturn void child_exec(const char *path, char *const argv[], int sync_fd, int fail_fd)
{
        char c;
        /* the parent closes its end once it waits for our exec (or kills us) */
        while (read(sync_fd, &c, 1) < 0 && errno == EINTR)
                ;
        execve(path, argv, environ);
        int e = errno;
        ssize_t n = write(fail_fd, &e, sizeof(e));
        (void)n;
        _exit(127);
}

SF_EXPORT int sf_ebpf_recorder_spawn(sf_ebpf_recorder *rec, char *const argv[], sf_error **err)
{
        if (rec->mode != RUN_NONE)
                return sf_error_set(err, EBUSY, "the recorder is already recording");
        _cleanup_free_ char *path = NULL;
        int r = sf_spawn_path(argv, &path, err);
        if (r == 0)
                r = start(rec, MODE_TREE, 0, 0, err);
        if (r < 0)
                return r;
        int sync[2], fail[2];
        sigset_t old;
        pid_t pid = sf_spawn_fork(&rec->interrupts, sync, fail, &old, err);
        if (pid < 0)
                return pid;
        if (pid == 0)
                child_exec(path, argv, sync[0], fail[1]);
        rec->fail_fd = fail[0];
        rec->pid = pid;
        rec->mode = RUN_SPAWN;
        rec->pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* O_CLOEXEC by design */
        if ((uint32_t)pid / 64 >= rec->tree_words) {
                kill(pid, SIGKILL); /* never run unrecorded */
                close(sync[1]);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                rec->main_done = true;
                sf_signals_restore(&old);
                return sf_error_set(err, ERANGE, "process id %d is above the kernel's pid_max", (int)pid);
        }
        __atomic_store_n(&rec->skel->bss->pending_tid, (uint32_t)pid, __ATOMIC_SEQ_CST);
        close(sync[1]); /* go */
        sf_signals_restore(&old);
        return 0;
}

/* --- a running tree ------------------------------------------------------------------ */

/* Adds every thread of pid, then its children's trees: a task is added before
 * its children are listed, so a child forked meanwhile is added by the kernel
 * half or found in the list. */
typedef struct track_ctx {
        sf_ebpf_recorder *rec;
        unsigned depth;
        sf_error **err;
} track_ctx;

static int track_tree(sf_ebpf_recorder *rec, pid_t pid, unsigned depth, sf_error **err);

static int track_child(void *ctx, pid_t child)
{
        track_ctx *c = ctx;
        return track_tree(c->rec, child, c->depth, c->err);
}

static int track_tree(sf_ebpf_recorder *rec, pid_t pid, unsigned depth, sf_error **err)
{
        char dir[64];
        snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
        bool again = true;
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
                        if (tracked(rec, (uint32_t)tid))
                                continue;
                        int r = track(rec, (pid_t)tid);
                        if (r < 0) {
                                closedir(d);
                                return sf_error_set_errno(err, -r, "cannot add task %d to the recorded tasks",
                                                          (int)tid);
                        }
                        /* threads made by a thread not yet added: list again */
                        again = true;
                }
                closedir(d);
        }
        if (depth >= ATTACH_MAX_DEPTH)
                return 0;
        track_ctx c = { rec, depth + 1, err };
        return sf_proc_each_child(pid, track_child, &c);
}

SF_EXPORT int sf_ebpf_recorder_attach(sf_ebpf_recorder *rec, pid_t pid, sf_error **err)
{
        if (rec->mode != RUN_NONE)
                return sf_error_set(err, EBUSY, "the recorder is already recording");
        if (pid <= 0)
                return sf_error_set(err, EINVAL, "no process %d", (int)pid);
        if (pid == getpid())
                return sf_error_set(err, EINVAL, "cannot record the recorder itself");
        rec->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (rec->pidfd < 0)
                return sf_error_set_errno(err, errno, "no process %d", (int)pid);
        int r = start(rec, MODE_TREE, 0, 0, err);
        if (r < 0)
                return r;
        rec->pid = pid;
        rec->mode = RUN_ATTACH;
        r = track_tree(rec, pid, 0, err);
        if (r < 0) {
                rec->mode = RUN_NONE;
                return r;
        }
        return 0;
}

/* --- a pid namespace --------------------------------------------------------------------- */

/* The depth of the pid namespace of fd below ours (the initial one): how many
 * parents NS_GET_PARENT walks up before it reaches ours (then EPERM). */
static int pidns_depth(int fd, unsigned *ret)
{
        unsigned depth = 0;
        _cleanup_close_ int cur = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (cur < 0)
                return -errno;
        for (;;) {
                int parent = ioctl(cur, NS_GET_PARENT);
                if (parent < 0)
                        break;
                close(cur);
                cur = parent;
                if (++depth > 32)
                        return -ELOOP;
        }
        if (errno != EPERM)
                return -errno;
        *ret = depth;
        return 0;
}

/* The namespace whose inode is ns_inode, by scanning /proc for a process in it
 * (no other way opens a namespace by number): its depth. */
static int pidns_depth_of_inode(uint64_t ns_inode, unsigned *ret)
{
        DIR *d = opendir("/proc");
        if (!d)
                return -errno;
        struct dirent *de;
        int r = -ESRCH;
        while (r == -ESRCH && (de = readdir(d))) {
                uint64_t pid;
                if (sf_parse_u64(de->d_name, 10, &pid) < 0 || pid > INT32_MAX)
                        continue;
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0 || st.st_ino != ns_inode)
                        continue;
                r = pidns_depth(fd, ret);
        }
        closedir(d);
        return r;
}

static int watch_pidns(sf_ebpf_recorder *rec, uint64_t ns_inode, unsigned depth, pid_t until, sf_error **err)
{
        if (until > 0) {
                rec->pidfd = (int)syscall(SYS_pidfd_open, until, 0);
                if (rec->pidfd < 0)
                        return sf_error_set_errno(err, errno, "no process %d", (int)until);
                rec->pid = until;
        }
        int r = start(rec, MODE_PIDNS, (uint32_t)ns_inode, depth, err);
        if (r < 0)
                return r;
        rec->mode = RUN_PIDNS;
        return 0;
}

SF_EXPORT int sf_ebpf_recorder_pidns(sf_ebpf_recorder *rec, uint64_t ns_inode, pid_t until, sf_error **err)
{
        if (rec->mode != RUN_NONE)
                return sf_error_set(err, EBUSY, "the recorder is already recording");
        if (ns_inode == 0 || ns_inode > UINT32_MAX)
                return sf_error_set(err, EINVAL, "%ju is not a pid namespace's inode", (uintmax_t)ns_inode);
        unsigned depth = 0;
        int r = pidns_depth_of_inode(ns_inode, &depth);
        if (r == -ESRCH)
                return sf_error_set(err, ESRCH, "no process is in pid namespace %ju", (uintmax_t)ns_inode);
        if (r < 0)
                return sf_error_set_errno(err, -r, "cannot tell the depth of pid namespace %ju", (uintmax_t)ns_inode);
        return watch_pidns(rec, ns_inode, depth, until, err);
}

SF_EXPORT int sf_ebpf_recorder_pidns_of(sf_ebpf_recorder *rec, pid_t pid, sf_error **err)
{
        if (pid <= 0)
                return sf_error_set(err, EINVAL, "no process %d", (int)pid);
        if (rec->mode != RUN_NONE)
                return sf_error_set(err, EBUSY, "the recorder is already recording");
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                if (errno == ENOENT)
                        return sf_error_set(err, ESRCH, "no process %d", (int)pid);
                return sf_error_set_errno(err, errno, "%s: cannot read the pid namespace", path);
        }
        char self[64];
        snprintf(self, sizeof(self), "/proc/%d/ns/pid", (int)getpid());
        struct stat mine;
        if (stat(self, &mine) == 0 && mine.st_ino == st.st_ino)
                return sf_error_set(err, EINVAL,
                                    "process %d is in the recorder's own pid namespace: give a process of a container (or use --pid)",
                                    (int)pid);
        unsigned depth = 0;
        int r = pidns_depth(fd, &depth);
        if (r < 0)
                return sf_error_set_errno(err, -r, "%s: cannot tell the depth of the pid namespace", path);
        return watch_pidns(rec, st.st_ino, depth, pid, err);
}

/* --- waiting --------------------------------------------------------------------------------- */

SF_EXPORT void sf_ebpf_recorder_interrupt(sf_ebpf_recorder *rec, int sig)
{
        /* async-signal-safe: a counter, and one syscall */
        int n = rec->interrupts + 1;
        rec->interrupts = n;
        if (rec->mode == RUN_SPAWN && rec->pidfd >= 0) {
                if (n == 1 && sig > 0)
                        syscall(SYS_pidfd_send_signal, rec->pidfd, sig, NULL, 0);
                else if (n >= 2)
                        syscall(SYS_pidfd_send_signal, rec->pidfd, SIGKILL, NULL, 0);
        }
}

/* Every task still tracked gets sig; tasks gone without an exit event (none
 * should be) are dropped.  Returns how many remain. */
static size_t signal_tracked(sf_ebpf_recorder *rec, int sig)
{
        size_t n = 0;
        for (size_t w = 0; w < rec->tree_words; w++) {
                uint64_t bits = __atomic_load_n(&rec->tree[w], __ATOMIC_SEQ_CST);
                while (bits) {
                        uint32_t tid = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
                        bits &= bits - 1;
                        if (kill((pid_t)tid, sig) < 0 && errno == ESRCH) {
                                untrack(rec, tid);
                                continue;
                        }
                        n++;
                }
        }
        return n;
}

static void nap(long ms)
{
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL); /* a signal cuts it short: fine */
}

static int child_failed(sf_ebpf_recorder *rec, sf_error **err)
{
        if (rec->fail_fd < 0)
                return 0;
        int e;
        ssize_t n;
        while ((n = read(rec->fail_fd, &e, sizeof(e))) < 0 && errno == EINTR)
                ;
        close(rec->fail_fd);
        rec->fail_fd = -1;
        if (n != (ssize_t)sizeof(e))
                return 0;
        return sf_error_set_errno(err, e, "cannot execute the command");
}

/* Feeds n calls of (audit_arch, nr) to the record; the first through
 * sf_record_add (which makes the table and reports the new syscall), the rest
 * straight into its count. */
static int add_calls(sf_record *r, uint32_t audit_arch, long nr, uint64_t n)
{
        if (n == 0)
                return 0;
        int rr = sf_record_add(r, audit_arch, nr, NULL);
        if (rr < 0 || n == 1)
                return rr;
        sf_arch a = sf_arch_from_audit(audit_arch);
        if (a == SF_ARCH_X86_64 && nr >= 0 && (nr & SF_X32_BIT))
                a = SF_ARCH_X32;
        long idx = a == SF_ARCH_X32 ? (nr & ~SF_X32_BIT) : nr;
        if (a != SF_ARCH_NONE && r->arch[a].count && nr >= 0 && (size_t)idx < r->arch[a].n) {
                r->arch[a].count[idx] += n - 1;
                r->total += n - 1;
                return 0;
        }
        for (uint64_t i = 1; i < n; i++)
                if ((rr = sf_record_add(r, audit_arch, nr, NULL)) < 0)
                        return rr;
        return 0;
}

static int cmp_value_key(const void *x, const void *y)
{
        const struct value_key *a = x, *b = y;
        if (a->slot != b->slot)
                return a->slot < b->slot ? -1 : 1;
        return a->value < b->value ? -1 : a->value > b->value;
}

/* Every slot's per-CPU counts, summed into sums[N_SLOTS].  -errno. */
static int read_counts(sf_ebpf_recorder *rec, uint64_t *sums)
{
        int ncpu = libbpf_num_possible_cpus();
        if (ncpu <= 0)
                return ncpu < 0 ? ncpu : -EINVAL;
        _cleanup_free_ uint64_t *all = calloc((size_t)N_SLOTS * (size_t)ncpu, sizeof(*all));
        if (!all)
                return -ENOMEM;
        uint32_t zero = 0;
        if (bpf_map_lookup_elem(bpf_map__fd(rec->skel->maps.counts), &zero, all) < 0)
                return -errno;
        memset(sums, 0, N_SLOTS * sizeof(*sums));
        for (int c = 0; c < ncpu; c++)
                for (size_t slot = 0; slot < N_SLOTS; slot++)
                        sums[slot] += all[(size_t)c * N_SLOTS + slot];
        return 0;
}

static long slot_nr(uint32_t slot)
{
        long nr = (long)(slot % NR_SLOTS);
        return slot / NR_SLOTS == SLOT_X32 ? nr | SF_X32_BIT : nr;
}

/* Live -v: the record's on_new for each syscall seen since the last look
 * (the record itself is filled once, at the end). */
static void announce_new(sf_ebpf_recorder *rec)
{
        sf_record *r = rec->rec;
        if (!r->on_new || rec->collected)
                return;
        if (!rec->announced && !(rec->announced = calloc(N_SLOTS, 1)))
                return;
        _cleanup_free_ uint64_t *sums = calloc(N_SLOTS, sizeof(*sums));
        if (!sums || read_counts(rec, sums) < 0)
                return;
        for (uint32_t slot = 0; slot < N_SLOTS; slot++) {
                if (!sums[slot] || rec->announced[slot])
                        continue;
                rec->announced[slot] = 1;
                sf_arch a = slot_arch[slot / NR_SLOTS];
                long nr = slot_nr(slot);
                r->on_new(r->ctx, a, nr, sf_syscall_name(a, (int)nr));
        }
}

/* The maps into the record, once. */
static int collect(sf_ebpf_recorder *rec, sf_error **err)
{
        if (rec->collected)
                return 0;
        rec->collected = true;
        static const uint32_t audit[N_SLOT_ARCH] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64 };
        sf_record *r = rec->rec;
        /* the argument values, sorted by slot */
        _cleanup_free_ struct value_key *vals = NULL;
        size_t n_vals = 0, cap_vals = 0;
        if (r->n_specs) {
                int fd = bpf_map__fd(rec->skel->maps.values);
                struct value_key key, next, *prev = NULL;
                while (bpf_map_get_next_key(fd, prev, &next) == 0) {
                        if (n_vals == cap_vals) {
                                size_t cap = cap_vals ? cap_vals * 2 : 64;
                                struct value_key *v = realloc(vals, cap * sizeof(*v));
                                if (!v)
                                        return sf_error_set(err, ENOMEM, "out of memory");
                                vals = v;
                                cap_vals = cap;
                        }
                        vals[n_vals++] = next;
                        key = next;
                        prev = &key;
                }
                qsort(vals, n_vals, sizeof(*vals), cmp_value_key);
        }

        _cleanup_free_ uint64_t *sums = calloc(N_SLOTS, sizeof(*sums));
        if (!sums)
                return sf_error_set(err, ENOMEM, "out of memory");
        int rc = read_counts(rec, sums);
        if (rc < 0)
                return sf_error_set_errno(err, -rc, "cannot read the recorded counts");
        /* what live -v showed already is not shown again */
        void (*on_new)(void *, sf_arch, long, const char *) = r->on_new;
        size_t v = 0;
        for (uint32_t slot = 0; slot < N_SLOTS; slot++) {
                uint64_t count = sums[slot];
                while (v < n_vals && vals[v].slot < slot)
                        v++;
                if (!count)
                        continue;
                int arch = (int)(slot / NR_SLOTS);
                long nr = slot_nr(slot);
                r->on_new = rec->announced && rec->announced[slot] ? NULL : on_new;
                uint64_t done = 0;
                unsigned index = 0;
                for (size_t i = 0; i < r->n_specs; i++)
                        if (rec->skel->bss->arg_index[slot] == r->specs[i].index + 1)
                                index = r->specs[i].index;
                /* one call per value seen, with that value, then the rest */
                for (; v < n_vals && vals[v].slot == slot; v++) {
                        uint64_t args[6] = { 0 };
                        args[index] = vals[v].value;
                        int rr = sf_record_add(r, audit[arch], nr, args);
                        if (rr < 0) {
                                r->on_new = on_new;
                                return sf_error_set(err, -rr, "out of memory");
                        }
                        done++;
                }
                if (count > done && add_calls(r, audit[arch], nr, count - done) < 0) {
                        r->on_new = on_new;
                        return sf_error_set(err, ENOMEM, "out of memory");
                }
        }
        r->on_new = on_new;

        int fd = bpf_map__fd(rec->skel->maps.odd);
        struct odd_key okey, onext, *oprev = NULL;
        while (bpf_map_get_next_key(fd, oprev, &onext) == 0) {
                uint64_t count = 0;
                if (bpf_map_lookup_elem(fd, &onext, &count) == 0 && onext.arch < N_SLOT_ARCH &&
                    add_calls(r, audit[onext.arch], (long)onext.nr, count) < 0)
                        return sf_error_set(err, ENOMEM, "out of memory");
                okey = onext;
                oprev = &okey;
        }

        /* never a silent gap */
        if (rec->skel->bss->values_full)
                for (size_t i = 0; i < r->n_specs; i++)
                        r->specs[i].overflow = true;
        if (rec->skel->bss->track_full)
                return sf_error_set(err, E2BIG,
                                    "a task got a thread id of %zu or more (the kernel's pid_max was raised while recording): some calls were not recorded",
                                    rec->tree_words * 64);
        if (rec->skel->bss->odd_full)
                return sf_error_set(err, E2BIG,
                                    "more than 1024 distinct out-of-range syscall numbers: some were not recorded");
        return 0;
}

static int wait_spawned(sf_ebpf_recorder *rec, sf_error **err)
{
        unsigned naps = 0;
        for (;;) {
                sig_atomic_t n = rec->interrupts;
                bool new_interrupt = n != rec->handled;
                rec->handled = n;
                if (!rec->main_done) {
                        if (n >= 2 && new_interrupt)
                                signal_tracked(rec, SIGKILL);
                        int status;
                        if (rec->rec->on_new && rec->pidfd >= 0) {
                                /* live -v: look at the counts while it runs */
                                struct pollfd pf = { .fd = rec->pidfd, .events = POLLIN };
                                if (poll(&pf, 1, 200) == 0)
                                        announce_new(rec);
                        }
                        pid_t p = waitpid(rec->pid, &status, rec->rec->on_new ? WNOHANG : 0);
                        if (p == 0)
                                continue;
                        if (p < 0) {
                                if (errno == EINTR)
                                        continue;
                                return sf_error_set_errno(err, errno, "cannot wait for the command");
                        }
                        rec->main_done = true;
                        rec->main_status = status;
                        int f = child_failed(rec, err);
                        if (f < 0)
                                return f;
                        continue;
                }
                /* The command is gone; what it left running is still recorded,
                 * until it ends or an interrupt kills it. */
                if (signal_tracked(rec, n > 0 ? SIGKILL : 0) == 0)
                        return 0;
                nap(20);
                if (++naps % 10 == 0)
                        announce_new(rec);
        }
}

static int wait_other(sf_ebpf_recorder *rec)
{
        /* until an interrupt, or the end of the process given */
        while (rec->interrupts == 0) {
                if (rec->pidfd >= 0) {
                        struct pollfd p = { .fd = rec->pidfd, .events = POLLIN };
                        if (poll(&p, 1, 200) > 0)
                                return 0;
                } else {
                        nap(200);
                }
                announce_new(rec);
        }
        return 0;
}

SF_EXPORT int sf_ebpf_recorder_wait(sf_ebpf_recorder *rec, int *ret_status, sf_error **err)
{
        if (rec->mode == RUN_NONE)
                return sf_error_set(err, EINVAL, "nothing is recorded");
        int r = rec->mode == RUN_SPAWN ? wait_spawned(rec, err) : wait_other(rec);
        /* stop counting before reading */
        sf_record_bpf__detach(rec->skel);
        if (r < 0)
                return r;
        r = collect(rec, err);
        if (r < 0)
                return r;
        if (rec->mode != RUN_SPAWN)
                return 1;
        if (ret_status)
                *ret_status = rec->main_status;
        return 0;
}

#else /* !SF_HAVE_EBPF */

#define NO_EBPF "this sysfence was built without the eBPF recorder (it needs libbpf, clang and bpftool at build time: meson setup -Debpf=enabled)"

SF_EXPORT bool sf_ebpf_recorder_supported(void)
{
        return false;
}

SF_EXPORT int sf_ebpf_recorder_new(const sf_record_opts *opts, sf_ebpf_recorder **ret, sf_error **err)
{
        (void)opts;
        (void)ret;
        return sf_error_set(err, EOPNOTSUPP, NO_EBPF);
}

SF_EXPORT void sf_ebpf_recorder_free(sf_ebpf_recorder *rec)
{
        (void)rec;
}

SF_EXPORT int sf_ebpf_recorder_spawn(sf_ebpf_recorder *rec, char *const argv[], sf_error **err)
{
        (void)rec;
        (void)argv;
        return sf_error_set(err, EOPNOTSUPP, NO_EBPF);
}

SF_EXPORT int sf_ebpf_recorder_attach(sf_ebpf_recorder *rec, pid_t pid, sf_error **err)
{
        (void)rec;
        (void)pid;
        return sf_error_set(err, EOPNOTSUPP, NO_EBPF);
}

SF_EXPORT int sf_ebpf_recorder_pidns(sf_ebpf_recorder *rec, uint64_t ns_inode, pid_t until, sf_error **err)
{
        (void)rec;
        (void)ns_inode;
        (void)until;
        return sf_error_set(err, EOPNOTSUPP, NO_EBPF);
}

SF_EXPORT int sf_ebpf_recorder_pidns_of(sf_ebpf_recorder *rec, pid_t pid, sf_error **err)
{
        (void)rec;
        (void)pid;
        return sf_error_set(err, EOPNOTSUPP, NO_EBPF);
}

SF_EXPORT int sf_ebpf_recorder_wait(sf_ebpf_recorder *rec, int *ret_status, sf_error **err)
{
        (void)rec;
        (void)ret_status;
        return sf_error_set(err, EOPNOTSUPP, NO_EBPF);
}

SF_EXPORT void sf_ebpf_recorder_interrupt(sf_ebpf_recorder *rec, int sig)
{
        (void)rec;
        (void)sig;
}

SF_EXPORT const sf_record *sf_ebpf_recorder_record(const sf_ebpf_recorder *rec)
{
        (void)rec;
        return NULL;
}

#endif
