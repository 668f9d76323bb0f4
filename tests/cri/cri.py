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
  stop-pod POD / rm-pod POD    StopPodSandbox / RemovePodSandbox (which removes its containers)
  rm-all                       stop and remove every sandbox
  pod FILE [--kubelet-root DIR] [--wait start|exit] [--timeout S]
                               run a Pod manifest (YAML or JSON) as the kubelet
                               would; prints one JSON object (see run_manifest)

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
    pb = os.path.join(cache, "cri.pb")
    if not os.path.exists(pb) or os.path.getmtime(pb) < os.path.getmtime(PROTO):
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
               cap_add=(), cap_drop=(), args=()):
        m = self.m
        sc = m["LinuxContainerSecurityContext"](
            capabilities=m["Capability"](add_capabilities=list(cap_add), drop_capabilities=list(cap_drop)),
            privileged=privileged, no_new_privs=no_new_privs,
            namespace_options=m["NamespaceOption"](network=2, pid=1, ipc=0),
            seccomp=self.security_profile(seccomp))
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
            linux=m["LinuxContainerConfig"](security_context=sc))
        return self.rt("CreateContainer", pod_sandbox_id=pod, config=cfg, sandbox_config=sandbox).container_id

    def start(self, cid):
        self.rt("StartContainer", container_id=cid)

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
