/* Source tagging: which gateway, sensor, plot, household reference, village and township
 * a configured sensor's readings carry, from gateway.yaml and the records. The journal
 * stores what this builds (store/jcodec.h); it never looks at the records itself. */
#include "source.h"

#include <stdio.h>
#include <string.h>

#include "hhref.h"
#include "records.h"

/* Who a plot belongs to and what film it has, from the records. */
static void tag_from_records(const struct gw_records *recs, const uint8_t *hh_key,
                             struct gw_source *s)
{
	const struct gw_plot *plot = recs ? gw_records_plot(recs, s->plot) : NULL;
	const struct gw_household *hh = plot ? gw_records_household_of(recs, plot) : NULL;

	if (!hh)
		return;
	if (hh_key)
		gw_hhref(hh_key, hh->id, s->household);
	snprintf(s->village, sizeof(s->village), "%s", hh->village);
	if (hh->township[0])
		snprintf(s->township, sizeof(s->township), "%s", hh->township);
	snprintf(s->film, sizeof(s->film), "%s", gw_film_name(plot->film));
}

void gw_source_from_config(const struct gw_config *cfg, const struct gw_records *recs,
                           const uint8_t *hh_key, size_t i, struct gw_source *s)
{
	const struct gw_sensor_cfg *sc = &cfg->sensors[i];
	const struct gw_profile *p = sc->profile;

	memset(s, 0, sizeof(*s));
	snprintf(s->gateway, sizeof(s->gateway), "%s", cfg->gateway_id);
	snprintf(s->sensor, sizeof(s->sensor), "%s", sc->id);
	snprintf(s->plot, sizeof(s->plot), "%s", sc->plot);
	snprintf(s->township, sizeof(s->township), "%s", cfg->township);
	snprintf(s->prof.name, sizeof(s->prof.name), "%s", p->name);
	s->prof.npoints = p->npoints;
	for (size_t k = 0; k < p->npoints; k++) {
		memcpy(s->prof.points[k].name, p->points[k].name, sizeof(s->prof.points[k].name));
		memcpy(s->prof.points[k].unit, p->points[k].unit, sizeof(s->prof.points[k].unit));
		s->prof.points[k].decimals = p->points[k].decimals;
	}
	tag_from_records(recs, hh_key, s);
	if (gw_film_role_tag(cfg, i, s->role, sizeof(s->role)) > 0)
		snprintf(s->interval, sizeof(s->interval), "%u", sc->interval_s);
	else
		s->role[0] = '\0';
}
