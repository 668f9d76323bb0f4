/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which compat ABIs this machine runs, probed rather than read from the kernel
 * config: on some VMs with CONFIG_IA32_EMULATION=y, `int $0x80` from a 64-bit
 * process raises a general protection fault (SIGSEGV) before any filter runs,
 * and x32 is often built in but off.  A filter still decides i386 calls and
 * numbers with bit 30 wherever they reach it, so these facts say what can run
 * here, not what a profile means.  Each probe runs in a forked child, which
 * may crash or load a filter without touching the caller. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysfence/arch.h"

/* Runs probe in a child: its exit code (0..255), -(128 + signal) when it died
 * of a signal, or -errno when it could not be run. */
static int in_child(int (*probe)(void))
{
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                _exit(probe());
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFSIGNALED(status))
                return -(128 + WTERMSIG(status));
        return WEXITSTATUS(status);
}

#if defined(__x86_64__) && !defined(__ILP32__)
static int int80_getpid(void)
{
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L /* i386 getpid */) : "memory", "r8", "r9", "r10", "r11");
        return r == (long)getpid() ? 0 : 1;
}

/* 0: the x32 getpid ran; 1: ENOSYS (x32 off). */
static int x32_getpid(void)
{
        long r = syscall(0x40000000 | __NR_getpid);
        return r == (long)getpid() ? 0 : 1;
}

/* 0: a number with bit 30 reached the filter (it answered ERRNO(99)). */
static int x32_filtered(void)
{
        struct sock_filter f[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x40000000, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 99),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
                return 2;
        errno = 0;
        long r = syscall(0x40000000 | __NR_getppid);
        return r == -1 && errno == 99 ? 0 : 1;
}
#endif

int sf_abi_probe(sf_abi abi, bool *ret_filtered)
{
#if defined(__x86_64__) && !defined(__ILP32__)
        int r;
        switch (abi) {
        case SF_ABI_I386:
                r = in_child(int80_getpid);
                if (r == -(128 + SIGSEGV) || r == -(128 + SIGBUS))
                        return SF_ABI_FAULTS;
                if (r < 0 && r > -128)
                        return r;
                if (ret_filtered)
                        *ret_filtered = r == 0;
                return r == 0 ? SF_ABI_RUNS : SF_ABI_FAULTS;
        case SF_ABI_X32: {
                int f = in_child(x32_filtered);
                if (f < 0 && f > -128)
                        return f;
                if (ret_filtered)
                        *ret_filtered = f == 0;
                r = in_child(x32_getpid);
                if (r < 0 && r > -128)
                        return r;
                return r == 0 ? SF_ABI_RUNS : SF_ABI_OFF;
        }
        }
        return -EINVAL;
#else
        (void)abi;
        (void)ret_filtered;
        return -ENOTSUP;
#endif
}
