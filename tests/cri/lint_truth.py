#!/usr/bin/python3
"""Did the node do what `sysfence k8s lint` said it would?  (tests/cri/README)

    lint_truth.py LINT.json POD.json...

LINT.json is `sysfence k8s lint --json` over the manifests; each POD.json is
what `cri.py pod` printed for one of them (run on the node, as the kubelet
would).  For every container lint listed, its verdict is read from lint's
findings and compared with the node:

  lint: runtime-needs names the container -> StartContainer fails, exit 128,
        reason StartError
  lint: profile-missing for its profile   -> CreateContainer fails with
        containerd's 'cannot load seccomp profile "...": open ...: no such
        file or directory'
  lint: profile-invalid for its profile   -> CreateContainer fails
  lint: none of these                     -> it starts; while it runs, its
        process has no filter (Seccomp: 0) where lint says Unconfined, and
        one (Seccomp: 2) otherwise

One line per container, "ok FILE CONTAINER: ..." or "WRONG FILE CONTAINER:
..."; exit 0 only if every container was found on the node and none is wrong.
"""
import json
import os
import sys


def seccomp_mode(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Seccomp:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def verdict(lint_file, c):
    name = c["container"]
    lp = c.get("localhostProfile")
    for f in lint_file["findings"]:
        if f["id"] == "runtime-needs" and ('container "%s"' % name) in f["message"]:
            return "start-error", f["message"]
    for f in lint_file["findings"]:
        if lp and f["id"] in ("profile-missing", "profile-invalid") and ('profile "%s"' % lp) in f["message"]:
            return "create-error" if f["id"] == "profile-invalid" else "missing", f["message"]
    return "starts", c["type"]


def check(want, why, lint_c, node_c):
    st = node_c
    if want == "missing":
        err = st.get("create_error", "")
        if "cannot load seccomp profile" in err and "no such file or directory" in err:
            return True, "CreateContainer failed as lint said (%s): %s" % (why, err)
        return False, "lint said %r, but CreateContainer %s" % (why, repr(err) if err else "succeeded")
    if want == "create-error":
        err = st.get("create_error", "")
        return bool(err), "lint said %r; CreateContainer: %s" % (why, err or "succeeded")
    if want == "start-error":
        if st.get("created") and not st.get("started") and st.get("exit_code") == 128 and st.get("reason") == "StartError":
            return True, "StartContainer failed (exit 128, StartError) as lint said: %s" % why
        return False, "lint said %r, but the node: created %s, started %s, exit %s, reason %r, error %r" % (
            why, st.get("created"), st.get("started"), st.get("exit_code"), st.get("reason"),
            st.get("start_error") or st.get("create_error"))
    # starts
    if not st.get("started") or st.get("reason") == "StartError":
        return False, "lint said it starts (%s), but: %s" % (why, st.get("create_error") or st.get("start_error")
                                                               or st.get("message") or st.get("reason"))
    if st.get("state") == "RUNNING" and st.get("pid"):
        mode = seccomp_mode(st["pid"])
        expect = 0 if why == "Unconfined" else 2
        if mode != expect:
            return False, "lint said %s, but its process %d has Seccomp: %s" % (why, st["pid"], mode)
        return True, "started, %s (Seccomp: %d in /proc/%d/status)" % (why, mode, st["pid"])
    return True, "started, %s (it has exited, exit %s)" % (why, st.get("exit_code"))


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    with open(argv[0]) as f:
        lint = json.load(f)
    pods = []
    for p in argv[1:]:
        with open(p) as f:
            pods.append(json.load(f))
    bad = 0
    for lf in lint["files"]:
        pod = next((p for p in pods if os.path.samefile(p["file"], lf["file"])), None)
        for c in lf["containers"]:
            want, why = verdict(lf, c)
            node_c = pod and next((x for x in pod["containers"] if x["name"] == c["container"]), None)
            if not node_c:
                ok, msg = False, "not run on the node"
            else:
                ok, msg = check(want, why, c, node_c)
            bad += not ok
            print("%s %s %s: %s" % ("ok" if ok else "WRONG", os.path.basename(lf["file"]), c["container"], msg))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
