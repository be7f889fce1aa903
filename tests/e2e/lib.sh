# End-to-end test helpers: source this, define test_* functions, then call
# run_tests.  Each test runs in a subshell inside a fresh temporary directory
# with `set -e`; it prints "ok e2e/FILE:NAME" or "FAIL e2e/FILE:NAME" plus
# the reason.  $BRAID is the binary under test.
set -u
: "${BRAID:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/braid}"
: "${BRAID_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BRAID_SHARED_DATA:=$BRAID_ROOT/../shared/data}"
export BRAID BRAID_ROOT BRAID_SHARED_DATA

fail() { echo "  $*" >&2; exit 1; }
assert_eq() { [ "$1" = "$2" ] || fail "expected '$2', got '$1' ${3:-}"; }
assert_contains() { case "$1" in *"$2"*) ;; *) fail "expected output to contain '$2'; got: $(printf %s "$1" | head -c 600)";; esac; }
assert_not_contains() { case "$1" in *"$2"*) fail "output must not contain '$2'";; esac; }
# expect_exit CODE cmd... : run cmd, check its exit code, keep output in $OUT
expect_exit() {
	local want=$1; shift
	set +e; OUT=$("$@" 2>&1); local got=$?; set -e
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want; output: $(printf %s "$OUT" | head -c 800)"
}

run_tests() {
	local file; file=$(basename "${BASH_SOURCE[1]}" .sh)
	local t
	for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
		[ -n "${E2E_FILTER:-}" ] && case "$t" in *"$E2E_FILTER"*) ;; *) continue;; esac
		local dir; dir=$(mktemp -d /tmp/braid-e2e-XXXXXX)
		local out
		if out=$(cd "$dir" && ( set -e; "$t" ) 2>&1); then
			echo "ok e2e/$file:${t#test_}"
		else
			echo "FAIL e2e/$file:${t#test_}"
			printf '%s\n' "$out" | tail -15 | sed 's/^/  /'
		fi
		rm -rf "$dir"
	done
}
