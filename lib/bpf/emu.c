/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's side of a seccomp program: what the loader accepts
 * (bpf_check_classic() then seccomp_check_filter()), how a filter runs, and
 * which syscalls the action cache of Linux >= 5.11 allows without running it.
 * Everything here follows the kernel, quirks included, so that a program the
 * emulator accepts and runs behaves the same once loaded. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sysfence/bpf.h"
#include "util/util.h"

#define SECCOMP_DATA_SIZE ((uint32_t)sizeof(struct seccomp_data))

/* seccomp_check_filter()'s list: a subset of what bpf_check_classic() takes.
 * No MOD, no 8/16-bit or indirect loads, no LDX MSH. */
static bool insn_allowed(uint16_t code)
{
        switch (code) {
        case BPF_LD | BPF_W | BPF_ABS:
        case BPF_LD | BPF_W | BPF_LEN:
        case BPF_LDX | BPF_W | BPF_LEN:
        case BPF_LD | BPF_IMM:
        case BPF_LDX | BPF_IMM:
        case BPF_LD | BPF_MEM:
        case BPF_LDX | BPF_MEM:
        case BPF_ST:
        case BPF_STX:
        case BPF_ALU | BPF_ADD | BPF_K:
        case BPF_ALU | BPF_ADD | BPF_X:
        case BPF_ALU | BPF_SUB | BPF_K:
        case BPF_ALU | BPF_SUB | BPF_X:
        case BPF_ALU | BPF_MUL | BPF_K:
        case BPF_ALU | BPF_MUL | BPF_X:
        case BPF_ALU | BPF_DIV | BPF_K:
        case BPF_ALU | BPF_DIV | BPF_X:
        case BPF_ALU | BPF_AND | BPF_K:
        case BPF_ALU | BPF_AND | BPF_X:
        case BPF_ALU | BPF_OR | BPF_K:
        case BPF_ALU | BPF_OR | BPF_X:
        case BPF_ALU | BPF_XOR | BPF_K:
        case BPF_ALU | BPF_XOR | BPF_X:
        case BPF_ALU | BPF_LSH | BPF_K:
        case BPF_ALU | BPF_LSH | BPF_X:
        case BPF_ALU | BPF_RSH | BPF_K:
        case BPF_ALU | BPF_RSH | BPF_X:
        case BPF_ALU | BPF_NEG:
        case BPF_MISC | BPF_TAX:
        case BPF_MISC | BPF_TXA:
        case BPF_JMP | BPF_JA:
        case BPF_JMP | BPF_JEQ | BPF_K:
        case BPF_JMP | BPF_JEQ | BPF_X:
        case BPF_JMP | BPF_JGT | BPF_K:
        case BPF_JMP | BPF_JGT | BPF_X:
        case BPF_JMP | BPF_JGE | BPF_K:
        case BPF_JMP | BPF_JGE | BPF_X:
        case BPF_JMP | BPF_JSET | BPF_K:
        case BPF_JMP | BPF_JSET | BPF_X:
        case BPF_RET | BPF_K:
        case BPF_RET | BPF_A:
                return true;
        default:
                return false;
        }
}

static bool is_cond_jump(uint16_t code)
{
        return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

/* The per-instruction checks of both kernel passes; all of them fail with EINVAL,
 * so only the message depends on their order. */
static int check_insn(const struct sock_filter *insns, size_t len, size_t pc, sf_error **err)
{
        const struct sock_filter *f = &insns[pc];

        if (!insn_allowed(f->code))
                return sf_error_set(err, EINVAL,
                                    "instruction %zu: opcode 0x%02x is not allowed in a seccomp filter",
                                    pc, f->code);

        switch (f->code) {
        case BPF_LD | BPF_W | BPF_ABS:
                if (f->k >= SECCOMP_DATA_SIZE)
                        return sf_error_set(err, EINVAL,
                                            "instruction %zu: load offset %u is outside seccomp_data (%u bytes)",
                                            pc, f->k, SECCOMP_DATA_SIZE);
                if (f->k & 3)
                        return sf_error_set(err, EINVAL,
                                            "instruction %zu: load offset %u is not 32-bit aligned",
                                            pc, f->k);
                break;
        case BPF_ALU | BPF_DIV | BPF_K:
                if (f->k == 0)
                        return sf_error_set(err, EINVAL, "instruction %zu: division by constant 0", pc);
                break;
        case BPF_ALU | BPF_LSH | BPF_K:
        case BPF_ALU | BPF_RSH | BPF_K:
                if (f->k >= 32)
                        return sf_error_set(err, EINVAL,
                                            "instruction %zu: shift by %u (at most 31)", pc, f->k);
                break;
        case BPF_LD | BPF_MEM:
        case BPF_LDX | BPF_MEM:
        case BPF_ST:
        case BPF_STX:
                if (f->k >= BPF_MEMWORDS)
                        return sf_error_set(err, EINVAL,
                                            "instruction %zu: scratch memory M[%u] does not exist (M[0]..M[%d])",
                                            pc, f->k, BPF_MEMWORDS - 1);
                break;
        case BPF_JMP | BPF_JA:
                /* Written as the kernel does: no overflow for any k. */
                if (f->k >= len - pc - 1)
                        return sf_error_set(err, EINVAL,
                                            "instruction %zu: jump to %zu is past the end (%zu instructions)",
                                            pc, pc + 1 + (size_t)f->k, len);
                break;
        default:
                if (is_cond_jump(f->code)) {
                        size_t far = f->jt > f->jf ? f->jt : f->jf;
                        if (pc + 1 + far >= len)
                                return sf_error_set(err, EINVAL,
                                                    "instruction %zu: jump to %zu is past the end (%zu instructions)",
                                                    pc, pc + 1 + far, len);
                }
                break;
        }
        return 0;
}

/* The kernel's check_load_and_stores(): one forward pass that keeps the set of
 * written cells.  A jump target gets the intersection over the jumps to it; after
 * a jump the fall-through state is "everything", so only the jumps' masks count
 * (and code after a RET keeps the RET's state): conservative, but exactly what the
 * kernel accepts.  Needs every jump in range. */
static int check_mem(const struct sock_filter *insns, size_t len, sf_error **err)
{
        uint16_t masks[SF_BPF_MAX_INSNS];
        uint16_t valid = 0;

        for (size_t pc = 0; pc < len; pc++)
                masks[pc] = 0xffff;

        for (size_t pc = 0; pc < len; pc++) {
                const struct sock_filter *f = &insns[pc];

                valid &= masks[pc];
                switch (f->code) {
                case BPF_ST:
                case BPF_STX:
                        valid |= (uint16_t)(1u << f->k);
                        break;
                case BPF_LD | BPF_MEM:
                case BPF_LDX | BPF_MEM:
                        if (!(valid & (1u << f->k)))
                                return sf_error_set(err, EINVAL,
                                                    "instruction %zu: M[%u] is read before it is written on every path",
                                                    pc, f->k);
                        break;
                case BPF_JMP | BPF_JA:
                        masks[pc + 1 + f->k] &= valid;
                        valid = 0xffff;
                        break;
                default:
                        if (is_cond_jump(f->code)) {
                                masks[pc + 1 + f->jt] &= valid;
                                masks[pc + 1 + f->jf] &= valid;
                                valid = 0xffff;
                        }
                        break;
                }
        }
        return 0;
}

SF_EXPORT int sf_bpf_validate(const struct sock_filter *insns, size_t len, sf_error **err)
{
        int r;

        if (!insns)
                return sf_error_set(err, EINVAL, "no program");
        if (len == 0)
                return sf_error_set(err, EINVAL, "empty program");
        if (len > SF_BPF_MAX_INSNS)
                return sf_error_set(err, EINVAL,
                                    "program has %zu instructions, the kernel accepts at most %d",
                                    len, SF_BPF_MAX_INSNS);

        for (size_t pc = 0; pc < len; pc++) {
                r = check_insn(insns, len, pc, err);
                if (r < 0)
                        return r;
        }

        uint16_t last = insns[len - 1].code;
        if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A))
                return sf_error_set(err, EINVAL, "instruction %zu: the last instruction is not a ret",
                                    len - 1);

        return check_mem(insns, len, err);
}

/* A 32-bit word of seccomp_data in host order, as the kernel loads it. */
static bool data_word(const struct seccomp_data *d, uint32_t off, uint32_t *ret)
{
        if (off >= SECCOMP_DATA_SIZE || (off & 3))
                return false;
        memcpy(ret, (const unsigned char *)d + off, sizeof(*ret));
        return true;
}

/* Moves *pc past a jump of off instructions; false if that leaves the program. */
static bool jump(size_t len, size_t *pc, uint32_t off)
{
        if (off >= len - *pc - 1)
                return false;
        *pc += 1 + (size_t)off;
        return true;
}

static bool alu(uint16_t code, uint32_t *a, uint32_t operand)
{
        switch (BPF_OP(code)) {
        case BPF_ADD:
                *a += operand;
                return true;
        case BPF_SUB:
                *a -= operand;
                return true;
        case BPF_MUL:
                *a *= operand;
                return true;
        case BPF_DIV:
                if (operand == 0)
                        return false;
                *a /= operand;
                return true;
        case BPF_AND:
                *a &= operand;
                return true;
        case BPF_OR:
                *a |= operand;
                return true;
        case BPF_XOR:
                *a ^= operand;
                return true;
        case BPF_LSH:
                /* Constant shifts are < 32 (checked at load); shifts by X run as
                 * 32-bit eBPF shifts, which take the count modulo 32. */
                *a <<= operand & 31;
                return true;
        case BPF_RSH:
                *a >>= operand & 31;
                return true;
        default:
                return false;
        }
}

SF_EXPORT uint32_t sf_bpf_run(const struct sock_filter *insns, size_t len, const struct seccomp_data *d,
                              size_t *ret_steps, size_t *ret_pc)
{
        uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
        uint32_t ret = SECCOMP_RET_KILL_PROCESS; /* anything impossible */
        size_t pc = 0, steps = 0;

        if (!insns || !d || len > SF_BPF_MAX_INSNS)
                len = 0;

        /* Jumps only go forward, so this ends after at most len steps. */
        while (pc < len) {
                const struct sock_filter *f = &insns[pc];
                uint32_t operand;
                bool taken;

                steps++;
                switch (f->code) {
                case BPF_LD | BPF_W | BPF_ABS:
                        if (!data_word(d, f->k, &a))
                                goto out;
                        break;
                case BPF_LD | BPF_W | BPF_LEN:
                        a = SECCOMP_DATA_SIZE;
                        break;
                case BPF_LDX | BPF_W | BPF_LEN:
                        x = SECCOMP_DATA_SIZE;
                        break;
                case BPF_LD | BPF_IMM:
                        a = f->k;
                        break;
                case BPF_LDX | BPF_IMM:
                        x = f->k;
                        break;
                case BPF_LD | BPF_MEM:
                case BPF_LDX | BPF_MEM:
                case BPF_ST:
                case BPF_STX:
                        if (f->k >= BPF_MEMWORDS)
                                goto out;
                        if (f->code == (BPF_LD | BPF_MEM))
                                a = mem[f->k];
                        else if (f->code == (BPF_LDX | BPF_MEM))
                                x = mem[f->k];
                        else if (f->code == BPF_ST)
                                mem[f->k] = a;
                        else
                                mem[f->k] = x;
                        break;
                case BPF_ALU | BPF_DIV | BPF_X:
                        /* The kernel's translation to eBPF returns 0 here. */
                        if (x == 0) {
                                ret = SECCOMP_RET_KILL_THREAD;
                                goto out;
                        }
                        a /= x;
                        break;
                case BPF_ALU | BPF_NEG:
                        a = -a;
                        break;
                case BPF_MISC | BPF_TAX:
                        x = a;
                        break;
                case BPF_MISC | BPF_TXA:
                        a = x;
                        break;
                case BPF_JMP | BPF_JA:
                        if (!jump(len, &pc, f->k))
                                goto out;
                        continue;
                case BPF_RET | BPF_K:
                        ret = f->k;
                        goto out;
                case BPF_RET | BPF_A:
                        ret = a;
                        goto out;
                default:
                        if (!insn_allowed(f->code))
                                goto out;
                        operand = BPF_SRC(f->code) == BPF_X ? x : f->k;
                        if (BPF_CLASS(f->code) == BPF_ALU) {
                                bool const_shift = BPF_SRC(f->code) == BPF_K &&
                                                   (BPF_OP(f->code) == BPF_LSH ||
                                                    BPF_OP(f->code) == BPF_RSH);
                                if ((const_shift && f->k >= 32) || !alu(f->code, &a, operand))
                                        goto out;
                                break;
                        }
                        /* What is left are the conditional jumps. */
                        switch (BPF_OP(f->code)) {
                        case BPF_JEQ:
                                taken = a == operand;
                                break;
                        case BPF_JGT:
                                taken = a > operand;
                                break;
                        case BPF_JGE:
                                taken = a >= operand;
                                break;
                        default: /* BPF_JSET */
                                taken = (a & operand) != 0;
                                break;
                        }
                        if (!jump(len, &pc, taken ? f->jt : f->jf))
                                goto out;
                        continue;
                }
                pc++;
        }

out:
        if (ret_steps)
                *ret_steps = steps;
        if (ret_pc)
                *ret_pc = pc;
        return ret;
}

/* See bpf.h: every constant RET of ERRNO returns USER_NOTIF instead. */
SF_EXPORT int sf_bpf_errno_to_notify(const struct sock_filter *insns, size_t len, struct sock_filter **ret,
                                     size_t *ret_n, sf_error **err)
{
        struct sock_filter *out = malloc((len ? len : 1) * sizeof(*out));
        if (!out)
                return sf_error_set(err, ENOMEM, "out of memory");
        size_t n = 0;
        for (size_t pc = 0; pc < len; pc++) {
                out[pc] = insns[pc];
                /* a constant RET only: a RET A that makes an ERRNO keeps it (the
                 * kernel applies it; the listener does not hear of it) */
                if (insns[pc].code == (BPF_RET | BPF_K) && (insns[pc].k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) {
                        out[pc].k = SECCOMP_RET_USER_NOTIF;
                        n++;
                }
        }
        *ret = out;
        *ret_n = n;
        return 0;
}

/* The walk of the kernel's seccomp_is_const_allow(), run on the program as it
 * was loaded: only nr and arch are known, so any other load or any other
 * instruction means the decision is not known without the arguments. */
SF_EXPORT bool sf_bpf_const_ret(const struct sock_filter *insns, size_t len, uint32_t audit_arch, int nr,
                                uint32_t *ret)
{
        uint32_t a = 0;
        size_t pc = 0;

        if (!insns || len > SF_BPF_MAX_INSNS)
                return false;

        while (pc < len) {
                const struct sock_filter *f = &insns[pc];
                bool taken;

                switch (f->code) {
                case BPF_LD | BPF_W | BPF_ABS:
                        if (f->k == offsetof(struct seccomp_data, nr))
                                a = (uint32_t)nr;
                        else if (f->k == offsetof(struct seccomp_data, arch))
                                a = audit_arch;
                        else
                                return false;
                        pc++;
                        continue;
                case BPF_ALU | BPF_AND | BPF_K:
                        a &= f->k;
                        pc++;
                        continue;
                case BPF_RET | BPF_K:
                        *ret = f->k;
                        return true;
                case BPF_JMP | BPF_JA:
                        if (!jump(len, &pc, f->k))
                                return false;
                        continue;
                case BPF_JMP | BPF_JEQ | BPF_K:
                        taken = a == f->k;
                        break;
                case BPF_JMP | BPF_JGT | BPF_K:
                        taken = a > f->k;
                        break;
                case BPF_JMP | BPF_JGE | BPF_K:
                        taken = a >= f->k;
                        break;
                case BPF_JMP | BPF_JSET | BPF_K:
                        taken = (a & f->k) != 0;
                        break;
                default:
                        return false;
                }
                if (!jump(len, &pc, taken ? f->jt : f->jf))
                        return false;
        }
        return false;
}

/* A RET other than exactly ALLOW makes the syscall go through the filter. */
SF_EXPORT bool sf_bpf_cacheable(const struct sock_filter *insns, size_t len, uint32_t audit_arch, int nr)
{
        uint32_t ret;
        return sf_bpf_const_ret(insns, len, audit_arch, nr, &ret) && ret == SECCOMP_RET_ALLOW;
}

SF_EXPORT uint32_t sf_action_ret(sf_action a)
{
        switch (a.kind) {
        case SF_ACT_KILL_PROCESS:
                return SECCOMP_RET_KILL_PROCESS;
        case SF_ACT_KILL_THREAD:
                return SECCOMP_RET_KILL_THREAD;
        case SF_ACT_TRAP:
                return SECCOMP_RET_TRAP | (a.data & SECCOMP_RET_DATA);
        case SF_ACT_ERRNO:
                /* The kernel caps the errno at MAX_ERRNO too; capping first keeps a
                 * large value from wrapping to a small one. */
                return SECCOMP_RET_ERRNO | (a.data > SF_ERRNO_MAX ? SF_ERRNO_MAX : a.data);
        case SF_ACT_USER_NOTIF:
                return SECCOMP_RET_USER_NOTIF;
        case SF_ACT_TRACE:
                return SECCOMP_RET_TRACE | (a.data & SECCOMP_RET_DATA);
        case SF_ACT_LOG:
                return SECCOMP_RET_LOG;
        case SF_ACT_ALLOW:
                return SECCOMP_RET_ALLOW;
        }
        return SECCOMP_RET_KILL_PROCESS;
}
