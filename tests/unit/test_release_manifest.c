/*
 * The release manifest: methods and parameters, suppressed and perturbed
 * cells by id, and a content hash that matches the published bytes.
 */
#include "test.h"
#include "braid/release.h"

#include <jansson.h>
#include <sodium.h>

static const char *R3[] = {"t1", "t2", "t3"};
static const char *C3[] = {"a", "b", "c"};

TEST(release_manifest_describes_a_suppressed_table)
{
	struct braid_err err;
	struct braid_cellset *cs = braid_cellset_new();
	int64_t v[] = {3, 20, 30, 14, 25, 40, 11, 17, 19};
	ASSERT_EQ(braid_cellset_add_table2(cs, "T", 3, R3, 3, C3, v, &err), BRAID_OK);
	struct braid_protect_opts o = {.min_cell = 11};
	struct braid_audit a;
	braid_audit_init(&a);
	ASSERT_EQ(braid_release_protect(cs, &o, NULL, &a, &err), BRAID_OK);
	struct braid_buf csv;
	braid_buf_init(&csv, 0);
	ASSERT_EQ(braid_cellset_csv(cs, &csv), BRAID_OK);
	const char *src[] = {"dhs_shelter", "prison_bookings"};
	struct braid_manifest m = {
		.query = "count people by tract and category", .sources = src, .nsources = 2,
		.agreement = "DSA-2026-004", .created = 1764066000, .protect = &o, .audit = &a,
		.code_5_95 = 1, .min_denominator = 50,
	};
	char *js = NULL;
	ASSERT_EQ(braid_manifest_json(&m, cs, csv.data, csv.len, &js, &err), BRAID_OK);
	json_error_t je;
	json_t *root = json_loads(js, 0, &je);
	ASSERT(root);
	ASSERT_STR_EQ(json_string_value(json_object_get(root, "agreement")), "DSA-2026-004");
	ASSERT_STR_EQ(json_string_value(json_object_get(root, "created")), "2025-11-25T10:20:00Z");
	ASSERT_EQ(json_array_size(json_object_get(root, "sources")), 2);
	json_t *meth = json_object_get(root, "methods");
	ASSERT_EQ(json_integer_value(json_object_get(json_object_get(meth, "primary_suppression"),
						     "min_cell")), 11);
	json_t *aud = json_object_get(json_object_get(meth, "complementary_suppression"), "audit");
	ASSERT_EQ(json_integer_value(json_object_get(aud, "cells_failed")), 0);
	ASSERT(json_is_true(json_object_get(json_object_get(meth, "percentages"), "coded_5_95")));
	/* the public copy lists suppressed ids only: saying which one is
	 * primary would tell readers it is below 11 */
	json_t *sup = json_object_get(root, "suppressed");
	size_t i, nprim = 0;
	json_t *e;
	ASSERT(json_array_size(sup) >= 4);
	json_array_foreach(sup, i, e) {
		ASSERT(json_is_string(e));
		const char *id = json_string_value(e);
		ASSERT(braid_cellset_cell(cs, braid_cellset_find(cs, id))->status != BRAID_CELL_SHOWN);
	}
	ASSERT(!strstr(js, "primary\""));
	ASSERT_STR_EQ(json_string_value(json_object_get(root, "copy")), "public");
	/* the steward's internal copy has the reasons */
	m.internal = 1;
	char *jsi = NULL;
	ASSERT_EQ(braid_manifest_json(&m, cs, csv.data, csv.len, &jsi, &err), BRAID_OK);
	json_t *ri = json_loads(jsi, 0, &je);
	ASSERT(ri);
	json_array_foreach(json_object_get(ri, "suppressed"), i, e) {
		const char *id = json_string_value(json_object_get(e, "cell"));
		const char *why = json_string_value(json_object_get(e, "reason"));
		if (!strcmp(why, "primary")) {
			ASSERT_STR_EQ(id, "T|t1|a");
			nprim++;
		}
	}
	ASSERT_EQ(nprim, 1);
	json_decref(ri);
	free(jsi);
	m.internal = 0;
	/* the hash is BLAKE2b-256 of the very bytes published */
	unsigned char h[32];
	char hex[65];
	ASSERT(sodium_init() >= 0);
	crypto_generichash(h, 32, (const unsigned char *)csv.data, csv.len, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, 32);
	json_t *ch = json_object_get(root, "content_hash");
	ASSERT_STR_EQ(json_string_value(json_object_get(ch, "hex")), hex);
	/* and hashing from the cellset gives the same */
	char *js2 = NULL;
	ASSERT_EQ(braid_manifest_json(&m, cs, NULL, 0, &js2, &err), BRAID_OK);
	ASSERT(strstr(js2, hex));
	/* a changed table no longer matches */
	csv.data[csv.len - 2] ^= 1;
	char *js3 = NULL;
	ASSERT_EQ(braid_manifest_json(&m, cs, csv.data, csv.len, &js3, &err), BRAID_OK);
	ASSERT(!strstr(js3, hex));
	free(js);
	free(js2);
	free(js3);
	json_decref(root);
	braid_buf_release(&csv);
	braid_audit_release(&a);
	braid_cellset_free(cs);
}

TEST(release_manifest_records_epsilon_and_perturbed_cells)
{
	struct braid_err err;
	struct braid_cellset *cs = braid_cellset_new();
	int64_t v[] = {3, 20, 30, 14, 25, 40, 11, 17, 19};
	ASSERT_EQ(braid_cellset_add_table2(cs, "T", 3, R3, 3, C3, v, &err), BRAID_OK);
	struct braid_rng r;
	struct braid_budget b;
	braid_rng_init_seeded(&r, 1);
	braid_budget_init(&b, "DSA-9", 2.0);
	struct braid_noise_opts n = {.mech = BRAID_NOISE_DGAUSS, .epsilon = 0.7, .delta = 1e-6};
	double scale;
	ASSERT_EQ(braid_release_add_noise(cs, &n, &b, &r, &scale, &err), BRAID_OK);
	struct braid_manifest m = {.query = "q", .agreement = "DSA-9", .noise = &n,
				   .noise_scale = scale};
	char *js = NULL;
	ASSERT_EQ(braid_manifest_json(&m, cs, NULL, 0, &js, &err), BRAID_OK);
	json_t *root = json_loads(js, 0, NULL);
	ASSERT(root);
	json_t *nz = json_object_get(json_object_get(root, "methods"), "noise");
	ASSERT_STR_EQ(json_string_value(json_object_get(nz, "mechanism")), "discrete_gaussian");
	ASSERT_NEAR(json_real_value(json_object_get(nz, "epsilon")), 0.7, 1e-12);
	ASSERT_NEAR(json_real_value(json_object_get(nz, "delta")), 1e-6, 1e-18);
	ASSERT_NEAR(json_real_value(json_object_get(nz, "scale")), scale, 1e-9);
	ASSERT_EQ(json_integer_value(json_object_get(root, "perturbed_count")), 16);
	ASSERT_EQ(json_integer_value(json_object_get(root, "suppressed_count")), 0);
	json_decref(root);
	free(js);
	/* invalid UTF-8 in the query is refused, not silently dropped */
	m.query = "caf\xe9";
	ASSERT_EQ(braid_manifest_json(&m, cs, NULL, 0, &js, &err), BRAID_EUTF8);
	braid_cellset_free(cs);
}
