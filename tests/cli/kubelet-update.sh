# A ConfigMap volume updated the way the kubelet's AtomicWriter does it
# (pkg/volume/util/atomic_writer.go), for the k8s agent's tests and bench.
# POSIX sh, sourced.
#
#   DIR/..2026_11_24_02_26_06.759640016/KEY   the payload, real files
#   DIR/..data -> ..2026_11_24_02_26_06.759640016
#   DIR/KEY -> ..data/KEY                     one symlink per key
#
# cm_update DIR SRC: make DIR's payload the regular files of directory SRC
# (their names are the keys): write a new timestamped directory, point a
# ..data_tmp symlink at it, rename ..data_tmp over ..data (the one step readers
# see), add the symlinks of new keys, drop those of removed keys, then remove
# the previous timestamped directory.
cm_update()
{
        _cm_dir=$1
        _cm_src=$2
        mkdir -p "$_cm_dir" || return 1
        _cm_ts=..$(date -u +%Y_%m_%d_%H_%M_%S.%N)
        mkdir "$_cm_dir/$_cm_ts" || return 1
        # the kubelet writes the files before the swap; cp -R keeps this one process
        cp -R "$_cm_src/." "$_cm_dir/$_cm_ts/" || return 1
        _cm_old=$(readlink "$_cm_dir/..data" 2>/dev/null)
        ln -s "$_cm_ts" "$_cm_dir/..data_tmp" || return 1
        mv -T "$_cm_dir/..data_tmp" "$_cm_dir/..data" || return 1
        # the new keys' symlinks, one ln for all (a ConfigMap has up to thousands)
        set --
        for _cm_f in "$_cm_dir/$_cm_ts"/*; do
                [ -e "$_cm_f" ] || continue
                [ -L "$_cm_dir/${_cm_f##*/}" ] || set -- "$@" "..data/${_cm_f##*/}"
        done
        [ $# -eq 0 ] || (cd "$_cm_dir" && ln -s "$@" .) || return 1
        for _cm_l in "$_cm_dir"/*; do
                [ -L "$_cm_l" ] || continue
                [ -e "$_cm_dir/$_cm_ts/${_cm_l##*/}" ] || rm -f "$_cm_l"
        done
        if [ -n "$_cm_old" ] && [ "$_cm_old" != "$_cm_ts" ]; then
                rm -rf "${_cm_dir:?}/$_cm_old"
        fi
        return 0
}

# cm_stage DIR STAGE KEY=FILE|KEY=oci://REF...: DIR's next payload, made in
# STAGE (emptied first) from those files, a value oci://... written as the
# key's text, then swapped in with cm_update.
cm_stage()
{
        _dir=$1 _stage=$2
        shift 2
        rm -rf "$_stage"
        mkdir -p "$_stage" || return 1
        for _kv in "$@"; do
                case ${_kv#*=} in
                oci://*) printf '%s\n' "${_kv#*=}" >"$_stage/${_kv%%=*}" ;;
                *) cp "${_kv#*=}" "$_stage/${_kv%%=*}" ;;
                esac || return 1
        done
        cm_update "$_dir" "$_stage"
}
