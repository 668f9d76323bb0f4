#!/bin/sh
# sysfence k8s lint: the real manifests of the Kubernetes seccomp tutorial, with
# its profiles installed as the tutorial installs them (under
# <kubelet-root>/seccomp/profiles/) and without them, and tests/data/k8s/
# for every finding and every workload kind.
. "$(dirname "$0")/lib.sh"

REAL=$MANIFESTS
K8S=$SF_SOURCE/tests/data/k8s
for _p in "$REAL/k8s-website-fine-pod.yaml" "$SEED/fine-grained.json" "$K8S/findings.yaml"; do
        if [ ! -e "$_p" ]; then
                echo "1..1"
                echo "not ok 1 - $_p exists"
                exit 1
        fi
done

# The node as the tutorial leaves it, an empty node, and a profiles directory
# with the tutorial's profiles and the test's own.
ROOT=$SCRATCH/kubelet
mkdir -p "$ROOT/seccomp/profiles" "$SCRATCH/empty" "$SCRATCH/profiles"
cp "$SEED"/*.json "$ROOT/seccomp/profiles/"
cp "$SEED"/*.json "$K8S"/profiles/* "$SCRATCH/profiles/"

plan 30

# has_finding FILE LINE COL PATH SEVERITY TEXT: stderr has that finding.
has_finding()
{
        grep -qF -e "$1:$2:$3: $4: $5: " "$ERR" || { fail "no $5 at $1:$2:$3: $4"; show_output; return; }
        grep -F -e "$1:$2:$3: $4: $5: " "$ERR" | grep -qF -e "$6" || { fail "$1:$2:$3: $5 does not say: $6"; show_output; }
}

count()
{
        grep -cF -e "$1" "$2"
}

cd "$REAL" || exit 1

# --- the tutorial's manifests -----------------------------------------------------------

sf k8s lint --kubelet-root "$ROOT" k8s-website-audit-pod.yaml
expect_rc 0
has_finding k8s-website-audit-pod.yaml 11 25 spec.securityContext.seccompProfile.localhostProfile warning \
        'profile "profiles/audit.json" has defaultAction SCMP_ACT_LOG'
expect_err "sysfence audit"
expect_out 'Pod/audit-pod: container "test-container": Localhost "profiles/audit.json" (pod securityContext)'
expect_no_sanitizer
done_test "tutorial audit-pod: the profile only logs (SCMP_ACT_LOG), a warning, exit 0"

sf k8s lint --kubelet-root "$ROOT" k8s-website-fine-pod.yaml
expect_rc 0
[ -s "$ERR" ] && { fail "findings on the fine-grained pod"; show_output; }
expect_out 'k8s-website-fine-pod.yaml: 1 container, 0 errors, 0 warnings, 0 infos'
expect_out 'Localhost "profiles/fine-grained.json" (pod securityContext)'
done_test "tutorial fine-pod: fine-grained.json allows what runc needs with allowPrivilegeEscalation: false, no findings"

sf k8s lint --kubelet-root "$ROOT" --runtime crun k8s-website-fine-pod.yaml
expect_rc 0
[ -s "$ERR" ] && { fail "findings on the fine-grained pod under crun"; show_output; }
done_test "tutorial fine-pod under crun: no findings"

sf k8s lint --kubelet-root "$ROOT" k8s-website-default-pod.yaml
expect_rc 0
[ -s "$ERR" ] && { fail "findings on the RuntimeDefault pod"; show_output; }
expect_out 'Pod/default-pod: container "test-container": RuntimeDefault (pod securityContext)'
done_test "tutorial default-pod: RuntimeDefault, no findings"

sf k8s lint --kubelet-root "$ROOT" k8s-website-alpha-fine-pod.yaml
expect_rc 1
has_finding k8s-website-alpha-fine-pod.yaml 11 7 \
        'metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]' warning \
        'deprecated annotation "seccomp.security.alpha.kubernetes.io/pod": it confines nothing'
has_finding k8s-website-alpha-fine-pod.yaml 11 49 \
        'metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]' error \
        'container "test-container" runs Unconfined: its only seccomp setting is a deprecated annotation'
expect_err 'localhostProfile: profiles/fine-grained.json}'
expect_out 'Unconfined (the alpha annotation is ignored)'
[ "$(count ': warning: ' "$ERR")" -eq 1 ] || { fail "expected exactly one warning"; show_output; }
sf k8s lint --seccomp-default --kubelet-root "$ROOT" k8s-website-alpha-fine-pod.yaml
expect_rc 1
expect_out 'RuntimeDefault (kubelet --seccomp-default)'
done_test "tutorial alpha pod (flow-style YAML): unconfined, exit 1; the deprecated annotation, its field as the hint"

sf k8s lint --kubelet-root "$SCRATCH/empty" k8s-website-audit-pod.yaml k8s-website-fine-pod.yaml \
        k8s-website-alpha-fine-pod.yaml k8s-website-default-pod.yaml
expect_rc 1
has_finding k8s-website-audit-pod.yaml 11 25 spec.securityContext.seccompProfile.localhostProfile error \
        "profile \"profiles/audit.json\" is not installed on the node: $SCRATCH/empty/seccomp/profiles/audit.json does not exist"
has_finding k8s-website-fine-pod.yaml 11 25 spec.securityContext.seccompProfile.localhostProfile error \
        'profile "profiles/fine-grained.json" is not installed'
has_finding k8s-website-alpha-fine-pod.yaml 11 49 \
        'metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]' error 'runs Unconfined'
expect_err "CreateContainerError"
[ "$(count ': error: ' "$ERR")" -eq 3 ] || { fail "expected 3 errors"; show_output; }
expect_out 'k8s-website-default-pod.yaml: 1 container, 0 errors, 0 warnings, 0 infos'
done_test "tutorial manifests on an empty node: each Localhost profile missing (CreateContainerError), exit 1"

# Every real manifest there is, whatever its name: linted without a crash, JSON
# well-formed, every container accounted for.
for f in "$REAL"/*.yaml "$REAL"/*.json; do
        [ -f "$f" ] || continue
        sf k8s lint --json --kubelet-root "$ROOT" "$f"
        [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || { fail "$f: exit $rc"; show_output; }
        json_ok "$OUT" || { fail "$f: --json output is not JSON"; show_output; }
        n=$(json_get "$OUT" 'len(d["files"][0]["containers"])')
        [ "${n:-0}" -ge 1 ] || fail "$f: no container found"
        expect_no_sanitizer
done
done_test "every file in manifests/real: linted, JSON well-formed, containers found"

# The tutorial's violation pod: fine-pod with violation.json.
sed 's/fine-grained.json/violation.json/; s/fine-pod/violation-pod/' k8s-website-fine-pod.yaml >"$SCRATCH/violation-pod.yaml"
cd "$SCRATCH" || exit 1
sf k8s lint --kubelet-root "$ROOT" violation-pod.yaml
cd "$REAL" || exit 1
expect_rc 1
has_finding violation-pod.yaml 11 25 spec.securityContext.seccompProfile.localhostProfile error \
        'container "test-container" would not start: runc makes close, execve, futex, getpid, openat, write'
expect_err "SCMP_ACT_ERRNO"
expect_err "$ROOT/seccomp/profiles/violation.json:2:22: defaultAction: warning: execve is not allowed"
done_test "tutorial violation pod: violation.json denies what runc needs after loading it, an error"

# --- every finding ------------------------------------------------------------------------

cd "$K8S" || exit 1

sf k8s lint --kubelet-root "$ROOT" findings.yaml
expect_rc 1
has_finding findings.yaml 12 13 spec.securityContext.seccompProfile.type warning \
        'container "inherits" runs Unconfined (set by the pod securityContext)'
has_finding findings.yaml 30 19 'spec.containers[2].securityContext.privileged' warning \
        'container "privileged" is privileged: it runs Unconfined whatever its seccomp profile says'
has_finding findings.yaml 37 9 'spec.containers[3].securityContext.seccompProfile' error \
        'type Localhost without localhostProfile'
has_finding findings.yaml 43 27 'spec.containers[4].securityContext.seccompProfile.localhostProfile' error \
        'is an absolute path'
has_finding findings.yaml 49 27 'spec.containers[5].securityContext.seccompProfile.localhostProfile' error \
        'is a path with ".."'
has_finding findings.yaml 55 27 'spec.containers[6].securityContext.seccompProfile.localhostProfile' error \
        'profile "profiles/missing.json" is not installed on the node'
has_finding findings.yaml 60 15 'spec.containers[7].securityContext.seccompProfile.type' error \
        'unknown seccompProfile type "Default"'
has_finding findings.yaml 66 27 'spec.containers[8].securityContext.seccompProfile.localhostProfile' error \
        'localhostProfile is set but type is RuntimeDefault'
has_finding findings.yaml 8 5 'metadata.annotations["container.seccomp.security.alpha.kubernetes.io/ghost"]' warning \
        'the annotation names container "ghost", which Pod "findings" does not have'
has_finding findings.yaml 7 5 'metadata.annotations["container.seccomp.security.alpha.kubernetes.io/legacy"]' \
        warning 'deprecated annotation'
[ "$(count ': error: ' "$ERR")" -eq 7 ] || { fail "expected 7 errors"; show_output; }
expect_out 'findings.yaml: 12 containers, 7 errors, 7 warnings, 0 infos'
expect_no_sanitizer
done_test "findings.yaml: unconfined, privileged, Localhost without path, absolute and .. paths, missing, bad type, path without Localhost, annotations"

expect_out 'findings.yaml:22:5: Pod/findings: container "overrides": RuntimeDefault (container securityContext)'
expect_out 'findings.yaml:20:5: Pod/findings: container "inherits": Unconfined (pod securityContext)'
grep -qF '"overrides" runs Unconfined' "$ERR" && fail "the container's RuntimeDefault did not override the pod's Unconfined"
# the alpha annotation confines nothing: the pod's Unconfined applies
expect_out 'container "legacy": Unconfined (pod securityContext)'
done_test "a container's seccompProfile overrides the pod's; its alpha annotation does not"

expect_out 'findings.yaml:14:5: Pod/findings: init container "init": RuntimeDefault (container securityContext)'
expect_out 'findings.yaml:70:5: Pod/findings: ephemeral container "debugger": Localhost "profiles/violation.json"'
has_finding findings.yaml 75 27 'spec.ephemeralContainers[0].securityContext.seccompProfile.localhostProfile' error \
        'container "debugger" would not start: runc makes capget, capset'
done_test "init and ephemeral containers are linted (the debugger's violation.json: full runc set without no_new_privs)"

sf k8s lint workloads.yaml
expect_rc 0
for spec in 15:9:spec.template.spec.containers 31:9:spec.template.spec.containers \
        46:9:spec.template.spec.containers 61:9:spec.template.spec.containers \
        74:9:spec.template.spec.containers 86:9:spec.template.spec.containers \
        101:13:spec.jobTemplate.spec.template.spec.containers 113:7:template.spec.containers; do
        l=${spec%%:*}; rest=${spec#*:}; c=${rest%%:*}; p=${rest#*:}
        has_finding workloads.yaml "$l" "$c" "$p[0]" warning 'runs Unconfined: neither it nor the pod has a seccomp profile'
done
for k in Deployment/deploy StatefulSet/sts DaemonSet/ds ReplicaSet/rs ReplicationController/rc Job/job CronJob/cron \
        PodTemplate/tmpl; do
        expect_out "$k: container"
done
has_finding workloads.yaml 117 7 kind info 'kind "Service" has no pod spec: skipped'
has_finding workloads.yaml 132 11 spec.os.name info 'runs on Windows'
expect_out 'workloads.yaml: 8 containers, 0 errors, 8 warnings, 2 infos'
done_test "every workload kind's pod template path; unknown kinds and Windows pods are info; warnings alone exit 0"

sf k8s lint --seccomp-default workloads.yaml
expect_rc 0
has_finding workloads.yaml 15 9 'spec.template.spec.containers[0]' warning \
        'container "web" has no seccomp profile: it gets RuntimeDefault only from the kubelet'"'"'s --seccomp-default'
grep -qF 'runs Unconfined: neither' "$ERR" && fail "--seccomp-default still says Unconfined"
expect_out 'Deployment/deploy: container "web": RuntimeDefault (kubelet --seccomp-default)'
done_test "--seccomp-default: no profile means RuntimeDefault, warned differently"

sf k8s lint list.json
expect_rc 0
has_finding list.json 29 70 'items[1].items[0].spec.template.spec.containers[0].securityContext.seccompProfile.type' \
        warning 'container "unconfined" runs Unconfined'
expect_out 'list.json:11:25: Pod/listed-pod: container "ok": RuntimeDefault (pod securityContext)'
done_test "a JSON List holding a Pod and a nested DeploymentList"

sf k8s lint bad.yaml
expect_rc 1
expect_err_re '^bad\.yaml:9:1: error: yaml syntax: ' "the YAML error's line:col"
sf k8s lint bad.json
expect_rc 1
expect_err_re '^bad\.json:5:27: error: expected a value' "the JSON error's line:col"
done_test "bad YAML and bad JSON: an error with line:col, exit 1"

sf k8s lint --profiles-dir "$SCRATCH/profiles" runtime.yaml
expect_rc 1
[ "$(grep -c 'runtime.yaml:[0-9]*:[0-9]*: .*: ' "$ERR")" -eq 5 ] || { fail "expected 5 findings on runtime.yaml"; show_output; }
has_finding runtime.yaml 26 25 spec.securityContext.seccompProfile.localhostProfile error \
        'container "app" would not start: runc makes capget, capset, chdir, faccessat2, fstat, getcwd, getppid, newfstatat, prctl, setgid, setgroups, setuid after it loads the filter'
expect_err "set allowPrivilegeEscalation: false so that runc loads the filter later"
has_finding runtime.yaml 43 27 'spec.containers[0].securityContext.seccompProfile.localhostProfile' error \
        'runc makes close, execve, futex, getpid, openat, write after it loads the filter (late, as allowPrivilegeEscalation is false)'
has_finding runtime.yaml 66 25 spec.securityContext.seccompProfile.localhostProfile error \
        'profile "broken.json" is invalid'
expect_err "$SCRATCH/profiles/broken.json:4:49: syscalls[0].action: error: unknown action \"SCMP_ACT_ALOW\""
[ "$(count 'profile "broken.json" is invalid' "$ERR")" -eq 1 ] || fail "an invalid profile used by two containers is reported once"
has_finding runtime.yaml 81 25 spec.securityContext.seccompProfile.localhostProfile error 'profile "spo.yaml" is invalid'
expect_err 'a SeccompProfile object is not a file the runtime can read'
has_finding runtime.yaml 94 25 spec.securityContext.seccompProfile.localhostProfile warning 'SCMP_ACT_LOG'
grep -qE '^runtime\.yaml:(1[0-9]|5[0-9]):' "$ERR" && fail "findings on the pods whose profile suits runc"
done_test "Localhost profiles judged by what runc needs, with and without no_new_privs; invalid, SPO YAML, audit"

sf k8s lint --profiles-dir "$SCRATCH/profiles" --runtime crun runtime.yaml
expect_rc 1
has_finding runtime.yaml 26 25 spec.securityContext.seccompProfile.localhostProfile error \
        'crun makes capset, prctl, setresgid, setresuid after it loads the filter'
has_finding runtime.yaml 43 27 'spec.containers[0].securityContext.seccompProfile.localhostProfile' error \
        'crun makes close, execve, rt_sigaction, rt_sigprocmask, write after it loads the filter (late'
done_test "--runtime crun: crun's needs"

sf k8s lint --profiles-dir "$SCRATCH/profiles" --arch arm64 runtime.yaml
expect_rc 1
has_finding runtime.yaml 26 25 spec.securityContext.seccompProfile.localhostProfile error \
        'runc makes capget, capset, chdir, faccessat2, fstat, getcwd, getppid, newfstatat, prctl, setgid, setgroups, setuid after'
grep -qE '^runtime\.yaml:(1[0-9]|5[0-9]):' "$ERR" && fail "findings on the pods whose profile suits runc on arm64"
expect_no_sanitizer
done_test "--arch arm64: profiles compiled for an arm64 node (fine-grained.json names x86 arches only, as runc adds the native one)"

sf k8s lint --kubelet-root "$ROOT" annotations.yaml
expect_rc 1
has_finding annotations.yaml 8 47 'metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]' error \
        'container "app" runs Unconfined: its only seccomp setting is a deprecated annotation'
has_finding annotations.yaml 27 51 'spec.template.metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]' \
        error 'the deprecated annotation says Unconfined but seccompProfile says RuntimeDefault'
has_finding annotations.yaml 28 61 \
        'spec.template.metadata.annotations["container.seccomp.security.alpha.kubernetes.io/app"]' error \
        'unknown seccomp annotation value "not-a-profile"'
done_test "annotations: one alone leaves the pod unconfined (an error), one that disagrees with the field, a bad value"

sf k8s lint --kubelet-root "$ROOT" clean.yaml
expect_rc 0
[ -s "$ERR" ] && { fail "findings on clean.yaml"; show_output; }
expect_out 'clean.yaml: 2 containers, 0 errors, 0 warnings, 0 infos'
done_test "clean.yaml: no findings, exit 0"

sf k8s lint --kubelet-root "$ROOT" --profiles-dir "$SCRATCH/empty" clean.yaml
expect_rc 1
has_finding clean.yaml 27 31 'spec.template.spec.containers[0].securityContext.seccompProfile.localhostProfile' error \
        "is not in the profiles directory: $SCRATCH/empty/profiles/fine-grained.json does not exist"
mkdir -p "$SCRATCH/dirs/profiles/fine-grained.json"
sf k8s lint --profiles-dir "$SCRATCH/dirs" clean.yaml
expect_rc 1
expect_err "$SCRATCH/dirs/profiles/fine-grained.json is not a regular file"
done_test "--profiles-dir is checked as well as --kubelet-root; a directory is not a profile"

# --- output --------------------------------------------------------------------------------

all="findings.yaml workloads.yaml list.json runtime.yaml annotations.yaml clean.yaml bad.yaml bad.json"
sf k8s lint --json --profiles-dir "$SCRATCH/profiles" $all
expect_rc 1
cp "$OUT" "$SCRATCH/lint.json"
json_ok "$OUT" || { fail "--json output is not JSON"; show_output; }
[ -s "$ERR" ] && { fail "--json wrote to stderr"; show_output; }
v=$(json_get "$OUT" 'len(d["files"]), sum(len(f["findings"]) for f in d["files"]) == d["errors"] + d["warnings"] + d["infos"], sorted({g["severity"] for f in d["files"] for g in f["findings"]})')
[ "$v" = "(8, True, ['error', 'info', 'warning'])" ] || fail "JSON files/findings/severities: $v"
v=$(json_get "$OUT" '[(f["file"], f["documents"], len(f["containers"])) for f in d["files"]][1]')
[ "$v" = "('workloads.yaml', 10, 8)" ] || fail "workloads.yaml in JSON: $v"
v=$(json_get "$OUT" '[c for c in d["files"][0]["containers"] if c["container"] == "debugger"][0]')
[ "$v" = "{'kind': 'Pod', 'name': 'findings', 'list': 'ephemeralContainers', 'container': 'debugger', 'line': 70, 'column': 5, 'type': 'Localhost', 'localhostProfile': 'profiles/violation.json', 'source': 'container securityContext', 'privileged': False}" ] ||
        fail "the debugger container in JSON: $v"
v=$(json_get "$OUT" 'all(set(g) >= {"severity", "id", "file", "path", "line", "column", "message"} for f in d["files"] for g in f["findings"])')
[ "$v" = True ] || fail "a JSON finding lacks a field"
expect_no_sanitizer
done_test "--json: well-formed, every file, container and finding, counts add up"

sf k8s lint --json --profiles-dir "$SCRATCH/profiles" $all
cmp -s "$OUT" "$SCRATCH/lint.json" || fail "two --json runs differ"
sf k8s lint --profiles-dir "$SCRATCH/profiles" $all
cp "$ERR" "$SCRATCH/lint.err"
cp "$OUT" "$SCRATCH/lint.out"
sf k8s lint --profiles-dir "$SCRATCH/profiles" $all
cmp -s "$ERR" "$SCRATCH/lint.err" && cmp -s "$OUT" "$SCRATCH/lint.out" || fail "two runs differ"
# Within a file, findings come in line:col order.
awk -F: '$1 == "findings.yaml" { if ($2 + 0 < last) bad = 1; last = $2 + 0 } END { exit bad }' "$ERR" ||
        fail "findings of findings.yaml are not in line order"
done_test "deterministic: the same bytes twice, findings in line order"

sf_in "$REAL/k8s-website-fine-pod.yaml" k8s lint --kubelet-root "$ROOT" -
expect_rc 0
expect_out '<stdin>: 1 container, 0 errors, 0 warnings, 0 infos'
done_test "- reads standard input"

sf k8s lint -q --kubelet-root "$ROOT" findings.yaml
expect_rc 1
[ -s "$OUT" ] && fail "--quiet printed on stdout"
grep -q ': warning: ' "$ERR" && fail "--quiet printed warnings"
[ "$(count ': error: ' "$ERR")" -eq 7 ] || { fail "--quiet: expected the 7 errors"; show_output; }
done_test "--quiet prints the errors only"

sf k8s lint
expect_rc 2
expect_err "no manifest given"
sf k8s lint --runtime docker findings.yaml
expect_rc 2
expect_err 'is not runc or crun'
sf k8s lint --kubelet-root "$SCRATCH/nowhere" findings.yaml
expect_rc 2
expect_err "is not a directory"
sf k8s lint --bogus findings.yaml
expect_rc 2
sf k8s lint --arch vax findings.yaml
expect_rc 2
expect_err 'unknown architecture "vax"'
done_test "usage errors exit 2"

sf k8s lint "$SCRATCH/does-not-exist.yaml"
expect_rc 1
expect_err "does-not-exist.yaml"
done_test "an unreadable file is an error, exit 1"

sf k8s lint --help
expect_rc 0
expect_out "--kubelet-root DIR"
expect_out "--seccomp-default"
done_test "--help"

# Hostile input: deep nesting, many documents, a list nested in lists.
{
        i=0
        while [ $i -lt 200 ]; do
                printf -- '---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d}\nspec: {containers: [{name: c, image: b}]}\n' $i
                i=$((i + 1))
        done
} >"$SCRATCH/many.yaml"
sf_fast k8s lint -q "$SCRATCH/many.yaml"
expect_rc 0
python3 -c 'import sys
d = {"kind": "List", "items": [{"kind": "Pod"}]}
for i in range(12):
    d = {"kind": "List", "items": [d]}
print(__import__("json").dumps(d))' >"$SCRATCH/deep.json"
sf_fast k8s lint "$SCRATCH/deep.json"
expect_rc 1
expect_err "lists nested more than"
printf '%s' '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' >"$SCRATCH/nest.yaml"
sf_fast k8s lint "$SCRATCH/nest.yaml"
expect_rc 1
expect_no_sanitizer
done_test "hostile input: 200 documents, lists in lists, deep nesting: fast, no crash"

# --profiles-dir takes the layout `k8s manifests --from DIR` reads: the agent
# installs DIR/x.json as sysfence/x.json, so a pod naming sysfence/x.json is found.
mkdir -p "$SCRATCH/flat"
cp "$SEED/audit.json" "$SCRATCH/flat/"
cat >"$SCRATCH/agent-pod.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    seccompProfile: {type: Localhost, localhostProfile: sysfence/audit.json}
  containers: [{name: c, image: b}]
EOF
sf k8s lint --profiles-dir "$SCRATCH/flat" "$SCRATCH/agent-pod.yaml"
expect_rc 0
grep -q profile-missing "$ERR" "$OUT" && fail "sysfence/audit.json not found in the flat directory"
expect_err "SCMP_ACT_LOG"
sf k8s lint "$SCRATCH/agent-pod.yaml"
expect_rc 0
expect_err "note: 1 Localhost profile was not looked up (give --kubelet-root DIR or --profiles-dir DIR"
sf k8s lint --json "$SCRATCH/agent-pod.yaml"
[ "$(json_get "$OUT" 'd["localhost_unchecked"]')" = 1 ] || fail "json: $(head -c 300 "$OUT")"
done_test "--profiles-dir finds sysfence/x.json as x.json (manifests --from's layout); without a directory lint says it did not look"

finish
