/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The BTF reader the eBPF recorder takes its kernel offsets from, against
 * libbpf's parser of the same file (the running kernel's BTF): every member of
 * the structs the recorder reads and of some with anonymous unions, nested
 * paths, and the errors (a missing struct or field, a bit-field, a file cut
 * short or not BTF, a type record it cannot read, named with the byte where
 * it goes wrong). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record/btf.h"
#include "sysfence/error.h"

#ifdef SF_HAVE_EBPF
#include <bpf/btf.h>
#endif

#include "tap.h"

#define VMLINUX "/sys/kernel/btf/vmlinux"

/* A copy of the first n bytes of VMLINUX (with byte at `poke` set to v when
 * poke >= 0), in a temporary file; its path. */
static char *cut(char path[static 64], size_t n, long poke, unsigned char v)
{
        snprintf(path, 64, "/tmp/sf-test-btf.XXXXXX");
        int out = mkstemp(path);
        int in = open(VMLINUX, O_RDONLY);
        unsigned char *buf = malloc(n);
        size_t got = 0;
        ssize_t r;
        while (buf && in >= 0 && got < n && (r = read(in, buf + got, n - got)) > 0)
                got += (size_t)r;
        if (poke >= 0 && (size_t)poke < got)
                buf[poke] = v;
        if (out >= 0 && buf && write(out, buf, got) != (ssize_t)got)
                got = 0;
        free(buf);
        if (in >= 0)
                close(in);
        if (out >= 0)
                close(out);
        return path;
}

static bool open_fails(const char *path, int code, const char *want, char *msg, size_t size)
{
        sf_btf *b = NULL;
        sf_error *err = NULL;
        int r = sf_btf_open(path, &b, &err);
        snprintf(msg, size, "%s", err ? sf_error_message(err) : "no error");
        bool ok = r == -code && !b && strstr(msg, want) && strstr(msg, path);
        sf_btf_free(b);
        sf_error_free(err);
        return ok;
}

#ifdef SF_HAVE_EBPF
/* libbpf's answer: the byte offset of path in struct name, through anonymous
 * members; -1 when not found or not whole bytes. */
static long oracle_in(const struct btf *btf, const struct btf_type *t, const char *name, size_t len)
{
        const struct btf_member *m = btf_members(t);
        for (unsigned i = 0; i < btf_vlen(t); i++) {
                const char *mn = btf__name_by_offset(btf, m[i].name_off);
                long bits = (long)btf_member_bit_offset(t, i);
                if (!mn || !*mn) {
                        const struct btf_type *in = btf__type_by_id(btf, btf__resolve_type(btf, m[i].type));
                        if (in && (btf_is_struct(in) || btf_is_union(in))) {
                                long r = oracle_in(btf, in, name, len);
                                if (r >= 0)
                                        return r + bits / 8;
                        }
                        continue;
                }
                if (strlen(mn) == len && strncmp(mn, name, len) == 0)
                        return btf_member_bitfield_size(t, i) || bits % 8 ? -1 : bits / 8;
        }
        return -1;
}

static long oracle(const struct btf *btf, const char *type, const char *path)
{
        int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
        if (id < 0)
                id = btf__find_by_name_kind(btf, type, BTF_KIND_UNION);
        const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
        long total = 0;
        for (const char *p = path; t;) {
                size_t len = strcspn(p, ".");
                long off = oracle_in(btf, t, p, len);
                if (off < 0)
                        return -1;
                total += off;
                if (!p[len])
                        return total;
                /* the member's type, for the next step */
                const struct btf_member *m = btf_members(t);
                const struct btf_type *next = NULL;
                for (unsigned i = 0; i < btf_vlen(t) && !next; i++) {
                        const char *mn = btf__name_by_offset(btf, m[i].name_off);
                        if (mn && strlen(mn) == len && strncmp(mn, p, len) == 0)
                                next = btf__type_by_id(btf, btf__resolve_type(btf, m[i].type));
                }
                t = next;
                p += len + 1;
        }
        return -1;
}

/* Every named member of struct `type`, with ours and libbpf's offsets. */
static void every_member(sf_btf *ours, const struct btf *btf, const char *type)
{
        int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
        const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
        const struct btf_member *m = t ? btf_members(t) : NULL;
        unsigned n = 0, same = 0, bitfields = 0;
        char first_bad[128] = "";
        for (unsigned i = 0; t && i < btf_vlen(t); i++) {
                const char *mn = btf__name_by_offset(btf, m[i].name_off);
                if (!mn || !*mn)
                        continue;
                n++;
                uint32_t off = 0;
                sf_error *err = NULL;
                int r = sf_btf_field_offset(ours, type, mn, &off, &err);
                long want = oracle(btf, type, mn);
                if (want < 0) {
                        /* a bit-field: refused */
                        if (r == -EINVAL)
                                same++, bitfields++;
                } else if (r == 0 && off == (uint32_t)want) {
                        same++;
                } else if (!first_bad[0]) {
                        snprintf(first_bad, sizeof(first_bad), "%s: ours %d/%u, libbpf %ld", mn, r, off, want);
                }
                sf_error_free(err);
        }
        TEST(n > 0 && same == n, "struct %s: all %u named members at libbpf's offsets (%u bit-fields refused)%s%s", type, n,
             bitfields, first_bad[0] ? "; " : "", first_bad);
}
#endif

int main(void)
{
        if (access(VMLINUX, R_OK) < 0) {
                printf("1..0 # SKIP %s: this kernel has no BTF\n", VMLINUX);
                return 0;
        }
        printf("1..%d\n", 17);
        sf_btf *b = NULL;
        sf_error *err = NULL;
        int r = sf_btf_open(NULL, &b, &err);
        TEST(r == 0 && b, "the running kernel's BTF opens (%s)", err ? sf_error_message(err) : "ok");
        sf_error_freep(&err);
        if (!b)
                return 1;

        /* what the eBPF recorder asks for */
        static const char *const wanted[][2] = {
                { "task_struct", "pid" },       { "task_struct", "thread_info.status" },
                { "task_struct", "thread_pid" }, { "pid", "level" },
                { "pid", "numbers" },           { "upid", "ns" },
                { "pid_namespace", "ns.inum" }, { "pt_regs", "di" },
                { "pt_regs", "r10" },           { "pt_regs", "bp" },
        };
        unsigned found = 0;
        for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
                uint32_t off;
                if (sf_btf_field_offset(b, wanted[i][0], wanted[i][1], &off, &err) == 0)
                        found++;
                sf_error_freep(&err);
        }
        TEST(found == sizeof(wanted) / sizeof(wanted[0]), "every field the eBPF recorder reads is found (%u of %zu)", found,
             sizeof(wanted) / sizeof(wanted[0]));

        /* pt_regs is also user ABI (asm/ptrace.h): its order is known */
        uint32_t di = 0, r10 = 0, bx = 0;
        sf_btf_field_offset(b, "pt_regs", "di", &di, NULL);
        sf_btf_field_offset(b, "pt_regs", "r10", &r10, NULL);
        sf_btf_field_offset(b, "pt_regs", "bx", &bx, NULL);
        TEST(bx == 40 && r10 == 56 && di == 112, "pt_regs: bx at 40, r10 at 56, di at 112 (got %u, %u, %u)", bx, r10, di);

#ifdef SF_HAVE_EBPF
        struct btf *lb = btf__parse(VMLINUX, NULL);
        TEST(lb != NULL, "libbpf parses the same file");
        if (lb) {
                unsigned same = 0, n = sizeof(wanted) / sizeof(wanted[0]);
                for (unsigned i = 0; i < n; i++) {
                        uint32_t off = 0;
                        sf_btf_field_offset(b, wanted[i][0], wanted[i][1], &off, NULL);
                        same += oracle(lb, wanted[i][0], wanted[i][1]) == (long)off;
                }
                TEST(same == n, "the recorder's fields: the same offsets as libbpf finds (%u of %u)", same, n);
                /* structs with anonymous unions and structs, and bit-fields */
                every_member(b, lb, "task_struct");
                every_member(b, lb, "sk_buff");
                every_member(b, lb, "page");
                every_member(b, lb, "pt_regs");
                uint32_t size = 0;
                sf_btf_struct_size(b, "upid", &size, NULL);
                int id = btf__find_by_name_kind(lb, "upid", BTF_KIND_STRUCT);
                TEST(id > 0 && size == btf__resolve_size(lb, (__u32)id), "sizeof(struct upid): %u, as libbpf says", size);
                btf__free(lb);
        }
#else
        for (int i = 0; i < 7; i++)
                printf("ok %d - libbpf comparison # SKIP built without libbpf\n", ++test_no);
#endif

        uint32_t off = 0;
        r = sf_btf_field_offset(b, "task_struct", "no_such_field", &off, &err);
        TEST(r == -ENOENT && strstr(sf_error_message(err), "struct task_struct has no field no_such_field"),
             "a missing field: -ENOENT, named (%s)", sf_error_message(err));
        sf_error_freep(&err);
        r = sf_btf_field_offset(b, "no_such_struct_xyz", "x", &off, &err);
        TEST(r == -ENOENT && strstr(sf_error_message(err), "no struct no_such_struct_xyz"), "a missing struct: -ENOENT, named (%s)",
             sf_error_message(err));
        sf_error_freep(&err);
        sf_btf_free(b);

        char msg[512], path[64];
        TEST(open_fails(cut(path, 16, -1, 0), EINVAL, "byte 0: shorter than a BTF header", msg, sizeof(msg)),
             "16 bytes: refused, naming the file and the byte (%s)", msg);
        unlink(path);
        TEST(open_fails(cut(path, 4096, 0, 0x42), EINVAL, "byte 0: no BTF magic number", msg, sizeof(msg)),
             "a file without BTF's magic number: refused (%s)", msg);
        unlink(path);
        TEST(open_fails(cut(path, 100000, -1, 0), EINVAL, "past the end of the file", msg, sizeof(msg)),
             "a file cut short: refused (%s)", msg);
        unlink(path);
        /* type 1's kind byte (the header is 24 bytes; info is the record's
         * second word, its kind in bits 24-28): the lookup that reads it fails */
        {
                struct stat st;
                sf_btf *bb = NULL;
                size_t full = stat(VMLINUX, &st) == 0 ? (size_t)st.st_size : 0;
                int rr = sf_btf_open(cut(path, full, 31, 0x1f), &bb, &err);
                if (rr == 0)
                        rr = sf_btf_field_offset(bb, "task_struct", "pid", &off, &err);
                snprintf(msg, sizeof(msg), "%s", err ? sf_error_message(err) : "no error");
                TEST(rr == -EINVAL && strstr(msg, "byte 24: unknown type kind") && strstr(msg, path),
                     "an unknown type kind: the lookup that meets it fails, naming the byte (%s)", msg);
                sf_btf_free(bb);
                sf_error_freep(&err);
                unlink(path);
        }
        TEST(open_fails("/nonexistent/vmlinux", ENOENT, "No such file", msg, sizeof(msg)), "a missing file: -ENOENT, named (%s)",
             msg);
        return failed != 0;
}
