/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal helpers: cleanup attributes, an arena, a growable string. */
#ifndef SF_UTIL_H
#define SF_UTIL_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define SF_EXPORT __attribute__((visibility("default")))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hands ownership of *pp to the caller and leaves NULL behind. */
#define TAKE_PTR(p)                                                                        \
        ({                                                                                 \
                __typeof__(p) _t = (p);                                                    \
                (p) = NULL;                                                                \
                _t;                                                                        \
        })
#define TAKE_FD(fd)                                                                        \
        ({                                                                                 \
                int _t = (fd);                                                             \
                (fd) = -1;                                                                 \
                _t;                                                                        \
        })

/* A bump allocator: everything is freed at once by sf_arena_release(). */
typedef struct sf_arena_chunk sf_arena_chunk;
typedef struct sf_arena_owned sf_arena_owned;
typedef struct sf_arena {
        sf_arena_chunk *head;
        size_t used, size;
        sf_arena_owned *owned; /* malloc'd blocks freed with the arena (sf_arena_adopt) */
} sf_arena;

void *sf_arena_alloc(sf_arena *a, size_t n);  /* zeroed, 8-aligned; NULL on ENOMEM */
char *sf_arena_strndup(sf_arena *a, const char *s, size_t n);
char *sf_arena_strdup(sf_arena *a, const char *s);
char *sf_arena_printf(sf_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sf_arena_release(sf_arena *a);

/* SHA-256 of data as 64 lower-case hex digits and a NUL (lib/util/sha256.c). */
void sf_sha256_hex(const void *data, size_t len, char out[65]);
/* The arena frees p (malloc'd) when it is released: a block built by realloc
 * joins the arena without a copy.  -ENOMEM (and p is freed) if it cannot. */
int sf_arena_adopt(sf_arena *a, void *p);

/* A growable NUL-terminated byte string.  On allocation failure it latches `oom`
 * and further appends are ignored, so callers check once at the end. */
typedef struct sf_buf {
        char *s;
        size_t len, cap;
        bool oom;
} sf_buf;

void sf_buf_add(sf_buf *b, const char *s, size_t n);
void sf_buf_puts(sf_buf *b, const char *s);
void sf_buf_putc(sf_buf *b, char c);
void sf_buf_printf(sf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sf_buf_vprintf(sf_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void sf_buf_truncate(sf_buf *b, size_t len);
/* s as a JSON string (quoted, escaped; NULL as ""). */
void sf_buf_json_str(sf_buf *b, const char *s);
char *sf_buf_steal(sf_buf *b);  /* NULL if oom; the buffer is left empty */
void sf_buf_release(sf_buf *b);

/* Reads a whole regular file or pipe, at most max bytes (else -EFBIG). "-" is stdin.
 * The result is NUL-terminated.  Fills err with "<path>: …". */
struct sf_error;
int sf_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len,
                 struct sf_error **err);

/* Writes data to path atomically: a temporary file in the same directory, fsync,
 * rename, fsync of the directory.  "-" and "/dev/stdout" write to stdout, and
 * "/dev/null" is written into; any other device, FIFO or socket is refused
 * (-EINVAL), never written in place nor replaced.  A symbolic link is replaced,
 * its target untouched.  mode applies to the new file. */
int sf_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                         struct sf_error **err);
/* The same; with SF_WRITE_INTO_FIFO an existing FIFO (or a symlink to one, as
 * bash's >(…) gives) is written into, waiting for its reader: for a command
 * whose -o documents it (convert). */
enum { SF_WRITE_INTO_FIFO = 1u << 0 };
int sf_write_file_atomic_flags(const char *path, const void *data, size_t len, unsigned mode, unsigned flags,
                               struct sf_error **err);

/* "a regular file", "a FIFO", "a character device"...: what st_mode is, for messages. */
const char *sf_file_kind(mode_t m);

/* Checked number parsing: the whole string must be consumed. */
int sf_parse_u64(const char *s, int base, uint64_t *ret);
/* Damerau–Levenshtein-free plain edit distance, capped at cap+1. */
unsigned sf_edit_distance(const char *a, const char *b, unsigned cap);

#include "banned.h"
/* argv[0] as execvp would find it (a name with a slash as it is, else the first
 * executable regular file of that name in PATH); malloc'd, NULL if not found. */
char *sf_find_exec(const char *cmd);

/* Around a fork whose child execs a command.  sf_signals_block() blocks every
 * signal in the calling thread (old mask in *old): a signal that comes while
 * the parent has not yet noted its child waits until it has, and never runs
 * the caller's handler in the child.  The child calls sf_child_signals_reset()
 * first (async-signal-safe): the caller's handlers become SIG_DFL (ignored
 * signals stay ignored, as exec keeps them) and the old mask returns, so a
 * signal meant for the command reaches it even before its exec. */
void sf_signals_block(sigset_t *old);
void sf_child_signals_reset(const sigset_t *old);
void sf_signals_restore(const sigset_t *old);

#endif
