/*
 * The audit log's hash chain: an intact chain verifies; an edited, deleted,
 * inserted or reordered entry is found and named; so is a truncated tail.
 */
#include "test.h"
#include "braid/policy.h"

#define N 6

static void build(struct braid_audit_entry *e)
{
	struct braid_user u;
	memset(&u, 0, sizeof u);
	snprintf(u.name, sizeof u.name, "ana");
	u.role = BRAID_ROLE_ANALYST;
	const char *src[] = {"jail", "shelter"};
	for (int i = 0; i < N; i++) {
		struct braid_request req = {.action = BRAID_ACT_QUERY_COUNTS, .purpose = "study",
					    .sources = src, .nsources = 2, .query = "q"};
		struct braid_decision d = {.allowed = i % 2};
		snprintf(d.agreement, sizeof d.agreement, "ag%d", i);
		if (!d.allowed)
			snprintf(d.reason, sizeof d.reason, "no agreement");
		braid_audit_fill(&e[i], &u, &req, &d, 100 + i);
		braid_audit_seal(&e[i], i ? e[i - 1].seq : 0, i ? e[i - 1].hash : "");
	}
}

/* Verify entries; return the 1-based position of the first failure (0 when
 * the chain and head are intact) and the message in msg. */
static int verify(const struct braid_audit_entry *e, int n, int64_t head_seq,
		  const char *head_hash, char *msg)
{
	struct braid_audit_verifier v;
	struct braid_err err;
	braid_audit_verifier_init(&v);
	msg[0] = 0;
	for (int i = 0; i < n; i++)
		if (braid_audit_verify_next(&v, &e[i], &err)) {
			snprintf(msg, 512, "%s", err.msg);
			return i + 1;
		}
	if (braid_audit_verify_end(&v, head_seq, head_hash, &err)) {
		snprintf(msg, 512, "%s", err.msg);
		return n + 1;
	}
	return 0;
}

TEST(audit_intact_chain_verifies)
{
	struct braid_audit_entry e[N];
	char msg[512];
	build(e);
	ASSERT_EQ(e[0].seq, 1);
	ASSERT_STR_EQ(e[0].prev_hash, "");
	ASSERT_STR_EQ(e[1].prev_hash, e[0].hash);
	ASSERT_STR_EQ(e[2].sources, "jail,shelter");
	ASSERT_EQ(e[0].rows, -1); /* denied: no rows */
	ASSERT_EQ(e[1].rows, 101);
	ASSERT_EQ(strlen(e[1].query_hash), 64);
	ASSERT_EQ(verify(e, N, N, e[N - 1].hash, msg), 0);
}

TEST(audit_detects_an_edited_entry)
{
	struct braid_audit_entry e[N];
	char msg[512];
	build(e);
	e[2].rows = 5;
	ASSERT_EQ(verify(e, N, N, e[N - 1].hash, msg), 3);
	ASSERT(strstr(msg, "audit entry 3 (seq 3) was edited"));
}

TEST(audit_detects_an_edited_entry_whose_hash_was_recomputed)
{
	struct braid_audit_entry e[N];
	char msg[512];
	build(e);
	snprintf(e[2].decision, sizeof e[2].decision, "allow");
	braid_audit_hash(&e[2], e[2].hash);
	ASSERT_EQ(verify(e, N, N, e[N - 1].hash, msg), 4);
	ASSERT(strstr(msg, "does not follow"));
}

TEST(audit_detects_a_deleted_entry)
{
	struct braid_audit_entry e[N];
	char msg[512];
	build(e);
	memmove(&e[2], &e[3], (N - 3) * sizeof e[0]);
	ASSERT_EQ(verify(e, N - 1, N, e[N - 2].hash, msg), 3);
	ASSERT(strstr(msg, "entries 3..3 are missing here (deleted, or moved later)"));
}

TEST(audit_detects_deletion_of_the_newest_entries)
{
	struct braid_audit_entry e[N];
	char msg[512];
	build(e);
	char head[BRAID_HASH_HEX];
	memcpy(head, e[N - 1].hash, sizeof head);
	ASSERT_EQ(verify(e, N - 2, N, head, msg), N - 1);
	ASSERT(strstr(msg, "entries 5..6 were deleted"));
}

TEST(audit_detects_an_inserted_entry)
{
	struct braid_audit_entry e[N + 1];
	char msg[512];
	build(e);
	/* A forged entry carrying the next sequence number and a valid hash,
	 * slipped in after entry 2: the entry after it no longer follows. */
	memmove(&e[3], &e[2], (N - 2) * sizeof e[0]);
	e[2] = e[1];
	snprintf(e[2].user, sizeof e[2].user, "mallory");
	braid_audit_seal(&e[2], e[1].seq, e[1].hash);
	ASSERT_EQ(verify(e, N + 1, N, e[N].hash, msg), 4);
	ASSERT(strstr(msg, "audit entry 4 (seq 3) is out of order or repeated"));
}

TEST(audit_detects_reordered_entries)
{
	struct braid_audit_entry e[N], t;
	char msg[512];
	build(e);
	t = e[3];
	e[3] = e[4];
	e[4] = t;
	ASSERT_EQ(verify(e, N, N, e[N - 1].hash, msg), 4);
	ASSERT(strstr(msg, "seq 5"));
}

TEST(audit_detects_a_changed_head)
{
	struct braid_audit_entry e[N];
	char msg[512];
	build(e);
	ASSERT_EQ(verify(e, N, N, e[N - 2].hash, msg), N + 1);
	ASSERT(strstr(msg, "head does not match"));
}
