/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Machine features the tests need, probed rather than assumed.
 *
 * Machines of one kind differ: on some VMs `int $0x80` from a 64-bit process
 * raises a general protection fault before any filter runs, though the kernel
 * has IA32 emulation.  A test that needs such a feature asks feature_missing():
 * NULL means the machine has it and the test runs; otherwise the reason, and
 * the test is a TAP skip that prints it.  SF_TEST_REQUIRE (a comma list of
 * feature names, or "all") turns that skip into a failure, for a machine known
 * to have the feature: feature_required() says whether it does.
 * SF_TEST_MISSING (the same form) makes the probes report features missing,
 * to see the skips on a machine that has them.
 *
 * Each probe runs in a forked child where it may crash, and makes the real
 * call the test relies on, so a probe is never more optimistic than the test.
 * tests/probe.c is the same probes as a command, for the shell tests.  They
 * are deliberately not the library's (sf_abi_probe, which doctor reports): a
 * bug there must not turn tests into skips, and doctor's test compares both. */
#ifndef SF_TEST_FEATURE_H
#define SF_TEST_FEATURE_H

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FEATURE_FN static __attribute__((unused))

/* Child exit codes of a probe: 0 the feature works, 1 it does not (errno-like
 * reason in the parent's message), anything else or a signal as such. */
FEATURE_FN const char *feature_child(int (*probe)(void), const char *what, char *buf, size_t len)
{
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
                snprintf(buf, len, "cannot fork to probe %s: %s", what, strerror(errno));
                return buf;
        }
        if (pid == 0) {
                /* a fault is the answer, not a bug: no sanitizer's handler reports it */
                signal(SIGSEGV, SIG_DFL);
                signal(SIGBUS, SIG_DFL);
                signal(SIGILL, SIG_DFL);
                _exit(probe());
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        snprintf(buf, len, "cannot wait for the %s probe: %s", what, strerror(errno));
                        return buf;
                }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return NULL;
        if (WIFSIGNALED(status))
                snprintf(buf, len, "%s: the probe died of signal %d (%s)", what, WTERMSIG(status),
                         strsignal(WTERMSIG(status)));
        else
                snprintf(buf, len, "%s: the probe failed (exit %d)", what, WEXITSTATUS(status));
        return buf;
}

/* A filter can be loaded (one RET ALLOW). */
FEATURE_FN int probe_seccomp(void)
{
        struct sock_filter f[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct sock_fprog prog = { .len = 1, .filter = f };
        return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
                               syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0
                       ? 0
                       : 1;
}

#if defined(__x86_64__)
/* An i386 getpid by int $0x80: the kernel sees AUDIT_ARCH_I386. */
FEATURE_FN int probe_int80(void)
{
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
        return r == (long)getpid() ? 0 : 1;
}

/* A syscall number with bit 30 set (x32) reaches a filter: the filter
 * answers ERRNO(99) for it, whatever the kernel would do after. */
FEATURE_FN int probe_x32(void)
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
        long r = syscall(0x40000000 | __NR_getppid);
        return r == -1 && errno == 99 ? 0 : 1;
}
#endif

/* A raw tracepoint program on sys_enter, loaded and attached: what the eBPF
 * recorder needs of the kernel (with root and BTF, checked by the caller). */
FEATURE_FN int probe_ebpf(void)
{
        struct bpf_insn insns[] = {
                { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
                { .code = BPF_JMP | BPF_EXIT },
        };
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
        a.insns = (uintptr_t)insns;
        a.insn_cnt = 2;
        a.license = (uintptr_t) "GPL";
        int prog = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof(a));
        if (prog < 0)
                return 1;
        memset(&a, 0, sizeof(a));
        a.raw_tracepoint.name = (uintptr_t) "sys_enter";
        a.raw_tracepoint.prog_fd = (uint32_t)prog;
        int link = (int)syscall(__NR_bpf, BPF_RAW_TRACEPOINT_OPEN, &a, sizeof(a));
        return link >= 0 ? 0 : 1;
}

/* Joining the audit netlink multicast group (lossless seccomp records). */
FEATURE_FN int probe_audit_read(void)
{
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
        if (fd < 0)
                return 1;
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 /* AUDIT_NLGRP_READLOG */ };
        return bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : 1;
}

/* Whether the comma list in the environment variable VAR names FEATURE (or is "all"). */
FEATURE_FN bool feature_listed(const char *var, const char *name)
{
        const char *req = getenv(var);
        if (!req)
                return false;
        size_t n = strlen(name);
        for (const char *p = req; *p;) {
                size_t len = strcspn(p, ",");
                if ((len == 3 && strncmp(p, "all", 3) == 0) || (len == n && strncmp(p, name, n) == 0))
                        return true;
                p += len + (p[len] == ',');
        }
        return false;
}

/* NULL if this machine has FEATURE, else why not (in a static buffer). */
FEATURE_FN const char *feature_missing(const char *name)
{
        static char buf[256];
        if (feature_listed("SF_TEST_MISSING", name)) {
                snprintf(buf, sizeof(buf), "%.64s is missing (SF_TEST_MISSING says so)", name);
                return buf;
        }
        if (strcmp(name, "int80") == 0) {
#if defined(__x86_64__)
                const char *why = feature_child(probe_int80, "int $0x80", buf, sizeof(buf));
                if (why && (strstr(why, "signal 11") || strstr(why, "signal 7")))
                        return "int $0x80 faults on this machine (SIGSEGV): it cannot run i386 code";
                return why;
#else
                return "int $0x80 is an x86_64 test";
#endif
        }
        if (strcmp(name, "x32") == 0) {
#if defined(__x86_64__)
                return feature_child(probe_x32, "x32 numbers (bit 30) reaching the filter", buf, sizeof(buf));
#else
                return "x32 numbers are an x86_64 test";
#endif
        }
        if (strcmp(name, "seccomp") == 0)
                return feature_child(probe_seccomp, "loading a seccomp filter", buf, sizeof(buf));
        if (strcmp(name, "root") == 0)
                return geteuid() == 0 ? NULL : "not root";
        if (strcmp(name, "btf") == 0)
                return access("/sys/kernel/btf/vmlinux", R_OK) == 0 ? NULL : "this kernel has no BTF (/sys/kernel/btf/vmlinux)";
        if (strcmp(name, "ebpf") == 0) {
                if (geteuid() != 0)
                        return "eBPF recording needs root";
                if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
                        return "this kernel has no BTF (/sys/kernel/btf/vmlinux)";
                return feature_child(probe_ebpf, "a raw tracepoint program on sys_enter", buf, sizeof(buf));
        }
        if (strcmp(name, "audit-read") == 0)
                return feature_child(probe_audit_read, "joining the audit netlink group (CAP_AUDIT_READ)", buf,
                                     sizeof(buf));
        snprintf(buf, sizeof(buf), "unknown feature \"%.64s\"", name);
        return buf;
}

/* Whether SF_TEST_REQUIRE names FEATURE: its skip is then a failure. */
FEATURE_FN bool feature_required(const char *name)
{
        return feature_listed("SF_TEST_REQUIRE", name);
}

#endif
