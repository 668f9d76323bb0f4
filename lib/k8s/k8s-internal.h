/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/k8s internals: what install, agent and status share.
 *
 *  - a profile is prepared for the node: loaded, compiled for the node's target
 *    (that is the validation), and turned into the bytes the kubelet's runtime
 *    reads (the file as given when it is already runtime JSON, else Docker JSON);
 *  - a source is read as a ConfigMap volume (DIR/..data -> ..<timestamp>/, one
 *    snapshot at a time) or as a plain directory; its keys and bytes come from
 *    pod authors, so nothing there is followed (symlinks, ..data pointing
 *    outside), and a key's name or text never reaches a log line as written;
 *  - files are written into the kubelet's seccomp dir atomically under dot-named
 *    temporaries, so the kubelet never sees a partial profile, every write
 *    relative to a directory fd opened without following a symlink;
 *  - the agent's state file (.sysfence-agent.json) says which files it owns (by
 *    name, sha256, device and inode) and what it decided for each key; status
 *    reads it.
 */
#ifndef SF_K8S_INTERNAL_H
#define SF_K8S_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#include "sysfence/artifact.h"
#include "sysfence/bpf.h"
#include "sysfence/k8s.h"
#include "util/util.h"

#define K8S_STATE_NAME SF_K8S_STATE_NAME
#define K8S_LOCK_NAME SF_K8S_LOCK_NAME
#define K8S_TMP_PREFIX ".sysfence-tmp."
#define K8S_MAX_KEYS 4096
#define K8S_SHA_HEX SF_K8S_SHA_HEX
#define K8S_KEY_MAX 253 /* a ConfigMap key's length limit */
/* A key's bytes: a ConfigMap holds at most 1 MiB in all (the API server
 * refuses more) and KEP-6061 caps a profile at 1 MiB, so a larger key is no
 * ConfigMap's; refused by its size before it is read, it costs nothing. */
#define K8S_KEY_BYTES_MAX (1u << 20)
#define K8S_STATE_MAX (8u << 20) /* a larger state file is not one this agent wrote */
#define K8S_TMP_NAME 40

void k8s_sha256_hex(const void *data, size_t len, char out[K8S_SHA_HEX]);

/* A profile made ready for the node.  On a rejection, error is one line
 * ("file:line:col: path: error: msg") and bytes is NULL. */
typedef struct k8s_prepared {
        char *bytes; /* what to install */
        size_t len;
        char sha[K8S_SHA_HEX]; /* of bytes */
        char *error;
        /* the same rejection without a byte of the profile's text (no quoted
         * value): "file:line:col: path: error: <kind>", for the agent's log,
         * status and the state file, which others than the profile's author read */
        char *reason;
} k8s_prepared;

/* Loads and compiles data (named display in messages) for co's target.  Returns
 * 0 with ret->bytes, or 1 with ret->error (and every finding in d, if not NULL);
 * -ENOMEM on allocation failure.  A profile with archMap or includes/excludes
 * is installed resolved for the node (co's target: its arch, or co->arches[0],
 * its capabilities and kernel), as containerd applies every rule of such a file
 * (it reads the plain OCI struct); as_given keeps it as it is (CRI-O evaluates
 * them itself).  What the resolution leaves out is a warning in d. */
/* Bases (spec.baseProfileName) are looked up in bases_dir, read through
 * bases_fd when that is not -1 (the directory as the caller opened it).  With
 * kep6061 the profile must also be one a KEP-6061 runtime takes (a pulled
 * artifact: runtime-spec JSON, no NOTIFY or listener, bounded). */
int k8s_prepare(const char *display, const char *data, size_t len, const sf_compile_opts *co, bool as_given,
                const char *bases_dir, int bases_fd, bool kep6061, k8s_prepared *ret, sf_diags *d);
/* A puller that pulls nothing (status: it judges keys the agent has not, and
 * pulls for no one). */
extern const sf_oci_puller k8s_no_puller;
/* k8s_prepare with the puller of oci:// bases (NULL: the process default). */
int k8s_prepare_with(const char *display, const char *data, size_t len, const sf_compile_opts *co, bool as_given,
                     const char *bases_dir, int bases_fd, const sf_oci_puller *oci, bool kep6061, k8s_prepared *ret,
                     sf_diags *d);
void k8s_prepared_release(k8s_prepared *p);

/* One key of a source, read from one snapshot. */
typedef struct k8s_key {
        char *name;            /* as given; escaped (k8s_name_escape) when reject is set */
        char *data;            /* NULL when reject is set */
        size_t len;
        char sha[K8S_SHA_HEX]; /* of data */
        mode_t mode;           /* to install with: the source's permission bits, at most 0644 */
        const char *reject;    /* why the key is not read (a static string), or NULL */
} k8s_key;

typedef struct k8s_source {
        k8s_key *v; /* sorted by name */
        size_t n;
        bool configmap; /* DIR/..data was there */
        char *keys_dir; /* where the keys were read: DIR/..<timestamp> of a ConfigMap, else DIR;
                         * a key's spec.baseProfileName is looked up among the files there */
        int keys_fd;    /* keys_dir as it was read (with keys_fd_open): bases are read through it */
        bool keys_fd_open;
} k8s_source;

/* The fd bases of src's keys are read through, or -1. */
#define K8S_SOURCE_FD(src) ((src)->keys_fd_open ? (src)->keys_fd : -1)

/* --- oci:// keys ------------------------------------------------------------------- */

#define K8S_OCI_REF_MAX 1024

/* A key (or an install argument) "oci://REF" with REF a registry reference
 * pinned by digest: the profile is pulled, never given. */
typedef struct k8s_oci {
        sf_artifact_ref ref;
        char *shown;     /* "HOST/REPO[:TAG]@sha256:HEX": charset-checked, safe in a log line */
        bool plain_http; /* the registry is one of o->plain_http */
        bool base;       /* a spec.baseProfileName: SPO's profile-object artifacts too */
} k8s_oci;

/* Whether data is an oci:// text: 0 not one (a profile), 1 one (*ret filled),
 * 2 one refused, why in *ret_reason (the text is shown only once it parsed as
 * a reference: a tag alone, an OCI layout on disk, a registry not allowed),
 * -ENOMEM.  Registries are checked against o unless o is NULL; agent: an empty
 * list allows none (install: any).  Trailing white space (a ConfigMap value's
 * newline) is not part of the reference. */
int k8s_oci_parse(const char *data, size_t len, const sf_k8s_node_opts *o, bool agent, k8s_oci *ret,
                  char **ret_reason);
void k8s_oci_release(k8s_oci *k);
/* Pulls k's profile: the manifest checked against the pinned digest, its one
 * layer against the manifest's digest and size (at most 1 MiB), nothing
 * echoed of what the registry answers beyond a status and an error code.
 * agent: credentials only from o->registry_auth (else none), install also
 * from $REGISTRY_AUTH_FILE or ~/.docker/config.json.  0 with the bytes
 * (malloc'd), 1 with why in *ret_reason (one line), -ENOMEM. */
int k8s_oci_pull(const k8s_oci *k, const sf_k8s_node_opts *o, bool agent, char **ret_data, size_t *ret_len,
                 char **ret_reason);

/* Reads every key (regular files whose names do not start with '.') of dir.
 * DIR/..data, when there, must be a symlink to one name ..<something> in dir;
 * keys are opened without following a symlink (a symlinked key, or one whose
 * name is not a ConfigMap key, is listed with reject set and not read).
 * Retries when the kubelet swaps ..data while it reads.  A key whose bytes equal
 * those it had in prev (may be NULL) takes its hash from there: the kubelet
 * rewrites every key at each update, and comparing is cheaper than hashing.
 * On failure, -errno and a message in *ret_msg (malloc'd). */
int k8s_source_read(const char *dir, const k8s_source *prev, k8s_source *ret, char **ret_msg);
void k8s_source_release(k8s_source *s);

/* <root>/seccomp/<subdir>: opened (created 0755 with create), its path in
 * *ret_path.  Neither seccomp nor subdir may be a symlink (-ELOOP); every later
 * access goes through the returned fd, never through the path again. */
int k8s_dir_open(const char *root, const char *subdir, bool create, int *ret_fd, char **ret_path, char **ret_msg);
/* Takes the lock every writer of the dir holds while it writes (blocks while
 * another has it); returns the lock's fd (close it to unlock) or -errno. */
int k8s_dir_lock(int dirfd, bool *ret_waited);
/* Removes temporaries left by a writer that was killed (call with the lock held). */
void k8s_dir_clean_tmp(int dirfd);

/* name's bytes written atomically in dirfd with mode: a dot-named temporary,
 * fsync, rename.  The directory is not synced: call k8s_dir_sync() once after a
 * batch. */
int k8s_write_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);
/* The two halves: the temporary written and synced (its name in tmp, its stat
 * in *ret_st: the inode the file will have once renamed), then renamed to name
 * (the temporary is removed if that fails). */
int k8s_tmp_write(int dirfd, const void *data, size_t len, mode_t mode, char tmp[K8S_TMP_NAME], struct stat *ret_st);
int k8s_tmp_commit(int dirfd, const char *tmp, const char *name);
void k8s_dir_sync(int dirfd);
/* The sha256 of dirfd/name (not following a symlink) and, if ret_st, the stat
 * of the very file read; -errno (-ENOENT: absent). */
int k8s_hash_at(int dirfd, const char *name, char out[K8S_SHA_HEX], struct stat *ret_st);
/* Whether two stats are of one unchanged file (inode, size, mtime, ctime). */
bool k8s_same_file(const struct stat *a, const struct stat *b);
/* Whether name is a ConfigMap key the agent installs: [-._a-zA-Z0-9]+, at most
 * 253 bytes, not dot-named (those are the kubelet's own). */
bool k8s_key_name_ok(const char *name);
/* name with every byte outside [-._a-zA-Z0-9] as \xHH: safe in one log line. */
void k8s_name_escape(sf_buf *b, const char *name);

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
        mode_t mode;           /* what the agent installs it with */
        char *error;           /* rejected or failed: why (never the key's text) */
        /* the agent's memory, not saved: the installed file as last found current,
         * so that an unchanged file is not read again at every sync */
        struct stat id;
        bool id_ok;
} k8s_entry;

/* One file as the agent wrote it: its bytes and the inode that holds them.  A
 * file is the agent's only if all three match: the same bytes put there by
 * someone else (or a forged record) are not. */
typedef struct k8s_fid {
        char sha[K8S_SHA_HEX]; /* "" for none */
        dev_t dev;
        ino_t ino;
} k8s_fid;

/* A file the agent installed.  Before a rename the record names the file about
 * to take the name (the written temporary's inode) and the one there before
 * (prev): a kill at any point leaves the name on one of the two, so the agent
 * still knows it for its own. */
typedef struct k8s_owned {
        char *name;
        k8s_fid cur;  /* what was (or is being) installed */
        k8s_fid prev; /* while a write is under way: what it replaces, else sha "" */
} k8s_owned;

typedef struct k8s_state {
        char *source;
        k8s_owned *owned;
        size_t n_owned;
        k8s_entry *entries;
        size_t n_entries;
} k8s_state;

/* Reads dirfd/.sysfence-agent.json; an absent file is an empty state.  One
 * that is not a regular file, larger than K8S_STATE_MAX, not valid, of another
 * version or naming a file twice is an error (-EINVAL, message in *ret_msg):
 * the caller then owns nothing it cannot prove it wrote. */
int k8s_state_load(int dirfd, k8s_state *ret, char **ret_msg);
/* Writes the state atomically; with last, skips the write when the text equals
 * *last (and keeps the new text there). */
int k8s_state_save(int dirfd, const k8s_state *s, sf_buf *last);
void k8s_state_release(k8s_state *s);
k8s_owned *k8s_state_owned(const k8s_state *s, const char *name);
const k8s_entry *k8s_state_entry(const k8s_state *s, const char *name);
/* Records name as the agent's, as cur (prev: see k8s_owned; may be NULL). */
int k8s_state_own(k8s_state *s, const char *name, const k8s_fid *cur, const k8s_fid *prev);
/* Whether have (a file found under o's name) is the one the agent installed. */
bool k8s_owned_is(const k8s_owned *o, const k8s_fid *have);
/* have's fields from a file's sha and stat. */
void k8s_fid_set(k8s_fid *have, const char *sha, const struct stat *st);
void k8s_state_disown(k8s_state *s, const char *name);

const char *k8s_verdict_name(k8s_verdict v);

/* A finding that is a message of its own (id SF_K8S_MESSAGE, an error). */
void k8s_message(sf_diags *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line to the caller's log callback (nothing when log is NULL or memory is out). */
void k8s_log(sf_k8s_log_fn log, void *ctx, int level, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Every finding of from appended to to (copied). */
void k8s_diags_move(sf_diags *to, const sf_diags *from);

#endif
