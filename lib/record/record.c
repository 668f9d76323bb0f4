/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The observations: a count per (arch, syscall) and the distinct values of the
 * arguments asked for.  sf_record_add() runs once per traced syscall, so it is
 * an array index and, for the few syscalls with a kept argument, a binary search. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "record/record-internal.h"
#include "sysfence/error.h"

/* The argument of a syscall that says what the call does, when --args names the
 * syscall alone. */
static const struct {
        const char *name;
        unsigned index;
        uint64_t mask;
} known_args[] = {
        { "arch_prctl", 0, 0 },                 /* ARCH_SET_FS, … */
        { "clone", 0, SF_CLONE_NS_MASK },       /* namespace flags */
        { "fcntl", 1, 0 },                      /* F_GETFL, F_SETFD, … */
        { "ioctl", 1, 0 },                      /* the request */
        { "personality", 0, 0 },                /* the persona, 0xffffffff to query */
        { "prctl", 0, 0 },                      /* the option */
        { "setns", 1, 0 },                      /* the namespace type */
        { "socket", 0, 0 },                     /* the address family */
        { "socketpair", 0, 0 },                 /* the address family */
        { "unshare", 0, SF_UNSHARE_NS_MASK },   /* namespace flags */
};

static int parse_spec(const char *s, sf_arg_spec *ret, sf_error **err)
{
        const char *colon = strchr(s, ':');
        size_t len = colon ? (size_t)(colon - s) : strlen(s);
        _cleanup_free_ char *name = strndup(s, len);
        if (!name)
                return sf_error_set(err, ENOMEM, "out of memory");
        if (!sf_syscall_known(name)) {
                const char *hint = sf_syscall_suggest(name);
                if (hint)
                        return sf_error_set(err, EINVAL, "unknown syscall \"%s\" (did you mean \"%s\"?)", name, hint);
                return sf_error_set(err, EINVAL, "unknown syscall \"%s\"", name);
        }
        sf_arg_spec spec = { 0 };
        if (colon) {
                uint64_t idx;
                if (sf_parse_u64(colon + 1, 10, &idx) < 0 || idx > 5)
                        return sf_error_set(err, EINVAL, "\"%s\": the argument index must be 0 to 5", s);
                spec.index = (unsigned)idx;
                for (size_t i = 0; i < ARRAY_SIZE(known_args); i++)
                        if (strcmp(known_args[i].name, name) == 0 && known_args[i].index == idx)
                                spec.mask = known_args[i].mask;
        } else {
                size_t i = 0;
                while (i < ARRAY_SIZE(known_args) && strcmp(known_args[i].name, name) != 0)
                        i++;
                if (i == ARRAY_SIZE(known_args))
                        return sf_error_set(err, EINVAL,
                                            "no argument of \"%s\" is known to say what the call does; name one as %s:INDEX",
                                            name, name);
                spec.index = known_args[i].index;
                spec.mask = known_args[i].mask;
        }
        spec.name = TAKE_PTR(name);
        *ret = spec;
        return 0;
}

SF_EXPORT int sf_record_new(const sf_record_opts *opts, sf_record **ret, sf_error **err)
{
        sf_record *r = calloc(1, sizeof(*r));
        if (!r)
                return sf_error_set(err, ENOMEM, "out of memory");
        size_t n = opts ? opts->n_args : 0;
        if (n > 64) {
                free(r);
                return sf_error_set(err, EINVAL, "at most 64 syscalls may have their arguments recorded");
        }
        if (n) {
                r->specs = calloc(n, sizeof(*r->specs));
                if (!r->specs) {
                        free(r);
                        return sf_error_set(err, ENOMEM, "out of memory");
                }
        }
        for (size_t i = 0; i < n; i++) {
                int rr = parse_spec(opts->args[i], &r->specs[r->n_specs], err);
                if (rr < 0) {
                        sf_record_free(r);
                        return rr;
                }
                for (size_t j = 0; j < r->n_specs; j++)
                        if (strcmp(r->specs[j].name, r->specs[r->n_specs].name) == 0) {
                                free(r->specs[r->n_specs].name);
                                sf_record_free(r);
                                return sf_error_set(err, EINVAL, "the arguments of \"%s\" are asked for twice",
                                                    opts->args[i]);
                        }
                r->n_specs++;
        }
        if (opts) {
                r->on_new = opts->on_new;
                r->ctx = opts->ctx;
        }
        r->last_audit = 0;
        r->last_arch = SF_ARCH_NONE;
        *ret = r;
        return 0;
}

SF_EXPORT void sf_record_free(sf_record *r)
{
        if (!r)
                return;
        for (int a = 0; a < SF_ARCH__COUNT; a++) {
                free(r->arch[a].count);
                free(r->arch[a].spec);
        }
        for (size_t i = 0; i < r->n_specs; i++) {
                free(r->specs[i].name);
                free(r->specs[i].values);
        }
        free(r->specs);
        free(r->unknown);
        free(r);
}

/* The table of an arch, made when the arch is first seen. */
static int arch_table(sf_record *r, sf_arch a)
{
        sf_arch_obs *o = &r->arch[a];
        int max = sf_syscall_max(a);
        if (max < 0)
                return -EINVAL;
        size_t n = (size_t)((long)max & ~SF_X32_BIT) + 1;
        o->count = calloc(n, sizeof(*o->count));
        o->spec = calloc(n, sizeof(*o->spec));
        if (!o->count || !o->spec) {
                free(o->count);
                free(o->spec);
                o->count = NULL;
                o->spec = NULL;
                return -ENOMEM;
        }
        o->n = n;
        for (size_t i = 0; i < r->n_specs; i++) {
                int nr = sf_syscall_nr(a, r->specs[i].name);
                if (nr >= 0 && (size_t)((long)nr & ~SF_X32_BIT) < n)
                        o->spec[(long)nr & ~SF_X32_BIT] = (uint16_t)(i + 1);
        }
        return 0;
}

static int add_unknown(sf_record *r, uint32_t audit_arch, long nr)
{
        for (size_t i = 0; i < r->n_unknown; i++)
                if (r->unknown[i].audit_arch == audit_arch && r->unknown[i].nr == nr) {
                        r->unknown[i].count++;
                        return 0;
                }
        if (r->n_unknown >= 4096)
                return -E2BIG;
        sf_unknown_obs *v = realloc(r->unknown, (r->n_unknown + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        r->unknown = v;
        v[r->n_unknown++] = (sf_unknown_obs){ audit_arch, nr, 1 };
        if (r->on_new)
                r->on_new(r->ctx, sf_arch_from_audit(audit_arch), nr, NULL);
        return 0;
}

static int add_value(sf_arg_spec *s, uint64_t v)
{
        if (s->mask)
                v &= s->mask;
        size_t lo = 0, hi = s->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (s->values[mid] == v)
                        return 0;
                if (s->values[mid] < v)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (s->n >= SF_RECORD_MAX_VALUES) {
                s->overflow = true;
                return 0;
        }
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 8;
                uint64_t *nv = realloc(s->values, cap * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                s->values = nv;
                s->cap = cap;
        }
        memmove(&s->values[lo + 1], &s->values[lo], (s->n - lo) * sizeof(*s->values));
        s->values[lo] = v;
        s->n++;
        return 0;
}

SF_EXPORT int sf_record_add(sf_record *r, uint32_t audit_arch, long nr, const uint64_t args[6])
{
        sf_arch a;
        if (audit_arch == r->last_audit && r->last_arch != SF_ARCH_NONE) {
                a = r->last_arch;
        } else {
                a = sf_arch_from_audit(audit_arch);
                r->last_audit = audit_arch;
                r->last_arch = a;
        }
        /* x32 calls come with x86_64's audit arch and bit 30 in the number. */
        if (a == SF_ARCH_X86_64 && nr >= 0 && (nr & SF_X32_BIT))
                a = SF_ARCH_X32;
        r->total++;
        if (a == SF_ARCH_NONE)
                return add_unknown(r, audit_arch, nr);
        sf_arch_obs *o = &r->arch[a];
        if (!o->count) {
                int rr = arch_table(r, a);
                if (rr < 0)
                        return rr == -ENOMEM ? rr : add_unknown(r, audit_arch, nr);
        }
        long idx = a == SF_ARCH_X32 ? (nr & ~SF_X32_BIT) : nr;
        if (nr < 0 || (size_t)idx >= o->n)
                return add_unknown(r, audit_arch, nr);
        if (o->count[idx]++ == 0 && r->on_new)
                r->on_new(r->ctx, a, nr, sf_syscall_name(a, (int)nr));
        if (o->spec[idx] && args)
                return add_value(&r->specs[o->spec[idx] - 1], args[r->specs[o->spec[idx] - 1].index]);
        return 0;
}

SF_EXPORT uint64_t sf_record_total(const sf_record *r)
{
        return r->total;
}

static int cmp_unknown(const void *x, const void *y)
{
        const sf_record_entry *a = x, *b = y;
        if (a->audit_arch != b->audit_arch)
                return a->audit_arch < b->audit_arch ? -1 : 1;
        return a->nr < b->nr ? -1 : a->nr > b->nr;
}

SF_EXPORT int sf_record_entries(const sf_record *r, sf_record_entry **ret, size_t *ret_n, sf_error **err)
{
        size_t n = r->n_unknown;
        for (int a = 0; a < SF_ARCH__COUNT; a++)
                for (size_t i = 0; i < r->arch[a].n; i++)
                        n += r->arch[a].count[i] != 0;
        sf_record_entry *v = calloc(n ? n : 1, sizeof(*v));
        if (!v)
                return sf_error_set(err, ENOMEM, "out of memory");
        size_t k = 0;
        for (int a = 0; a < SF_ARCH__COUNT; a++)
                for (size_t i = 0; i < r->arch[a].n; i++) {
                        if (!r->arch[a].count[i])
                                continue;
                        long nr = a == SF_ARCH_X32 ? (long)i | SF_X32_BIT : (long)i;
                        v[k++] = (sf_record_entry){
                                .arch = (sf_arch)a,
                                .audit_arch = sf_arch_audit((sf_arch)a),
                                .nr = nr,
                                .name = sf_syscall_name((sf_arch)a, (int)nr),
                                .count = r->arch[a].count[i],
                        };
                }
        size_t first_unknown = k;
        for (size_t i = 0; i < r->n_unknown; i++) {
                const sf_unknown_obs *u = &r->unknown[i];
                sf_arch a = sf_arch_from_audit(u->audit_arch);
                if (a == SF_ARCH_X86_64 && u->nr >= 0 && (u->nr & SF_X32_BIT))
                        a = SF_ARCH_X32;
                v[k++] = (sf_record_entry){ .arch = a, .audit_arch = u->audit_arch, .nr = u->nr, .count = u->count };
        }
        qsort(v + first_unknown, k - first_unknown, sizeof(*v), cmp_unknown);
        *ret = v;
        *ret_n = k;
        return 0;
}

SF_EXPORT bool sf_record_arg_values(const sf_record *r, size_t i, const char **ret_name, unsigned *ret_index,
                                    const uint64_t **ret_values, size_t *ret_n, bool *ret_overflow)
{
        if (i >= r->n_specs)
                return false;
        const sf_arg_spec *s = &r->specs[i];
        if (ret_name)
                *ret_name = s->name;
        if (ret_index)
                *ret_index = s->index;
        if (ret_values)
                *ret_values = s->values;
        if (ret_n)
                *ret_n = s->n;
        if (ret_overflow)
                *ret_overflow = s->overflow;
        return true;
}

typedef struct hot_entry {
        const char *name;
        uint64_t count;
} hot_entry;

static int cmp_hot_name(const void *x, const void *y)
{
        return strcmp(((const hot_entry *)x)->name, ((const hot_entry *)y)->name);
}

static int cmp_hot_count(const void *x, const void *y)
{
        const hot_entry *a = x, *b = y;
        if (a->count != b->count)
                return a->count > b->count ? -1 : 1;
        return strcmp(a->name, b->name);
}

SF_EXPORT int sf_record_hot(const sf_record *r, char **ret_text, sf_error **err)
{
        _cleanup_free_ sf_record_entry *e = NULL;
        size_t n;
        int rr = sf_record_entries(r, &e, &n, err);
        if (rr < 0)
                return rr;
        _cleanup_free_ hot_entry *h = calloc(n ? n : 1, sizeof(*h));
        if (!h)
                return sf_error_set(err, ENOMEM, "out of memory");
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (e[i].name)
                        h[k++] = (hot_entry){ e[i].name, e[i].count };
        /* one line per name: the compiler maps names to each arch's numbers */
        qsort(h, k, sizeof(*h), cmp_hot_name);
        size_t m = 0;
        for (size_t i = 0; i < k; i++) {
                if (m && strcmp(h[m - 1].name, h[i].name) == 0)
                        h[m - 1].count += h[i].count;
                else
                        h[m++] = h[i];
        }
        qsort(h, m, sizeof(*h), cmp_hot_count);
        sf_buf b = { 0 };
        for (size_t i = 0; i < m; i++)
                sf_buf_printf(&b, "%s %ju\n", h[i].name, (uintmax_t)h[i].count);
        char *text = sf_buf_steal(&b);
        if (!text)
                return sf_error_set(err, ENOMEM, "out of memory");
        *ret_text = text;
        return 0;
}

/* Calls fn for every child of every thread of process pid
 * (/proc/PID/task/TID/children), until fn returns nonzero, which is returned. */
int sf_proc_each_child(pid_t pid, int (*fn)(void *ctx, pid_t child), void *ctx)
{
        char dir[64];
        snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
        DIR *d = opendir(dir);
        if (!d)
                return 0;
        struct dirent *de;
        int r = 0;
        while (r == 0 && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                char file[384];
                snprintf(file, sizeof(file), "%s/%s/children", dir, de->d_name);
                _cleanup_free_ char *data = NULL;
                size_t len;
                if (sf_read_file(file, 1 << 20, &data, &len, NULL) < 0)
                        continue;
                char *save = NULL;
                for (char *t = strtok_r(data, " \n", &save); t && r == 0; t = strtok_r(NULL, " \n", &save)) {
                        uint64_t child;
                        if (sf_parse_u64(t, 10, &child) == 0 && child <= INT32_MAX)
                                r = fn(ctx, (pid_t)child);
                }
        }
        closedir(d);
        return r;
}

int sf_spawn_path(char *const argv[], char **ret_path, sf_error **err)
{
        if (!argv || !argv[0])
                return sf_error_set(err, EINVAL, "no command given");
        *ret_path = sf_find_exec(argv[0]);
        if (!*ret_path)
                return sf_error_set(err, ENOENT, "%s: command not found", argv[0]);
        return 0;
}

pid_t sf_spawn_fork(const volatile sig_atomic_t *interrupts, int sync[2], int fail[2], sigset_t *old, sf_error **err)
{
        sf_signals_block(old);
        if (*interrupts) {
                sf_signals_restore(old);
                return sf_error_set(err, EINTR, "interrupted before the command started");
        }
        if (pipe2(sync, O_CLOEXEC) < 0) {
                int r = sf_error_set_errno(err, errno, "cannot make a pipe");
                sf_signals_restore(old);
                return r;
        }
        if (pipe2(fail, O_CLOEXEC) < 0) {
                int r = sf_error_set_errno(err, errno, "cannot make a pipe");
                sf_signals_restore(old);
                close(sync[0]);
                close(sync[1]);
                return r;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
                int r = sf_error_set_errno(err, errno, "cannot fork");
                sf_signals_restore(old);
                close(sync[0]);
                close(sync[1]);
                close(fail[0]);
                close(fail[1]);
                return r;
        }
        if (pid == 0) {
                sf_child_signals_reset(old);
                close(sync[1]);
                close(fail[0]);
                return 0;
        }
        close(sync[0]);
        close(fail[1]);
        return pid;
}
