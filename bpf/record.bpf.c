/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The eBPF recorder's kernel half (lib/record/ebpf.c loads it).
 *
 * tp_btf/sys_enter counts every syscall of the recorded tasks, per arch and
 * number, in a per-CPU array (no atomics, no lock).  Which tasks: either the
 * tree of the started command, one bit per thread id in `tree_bits` (children
 * are added where they are created, exits removed), or every task whose pid
 * namespace is the one asked for, or a namespace nested in it.  The program
 * runs on every syscall of the machine, so its common path is short: one load
 * from a global array (measured: a hash lookup by thread id cost ~90 ns, task
 * storage ~40 ns with its recursion lock, more than all the rest), and the arch
 * is a direct load (tp_btf gives typed pointers: no probe-read helper).  The
 * thread ids of the tree are also kept in `tracked`, touched only on fork, exec
 * and exit, for the recorder to know when the tree is gone and to signal it.
 *
 * No vmlinux.h and no kernel headers: the few kernel structs read are declared
 * here with only the fields used, and preserve_access_index makes every access
 * a CO-RE relocation that libbpf resolves against /sys/kernel/btf/vmlinux. */
#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define CORE __attribute__((preserve_access_index))

struct pt_regs {
        unsigned long bx, cx, dx, si, di, bp, r8, r9, r10;
} CORE;

struct thread_info {
        unsigned int status;
} CORE;

struct ns_common {
        unsigned int inum;
} CORE;

struct pid_namespace {
        struct ns_common ns;
} CORE;

struct upid {
        int nr;
        struct pid_namespace *ns;
} CORE;

struct pid {
        unsigned int level;
        struct upid numbers[1];
} CORE;

struct task_struct {
        struct thread_info thread_info;
        int pid;
        int tgid;
        struct pid *thread_pid;
} CORE;

/* x86's thread_info status bit for "this syscall came in through a 32-bit
 * entry" (int $0x80, sysenter, 32-bit syscall): set before sys_enter, cleared on
 * the way back to user mode; in_ia32_syscall() reads the same bit.  A macro in
 * the kernel, so not relocatable: it has been 0x0002 since Linux 2.6. */
#define TS_COMPAT 0x0002
#define X32_BIT 0x40000000L

/* Must match lib/record/ebpf.c. */
#define SLOT_X86_64 0
#define SLOT_I386 1
#define SLOT_X32 2
#define N_SLOT_ARCH 3
#define NR_SLOTS 1024
#define MAX_PIDNS_LEVEL 32

#define MODE_TREE 0
#define MODE_PIDNS 1

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(map_flags, BPF_F_NO_PREALLOC); /* off the per-syscall path; cheaper to create */
        __uint(max_entries, 32768);
        __type(key, __u32);   /* thread id, as the initial pid namespace numbers it */
        __type(value, __u8);
} tracked SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, N_SLOT_ARCH * NR_SLOTS);
        __type(key, __u32);   /* arch slot * NR_SLOTS + number (x32: without its bit) */
        __type(value, __u64);
} counts SEC(".maps");

/* Numbers outside 0..NR_SLOTS-1 (-1, an x32 bit on an i386 call, garbage). */
struct odd_key {
        __u32 arch;
        __u32 pad;
        __s64 nr;
};

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
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

/* The tree: bit (tid % 64) of word tid / 64, for every thread id up to
 * PID_MAX_LIMIT (4M, 512 KiB); set and cleared with atomic or/and (fork, exit
 * and exec on several CPUs at once; the recorder through the mmap'ed .bss). */
#define PID_WORDS (4194304 / 64)
__u64 tree_bits[PID_WORDS];

/* Thread ids stay below PID_MAX_LIMIT, so the mask changes none; it is there
 * for the verifier, which does not carry a range check made on a copy of the
 * register over to the index. */
#define WORD(tid) (((tid) / 64) & (PID_WORDS - 1))

static __always_inline int in_tree(__u32 tid)
{
        return (tree_bits[WORD(tid)] >> (tid % 64)) & 1;
}

static __always_inline void tree_add(__u32 tid)
{
        __sync_fetch_and_or(&tree_bits[WORD(tid)], 1ULL << (tid % 64));
}

static __always_inline void tree_del(__u32 tid)
{
        __sync_fetch_and_and(&tree_bits[WORD(tid)], ~(1ULL << (tid % 64)));
}

/* Set by the recorder after loading (.bss is mmap'ed). */
__u32 mode;
__u32 ns_inum;
__u32 ns_level;       /* of that namespace: 0 is the initial one */
/* 1 + the index of the argument whose values are kept, per counts slot. */
__u8 arg_index[N_SLOT_ARCH * NR_SLOTS];
/* Set here, read by the recorder: plain stores of 1, no atomics needed. */
__u32 track_full;  /* a new task could not be added: its calls are missed */
__u32 odd_full;    /* too many distinct out-of-range numbers */
__u32 values_full; /* argument values were dropped */

static __always_inline int task_in_pidns(struct task_struct *task)
{
        struct pid *p = task->thread_pid;
        if (!p)
                return 0;
        /* numbers[i] is the task's pid in the namespace at depth i: the task is
         * in the target, or below it, when numbers[target's depth] is the target */
        unsigned int level = p->level, want = ns_level;
        if (level < want || want > MAX_PIDNS_LEVEL)
                return 0;
        struct upid *u = &p->numbers[0];
        u = (struct upid *)((char *)u + want * bpf_core_type_size(struct upid));
        struct pid_namespace *ns = BPF_CORE_READ(u, ns);
        return ns && BPF_CORE_READ(ns, ns.inum) == ns_inum;
}

static __always_inline __u64 arg_of(struct pt_regs *regs, __u32 arch, __u32 i)
{
        if (arch == SLOT_I386) {
                unsigned long v = 0;
                switch (i) {
                case 0: v = BPF_CORE_READ(regs, bx); break;
                case 1: v = BPF_CORE_READ(regs, cx); break;
                case 2: v = BPF_CORE_READ(regs, dx); break;
                case 3: v = BPF_CORE_READ(regs, si); break;
                case 4: v = BPF_CORE_READ(regs, di); break;
                default: v = BPF_CORE_READ(regs, bp); break;
                }
                /* an i386 call has 32-bit arguments: seccomp sees the low word */
                return (__u32)v;
        }
        switch (i) {
        case 0: return BPF_CORE_READ(regs, di);
        case 1: return BPF_CORE_READ(regs, si);
        case 2: return BPF_CORE_READ(regs, dx);
        case 3: return BPF_CORE_READ(regs, r10);
        case 4: return BPF_CORE_READ(regs, r8);
        default: return BPF_CORE_READ(regs, r9);
        }
}

SEC("tp_btf/sys_enter")
int sys_enter(unsigned long long *ctx)
{
        struct task_struct *task;
        if (mode == MODE_TREE) {
                if (!in_tree((__u32)bpf_get_current_pid_tgid()))
                        return 0;
                task = bpf_get_current_task_btf();
        } else {
                task = bpf_get_current_task_btf();
                if (!task_in_pidns(task))
                        return 0;
        }
        long nr = (long)ctx[1];
        __u32 arch = task->thread_info.status & TS_COMPAT ? SLOT_I386 : SLOT_X86_64;
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
        __u32 slot = arch * NR_SLOTS + (__u32)idx;
        __u64 *c = bpf_map_lookup_elem(&counts, &slot);
        if (c)
                *c += 1;
        if (slot >= N_SLOT_ARCH * NR_SLOTS)
                return 0;
        __u8 ai = arg_index[slot];
        if (ai) {
                struct value_key k = { .slot = slot, .value = arg_of((struct pt_regs *)ctx[0], arch, ai - 1) };
                if (!bpf_map_lookup_elem(&values, &k)) {
                        __u8 one = 1;
                        if (bpf_map_update_elem(&values, &k, &one, BPF_NOEXIST) == -E2BIG)
                                values_full = 1;
                }
        }
        return 0;
}

/* A task of the tree made a process or a thread: it joins the tree before it
 * first runs (the tracepoint fires before wake_up_new_task). */
SEC("tp_btf/sched_process_fork")
int sched_process_fork(unsigned long long *ctx)
{
        if (mode != MODE_TREE)
                return 0;
        struct task_struct *parent = (struct task_struct *)ctx[0];
        struct task_struct *child = (struct task_struct *)ctx[1];
        if (!in_tree((__u32)parent->pid))
                return 0;
        __u32 tid = (__u32)child->pid;
        __u8 one = 1;
        if (tid / 64 >= PID_WORDS || bpf_map_update_elem(&tracked, &tid, &one, BPF_ANY) < 0)
                track_full = 1;
        tree_add(tid);
        return 0;
}

SEC("tp_btf/sched_process_exit")
int sched_process_exit(unsigned long long *ctx)
{
        struct task_struct *task = (struct task_struct *)ctx[0];
        __u32 tid = (__u32)task->pid;
        if (!in_tree(tid))
                return 0;
        tree_del(tid);
        bpf_map_delete_elem(&tracked, &tid);
        return 0;
}

/* A thread other than the leader that execs takes the leader's id (which left
 * the tree when the leader exited in de_thread): the tree keeps it. */
SEC("tp_btf/sched_process_exec")
int sched_process_exec(unsigned long long *ctx)
{
        struct task_struct *task = (struct task_struct *)ctx[0];
        __u32 old = (__u32)ctx[1];
        __u32 tid = (__u32)task->pid;
        if (old == tid || !in_tree(old))
                return 0;
        __u8 one = 1;
        if (bpf_map_update_elem(&tracked, &tid, &one, BPF_ANY) < 0)
                track_full = 1;
        tree_add(tid);
        tree_del(old);
        bpf_map_delete_elem(&tracked, &old);
        return 0;
}

/* The kernel wants a GPL-compatible license string for the probe-read helpers;
 * LGPL-2.1 (section 3) lets this code be used under the GPL. */
char LICENSE[] SEC("license") = "GPL";
