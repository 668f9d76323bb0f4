/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence — the Kubernetes node side: installing profiles under the kubelet's
 * seccomp dir (once, or kept in sync with a ConfigMap volume by the agent),
 * the agent's readiness, the manifests that run it, linting pod specs, and the
 * inventory of the node's containers with the filter each really runs under.
 *
 * Nothing here prints or exits.  What a call has to say about its inputs comes
 * back as findings (sf_diags, in order; a finding whose id is SF_K8S_MESSAGE is
 * a message about the run rather than a spot in a file), an sf_error, or, for
 * the agent that runs for days, through the caller's log callback.
 */
#ifndef SYSFENCE_K8S_H
#define SYSFENCE_K8S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sysfence/arch.h>
#include <sysfence/bpf.h>
#include <sysfence/diag.h>
#include <sysfence/error.h>
#include <sysfence/record.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SF_K8S_DEFAULT_ROOT "/var/lib/kubelet"
#define SF_K8S_DEFAULT_SUBDIR "sysfence"
#define SF_K8S_STATE_NAME ".sysfence-agent.json"
#define SF_K8S_LOCK_NAME ".sysfence-agent.lock"
#define SF_K8S_SHA_HEX 65 /* 64 hex digits and a NUL */

/* The id of a finding that is a message of its own ("--from DIR: no profiles
 * there"), not about a spot in a file: print its msg alone. */
#define SF_K8S_MESSAGE "k8s-message"

/* Where profiles go on the node and how they are made ready for it. */
typedef struct sf_k8s_node_opts {
        const char *root;   /* the kubelet's root (SF_K8S_DEFAULT_ROOT) */
        const char *subdir; /* under root/seccomp (SF_K8S_DEFAULT_SUBDIR) */
        sf_compile_opts co; /* what each profile is compiled (validated) and resolved for */
        bool as_given;      /* keep archMap and includes/excludes (CRI-O evaluates them) */
        /* install: SeccompProfile files a profile's baseProfileName may name, or NULL */
        const char *bases_dir;
        /* A key (or an install argument) "oci://REF@sha256:..." is a profile
         * pulled from a registry: only from these registries (HOST[:PORT]; the
         * agent refuses every registry when there are none, install then takes
         * any), and over plain http only from those of plain_http (which are
         * allowed by being listed there).  Credentials come from registry_auth
         * (a docker/podman auth file), never from $HOME or the environment. */
        const char *const *registries;
        size_t n_registries;
        const char *const *plain_http;
        size_t n_plain_http;
        const char *registry_auth;
} sf_k8s_node_opts;

/* The prefix of a key that names an OCI artifact instead of holding a profile. */
#define SF_K8S_OCI_PREFIX "oci://"

/* Whether name may be installed: not empty, no '/', not dot-named, short. */
bool sf_k8s_name_ok(const char *name);
/* Whether s is a ConfigMap key: [-._a-zA-Z0-9]+, at most 253 bytes. */
bool sf_k8s_configmap_key(const char *s);
/* Whether s is an RFC 1123 label (a namespace's name). */
bool sf_k8s_dns_label(const char *s);

/* --- install ------------------------------------------------------------------ */

/* One profile for sf_k8s_install: file and name are the caller's; the rest is
 * the result. */
typedef struct sf_k8s_install_item {
        const char *file; /* the path, or "-" for standard input */
        const char *name; /* the installed file's name (sf_k8s_name_ok) */
        sf_diags diags;   /* the profile's findings */
        char *error;      /* a failure no finding says (unreadable, a compile limit), or NULL */
        char sha[SF_K8S_SHA_HEX]; /* of the installed bytes */
        bool installed;
} sf_k8s_install_item;

/* Validates and compiles every item for the node, then, only if all are valid,
 * writes each atomically to root/seccomp/subdir/name under the dir's lock.
 * Returns 0 when all were written, 1 when some were invalid (*ret_invalid of
 * them; nothing written), or -errno with err (the dir, the lock, a write: the
 * items written before have installed set).  *ret_dir: the dir's path when it
 * was opened (malloc'd). */
int sf_k8s_install(const sf_k8s_node_opts *o, sf_k8s_install_item *v, size_t n, size_t *ret_invalid,
                   char **ret_dir, sf_error **err);
void sf_k8s_install_items_release(sf_k8s_install_item *v, size_t n);

/* --- the agent ---------------------------------------------------------------- */

enum { SF_K8S_LOG_INFO = 0, SF_K8S_LOG_ERROR = 1 };
/* One line of the agent's log (no newline; names and texts from the source are
 * escaped, never as written). */
typedef void (*sf_k8s_log_fn)(void *ctx, int level, const char *msg);

typedef struct sf_k8s_agent sf_k8s_agent;

/* Opens the kubelet's dir (created), checks that source is a directory and
 * removes temporaries a killed writer left.  -errno with err. */
int sf_k8s_agent_new(const sf_k8s_node_opts *o, const char *source, sf_k8s_log_fn log, void *log_ctx,
                     sf_k8s_agent **ret, sf_error **err);
/* One pass: make the dir hold the source's profiles, install what changed,
 * remove what the agent installed and the source no longer has.  Returns the
 * number of keys not installed and current, or -1 when the pass could not run
 * or could not write (logged): try again later. */
int sf_k8s_agent_sync(sf_k8s_agent *a);
/* Watches the source and the dir (inotify), syncs, and syncs again at every
 * change (failed passes again with a growing delay) until sigfd, a signalfd of
 * the caller's, reads a signal other than SIGHUP (SIGHUP: every profile is
 * checked again).  0 on such a stop, else -errno with err. */
int sf_k8s_agent_run(sf_k8s_agent *a, int sigfd, sf_error **err);
void sf_k8s_agent_free(sf_k8s_agent *a);

/* --- status (readiness) --------------------------------------------------------- */

typedef enum sf_k8s_state {
        SF_K8S_CURRENT,
        SF_K8S_MISSING,
        SF_K8S_STALE,
        SF_K8S_REJECTED,
        SF_K8S_FAILED, /* an oci:// key the agent could not pull (the installed copy, if any, stays) */
} sf_k8s_state;

typedef struct sf_k8s_status_entry {
        char *name;  /* the key (escaped if it is not a ConfigMap key) */
        sf_k8s_state state;
        char want[SF_K8S_SHA_HEX];      /* what the agent installs for it ("" rejected) */
        char installed[SF_K8S_SHA_HEX]; /* what is there ("" none) */
        char *error; /* rejected: why (never the profile's text) */
        char *reference; /* an oci:// key: the reference (HOST/REPO[:TAG]@DIGEST), else NULL */
        char *digest;    /* ... and its manifest digest */
} sf_k8s_status_entry;

typedef struct sf_k8s_status {
        sf_k8s_status_entry *v;
        size_t n, current;
        char *warning; /* the dir is there but cannot be the agent's (a symlink), or NULL */
} sf_k8s_status;

/* Whether every key of source is installed and current under o's dir: the
 * agent's recorded verdicts where the text is the one it judged, else each
 * decided here.  0 (ready is current == n), or -errno with err. */
int sf_k8s_status_read(const sf_k8s_node_opts *o, const char *source, sf_k8s_status *ret, sf_error **err);
void sf_k8s_status_release(sf_k8s_status *s);
const char *sf_k8s_state_name(sf_k8s_state s);

/* --- manifests ------------------------------------------------------------------ */

/* Loads the one profile of file, checks and compiles it for this node; every
 * finding in d, and a SF_K8S_MESSAGE "FILE: invalid profile, N errors" when it
 * is not one the runtime loads (then 1, else 0).  With ret_json a SeccompProfile
 * is accepted and *ret_json is the Docker JSON for it (NULL for a file that is
 * runtime JSON already). */
int sf_k8s_profile_validate(const char *file, char **ret_json, sf_diags *d);
/* The Namespace, ConfigMap (the profiles of from_dir, NULL: none) and DaemonSet
 * of the node agent, as multi-document YAML in *ret.  1 with findings in d when
 * a profile of from_dir is not one (nothing in *ret); -ENOMEM. */
int sf_k8s_manifests(const char *ns, const char *image, const char *from_dir, char **ret, sf_diags *d);
/* The strategic-merge patch binding subdir/base (subdir may be "") to a pod's
 * every container, or to container only; tmpl: under spec.template; json or
 * YAML.  0 or -ENOMEM. */
int sf_k8s_pod_patch(const char *subdir, const char *base, const char *container, bool tmpl, bool json,
                     char **ret);
/* A relative path of plain names (no "", "." or ".." element). */
bool sf_k8s_plain_subdir(const char *s);

/* --- lint ----------------------------------------------------------------------- */

typedef enum sf_k8s_sev { SF_K8S_ERROR, SF_K8S_WARNING, SF_K8S_INFO } sf_k8s_sev;

typedef struct sf_k8s_lint_opts {
        const char *kubelet_root; /* look for Localhost profiles in DIR/seccomp/ (or NULL) */
        const char *profiles_dir; /* ... in DIR/ (or NULL) */
        const char *runtime;      /* "runc" (NULL) or "crun": whose needs a profile must allow */
        sf_arch arch;             /* the nodes' */
        bool seccomp_default;     /* the kubelet's --seccomp-default */
} sf_k8s_lint_opts;

typedef struct sf_k8s_finding {
        sf_k8s_sev sev;
        const char *id, *file, *path, *msg, *hint; /* hint may be NULL */
        unsigned line, col;
} sf_k8s_finding;

/* A container and the profile it runs under. */
typedef struct sf_k8s_lint_container {
        const char *kind, *name; /* the workload's */
        const char *list;        /* "containers", "initContainers", "ephemeralContainers" */
        const char *container;
        unsigned line, col;
        const char *type;        /* "RuntimeDefault", "Localhost", "Unconfined" */
        const char *lp;          /* localhostProfile, or NULL */
        const char *source;      /* what set it ("container securityContext", ...) */
        bool privileged;
} sf_k8s_lint_container;

/* One file's result; valid until the next call on the linter. */
typedef struct sf_k8s_lint_result {
        const char *file;         /* "<stdin>" for "-" */
        size_t documents;
        const sf_k8s_lint_container *containers;
        size_t n_containers;
        const sf_k8s_finding *findings; /* in manifest order */
        size_t n_findings;
        size_t errors, warnings, infos;
} sf_k8s_lint_result;

typedef struct sf_k8s_linter sf_k8s_linter;

int sf_k8s_linter_new(const sf_k8s_lint_opts *o, sf_k8s_linter **ret);
/* Lints one manifest file ("-": standard input).  0, or -ENOMEM. */
int sf_k8s_lint_file(sf_k8s_linter *l, const char *file, sf_k8s_lint_result *ret);
/* Totals over every file linted; unchecked: Localhost profiles not looked up
 * (no directory given). */
void sf_k8s_linter_totals(const sf_k8s_linter *l, size_t *errors, size_t *warnings, size_t *infos,
                          size_t *unchecked);
void sf_k8s_linter_free(sf_k8s_linter *l);
const char *sf_k8s_sev_name(sf_k8s_sev s);

/* --- the node's containers (inventory) ------------------------------------------ */

/* A container as its runtime's state dir describes it: containerd's shim v2
 * bundles (<state>/io.containerd.runtime.v2.task/<namespace>/<id>/config.json
 * and init.pid) or CRI-O's (<storage>/overlay-containers/<id>/userdata/
 * config.json and pidfile). */
typedef struct sf_k8s_container {
        char *id;           /* the runtime's container id */
        char *ns;           /* containerd's namespace ("k8s.io"); NULL for CRI-O */
        char *pod, *pod_ns; /* from the CRI annotations, or NULL */
        char *name;         /* the container's name, or NULL */
        char *type;         /* "container", "sandbox", or NULL */
        char *bundle;       /* the dir config.json is in */
        pid_t pid;          /* its init, 0 when not running */
        char *config;       /* the path of its config.json */
        bool seccomp;       /* config.json has linux.seccomp (else: unconfined) */
        uint64_t seccomp_hash; /* of that object's content: equal objects, equal hashes */
} sf_k8s_container;

typedef struct sf_k8s_inventory {
        sf_k8s_container *v; /* sorted by pod namespace, pod, name, id */
        size_t n;
        sf_diags notes;      /* bundles that could not be read (warnings) */
} sf_k8s_inventory;

typedef struct sf_k8s_inventory_opts {
        const char *containerd_state; /* containerd's state dir (/run/containerd), or NULL: none */
        const char *crio_storage;     /* CRI-O's run storage (/run/containers/storage), or NULL */
} sf_k8s_inventory_opts;

/* Every container of the node the state dirs hold.  Ids, namespaces and
 * bundle names are charset-checked, nothing is followed through a symlink,
 * config.json is bounded.  0 (an absent state dir is an empty list), -errno
 * with err. */
int sf_k8s_inventory_read(const sf_k8s_inventory_opts *o, sf_k8s_inventory *ret, sf_error **err);
void sf_k8s_inventory_release(sf_k8s_inventory *inv);
/* The container of inv that pid belongs to (by its cgroup path naming an id of
 * inv, or by being its init), or NULL. */
const sf_k8s_container *sf_k8s_inventory_find_pid(const sf_k8s_inventory *inv, pid_t pid);
/* The container of inv whose id is id, or NULL. */
const sf_k8s_container *sf_k8s_inventory_find_id(const sf_k8s_inventory *inv, const char *id);
/* The container id /proc/PID/cgroup names: the last component of a cgroup path
 * that is 64 hex digits, bare (cgroupfs) or as cri-containerd-ID.scope,
 * crio-ID.scope, docker-ID.scope, libpod-ID.scope (systemd).  1 with the id in
 * buf (at least 65 bytes), 0 when in no container, -errno (-ENOENT: gone). */
int sf_k8s_pid_container_id(pid_t pid, char *buf, size_t n);

/* The seccomp filters a process runs under, read from /proc/PID/status and with
 * PTRACE_SECCOMP_GET_FILTER (needs CAP_SYS_ADMIN): the process is seized,
 * interrupted, read and detached, never signalled or stopped beyond that. */
typedef struct sf_k8s_filters {
        int mode;          /* /proc/PID/status Seccomp: 0 none, 1 strict, 2 filter; -1 unknown */
        unsigned count;    /* Seccomp_filters */
        struct sock_filter **progs; /* newest first, as the kernel numbers them */
        size_t *lens;
        size_t n;          /* programs read (n < count: not all could be) */
} sf_k8s_filters;

int sf_k8s_filters_read(pid_t pid, sf_k8s_filters *ret, sf_error **err);
void sf_k8s_filters_release(sf_k8s_filters *f);

/* Whether the loaded program a makes the decisions of b (a profile compiled
 * by sysfence, b_default the return of its default action) for every syscall
 * number each of arches knows (and a margin above), for arguments at zero and
 * at every boundary value either program compares an argument word with, and
 * for a foreign arch.  runc's stub in front of the filter (ENOSYS for -1 and
 * for the numbers above the highest its libseccomp knows) is not a
 * difference where b leaves those numbers to its default.  Both must be valid
 * programs (sf_bpf_validate). */
bool sf_k8s_prog_equal(const struct sock_filter *a, size_t na, const struct sock_filter *b, size_t nb,
                       uint32_t b_default, const sf_arch *arches, size_t n_arches);

/* --- ps: what each container runs under ------------------------------------------- */

typedef struct sf_k8s_ps_opts {
        sf_k8s_inventory_opts inv;
        const char *kubelet_root; /* its seccomp/ holds the installed profiles */
        bool sandboxes;           /* list the pods' sandbox (pause) containers too */
} sf_k8s_ps_opts;

typedef enum sf_k8s_loaded {
        SF_K8S_LOADED_MATCH,     /* a filter deciding as the named profile does */
        SF_K8S_LOADED_UNKNOWN,   /* a filter matching no profile known here */
        SF_K8S_LOADED_NONE,      /* no seccomp: unconfined */
        SF_K8S_LOADED_STRICT,    /* seccomp strict mode */
        SF_K8S_LOADED_UNREADABLE, /* a filter, but its program could not be read */
        SF_K8S_LOADED_STOPPED,   /* the container is not running */
} sf_k8s_loaded;

typedef struct sf_k8s_ps_row {
        const sf_k8s_container *c; /* in the result's inventory */
        /* what config.json asks for: a profile's name ("sysfence/nginx.json",
         * "RuntimeDefault"), "unconfined" (no linux.seccomp), "unknown profile",
         * or "invalid profile" */
        char *spec;
        sf_k8s_loaded loaded;
        char *match;     /* MATCH: the profile's name */
        size_t insns;    /* UNKNOWN: the filter's length */
        unsigned n_filters; /* Seccomp_filters */
        char *why;       /* UNREADABLE: why */
} sf_k8s_ps_row;

typedef struct sf_k8s_ps {
        sf_k8s_inventory inv;
        sf_k8s_ps_row *v;
        size_t n;
        size_t n_profiles; /* installed profiles compared against (with RuntimeDefault) */
        sf_diags notes;    /* installed files that are not profiles, unreadable bundles */
} sf_k8s_ps;

/* Every container of the node (sandboxes only with o->sandboxes), the profile
 * its config asks for and the filter its init process runs under, each matched
 * by decisions against the profiles installed under kubelet_root/seccomp/
 * (compiled for this node) and containerd's default ("RuntimeDefault").  Needs
 * root (ptrace of every container's init).  0, or -errno with err. */
int sf_k8s_ps_read(const sf_k8s_ps_opts *o, sf_k8s_ps *ret, sf_error **err);
void sf_k8s_ps_release(sf_k8s_ps *ps);

/* --- record: a pod's containers, from the start -------------------------------------- */

/* The audit profile k8s record installs, under ROOT/seccomp/SF_K8S_DEFAULT_SUBDIR/:
 * {"defaultAction": "SCMP_ACT_LOG"}, every call allowed and logged.  Pods to
 * record name it: localhostProfile: sysfence/record.json. */
#define SF_K8S_RECORD_PROFILE "record.json"

typedef struct sf_k8s_record_opts {
        sf_k8s_inventory_opts inv;
        const char *kubelet_root; /* where the audit profile is installed */
        const char *pod_ns, *pod; /* one pod; or both NULL and a selector */
        /* "KEY=VALUE[,KEY=VALUE...]": every pod whose labels (CRI-O: the
         * sandbox's io.kubernetes.cri-o.Labels) or annotations (containerd: the
         * pod annotations it copies into the sandbox's OCI config, its
         * pod_annotations setting) hold them all; the containers of one name are
         * recorded as one, over every such pod */
        const char *selector;
        const char *container;    /* only this container, or NULL: every one */
        unsigned wait_ms;         /* how long the pod may take to appear (0: 60 s) */
        unsigned settle_ms;       /* its containers all exited this long: it ended (0: 1.5 s) */
        /* live: the pod's running containers from now on, with the eBPF recorder
         * on each one's pid namespace, instead of the audit profile from their
         * start; nothing is installed or stopped.  What it cannot have seen:
         * the calls made before now, and calls a filter the container already
         * runs under refuses (the sys_enter tracepoint comes after seccomp) */
        bool live;
        sf_k8s_log_fn log;        /* progress: a pod seen, a pod ended (may be NULL) */
        void *log_ctx;
} sf_k8s_record_opts;

typedef struct sf_k8s_recording sf_k8s_recording;

/* Checks o (the selector's syntax), installs the audit profile atomically (its
 * path in *ret_profile, malloc'd, NULL when live; the dir's lock held as k8s install does) and
 * starts reading the audit netlink group (root: CAP_AUDIT_READ), so that
 * nothing the pod does from now on is missed.  -errno with err. */
int sf_k8s_record_new(const sf_k8s_record_opts *o, sf_k8s_recording **ret, char **ret_profile, sf_error **err);
/* Reads records, keeps those of the selected pods' containers, until every
 * such pod has ended (its sandbox gone or stopped, or all its containers
 * exited for settle_ms) or sigfd (a signalfd of the caller's, or -1) reads a
 * signal.  0: the pods ended; 1: a signal.  -ETIMEDOUT with err when no pod
 * was seen within wait_ms; -errno with err on a failure. */
int sf_k8s_record_run(sf_k8s_recording *r, int sigfd, sf_error **err);
/* Counts one record as if read from the netlink group, named by o: what
 * sf_k8s_record_run does with each record. */
struct sf_audit_record;
struct sf_audit_origin;
int sf_k8s_record_add(sf_k8s_recording *r, const struct sf_audit_record *rec, const struct sf_audit_origin *o);

typedef struct sf_k8s_record_stats {
        uint64_t records;  /* seccomp records read */
        uint64_t kept;     /* of the selected containers' workloads */
        uint64_t runtime;  /* of their runtime's init, before the workload's execve (left out) */
        uint64_t unnamed;  /* in no known pod's container */
        uint64_t by_parent; /* processes named at their fork by their parent's container (sf_audit_attr_watch) */
        uint64_t lost;     /* times a socket overflowed (records or fork events lost: the profiles may miss calls) */
        size_t pods;       /* pods seen */
} sf_k8s_record_stats;
void sf_k8s_record_stats_get(const sf_k8s_recording *r, sf_k8s_record_stats *ret);

/* One container's profile. */
typedef struct sf_k8s_recorded {
        char *container;
        char *file;        /* its file name: NAME-CONTAINER.json (.yaml for a SeccompProfile) */
        char *localhost_profile; /* what a pod names it by once installed: sysfence/FILE
                                  * (k8s install), or for a SeccompProfile the
                                  * operator's operator/NAMESPACE/NAME.json */
        const char *runtime; /* the base set added ("runc", "crun"), or NULL */
        char *text;
        uint64_t calls;
        size_t syscalls;   /* distinct (arch, syscall) recorded */
} sf_k8s_recorded;

/* The profiles of what r kept, one per container name, sorted by it.  name
 * prefixes the files and SeccompProfile names (NULL: the pod's name, or with a
 * selector its first value).  so->base "auto" adds the base set of the
 * runtime whose init was seen in the container's records (else runc, the
 * runtime of containerd's and CRI-O's default handler); a SeccompProfile
 * names it in spec.baseProfileName unless inline_base.  Canonical: the same
 * records in any order give the same bytes.  Warnings in d (a container with
 * no records is left out).  0, or -errno with err (-ENOENT: no records of any
 * container). */
int sf_k8s_record_profiles(const sf_k8s_recording *r, const char *name, const sf_synth_opts *so, bool inline_base,
                           sf_k8s_recorded **ret, size_t *ret_n, sf_diags *d, sf_error **err);
/* Writes each profile to dir/file atomically, none if any cannot be made. */
int sf_k8s_record_write(const char *dir, const sf_k8s_recorded *v, size_t n, sf_error **err);
/* Whether dir exists and takes new files (checked before recording). */
int sf_k8s_record_dir_check(const char *dir, sf_error **err);
void sf_k8s_recorded_release(sf_k8s_recorded *v, size_t n);
void sf_k8s_record_free(sf_k8s_recording *r);

#ifdef __cplusplus
}
#endif
#endif
