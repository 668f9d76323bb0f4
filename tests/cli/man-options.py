# Every long option of every command's --help (k8s's subcommands too) appears in
# that command's entry of the man page: prints what is missing, exits 1 if any.
#   man-options.py SYSFENCE MANPAGE
import re, subprocess, sys
sf, man = sys.argv[1], open(sys.argv[2]).read()
# entries: ".TP\n.B name ..." up to the next ".TP" or ".SH"
entries = {}
for m in re.finditer(r'^\.B ([a-z0-9\\-]+(?: [a-z0-9\\-]+)?)(.*?)(?=^\.TP|^\.SH)', man, re.M | re.S):
    name = m.group(1).replace('\\-', '-')
    entries.setdefault(name.split()[0], []).append(m.group(0))
    entries.setdefault(name, []).append(m.group(0))
def opts(args):
    h = subprocess.run([sf] + args + ['--help'], capture_output=True, text=True).stdout
    return sorted({o for o in re.findall(r'^\s+(?:-\w,\s+)?--([a-z][a-z0-9-]*)', h, re.M)} - {'help'})
cmds = re.findall(r'^  ([a-z][a-z0-9-]*)  ', subprocess.run([sf, 'help'], capture_output=True, text=True).stdout, re.M)
missing = []
for c in cmds:
    subs = [[c]]
    if c == 'k8s':
        h = subprocess.run([sf, 'k8s', '--help'], capture_output=True, text=True).stdout
        subs = [['k8s', s] for s in re.findall(r'^  ([a-z][a-z0-9-]*)  ', h, re.M)]
    for s in subs:
        key = ' '.join(s)
        text = '\n'.join(entries.get(key, []))
        if not text:
            missing.append(key + ': no entry'); continue
        for o in opts(s):
            if '\\-\\-' + o.replace('-', '\\-') not in text:
                missing.append('%s --%s' % (key, o))
print('\n'.join(missing))
sys.exit(1 if missing else 0)
