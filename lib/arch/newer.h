/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Syscalls newer than the libseccomp the tables come from (Debian 12's 2.5.4
 * stops at futex_requeue, Linux 6.7), as facts from the kernel's syscall
 * tables: since Linux 5.1 a new syscall takes one number on every arch (the
 * "common" numbering), plus the arch's base (x32's bit 30, the mips ABIs'
 * 4000/5000/6000).  tools/gen-syscalls.c adds those libseccomp lacks to the
 * tables; lib/arch/arch.c says which they are.  runc and crun, linked with
 * such a libseccomp, skip these names in a profile. */
#ifndef SF_ARCH_NEWER_H
#define SF_ARCH_NEWER_H

#include <stdbool.h>

typedef struct sf_newer_syscall {
        const char *name;
        const char *since;  /* the Linux release that added it */
        int nr;             /* its common number */
        bool x86_64_only;   /* wired on x86_64 alone (uretprobe) */
} sf_newer_syscall;

static const sf_newer_syscall sf_newer_syscalls[] = {
        { "statmount", "6.8", 457, false },         { "listmount", "6.8", 458, false },
        { "lsm_get_self_attr", "6.8", 459, false }, { "lsm_set_self_attr", "6.8", 460, false },
        { "lsm_list_modules", "6.8", 461, false },  { "mseal", "6.10", 462, false },
        { "uretprobe", "6.11", 335, true },         { "setxattrat", "6.13", 463, false },
        { "getxattrat", "6.13", 464, false },       { "listxattrat", "6.13", 465, false },
        { "removexattrat", "6.13", 466, false },    { "open_tree_attr", "6.15", 467, false },
        { "file_getattr", "6.17", 468, false },     { "file_setattr", "6.17", 469, false },
};

#endif
