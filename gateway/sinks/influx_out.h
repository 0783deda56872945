/* The InfluxDB sink (a struct gw_sink_ops run by sink.c's loop): reads the journal after its
 * "influxdb" cursor, formats the readings as line protocol into one reused buffer, POSTs them
 * in batches through the writer (influx_http.h) and moves the cursor only once the server has
 * taken (or refused for good) every point of a batch. It also sends the self-metrics. It
 * never deletes journal rows and never holds more than one batch in memory. */
#ifndef GW_INFLUX_OUT_H
#define GW_INFLUX_OUT_H

#include "sink.h"

struct gw_influx_out;

/* The row of sinks.c's table. */
extern const struct gw_sink_ops gw_influx_sink;

/* gw_sink_start(&gw_influx_sink, ...) for code that holds the InfluxDB sink as such: starts
 * its thread for env (copied; what it points to is borrowed and must outlive the sink). Opens
 * env->cfg->data_dir's journal for the cursor "influxdb" and the writer for env->cfg->influx, and
 * allocates the batch buffer, before the thread starts. env->stats->cursor and depth are set on
 * return. Returns 0 with *out (owned: end it with gw_influx_out_join) or -errno: -EINVAL (bad
 * influx config), -ENOMEM, or the journal's or the secret file's error. */
int gw_influx_out_start(const struct gw_sink_env *env, struct gw_influx_out **out);
/* Waits for the thread to end and frees o. The thread ends by itself only after
 * gw_bell_close(env->bell), once everything committed is delivered or env->drain_ms have
 * passed (a POST already under way may take up to the writer's 30 s timeout). What is not
 * delivered stays in the journal. NULL is a no-op. */
void gw_influx_out_join(struct gw_influx_out *o);

#endif
