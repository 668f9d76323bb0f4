/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence — recording what a program does, and turning it into a profile.
 *
 * The ptrace recorder starts a command, or attaches to a running process tree,
 * and counts every syscall each task makes, per arch, with the distinct values
 * of chosen arguments.  A command it starts runs under a filter that returns
 * SECCOMP_RET_TRACE for every syscall, installed just before its execve: one
 * stop per syscall, none missed from the execve on, and it needs no privilege.
 * No filter can be added to another process, so an attached tree is traced with
 * PTRACE_SYSCALL instead (two stops per syscall).
 *
 * The eBPF recorder (root) counts the same in the kernel without stopping anything.
 *
 * The observations (an sf_record) turn into a profile that allows what was seen
 * and nothing else, and into the call counts the compiler's --hot reads.
 */
#ifndef SYSFENCE_RECORD_H
#define SYSFENCE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sysfence/arch.h>
#include <sysfence/diag.h>
#include <sysfence/error.h>
#include <sysfence/profile.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Distinct values kept per recorded argument; beyond it the syscall is allowed
 * without a condition, and synthesis warns. */
#define SF_RECORD_MAX_VALUES 256

/* Where the recorder and the traced tree run.  A tracer and its tracee on one
 * CPU hand over without a cross-CPU wake-up, which makes each stop several
 * times cheaper; but the tree then sees one CPU in sched_getaffinity (nproc,
 * sort --parallel, thread pools sized from it) and may make other syscalls. */
typedef enum sf_record_pin {
        SF_RECORD_PIN_NONE = 0, /* leave the scheduler alone */
        SF_RECORD_PIN_TRACER,   /* only the recorder, on the CPU it runs on */
        SF_RECORD_PIN_ALL,      /* the recorder and the tree, on `cpu` */
} sf_record_pin;

/* How a started command is followed (an attached tree is always traced with
 * PTRACE_SYSCALL). */
typedef enum sf_record_method {
        SF_RECORD_AUTO = 0,    /* PTRACE: exact whatever signals the tree gets */
        SF_RECORD_NOTIFY,      /* a filter that returns SECCOMP_RET_USER_NOTIF for every call;
                                * the recorder reads each call from the listener and lets it
                                * go on (SECCOMP_USER_NOTIF_FLAG_CONTINUE); on Linux >= 6.6 the
                                * hand-over stays on one CPU, several times cheaper than a
                                * ptrace stop.  The tree cannot load a filter with a listener
                                * of its own (EBUSY).  While recording, the calling process is
                                * a child subreaper (orphans of the tree come to it), and
                                * killing the tree (a second interrupt, or freeing the
                                * recorder early) kills every child of the caller.  A call
                                * waiting for its notification fails with EINTR if a signal
                                * with a handler without SA_RESTART comes first (a shell's
                                * fork under SIGCHLD, measured: 1 run in 2 of 400 background
                                * jobs); WAIT_KILLABLE_RECV closes that once the recorder
                                * has the notification, not before */
        SF_RECORD_PTRACE,      /* a filter that returns SECCOMP_RET_TRACE: a ptrace stop per call */
} sf_record_method;

typedef struct sf_record_opts {
        /* Syscalls whose argument values to keep, as "NAME" (a syscall with a
         * known interesting argument: socket, socketpair, personality, clone,
         * unshare, setns, ioctl, prctl, fcntl, arch_prctl) or "NAME:INDEX". */
        const char *const *args;
        size_t n_args;
        sf_record_pin pin;
        unsigned cpu;           /* for SF_RECORD_PIN_ALL */
        sf_record_method method;
        /* Called (from the recorder's loop, not a signal handler) the first time
         * a syscall is seen on an arch; name is NULL when the table lacks nr. */
        void (*on_new)(void *ctx, sf_arch arch, long nr, const char *name);
        void *ctx;
        /* Attaching (ptrace) or recording a pid namespace (eBPF): nothing is
         * counted until process count_from_exec (0: none) succeeds in an
         * execve, which is counted as the first call.  A container runtime's
         * init ends its setup (mounts, pivot_root, sethostname, the filter)
         * with the execve of the workload. */
        pid_t count_from_exec;
} sf_record_opts;

/* --- the observations ------------------------------------------------------------ */

typedef struct sf_record sf_record;

typedef struct sf_record_entry {
        sf_arch arch;           /* SF_ARCH_NONE for an arch the tables do not know */
        uint32_t audit_arch;
        long nr;                /* as the kernel numbers it (x32: with 0x40000000) */
        const char *name;       /* static; NULL when the table lacks nr */
        uint64_t count;
} sf_record_entry;

/* An empty record that keeps the arguments opts->args names (opts may be NULL). */
int sf_record_new(const sf_record_opts *opts, sf_record **ret, sf_error **err);
void sf_record_free(sf_record *r);
/* Counts one syscall as seccomp_data describes it.  -ENOMEM at worst; the
 * record stays usable (the call is then not counted). */
int sf_record_add(sf_record *r, uint32_t audit_arch, long nr, const uint64_t args[6]);
/* Every (arch, syscall) seen, sorted by arch then number; malloc'd. */
int sf_record_entries(const sf_record *r, sf_record_entry **ret, size_t *ret_n, sf_error **err);
/* Calls seen in all. */
uint64_t sf_record_total(const sf_record *r);
/* The distinct values kept for args[i] (in the order given), ascending; *ret_overflow
 * when more than SF_RECORD_MAX_VALUES were seen.  False when i is out of range. */
bool sf_record_arg_values(const sf_record *r, size_t i, const char **ret_name, unsigned *ret_index,
                          const uint64_t **ret_values, size_t *ret_n, bool *ret_overflow);

/* "NAME COUNT" lines, counts summed over arches, most frequent first (then by
 * name): the format 'compile --hot' reads. */
int sf_record_hot(const sf_record *r, char **ret_text, sf_error **err);

typedef struct sf_synth_opts {
        sf_action_kind default_action; /* SF_ACT_ERRNO (EPERM), SF_ACT_KILL_PROCESS, SF_ACT_LOG, … */
        uint32_t default_errno;        /* for SF_ACT_ERRNO; 0 means EPERM */
        sf_format format;              /* SF_FORMAT_DOCKER, SF_FORMAT_OCI or SF_FORMAT_CRD */
        const char *name;              /* names the profile (CRD metadata.name is made from it) */
        const char *base;              /* NULL or "none", "runc", "crun": that runtime's base set is added */
        bool base_by_name;             /* SF_FORMAT_CRD with a base: name it in spec.baseProfileName
                                        * ("runc-v1.1.5", as the operator's recorder does) and hold only
                                        * the workload's syscalls, instead of the union */
} sf_synth_opts;

/* The profile that allows what r saw: the arches seen, one ALLOW rule with the
 * names seen (sorted), and for each recorded argument one ALLOW rule per value
 * seen (SCMP_CMP_EQ; MASKED_EQ for clone's and unshare's namespace flags).
 * Canonical and byte-for-byte deterministic.  Warnings (a syscall the tables
 * cannot name, too many values) go to diags (may be NULL). */
int sf_record_to_profile(const sf_record *r, const sf_synth_opts *opts, char **ret_text, sf_diags *diags,
                         sf_error **err);

/* The runtimes whose base sets are built in ("runc", "crun"); NULL at the end.
 * sf_record_base() gives the names of one (NULL-terminated), NULL if unknown. */
const char *sf_record_base_name(size_t i);
const char *const *sf_record_base(const char *runtime);

/* --- the recorder ------------------------------------------------------------------ */

typedef struct sf_recorder sf_recorder;

int sf_recorder_new(const sf_record_opts *opts, sf_recorder **ret, sf_error **err);
void sf_recorder_free(sf_recorder *rec);

/* The method a started command is (or would be) followed with: never AUTO. */
sf_record_method sf_recorder_method(const sf_recorder *rec);
/* Starts argv (argv[0] is searched in PATH) traced.  It does not run before
 * sf_recorder_wait(); "command not found" fails here with -ENOENT, and -EINTR
 * says sf_recorder_interrupt() came first: nothing was started.  The child
 * runs none of the caller's signal handlers, and a signal that comes while it
 * starts waits until sf_recorder_interrupt() can pass it on. */
int sf_recorder_spawn(sf_recorder *rec, char *const argv[], sf_error **err);
/* Attaches to every thread of process pid and of its descendants. */
int sf_recorder_attach(sf_recorder *rec, pid_t pid, sf_error **err);

/* Traces until every traced task is gone or, after sf_recorder_interrupt(),
 * until the tree has stopped or been let go.  Returns 0 and the wait status of
 * the command (or of the attached process) in *ret_status when it ended, 1 when
 * the recorder detached with it still running.  A command that could not be
 * executed fails here (-ENOENT, -EACCES, …; the record then holds nothing of
 * it).  The observations stay in the recorder either way. */
int sf_recorder_wait(sf_recorder *rec, int *ret_status, sf_error **err);

/* Asks the recorder to stop; async-signal-safe (call it from a handler that is
 * installed without SA_RESTART, so that the recorder's wait is interrupted).
 * A started command: the first call passes sig to it (0: it already has the
 * signal, as a terminal's ^C reaches the whole process group) and tracing goes
 * on, so its way out is recorded too; a second call kills the whole tree.  An
 * attached tree: every task is detached and goes on running. */
void sf_recorder_interrupt(sf_recorder *rec, int sig);

/* The observations so far (owned by the recorder). */
const sf_record *sf_recorder_record(const sf_recorder *rec);

/* --- the eBPF recorder (root) ---------------------------------------------------------- */

/* A raw_tracepoint/sys_enter program counts every syscall of the recorded tasks
 * in the kernel, per arch (x86_64; i386, an int $0x80 from a 64-bit process
 * too; x32, numbers with bit 30) and number: the program never stops, so the
 * overhead is near zero.  The BPF object is built into the library; it needs
 * BTF (/sys/kernel/btf/vmlinux), no kernel headers.  x86_64 only.
 *
 * What it records: a started command's tree (from its execve on, as ptrace),
 * a running process's tree, or every process of a pid namespace (a container)
 * and of the namespaces nested in it.  Argument values (opts->args) are kept in
 * a bounded kernel map (16384 values in all); when it fills, every recorded
 * argument is marked as overflowing (the syscalls are then allowed without a
 * condition, and synthesis warns).  opts->pin is ignored: nothing is stopped.
 * The recorder must run in the initial pid namespace.  It installs a libbpf
 * print callback (process-wide) that keeps libbpf's last message for its errors
 * instead of printing it.  opts->on_new is called while the recording runs
 * (from sf_ebpf_recorder_wait(), every 200 ms) and once more at its end. */

typedef struct sf_ebpf_recorder sf_ebpf_recorder;

/* False when this library was built without the eBPF recorder (then every
 * sf_ebpf_* call fails with -EOPNOTSUPP and says so). */
bool sf_ebpf_recorder_supported(void);

/* Opens the program and finds in the kernel's BTF the struct offsets it reads
 * (-ENOENT: a kernel without BTF).  Nothing is loaded yet: each of the calls
 * below loads and attaches the program for its way of recording, and fails
 * with -EPERM without root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN). */
int sf_ebpf_recorder_new(const sf_record_opts *opts, sf_ebpf_recorder **ret, sf_error **err);
/* Detaches; a started command still running is killed. */
void sf_ebpf_recorder_free(sf_ebpf_recorder *rec);

/* Starts argv (searched in PATH): recording starts when its execve succeeds
 * (counted as its first call); its threads and children are followed.
 * -ENOENT: not found; -EINTR: sf_ebpf_recorder_interrupt() came first, and
 * nothing was started. */
int sf_ebpf_recorder_spawn(sf_ebpf_recorder *rec, char *const argv[], sf_error **err);
/* Records the running process pid, its threads and descendants, until pid
 * ends or an interrupt. */
int sf_ebpf_recorder_attach(sf_ebpf_recorder *rec, pid_t pid, sf_error **err);
/* Records every task of the pid namespace whose inode (st_ino of
 * /proc/PID/ns/pid) is ns_inode, and of the namespaces nested in it, until an
 * interrupt or, if until > 0, until process until ends. */
int sf_ebpf_recorder_pidns(sf_ebpf_recorder *rec, uint64_t ns_inode, pid_t until, sf_error **err);
/* The same with the pid namespace of process pid, until pid ends (the
 * recorder's own namespace is refused). */
int sf_ebpf_recorder_pidns_of(sf_ebpf_recorder *rec, pid_t pid, sf_error **err);

/* Records until the end, then reads the counts into the record.  A started
 * command: 0 and its wait status in *ret_status once it and every task it left
 * running have ended (after an interrupt: the first passes the signal as
 * sf_recorder_interrupt() does, a second kills the tree); a command that could
 * not be executed fails (-ENOENT, -EACCES…).  Otherwise 1: the tasks go on
 * running. */
int sf_ebpf_recorder_wait(sf_ebpf_recorder *rec, int *ret_status, sf_error **err);
/* Async-signal-safe, as sf_recorder_interrupt(). */
void sf_ebpf_recorder_interrupt(sf_ebpf_recorder *rec, int sig);
/* The observations (owned by the recorder), complete once sf_ebpf_recorder_wait() returned. */
const sf_record *sf_ebpf_recorder_record(const sf_ebpf_recorder *rec);

#ifdef __cplusplus
}
#endif
#endif
