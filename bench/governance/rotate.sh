#!/usr/bin/env bash
# Time `braid key rotate` and `braid withdraw --source` on the demo city
# (examples/city): every source loaded, then the vault re-sealed.
# Usage: bench/governance/rotate.sh [BRAID]   (default build/braid)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-$ROOT/build/braid}
CITY=$ROOT/examples/city
T=$(mktemp -d /tmp/braid-bench-rotate-XXXXXX); trap 'rm -rf "$T"' EXIT
cd "$T"
export BRAID_KEY_FILE=$T/vault.key
out=$(BRAID_USER=root "$B" init ws)
export BRAID_DIR=$T/ws BRAID_USER=root
BRAID_KEY=$(printf '%s\n' "$out" | sed -n 's/^BRAID_KEY=//p'); export BRAID_KEY
for spec in "$CITY"/specs/*.yaml; do
	n=$(basename "$spec" .yaml)
	"$B" source add --spec "$spec" >/dev/null
	"$B" ingest "$n" "$CITY/sources/$n.csv" >/dev/null
done
echo "identities: $(sqlite3 ws/vault.db 'SELECT count(*) FROM identities')"
/usr/bin/time -f "key rotate: %e s wall, %M KiB max RSS" "$B" key rotate
/usr/bin/time -f "withdraw --source jail: %e s wall, %M KiB max RSS" "$B" withdraw --source jail
/usr/bin/time -f "login only (braid users): %e s wall" "$B" users >/dev/null
