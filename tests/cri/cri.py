#!/usr/bin/python3
"""A CRI v1 client that drives a container runtime the way the kubelet does,
for the node tests (tests/cri/README).  Run it with Debian's /usr/bin/python3,
which has python3-grpcio and python3-protobuf.

    cri.py --socket SOCK --state DIR COMMAND ...

  version                      the runtime's name and version (exit 1 if it does not answer)
  wait-ready IMAGE [SECONDS]   until the runtime answers and knows IMAGE
  run-pod NAME [POD OPTIONS]   RunPodSandbox; prints the sandbox id
  create POD NAME [CONTAINER OPTIONS] -- CMD [ARG...]
                               CreateContainer in sandbox POD; prints the id
  start ID                     StartContainer
  status ID                    ContainerStatus (verbose) as JSON: id, name, state,
                               exit_code, reason, message, pid, log_path
  wait ID [SECONDS]            until ID has exited (default 30 s); its status as JSON
  logs ID                      the container's output, from its CRI log file
  stop ID [SECONDS]            StopContainer with that grace period (default 0)
  exec ID [--timeout S] -- CMD [ARG...]
                               ExecSync: the command's output on stdout and
                               stderr, its exit code as this one's
  stop-pod POD / rm-pod POD    StopPodSandbox / RemovePodSandbox (which removes its containers)
  rm-all                       stop and remove every sandbox
  pod FILE [--kubelet-root DIR] [--wait start|exit] [--timeout S]
                               run a Pod manifest (YAML or JSON) as the kubelet
                               would; prints one JSON object (see run_manifest)
  daemonset FILE --kubelet-root DIR [--uid UID] [--seccomp SPEC] [--name NAME] [--image REF]
                               run the pod of the one DaemonSet in FILE as the
                               kubelet would on a node whose kubelet root is DIR
                               (see run_daemonset); prints one JSON object
  probe ID FILE                the readinessProbe of FILE's DaemonSet, run in
                               container ID with ExecSync as the kubelet does;
                               exit 0 when it passes

POD OPTIONS: --namespace NS, --uid UID, --privileged, --seccomp SPEC
CONTAINER OPTIONS: --image REF, --seccomp SPEC, --privileged, --no-new-privs,
  --cap-add CAP, --cap-drop CAP (repeatable)
SPEC: runtime/default, unconfined, or localhost/ABSOLUTE-PATH (the kubelet's
forms; Localhost names the file on the node).

A gRPC error is printed on stderr as "CODE: details" (exit 1); the details
are the runtime's own message, as the kubelet shows it in an event.  The
sandbox configs live in --state DIR, since CreateContainer takes the
sandbox's config again, as the kubelet passes it.
"""
import hashlib
import json
import os
import sys
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "cri.proto")


def load_messages(cache):
    """The message classes of cri.proto: protoc (grpc_tools) writes its
    descriptor set into the cache once; no generated code."""
    # keyed by the proto's bytes: an mtime says nothing of which proto a
    # descriptor was made from (a merge, a checkout, another tree's run)
    with open(PROTO, "rb") as f:
        key = hashlib.sha256(f.read()).hexdigest()[:16]
    pb = os.path.join(cache, "cri-%s.pb" % key)
    if not os.path.exists(pb):
        from grpc_tools import protoc
        os.makedirs(cache, exist_ok=True)
        tmp = "%s.%d" % (pb, os.getpid())
        if protoc.main(["protoc", "-I" + HERE, "--descriptor_set_out=" + tmp, PROTO]) != 0:
            sys.exit("cri.py: protoc could not read " + PROTO)
        os.replace(tmp, pb)
    fds = descriptor_pb2.FileDescriptorSet()
    with open(pb, "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    classes = message_factory.MessageFactory(pool).GetMessages([fd.name for fd in fds.file])
    return {name.split(".")[-1]: cls for name, cls in classes.items() if name.startswith("runtime.v1.")}


class CRIError(Exception):
    def __init__(self, method, err):
        self.code = err.code().name if hasattr(err, "code") else "UNKNOWN"
        self.details = err.details() if hasattr(err, "details") else str(err)
        super().__init__("%s: %s" % (self.code, self.details))
        self.method = method


class Client:
    def __init__(self, socket, state, timeout=60):
        self.m = load_messages(os.path.join(state, "gen"))
        self.state = state
        self.timeout = timeout
        self.channel = grpc.insecure_channel("unix://" + socket)

    def call(self, service, method, **fields):
        req = self.m[method + "Request"](**fields)
        resp_cls = self.m[method + "Response"]
        fn = self.channel.unary_unary("/runtime.v1.%s/%s" % (service, method),
                                      request_serializer=lambda r: r.SerializeToString(),
                                      response_deserializer=resp_cls.FromString)
        try:
            return fn(req, timeout=self.timeout)
        except grpc.RpcError as e:
            raise CRIError(method, e) from None

    def rt(self, method, **fields):
        return self.call("RuntimeService", method, **fields)

    # --- the kubelet's calls ---------------------------------------------------

    def security_profile(self, spec):
        SP = self.m["SecurityProfile"]
        if spec in (None, "", "unconfined"):
            return SP(profile_type=1)
        if spec == "runtime/default":
            return SP(profile_type=0)
        if spec.startswith("localhost/"):
            return SP(profile_type=2, localhost_ref=spec[len("localhost"):])
        raise ValueError("seccomp: want runtime/default, unconfined or localhost/PATH, not %r" % spec)

    def run_pod(self, name, namespace="default", uid=None, privileged=False, seccomp="runtime/default",
                cgroup_parent=None, labels=(), annotations=()):
        uid = uid or "%s-%d-%d" % (name, os.getpid(), time.monotonic_ns() % 1000000)
        m = self.m
        logdir = os.path.join(self.state, "pods", "%s_%s_%s" % (namespace, name, uid))
        os.makedirs(logdir, exist_ok=True)
        # host network, no CNI: the hostname stays empty (runc refuses one
        # without a UTS namespace of its own); a pid namespace per container,
        # as the kubelet asks for v1 pods
        ns = m["NamespaceOption"](network=2, pid=1, ipc=0)
        parent = cgroup_parent if cgroup_parent is not None else os.environ.get("CRI_CGROUP_PARENT", "")
        cfg = m["PodSandboxConfig"](
            metadata=m["PodSandboxMetadata"](name=name, uid=uid, namespace=namespace),
            log_directory=logdir,
            labels={"io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": namespace,
                    "io.kubernetes.pod.uid": uid},
            linux=m["LinuxPodSandboxConfig"](
                cgroup_parent=(parent + "/pod" + uid) if parent else "",
                security_context=m["LinuxSandboxSecurityContext"](
                    namespace_options=ns, privileged=privileged,
                    seccomp=self.security_profile(seccomp))))
        # the pod's own labels and annotations (KEY=VALUE), passed as the kubelet passes them
        for kv in labels:
            cfg.labels[kv.split("=", 1)[0]] = kv.split("=", 1)[1]
        for kv in annotations:
            cfg.annotations[kv.split("=", 1)[0]] = kv.split("=", 1)[1]
        pod = self.rt("RunPodSandbox", config=cfg).pod_sandbox_id
        with open(os.path.join(self.state, "pods", pod + ".pb"), "wb") as f:
            f.write(cfg.SerializeToString())
        return pod

    def sandbox_config(self, pod):
        with open(os.path.join(self.state, "pods", pod + ".pb"), "rb") as f:
            return self.m["PodSandboxConfig"].FromString(f.read())

    def create(self, pod, name, cmd, image, seccomp=None, privileged=False, no_new_privs=False,
               cap_add=(), cap_drop=(), args=(), mounts=(), resources=None, readonly_rootfs=False,
               run_as_user=None, run_as_group=None):
        """mounts: (host path, container path, read-only) each; resources:
        LinuxContainerResources fields as a dict."""
        m = self.m
        sc = m["LinuxContainerSecurityContext"](
            capabilities=m["Capability"](add_capabilities=list(cap_add), drop_capabilities=list(cap_drop)),
            privileged=privileged, no_new_privs=no_new_privs, readonly_rootfs=readonly_rootfs,
            namespace_options=m["NamespaceOption"](network=2, pid=1, ipc=0),
            seccomp=self.security_profile(seccomp))
        if run_as_user is not None:
            sc.run_as_user.value = run_as_user
        if run_as_group is not None:
            sc.run_as_group.value = run_as_group
        sandbox = self.sandbox_config(pod)
        # the kubelet's labels: the pod's, and the container's name
        labels = dict(sandbox.labels)
        labels["io.kubernetes.container.name"] = name
        cfg = m["ContainerConfig"](
            metadata=m["ContainerMetadata"](name=name),
            image=m["ImageSpec"](image=image),
            command=list(cmd), args=list(args),
            labels=labels,
            log_path="%s/0.log" % name,
            mounts=[m["Mount"](host_path=h, container_path=c, readonly=ro) for h, c, ro in mounts],
            linux=m["LinuxContainerConfig"](security_context=sc,
                                            resources=m["LinuxContainerResources"](**(resources or {}))))
        return self.rt("CreateContainer", pod_sandbox_id=pod, config=cfg, sandbox_config=sandbox).container_id

    def start(self, cid):
        self.rt("StartContainer", container_id=cid)

    def stop(self, cid, grace=0):
        self.rt("StopContainer", container_id=cid, timeout=int(grace))

    def exec_sync(self, cid, cmd, timeout=0):
        """ExecSync: (exit code, stdout bytes, stderr bytes).  The call's own
        deadline outlasts the command's timeout, as the kubelet's does."""
        saved = self.timeout
        self.timeout = max(saved, timeout + 10)
        try:
            r = self.rt("ExecSync", container_id=cid, cmd=list(cmd), timeout=int(timeout))
        finally:
            self.timeout = saved
        return r.exit_code, r.stdout, r.stderr

    def status(self, cid):
        r = self.rt("ContainerStatus", container_id=cid, verbose=True)
        s = r.status
        pid = 0
        try:
            pid = int(json.loads(r.info.get("info", "{}")).get("pid", 0))
        except ValueError:
            pass
        return {"id": s.id, "name": s.metadata.name,
                "state": self.m["ContainerStatus"].DESCRIPTOR.fields_by_name["state"].enum_type
                .values_by_number[s.state].name.replace("CONTAINER_", ""),
                "exit_code": s.exit_code, "reason": s.reason, "message": s.message,
                "pid": pid, "log_path": s.log_path}

    def wait(self, cid, seconds=30.0, until=("EXITED",)):
        """Poll ContainerStatus until the state is one of until; the pid
        seen while it ran is kept (an exited task reports none)."""
        end = time.monotonic() + seconds
        pid = 0
        while True:
            st = self.status(cid)
            pid = st["pid"] or pid
            if st["state"] in until or time.monotonic() >= end:
                st["pid"] = pid
                return st
            time.sleep(0.05)

    def logs(self, cid):
        """The container's output: the message part of each CRI log line
        ("TIME STREAM P|F MESSAGE"), partial lines joined."""
        path = self.status(cid)["log_path"]
        out, line = [], ""
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for raw in f:
                    parts = raw.rstrip("\n").split(" ", 3)
                    if len(parts) < 4:
                        continue
                    line += parts[3]
                    if parts[2] != "P":
                        out.append(line)
                        line = ""
        except FileNotFoundError:
            pass
        return "".join(x + "\n" for x in out)

    def pods(self):
        return [p.id for p in self.rt("ListPodSandbox").items]

    def rm_pod(self, pod):
        self.rt("StopPodSandbox", pod_sandbox_id=pod)
        self.rt("RemovePodSandbox", pod_sandbox_id=pod)
        try:
            os.unlink(os.path.join(self.state, "pods", pod + ".pb"))
        except FileNotFoundError:
            pass

    def image_known(self, image):
        return bool(self.call("ImageService", "ImageStatus", image=self.m["ImageSpec"](image=image)).image.id)

    # --- a Pod manifest, as the kubelet runs it --------------------------------

    def run_manifest(self, path, kubelet_root, image, wait="start", timeout=30.0):
        """Run the Pod in PATH as a kubelet (1.27 or later, without
        --seccomp-default) would: the sandbox under RuntimeDefault; each
        container's seccomp from its securityContext.seccompProfile, else the
        pod's, else Unconfined (the alpha annotations are ignored); privileged
        containers in a privileged sandbox; allowPrivilegeEscalation: false as
        no_new_privs; capabilities added and dropped; command and args as
        given, the image replaced by the test image.  Returns {"pod": id,
        "name": ..., "containers": [{name, seccomp, created, create_error,
        started, start_error, and the status fields}]} once every started
        container runs (wait=start) or has exited (wait=exit)."""
        doc = load_manifest(path)
        spec = doc.get("spec") or {}
        meta = doc.get("metadata") or {}
        pod_sc = spec.get("securityContext") or {}
        containers = spec.get("containers") or []
        privileged = any(((c.get("securityContext") or {}).get("privileged")) for c in containers)
        pod = self.run_pod(meta.get("name", "pod"), namespace=meta.get("namespace", "default"),
                           privileged=bool(privileged))
        result = {"pod": pod, "file": path, "name": meta.get("name"), "containers": []}
        for c in containers:
            csc = c.get("securityContext") or {}
            sp = csc.get("seccompProfile") or pod_sc.get("seccompProfile")
            seccomp = "unconfined"
            if sp:
                t = sp.get("type")
                if t == "RuntimeDefault":
                    seccomp = "runtime/default"
                elif t == "Localhost":
                    seccomp = "localhost" + os.path.join(kubelet_root, "seccomp", sp.get("localhostProfile", ""))
            caps = csc.get("capabilities") or {}
            r = {"name": c.get("name"), "seccomp": seccomp, "created": False, "started": False,
                 "create_error": "", "start_error": ""}
            result["containers"].append(r)
            try:
                r["id"] = self.create(pod, c.get("name"), c.get("command") or [], image, seccomp=seccomp,
                                      privileged=bool(csc.get("privileged")),
                                      no_new_privs=csc.get("allowPrivilegeEscalation") is False,
                                      cap_add=["CAP_" + x for x in caps.get("add") or []],
                                      cap_drop=["CAP_" + x for x in caps.get("drop") or []],
                                      args=c.get("args") or [])
                r["created"] = True
                self.start(r["id"])
                r["started"] = True
            except CRIError as e:
                r["create_error" if not r["created"] else "start_error"] = e.details
        end = time.monotonic() + timeout
        for r in result["containers"]:
            if r.get("id"):
                until = ("EXITED",) if wait == "exit" or not r["started"] else ("RUNNING", "EXITED")
                r.update(self.wait(r["id"], max(0.0, end - time.monotonic()), until))
                if r["state"] == "EXITED":
                    r["log"] = self.logs(r["id"])
        return result

    # --- a DaemonSet's pod, as the kubelet of one node runs it --------------------

    def run_daemonset(self, path, kubelet_root, image=None, uid=None, seccomp=None, name=None):
        """Run the pod template of the one DaemonSet in PATH as the kubelet
        does: a sandbox (the template's labels; RuntimeDefault, as the kubelet asks for every
        sandbox) and its one container with the template's image (or IMAGE),
        command, args, securityContext (the container's fields over the
        pod's), resources (kubelet_resources) and volumes: a hostPath below
        /var/lib/kubelet is that path below KUBELET_ROOT (DirectoryOrCreate
        makes it 0755, as the kubelet does); a configMap volume is
        KUBELET_ROOT/pods/UID/volumes/kubernetes.io~configmap/VOLUME, which
        the caller has laid out as the kubelet's AtomicWriter does (..data),
        mounted read-only as the kubelet mounts every configMap volume; the
        termination-log file the kubelet mounts at terminationMessagePath.
        SECCOMP (a --seccomp SPEC) replaces the template's profile.  Any
        field the kubelet would honour that this does not run is an error, so
        the manifest cannot promise what the tests do not run.  Returns
        {pod, id, uid, name, grace, memory_limit, volumes: {name: host path}}."""
        pod_spec, ds_name, namespace, labels = daemonset_pod(path)
        c = pod_spec["containers"][0]
        psc, csc = pod_spec.get("securityContext") or {}, c.get("securityContext") or {}
        for k in set(psc) - POD_SC_RUN:
            raise ValueError("%s: pod securityContext.%s: not run by this client" % (path, k))
        for k in set(csc) - CONTAINER_SC_RUN:
            raise ValueError("%s: container securityContext.%s: not run by this client" % (path, k))
        for k in set(c) - CONTAINER_FIELDS_RUN:
            raise ValueError("%s: container field %s: not run by this client" % (path, k))
        for k in set(pod_spec) - POD_FIELDS_RUN:
            raise ValueError("%s: pod field %s: not run by this client" % (path, k))
        for k in ("automountServiceAccountToken", "enableServiceLinks"):
            if pod_spec.get(k, True) is not False:
                raise ValueError("%s: %s is not false: its token volume or environment is not run" % (path, k))
        sc = dict(psc, **csc)
        if seccomp is None:
            sp = sc.get("seccompProfile") or {"type": "Unconfined"}
            if sp.get("type") == "RuntimeDefault":
                seccomp = "runtime/default"
            elif sp.get("type") == "Localhost":
                seccomp = "localhost" + os.path.join(kubelet_root, "seccomp", sp.get("localhostProfile", ""))
            else:
                seccomp = "unconfined"
        uid = uid or "%s-%d" % (ds_name, os.getpid())
        pod_name = name or "%s-node" % ds_name
        pod = self.run_pod(pod_name, namespace=namespace, uid=uid, privileged=bool(sc.get("privileged")),
                           labels=["%s=%s" % kv for kv in sorted(labels.items())])
        vols = {v["name"]: v for v in pod_spec.get("volumes") or []}
        mounts, hosts = [], {}
        for vm in c.get("volumeMounts") or []:
            if set(vm) - {"name", "mountPath", "readOnly"}:
                raise ValueError("%s: volumeMount %s: %s: not run by this client"
                                 % (path, vm["name"], sorted(set(vm) - {"name", "mountPath", "readOnly"})))
            v = vols[vm["name"]]
            if "hostPath" in v:
                hp = os.path.normpath(v["hostPath"]["path"])
                if hp != "/var/lib/kubelet" and not hp.startswith("/var/lib/kubelet/"):
                    raise ValueError("%s: hostPath %s: only paths below /var/lib/kubelet are run" % (path, hp))
                host = kubelet_root + hp[len("/var/lib/kubelet"):]
                t = v["hostPath"].get("type", "")
                if t == "DirectoryOrCreate":
                    if not os.path.isdir(host):
                        os.makedirs(host, mode=0o755)
                elif t in ("", "Directory"):
                    if not os.path.isdir(host):
                        raise ValueError("hostPath %s: no directory %s" % (hp, host))
                else:
                    raise ValueError("%s: hostPath type %s: not run by this client" % (path, t))
                ro = bool(vm.get("readOnly"))
            elif "configMap" in v:
                host = os.path.join(kubelet_root, "pods", uid, "volumes", "kubernetes.io~configmap", vm["name"])
                if not os.path.islink(os.path.join(host, "..data")):
                    raise ValueError("configMap volume %s: %s has no ..data (lay it out first)" % (vm["name"], host))
                ro = True
            else:
                raise ValueError("%s: volume %s: only hostPath and configMap are run" % (path, vm["name"]))
            hosts[vm["name"]] = host
            mounts.append((host, vm["mountPath"], ro))
        # the kubelet's termination-log file, mounted where the container's
        # terminationMessagePath says (a file of the pod's directory)
        tdir = os.path.join(kubelet_root, "pods", uid, "containers", c["name"])
        os.makedirs(tdir, exist_ok=True)
        tlog = os.path.join(tdir, "termination-log")
        open(tlog, "a").close()
        mounts.append((tlog, c.get("terminationMessagePath", "/dev/termination-log"), False))
        caps = sc.get("capabilities") or {}
        res = kubelet_resources(c.get("resources") or {})
        cid = self.create(pod, c["name"], c.get("command") or [], image or c["image"], seccomp=seccomp,
                          privileged=bool(sc.get("privileged")),
                          no_new_privs=sc.get("allowPrivilegeEscalation") is False,
                          cap_add=caps.get("add") or [], cap_drop=caps.get("drop") or [],
                          args=c.get("args") or [], mounts=mounts, resources=res,
                          readonly_rootfs=bool(sc.get("readOnlyRootFilesystem")),
                          run_as_user=sc.get("runAsUser"), run_as_group=sc.get("runAsGroup"))
        self.start(cid)
        return {"pod": pod, "id": cid, "uid": uid, "name": pod_name, "seccomp": seccomp,
                "grace": int(pod_spec.get("terminationGracePeriodSeconds", 30)),
                "memory_limit": res.get("memory_limit_in_bytes", 0), "volumes": hosts}

    def probe(self, cid, path):
        """The DaemonSet's readinessProbe (exec) in container CID, with its
        timeoutSeconds: (exit code, stdout, stderr)."""
        pod_spec = daemonset_pod(path)[0]
        pr = pod_spec["containers"][0].get("readinessProbe") or {}
        if "exec" not in pr:
            raise ValueError("%s: the container has no exec readinessProbe" % path)
        return self.exec_sync(cid, pr["exec"]["command"], int(pr.get("timeoutSeconds", 1)))


# what run_daemonset runs of a pod template: anything else is refused
POD_SC_RUN = {"runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile"}
CONTAINER_SC_RUN = POD_SC_RUN | {"privileged", "allowPrivilegeEscalation", "readOnlyRootFilesystem", "capabilities"}
# the scheduler's fields (no node here is tainted or labelled otherwise) and
# the two the kubelet would add a volume or environment for, when false
POD_FIELDS_RUN = {"tolerations", "nodeSelector", "automountServiceAccountToken", "enableServiceLinks",
                  "terminationGracePeriodSeconds", "securityContext", "containers", "volumes"}
CONTAINER_FIELDS_RUN = {"name", "image", "imagePullPolicy", "command", "args", "readinessProbe", "resources",
                        "securityContext", "volumeMounts", "terminationMessagePath"}


def daemonset_pod(path):
    """(pod template spec, DaemonSet name, namespace, the template's labels)
    of the one DaemonSet in the multi-document YAML PATH, whose pod has one
    container."""
    import yaml
    with open(path, encoding="utf-8") as f:
        ds = [d for d in yaml.safe_load_all(f) if isinstance(d, dict) and d.get("kind") == "DaemonSet"]
    if len(ds) != 1:
        raise ValueError("%s: %d DaemonSets, not one" % (path, len(ds)))
    spec = ds[0]["spec"]["template"]["spec"]
    if len(spec.get("containers") or []) != 1 or spec.get("initContainers"):
        raise ValueError("%s: the DaemonSet's pod has not one container" % path)
    meta = ds[0].get("metadata") or {}
    labels = (ds[0]["spec"]["template"].get("metadata") or {}).get("labels") or {}
    return spec, meta.get("name", "daemonset"), meta.get("namespace", "default"), labels


def quantity(q):
    """A Kubernetes resource quantity ("32Mi", "200m", "1.5G", 5) as a float."""
    s = str(q)
    for suffix, mult in (("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40),
                         ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("m", 1e-3)):
        if s.endswith(suffix):
            return float(s[:-len(suffix)]) * mult
    return float(s)


def kubelet_resources(r):
    """A container's resources as the kubelet passes them in the CRI's
    LinuxContainerResources (cgroup v1): the memory limit in bytes; CPU
    shares from the request (milli * 1024 / 1000, at least 2); the CFS quota
    from the limit over a 100 ms period (at least 1 ms); the OOM score of the
    Burstable class (1000 - 1000 * request / node memory, within [2, 999])."""
    req, lim = r.get("requests") or {}, r.get("limits") or {}
    out = {}
    if "memory" in lim:
        out["memory_limit_in_bytes"] = int(quantity(lim["memory"]))
    cpu_req = req.get("cpu", lim.get("cpu"))
    if cpu_req is not None:
        out["cpu_shares"] = max(2, int(round(quantity(cpu_req) * 1000)) * 1024 // 1000)
    if "cpu" in lim:
        out["cpu_period"] = 100000
        out["cpu_quota"] = max(1000, int(round(quantity(lim["cpu"]) * 1000)) * 100000 // 1000)
    mem_req = req.get("memory", lim.get("memory"))
    if mem_req is not None:
        with open("/proc/meminfo") as f:
            total = int(f.readline().split()[1]) * 1024
        out["oom_score_adj"] = min(999, max(2, 1000 - int(1000 * quantity(mem_req)) // total))
    return out


def load_manifest(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        import yaml
        doc = yaml.safe_load(text)
    except ImportError:
        doc = json.loads(text)
    if not isinstance(doc, dict) or doc.get("kind") != "Pod":
        raise SystemExit("cri.py: %s: not a Pod manifest" % path)
    return doc


def parse_opts(args, flags, valued, multi=()):
    """args -> (options dict, the rest after "--" or the first non-option)."""
    opts, rest = {k: [] for k in multi}, []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            rest = args[i + 1:]
            break
        if a in flags:
            opts[a] = True
        elif a in valued or a in multi:
            if i + 1 >= len(args):
                raise SystemExit("cri.py: %s needs a value" % a)
            i += 1
            if a in multi:
                opts[a].append(args[i])
            else:
                opts[a] = args[i]
        else:
            rest = args[i:]
            break
        i += 1
    return opts, rest


def main(argv):
    opts, rest = parse_opts(argv, (), ("--socket", "--state"))
    if "--socket" not in opts or "--state" not in opts or not rest:
        sys.exit(__doc__)
    c = Client(opts["--socket"], opts["--state"])
    cmd, args = rest[0], rest[1:]
    image = os.environ.get("CRI_IMAGE", "")
    try:
        if cmd == "version":
            v = c.rt("Version")
            print(v.runtime_name, v.runtime_version, v.runtime_api_version)
        elif cmd == "wait-ready":
            end = time.monotonic() + float(args[1] if len(args) > 1 else 30)
            while True:
                try:
                    c.timeout = 2
                    c.rt("Version")
                    if c.image_known(args[0]):
                        break
                except CRIError:
                    if time.monotonic() >= end:
                        raise
                if time.monotonic() >= end:
                    sys.exit("cri.py: the runtime does not know image %s" % args[0])
                time.sleep(0.05)
        elif cmd == "run-pod":
            o, _ = parse_opts(args[1:], ("--privileged",), ("--namespace", "--uid", "--seccomp"),
                              ("--label", "--annotation"))
            print(c.run_pod(args[0], namespace=o.get("--namespace", "default"), uid=o.get("--uid"),
                            privileged=o.get("--privileged", False),
                            seccomp=o.get("--seccomp", "runtime/default"),
                            labels=o["--label"], annotations=o["--annotation"]))
        elif cmd == "create":
            o, command = parse_opts(args[2:], ("--privileged", "--no-new-privs"), ("--image", "--seccomp"),
                                    ("--cap-add", "--cap-drop"))
            print(c.create(args[0], args[1], command, o.get("--image", image), seccomp=o.get("--seccomp"),
                           privileged=o.get("--privileged", False), no_new_privs=o.get("--no-new-privs", False),
                           cap_add=o["--cap-add"], cap_drop=o["--cap-drop"]))
        elif cmd == "start":
            c.start(args[0])
        elif cmd == "status":
            print(json.dumps(c.status(args[0]), sort_keys=True))
        elif cmd == "wait":
            print(json.dumps(c.wait(args[0], float(args[1]) if len(args) > 1 else 30.0), sort_keys=True))
        elif cmd == "logs":
            sys.stdout.write(c.logs(args[0]))
        elif cmd == "stop":
            c.stop(args[0], float(args[1]) if len(args) > 1 else 0)
        elif cmd == "exec":
            o, command = parse_opts(args[1:], (), ("--timeout",))
            code, out, err = c.exec_sync(args[0], command, int(o.get("--timeout", 0)))
            sys.stdout.buffer.write(out)
            sys.stderr.buffer.write(err)
            sys.exit(code)
        elif cmd == "daemonset":
            o, _ = parse_opts(args[1:], (), ("--kubelet-root", "--uid", "--seccomp", "--name", "--image"))
            print(json.dumps(c.run_daemonset(args[0], o.get("--kubelet-root", "/var/lib/kubelet"),
                                             image=o.get("--image"), uid=o.get("--uid"),
                                             seccomp=o.get("--seccomp"), name=o.get("--name")), sort_keys=True))
        elif cmd == "probe":
            code, out, err = c.probe(args[0], args[1])
            sys.stdout.buffer.write(out)
            sys.stderr.buffer.write(err)
            sys.exit(code)
        elif cmd == "stop-pod":
            c.rt("StopPodSandbox", pod_sandbox_id=args[0])
        elif cmd == "rm-pod":
            c.rm_pod(args[0])
        elif cmd == "rm-all":
            for p in c.pods():
                c.rm_pod(p)
        elif cmd == "pod":
            o, _ = parse_opts(args[1:], (), ("--kubelet-root", "--wait", "--timeout"))
            print(json.dumps(c.run_manifest(args[0], o.get("--kubelet-root", "/var/lib/kubelet"), image,
                                            o.get("--wait", "start"), float(o.get("--timeout", 30))),
                             sort_keys=True))
        else:
            sys.exit("cri.py: unknown command %r\n%s" % (cmd, __doc__))
    except CRIError as e:
        sys.exit("%s: %s" % (e.code, e.details))
    except (IndexError, ValueError) as e:
        sys.exit("cri.py: %s: %s" % (cmd, e))


if __name__ == "__main__":
    main(sys.argv[1:])
