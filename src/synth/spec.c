/*
 * spec.c — the demo city's paperwork: one source spec per source (in the
 * format of docs/spec-format.md, matching the columns city.c writes), the
 * city's README, and truth/errors.json (each source's configured error
 * rates after --error-scale, the expected share of records whose first
 * name, last name, date of birth or SSN differs from the truth, and the
 * counts of errors actually applied).
 *
 * The specs are fixed text: the sources' formats do not depend on the
 * options, only their contents do.
 */
#include "city_int.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

static const char *const spec_text[S__N] = {
	/* jail */
	"source: jail\n"
	"title: County jail bookings\n"
	"steward: Department of Prisons\n"
	"regime: CJIS\n"
	"kind: person\n"
	"id: PID\n"
	"rows: event\n"
	"fields:\n"
	"  last_name: LAST_NAME\n"
	"  first_name: FIRST_NAME\n"
	"  middle_name: MIDDLE_NAME\n"
	"  suffix: SUFFIX\n"
	"  dob: {column: DOB, format: \"%m/%d/%Y\"}\n"
	"  sex: SEX\n"
	"  race: {column: RACE, map: {W: white, B: black, A: asian, I: aian, P: nhpi, O: other}}\n"
	"  ethnicity: {column: HISPANIC, map: {Y: hispanic, N: not_hispanic}}\n"
	"  ssn: SSN\n"
	"  address: ADDRESS\n"
	"  zip: ZIP\n"
	"events:\n"
	"  - type: jail_booking\n"
	"    start: {column: BOOK_DATE, format: \"%m/%d/%Y\"}\n"
	"    end: {column: RELEASE_DATE, format: \"%m/%d/%Y\"}\n"
	"    program: RELEASE_PROGRAM\n"
	"    provider: FACILITY\n"
	"    attributes:\n"
	"      booking_no: BOOKING_NO\n"
	"      charge: CHARGE\n",
	/* hmis */
	"source: hmis\n"
	"title: Homeless services (HUD HMIS CSV)\n"
	"steward: Office of Homeless Services\n"
	"regime: STATE\n"
	"kind: person\n"
	"id: PersonalID\n"
	"rows: event\n"
	"fields:\n"
	"  first_name: FirstName\n"
	"  middle_name: MiddleName\n"
	"  last_name: LastName\n"
	"  suffix: NameSuffix\n"
	"  ssn: SSN\n"
	"  dob: {column: DOB, format: \"%Y-%m-%d\"}\n"
	"  race: {column: Race, map: {\"1\": aian, \"2\": asian, \"3\": black, \"4\": nhpi, \"5\": white}, "
	"missing: [\"8\", \"9\", \"99\"]}\n"
	"  ethnicity: {column: Ethnicity, map: {\"0\": not_hispanic, \"1\": hispanic}}\n"
	"  sex: {column: Gender, map: {\"0\": F, \"1\": M}}\n"
	"  zip: LastPermanentZIP\n"
	"events:\n"
	"  - type: shelter_stay\n"
	"    start: {column: EntryDate, format: \"%Y-%m-%d\"}\n"
	"    end: {column: ExitDate, format: \"%Y-%m-%d\"}\n"
	"    program: ProjectType\n"
	"    attributes:\n"
	"      enrollment_id: EnrollmentID\n",
	/* bh_claims */
	"source: bh_claims\n"
	"title: Behavioral health Medicaid claims\n"
	"steward: Community Behavioral Health\n"
	"regime: PART2\n"
	"kind: person\n"
	"id: MEMBER_ID\n"
	"rows: event\n"
	"fields:\n"
	"  other_id: MA_RECIP_ID\n"
	"  last_name: MBR_LAST\n"
	"  first_name: MBR_FIRST\n"
	"  dob: {column: MBR_DOB, format: \"%Y%m%d\"}\n"
	"  sex: {column: MBR_GENDER, map: {\"1\": M, \"2\": F}}\n"
	"  ssn: MBR_SSN\n"
	"  zip: MBR_ZIP\n"
	"events:\n"
	"  - type: mh_service\n"
	"    start: {column: SERVICE_DATE, format: \"%Y%m%d\"}\n"
	"    program: PROC_CODE\n"
	"    provider: PROVIDER_ID\n"
	"    amount: PAID_AMT\n"
	"    attributes:\n"
	"      claim_id: CLAIM_ID\n"
	"      dx_category: DX_CATEGORY\n",
	/* school */
	"source: school\n"
	"title: School district enrollment\n"
	"steward: School District\n"
	"regime: FERPA\n"
	"kind: person\n"
	"id: STUDENT_ID\n"
	"rows: event\n"
	"fields:\n"
	"  last_name: LAST_NAME\n"
	"  first_name: FIRST_NAME\n"
	"  middle_name: MIDDLE_NAME\n"
	"  dob: {column: BIRTH_DATE, format: \"%m/%d/%Y\"}\n"
	"  sex: GENDER\n"
	"  race: {column: ETHNICITY, map: {\"1\": aian, \"2\": asian, \"3\": black, \"5\": white, "
	"\"6\": multiple, \"7\": nhpi, \"8\": other}, missing: [\"4\"]}\n"
	"  ethnicity: {column: ETHNICITY, map: {\"4\": hispanic, \"1\": not_hispanic, \"2\": not_hispanic, "
	"\"3\": not_hispanic, \"5\": not_hispanic, \"6\": not_hispanic, \"7\": not_hispanic, \"8\": not_hispanic}}\n"
	"  address: HOME_ADDRESS\n"
	"  unit: APT\n"
	"  zip: ZIP\n"
	"events:\n"
	"  - type: school_enrollment\n"
	"    start: {column: ENTRY_DATE, format: \"%m/%d/%Y\"}\n"
	"    end: {column: WITHDRAW_DATE, format: \"%m/%d/%Y\"}\n"
	"    program: GRADE\n"
	"    provider: SCHOOL_CODE\n"
	"    attributes:\n"
	"      school_year: SCHOOL_YEAR\n",
	/* dhs */
	"source: dhs\n"
	"title: SNAP and Medicaid enrollment (state human services)\n"
	"steward: State Department of Human Services\n"
	"regime: STATE\n"
	"kind: person\n"
	"id: CASE_NO\n"
	"rows: event\n"
	"fields:\n"
	"  other_id: RECIP_NO\n"
	"  last_name: LNAME\n"
	"  first_name: FNAME\n"
	"  middle_name: MI\n"
	"  suffix: SFX\n"
	"  dob: {column: BIRTH_DT, format: \"%m/%d/%Y\"}\n"
	"  sex: SEX\n"
	"  ssn: SSN\n"
	"  race: {column: RACE, map: {\"1\": white, \"2\": black, \"3\": asian, \"4\": aian, \"5\": nhpi, "
	"\"6\": other, \"7\": multiple}}\n"
	"  ethnicity: {column: HISP, map: {Y: hispanic, N: not_hispanic}}\n"
	"  address: ADDR_LINE1\n"
	"  city: CITY\n"
	"  zip: ZIP\n"
	"events:\n"
	"  - type: benefit_enrollment\n"
	"    start: {column: BEGIN_DT, format: \"%m/%d/%Y\"}\n"
	"    end: {column: END_DT, format: \"%m/%d/%Y\"}\n"
	"    program: PROGRAM\n",
	/* liheap */
	"source: liheap\n"
	"title: LIHEAP heating assistance grants\n"
	"steward: State Department of Human Services\n"
	"regime: STATE\n"
	"kind: person\n"
	"id: APPLICATION_NO\n"
	"rows: person\n"
	"fields:\n"
	"  full_name: APPLICANT_NAME\n"
	"  dob: {column: DOB, format: \"%m/%d/%Y\"}\n"
	"  ssn: SSN\n"
	"  address: ADDRESS\n"
	"  unit: APT\n"
	"  city: CITY\n"
	"  zip: ZIP\n"
	"  phone: PHONE\n"
	"events:\n"
	"  - type: liheap_grant\n"
	"    start: {column: GRANT_DATE, format: \"%m/%d/%Y\"}\n"
	"    amount: GRANT_AMOUNT\n"
	"    program: FUEL_TYPE\n"
	"    attributes:\n"
	"      household_size: HOUSEHOLD_SIZE\n"
	"      grant_type: GRANT_TYPE\n",
	/* water */
	"source: water\n"
	"title: Water billing accounts\n"
	"steward: Water Revenue Bureau\n"
	"regime: NONE\n"
	"kind: account\n"
	"id: ACCOUNT_NO\n"
	"rows: event\n"
	"fields:\n"
	"  last_name: CUST_LAST\n"
	"  first_name: CUST_FIRST\n"
	"  address: SERVICE_ADDRESS\n"
	"  zip: ZIP\n"
	"  phone: PHONE\n"
	"events:\n"
	"  - type: water_status\n"
	"    start: {column: STATUS_DATE, format: \"%Y-%m-%d\"}\n"
	"    program: STATUS\n"
	"    amount: BALANCE_DUE\n",
	/* tap */
	"source: tap\n"
	"title: Water assistance (Tiered Assistance Program) enrollment\n"
	"steward: Water Revenue Bureau\n"
	"regime: NONE\n"
	"kind: person\n"
	"id: TAP_ID\n"
	"rows: person\n"
	"fields:\n"
	"  first_name: FIRST_NAME\n"
	"  last_name: LAST_NAME\n"
	"  dob: {column: DOB, format: auto}   # mostly %Y-%m-%d, some %m/%d/%Y\n"
	"  phone: PHONE\n"
	"  address: ADDRESS\n"
	"  zip: ZIP\n"
	"events:\n"
	"  - type: water_assistance\n"
	"    start: {column: ENROLL_DATE, format: \"%Y-%m-%d\"}\n"
	"    end: {column: END_DATE, format: \"%Y-%m-%d\"}\n"
	"    attributes:\n"
	"      account_no: ACCOUNT_NO\n"
	"      household_size: HOUSEHOLD_SIZE\n"
	"      monthly_income: MONTHLY_INCOME\n",
	/* child_welfare */
	"source: child_welfare\n"
	"title: Child welfare involvement\n"
	"steward: Department of Human Services, Children and Youth\n"
	"regime: STATE\n"
	"kind: person\n"
	"id: CLIENT_ID\n"
	"rows: event\n"
	"fields:\n"
	"  first_name: FIRST\n"
	"  middle_name: MIDDLE\n"
	"  last_name: LAST\n"
	"  dob: {column: DOB, format: \"%d-%b-%Y\"}\n"
	"  sex: SEX\n"
	"  race: {column: RACE, map: {W: white, B: black, A: asian, I: aian, P: nhpi, O: other, M: multiple}}\n"
	"  ethnicity: {column: HISPANIC, map: {Y: hispanic, N: not_hispanic}}\n"
	"  address: ADDRESS\n"
	"  zip: ZIP\n"
	"events:\n"
	"  - type: cw_referral\n"
	"    start: {column: REFERRAL_DATE, format: \"%d-%b-%Y\"}\n"
	"    end: {column: CLOSE_DATE, format: \"%d-%b-%Y\"}\n"
	"    program: ALLEGATION\n"
	"    attributes:\n"
	"      referral_id: REFERRAL_ID\n"
	"      finding: FINDING\n"
	"      placement: PLACEMENT\n",
	/* births */
	"source: births\n"
	"title: Birth certificates\n"
	"steward: Department of Public Health, Vital Records\n"
	"regime: STATE\n"
	"kind: person\n"
	"id: CERT_NO\n"
	"rows: person\n"
	"fields:\n"
	"  first_name: {column: CHILD_FIRST, missing: [\"\", \"BABY\", \"BABY BOY\", \"BABY GIRL\"]}\n"
	"  middle_name: CHILD_MIDDLE\n"
	"  last_name: CHILD_LAST\n"
	"  dob: {column: CHILD_DOB, format: \"%Y%m%d\"}\n"
	"  sex: {column: CHILD_SEX, map: {\"1\": M, \"2\": F}}\n"
	"  address: RES_ADDRESS\n"
	"  zip: RES_ZIP\n"
	"events:\n"
	"  - type: birth\n"
	"    start: {column: CHILD_DOB, format: \"%Y%m%d\"}\n"
	"    attributes:\n"
	"      birth_weight_g: BIRTH_WEIGHT_G\n"
	"      plurality: PLURALITY\n"
	"      mother_race: MOTHER_RACE\n"
	"      mother_hispanic: MOTHER_HISPANIC\n",
	/* wages */
	"source: wages\n"
	"title: State quarterly wage records (unemployment insurance)\n"
	"steward: State Department of Labor\n"
	"regime: STATE\n"
	"kind: person\n"
	"id: EMPLOYEE_KEY\n"
	"rows: event\n"
	"fields:\n"
	"  ssn: SSN\n"
	"  last_name: LAST_NAME\n"
	"  first_name: FIRST_NAME\n"
	"  middle_name: MIDDLE_INIT\n"
	"events:\n"
	"  - type: wages\n"
	"    start: {column: QTR_START, format: \"%Y-%m-%d\"}\n"
	"    amount: WAGES\n"
	"    provider: EMPLOYER_ID\n"
	"    attributes:\n"
	"      year: YEAR\n"
	"      quarter: QTR\n",
	/* cbo */
	"source: cbo\n"
	"title: Community organisation client list\n"
	"steward: Neighborhood community organisation\n"
	"regime: NONE\n"
	"kind: person\n"
	"rows: person\n"
	"fields:\n"
	"  full_name: Client Name\n"
	"  phone: Phone\n"
	"  zip: ZIP\n"
	"  birth_year: Year of Birth\n"
	"events:\n"
	"  - type: cbo_service\n"
	"    start: {column: First Visit, format: auto}   # mostly %m/%d/%Y, some %Y-%m-%d\n"
	"    program: Program\n",
	/* childcare */
	"source: childcare\n"
	"title: Licensed childcare providers\n"
	"steward: Office of Child Development and Early Learning\n"
	"regime: NONE\n"
	"kind: site\n"
	"id: LICENSE_NO\n"
	"rows: person\n"
	"fields:\n"
	"  address: ADDRESS\n"
	"  zip: ZIP\n"
	"attributes:\n"
	"  provider_name: PROVIDER_NAME\n"
	"  rating: STARS\n"
	"  type: TYPE\n"
	"  slots_infant: SLOTS_INFANT\n"
	"  slots_toddler: SLOTS_TODDLER\n"
	"  slots_preschool: SLOTS_PRESCHOOL\n"
	"  slots_school_age: SLOTS_SCHOOL_AGE\n",
};

static braid_rc write_text(const char *dir, const char *rel, const char *text, struct braid_err *err)
{
	char p[1200];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	if (!f)
		return braid_err_set(err, BRAID_EIO, "cannot write '%s': %s", p, strerror(errno));
	fputs(text, f);
	if (fclose(f))
		return braid_err_set(err, BRAID_EIO, "cannot write '%s'", p);
	return BRAID_OK;
}

braid_rc braid__write_specs(const char *dir, struct braid_err *err)
{
	for (int i = 0; i < S__N; i++) {
		char rel[64];
		snprintf(rel, sizeof rel, "specs/%s.yaml", braid__src[i].name);
		braid_rc rc = write_text(dir, rel, spec_text[i], err);
		if (rc)
			return rc;
	}
	return BRAID_OK;
}

/* The columns that, with the person, name the unit a duplicate copies:
 * a dhs case (programme + begin date), a wage job (employer), a cbo
 * sign-up (programme). */
static const char *const dup_unit[S__N] = {
	[S_DHS] = "PROGRAM,BEGIN_DT",
	[S_WAGES] = "EMPLOYER_ID",
	[S_CBO] = "Program",
};

braid_rc braid__write_errors_json(const char *dir, double scale, const struct src_stats *ss,
				  struct braid_err *err)
{
	static const char *const ename[E__N] = {
		"first_name", "last_name", "dob", "ssn", "nickname", "swap", "middle_in_first",
		"dropped_marks", "hyphen", "stale_address", "abbreviation", "extra_space", "duplicate",
		"date_format"};
	json_t *root = json_object();
	json_object_set_new(root, "error_scale", json_real(scale));
	json_t *srcs = json_object();
	for (int i = 0; i < S__N; i++) {
		const struct src_profile *p = &braid__src[i];
		if (i == S_CHILDCARE)
			continue;
		json_t *o = json_object();
		json_t *rates = json_object();
#define R(k) json_object_set_new(rates, #k, json_real(braid__rate(p->k, scale)))
		R(typo); R(phon); R(nick); R(swap); R(mif); R(marks); R(hyphen); R(dm); R(ydig);
		R(miss_first); R(miss_dob); R(ssn_typo); R(ssn_ph); R(stale); R(abbr_flip); R(space); R(dup);
		R(datefmt);
#undef R
		json_object_set_new(rates, "miss_ssn", json_real(braid__rate(p->miss_ssn, 1.0)));
		json_object_set_new(o, "rates", rates);
		/* Expected share of records whose folded value differs from the
		 * truth: the name errors are exclusive draws, swap hits both. */
		double sw = braid__rate(p->swap, scale);
		double f1 = braid__rate(p->typo, scale) + braid__rate(p->phon, scale) +
			    braid__rate(p->nick, scale) + braid__rate(p->mif, scale) +
			    braid__rate(p->miss_first, scale);
		double l1 = braid__rate(p->typo, scale) + braid__rate(p->phon, scale);
		json_t *ex = json_object();
		if (p->has_first) {
			json_object_set_new(ex, "first_name", json_real(sw + (1 - sw) * f1));
			json_object_set_new(ex, "last_name", json_real(sw + (1 - sw) * l1));
		}
		if (p->has_dob)
			json_object_set_new(ex, "dob", json_real(braid__rate(p->dm, scale) + braid__rate(p->ydig, scale) +
								  braid__rate(p->miss_dob, scale)));
		if (p->has_ssn)
			json_object_set_new(ex, "ssn", json_real(braid__rate(p->miss_ssn, 1.0) +
								  braid__rate(p->ssn_ph, scale) +
								  braid__rate(p->ssn_typo, scale)));
		json_object_set_new(o, "expected_mismatch", ex);
		json_t *ap = json_object();
		for (int k = 0; k < E__N; k++)
			json_object_set_new(ap, ename[k], json_integer(ss[i].err[k]));
		json_object_set_new(o, "applied", ap);
		json_object_set_new(o, "records", json_integer(ss[i].records));
		json_object_set_new(o, "rows", json_integer(ss[i].rows));
		json_object_set_new(o, "dup_rate", json_real(braid__rate(p->dup, scale)));
		if (dup_unit[i]) {
			/* duplicates are counted per unit (a case, a job, a sign-up),
			 * not per person: people naturally have several of those */
			json_t *u = json_array();
			char cols[64];
			snprintf(cols, sizeof cols, "%s", dup_unit[i]);
			for (char *c = cols, *e; c && *c; c = e ? e + 1 : NULL) {
				e = strchr(c, ',');
				if (e)
					*e = 0;
				json_array_append_new(u, json_string(c));
			}
			json_object_set_new(o, "dup_unit", u);
			json_object_set_new(o, "dup_base", json_string(i == S_WAGES ? "units with 2+ rows" : "units"));
		} else {
			json_object_set_new(o, "dup_base", json_string(p->multi_row ? "entities with 2+ rows"
										    : "entities"));
		}
		json_object_set_new(o, "natural_multiple", json_boolean(p->natural_multiple));
		json_object_set_new(srcs, p->name, o);
	}
	json_object_set_new(root, "sources", srcs);
	char path[1200];
	snprintf(path, sizeof path, "%s/truth/errors.json", dir);
	int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(root);
	if (rc)
		return braid_err_set(err, BRAID_EIO, "cannot write '%s'", path);
	return BRAID_OK;
}

braid_rc braid__write_readme(const char *dir, const struct braid_synth_opts *o,
			     const struct braid_synth_stats *st, struct braid_err *err)
{
	struct braid_buf b;
	braid_buf_init(&b, 0);
	braid_buf_printf(&b,
		"# A synthetic city\n\n"
		"Generated by `braid synth --people %ld --seed %llu --years %d-%d --error-scale %g`.\n"
		"Nobody here is real: names are drawn from SSA and Census frequency tables, addresses from\n"
		"real Philadelphia street ranges placed in 2010 census tracts, and every event from a\n"
		"simple model (see docs/demo-city.md in the braid repository).\n\n"
		"%ld residents in %ld households; %lld source rows, %lld source records.\n\n"
		"| source | what | rows | records |\n|---|---|---:|---:|\n",
		o->people, (unsigned long long)o->seed, o->year_from, o->year_to, o->error_scale,
		st->people, st->households, st->rows, st->records);
	for (int i = 0; i < st->sources; i++) {
		/* the spec's title line, e.g. "title: County jail bookings" */
		const char *t = strstr(spec_text[i], "\ntitle: ");
		int tl = 0;
		if (t) {
			t += 8;
			tl = (int)strcspn(t, "\n");
		}
		braid_buf_printf(&b, "| %s | %.*s | %lld | %lld |\n", st->source_names[i], tl, t ? t : "",
				 st->source_rows[i], st->source_records[i]);
	}
	braid_buf_printf(&b,
		"\n## Layout\n\n"
		"- `sources/NAME.csv`: each agency's extract, in its own columns, formats and mistakes.\n"
		"- `specs/NAME.yaml`: the source spec to register it (`braid source add --spec`).\n"
		"- `truth/persons.csv`: `source,record_id,entity` for every person record (record id = the\n"
		"  spec's `id` column, or the 1-based data row number for `cbo`, which has none).\n"
		"- `truth/households.csv`: `household,entity,role,mother,tract,district,low_income_household,\n"
		"  current_tract,current_district` (tract/district of the household's first address in the\n"
		"  window, which sets its poverty; current_* = of its address at the analysis date).\n"
		"- `truth/addresses.csv`: `household,from,address,unit,zip,tract,district`: each household's\n"
		"  address history.\n"
		"- `reference/places.csv`: the city's gazetteer, `street,from,to,parity,zip5,tract,district`:\n"
		"  one row per side of every street segment the generator places addresses on (street as the\n"
		"  sources abbreviate it, e.g. `N BROAD ST`; inclusive house-number range; `odd`/`even`; the\n"
		"  2010 census tract GEOID10 and planning district the segment was placed in). Every address\n"
		"  in the sources falls in exactly one tract and ZIP of this table.\n"
		"- `truth/people.csv`: every resident's true identity (for measuring error rates).\n"
		"- `truth/errors.json`: configured error rates per source, expected mismatch shares and\n"
		"  the counts of errors applied.\n"
		"- `truth/facts.json`: the planted facts with their definitions (analysis date = Dec 31\n"
		"  of the last year).\n");
	/* The planted facts, read back from facts.json (written just before). */
	char fp[1200];
	snprintf(fp, sizeof fp, "%s/truth/facts.json", dir);
	json_t *facts = json_load_file(fp, 0, NULL);
	if (facts) {
		braid_buf_printf(&b, "\n## Planted facts (truth/facts.json; analysis date %s)\n\n"
				     "| fact | value |\n|---|---:|\n",
				 json_string_value(json_object_get(facts, "analysis_date")));
		const char *key;
		json_t *v;
		json_object_foreach(facts, key, v) {
			json_t *val = json_object_get(v, "value");
			if (json_is_integer(val))
				braid_buf_printf(&b, "| %s | %lld |\n", key, (long long)json_integer_value(val));
			else if (json_is_real(val))
				braid_buf_printf(&b, "| %s | %.3f (naive %.3f, stratified %.3f) |\n", key,
						 json_real_value(val),
						 json_real_value(json_object_get(v, "naive_difference")),
						 json_real_value(json_object_get(v, "stratified_estimate")));
		}
		braid_buf_printf(&b, "\nEach fact's one-line definition is beside its value in facts.json.\n");
		json_decref(facts);
	}
	braid_rc rc = b.data ? write_text(dir, "README.md", b.data, err)
			     : braid_err_set(err, BRAID_ENOMEM, "out of memory");
	braid_buf_release(&b);
	return rc;
}
