/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The syscalls a container runtime makes after it has loaded the container's
 * filter and before the workload's execve: a recording of the workload alone
 * does not see them, and the container would not start without them. */
#include <string.h>

#include "record/record-internal.h"

/* Measured on Debian 12 (runc 1.1.5, crun 1.8.1, kernel 6.18): a busybox container
 * running /bin/true under {"defaultAction": "SCMP_ACT_LOG"}, the records read from
 * the audit netlink group, kept when their comm is the runtime's init
 * ("runc:[2:INIT]", "crun"); six runs each with noNewPrivileges on and off,
 * merged.  With it off (Kubernetes' default: allowPrivilegeEscalation is true)
 * the filter goes in before the runtime drops privileges, hence most of them.
 *
 * The window these cover is from the filter to the workload's execve: runc 1.1
 * (libcontainer/standard_init_linux.go) loads it after its mounts, pivot_root
 * and sethostname, before finalizeNamespace (no_new_privs off) or after the
 * exec path lookup (on), then closes its pipes, writes the exec fifo and
 * execs; crun 1.8 (src/libcrun/container.c) loads it after pivot_root, before
 * setting the capabilities (off) or after (on), then execv.  The oci-hook
 * counts from that execve on and adds these.  Checked again the same way
 * (issue 14; 3 runs each, sh -c 'echo; ls /'): runc 42 records with
 * no_new_privs on, 523 off, 23 names, every one below; crun 6 and 339
 * records, 9 names, exactly crun_base. */
static const char *const runc_base[] = {
        /* seen */
        "capget", "capset", "chdir", "close", "epoll_ctl", "execve", "faccessat2", "fcntl",
        "fstat", "fstatfs", "futex", "getcwd", "getdents64", "getpid", "getppid",
        "newfstatat", "openat", "prctl", "read", "rt_sigreturn", "setgid", "setgroups",
        "setuid", "write",
        /* runc's init is a Go program: its runtime's own threads may make these at any
         * moment after the filter is in (scheduler, preemption signals, memory) */
        "clone", "epoll_pwait", "gettid", "madvise", "mmap", "munmap", "nanosleep",
        "rt_sigprocmask", "sched_yield", "sigaltstack", "tgkill",
        NULL,
};

static const char *const crun_base[] = {
        "capset", "close", "execve", "prctl", "rt_sigaction", "rt_sigprocmask", "setresgid",
        "setresuid", "write",
        NULL,
};

static const struct {
        const char *runtime;
        const char *const *names;
} bases[] = {
        { "runc", runc_base },
        { "crun", crun_base },
};

SF_EXPORT const char *sf_record_base_name(size_t i)
{
        return i < ARRAY_SIZE(bases) ? bases[i].runtime : NULL;
}

SF_EXPORT const char *const *sf_record_base(const char *runtime)
{
        for (size_t i = 0; i < ARRAY_SIZE(bases); i++)
                if (strcmp(bases[i].runtime, runtime) == 0)
                        return bases[i].names;
        return NULL;
}
