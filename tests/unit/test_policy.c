/*
 * The policy check: the role x action matrix (every role against every read
 * path, with no agreement, a covering one, an expired one and a revoked
 * one), and the reasons given for each way an agreement can fail to cover.
 */
#include "test.h"
#include "braid/policy.h"

static struct braid_agreement *ag(const char *id, const char *status, const char *use,
				  const char *covers, const char *sources, const char *start,
				  const char *end)
{
	char text[2048];
	snprintf(text, sizeof text,
		 "id: %s\ntitle: t\nstatus: %s\nparties: [City]\npurposes: [study]\n"
		 "legal_basis: [STATE]\nsources:\n%suse: %s\ncovers:\n%s"
		 "start: %s\nend: %s\ndestruction: {what: [exports], within_days: 0}\n"
		 "summary: s\n",
		 id, status, sources, use, covers, start, end);
	struct braid_agreement *a = NULL;
	struct braid_err err;
	if (braid_agreement_parse(text, strlen(text), "t.yaml", &a, &err))
		TEST_FAIL_("fixture agreement does not parse: %s:%ld:%ld: %s", err.file, err.line,
			   err.column, err.msg);
	return a;
}

#define JAIL "  jail: [jail_booking, start, facility, first_name, last_name, ssn, dob]\n"

static struct braid_user user(const char *name, enum braid_role r, const char *org)
{
	struct braid_user u;
	memset(&u, 0, sizeof u);
	snprintf(u.name, sizeof u.name, "%s", name);
	snprintf(u.org, sizeof u.org, "%s", org);
	u.role = r;
	return u;
}

/* The fields each read path touches in the matrix. */
static void request_for(enum braid_action a, struct braid_request *req)
{
	static const char *const src[] = {"jail"};
	static const struct braid_field_ref rowf[] = {{"jail", "jail_booking"}, {"jail", "start"}};
	static const struct braid_field_ref idf[] = {{"jail", "first_name"}, {"jail", "ssn"}};
	memset(req, 0, sizeof *req);
	req->action = a;
	req->purpose = "study";
	req->sources = src;
	req->nsources = 1;
	req->fields = a == BRAID_ACT_VAULT_READ ? idf : rowf;
	req->nfields = 2;
	req->persons = 1;
	req->date = "2026-06-01";
	req->query = "jail_booking in last 6 months";
}

enum scen { NONE, COVERING, EXPIRED, REVOKED, SCEN__COUNT };

TEST(policy_role_action_matrix)
{
	/* Expected with a covering linked-row agreement; every other scenario
	 * denies everything.  Columns: export, query-rows, query-counts,
	 * client-view, release, vault-read. */
	static const char *const allowed[BRAID_ROLE__COUNT] = {
		[BRAID_ROLE_ADMIN] = "AAADAD",
		[BRAID_ROLE_STEWARD] = "AAADDD",
		[BRAID_ROLE_LINKER] = "DAADDA",
		[BRAID_ROLE_ANALYST] = "AAADAD",
		[BRAID_ROLE_CASEWORKER] = "DDDADD",
		[BRAID_ROLE_CBO] = "DDADAD",
		[BRAID_ROLE_PUBLIC] = "DDDDAD",
	};
	int cells = 0, allows = 0;
	for (int r = 0; r < BRAID_ROLE__COUNT; r++) {
		struct braid_user u = user("u1", (enum braid_role)r, "Org A");
		for (int s = 0; s < SCEN__COUNT; s++) {
			struct braid_agreement *a = NULL;
			const char *cov = "  users: [u1]\n";
			if (s == COVERING)
				a = ag("cov", "active", "linked-row", cov, JAIL, "2026-01-01", "2026-12-31");
			else if (s == EXPIRED)
				a = ag("old", "active", "linked-row", cov, JAIL, "2025-01-01", "2025-12-31");
			else if (s == REVOKED) {
				a = ag("gone", "active", "linked-row", cov, JAIL, "2026-01-01", "2026-12-31");
				a->status = BRAID_AG_REVOKED;
				snprintf(a->revoked_on, sizeof a->revoked_on, "2026-03-01");
			}
			for (int act = 0; act < BRAID_ACT__COUNT; act++) {
				struct braid_request req;
				struct braid_decision d;
				struct braid_err err;
				request_for((enum braid_action)act, &req);
				braid_rc rc = braid_policy_check(&u, &a, a ? 1 : 0, &req, &d, &err);
				int want = s == COVERING && allowed[r][act] == 'A';
				if (d.allowed != want || (rc == BRAID_OK) != want)
					TEST_FAIL_("role %s, action %s, scenario %d: got %s (%s), want %s",
						   braid_role_name((enum braid_role)r),
						   braid_action_name((enum braid_action)act), s,
						   d.allowed ? "allow" : "deny", d.reason,
						   want ? "allow" : "deny");
				if (!want && (!d.reason[0] || err.code != BRAID_EDENIED))
					TEST_FAIL_("a denial without a reason");
				/* Where the role may act, the reason names the
				 * agreement's fault. */
				if (!want && allowed[r][act] == 'A') {
					const char *need = s == NONE ? "no agreement covers user 'u1'"
						: s == EXPIRED ? "agreement 'old' expired on 2025-12-31"
						: "agreement 'gone' was revoked on 2026-03-01";
					if (!strstr(d.reason, need))
						TEST_FAIL_("reason '%s' lacks '%s'", d.reason, need);
				}
				if (want) {
					ASSERT_STR_EQ(d.agreement, "cov");
					ASSERT_EQ(d.min_cell_size, 11);
					allows++;
				}
				cells++;
			}
			braid_agreement_free(a);
		}
	}
	ASSERT_EQ(cells, BRAID_ROLE__COUNT * BRAID_ACT__COUNT * SCEN__COUNT);
	ASSERT_EQ(allows, 18);
}

static braid_rc check1(const struct braid_user *u, struct braid_agreement *a,
		       const struct braid_request *req, struct braid_decision *d)
{
	return braid_policy_check(u, &a, 1, req, d, NULL);
}

TEST(policy_denies_a_field_the_agreement_does_not_list)
{
	struct braid_agreement *a = ag("a1", "active", "linked-row", "  users: [u1]\n", JAIL,
				       "2026-01-01", "2026-12-31");
	struct braid_user u = user("u1", BRAID_ROLE_ANALYST, "");
	struct braid_request req;
	struct braid_decision d;
	request_for(BRAID_ACT_QUERY_ROWS, &req);
	struct braid_field_ref f[] = {{"jail", "start"}, {"jail", "charge"}};
	req.fields = f;
	ASSERT_EQ(check1(&u, a, &req, &d), BRAID_EDENIED);
	ASSERT_STR_EQ(d.reason, "agreement 'a1' field 'jail.charge' not covered");
	braid_agreement_free(a);
}

TEST(policy_denies_a_source_the_agreement_does_not_list)
{
	struct braid_agreement *a = ag("a1", "active", "linked-row", "  users: [u1]\n", JAIL,
				       "2026-01-01", "2026-12-31");
	struct braid_user u = user("u1", BRAID_ROLE_ANALYST, "");
	struct braid_request req;
	struct braid_decision d;
	request_for(BRAID_ACT_QUERY_COUNTS, &req);
	const char *src[] = {"jail", "shelter"};
	req.sources = src;
	req.nsources = 2;
	ASSERT_EQ(check1(&u, a, &req, &d), BRAID_EDENIED);
	ASSERT_STR_EQ(d.reason, "agreement 'a1' source 'shelter' not covered");
	braid_agreement_free(a);
}

TEST(policy_denies_a_use_level_above_the_agreement)
{
	struct braid_agreement *a = ag("a1", "active", "aggregate", "  users: [u1]\n",
				       "  jail: [jail_booking, start]\n", "2026-01-01", "2026-12-31");
	struct braid_user u = user("u1", BRAID_ROLE_ANALYST, "");
	struct braid_request req;
	struct braid_decision d;
	request_for(BRAID_ACT_QUERY_COUNTS, &req);
	ASSERT_EQ(check1(&u, a, &req, &d), BRAID_OK);
	request_for(BRAID_ACT_QUERY_ROWS, &req);
	ASSERT_EQ(check1(&u, a, &req, &d), BRAID_EDENIED);
	ASSERT(strstr(d.reason, "use level too low: it permits aggregate, the action needs "
				"deidentified-row"));
	braid_agreement_free(a);
}

TEST(policy_deidentified_agreement_allows_deidentified_not_linked_rows)
{
	struct braid_agreement *a = ag("a1", "active", "deidentified-row", "  users: [u1]\n",
				       "  jail: [jail_booking, start]\n", "2026-01-01", "2026-12-31");
	struct braid_user u = user("u1", BRAID_ROLE_ANALYST, "");
	struct braid_request req;
	struct braid_decision d;
	request_for(BRAID_ACT_EXPORT, &req);
	ASSERT_EQ(check1(&u, a, &req, &d), BRAID_OK);
	ASSERT_EQ(d.use, BRAID_USE_DEIDENTIFIED);
	req.use = BRAID_USE_LINKED;
	ASSERT_EQ(check1(&u, a, &req, &d), BRAID_EDENIED);
	braid_agreement_free(a);
}

TEST(policy_denies_another_purpose)
{
	struct braid_agreement *a = ag("a1", "active", "linked-row", "  users: [u1]\n", JAIL,
				       "2026-01-01", "2026-12-31");
	struct braid_user u = user("u1", BRAID_ROLE_ANALYST, "");
	struct braid_request req;
	struct braid_decision d;
	request_for(BRAID_ACT_QUERY_COUNTS, &req);
	req.purpose = "marketing";
	ASSERT_EQ(check1(&u, a, &req, &d), BRAID_EDENIED);
	ASSERT_STR_EQ(d.reason, "no agreement covering user 'u1' names purpose 'marketing'");
	req.purpose = "Robert Smith 1970-01-01";
	ASSERT_EQ(check1(&u, a, &req, &d), BRAID_EDENIED);
	ASSERT(!strstr(d.reason, "Smith"));
	braid_agreement_free(a);
}

TEST(policy_covers_by_org_and_by_role)
{
	struct braid_agreement *a = ag("a1", "active", "linked-row", "  orgs: [Org A]\n", JAIL,
				       "2026-01-01", "2026-12-31");
	struct braid_agreement *b = ag("b1", "active", "aggregate", "  roles: [public]\n",
				       "  jail: [jail_booking, start]\n",
				       "2026-01-01", "2026-12-31");
	struct braid_request req;
	struct braid_decision d;
	request_for(BRAID_ACT_CLIENT_VIEW, &req);
	struct braid_user cw = user("c1", BRAID_ROLE_CASEWORKER, "Org A");
	ASSERT_EQ(check1(&cw, a, &req, &d), BRAID_OK);
	struct braid_user other = user("c2", BRAID_ROLE_CASEWORKER, "Org B");
	ASSERT_EQ(check1(&other, a, &req, &d), BRAID_EDENIED);
	ASSERT(strstr(d.reason, "no agreement covers user 'c2' (role caseworker, org 'Org B')"));
	request_for(BRAID_ACT_RELEASE, &req);
	struct braid_user pub = user("p1", BRAID_ROLE_PUBLIC, "");
	ASSERT_EQ(check1(&pub, b, &req, &d), BRAID_OK);
	ASSERT_STR_EQ(d.agreement, "b1");
	braid_agreement_free(a);
	braid_agreement_free(b);
}

TEST(policy_client_view_is_one_client_at_a_time)
{
	struct braid_agreement *a = ag("a1", "active", "linked-row", "  users: [c1]\n", JAIL,
				       "2026-01-01", "2026-12-31");
	struct braid_user cw = user("c1", BRAID_ROLE_CASEWORKER, "");
	struct braid_request req;
	struct braid_decision d;
	request_for(BRAID_ACT_CLIENT_VIEW, &req);
	req.persons = 2;
	ASSERT_EQ(check1(&cw, a, &req, &d), BRAID_EDENIED);
	ASSERT(strstr(d.reason, "one client at a time"));
	braid_agreement_free(a);
}

TEST(policy_two_agreements_do_not_combine)
{
	struct braid_agreement *ags[2] = {
		ag("j", "active", "linked-row", "  users: [u1]\n", "  jail: [start]\n",
		   "2026-01-01", "2026-12-31"),
		ag("s", "active", "linked-row", "  users: [u1]\n", "  shelter: [start]\n",
		   "2026-01-01", "2026-12-31"),
	};
	struct braid_user u = user("u1", BRAID_ROLE_ANALYST, "");
	struct braid_request req;
	struct braid_decision d;
	request_for(BRAID_ACT_QUERY_COUNTS, &req);
	const char *src[] = {"jail", "shelter"};
	struct braid_field_ref f[] = {{"jail", "start"}, {"shelter", "start"}};
	req.sources = src;
	req.nsources = 2;
	req.fields = f;
	req.nfields = 2;
	ASSERT_EQ(braid_policy_check(&u, ags, 2, &req, &d, NULL), BRAID_EDENIED);
	ASSERT(strstr(d.reason, "not covered"));
	req.nsources = 1;
	req.nfields = 1;
	ASSERT_EQ(braid_policy_check(&u, ags, 2, &req, &d, NULL), BRAID_OK);
	ASSERT_STR_EQ(d.agreement, "j");
	braid_agreement_free(ags[0]);
	braid_agreement_free(ags[1]);
}

TEST(policy_draft_and_pending_agreements_do_not_cover)
{
	struct braid_agreement *a = ag("d1", "draft", "linked-row", "  users: [u1]\n", JAIL,
				       "2026-01-01", "2026-12-31");
	struct braid_agreement *b = ag("p1", "active", "linked-row", "  users: [u1]\n", JAIL,
				       "2027-01-01", "2027-12-31");
	struct braid_user u = user("u1", BRAID_ROLE_ANALYST, "");
	struct braid_request req;
	struct braid_decision d;
	request_for(BRAID_ACT_QUERY_COUNTS, &req);
	ASSERT_EQ(check1(&u, a, &req, &d), BRAID_EDENIED);
	ASSERT_STR_EQ(d.reason, "agreement 'd1' is a draft, not in force");
	ASSERT_EQ(check1(&u, b, &req, &d), BRAID_EDENIED);
	ASSERT_STR_EQ(d.reason, "agreement 'p1' is not in force until 2027-01-01");
	braid_agreement_free(a);
	braid_agreement_free(b);
}

TEST(policy_requests_must_name_what_they_read)
{
	struct braid_agreement *a = ag("a1", "active", "linked-row", "  users: [u1]\n", JAIL,
				       "2026-01-01", "2026-12-31");
	struct braid_user u = user("u1", BRAID_ROLE_ANALYST, "");
	struct braid_request req;
	struct braid_decision d;
	request_for(BRAID_ACT_QUERY_ROWS, &req);
	req.nsources = 0;
	req.nfields = 0;
	ASSERT_EQ(check1(&u, a, &req, &d), BRAID_EDENIED);
	req.nsources = 1;
	req.purpose = NULL;
	ASSERT_EQ(check1(&u, a, &req, &d), BRAID_EDENIED);
	braid_agreement_free(a);
}

TEST(policy_names_round_trip)
{
	for (int r = 0; r < BRAID_ROLE__COUNT; r++)
		ASSERT_EQ(braid_role_by_name(braid_role_name((enum braid_role)r)), r);
	for (int a = 0; a < BRAID_ACT__COUNT; a++)
		ASSERT_EQ(braid_action_by_name(braid_action_name((enum braid_action)a)), a);
	ASSERT_EQ(braid_role_by_name("root"), -1);
	ASSERT_EQ(braid_use_by_name("linked-row"), BRAID_USE_LINKED);
	ASSERT(braid_iso_date_valid("2024-02-29"));
	ASSERT(!braid_iso_date_valid("2023-02-29"));
	ASSERT(!braid_iso_date_valid("2023-13-01"));
}

TEST(policy_keys_verify_only_their_own_hash)
{
	char key[BRAID_KEY_LEN + 1], hash[BRAID_KEY_HASH_LEN];
	ASSERT_EQ(braid_key_new(key, hash, NULL), BRAID_OK);
	ASSERT_EQ(strlen(key), BRAID_KEY_LEN);
	ASSERT(!strncmp(key, "bk_", 3));
	ASSERT(strstr(hash, "$argon2id$"));
	ASSERT(!strstr(hash, key + 3));
	ASSERT_EQ(braid_key_verify(key, hash, NULL), BRAID_OK);
	char wrong[BRAID_KEY_LEN + 1];
	memcpy(wrong, key, sizeof wrong);
	wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
	ASSERT_EQ(braid_key_verify(wrong, hash, NULL), BRAID_EDENIED);
	ASSERT_EQ(braid_key_verify(key, NULL, NULL), BRAID_EDENIED);
}

TEST(policy_user_names_are_checked)
{
	ASSERT_EQ(braid_user_name_check("ana.r-2", NULL), BRAID_OK);
	ASSERT_EQ(braid_user_name_check("", NULL), BRAID_EINVAL);
	ASSERT_EQ(braid_user_name_check("-x", NULL), BRAID_EINVAL);
	ASSERT_EQ(braid_user_name_check("a b", NULL), BRAID_EINVAL);
	ASSERT_EQ(braid_user_org_check("Office of Homeless Services", NULL), BRAID_OK);
	ASSERT_EQ(braid_user_org_check("a\nb", NULL), BRAID_EINVAL);
}
