/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the BPF side: the input is a struct sock_filter array in
 * this machine's byte order.  The validator must not crash on anything; a program
 * it accepts must run to a decision in at most one step per instruction (jumps
 * only go forward), and a syscall the action-cache model marks as allowed must be
 * allowed by the program whatever its arguments.  The disassembler and the cache
 * model take any array, so they get the invalid ones too. */
#include <linux/audit.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfence/bpf.h"

#define X32_SYSCALL_BIT 0x40000000u

static const uint32_t probe_arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64, 0 };
static const int probe_nrs[] = { 0, 1, 59, 231, 435, -1, (int)X32_SYSCALL_BIT, (int)(X32_SYSCALL_BIT | 59) };

static void fail(const char *what)
{
        fprintf(stderr, "fuzz-bpf: %s\n", what);
        abort();
}

/* Exercises the annotation path of the disassembler with text of varying length. */
static const char *annotate(void *ctx, size_t pc, char *buf, size_t size)
{
        if (pc % 3 == 0)
                return NULL;
        snprintf(buf, size, "insn %zu of %zu", pc, *(const size_t *)ctx);
        return buf;
}

static void run_valid(const struct sock_filter *insns, size_t len, const uint8_t *data, size_t size)
{
        /* Argument patterns: all clear, all set, and whatever the input says. */
        struct seccomp_data args[3];
        memset(&args[0], 0, sizeof(args[0]));
        memset(&args[1], 0xff, sizeof(args[1]));
        memset(&args[2], 0, sizeof(args[2]));
        memcpy(&args[2], data, size < sizeof(args[2]) ? size : sizeof(args[2]));

        for (size_t a = 0; a < sizeof(probe_arches) / sizeof(probe_arches[0]); a++) {
                for (size_t i = 0; i < sizeof(probe_nrs) / sizeof(probe_nrs[0]); i++) {
                        bool cacheable = sf_bpf_cacheable(insns, len, probe_arches[a], probe_nrs[i]);
                        for (size_t k = 0; k < sizeof(args) / sizeof(args[0]); k++) {
                                struct seccomp_data d = args[k];
                                size_t steps = 0, pc = 0;
                                d.arch = probe_arches[a];
                                d.nr = probe_nrs[i];
                                uint32_t ret = sf_bpf_run(insns, len, &d, &steps, &pc);
                                if (steps == 0 || steps > len || pc >= len)
                                        fail("the emulator ran off a valid program");
                                if (cacheable && ret != SECCOMP_RET_ALLOW)
                                        fail("a cacheable syscall is not allowed for some arguments");
                        }
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t len = size / sizeof(struct sock_filter);
        sf_error *err = NULL;

        /* A copy of exactly len instructions, so ASan sees any read past the end. */
        struct sock_filter *insns = malloc(len ? len * sizeof(*insns) : 1);
        if (!insns)
                return 0;
        memcpy(insns, data, len * sizeof(*insns));

        if (sf_bpf_validate(insns, len, &err) == 0)
                run_valid(insns, len, data, size);
        else if (!err)
                fail("a rejected program has no error");
        sf_error_free(err);

        for (size_t a = 0; a < sizeof(probe_arches) / sizeof(probe_arches[0]); a++)
                (void)sf_bpf_cacheable(insns, len, probe_arches[a], probe_nrs[a]);

        char *text = sf_bpf_disasm(insns, len, annotate, &len);
        if (len && !text)
                fail("disassembly failed");
        free(text);
        free(insns);
        return 0;
}
