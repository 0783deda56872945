/* A reading (one poll of one sensor) and its JSON form, as in DESIGN.md:
 * {"ts", "ts_ms", "gateway", "sensor", "plot", "household", "township", "village",
 *  "values": {...}, "quality": {...}[, "clock": "unsynced"][, "historical": true]}.
 * A value whose quality is not good is null. No allocation. */
#ifndef GW_READING_H
#define GW_READING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver.h"

struct gw_reading {
	int64_t ts_ms;                    /* wall clock at the poll */
	const char *sensor_id;            /* borrows */
	const struct gw_profile *profile; /* borrows: names, units, decimals */
	bool unsynced;                    /* taken before the clock was synchronised */
	bool historical;                  /* MQTT: replayed after an outage, not sent live */
	double values[GW_MAX_POINTS];
	uint8_t quality[GW_MAX_POINTS]; /* enum gw_quality */
	uint32_t index;                 /* which configured sensor (poller use) */
};

/* Where a reading belongs. NULL strings print as null. */
struct gw_reading_tags {
	const char *gateway;
	const char *plot;
	const char *household; /* opaque reference, never an ID number */
	const char *township;
	const char *village;
	const char *film_type;  /* full | half | none: an InfluxDB tag, not in the JSON */
	const char *role;       /* film-evidence roles: an InfluxDB tag, not in the JSON */
	const char *interval_s; /* the sensor's interval, with a role: an InfluxDB tag */
};

/* Writes the JSON object (no newline) to buf. tags NULL: the form of
 * `read --json`, without gateway and plot fields. Returns the length, or
 * -ENOSPC when buf is too small. */
int gw_reading_json(const struct gw_reading *r, const struct gw_reading_tags *tags, char *buf,
                    size_t len);

#endif
