# Edits and reads Docker/OCI profiles for the CLI tests (tests/cli/lib.sh: edit).
#   profile-edit.py names PROFILE                every name the profile allows, one a line
#   profile-edit.py get PROFILE EXPR             a Python expression over the profile `d`
#   profile-edit.py drop PROFILE NAME OUT        PROFILE without syscall NAME anywhere
#   profile-edit.py dropval PROFILE NAME V OUT   without the rule for NAME whose first arg value is V
#   profile-edit.py droparch PROFILE ARCH OUT    without ARCH in architectures
import json, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
op, f = sys.argv[1], sys.argv[2]
d = json.load(open(f))
if op == "names":
    for r in d.get("syscalls", []):
        for n in r["names"]:
            print(n)
    sys.exit(0)
if op == "get":
    print(eval(sys.argv[3]))
    sys.exit(0)
if op == "drop":
    for r in d["syscalls"]:
        r["names"] = [n for n in r["names"] if n != sys.argv[3]]
    d["syscalls"] = [r for r in d["syscalls"] if r["names"]]
elif op == "dropval":
    v = int(sys.argv[4])
    d["syscalls"] = [r for r in d["syscalls"]
                     if not (r["names"] == [sys.argv[3]] and r.get("args") and r["args"][0]["value"] == v)]
elif op == "droparch":
    d["architectures"] = [a for a in d["architectures"] if a != sys.argv[3]]
else:
    sys.exit("profile-edit.py: unknown operation " + op)
json.dump(d, open(sys.argv[-1], "w"), indent=1)
