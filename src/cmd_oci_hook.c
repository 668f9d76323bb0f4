/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence oci-hook: an OCI runtime hook that records a container's syscalls,
 * driven by podman's io.containers.trace-syscall annotation.
 *
 * prestart (or createRuntime): the runtime's init process exists and waits to
 * run the workload.  The hook validates the annotation, then starts a detached
 * recorder (double fork, setsid, stdio on /dev/null: the runtime waits until
 * the hook's stdout and stderr are closed) that attaches to the init and its
 * threads with ptrace and says "attached" over a pipe; only then does the hook
 * exit 0, so nothing the workload does is missed.  The recorder holds an
 * exclusive flock on STATE_DIR/<container id> until the profile is written.
 *
 * poststop: waits (bounded) for that lock, so the profile exists when the
 * runtime is done with the container, and reports the recorder's outcome. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch/caps.h"
#include "cli.h"
#include "doc/doc.h"
#include "profile/merge.h"
#include "sysfence/record.h"

#define ANNOTATION "io.containers.trace-syscall"
#define STATE_DIR "/run/sysfence/oci-hook"
#define MAX_STATE (1u << 20)   /* bytes of state JSON on stdin */
#define MAX_REPORT 4096        /* bytes the recorder reports back */
#define ATTACH_TIMEOUT_MS 30000

static const char usage[] =
        "usage: sysfence oci-hook [--default-action errno|kill|log] [--backend auto|ebpf|ptrace]\n"
        "                         [--base auto|none|runc|crun] [--state-dir DIR]\n"
        "                         [--timeout SECONDS] [STAGE]\n"
        "\n"
        "An OCI runtime hook that records a container's syscalls and writes the profile\n"
        "that allows them, a drop-in for oci-seccomp-bpf-hook: podman runs it for a\n"
        "container with the annotation\n"
        "\n"
        "  io.containers.trace-syscall=[if:INPUT;]of:OUTPUT\n"
        "\n"
        "(absolute paths on the host).  The runtime passes the container's state (JSON)\n"
        "on standard input.\n"
        "\n"
        "STAGE is the hook stage (default: from the state's status):\n"
        "  prestart, createRuntime  start a recorder for the container's init process\n"
        "                 before the workload runs; it goes on in the background\n"
        "                 until the container's processes are gone, then writes OUTPUT\n"
        "                 atomically: the syscalls seen (the runtime's own after this\n"
        "                 point included), merged with the profile INPUT if given\n"
        "  poststop       wait until that recorder has written OUTPUT; report its errors\n"
        "\n"
        "An invalid annotation, an INPUT that cannot be loaded, or a recorder that cannot\n"
        "attach fails the hook: the runtime then refuses to start the container, so\n"
        "nothing runs unrecorded.  OUTPUT is never left half-written, and is not\n"
        "written for a container that never started (no execve seen).\n"
        "\n"
        "  --default-action ACT   what the profile does with any other syscall: errno\n"
        "                         (default: fail with EPERM), kill or log\n"
        "  --base RT              also allow what runtime RT (runc, crun) may do after it\n"
        "                         loads the filter: one recording sees only some of it\n"
        "                         (runc's Go runtime sends itself preemption signals at\n"
        "                         random), and the container then dies at random under\n"
        "                         the profile; auto (default): the runtime whose init\n"
        "                         process the hook finds (runc or crun), else none\n"
        "  --backend B            ebpf: every process of the container's pid namespace\n"
        "                         (podman exec too), counted in the kernel, nothing\n"
        "                         stopped, until its init ends; ptrace: the init process\n"
        "                         and its descendants, traced with PTRACE_SYSCALL;\n"
        "                         auto (default): ebpf where it is built in and loads,\n"
        "                         and the container has a pid namespace, else ptrace\n"
        "  --state-dir DIR        where recorders keep their lock files (default\n"
        "                         " STATE_DIR ")\n"
        "  --timeout SECONDS      poststop: how long to wait for the recorder\n"
        "                         (default 30)\n"
        "  -h, --help             show this help\n"
        "\n"
        "Install: copy hooks/sysfence-trace-syscall*.json (with the path of sysfence)\n"
        "into /usr/share/containers/oci/hooks.d/ or /etc/containers/oci/hooks.d/.\n"
        "\n"
        "exit status: 0 success (or no annotation: nothing to do); 1 invalid state,\n"
        "annotation or INPUT, or the recording failed; 2 usage error\n"
        "\n"
        "example:\n"
        "  podman run --annotation io.containers.trace-syscall=of:/tmp/ls.json IMAGE ls /\n"
        "  podman run --security-opt seccomp=/tmp/ls.json IMAGE ls /\n";

typedef struct hook_opts {
        sf_synth_opts so;
        const char *backend; /* auto, ebpf, ptrace */
        const char *state_dir;
        unsigned timeout;
} hook_opts;

/* What the runtime says of the container. */
typedef struct hook_state {
        const char *id;
        const char *status;
        long pid;
        const char *bundle;
        const char *annotation; /* NULL: absent */
        sf_doc doc, config;
        bool config_tried;
} hook_state;

/* The annotation's value, parsed. */
typedef struct trace_spec {
        char *input;  /* NULL: none */
        char *output;
} trace_spec;

static void trace_spec_release(trace_spec *t)
{
        free(t->input);
        free(t->output);
        t->input = t->output = NULL;
}

static void hook_state_release(hook_state *s)
{
        sf_doc_release(&s->doc);
        sf_doc_release(&s->config);
}

/* --- the state on stdin ------------------------------------------------------------ */

static const char *node_str(const sf_node *obj, const char *key)
{
        const sf_node *n = sf_node_get(obj, key);
        return n && n->kind == SF_NODE_STR ? n->str.s : NULL;
}

/* The bundle's config.json (NULL when unreadable), parsed once. */
static const sf_node *bundle_config(hook_state *s)
{
        if (s->config.n_docs == 1)
                return s->config.docs[0];
        if (s->config_tried || !s->bundle || s->bundle[0] != '/')
                return NULL;
        s->config_tried = true;
        sf_buf path = { 0 };
        sf_buf_printf(&path, "%s/config.json", s->bundle);
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (!path.oom && sf_read_file(path.s, SF_PROFILE_MAX_FILE, &data, &len, NULL) == 0 &&
            sf_json_parse(data, len, path.s, &s->config, NULL) < 0)
                sf_doc_release(&s->config);
        sf_buf_release(&path);
        return s->config.n_docs == 1 ? s->config.docs[0] : NULL;
}

/* The annotation in the config.json of the bundle, for a runtime whose state
 * lacks annotations. */
static void annotation_from_bundle(hook_state *s)
{
        s->annotation = node_str(sf_node_get(bundle_config(s), "annotations"), ANNOTATION);
}

/* A container id names a file in the state directory: no '/', no leading dot. */
static bool valid_id(const char *id)
{
        size_t n = strlen(id);
        if (n == 0 || n > 255 || id[0] == '.')
                return false;
        for (const char *p = id; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '-' || *p == '.'))
                        return false;
        return true;
}

static int read_state(hook_state *s)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        sf_error *err = NULL;
        if (isatty(STDIN_FILENO)) {
                cli_error("oci-hook", "the container state is read from standard input (the runtime passes it; see --help)");
                return EXIT_USAGE;
        }
        if (sf_read_file("-", MAX_STATE, &data, &len, &err) < 0) {
                cli_error("oci-hook", "cannot read the container state: %s", sf_error_message(err));
                sf_error_free(err);
                return EXIT_INVALID;
        }
        sf_diags d = { 0 };
        if (sf_json_parse(data, len, "<state>", &s->doc, &d) < 0 || s->doc.n_docs != 1) {
                for (size_t i = 0; i < d.n; i++) {
                        _cleanup_free_ char *m = sf_diag_format(&d.v[i]);
                        cli_error("oci-hook", "the container state on standard input is not JSON: %s",
                                  m ? m : "out of memory");
                }
                if (d.n == 0)
                        cli_error("oci-hook", "the container state on standard input is not JSON");
                sf_diags_release(&d);
                return EXIT_INVALID;
        }
        sf_diags_release(&d);
        const sf_node *root = s->doc.docs[0];
        if (root->kind != SF_NODE_OBJ) {
                cli_error("oci-hook", "the container state is a JSON %s, not an object", sf_node_kind_name(root->kind));
                return EXIT_INVALID;
        }
        s->id = node_str(root, "id");
        if (!s->id) {
                cli_error("oci-hook", "the container state has no \"id\" string");
                return EXIT_INVALID;
        }
        if (!valid_id(s->id)) {
                cli_error("oci-hook", "the container state's id \"%s\" is not a container id (letters, digits, '_', '-', '.')",
                          s->id);
                return EXIT_INVALID;
        }
        s->status = node_str(root, "status");
        s->bundle = node_str(root, "bundle");
        const sf_node *pid = sf_node_get(root, "pid");
        s->pid = 0;
        if (pid) {
                if (pid->kind != SF_NODE_NUM || !pid->num.is_int || pid->num.neg || pid->num.overflow ||
                    pid->num.mag > INT32_MAX) {
                        cli_error("oci-hook", "the container state's pid %s is not a process id",
                                  pid->kind == SF_NODE_NUM ? pid->num.text : sf_node_kind_name(pid->kind));
                        return EXIT_INVALID;
                }
                s->pid = (long)pid->num.mag;
        }
        const sf_node *ann = sf_node_get(root, "annotations");
        if (ann && ann->kind != SF_NODE_OBJ) {
                cli_error("oci-hook", "the container state's annotations is a %s, not an object",
                          sf_node_kind_name(ann->kind));
                return EXIT_INVALID;
        }
        if (ann) {
                const sf_node *v = sf_node_get(ann, ANNOTATION);
                if (v && v->kind != SF_NODE_STR) {
                        cli_error("oci-hook", "annotation " ANNOTATION " is a %s, not a string",
                                  sf_node_kind_name(v->kind));
                        return EXIT_INVALID;
                }
                s->annotation = v ? v->str.s : NULL;
        } else
                annotation_from_bundle(s);
        return 0;
}

/* --- the annotation ------------------------------------------------------------------ */

/* "[if:INPUT;]of:OUTPUT" (the two in either order).  Prints the problem. */
static int parse_annotation(const char *value, trace_spec *t)
{
        static const char form[] = "expected [if:INPUT;]of:OUTPUT with absolute paths";
        if (!*value) {
                cli_error("oci-hook", "annotation " ANNOTATION " is empty: %s", form);
                return EXIT_INVALID;
        }
        for (const char *p = value;;) {
                const char *e = strchrnul(p, ';');
                size_t n = (size_t)(e - p);
                char **slot = NULL;
                if (n >= 3 && strncmp(p, "if:", 3) == 0)
                        slot = &t->input;
                else if (n >= 3 && strncmp(p, "of:", 3) == 0)
                        slot = &t->output;
                if (!slot) {
                        cli_error("oci-hook", "annotation " ANNOTATION "=\"%s\": \"%.*s\" is neither if:INPUT nor of:OUTPUT (%s)",
                                  value, (int)n, p, form);
                        return EXIT_INVALID;
                }
                if (*slot) {
                        cli_error("oci-hook", "annotation " ANNOTATION "=\"%s\": %.3s given twice", value, p);
                        return EXIT_INVALID;
                }
                if (n == 3 || p[3] != '/') {
                        cli_error("oci-hook", "annotation " ANNOTATION "=\"%s\": %.3s \"%.*s\" is not an absolute path (%s)",
                                  value, p, (int)(n - 3), p + 3, form);
                        return EXIT_INVALID;
                }
                if (n - 3 >= PATH_MAX) {
                        cli_error("oci-hook", "annotation " ANNOTATION ": %.3s path too long", p);
                        return EXIT_INVALID;
                }
                if (!(*slot = strndup(p + 3, n - 3))) {
                        cli_error("oci-hook", "out of memory");
                        return EXIT_INVALID;
                }
                if (!*e)
                        break;
                p = e + 1;
        }
        if (!t->output) {
                cli_error("oci-hook", "annotation " ANNOTATION "=\"%s\" has no of:OUTPUT (%s)", value, form);
                return EXIT_INVALID;
        }
        return 0;
}

/* OUTPUT must be writable where it is: its directory exists, it is no directory. */
static int check_output(const char *out)
{
        struct stat st;
        if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
                cli_error("oci-hook", "annotation " ANNOTATION ": of:%s is a directory", out);
                return EXIT_INVALID;
        }
        _cleanup_free_ char *dir = strdup(out);
        if (!dir) {
                cli_error("oci-hook", "out of memory");
                return EXIT_INVALID;
        }
        char *slash = strrchr(dir, '/');
        if (slash == dir)
                slash[1] = '\0';
        else
                *slash = '\0';
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                cli_error("oci-hook", "annotation " ANNOTATION ": of:%s: the directory %s does not exist", out, dir);
                return EXIT_INVALID;
        }
        if (access(dir, W_OK) < 0) {
                cli_error("oci-hook", "annotation " ANNOTATION ": of:%s: cannot write in %s: %s", out, dir,
                          strerror(errno));
                return EXIT_INVALID;
        }
        return 0;
}

/* --- the state directory -------------------------------------------------------------- */

static int mkdir_p(const char *path)
{
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1;; s++) {
                if (*s == '/' || *s == '\0') {
                        char c = *s;
                        *s = '\0';
                        if (mkdir(p, 0700) < 0 && errno != EEXIST)
                                return -errno;
                        *s = c;
                        if (!c)
                                break;
                }
        }
        struct stat st;
        if (stat(path, &st) < 0)
                return -errno;
        return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static char *lock_path(const hook_opts *o, const char *id)
{
        sf_buf b = { 0 };
        sf_buf_printf(&b, "%s/%s", o->state_dir, id);
        return sf_buf_steal(&b);
}

/* Replaces the lock file's text (the recorder's outcome, read by poststop). */
static void set_state(int fd, const char *text)
{
        if (ftruncate(fd, 0) < 0)
                return;
        size_t len = strlen(text);
        for (size_t off = 0; off < len;) {
                ssize_t n = pwrite(fd, text + off, len - off, (off_t)off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                off += (size_t)n;
        }
}

/* --- the recorder (the detached daemon) ------------------------------------------------- */

static sf_recorder *the_recorder;
static sf_ebpf_recorder *the_ebpf;

static void on_term(int sig)
{
        (void)sig;
        int saved = errno;
        /* an attached tree is let go and goes on running; the profile is still written */
        if (the_recorder)
                sf_recorder_interrupt(the_recorder, 0);
        if (the_ebpf)
                sf_ebpf_recorder_interrupt(the_ebpf, 0);
        errno = saved;
}

/* Sends the hook one line: "ok" or the error. */
static void report(int fd, const char *msg)
{
        sf_buf b = { 0 };
        sf_buf_printf(&b, "%s\n", msg);
        for (size_t off = 0; !b.oom && off < b.len;) {
                ssize_t n = write(fd, b.s + off, b.len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                off += (size_t)n;
        }
        sf_buf_release(&b);
}

/* The profile of what the recorder saw, merged with the baseline: 0, or an error. */
static int make_profile(const sf_record *record, const hook_opts *o, const trace_spec *t, sf_profile *baseline,
                        char **ret_text, sf_buf *log, sf_error **err)
{
        sf_diags d = { 0 };
        char *text = NULL;
        int r = sf_record_to_profile(record, &o->so, &text, &d, err);
        for (size_t i = 0; i < d.n; i++) {
                _cleanup_free_ char *m = sf_diag_format(&d.v[i]);
                sf_buf_printf(log, "%s\n", m ? m : "out of memory");
        }
        sf_diags_release(&d);
        if (r < 0 || !baseline) {
                *ret_text = text;
                return r;
        }
        sf_profile **rec = NULL;
        size_t n = 0;
        r = sf_profile_load_data(text, strlen(text), "<recorded>", NULL, &rec, &n, NULL, err);
        free(text);
        if (r < 0)
                return sf_error_wrap(err, "the recorded profile");
        if (n != 1) {
                sf_profiles_free(rec, n);
                return sf_error_set(err, EINVAL, "the recorded profile is not one profile");
        }
        /* The recorded rules first: what the container did stays allowed whatever
         * the baseline says of it (libseccomp keeps the first rule). */
        sf_profile *in[2] = { rec[0], baseline };
        sf_profile *merged = NULL;
        sf_merge_opts mo = { .default_action = &rec[0]->default_action, .name = t->output };
        r = sf_profile_merge(in, 2, &mo, &merged, &d, err);
        for (size_t i = 0; i < d.n; i++) {
                _cleanup_free_ char *m = sf_diag_format(&d.v[i]);
                sf_buf_printf(log, "%s\n", m ? m : "out of memory");
        }
        sf_diags_release(&d);
        sf_profiles_free(rec, n);
        if (r < 0)
                return sf_error_wrap(err, "merging if:%s", t->input);
        r = sf_profile_emit(merged, SF_FORMAT_DOCKER, ret_text, err);
        sf_profile_free(merged);
        return r;
}

/* Whether the tree made an execve: the runtime's init ends in one; without it
 * the container never started (a later hook or the runtime failed). */
static bool executed(const sf_record *record)
{
        sf_record_entry *e = NULL;
        size_t n = 0;
        if (sf_record_entries(record, &e, &n, NULL) < 0)
                return true; /* cannot tell: keep what was recorded */
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
                found = e[i].name && (strcmp(e[i].name, "execve") == 0 || strcmp(e[i].name, "execveat") == 0);
        free(e);
        return found;
}

/* The daemon: attach, report, record until the tree is gone, write the profile.
 * Never returns. */
static void __attribute__((noreturn)) recorder_main(int report_fd, pid_t pid, const hook_opts *o,
                                                    const trace_spec *t, sf_profile *baseline, const char *lock)
{
        /* stdio on /dev/null: the runtime reads the hook's stdout and stderr until
         * every writer is gone */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
                dup2(null, STDIN_FILENO);
                dup2(null, STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
                if (null > STDERR_FILENO)
                        close(null);
        }
        /* nothing the runtime passed stays open but the pipe to the hook */
        if (report_fd > 3)
                close_range(3, (unsigned)report_fd - 1, 0);
        close_range((unsigned)report_fd + 1, ~0u, 0);
        if (chdir("/") < 0) {
                /* not fatal: only paths given as absolute are used */
        }
        /* whatever the runtime left: the recorder waits for its tracees' stops and
         * exits (SIGCHLD), and SIGTERM must reach it */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGCHLD, SIG_DFL);
        signal(SIGPIPE, SIG_IGN);
        signal(SIGHUP, SIG_IGN);

        int lock_fd = open(lock, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lock_fd < 0 || flock(lock_fd, LOCK_EX) < 0) {
                sf_buf b = { 0 };
                sf_buf_printf(&b, "error: cannot lock %s: %s", lock, strerror(errno));
                report(report_fd, b.oom ? "error: out of memory" : b.s);
                _exit(1);
        }
        char line[64];
        snprintf(line, sizeof(line), "recording %d\n", (int)getpid());
        set_state(lock_fd, line);

        sf_error *err = NULL;
        sf_record_opts ro = { .pin = SF_RECORD_PIN_NONE };
        if (strcmp(o->backend, "ptrace") != 0 &&
            (sf_ebpf_recorder_new(&ro, &the_ebpf, &err) < 0 || sf_ebpf_recorder_pidns_of(the_ebpf, pid, &err) < 0)) {
                sf_ebpf_recorder_free(the_ebpf);
                the_ebpf = NULL;
                if (strcmp(o->backend, "ebpf") == 0) {
                        sf_buf b = { 0 };
                        sf_buf_printf(&b, "error: cannot record the container's pid namespace (eBPF): %s",
                                      sf_error_message(err));
                        unlink(lock);
                        report(report_fd, b.oom ? "error: out of memory" : b.s);
                        _exit(1);
                }
                sf_error_free(err); /* auto: ptrace then */
                err = NULL;
        }
        if (!the_ebpf &&
            (sf_recorder_new(&ro, &the_recorder, &err) < 0 || sf_recorder_attach(the_recorder, pid, &err) < 0)) {
                sf_buf b = { 0 };
                sf_buf_printf(&b, "error: cannot record the container's process %d: %s", (int)pid,
                              sf_error_message(err));
                /* no lock file outlives a hook that failed */
                unlink(lock);
                report(report_fd, b.oom ? "error: out of memory" : b.s);
                _exit(1);
        }
        struct sigaction sa = { .sa_handler = on_term }; /* no SA_RESTART: wake the wait */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        report(report_fd, "ok");
        close(report_fd);

        int status = 0;
        int wr = the_ebpf ? sf_ebpf_recorder_wait(the_ebpf, &status, &err)
                          : sf_recorder_wait(the_recorder, &status, &err);
        const sf_record *record = the_ebpf ? sf_ebpf_recorder_record(the_ebpf) : sf_recorder_record(the_recorder);
        sf_buf log = { 0 };
        _cleanup_free_ char *text = NULL;
        int r = wr;
        bool started = r >= 0 && executed(record);
        if (r < 0)
                sf_error_wrap(&err, "recording process %d", (int)pid);
        else if (!started)
                r = sf_error_set(&err, ESRCH, "the container's process %d ended before it executed the workload: no profile written for %s",
                                 (int)pid, t->output);
        else if ((r = make_profile(record, o, t, baseline, &text, &log, &err)) < 0)
                sf_error_wrap(&err, "the profile for %s", t->output);
        if (r == 0)
                r = sf_write_file_atomic(t->output, text, strlen(text), 0644, &err);
        sf_buf out = { 0 };
        if (r == 0)
                sf_buf_printf(&out, "ok\n%s", log.s ? log.s : "");
        else
                sf_buf_printf(&out, "error\n%s%s\n", log.s ? log.s : "", sf_error_message(err));
        set_state(lock_fd, out.oom ? "error\nout of memory\n" : out.s);
        sf_buf_release(&out);
        sf_buf_release(&log);
        sf_error_free(err);
        sf_recorder_free(the_recorder);
        the_recorder = NULL;
        sf_ebpf_recorder_free(the_ebpf);
        the_ebpf = NULL;
        sf_profile_free(baseline);
        /* A container that never started may see no poststop: leave no lock file
         * (a poststop already waiting still reads why). */
        if (!started)
                unlink(lock);
        close(lock_fd); /* unlocks: poststop may go on */
        _exit(r == 0 ? 0 : 1);
}

/* Starts the daemon and waits for its word.  0 or EXIT_INVALID (printed). */
static int start_recorder(const hook_state *s, const hook_opts *o, const trace_spec *t, sf_profile *baseline)
{
        int r = mkdir_p(o->state_dir);
        if (r < 0) {
                cli_error("oci-hook", "cannot create the state directory %s: %s", o->state_dir, strerror(-r));
                return EXIT_INVALID;
        }
        _cleanup_free_ char *lock = lock_path(o, s->id);
        if (!lock) {
                cli_error("oci-hook", "out of memory");
                return EXIT_INVALID;
        }
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                cli_error("oci-hook", "cannot create a pipe: %s", strerror(errno));
                return EXIT_INVALID;
        }
        if (p[1] <= STDERR_FILENO) {
                /* the daemon puts /dev/null on 0-2: the pipe must lie above them */
                int moved = fcntl(p[1], F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
                close(p[1]);
                if (moved < 0) {
                        cli_error("oci-hook", "cannot create a pipe: %s", strerror(errno));
                        close(p[0]);
                        return EXIT_INVALID;
                }
                p[1] = moved;
        }
        fflush(stdout);
        fflush(stderr);
        pid_t mid = fork();
        if (mid < 0) {
                cli_error("oci-hook", "cannot fork: %s", strerror(errno));
                close(p[0]);
                close(p[1]);
                return EXIT_INVALID;
        }
        if (mid == 0) {
                /* a session of its own, and a grandchild: no terminal, no parent waiting on it */
                close(p[0]);
                if (setsid() < 0)
                        _exit(1);
                pid_t d = fork();
                if (d < 0)
                        _exit(1);
                if (d > 0)
                        _exit(0);
                recorder_main(p[1], (pid_t)s->pid, o, t, baseline, lock);
        }
        close(p[1]);
        int st;
        while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
                ;
        /* the word, or EOF when the daemon died first */
        char buf[MAX_REPORT];
        size_t len = 0;
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
                if (spent >= ATTACH_TIMEOUT_MS) {
                        cli_error("oci-hook", "the recorder did not attach to process %ld within %d s", s->pid,
                                  ATTACH_TIMEOUT_MS / 1000);
                        close(p[0]);
                        return EXIT_INVALID;
                }
                struct pollfd pfd = { .fd = p[0], .events = POLLIN };
                int pr = poll(&pfd, 1, (int)(ATTACH_TIMEOUT_MS - spent));
                if (pr < 0 && errno == EINTR)
                        continue;
                if (pr <= 0)
                        continue;
                ssize_t n = read(p[0], buf + len, sizeof(buf) - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
                if (len == sizeof(buf) - 1 || memchr(buf, '\n', len))
                        break;
        }
        close(p[0]);
        buf[len] = '\0';
        char *nl = strchr(buf, '\n');
        if (nl)
                *nl = '\0';
        if (strcmp(buf, "ok") == 0)
                return 0;
        if (strncmp(buf, "error: ", 7) == 0)
                cli_error("oci-hook", "container %s: %s", s->id, buf + 7);
        else
                cli_error("oci-hook", "container %s: the recorder ended before it attached to process %ld", s->id,
                          s->pid);
        return EXIT_INVALID;
}

/* The runtime whose init process pid is, by its name: runc's is "runc:[2:INIT]";
 * crun's child keeps crun's.  "none" when neither. */
static const char *runtime_of(pid_t pid)
{
        char file[64];
        snprintf(file, sizeof(file), "/proc/%d/comm", (int)pid);
        _cleanup_free_ char *comm = NULL;
        size_t len;
        if (sf_read_file(file, 64, &comm, &len, NULL) < 0)
                return "none";
        if (strncmp(comm, "runc", 4) == 0)
                return "runc";
        if (strstr(comm, "crun"))
                return "crun";
        return "none";
}

/* The baseline in the plain form the recorded profile merges with: archMap and
 * includes/excludes resolved for this node and the container's bounding
 * capabilities (from the bundle's config.json; the default set without it), as
 * the runtime resolves them.  A trial merge now, so that a baseline that cannot
 * merge stops the container instead of losing the recording at the end. */
static int prepare_baseline(hook_state *s, const hook_opts *o, const char *file, sf_profile **baseline)
{
        sf_target tg;
        sf_target_default(&tg);
        const sf_node *bounding = sf_node_get(sf_node_get(sf_node_get(bundle_config(s), "process"), "capabilities"),
                                              "bounding");
        if (bounding && bounding->kind == SF_NODE_ARR) {
                tg.caps = 0;
                for (size_t i = 0; i < bounding->arr.n; i++) {
                        const sf_node *c = bounding->arr.v[i];
                        int cap = c->kind == SF_NODE_STR ? sf_cap_from_name(c->str.s) : -1;
                        if (cap >= 0)
                                tg.caps |= UINT64_C(1) << cap;
                }
        }
        sf_error *err = NULL;
        sf_profile *resolved = NULL;
        if (sf_profile_resolve(*baseline, &tg, &resolved, &err) < 0) {
                cli_error("oci-hook", "annotation " ANNOTATION ": if:%s: %s", file, sf_error_message(err));
                sf_error_free(err);
                return EXIT_INVALID;
        }
        sf_profile_free(*baseline);
        *baseline = resolved;
        sf_action def = { .kind = o->so.default_action };
        if (def.kind == SF_ACT_ERRNO)
                def.data = o->so.default_errno ? o->so.default_errno : EPERM;
        sf_merge_opts mo = { .default_action = &def, .target = &tg, .name = file };
        sf_profile *trial = NULL;
        sf_diags d = { 0 };
        int r = sf_profile_merge(baseline, 1, &mo, &trial, &d, &err);
        sf_diags_release(&d);
        sf_profile_free(trial);
        if (r < 0) {
                cli_error("oci-hook", "annotation " ANNOTATION ": if:%s cannot be merged: %s", file,
                          sf_error_message(err));
                sf_error_free(err);
                return EXIT_INVALID;
        }
        return 0;
}

static int stage_start(hook_state *s, const hook_opts *o)
{
        if (!s->annotation)
                return EXIT_OK; /* not asked to record this container */
        trace_spec t = { 0 };
        int r = parse_annotation(s->annotation, &t);
        if (r == 0)
                r = check_output(t.output);
        if (r == 0 && s->pid <= 0) {
                cli_error("oci-hook", "the container state has no \"pid\": the hook runs at prestart or createRuntime");
                r = EXIT_INVALID;
        }
        if (r == 0 && s->pid == getpid()) {
                cli_error("oci-hook", "the container state's pid %ld is the hook itself", s->pid);
                r = EXIT_INVALID;
        }
        sf_profile *baseline = NULL;
        if (r == 0 && t.input) {
                struct stat st;
                if (stat(t.input, &st) < 0 || access(t.input, R_OK) < 0) {
                        cli_error("oci-hook", "annotation " ANNOTATION ": if:%s: cannot read the profile: %s", t.input,
                                  strerror(errno));
                        r = EXIT_INVALID;
                } else if ((r = cli_load_one("oci-hook", t.input, NULL, &baseline)) != 0)
                        cli_error("oci-hook", "annotation " ANNOTATION ": if:%s is not a usable profile", t.input);
                else
                        r = prepare_baseline(s, o, t.input, &baseline);
        }
        hook_opts ro = *o;
        if (r == 0 && strcmp(ro.so.base, "auto") == 0)
                ro.so.base = runtime_of((pid_t)s->pid);
        if (r == 0)
                r = start_recorder(s, &ro, &t, baseline);
        sf_profile_free(baseline);
        trace_spec_release(&t);
        return r;
}

static int stage_poststop(const hook_state *s, const hook_opts *o)
{
        _cleanup_free_ char *lock = lock_path(o, s->id);
        if (!lock) {
                cli_error("oci-hook", "out of memory");
                return EXIT_INVALID;
        }
        _cleanup_close_ int fd = open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                if (errno == ENOENT)
                        return EXIT_OK; /* no recorder for this container (or poststop ran already) */
                cli_error("oci-hook", "container %s: cannot open %s: %s", s->id, lock, strerror(errno));
                return EXIT_INVALID;
        }
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK && errno != EINTR) {
                        cli_error("oci-hook", "container %s: cannot lock %s: %s", s->id, lock, strerror(errno));
                        return EXIT_INVALID;
                }
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - start.tv_sec >= (time_t)o->timeout) {
                        cli_error("oci-hook",
                                  "container %s: the recorder has not written its profile after %u s; it will when the container's processes are gone (%s)",
                                  s->id, o->timeout, lock);
                        return EXIT_INVALID;
                }
                struct timespec nap = { 0, 20 * 1000 * 1000 };
                nanosleep(&nap, NULL);
        }
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        sf_buf path = { 0 };
        sf_buf_printf(&path, "/proc/self/fd/%d", fd);
        if (!path.oom)
                sf_read_file(path.s, MAX_REPORT * 16, &text, &len, NULL);
        sf_buf_release(&path);
        unlink(lock);
        if (text && strncmp(text, "ok\n", 3) == 0) {
                if (text[3])
                        fputs(text + 3, stderr);
                return EXIT_OK;
        }
        if (text && strncmp(text, "error\n", 6) == 0) {
                cli_error("oci-hook", "container %s: the recording failed:", s->id);
                fputs(text + 6, stderr);
        } else
                cli_error("oci-hook", "container %s: the recorder ended without writing its profile", s->id);
        return EXIT_INVALID;
}

int cmd_oci_hook(int argc, char **argv)
{
        static const struct option opts[] = {
                { "default-action", required_argument, NULL, 'd' }, { "base", required_argument, NULL, 'b' },
                { "state-dir", required_argument, NULL, 's' },      { "timeout", required_argument, NULL, 't' },
                { "backend", required_argument, NULL, 'B' },
                { "help", no_argument, NULL, 'h' },                 { 0 },
        };
        hook_opts o = {
                .so = { .default_action = SF_ACT_ERRNO, .default_errno = EPERM, .format = SF_FORMAT_DOCKER,
                        .base = "auto" },
                .backend = "auto",
                .state_dir = STATE_DIR,
                .timeout = 30,
        };
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (c) {
                case 'd':
                        if (strcmp(optarg, "errno") == 0)
                                o.so.default_action = SF_ACT_ERRNO;
                        else if (strcmp(optarg, "kill") == 0)
                                o.so.default_action = SF_ACT_KILL_PROCESS;
                        else if (strcmp(optarg, "log") == 0)
                                o.so.default_action = SF_ACT_LOG;
                        else
                                return cli_usage_error("oci-hook", "--default-action: \"%s\" is not errno, kill or log",
                                                       optarg);
                        break;
                case 'b':
                        if (strcmp(optarg, "none") != 0 && strcmp(optarg, "auto") != 0 && !sf_record_base(optarg))
                                return cli_usage_error("oci-hook", "--base: \"%s\" is not auto, none, runc or crun",
                                                       optarg);
                        o.so.base = optarg;
                        break;
                case 'B':
                        if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "ebpf") != 0 && strcmp(optarg, "ptrace") != 0)
                                return cli_usage_error("oci-hook", "--backend: \"%s\" is not auto, ebpf or ptrace", optarg);
                        if (strcmp(optarg, "ebpf") == 0 && !sf_ebpf_recorder_supported())
                                return cli_usage_error("oci-hook", "--backend ebpf: this sysfence was built without the eBPF recorder");
                        o.backend = optarg;
                        break;
                case 's':
                        if (optarg[0] != '/')
                                return cli_usage_error("oci-hook", "--state-dir: \"%s\" is not an absolute path", optarg);
                        o.state_dir = optarg;
                        break;
                case 't': {
                        uint64_t v;
                        if (sf_parse_u64(optarg, 10, &v) < 0 || v > 3600)
                                return cli_usage_error("oci-hook", "--timeout: \"%s\" is not a number of seconds (0 to 3600)",
                                                       optarg);
                        o.timeout = (unsigned)v;
                        break;
                }
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error("oci-hook", "invalid option");
                }
        }
        if (argc - optind > 1)
                return cli_usage_error("oci-hook", "give one stage (prestart, createRuntime or poststop)");
        const char *stage = optind < argc ? argv[optind] : NULL;
        if (stage && strcmp(stage, "prestart") != 0 && strcmp(stage, "createRuntime") != 0 &&
            strcmp(stage, "poststop") != 0)
                return cli_usage_error("oci-hook", "unknown stage \"%s\" (prestart, createRuntime or poststop)", stage);

        hook_state s = { 0 };
        int r = read_state(&s);
        if (r == 0 && !stage) {
                /* the stage from the status: a container that has stopped is at poststop */
                if (!s.status) {
                        cli_error("oci-hook", "the container state has no \"status\"; give the stage (prestart or poststop)");
                        r = EXIT_INVALID;
                } else
                        stage = strcmp(s.status, "stopped") == 0 ? "poststop" : "prestart";
        }
        if (r == 0 && !s.annotation && strcmp(stage, "poststop") != 0)
                fprintf(stderr, "%s oci-hook: container %s has no " ANNOTATION " annotation: nothing to record\n",
                        cli_prog, s.id);
        if (r == 0)
                r = strcmp(stage, "poststop") == 0 ? stage_poststop(&s, &o) : stage_start(&s, &o);
        hook_state_release(&s);
        return r;
}
