/* The self-metrics in the Prometheus text format; see metrics.h. */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "clock.h"

#include "metrics.h"
#include "metrics_int.h"
#include "strbuf.h"

/* Appends a Prometheus label value: backslash, double quote and newline escaped. */
static void prom_label(struct gw_strbuf *o, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			gw_sb_printf(o, "\\%c", *v);
		else if (*v == '\n')
			gw_sb_printf(o, "\\n");
		else
			gw_sb_printf(o, "%c", *v);
	}
}

/* "# TYPE name type\n" once, then the caller's samples. */
static void prom_type(struct gw_strbuf *o, const char *name, const char *type, const char *help)
{
	gw_sb_printf(o, "# HELP fieldgate_%s %s\n# TYPE fieldgate_%s %s\n", name, help, name, type);
}

static void prom_gateway(const struct gw_metrics *m, const struct gw_metrics_snap *s,
                         struct gw_strbuf *o)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} polls[] = {
	        {"polls_total", "Device reads attempted.", offsetof(struct gw_poll_stats, polls)},
	        {"good_total", "Reads with every value good.",
	         offsetof(struct gw_poll_stats, good)},
	        {"timeouts_total", "Reads that timed out.",
	         offsetof(struct gw_poll_stats, timeouts)},
	        {"crc_errors_total", "Frames with a bad CRC.",
	         offsetof(struct gw_poll_stats, crc_errors)},
	        {"exceptions_total", "Modbus exception responses.",
	         offsetof(struct gw_poll_stats, exceptions)},
	        {"out_of_range_total", "Values outside the profile's valid range.",
	         offsetof(struct gw_poll_stats, out_of_range)},
	        {"reconnects_total", "Links re-opened after a loss.",
	         offsetof(struct gw_poll_stats, reconnects)},
	};

	for (size_t i = 0; i < GW_ARRAY_LEN(polls); i++) {
		prom_type(o, polls[i].name, "counter", polls[i].help);
		gw_sb_printf(o, "fieldgate_%s %llu\n", polls[i].name,
		             U(*(const uint64_t *)((const char *)&s->poll + polls[i].off)));
	}
	prom_type(o, "discarded_bytes_total", "counter",
	          "Bytes discarded instead of taken for a reply (stale, doubled, trailing, "
	          "foreign).");
	gw_sb_printf(o, "fieldgate_discarded_bytes_total %llu\n", U(s->discarded));
	prom_type(o, "sensors", "gauge", "Configured sensors.");
	gw_sb_printf(o, "fieldgate_sensors %zu\n", m->cfg->nsensors);
	prom_type(o, "sensors_backing_off", "gauge", "Sensors in back-off after failures.");
	gw_sb_printf(o, "fieldgate_sensors_backing_off %llu\n", U(s->backing_off));
	prom_type(o, "retention_dropped_total", "counter",
	          "Undelivered readings removed by the journal's size cap.");
	gw_sb_printf(o, "fieldgate_retention_dropped_total %llu\n",
	             U(atomic_load(&m->retention_dropped)));
	prom_type(o, "journal_lost_total", "counter",
	          "Times the journal file was found deleted, replaced or unwritable.");
	gw_sb_printf(o, "fieldgate_journal_lost_total %llu\n", U(atomic_load(&m->journal_lost)));
	prom_type(o, "journal_reopened_total", "counter",
	          "Fresh journals started after the journal file was lost.");
	gw_sb_printf(o, "fieldgate_journal_reopened_total %llu\n",
	             U(atomic_load(&m->journal_reopened)));
	prom_type(o, "upload_bytes_today", "gauge",
	          "Bytes charged today to the daily upload budget (0 without a budget).");
	gw_sb_printf(o, "fieldgate_upload_bytes_today %llu\n", U(s->budget_used));
}

static void prom_sinks(const struct gw_metrics *m, struct gw_strbuf *o)
{
	static const char *const names[] = {
	        "sink_sent_total",    "sink_failed_total",  "sink_dropped_total",
	        "sink_skipped_total", "upload_bytes_total", "sink_depth",
	        "sink_lag_seconds",   "sink_connected",     "sink_deferred"};
	static const char *const help[] = {"Readings the server acknowledged.",
	                                   "Send attempts that failed (retried).",
	                                   "Readings the server refused for good.",
	                                   "Readings not sent by design (deadband).",
	                                   "Bytes sent (with or without a daily budget).",
	                                   "Readings waiting in the journal.",
	                                   "Age of the oldest waiting reading.",
	                                   "1 when the server answers.",
	                                   "1 while the daily upload budget holds sending."};

	for (size_t n = 0; m->nsinks && n < GW_ARRAY_LEN(names); n++) {
		prom_type(o, names[n], n < 5 ? "counter" : "gauge", help[n]);
		for (size_t i = 0; i < m->nsinks; i++) {
			const struct gw_sink_stats *k = m->sinks[i];
			double v[] = {(double)atomic_load(&k->sent),
			              (double)atomic_load(&k->failed),
			              (double)atomic_load(&k->dropped),
			              (double)atomic_load(&k->skipped),
			              (double)atomic_load(&k->upload_bytes),
			              (double)atomic_load(&k->depth),
			              (double)atomic_load(&k->lag_ms) / 1000.0,
			              (double)atomic_load(&k->connected),
			              (double)atomic_load(&k->deferred)};

			gw_sb_printf(o, "fieldgate_%s{sink=\"%s\"} %.15g\n", names[n], k->name,
			             v[n]);
		}
	}
}

static void prom_sensors(const struct gw_metrics *m, struct gw_strbuf *o)
{
	static const char *const names[] = {
	        "sensor_polls_total",      "sensor_good_total",
	        "sensor_timeouts_total",   "sensor_crc_errors_total",
	        "sensor_exceptions_total", "sensor_out_of_range_total",
	        "sensor_backing_off",      "sensor_last_good_timestamp_seconds"};
	static const char *const help[] = {"Reads of this sensor attempted.",
	                                   "Reads with every value good.",
	                                   "Reads that timed out.",
	                                   "Frames with a bad CRC.",
	                                   "Modbus exception responses.",
	                                   "Values outside the valid range.",
	                                   "1 while the sensor is backed off.",
	                                   "Time of the last fully good read (0: never)."};

	for (size_t n = 0; m->poller && n < GW_ARRAY_LEN(names); n++) {
		prom_type(o, names[n], n < 6 ? "counter" : "gauge", help[n]);
		for (size_t i = 0; i < m->cfg->nsensors; i++) {
			const struct gw_sensor_cfg *sc = &m->cfg->sensors[i];
			struct gw_poll_stats st;

			gw_poller_sensor_stats(m->poller, i, &st);
			double v[] = {(double)st.polls,       (double)st.good,
			              (double)st.timeouts,    (double)st.crc_errors,
			              (double)st.exceptions,  (double)st.out_of_range,
			              (double)st.backing_off, (double)st.last_good_ms / 1000.0};

			gw_sb_printf(o, "fieldgate_%s{sensor=\"", names[n]);
			prom_label(o, sc->id);
			gw_sb_printf(o, "\",plot=\"");
			prom_label(o, sc->plot);
			gw_sb_printf(o, "\",bus=\"");
			prom_label(o, m->cfg->buses[sc->bus].name);
			gw_sb_printf(o, "\"} %.15g\n", v[n]);
		}
	}
}

static void prom_buses(const struct gw_metrics *m, struct gw_strbuf *o)
{
	if (!m->poller || !m->cfg->nbuses)
		return;
	prom_type(o, "bus_discarded_bytes_total", "counter",
	          "Bytes this bus discarded instead of taking them for a reply.");
	for (size_t i = 0; i < m->cfg->nbuses; i++) {
		gw_sb_printf(o, "fieldgate_bus_discarded_bytes_total{bus=\"");
		prom_label(o, m->cfg->buses[i].name);
		gw_sb_printf(o, "\"} %llu\n", U(gw_poller_bus_discarded(m->poller, i)));
	}
}

/* "# HELP"/"# TYPE" of a metric named in full (the process_* ones). */
static void prom_type_full(struct gw_strbuf *o, const char *name, const char *type,
                           const char *help)
{
	gw_sb_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Open descriptors: the entries of /proc/self/fd (less the one reading it); -1 unknown. */
static long open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	long n = -1;

	if (!dir)
		return -1;
	for (struct dirent *e; (e = readdir(dir)) != NULL;)
		n += e->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* Process start (seconds since the epoch) from /proc/self/stat and /proc/stat; 0 unknown. */
static double start_time(void)
{
	unsigned long long start = 0, btime = 0;
	char line[1024], *p;
	FILE *f = fopen("/proc/self/stat", "r");

	if (f && fgets(line, sizeof(line), f) && (p = strrchr(line, ')')) != NULL)
		sscanf(p + 2,
		       "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
		       "%*d %*d %llu",
		       &start);
	if (f)
		fclose(f);
	f = fopen("/proc/stat", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %llu", &btime) == 1)
			break;
	if (f)
		fclose(f);
	if (!btime)
		return 0;
	return (double)btime + (double)start / (double)sysconf(_SC_CLK_TCK);
}

/* The standard process_* metrics (as the Prometheus client libraries export them). */
static void prom_process(struct gw_strbuf *o)
{
	unsigned long vsize = 0, resident = 0;
	struct rusage ru;
	struct rlimit rl;
	double cpu = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &vsize, &resident) != 2)
			vsize = resident = 0;
		fclose(f);
	}
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	prom_type_full(o, "process_cpu_seconds_total", "counter",
	               "Total user and system CPU time spent in seconds.");
	gw_sb_printf(o, "process_cpu_seconds_total %.3f\n", cpu);
	prom_type_full(o, "process_resident_memory_bytes", "gauge",
	               "Resident memory size in bytes.");
	gw_sb_printf(o, "process_resident_memory_bytes %llu\n",
	             U((uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE)));
	prom_type_full(o, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
	gw_sb_printf(o, "process_virtual_memory_bytes %llu\n",
	             U((uint64_t)vsize * (uint64_t)sysconf(_SC_PAGESIZE)));
	prom_type_full(o, "process_open_fds", "gauge", "Number of open file descriptors.");
	gw_sb_printf(o, "process_open_fds %ld\n", open_fds());
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		prom_type_full(o, "process_max_fds", "gauge",
		               "Maximum number of open file descriptors.");
		gw_sb_printf(o, "process_max_fds %llu\n", U(rl.rlim_cur));
	}
	prom_type_full(o, "process_start_time_seconds", "gauge",
	               "Start time of the process since unix epoch in seconds.");
	gw_sb_printf(o, "process_start_time_seconds %.2f\n", start_time());
}

/* Size of data_dir/journal.db and its WAL, in bytes (0 when missing). */
static uint64_t journal_bytes(const struct gw_config *cfg)
{
	static const char *const names[] = {"journal.db", "journal.db-wal"};
	uint64_t total = 0;
	char path[GW_PATH_LEN + 32];
	struct stat st;

	for (size_t i = 0; i < GW_ARRAY_LEN(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", cfg->data_dir, names[i]);
		if (stat(path, &st) == 0)
			total += (uint64_t)st.st_size;
	}
	return total;
}

/* Build, journal and clock: what the shipped alerts need besides the counters. */
static void prom_state(const struct gw_metrics *m, struct gw_strbuf *o)
{
	prom_type(o, "build_info", "gauge", "Always 1; the version in a label.");
	gw_sb_printf(o, "fieldgate_build_info{version=\"%s\"} 1\n", GW_VERSION);
	prom_type(o, "journal_bytes", "gauge", "Size of the journal file and its WAL.");
	gw_sb_printf(o, "fieldgate_journal_bytes %llu\n", U(journal_bytes(m->cfg)));
	prom_type(o, "journal_max_bytes", "gauge", "The journal's size cap (journal.max_mb).");
	gw_sb_printf(o, "fieldgate_journal_max_bytes %llu\n",
	             U((uint64_t)m->cfg->journal.max_mb << 20));
	prom_type(o, "clock_synchronized", "gauge",
	          "1 when the kernel reports the system clock synchronised (readings then carry no "
	          "clock: unsynced).");
	gw_sb_printf(o, "fieldgate_clock_synchronized %d\n", gw_clock_is_synced() ? 1 : 0);
	prom_type(o, "chain_last_seal_timestamp_seconds", "gauge",
	          "When the evidence chain's newest day was sealed (0: nothing sealed yet).");
	gw_sb_printf(o, "fieldgate_chain_last_seal_timestamp_seconds %.3f\n",
	             (double)atomic_load(&m->chain_sealed_ms) / 1000.0);
	prom_type(o, "chain_unsealed_oldest_timestamp_seconds", "gauge",
	          "Poll time of the oldest reading no sealed day covers yet (0: none); a day is "
	          "sealed minutes after it ends.");
	gw_sb_printf(o, "fieldgate_chain_unsealed_oldest_timestamp_seconds %.3f\n",
	             (double)atomic_load(&m->chain_unsealed_ms) / 1000.0);
}

/* One line "fieldgate_<name>{sensor=..,...} " of sensor sc; all labels when full. */
static void sensor_labels(const struct gw_metrics *m, const struct gw_sensor_cfg *sc,
                          const char *name, bool full, struct gw_strbuf *o)
{
	gw_sb_printf(o, "fieldgate_%s{sensor=\"", name);
	prom_label(o, sc->id);
	if (full) {
		gw_sb_printf(o, "\",plot=\"");
		prom_label(o, sc->plot);
		gw_sb_printf(o, "\",bus=\"");
		prom_label(o, m->cfg->buses[sc->bus].name);
		gw_sb_printf(o, "\",profile=\"");
		prom_label(o, sc->profile ? sc->profile->name : "");
		gw_sb_printf(o, "\",placement=\"%s",
		             sc->placement == GW_PLACE_UNDER_FILM ? "under_film"
		             : sc->placement == GW_PLACE_BARE     ? "bare"
		                                                  : "");
	}
	gw_sb_printf(o, "\"} ");
}

/* fieldgate_sensor_info (1, the configuration in labels, to join on sensor) and
 * fieldgate_sensor_interval_seconds (for a generic staleness alert). */
static void prom_sensor_info(const struct gw_metrics *m, struct gw_strbuf *o)
{
	if (!m->poller || !m->cfg->nsensors)
		return;
	prom_type(o, "sensor_info", "gauge",
	          "Always 1; the sensor's plot, bus, profile, placement.");
	for (size_t i = 0; i < m->cfg->nsensors; i++) {
		sensor_labels(m, &m->cfg->sensors[i], "sensor_info", true, o);
		gw_sb_printf(o, "1\n");
	}
	prom_type(o, "sensor_interval_seconds", "gauge",
	          "The sensor's poll interval (interval_s).");
	for (size_t i = 0; i < m->cfg->nsensors; i++) {
		sensor_labels(m, &m->cfg->sensors[i], "sensor_interval_seconds", false, o);
		gw_sb_printf(o, "%u\n", m->cfg->sensors[i].interval_s);
	}
}

int gw_metrics_prom(const struct gw_metrics *m, char *buf, size_t len)
{
	struct gw_strbuf o = {.buf = buf, .len = len};
	struct gw_metrics_snap s;

	if (len == 0)
		return -ENOSPC;
	gw_metrics_take(m, &s);
	prom_process(&o);
	prom_state(m, &o);
	prom_gateway(m, &s, &o);
	prom_sensor_info(m, &o);
	prom_sinks(m, &o);
	prom_sensors(m, &o);
	prom_buses(m, &o);
	return o.full ? -ENOSPC : (int)o.pos;
}
