/* Starting and stopping the sink threads; see sinks.h. */
#include "sinks.h"

#include <errno.h>
#include <string.h>

#include "film_days.h"
#include "influx_out.h"
#include "log.h"
#include "metrics_http.h"
#include "mqtt_out.h"

static int render_prom(const void *ctx, char *buf, size_t len)
{
	return gw_metrics_prom(ctx, buf, len);
}

static struct gw_sink_env *add_env(struct gw_sinks *s, const struct gw_config *cfg,
                                   const char *name, int drain_ms)
{
	size_t i = s->metrics.nsinks++;

	s->stats[i].name = name;
	s->metrics.sinks[i] = &s->stats[i];
	s->env[i] = (struct gw_sink_env){
	        .cfg = cfg,
	        .bell = &s->bell,
	        .metrics = &s->metrics,
	        .budget = cfg->daily_upload_mb ? &s->budget : NULL,
	        .stats = &s->stats[i],
	        .drain_ms = drain_ms,
	};
	return &s->env[i];
}

int gw_sinks_start(struct gw_sinks *s, const struct gw_config *cfg, struct gw_poller *p,
                   const struct gw_records *recs, const uint8_t *hh_key, int drain_ms)
{
	int rc = 0;

	memset(s, 0, sizeof(*s));
	gw_bell_init(&s->bell);
	gw_budget_init(&s->budget, (uint64_t)cfg->daily_upload_mb << 20);
	s->metrics.cfg = cfg;
	s->metrics.poller = p;
	s->metrics.budget = cfg->daily_upload_mb ? &s->budget : NULL;
	if (cfg->mqtt.enabled)
		rc = gw_mqtt_out_start(add_env(s, cfg, "mqtt", drain_ms), &s->mqtt);
	if (rc == 0 && cfg->influx.enabled)
		rc = gw_influx_out_start(add_env(s, cfg, "influxdb", drain_ms), &s->influx);
	if (rc == 0 && cfg->influx.enabled) {
		struct gw_film_days_env fe = {
		        .cfg = cfg, .recs = recs, .hh_key = hh_key, .bell = &s->bell};

		s->film_days = gw_film_days_start(&fe);
		rc = s->film_days ? 0 : -errno;
	}
	if (rc == 0 && cfg->metrics_http.enabled) /* secondary: polling goes on without it */
		s->http = gw_metrics_http_start(&cfg->metrics_http, render_prom, &s->metrics,
		                                gw_metrics_size(cfg));
	if (rc)
		gw_sinks_stop(s);
	return rc;
}

void gw_sinks_stop(struct gw_sinks *s)
{
	gw_metrics_http_stop(s->http);
	s->http = NULL;
	gw_bell_close(&s->bell);
	gw_mqtt_out_join(s->mqtt);
	gw_influx_out_join(s->influx);
	gw_film_days_join(s->film_days);
	s->film_days = NULL;
	s->mqtt = NULL;
	s->influx = NULL;
	gw_budget_destroy(&s->budget);
	gw_bell_destroy(&s->bell);
}
