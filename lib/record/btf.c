/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A BTF reader for struct field offsets (see btf.h).  The format is the
 * kernel's (Documentation/bpf/btf.rst): a header, then a type section of
 * variable-length records numbered from 1, then a string section.  Records
 * are indexed as far as a lookup needs: a struct is found by a scan from type
 * 1, and the kernel's BTF (~5 MB, ~130k types) has the few the recorder asks
 * for in its first 2,000, so a lookup reads tens of kilobytes.  The file is
 * mapped where the kernel allows it (Linux 6.16: /sys/kernel/btf/vmlinux,
 * read-only and private); before that it is read whole, in 4 KiB reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btf.h"
#include "sysfence/error.h"
#include "util/util.h"

#define BTF_MAGIC 0xeB9F
#define VMLINUX "/sys/kernel/btf/vmlinux"

enum {
        K_INT = 1, K_PTR, K_ARRAY, K_STRUCT, K_UNION, K_ENUM, K_FWD, K_TYPEDEF, K_VOLATILE, K_CONST,
        K_RESTRICT, K_FUNC, K_FUNC_PROTO, K_VAR, K_DATASEC, K_FLOAT, K_DECL_TAG, K_TYPE_TAG, K_ENUM64,
};

typedef struct btf_header {
        uint16_t magic;
        uint8_t version, flags;
        uint32_t hdr_len, type_off, type_len, str_off, str_len;
} btf_header;

typedef struct btf_type {
        uint32_t name_off, info, size_or_type;
} btf_type;

typedef struct btf_member {
        uint32_t name_off, type, offset;
} btf_member;

struct sf_btf {
        char *path;
        const unsigned char *data;
        size_t size;
        bool mapped;
        const unsigned char *types; /* the type section */
        const char *strs;
        uint32_t str_len;
        uint32_t type_len;
        uint32_t *starts; /* starts[id - 1]: where type id begins in the type section */
        uint32_t n, cap;  /* types indexed so far: as far as a lookup has needed */
        uint32_t next;    /* where the next one begins */
        size_t types_at;  /* the type section's byte in the file, for errors */
        const char *bad;  /* why indexing stopped short of the end, or NULL */
        size_t bad_at;
};

static unsigned kind_of(const btf_type *t) { return (t->info >> 24) & 0x1f; }
static unsigned vlen_of(const btf_type *t) { return t->info & 0xffff; }
static bool kflag_of(const btf_type *t) { return t->info >> 31; }

/* The bytes after the 12-byte record of a type of this kind; -1 if unknown. */
static long trailer(const btf_type *t)
{
        switch (kind_of(t)) {
        case K_INT: case K_VAR: case K_DECL_TAG:
                return 4;
        case K_PTR: case K_FWD: case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT:
        case K_FUNC: case K_FLOAT: case K_TYPE_TAG:
                return 0;
        case K_ARRAY:
                return 12;
        case K_STRUCT: case K_UNION: case K_DATASEC: case K_ENUM64:
                return 12L * vlen_of(t);
        case K_ENUM: case K_FUNC_PROTO:
                return 8L * vlen_of(t);
        default:
                return -1;
        }
}

static int load(sf_btf *b, int fd, sf_error **err)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return sf_error_set_errno(err, errno, "%s", b->path);
        if (st.st_size > 0) {
                void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
                if (m != MAP_FAILED) {
                        b->data = m;
                        b->size = (size_t)st.st_size;
                        b->mapped = true;
                        return 0;
                }
        }
        /* before Linux 6.16 the kernel's BTF can only be read */
        size_t cap = st.st_size > 0 ? (size_t)st.st_size : 1 << 20, len = 0;
        unsigned char *buf = malloc(cap);
        for (;;) {
                if (!buf)
                        return sf_error_set(err, ENOMEM, "out of memory");
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int r = sf_error_set_errno(err, errno, "%s", b->path);
                        free(buf);
                        return r;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len == cap) {
                        unsigned char *nb = realloc(buf, cap * 2);
                        if (!nb)
                                free(buf);
                        buf = nb;
                        cap *= 2;
                }
        }
        b->data = buf;
        b->size = len;
        return 0;
}

static int bad(const sf_btf *b, size_t at, sf_error **err, const char *what)
{
        return sf_error_set(err, EINVAL, "%s: byte %zu: %s: not BTF this reader understands", b->path, at, what);
}

static int parse(sf_btf *b, sf_error **err)
{
        btf_header h;
        if (b->size < sizeof(h))
                return bad(b, 0, err, "shorter than a BTF header");
        memcpy(&h, b->data, sizeof(h));
        if (h.magic != BTF_MAGIC)
                return bad(b, 0, err, h.magic == 0x9FeB ? "BTF of the other byte order" : "no BTF magic number");
        if (h.version != 1)
                return bad(b, 2, err, "BTF version is not 1");
        if (h.hdr_len < sizeof(h) || h.hdr_len > b->size)
                return bad(b, 4, err, "header length out of range");
        size_t base = h.hdr_len;
        if ((uint64_t)base + h.type_off + h.type_len > b->size || (uint64_t)base + h.str_off + h.str_len > b->size)
                return bad(b, 8, err, "a section lies past the end of the file");
        if (h.str_len == 0 || b->data[base + h.str_off + h.str_len - 1] != '\0')
                return bad(b, base + h.str_off, err, "the string section does not end in NUL");
        if ((base + h.type_off) % 4)
                return bad(b, 8, err, "the type section is not 4-byte aligned");
        b->types = b->data + base + h.type_off;
        b->types_at = base + h.type_off;
        b->type_len = h.type_len;
        b->strs = (const char *)b->data + base + h.str_off;
        b->str_len = h.str_len;
        return 0;
}

/* Indexes one more type; false at the end of the section or at a record this
 * reader cannot take (b->bad says which). */
static bool index_next(sf_btf *b)
{
        uint32_t at = b->next;
        if (b->bad || at >= b->type_len)
                return false;
        const char *why = NULL;
        btf_type t;
        long more = 0;
        if (b->type_len - at < sizeof(btf_type)) {
                why = "a type record is cut short";
        } else {
                memcpy(&t, b->types + at, sizeof(t));
                more = trailer(&t);
                if (more < 0)
                        why = "unknown type kind";
                else if (t.name_off >= b->str_len || (uint64_t)at + sizeof(t) + (uint64_t)more > b->type_len)
                        why = "a type record runs past its section";
        }
        if (!why && b->n == b->cap) {
                uint32_t cap = b->cap ? b->cap * 2 : 4096;
                uint32_t *ns = realloc(b->starts, cap * sizeof(*ns));
                if (!ns)
                        why = "out of memory";
                else
                        b->starts = ns, b->cap = cap;
        }
        if (why) {
                b->bad = why;
                b->bad_at = b->types_at + at;
                return false;
        }
        b->starts[b->n++] = at;
        b->next = at + (uint32_t)(sizeof(t) + (size_t)more);
        return true;
}

int sf_btf_open(const char *path, sf_btf **ret, sf_error **err)
{
        sf_btf *b = calloc(1, sizeof(*b));
        if (!b || !(b->path = strdup(path ? path : VMLINUX))) {
                free(b);
                return sf_error_set(err, ENOMEM, "out of memory");
        }
        int fd = open(b->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                int r = errno == ENOENT && !path
                                ? sf_error_set(err, ENOENT, "%s: no such file: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF)", VMLINUX)
                                : sf_error_set_errno(err, errno, "%s", b->path);
                sf_btf_free(b);
                return r;
        }
        int r = load(b, fd, err);
        close(fd);
        if (r == 0)
                r = parse(b, err);
        if (r < 0) {
                sf_btf_free(b);
                return r;
        }
        *ret = b;
        return 0;
}

void sf_btf_free(sf_btf *b)
{
        if (!b)
                return;
        if (b->mapped)
                munmap((void *)b->data, b->size);
        else
                free((void *)b->data);
        free(b->starts);
        free(b->path);
        free(b);
}

/* Type id, indexing as far as it lies (the kernel's BTF has 100k+ types; the
 * few structs asked for come in its first 2,000). */
static const btf_type *type_at(sf_btf *b, uint32_t id)
{
        while (id > b->n && index_next(b))
                ;
        if (id == 0 || id > b->n)
                return NULL;
        return (const btf_type *)(const void *)(b->types + b->starts[id - 1]);
}

static const char *name_of(const sf_btf *b, uint32_t off)
{
        return off < b->str_len ? b->strs + off : "";
}

/* Through typedefs and qualifiers to what they name. */
static const btf_type *resolve(sf_btf *b, uint32_t id)
{
        for (int depth = 0; depth < 32; depth++) {
                const btf_type *t = type_at(b, id);
                if (!t)
                        return NULL;
                switch (kind_of(t)) {
                case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT: case K_TYPE_TAG:
                        id = t->size_or_type;
                        continue;
                default:
                        return t;
                }
        }
        return NULL;
}

static bool is_composite(const btf_type *t)
{
        return t && (kind_of(t) == K_STRUCT || kind_of(t) == K_UNION);
}

static const btf_type *find_struct(sf_btf *b, const char *name)
{
        const btf_type *t;
        for (uint32_t id = 1; (t = type_at(b, id)); id++)
                if (is_composite(t) && strcmp(name_of(b, t->name_off), name) == 0)
                        return t;
        return NULL;
}

/* A lookup that found nothing because the file is bad says so; else what is
 * missing: the struct, or (field not NULL) its field. */
static int not_found(const sf_btf *b, sf_error **err, const char *type, const char *field)
{
        if (b->bad)
                return sf_error_set(err, EINVAL, "%s: byte %zu: %s: not BTF this reader understands", b->path, b->bad_at,
                                    b->bad);
        if (field)
                return sf_error_set(err, ENOENT, "%s: struct %s has no field %s", b->path, type, field);
        return sf_error_set(err, ENOENT, "%s: no struct %s", b->path, type);
}

/* The member `name` of composite t, looking into anonymous members too; its
 * bit offset from the start of t in *bits.  -1 not found, -2 a bit-field. */
static int find_member(sf_btf *b, const btf_type *t, const char *name, size_t len, uint64_t *bits,
                       const btf_type **type, int depth)
{
        const btf_member *m = (const btf_member *)(const void *)(t + 1);
        for (unsigned i = 0; i < vlen_of(t); i++) {
                btf_member mm;
                memcpy(&mm, &m[i], sizeof(mm));
                uint32_t off = kflag_of(t) ? mm.offset & 0xffffff : mm.offset;
                const char *mn = name_of(b, mm.name_off);
                if (*mn == '\0') {
                        const btf_type *inner = resolve(b, mm.type);
                        if (!is_composite(inner) || depth > 16)
                                continue;
                        int r = find_member(b, inner, name, len, bits, type, depth + 1);
                        if (r == -1)
                                continue;
                        *bits += off;
                        return r;
                }
                if (strncmp(mn, name, len) != 0 || mn[len] != '\0')
                        continue;
                if (kflag_of(t) && mm.offset >> 24)
                        return -2;
                *bits = off;
                *type = resolve(b, mm.type);
                return 0;
        }
        return -1;
}

int sf_btf_field_offset(sf_btf *b, const char *type, const char *field, uint32_t *ret, sf_error **err)
{
        const btf_type *t = find_struct(b, type);
        if (!t)
                return not_found(b, err, type, NULL);
        uint64_t total = 0;
        for (const char *p = field;;) {
                size_t len = strcspn(p, ".");
                uint64_t bits = 0;
                const btf_type *mt = NULL;
                int r = find_member(b, t, p, len, &bits, &mt, 0);
                if (r == -1)
                        return not_found(b, err, type, field);
                if (r == -2 || bits % 8)
                        return sf_error_set(err, EINVAL, "%s: %s.%s is a bit-field", b->path, type, field);
                total += bits / 8;
                if (p[len] == '\0')
                        break;
                if (!is_composite(mt))
                        return sf_error_set(err, ENOENT, "%s: %s.%.*s is not a struct", b->path, type, (int)(p + len - field), field);
                t = mt;
                p += len + 1;
        }
        if (total > UINT32_MAX)
                return sf_error_set(err, EINVAL, "%s: %s.%s lies beyond 4 GiB", b->path, type, field);
        *ret = (uint32_t)total;
        return 0;
}

int sf_btf_struct_size(sf_btf *b, const char *type, uint32_t *ret, sf_error **err)
{
        const btf_type *t = find_struct(b, type);
        if (!t)
                return not_found(b, err, type, NULL);
        *ret = t->size_or_type;
        return 0;
}
