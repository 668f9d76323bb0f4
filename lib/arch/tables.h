/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shape of the syscall tables that tools/gen-syscalls.c writes at build time
 * (syscalls-table.c) and lib/arch/arch.c reads.  Internal to the library. */
#ifndef SF_ARCH_TABLES_H
#define SF_ARCH_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "sysfence/arch.h"

/* One syscall of one arch: its number and the index of its name in names[]. */
typedef struct sf_syscall_entry {
        int32_t nr;
        uint32_t name;
} sf_syscall_entry;

typedef struct sf_syscall_arch_table {
        const int32_t *nr_by_name;      /* indexed like names[]; -1: not on this arch */
        const sf_syscall_entry *by_nr;  /* ascending nr, no duplicate nr */
        uint32_t count;                 /* entries in by_nr */
        int32_t max_nr;                 /* highest nr, -1 when count is 0 */
} sf_syscall_arch_table;

typedef struct sf_syscall_tables {
        const char *const *names;       /* every name any arch knows, strcmp order */
        uint32_t name_count;
        /* Open addressing over sf_syscall_hash(): name index + 1, 0 for empty;
         * hash_mask + 1 slots (a power of two, at least twice name_count). */
        const uint16_t *hash;
        uint32_t hash_mask;
        sf_syscall_arch_table arch[SF_ARCH__COUNT];  /* [SF_ARCH_NONE] is empty */
} sf_syscall_tables;

/* FNV-1a of a name; the generator and the lookup share it.  Profiles name
 * syscalls thousands of times per compile: one hash and one strcmp each is
 * several times cheaper than a binary search over ~600 names. */
static inline uint32_t sf_syscall_hash(const char *s)
{
        uint32_t h = 2166136261u;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 16777619u;
        return h;
}

/* Index of a name in sf_syscalls.names, or -1. */
long sf_syscall_index(const char *name);
/* Name index of syscall nr on arch, or -1. */
long sf_syscall_index_of_nr(sf_arch arch, int nr);

extern const char *const sf_syscall_names[];
/* Per name: 1 where the name comes from arch/newer.h, not from libseccomp. */
extern const unsigned char sf_syscall_from_facts[];
extern const sf_syscall_tables sf_syscalls;

#endif
