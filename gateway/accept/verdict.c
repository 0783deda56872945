/* Verdict rules of DESIGN.md, with the config's thresholds. */
#include "verdict.h"

void gw_verdict_decide(const struct gw_accept_cfg *ac, bool has_rule, struct gw_plot_result *r)
{
	unsigned classified = r->covered + r->not_covered + r->indeterminate;
	double nc = classified ? (double)r->not_covered / (double)classified : 0.0;

	r->availability = r->expected > 0 ? (double)r->received / (double)r->expected : 0.0;
	r->late = r->first_covered && r->first_covered % 10000 > ac->laying_deadline;
	if (!has_rule)
		r->verdict = GW_VERDICT_NO_SENSOR;
	else if (r->availability < ac->min_availability)
		r->verdict = GW_VERDICT_INSUFFICIENT_DATA;
	else if (r->season_covered >= ac->min_covered_days && nc <= ac->pass_max_not_covered)
		r->verdict = GW_VERDICT_PASS;
	else if (nc > ac->fail_min_not_covered)
		r->verdict = GW_VERDICT_FAIL;
	else
		r->verdict = GW_VERDICT_INDETERMINATE;
}
