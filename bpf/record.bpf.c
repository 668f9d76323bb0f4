/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The eBPF recorder's kernel half (lib/record/ebpf.c loads it).
 *
 * raw_tp/sys_enter counts every syscall of the recorded tasks, per arch and
 * number, in a per-CPU array (no atomics, no lock).  Which tasks: either the
 * tree of the started command, one bit per thread id in the array map `tree`
 * (children are added where they are created, exits removed), or every task
 * whose pid namespace is the one asked for, or a namespace nested in it.  The
 * program runs on every syscall of the machine, so its common path is short:
 * one inlined array lookup by thread id (measured: a hash lookup cost ~90 ns,
 * task storage ~40 ns with its recursion lock, more than all the rest).
 *
 * No vmlinux.h, no kernel headers and no CO-RE: raw tracepoints take their
 * arguments untyped, and the few kernel struct fields read (a task's
 * thread_info status and struct pid, a new task's pid, the syscall registers)
 * are read at offsets the recorder finds in the kernel's BTF before loading
 * (lib/record/btf.c) and sets here as constants: directly through the typed
 * pointer bpf_get_current_task_btf() gives (the verifier checks each against
 * the kernel's own BTF), else with bpf_probe_read_kernel.  So libbpf never
 * parses the 5 MB vmlinux BTF, which cost ~25 ms of each recording's start. */
#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>

/* x86's thread_info status bit for "this syscall came in through a 32-bit
 * entry" (int $0x80, sysenter, 32-bit syscall): set before sys_enter, cleared on
 * the way back to user mode; in_ia32_syscall() reads the same bit.  A macro in
 * the kernel, so not in BTF: it has been 0x0002 since Linux 2.6. */
#define TS_COMPAT 0x0002
#define X32_BIT 0x40000000L

/* Must match lib/record/ebpf.c. */
#define SLOT_X86_64 0
#define SLOT_I386 1
#define SLOT_X32 2
#define N_SLOT_ARCH 3
#define NR_SLOTS 1024
#define N_SLOTS (N_SLOT_ARCH * NR_SLOTS)
#define MAX_PIDNS_LEVEL 32

#define MODE_TREE 0
#define MODE_PIDNS 1

/* Kernel struct offsets in bytes, from BTF; set before loading. */
const volatile __u32 off_task_pid;          /* task_struct.pid */
const volatile __u32 off_task_status;       /* task_struct.thread_info.status */
const volatile __u32 off_task_thread_pid;   /* task_struct.thread_pid */
const volatile __u32 off_pid_level;         /* pid.level */
const volatile __u32 off_pid_numbers;       /* pid.numbers */
const volatile __u32 size_upid;             /* sizeof(struct upid) */
const volatile __u32 off_upid_ns;           /* upid.ns */
const volatile __u32 off_pidns_inum;        /* pid_namespace.ns.inum */
const volatile __u32 off_regs[9];           /* pt_regs: bx cx dx si di bp r8 r9 r10 */
const volatile __u32 execve_slot;           /* x86_64's execve, in counts */
enum { R_BX, R_CX, R_DX, R_SI, R_DI, R_BP, R_R8, R_R9, R_R10 };

/* The tree: bit (tid % 64) of word tid / 64, for every thread id below the
 * kernel's pid_max when recording began (the recorder sizes it; a larger one
 * sets track_full).  Set and cleared with atomic or/and (fork, exit and exec
 * on several CPUs at once; the recorder through its mmap). */
struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(map_flags, BPF_F_MMAPABLE);
        __uint(max_entries, 512);
        __type(key, __u32);
        __type(value, __u64);
} tree SEC(".maps");

/* One element: counts[arch slot * NR_SLOTS + number (x32: without its bit)],
 * per CPU.  One 24 KiB per-CPU value is one allocation; 3072 elements were
 * 3072 (~2 ms to create). */
struct counts_value {
        __u64 n[N_SLOTS];
};
struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct counts_value);
} counts SEC(".maps");

/* Numbers outside 0..NR_SLOTS-1 (-1, an x32 bit on an i386 call, garbage). */
struct odd_key {
        __u32 arch;
        __u32 pad;
        __s64 nr;
};

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(map_flags, BPF_F_NO_PREALLOC); /* rare: cheaper to create than to fill ahead */
        __uint(max_entries, 1024);
        __type(key, struct odd_key);
        __type(value, __u64);
} odd SEC(".maps");

struct value_key {
        __u32 slot;           /* as in counts */
        __u32 pad;
        __u64 value;
};

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, 16384); /* the recorder sizes it before loading */
        __type(key, struct value_key);
        __type(value, __u8);
} values SEC(".maps");

static __always_inline __u64 *tree_word(__u32 tid)
{
        __u32 w = tid / 64;
        return bpf_map_lookup_elem(&tree, &w);
}

static __always_inline int in_tree(__u32 tid)
{
        __u64 *w = tree_word(tid);
        return w && ((*w >> (tid % 64)) & 1);
}

/* How to record, set before loading: the verifier drops what the mode does
 * not use. */
const volatile __u32 mode;
const volatile __u32 ns_inum;
const volatile __u32 ns_level;  /* of that namespace: 0 is the initial one */
const volatile __u32 keep_args; /* any argument values to keep (else arg_index is never read) */
/* Set by the recorder after loading (.bss is mmap'ed).  pending_tid: the
 * command the recorder started: it joins the tree when its execve
 * succeeds (which counts as its first call), so nothing it does before, in
 * the recorder's code, is recorded, and nothing after is missed. */
__u32 pending_tid;
/* MODE_PIDNS: nothing is counted until thread start_tid (set before attaching)
 * succeeds in an execve, which counts as its first call: a container runtime's
 * init ends its own setup with the execve of the workload. */
__u32 start_tid;
/* 1 + the index of the argument whose values are kept, per counts slot. */
__u8 arg_index[N_SLOTS];
/* Set here, read by the recorder: plain stores of 1, no atomics needed. */
__u32 track_full;  /* a new task could not be added: its calls are missed */
__u32 odd_full;    /* too many distinct out-of-range numbers */
__u32 values_full; /* argument values were dropped */

static __always_inline void tree_add(__u32 tid)
{
        __u64 *w = tree_word(tid);
        if (w)
                __sync_fetch_and_or(w, 1ULL << (tid % 64));
        else
                track_full = 1;
}

static __always_inline void tree_del(__u32 tid)
{
        __u64 *w = tree_word(tid);
        if (w)
                __sync_fetch_and_and(w, ~(1ULL << (tid % 64)));
}

/* A kernel field: 0 when it cannot be read (it can always be, for a live task). */
static __always_inline __u64 kread64(const void *base, __u32 off)
{
        __u64 v = 0;
        bpf_probe_read_kernel(&v, sizeof(v), (const char *)base + off);
        return v;
}

static __always_inline __u32 kread32(const void *base, __u32 off)
{
        __u32 v = 0;
        bpf_probe_read_kernel(&v, sizeof(v), (const char *)base + off);
        return v;
}

/* Fields of kernel structs through typed pointers (bpf_get_current_task_btf
 * and what is loaded through it): plain loads at offsets that are constants
 * the verifier knows (frozen .rodata values) and checks against the kernel's
 * own BTF; a load through a bad pointer reads 0 (the JIT's exception table),
 * and there is no helper call on the per-syscall path. */
#define FIELD(type, base, off) (*(const type *)((const char *)(base) + (off)))

static __always_inline int task_in_pidns(const void *task)
{
        const void *p = FIELD(void *, task, off_task_thread_pid);
        if (!p)
                return 0;
        /* numbers[i] is the task's pid in the namespace at depth i: the task is
         * in the target, or below it, when numbers[target's depth] is the target */
        if (ns_level > MAX_PIDNS_LEVEL || FIELD(__u32, p, off_pid_level) < ns_level)
                return 0;
        const void *ns = FIELD(void *, p, off_pid_numbers + ns_level * size_upid + off_upid_ns);
        return ns && FIELD(__u32, ns, off_pidns_inum) == ns_inum;
}

static __always_inline __u64 arg_of(const void *regs, __u32 arch, __u32 i)
{
        __u32 off;
        if (arch == SLOT_I386) {
                switch (i) {
                case 0: off = off_regs[R_BX]; break;
                case 1: off = off_regs[R_CX]; break;
                case 2: off = off_regs[R_DX]; break;
                case 3: off = off_regs[R_SI]; break;
                case 4: off = off_regs[R_DI]; break;
                default: off = off_regs[R_BP]; break;
                }
                /* an i386 call has 32-bit arguments: seccomp sees the low word */
                return (__u32)kread64(regs, off);
        }
        switch (i) {
        case 0: off = off_regs[R_DI]; break;
        case 1: off = off_regs[R_SI]; break;
        case 2: off = off_regs[R_DX]; break;
        case 3: off = off_regs[R_R10]; break;
        case 4: off = off_regs[R_R8]; break;
        default: off = off_regs[R_R9]; break;
        }
        return kread64(regs, off);
}

SEC("raw_tp/sys_enter")
int sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
        /* one helper call per syscall: the thread id is read from the task too */
        const void *task = bpf_get_current_task_btf();
        if (mode == MODE_TREE ? !in_tree(FIELD(__u32, task, off_task_pid)) : start_tid || !task_in_pidns(task))
                return 0;
        long nr = (long)ctx->args[1];
        __u32 arch = FIELD(__u32, task, off_task_status) & TS_COMPAT ? SLOT_I386 : SLOT_X86_64;
        long idx = nr;
        /* x32 calls share x86_64's entry and carry bit 30 in the number */
        if (arch == SLOT_X86_64 && nr >= 0 && (nr & X32_BIT)) {
                arch = SLOT_X32;
                idx = nr & ~X32_BIT;
        }
        if (idx < 0 || idx >= NR_SLOTS) {
                struct odd_key k = { .arch = arch, .nr = nr };
                __u64 *c = bpf_map_lookup_elem(&odd, &k);
                if (c) {
                        __sync_fetch_and_add(c, 1);
                } else {
                        __u64 one = 1;
                        if (bpf_map_update_elem(&odd, &k, &one, BPF_NOEXIST) == -E2BIG)
                                odd_full = 1;
                }
                return 0;
        }
        __u32 slot = arch * NR_SLOTS + (__u32)idx, zero = 0;
        if (slot >= N_SLOTS)
                return 0;
        struct counts_value *c = bpf_map_lookup_elem(&counts, &zero);
        if (c)
                c->n[slot] += 1;
        __u8 ai = keep_args ? arg_index[slot] : 0;
        if (ai) {
                struct value_key k = { .slot = slot, .value = arg_of((const void *)ctx->args[0], arch, ai - 1) };
                if (!bpf_map_lookup_elem(&values, &k)) {
                        __u8 one = 1;
                        if (bpf_map_update_elem(&values, &k, &one, BPF_NOEXIST) == -E2BIG)
                                values_full = 1;
                }
        }
        return 0;
}

/* A task of the tree made a process or a thread: it joins the tree before it
 * first runs (the tracepoint fires before wake_up_new_task, in the parent). */
SEC("raw_tp/sched_process_fork")
int sched_process_fork(struct bpf_raw_tracepoint_args *ctx)
{
        if (mode != MODE_TREE || !in_tree((__u32)bpf_get_current_pid_tgid()))
                return 0;
        tree_add(kread32((const void *)ctx->args[1], off_task_pid));
        return 0;
}

/* In the exiting task. */
SEC("raw_tp/sched_process_exit")
int sched_process_exit(struct bpf_raw_tracepoint_args *ctx)
{
        __u32 tid = (__u32)bpf_get_current_pid_tgid();
        if (mode == MODE_TREE && in_tree(tid))
                tree_del(tid);
        return 0;
}

/* A thread other than the leader that execs takes the leader's id (which left
 * the tree when the leader exited in de_thread): the tree keeps it.  In the
 * task that execs, with its new id. */
SEC("raw_tp/sched_process_exec")
int sched_process_exec(struct bpf_raw_tracepoint_args *ctx)
{
        __u32 old = (__u32)ctx->args[1];
        __u32 tid = (__u32)bpf_get_current_pid_tgid();
        if (mode != MODE_TREE && !(start_tid && tid == start_tid))
                return 0;
        if ((pending_tid && tid == pending_tid) || mode != MODE_TREE) {
                __u32 zero = 0, slot = execve_slot;
                if (mode == MODE_TREE) {
                        pending_tid = 0;
                        tree_add(tid);
                } else {
                        start_tid = 0;
                }
                struct counts_value *c = bpf_map_lookup_elem(&counts, &zero);
                if (c && slot < N_SLOTS)
                        c->n[slot] += 1;
                return 0;
        }
        if (old == tid || !in_tree(old))
                return 0;
        tree_add(tid);
        tree_del(old);
        return 0;
}

/* The kernel wants a GPL-compatible license string for the probe-read helpers;
 * LGPL-2.1 (section 3) lets this code be used under the GPL. */
char LICENSE[] SEC("license") = "GPL";
