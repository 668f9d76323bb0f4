/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libseccomp side of the comparisons (test-diff, bench-compile,
 * scmp-exec): sysfence's arches, actions and operators as libseccomp's
 * tokens, for building the same profile with seccomp_rule_add_array. */
#ifndef SF_TEST_SCMP_H
#define SF_TEST_SCMP_H

#include <seccomp.h>

#include "sysfence/profile.h"

/* 0 for an arch libseccomp 2.5.4 does not know */
static inline uint32_t scmp_token(sf_arch a)
{
        switch (a) {
        case SF_ARCH_X86_64: return SCMP_ARCH_X86_64;
        case SF_ARCH_X86: return SCMP_ARCH_X86;
        case SF_ARCH_X32: return SCMP_ARCH_X32;
        case SF_ARCH_AARCH64: return SCMP_ARCH_AARCH64;
        case SF_ARCH_ARM: return SCMP_ARCH_ARM;
        case SF_ARCH_PPC64LE: return SCMP_ARCH_PPC64LE;
        case SF_ARCH_PPC64: return SCMP_ARCH_PPC64;
        case SF_ARCH_PPC: return SCMP_ARCH_PPC;
        case SF_ARCH_S390X: return SCMP_ARCH_S390X;
        case SF_ARCH_S390: return SCMP_ARCH_S390;
        case SF_ARCH_RISCV64: return SCMP_ARCH_RISCV64;
        case SF_ARCH_MIPS: return SCMP_ARCH_MIPS;
        case SF_ARCH_MIPSEL: return SCMP_ARCH_MIPSEL;
        case SF_ARCH_MIPS64: return SCMP_ARCH_MIPS64;
        case SF_ARCH_MIPSEL64: return SCMP_ARCH_MIPSEL64;
        case SF_ARCH_MIPS64N32: return SCMP_ARCH_MIPS64N32;
        case SF_ARCH_MIPSEL64N32: return SCMP_ARCH_MIPSEL64N32;
        case SF_ARCH_PARISC: return SCMP_ARCH_PARISC;
        case SF_ARCH_PARISC64: return SCMP_ARCH_PARISC64;
        default: return 0;
        }
}

static inline uint32_t scmp_action(sf_action a)
{
        switch (a.kind) {
        case SF_ACT_KILL_PROCESS: return SCMP_ACT_KILL_PROCESS;
        case SF_ACT_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
        case SF_ACT_TRAP: return SCMP_ACT_TRAP;
        case SF_ACT_ERRNO: return SCMP_ACT_ERRNO(a.data);
        case SF_ACT_USER_NOTIF: return SCMP_ACT_NOTIFY;
        case SF_ACT_TRACE: return SCMP_ACT_TRACE(a.data);
        case SF_ACT_LOG: return SCMP_ACT_LOG;
        case SF_ACT_ALLOW: return SCMP_ACT_ALLOW;
        }
        return SCMP_ACT_KILL;
}

static const enum scmp_compare scmp_ops[] = {
        [SF_OP_NE] = SCMP_CMP_NE, [SF_OP_LT] = SCMP_CMP_LT, [SF_OP_LE] = SCMP_CMP_LE, [SF_OP_EQ] = SCMP_CMP_EQ,
        [SF_OP_GE] = SCMP_CMP_GE, [SF_OP_GT] = SCMP_CMP_GT, [SF_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

#endif
