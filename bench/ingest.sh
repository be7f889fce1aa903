#!/usr/bin/env bash
# Ingest benchmark: a synthetic 15-column person file (bench/gen_people.py)
# of N rows loaded into a fresh workspace; reports rows/s (wall and CPU) and
# peak resident memory from /usr/bin/time -v.  Usage:
#   bench/ingest.sh [BRAID_BINARY] [ROWS...]     (default: build/braid 1000000)
# Files are generated once into $BENCH_DIR (default /tmp/braid-bench).
set -eu
cd "$(dirname "$0")/.."
BRAID=${1:-build/braid}
[ $# -gt 0 ] && shift
ROWS=${*:-1000000}
DIR=${BENCH_DIR:-/tmp/braid-bench}
mkdir -p "$DIR"
export BRAID_NO_PROGRESS=1
for n in $ROWS; do
	csv="$DIR/people_$n.csv"
	[ -f "$csv" ] || python3 bench/gen_people.py "$n" "$csv" 42
	ws="$DIR/ws_$n"
	rm -rf "$ws"
	"$BRAID" init "$ws" >/dev/null
	"$BRAID" -C "$ws" source add --spec bench/people.yaml >/dev/null
	log="$DIR/time_$n.txt"
	/usr/bin/time -v "$BRAID" -C "$ws" ingest people "$csv" >"$DIR/out_$n.txt" 2>"$log"
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
	secs=$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
	user=$(awk -F': ' '/User time/ {print $2}' "$log")
	sys=$(awk -F': ' '/System time/ {print $2}' "$log")
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
	size=$(stat -c %s "$csv")
	awk -v n="$n" -v size="$size" -v secs="$secs" -v user="$user" -v sys="$sys" -v rss="$rss" 'BEGIN {
		printf "rows=%d file=%.0fMB wall=%.2fs rows/s=%.0f cpu=%.2fs (user %.2f + sys %.2f) rows/cpu-s=%.0f peak_rss=%.1fMiB\n",
			n, size / 1048576, secs, n / secs, user + sys, user, sys, n / (user + sys), rss / 1024 }'
	cat "$DIR/out_$n.txt"
	printf 'store: braid.db %s MiB, vault.db %s MiB\n' \
		"$(( $(stat -c %s "$ws/braid.db") / 1048576 ))" "$(( $(stat -c %s "$ws/vault.db") / 1048576 ))"
	rm -rf "$ws"
done
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
