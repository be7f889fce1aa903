#!/usr/bin/env bash
# Builds the linkage benchmarks into build/bench/ straight from the library
# sources they need (core, normalize, link), so that they build even while
# another layer's work in progress breaks libbraid.a.
set -eu
cd "$(dirname "$0")/../.."
out=build/bench
mkdir -p "$out"
PKGS="sqlite3 libsodium libutf8proc jansson yaml-0.1"
CF="-std=c17 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes -Wvla -Werror -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude -DBRAID_DATA_DEFAULT=\"$(cd .. && pwd)/shared/data\" $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lm -lpthread"
SRC="src/core/*.c src/normalize/*.c $(printf "src/link/%s.c " compare block model score cluster explain eval linker)"
for b in accuracy speed jw synth; do
	[ -f bench/linkage/$b.c ] || continue
	cc $CF -o "$out/link_$b" bench/linkage/$b.c $SRC $LIBS
done
echo "built into $out"
