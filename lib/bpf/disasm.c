/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A readable listing of a seccomp program: one numbered line per instruction,
 * jump targets as absolute instruction numbers, loads named after the
 * seccomp_data field they read and return values decoded. */
#include <stdio.h>

#include "sysfence/bpf.h"
#include "util/util.h"

/* The column where the name of a loaded field starts, after the instruction. */
#define FIELD_COLUMN 22

/* BPF_OP() >> 4 of the ALU and jump classes. */
static const char *const alu_names[16] = {
        [BPF_ADD >> 4] = "add", [BPF_SUB >> 4] = "sub", [BPF_MUL >> 4] = "mul",
        [BPF_DIV >> 4] = "div", [BPF_OR >> 4] = "or",   [BPF_AND >> 4] = "and",
        [BPF_LSH >> 4] = "lsh", [BPF_RSH >> 4] = "rsh", [BPF_NEG >> 4] = "neg",
        [BPF_MOD >> 4] = "mod", [BPF_XOR >> 4] = "xor",
};
static const char *const jmp_names[16] = {
        [BPF_JA >> 4] = "ja",   [BPF_JEQ >> 4] = "jeq", [BPF_JGT >> 4] = "jgt",
        [BPF_JGE >> 4] = "jge", [BPF_JSET >> 4] = "jset",
};

SF_EXPORT const char *sf_ret_name(uint32_t ret, char *buf, size_t size)
{
        uint32_t data = ret & SECCOMP_RET_DATA;
        const char *name = NULL;

        if (!buf || size == 0)
                return "";

        switch (ret & SECCOMP_RET_ACTION_FULL) {
        case SECCOMP_RET_ERRNO:
                snprintf(buf, size, "ERRNO(%u)", data);
                return buf;
        case SECCOMP_RET_TRACE:
                snprintf(buf, size, "TRACE(%u)", data);
                return buf;
        case SECCOMP_RET_TRAP:
                if (data)
                        snprintf(buf, size, "TRAP(%u)", data);
                else
                        snprintf(buf, size, "TRAP");
                return buf;
        case SECCOMP_RET_KILL_PROCESS:
                name = "KILL_PROCESS";
                break;
        case SECCOMP_RET_KILL_THREAD:
                name = "KILL_THREAD";
                break;
        case SECCOMP_RET_USER_NOTIF:
                name = "USER_NOTIF";
                break;
        case SECCOMP_RET_LOG:
                name = "LOG";
                break;
        case SECCOMP_RET_ALLOW:
                name = "ALLOW";
                break;
        }
        /* Data on an action that takes none is shown: ALLOW|1 acts as ALLOW but is
         * not what the action cache looks for. */
        if (name && data == 0)
                snprintf(buf, size, "%s", name);
        else
                snprintf(buf, size, "0x%08x", ret);
        return buf;
}

/* The seccomp_data field a 32-bit load at off reads (little-endian layout), or NULL. */
static const char *field_name(uint32_t off, char *buf, size_t size)
{
        static const char *const fixed[] = { "nr", "arch", "ip.lo", "ip.hi" };

        if (off & 3 || off >= sizeof(struct seccomp_data))
                return NULL;
        if (off < 16)
                return fixed[off / 4];
        snprintf(buf, size, "args[%u].%s", (off - 16) / 8, (off & 4) ? "hi" : "lo");
        return buf;
}

/* Bit masks read best in hex, numbers (syscalls, errnos, offsets) in decimal. */
static void put_imm(sf_buf *b, uint32_t k, bool hex)
{
        if (hex || k >= 0x1000)
                sf_buf_printf(b, "#0x%x", k);
        else
                sf_buf_printf(b, "#%u", k);
}

static void put_unknown(sf_buf *b, const struct sock_filter *f)
{
        sf_buf_printf(b, ".insn 0x%04x, %u, %u, 0x%08x", f->code, f->jt, f->jf, f->k);
}

static void put_load(sf_buf *b, const struct sock_filter *f, const char **ret_field, char *field_buf,
                     size_t field_size)
{
        uint16_t code = f->code;
        bool x = BPF_CLASS(code) == BPF_LDX;
        const char *op = x ? "ldx" : "ld";

        switch (code & ~BPF_LDX) {
        case BPF_LD | BPF_W | BPF_IMM:
                sf_buf_printf(b, "%-3s ", op);
                put_imm(b, f->k, false);
                return;
        case BPF_LD | BPF_W | BPF_MEM:
                sf_buf_printf(b, "%-3s M[%u]", op, f->k);
                return;
        case BPF_LD | BPF_W | BPF_LEN:
                sf_buf_printf(b, "%-3s #len", op);
                return;
        }
        if (!x) {
                /* "ld  ", "ldh ", "ldb ": the operands line up. */
                const char *name = BPF_SIZE(code) == BPF_W ? "ld" :
                                   BPF_SIZE(code) == BPF_H ? "ldh" :
                                   BPF_SIZE(code) == BPF_B ? "ldb" : NULL;
                if (name && BPF_MODE(code) == BPF_ABS) {
                        sf_buf_printf(b, "%-3s [%u]", name, f->k);
                        if (BPF_SIZE(code) == BPF_W)
                                *ret_field = field_name(f->k, field_buf, field_size);
                        return;
                }
                if (name && BPF_MODE(code) == BPF_IND) {
                        sf_buf_printf(b, "%-3s [x+%u]", name, f->k);
                        return;
                }
        } else if (code == (BPF_LDX | BPF_B | BPF_MSH)) {
                sf_buf_printf(b, "ldx 4*([%u]&0xf)", f->k);
                return;
        }
        put_unknown(b, f);
}

/* One instruction into b; *ret_field names the seccomp_data word it loads.  Every
 * classic BPF opcode gets its mnemonic, seccomp's or not; other codes are shown
 * raw. */
static void put_insn(sf_buf *b, const struct sock_filter *f, size_t pc, const char **ret_field,
                     char *field_buf, size_t field_size)
{
        uint16_t code = f->code;
        char ret_buf[32];
        const char *op;

        *ret_field = NULL;
        if (code > 0xff) {
                put_unknown(b, f);
                return;
        }

        switch (BPF_CLASS(code)) {
        case BPF_LD:
        case BPF_LDX:
                put_load(b, f, ret_field, field_buf, field_size);
                return;
        case BPF_ST:
        case BPF_STX:
                if (code != BPF_ST && code != BPF_STX)
                        break;
                sf_buf_printf(b, "%-3s M[%u]", code == BPF_ST ? "st" : "stx", f->k);
                return;
        case BPF_ALU:
                op = alu_names[BPF_OP(code) >> 4];
                if (!op)
                        break;
                if (BPF_OP(code) == BPF_NEG) {
                        if (BPF_SRC(code) != BPF_K)
                                break;
                        sf_buf_puts(b, "neg");
                        return;
                }
                sf_buf_printf(b, "%-3s ", op);
                if (BPF_SRC(code) == BPF_X)
                        sf_buf_puts(b, "x");
                else
                        put_imm(b, f->k, BPF_OP(code) == BPF_AND || BPF_OP(code) == BPF_OR ||
                                                 BPF_OP(code) == BPF_XOR);
                return;
        case BPF_JMP:
                op = jmp_names[BPF_OP(code) >> 4];
                if (!op)
                        break;
                if (BPF_OP(code) == BPF_JA) {
                        if (BPF_SRC(code) != BPF_K)
                                break;
                        sf_buf_printf(b, "ja  %zu", pc + 1 + (size_t)f->k);
                        return;
                }
                sf_buf_printf(b, "%-3s ", op);
                if (BPF_SRC(code) == BPF_X)
                        sf_buf_puts(b, "x");
                else
                        put_imm(b, f->k, BPF_OP(code) == BPF_JSET);
                sf_buf_printf(b, ", %zu, %zu", pc + 1 + f->jt, pc + 1 + f->jf);
                return;
        case BPF_RET:
                if (code == (BPF_RET | BPF_K))
                        sf_buf_printf(b, "ret %s", sf_ret_name(f->k, ret_buf, sizeof(ret_buf)));
                else if (code == (BPF_RET | BPF_A))
                        sf_buf_puts(b, "ret a");
                else if (code == (BPF_RET | BPF_X))
                        sf_buf_puts(b, "ret x");
                else
                        break;
                return;
        case BPF_MISC:
                if (code == (BPF_MISC | BPF_TAX))
                        sf_buf_puts(b, "tax");
                else if (code == (BPF_MISC | BPF_TXA))
                        sf_buf_puts(b, "txa");
                else
                        break;
                return;
        }
        put_unknown(b, f);
}

SF_EXPORT char *sf_bpf_disasm(const struct sock_filter *insns, size_t len,
                              const char *(*annotate)(void *ctx, size_t pc, char *buf, size_t size),
                              void *ctx)
{
        sf_buf out = { 0 }, line = { 0 };
        int width = 3;

        if (!insns)
                len = 0;
        for (size_t n = len ? len - 1 : 0; n >= 1000; n /= 10)
                width++;

        for (size_t pc = 0; pc < len; pc++) {
                char field_buf[16], note_buf[256];
                const char *field, *note = NULL;

                sf_buf_truncate(&line, 0);
                put_insn(&line, &insns[pc], pc, &field, field_buf, sizeof(field_buf));
                if (line.oom)
                        break;
                sf_buf_printf(&out, "%*zu: ", width, pc);
                if (field)
                        sf_buf_printf(&out, "%-*s ; %s", FIELD_COLUMN, line.s, field);
                else
                        sf_buf_puts(&out, line.s);
                if (annotate) {
                        note_buf[0] = 0;
                        note = annotate(ctx, pc, note_buf, sizeof(note_buf));
                }
                if (note && note[0])
                        sf_buf_printf(&out, "  ; %s", note);
                sf_buf_putc(&out, '\n');
        }

        if (line.oom) {
                sf_buf_release(&line);
                sf_buf_release(&out);
                return NULL;
        }
        sf_buf_release(&line);
        sf_buf_add(&out, "", 0); /* an empty listing is still a terminated string */
        return sf_buf_steal(&out);
}
