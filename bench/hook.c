/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hook CMD...: runs CMD while an empty program (r0 = 0; exit) is attached to
 * the sys_enter raw tracepoint: what every syscall of the machine pays for the
 * tracepoint alone (its slow path on entry and exit, the program's dispatch),
 * before a recorder's program does anything.  Root; no libbpf needed. */
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
        struct bpf_insn prog[2] = {
                { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
                { .code = BPF_JMP | BPF_EXIT },
        };
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
        a.insns = (uintptr_t)prog;
        a.insn_cnt = 2;
        a.license = (uintptr_t)"GPL";
        int fd = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
        memset(&a, 0, sizeof(a));
        a.raw_tracepoint.name = (uintptr_t)"sys_enter";
        a.raw_tracepoint.prog_fd = fd;
        if (argc < 2 || fd < 0 || syscall(SYS_bpf, BPF_RAW_TRACEPOINT_OPEN, &a, sizeof(a)) < 0) {
                perror("hook: sys_enter");
                return 2;
        }
        pid_t p = fork();
        if (p == 0) {
                execvp(argv[1], argv + 1);
                _exit(127);
        }
        int st = 0;
        waitpid(p, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
