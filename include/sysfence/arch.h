/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence — architectures and syscall tables.
 *
 * The tables are generated at build time from libseccomp's (tools/gen-syscalls.c),
 * so looking a name up costs a binary search and no libseccomp call.
 */
#ifndef SYSFENCE_ARCH_H
#define SYSFENCE_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sf_arch {
        SF_ARCH_NONE = 0,
        SF_ARCH_X86_64,
        SF_ARCH_X86,
        SF_ARCH_X32,
        SF_ARCH_AARCH64,
        SF_ARCH_ARM,
        SF_ARCH_PPC64LE,
        SF_ARCH_PPC64,
        SF_ARCH_PPC,
        SF_ARCH_S390X,
        SF_ARCH_S390,
        SF_ARCH_RISCV64,
        SF_ARCH_MIPS,
        SF_ARCH_MIPSEL,
        SF_ARCH_MIPS64,
        SF_ARCH_MIPSEL64,
        SF_ARCH_MIPS64N32,
        SF_ARCH_MIPSEL64N32,
        SF_ARCH_PARISC,
        SF_ARCH_PARISC64,
        SF_ARCH__COUNT
} sf_arch;

/* "SCMP_ARCH_X86_64" */
const char *sf_arch_scmp_name(sf_arch arch);
/* The short name used in includes/excludes.arches and by Go: "amd64", "x86", "x32",
 * "arm64", "arm", "ppc64le", "s390x", "riscv64", … */
const char *sf_arch_short_name(sf_arch arch);
/* Accepts SCMP_ARCH_* names, short names, and uname -m names ("x86_64", "aarch64",
 * "i386", "i686", "386").  Case-sensitive.  SF_ARCH_NONE when unknown. */
sf_arch sf_arch_from_name(const char *name);
/* AUDIT_ARCH_* value the kernel puts in seccomp_data.arch (x32 shares x86_64's). */
uint32_t sf_arch_audit(sf_arch arch);
/* Reverse of sf_arch_audit (x86_64 for AUDIT_ARCH_X86_64); NONE when unknown. */
sf_arch sf_arch_from_audit(uint32_t audit_arch);
bool sf_arch_is_64bit(sf_arch arch);
/* Byte order of the arch (seccomp_data's args are u64 in that order). */
bool sf_arch_big_endian(sf_arch arch);
/* Whether the arch's socket and SysV IPC calls also go through socketcall(2) and
 * ipc(2), where libseccomp applies their rules with argument 0 as the call number. */
bool sf_arch_muxes(sf_arch arch);
/* The arch this library was built for. */
sf_arch sf_arch_native(void);

/* Syscall number of `name` on `arch` (x32 numbers include the 0x40000000 bit);
 * -1 if the name exists on some arch but not this one (or only as a libseccomp
 * pseudo-syscall), -2 if no arch knows it. */
int sf_syscall_nr(sf_arch arch, const char *name);
/* Name of syscall `nr` on `arch`, or NULL. */
const char *sf_syscall_name(sf_arch arch, int nr);
/* True when some supported arch knows `name`. */
bool sf_syscall_known(const char *name);
/* For a syscall newer than the libseccomp sysfence's tables come from (which
 * runc and crun use, and skip the name): the Linux release that added it, and
 * in *ret_tables (may be NULL) "libseccomp 2.5.4"; sysfence's tables know it
 * (by the kernel's numbers) and compile it.  NULL for any other name. */
const char *sf_syscall_newer(const char *name, const char **ret_tables);
/* The closest known name by edit distance (at most 2 edits), or NULL. */
const char *sf_syscall_suggest(const char *name);
/* Number of syscalls `arch` knows, and the i-th of them in ascending number order. */
size_t sf_syscall_count(sf_arch arch);
bool sf_syscall_at(sf_arch arch, size_t i, int *ret_nr, const char **ret_name);
/* Highest syscall number `arch` knows (x32: including the x32 bit). */
int sf_syscall_max(sf_arch arch);

/* The compat ABIs of an x86_64 machine, probed in forked children
 * (lib/arch/abi.c): i386 by an `int $0x80` getpid, x32 by an x32 getpid. */
typedef enum sf_abi {
        SF_ABI_I386,
        SF_ABI_X32,
} sf_abi;
typedef enum sf_abi_state {
        SF_ABI_RUNS = 1,   /* its programs run here */
        SF_ABI_OFF = 2,    /* the kernel answers ENOSYS (x32 built in but off) */
        SF_ABI_FAULTS = 3, /* the call faults before any filter runs (int $0x80 on some VMs) */
} sf_abi_state;
/* One of sf_abi_state, or -errno (-ENOTSUP where this is not an x86_64
 * build).  For x32, *ret_filtered (may be NULL) says whether a number with
 * bit 30 reaches a seccomp filter; for i386 whether the call did. */
int sf_abi_probe(sf_abi abi, bool *ret_filtered);

#ifdef __cplusplus
}
#endif
#endif
