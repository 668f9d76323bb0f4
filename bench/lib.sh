# Shared by the bench scripts (sourced from the checkout's root).

# small_files DIR N: N small files DIR/0 .. DIR/N-1, the record benches' input
small_files()
{
        mkdir "$1"
        _i=0
        while [ $_i -lt "$2" ]; do
                echo "file $_i" >"$1/$_i"
                _i=$((_i + 1))
        done
}

# rotate K WORD...: the words, rotated left by K (each round of a bench starts
# one mode later, so that no mode always follows the same one)
rotate()
{
        _k=$1
        shift
        _k=$((_k % $#))
        for _m in "$@"; do
                [ "$_k" -gt 0 ] && { set -- "$@" "$_m"; shift; _k=$((_k - 1)); }
        done
        echo "$@"
}
