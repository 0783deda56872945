/* The acceptance section and the film rules of gateway.yaml, as loaded (config_accept.c):
 * thresholds and dates of DESIGN.md "Film-cover evidence and acceptance", and per plot
 * the rules that turn sensor values into a daily film state. Data only. */
#ifndef GW_ACCEPT_CFG_H
#define GW_ACCEPT_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "driver.h"

enum gw_rule_kind { GW_RULE_TEMPERATURE_PAIR, GW_RULE_LIGHT_RATIO, GW_RULE_SWITCH };

/* What a sensor does in a rule: temperature_pair under + bare, light_ratio under +
 * reference, switch switch. */
enum gw_rule_role { GW_ROLE_UNDER, GW_ROLE_BARE, GW_ROLE_REFERENCE, GW_ROLE_SWITCH };

struct gw_film_rule {
	char plot[64]; /* GW_ID_LEN */
	enum gw_rule_kind kind;
	size_t sensor[2];        /* indices into gw_config.sensors: [0] under or switch, [1] bare or
	                            reference (unused for switch) */
	char point[GW_NAME_LEN]; /* the value compared: temperature_c, lux, input1 ... */
	int covered_value;       /* switch: the input's value when the film is there (0 or 1) */
	bool implicit;           /* the default temperature_pair of a plot without a rule */
	struct gw_src src;       /* the rule's line, or the under sensor's for an implicit one */
};

/* Dates are MMDD (620 is 06-20); fractions 0..1. */
struct gw_accept_cfg {
	int window_start, window_end;  /* default 06-20..07-15 */
	int laying_deadline;           /* default 05-10 */
	int year;                      /* the season's year; 0: the year of the newest reading */
	double min_availability;       /* default 0.8 */
	unsigned min_covered_days;     /* covered days in the window a pass needs at least, 1 */
	double pass_min_covered_share; /* covered days of the window's days for a pass, 0.5 */
	double pass_max_not_covered;   /* of the classified days in the window, default 0.2 */
	double fail_min_not_covered;   /* default 0.5 (fail when more) */
	unsigned hour_start, hour_end; /* local hours of the daily means, default 10..16 */
	double min_day_fraction;       /* share of a channel's expected readings a day needs, 0.5 */
	double covered_delta_c;        /* temperature_pair: >= covered, default 1.5 */
	double not_covered_delta_c;    /* <= not covered, default 0.5 */
	double light_covered_max;      /* light_ratio: under / reference <= covered, 0.3 */
	double light_not_covered_min;  /* >= not covered, 0.7 */
	double min_reference_lux;      /* darker reference: indeterminate, 1000 */
	double switch_covered_fraction;     /* share of readings at covered_value, 0.9 */
	double switch_not_covered_fraction; /* 0.1 */
};

/* Longest role tag of one sensor (README "InfluxDB": its film-evidence roles). */
#define GW_ROLE_LEN 160

struct gw_config;
/* Writes the roles configured sensor i plays, "N:KIND:ROLE:POINT[:COVERED]" for each rule
 * using it (N: the rule's index among its plot's rules), joined by "+", into buf; "" for
 * none. Returns the length, or -ENOSPC (buf then holds ""). */
int gw_film_role_tag(const struct gw_config *cfg, size_t i, char *buf, size_t len);

/* Static names: "temperature_pair" ...; "under", "bare", "reference", "switch". */
const char *gw_rule_kind_name(enum gw_rule_kind k);
const char *gw_rule_role_name(enum gw_rule_role r);

#endif
