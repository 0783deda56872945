/* Verdict rules of DESIGN.md, with the config's thresholds, and the reason each verdict
 * gives. Shares are integers (parts per 10000) compared by cross-multiplication. */
#include "verdict.h"

#include <math.h>
#include <stdio.h>

#define ONE 10000LL

static int64_t parts(double share)
{
	return llround(share * (double)ONE);
}

int64_t gw_verdict_permille(int64_t num, int64_t den)
{
	return den > 0 && num > 0 ? num * 1000 / den : 0;
}

const char *gw_verdict_pct(int64_t permille, char *buf, size_t len)
{
	snprintf(buf, len, "%lld.%lld", (long long)(permille / 10), (long long)(permille % 10));
	return buf;
}

const char *gw_verdict_laying(const struct gw_plot_result *r, char *buf, size_t len)
{
	if (!r->first_covered)
		return NULL;
	if (r->laying_unknown) {
		snprintf(buf, len, "laying date unknown (evidence from %02d-%02d)",
		         r->first_evidence / 100 % 100, r->first_evidence % 100);
		return buf;
	}
	return r->late ? "late" : "on_time";
}

/* The reason of an indeterminate plot: which of pass's conditions it missed. */
static void why_indeterminate(struct gw_plot_result *r, int64_t need, const char *av,
                              const struct gw_accept_cfg *ac)
{
	unsigned classified = r->covered + r->not_covered;
	unsigned window = classified + r->indeterminate + r->no_data;

	if (!classified)
		snprintf(r->reason, sizeof(r->reason),
		         "no window day classified (%u indeterminate, %u no data), availability %s "
		         "%%",
		         r->indeterminate, r->no_data, av);
	else if ((int64_t)r->covered < need)
		snprintf(r->reason, sizeof(r->reason),
		         "%u of %u window days covered (pass needs %lld), %u not covered, "
		         "availability %s %%",
		         r->covered, window, (long long)need, r->not_covered, av);
	else
		snprintf(r->reason, sizeof(r->reason),
		         "%u of %u classified window days not covered (pass allows %g %%, fail "
		         "needs "
		         "more than %g %%), availability %s %%",
		         r->not_covered, classified, ac->pass_max_not_covered * 100,
		         ac->fail_min_not_covered * 100, av);
}

static void decide(const struct gw_accept_cfg *ac, struct gw_plot_result *r, const char *av)
{
	int64_t classified = (int64_t)r->covered + r->not_covered;
	int64_t window = classified + r->indeterminate + r->no_data;
	/* covered days pass needs: the share of the window days, rounded up */
	int64_t need = (parts(ac->pass_min_covered_share) * window + ONE - 1) / ONE;

	if (need < (int64_t)ac->min_covered_days)
		need = ac->min_covered_days;
	if (r->expected <= 0 || r->received * ONE < parts(ac->min_availability) * r->expected) {
		r->verdict = GW_VERDICT_INSUFFICIENT_DATA;
		snprintf(r->reason, sizeof(r->reason),
		         "availability %s %% is below %g %% (%lld of %lld expected readings)", av,
		         ac->min_availability * 100, (long long)r->received,
		         (long long)r->expected);
	} else if (classified > 0 && r->covered >= need &&
	           r->not_covered * ONE <= parts(ac->pass_max_not_covered) * classified) {
		r->verdict = GW_VERDICT_PASS;
		snprintf(r->reason, sizeof(r->reason),
		         "%u of %lld window days covered, %u not covered, availability %s %%",
		         r->covered, (long long)window, r->not_covered, av);
	} else if (classified > 0 &&
	           r->not_covered * ONE > parts(ac->fail_min_not_covered) * classified) {
		r->verdict = GW_VERDICT_FAIL;
		snprintf(r->reason, sizeof(r->reason),
		         "%u of %lld classified window days not covered (more than %g %%), %u "
		         "covered, availability %s %%",
		         r->not_covered, (long long)classified, ac->fail_min_not_covered * 100,
		         r->covered, av);
	} else {
		r->verdict = GW_VERDICT_INDETERMINATE;
		why_indeterminate(r, need, av, ac);
	}
}

void gw_verdict_decide(const struct gw_accept_cfg *ac, bool has_rule, struct gw_plot_result *r)
{
	char av[24];
	bool after = r->first_covered && r->first_covered % 10000 > ac->laying_deadline;

	if (r->received > r->expected) /* never above 100 %: counted per slot already */
		r->received = r->expected;
	r->availability = r->expected > 0 ? (double)r->received / (double)r->expected : 0.0;
	r->late = after && r->first_evidence && r->first_evidence % 10000 <= ac->laying_deadline;
	r->laying_unknown = after && !r->late;
	gw_verdict_pct(gw_verdict_permille(r->received, r->expected), av, sizeof(av));
	if (!has_rule) {
		r->verdict = GW_VERDICT_NO_SENSOR;
		snprintf(r->reason, sizeof(r->reason), "no film-evidence sensor on the plot");
		return;
	}
	decide(ac, r, av);
}
