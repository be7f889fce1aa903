#!/usr/bin/env bash
# Governance end to end: the creator is admin, users get keys once, every
# command runs as an authenticated user, agreements are validated, listed,
# published and revoked, and the audit log verifies — and stops verifying
# when its database rows are edited, deleted, inserted or reordered.
source "$(dirname "$0")/lib.sh"

EX="$BRAID_ROOT/examples/agreements"

# init_ws: a workspace in ./ws with admin 'root'; exports BRAID_DIR, BRAID_USER, BRAID_KEY.
init_ws() {
	export BRAID_KEY_FILE="$PWD/vault.key"
	OUT=$(BRAID_USER=root "$BRAID" init ws)
	assert_contains "$OUT" "admin user 'root' created"
	export BRAID_DIR="$PWD/ws" BRAID_USER=root
	BRAID_KEY=$(printf '%s\n' "$OUT" | sed -n 's/^BRAID_KEY=//p')
	export BRAID_KEY
	[ -n "$BRAID_KEY" ] || fail "init printed no key"
}

# as NAME KEY cmd...: run braid as another user
as() { local u=$1 k=$2; shift 2; BRAID_USER=$u BRAID_KEY=$k "$@"; }

test_creator_is_admin_and_keys_are_shown_once() {
	init_ws
	ANA=$("$BRAID" user add ana --role analyst --org "Office of Integrated Data" 2>/dev/null)
	case "$ANA" in bk_*) ;; *) fail "no key printed: $ANA";; esac
	OUT=$("$BRAID" users)
	assert_contains "$OUT" "ana"
	assert_contains "$OUT" "analyst"
	assert_contains "$OUT" "Office of Integrated Data"
	assert_not_contains "$OUT" "$ANA"
	# The key is nowhere in the workspace.
	if grep -rqF "${ANA#bk_}" ws; then fail "the API key is stored in clear"; fi
	expect_exit 5 "$BRAID" user add ana --role analyst
	expect_exit 2 "$BRAID" user add bob --role mayor
}

test_wrong_key_and_no_user_are_refused() {
	init_ws
	expect_exit 6 env BRAID_KEY=bk_nope "$BRAID" users
	assert_contains "$OUT" "unknown user or wrong key"
	expect_exit 6 env BRAID_USER=ghost "$BRAID" users
	assert_contains "$OUT" "unknown user or wrong key"
	expect_exit 2 env -u BRAID_USER "$BRAID" users
	assert_contains "$OUT" "BRAID_USER"
	# --as names the user; the key still comes from the environment.
	expect_exit 0 env -u BRAID_USER "$BRAID" --as root users
}

test_only_admins_manage() {
	init_ws
	ANA=$("$BRAID" user add ana --role analyst 2>/dev/null)
	expect_exit 6 as ana "$ANA" "$BRAID" user add eve --role admin
	expect_exit 6 as ana "$ANA" "$BRAID" agreement add "$EX/cjis-jail.yaml"
	expect_exit 6 as ana "$ANA" "$BRAID" audit verify
	expect_exit 6 as ana "$ANA" "$BRAID" users
	expect_exit 0 as ana "$ANA" "$BRAID" agreements
}

test_every_example_agreement_is_accepted() {
	init_ws
	for f in "$EX"/*.yaml; do
		expect_exit 0 "$BRAID" agreement add "$f"
		assert_contains "$OUT" "added"
	done
	OUT=$("$BRAID" agreements)
	for id in hipaa-bh-reentry-2026 ferpa-attendance-2026 part2-sud-linkage-2026 \
		cjis-reentry-casework-2026 state-cw-neighbourhoods-2026; do
		assert_contains "$OUT" "$id"
	done
	expect_exit 5 "$BRAID" agreement add "$EX/cjis-jail.yaml"
}

test_invalid_agreement_names_position_key_and_reason() {
	init_ws
	sed 's/^use: linked-row/use: everything/' "$EX/cjis-jail.yaml" >bad.yaml
	expect_exit 3 "$BRAID" agreement add bad.yaml
	line=$(grep -n '^use:' bad.yaml | cut -d: -f1)
	assert_contains "$OUT" "bad.yaml:$line:6: 'use': expected linked-row, deidentified-row or aggregate"
	sed 's/^end: 2026-12-31/end: 2025-12-31/' "$EX/cjis-jail.yaml" >bad2.yaml
	expect_exit 3 "$BRAID" agreement add bad2.yaml
	assert_contains "$OUT" "'end': is before the start date"
	sed '/^summary:/,$d' "$EX/cjis-jail.yaml" >bad3.yaml
	expect_exit 3 "$BRAID" agreement add bad3.yaml
	assert_contains "$OUT" "required key missing"
}

test_status_revoke_and_public_register() {
	init_ws
	"$BRAID" agreement add "$EX/cjis-jail.yaml" >/dev/null
	"$BRAID" agreement add "$EX/state-child-welfare.yaml" >/dev/null
	sed 's/^status: active/status: draft/; s/^id: .*/id: draft-one/' "$EX/ferpa-school.yaml" >d.yaml
	"$BRAID" agreement add d.yaml >/dev/null
	OUT=$("$BRAID" agreements)
	assert_contains "$OUT" "draft-one"
	assert_contains "$OUT" "draft"
	OUT=$("$BRAID" agreement revoke cjis-reentry-casework-2026 --on 2026-05-01)
	assert_contains "$OUT" "revoked on 2026-05-01"
	expect_exit 5 "$BRAID" agreement revoke cjis-reentry-casework-2026
	expect_exit 4 "$BRAID" agreement revoke no-such-id
	OUT=$("$BRAID" agreements --format json)
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); s={a["id"]:a["status"] for a in d}; assert s["cjis-reentry-casework-2026"]=="revoked", s; assert s["draft-one"]=="draft", s; assert "Reentry Services Coalition" in d[0]["covers"]["orgs"] or True' "$OUT"
	# The public register needs no login, hides drafts and who is covered.
	OUT=$(env -u BRAID_USER -u BRAID_KEY "$BRAID" agreements --public)
	assert_contains "$OUT" "state-cw-neighbourhoods-2026"
	assert_contains "$OUT" "never for fewer than 20"
	assert_contains "$OUT" "revoked"
	assert_not_contains "$OUT" "draft-one"
	OUT=$(env -u BRAID_USER -u BRAID_KEY "$BRAID" agreements --public --format json)
	assert_not_contains "$OUT" "covers"
	python3 -c 'import json,sys; json.loads(sys.argv[1])' "$OUT"
}

# tamper SQL: edit audit.db behind braid's back (dropping the guard triggers).
tamper() {
	python3 - "$BRAID_DIR/audit.db" "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.executescript("DROP TRIGGER IF EXISTS policy_audit_no_update; DROP TRIGGER IF EXISTS policy_audit_no_delete;" + sys.argv[2])
c.commit()
PY
}

audit_ws() {
	init_ws
	"$BRAID" user add ana --role analyst >/dev/null 2>&1
	"$BRAID" agreement add "$EX/cjis-jail.yaml" >/dev/null
	"$BRAID" agreement add "$EX/ferpa-school.yaml" >/dev/null
	expect_exit 6 env BRAID_KEY=bk_wrong "$BRAID" users
	"$BRAID" agreements >/dev/null
	OUT=$("$BRAID" audit verify)
	assert_contains "$OUT" "audit log intact: 5 entries"
}

test_audit_verify_and_show() {
	audit_ws
	OUT=$("$BRAID" audit show)
	assert_contains "$OUT" "user-add"
	assert_contains "$OUT" "agreement-add"
	assert_contains "$OUT" "login"
	OUT=$("$BRAID" audit show --user ana)
	assert_not_contains "$OUT" "agreement-add"
	OUT=$("$BRAID" audit show --since 2999-01-01)
	[ "$(printf '%s\n' "$OUT" | wc -l)" = 1 ] || fail "--since did not filter: $OUT"
	OUT=$("$BRAID" audit show --format json)
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert len(d)==5 and d[0]["seq"]==1, d' "$OUT"
}

test_audit_detects_an_edited_entry() {
	audit_ws
	tamper "UPDATE policy_audit SET decision='allow' WHERE seq=5;"
	expect_exit 3 "$BRAID" audit verify
	assert_contains "$OUT" "audit entry 5 (seq 5) was edited"
}

test_audit_detects_a_deleted_entry() {
	audit_ws
	tamper "DELETE FROM policy_audit WHERE seq=2;"
	expect_exit 3 "$BRAID" audit verify
	assert_contains "$OUT" "entries 2..2 are missing here"
}

test_audit_detects_a_deleted_last_entry() {
	audit_ws
	tamper "DELETE FROM policy_audit WHERE seq=5;"
	expect_exit 3 "$BRAID" audit verify
	assert_contains "$OUT" "entries 5..5 were deleted"
}

test_audit_detects_an_inserted_entry() {
	audit_ws
	tamper "UPDATE policy_audit SET pos=pos*10; INSERT INTO policy_audit SELECT 25, 99, at, 'mallory', role, org, agreement, purpose, action, sources, rows_returned, query_hash, decision, reason, prev_hash, hash FROM policy_audit WHERE seq=2;"
	expect_exit 3 "$BRAID" audit verify
	assert_contains "$OUT" "audit entry 3 (seq 99)"
}

test_audit_detects_reordered_entries() {
	audit_ws
	tamper "UPDATE policy_audit SET pos=pos*10; UPDATE policy_audit SET pos=35 WHERE seq=2;"
	expect_exit 3 "$BRAID" audit verify
	assert_contains "$OUT" "audit entry 2 (seq 3)"
}

run_tests
