/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node side of sysfence k8s: what install, agent and status share.
 *
 *  - a profile is prepared for the node: loaded, compiled for the node's target
 *    (that is the validation), and turned into the bytes the kubelet's runtime
 *    reads (the file as given when it is already runtime JSON, else Docker JSON);
 *  - a source is read as a ConfigMap volume (DIR/..data -> ..<timestamp>/, one
 *    snapshot at a time) or as a plain directory;
 *  - files are written into the kubelet's seccomp dir atomically under dot-named
 *    temporaries, so the kubelet never sees a partial profile;
 *  - the agent's state file (.sysfence-agent.json) says which files it owns and
 *    what it decided for each key; status reads it.
 */
#ifndef SF_K8S_SYNC_H
#define SF_K8S_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "sysfence/bpf.h"
#include "util/util.h"

#define K8S_STATE_NAME ".sysfence-agent.json"
#define K8S_LOCK_NAME ".sysfence-agent.lock"
#define K8S_TMP_PREFIX ".sysfence-tmp."
#define K8S_MAX_KEYS 4096
#define K8S_SHA_HEX 65 /* 64 hex digits and a NUL */

void k8s_sha256_hex(const void *data, size_t len, char out[K8S_SHA_HEX]);

/* A profile made ready for the node.  On a rejection, error is one line
 * ("file:line:col: path: error: msg") and bytes is NULL. */
typedef struct k8s_prepared {
        char *bytes; /* what to install */
        size_t len;
        char sha[K8S_SHA_HEX]; /* of bytes */
        char *error;
} k8s_prepared;

/* Loads and compiles data (named display in messages) for co's target.  Returns
 * 0 with ret->bytes, or 1 with ret->error (and every finding in d, if not NULL);
 * -ENOMEM on allocation failure. */
int k8s_prepare(const char *display, const char *data, size_t len, const sf_compile_opts *co, k8s_prepared *ret,
                sf_diags *d);
void k8s_prepared_release(k8s_prepared *p);

/* One key of a source, read from one snapshot. */
typedef struct k8s_key {
        char *name;
        char *data;
        size_t len;
        char sha[K8S_SHA_HEX]; /* of data */
} k8s_key;

typedef struct k8s_source {
        k8s_key *v; /* sorted by name */
        size_t n;
        bool configmap; /* DIR/..data was there */
} k8s_source;

/* Reads every key (regular files whose names do not start with '.') of dir.
 * Retries when the kubelet swaps ..data while it reads.  A key whose bytes equal
 * those it had in prev (may be NULL) takes its hash from there: the kubelet
 * rewrites every key at each update, and comparing is cheaper than hashing.
 * On failure, -errno and a message in *ret_msg (malloc'd). */
int k8s_source_read(const char *dir, const k8s_source *prev, k8s_source *ret, char **ret_msg);
void k8s_source_release(k8s_source *s);

/* <root>/seccomp/<subdir>: opened (created with create), its path in *ret_path. */
int k8s_dir_open(const char *root, const char *subdir, bool create, int *ret_fd, char **ret_path, char **ret_msg);
/* Takes the lock every writer of the dir holds while it writes (blocks while
 * another has it); returns the lock's fd (close it to unlock) or -errno. */
int k8s_dir_lock(int dirfd, bool *ret_waited);
/* Removes temporaries left by a writer that was killed (call with the lock held). */
void k8s_dir_clean_tmp(int dirfd);

/* name's bytes written atomically in dirfd: a dot-named temporary, fsync, rename.
 * The directory is not synced: call k8s_dir_sync() once after a batch. */
int k8s_write_at(int dirfd, const char *name, const void *data, size_t len);
void k8s_dir_sync(int dirfd);
/* The sha256 of dirfd/name (not following a symlink) and, if ret_st, the stat
 * of the very file read; -errno (-ENOENT: absent). */
int k8s_hash_at(int dirfd, const char *name, char out[K8S_SHA_HEX], struct stat *ret_st);
/* Whether two stats are of one unchanged file (inode, size, mtime, ctime). */
bool k8s_same_file(const struct stat *a, const struct stat *b);
/* Whether a name may be installed: not empty, no '/', not dot-named, short. */
bool k8s_name_ok(const char *name);

/* The agent's record: the files it owns, and its verdict on each key. */
typedef enum k8s_verdict {
        K8S_INSTALLED, /* installed and current */
        K8S_REJECTED,  /* invalid: the previous file (if any) stays */
        K8S_FAILED,    /* valid, but writing it failed */
} k8s_verdict;

typedef struct k8s_entry {
        char *name;
        char src_sha[K8S_SHA_HEX];
        char sha[K8S_SHA_HEX]; /* what the agent installs for src_sha ("" when rejected) */
        k8s_verdict verdict;
        char *error;           /* rejected or failed: why */
        /* the agent's memory, not saved: the installed file as last found current,
         * so that an unchanged file is not read again at every sync */
        struct stat id;
        bool id_ok;
} k8s_entry;

/* A file the agent installed.  Before a write the record names the bytes about
 * to be written (sha) and those there before (prev): a kill at any point leaves
 * the file holding one of the two, so the agent still knows it for its own. */
typedef struct k8s_owned {
        char *name;
        char sha[K8S_SHA_HEX];  /* what was (or is being) installed */
        char prev[K8S_SHA_HEX]; /* while a write is under way: what it replaces, else "" */
} k8s_owned;

typedef struct k8s_state {
        char *source;
        k8s_owned *owned;
        size_t n_owned;
        k8s_entry *entries;
        size_t n_entries;
} k8s_state;

/* Reads dirfd/.sysfence-agent.json; an absent file is an empty state.  A
 * corrupt one is an error (-EINVAL, message in *ret_msg). */
int k8s_state_load(int dirfd, k8s_state *ret, char **ret_msg);
/* Writes the state atomically; with last, skips the write when the text equals
 * *last (and keeps the new text there). */
int k8s_state_save(int dirfd, const k8s_state *s, sf_buf *last);
void k8s_state_release(k8s_state *s);
k8s_owned *k8s_state_owned(const k8s_state *s, const char *name);
const k8s_entry *k8s_state_entry(const k8s_state *s, const char *name);
/* Records name as the agent's, holding sha (prev: see k8s_owned; may be NULL). */
int k8s_state_own(k8s_state *s, const char *name, const char *sha, const char *prev);
/* Whether the file holding `have` is the one the agent installed under o. */
bool k8s_owned_is(const k8s_owned *o, const char *have);
void k8s_state_disown(k8s_state *s, const char *name);

const char *k8s_verdict_name(k8s_verdict v);

#endif
