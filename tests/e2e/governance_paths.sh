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

# planted: identifier values of the fixtures that must never be readable
PLANTED="Xylophonewicz XYLOPHONEWICZ Quentin QUENTIN 219447788 219-44-7788 1980-03-04 19800304 Oppenheimerova Wilhelmina 555667777 1990-07-08"
# no_planted FILE...: none of the planted values in the bytes of the files
no_planted() {
	local v f
	for f in "$@"; do
		[ -e "$f" ] || continue
		for v in $PLANTED; do
			if grep -aqF "$v" "$f"; then fail "'$v' found in $f"; fi
		done
	done
}

test_withdrawn_person_is_gone_and_not_reloaded() {
	setup
	local rk; rk=$(sqlite3 ws/braid.db "SELECT count(*) FROM records")
	assert_eq "$rk" "5"
	expect_exit 6 as cw "$CK" "$BRAID" withdraw --person "$PID"
	expect_exit 0 "$BRAID" withdraw --person "$PID"
	assert_contains "$OUT" "3 records, 3 events, 0 rejected rows removed"
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM records")" "2"
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM events")" "2"
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM person_record WHERE person_id='$PID'")" "0"
	assert_eq "$(sqlite3 ws/vault.db "SELECT count(*) FROM identities")" "2"
	assert_eq "$(sqlite3 ws/braid.db "SELECT status FROM person WHERE person_id='$PID'")" "withdrawn"
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM person_history WHERE person_id='$PID' AND event='withdrawn'")" "1"
	# Idempotent: a second withdrawal removes nothing and adds no history.
	expect_exit 0 "$BRAID" withdraw --person "$PID"
	assert_contains "$OUT" "0 records"
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM person_history WHERE event='withdrawn'")" "1"
	# Reloads: the same files again, and a new file where the person comes
	# back spelled differently (case) without SSN, and under another name
	# with the same SSN; only the stranger J11 is loaded.
	expect_exit 0 "$BRAID" ingest jail "$FX/jail.csv" --replace
	assert_contains "$OUT" "1 withdrawn"
	expect_exit 0 "$BRAID" ingest hmis "$FX/hmis.csv" --replace
	assert_contains "$OUT" "1 withdrawn"
	printf 'INMATE_ID,LAST,FIRST,DOB,SSN,BOOKED,RELEASED,PROGRAM,FACILITY\nJ9,XYLOPHONEWICZ,quentin,1980-03-04,,2026-06-01,2026-06-02,,CFCF\nJ10,Other,Person,1970-01-01,219-44-7788,2026-06-01,2026-06-02,,CFCF\nJ11,New,Person,1971-01-01,,2026-06-01,2026-06-02,,CFCF\n' > jail2.csv
	expect_exit 0 "$BRAID" ingest jail jail2.csv --format json
	assert_eq "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["rows_loaded"], d["rows_withdrawn"])')" "1 2"
	relink
	if grep -q ',J1,\|,J9,\|,J10,\|,H1,\|,B1,' persons.csv; then fail "a withdrawn record is back: $(cat persons.csv)"; fi
	# Nothing of the person is left in any store, log or journal (the
	# vault holds only sealed rows and keyed tokens).
	[ -f ws/audit.db ] || fail "no ws/audit.db"
	no_planted ws/braid.db ws/braid.db-journal ws/vault.db ws/braid.conf ws/audit.db ws/audit.db-wal
	expect_exit 0 "$BRAID" audit verify
	"$BRAID" audit show | grep -q "withdraw-person.*allow" || fail "withdrawal not audited"
	"$BRAID" audit show | grep -q "withdraw-person.*deny" || fail "refused withdrawal not audited"
}

# rejected_rows: a jail file whose rows 2-5 are rejected: Quentin without an
# id, Quentin with a stray comma in his name (every cell after it shifted),
# someone else's name with Quentin's SSN and an extra cell, and a stranger
# without an id; then one good row.
rejected_rows() {
	printf 'INMATE_ID,LAST,FIRST,DOB,SSN,BOOKED,RELEASED,PROGRAM,FACILITY\n,Xylophonewicz,Quentin,1980-03-04,,2026-07-01,2026-07-02,,CFCF\nJ30,XYLOPHONEWICZ,Q.,Quentin,03/04/1980?,1980-03-04,,2026-07-01,2026-07-02,,CFCF\nJ31,Alias,Someone,1961-01-01,219-44-7788,2026-07-01,2026-07-02,,CFCF,extra\n,Stranger,Sam,1975-05-05,,2026-07-01,2026-07-02,,CFCF\nJ32,Good,Row,1972-02-02,,2026-07-01,2026-07-02,,CFCF\n' > jail3.csv
}

test_withdrawn_persons_rejected_rows_go_too() {
	setup
	rejected_rows
	expect_exit 0 "$BRAID" ingest jail jail3.csv --format json
	assert_eq "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["rows_loaded"], d["rows_rejected"])')" "1 4"
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM rejects")" "4"
	assert_eq "$(sqlite3 ws/vault.db "SELECT count(*) FROM reject_raw")" "4"
	expect_exit 0 "$BRAID" withdraw --person "$PID"
	assert_contains "$OUT" "3 rejected rows"
	# The stranger's reject stays, with its sealed raw row.
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM rejects")" "1"
	assert_eq "$(sqlite3 ws/vault.db "SELECT count(*) FROM reject_raw")" "1"
	BRAID_USER=lin BRAID_KEY=$LK "$BRAID" rejects jail --raw > rej.txt 2>&1 || true
	grep -q "Stranger" rej.txt || fail "the stranger's rejected row is gone: $(cat rej.txt)"
	if grep -q "Xylophonewicz\|XYLOPHONEWICZ\|Alias" rej.txt; then fail "a withdrawn person's rejected row stays: $(cat rej.txt)"; fi
	"$BRAID" audit show | grep -q "withdraw-person.*3 rejects" || fail "rejects not in the audit entry"
	# Rejected again by a later load, they go with a repeated withdrawal.
	expect_exit 0 "$BRAID" ingest jail jail3.csv --replace
	expect_exit 0 "$BRAID" withdraw --person "$PID"
	assert_contains "$OUT" "3 rejected rows"
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM rejects")" "1"
}

test_withdrawn_source_leaves_no_rows() {
	setup
	rejected_rows
	expect_exit 0 "$BRAID" ingest jail jail3.csv
	expect_exit 0 "$BRAID" withdraw --source jail
	assert_contains "$OUT" "3 records, 3 events, 4 rejects removed"
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM rejects")" "0"
	assert_eq "$(sqlite3 ws/vault.db "SELECT count(*) FROM reject_raw")" "0"
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM records WHERE source_id=(SELECT id FROM sources WHERE name='jail')")" "0"
	assert_eq "$(sqlite3 ws/vault.db "SELECT count(*) FROM identities WHERE source_id=(SELECT 1)")" "0"
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM person_history WHERE event='withdrawn'")" "2"
	assert_eq "$(sqlite3 ws/braid.db "SELECT size FROM person WHERE person_id='$PID'")" "2"
	# The caseworker's view no longer has jail events.
	expect_exit 0 as cw "$CK" "$BRAID" client "$PID" --purpose reentry-referral
	assert_not_contains "$OUT" "jail_booking"
	assert_contains "$OUT" "shelter_stay"
	# A source withdrawal keeps no tokens: the agency may load again.
	expect_exit 0 "$BRAID" ingest jail "$FX/jail.csv"
	assert_contains "$OUT" "2 loaded"
}

test_loaded_stores_hold_no_planted_identifier() {
	setup
	"$BRAID" rejects jail >/dev/null 2>&1 || true
	"$BRAID" audit show > audit.txt
	as cw "$CK" "$BRAID" client "$PID" --purpose reentry-referral > view.txt
	no_planted ws/braid.db ws/braid.conf ws/audit.db ws/audit.db-wal audit.txt view.txt
	# ...but the vault does hold them, sealed: the linker reads them back.
	BRAID_USER=lin BRAID_KEY=$LK "$BRAID" export persons --out p.csv 2>/dev/null
	no_planted ws/vault.db
}

test_retention_destroys_what_the_agreement_names_once_due() {
	setup
	# A research agreement on jail that ended mid-2026 and asks for the
	# rows to go 30 days later; the CJIS agreement covers jail until
	# 2026-12-31.
	sed -e 's/^id: .*/id: jail-research-2026/' -e 's/^end: .*/end: 2026-06-30/' \
	    -e 's/^  what: .*/  what: [source_rows]/' -e 's/^  within_days: .*/  within_days: 30/' \
	    -e '/^  hmis:/d' "$EX/cjis-jail.yaml" > research.yaml
	"$BRAID" agreement add research.yaml >/dev/null
	expect_exit 0 "$BRAID" retention run --as-of 2026-07-30
	assert_contains "$OUT" "nothing due"
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM records")" "5"
	# Due, but the CJIS agreement still covers jail: kept.
	expect_exit 0 "$BRAID" retention run --as-of 2026-07-31
	assert_contains "$OUT" "jail-research-2026: due 2026-07-31: jail kept (agreement cjis-reentry-casework-2026 covers it)"
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM records")" "5"
	# Only an admin runs retention.
	expect_exit 6 as cw "$CK" "$BRAID" retention run --as-of 2027-02-01
	# Once the CJIS agreement has ended too, the rows go.
	expect_exit 0 "$BRAID" retention run --as-of 2027-02-14
	assert_contains "$OUT" "jail-research-2026: due 2026-07-31: jail: 2 records, 2 events, 0 rejects, identifiers, links destroyed"
	assert_contains "$OUT" "cjis-reentry-casework-2026: due 2027-01-01: exports: 0 release directories"
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM records")" "3"
	assert_eq "$(sqlite3 ws/vault.db "SELECT count(*) FROM identities")" "3"
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM person_record pr JOIN records r USING(record_key)")" "3"
	# Idempotent: a second run destroys nothing more.
	expect_exit 0 "$BRAID" retention run --as-of 2027-03-01
	assert_contains "$OUT" "jail-research-2026: destroyed before"
	assert_not_contains "$OUT" "records, "
	"$BRAID" audit show | grep -q "retention.*jail-research-2026.*allow" || fail "retention not audited"
	expect_exit 0 "$BRAID" audit verify
}

test_first_withdrawal_of_a_single_record_person_holds() {
	setup
	local p2; p2=$(grep '^hmis,H2,' persons.csv | cut -d, -f3)
	expect_exit 0 "$BRAID" withdraw --person "$p2"
	assert_contains "$OUT" "1 records"
	expect_exit 0 "$BRAID" ingest hmis "$FX/hmis.csv" --replace
	assert_contains "$OUT" "1 loaded + 0 rejected + 1 withdrawn"
}

test_key_rotate_keeps_data_and_retires_the_old_key() {
	setup
	local pid2; pid2=$(grep '^hmis,H2,' persons.csv | cut -d, -f3)
	"$BRAID" withdraw --person "$pid2" >/dev/null
	cp vault.key old.key
	expect_exit 6 as cw "$CK" "$BRAID" key rotate
	expect_exit 0 "$BRAID" key rotate
	assert_contains "$OUT" "4 identities"
	cmp -s vault.key old.key && fail "key file unchanged"
	[ ! -e vault.key.new ] || fail "vault.key.new left behind"
	# The linker still reads every identity, duplicate checks still see
	# loaded ids, and the withdrawn person is still refused at ingest.
	BRAID_USER=lin BRAID_KEY=$LK "$BRAID" export persons --out after.csv 2>/dev/null
	assert_eq "$(tail -n +2 after.csv | wc -l | tr -d ' ')" "4"
	expect_exit 5 "$BRAID" ingest jail "$FX/jail.csv"
	expect_exit 0 "$BRAID" ingest hmis "$FX/hmis.csv" --replace
	assert_contains "$OUT" "1 withdrawn"
	# The old key opens nothing.
	expect_exit 1 env BRAID_KEY_FILE="$PWD/old.key" BRAID_USER=lin BRAID_KEY=$LK "$BRAID" export persons --out x.csv
	assert_contains "$OUT" "does not decrypt"
	"$BRAID" audit show | grep -q "key-rotate.*allow" || fail "rotation not audited"
}

run_tests
