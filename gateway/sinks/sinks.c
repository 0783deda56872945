/* Starting and stopping the sinks; see sinks.h. The table below is the only place that
 * names them: adding a sink is its file (a struct gw_sink_ops) and one row here. */
#include "sinks.h"

#include <string.h>

#include "array.h"
#include "film_days.h"
#include "influx_out.h"
#include "metrics_http.h"
#include "mqtt_out.h"
#include "seals_out.h"

/* Started in this order, stopped in this order; the self-metrics list them in it too. */
static const struct gw_sink_ops *const sinks[] = {
        &gw_mqtt_sink,
        &gw_influx_sink,
        &gw_film_day_sink,
        &gw_seals_sink,
};

#define NSINKS (GW_ARRAY_LEN(sinks))
_Static_assert(NSINKS <= GW_SINKS_MAX, "raise GW_SINKS_MAX in sink.h");

static int render_prom(const void *ctx, char *buf, size_t len)
{
	return gw_metrics_prom(ctx, buf, len);
}

/* The stats of the sinks cfg enables, in the self-metrics before any sink thread runs. */
static void add_stats(struct gw_sinks *s, const struct gw_config *cfg)
{
	for (size_t i = 0; i < NSINKS; i++) {
		s->stats[i].name = sinks[i]->name;
		if (sinks[i]->self_metric && sinks[i]->wanted(cfg))
			s->metrics.sinks[s->metrics.nsinks++] = &s->stats[i];
	}
}

int gw_sinks_start(struct gw_sinks *s, const struct gw_config *cfg, struct gw_poller *p,
                   const struct gw_records *recs, const uint8_t *hh_key, int drain_ms)
{
	struct gw_sink_env env = {.cfg = cfg, .drain_ms = drain_ms, .recs = recs, .hh_key = hh_key};
	int rc = 0;

	memset(s, 0, sizeof(*s));
	gw_bell_init(&s->bell);
	gw_budget_init(&s->budget, (uint64_t)cfg->daily_upload_mb << 20);
	s->metrics.cfg = cfg;
	s->metrics.poller = p;
	s->metrics.recs = recs;
	s->metrics.budget = cfg->daily_upload_mb ? &s->budget : NULL;
	env.bell = &s->bell;
	env.metrics = &s->metrics;
	env.budget = s->metrics.budget;
	add_stats(s, cfg);
	for (size_t i = 0; i < NSINKS; i++) {
		if (!sinks[i]->wanted(cfg))
			continue;
		env.stats = &s->stats[i];
		rc = gw_sink_start(sinks[i], &env, &s->run[i]);
		if (rc)
			goto out_stop;
	}
	if (cfg->metrics_http.enabled) /* secondary: polling goes on without it */
		s->http = gw_metrics_http_start(&cfg->metrics_http, render_prom, &s->metrics,
		                                gw_metrics_size(cfg));
	return 0;
out_stop:
	gw_sinks_stop(s);
	return rc;
}

void gw_sinks_stop(struct gw_sinks *s)
{
	gw_metrics_http_stop(s->http);
	s->http = NULL;
	gw_bell_close(&s->bell);
	for (size_t i = 0; i < NSINKS; i++) {
		gw_sink_join(s->run[i]);
		s->run[i] = NULL;
	}
	gw_budget_destroy(&s->budget);
	gw_bell_destroy(&s->bell);
}
