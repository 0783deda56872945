/* Plausible field values for the simulator, as pure functions of (seed,
 * sensor, plot, film, sim time): soil temperature with a diurnal curve and film
 * warming while the plot's film is on (less on cloudy days), moisture drying
 * between rain events, light, nutrients, inputs. Deterministic for a seed; no
 * state, no I/O. */
#include <math.h>
#include <string.h>
#include <time.h>

#include "sim.h"
#include "tz.h"

#define DAY_MS        86400000LL
#define HOUR_MS       3600000LL
#define RAIN_LOOKBACK 40

static uint64_t mix(uint64_t x)
{
	/* splitmix64 finaliser */
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xCBF29CE484222325ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001B3ULL;
	return h;
}

/* Uniform in [0, 1) from a key. */
static double unit_of(uint64_t key)
{
	return (double)(mix(key) >> 11) / 9007199254740992.0;
}

/* Uniform in [-1, 1). */
static double sym_of(uint64_t key)
{
	return unit_of(key) * 2.0 - 1.0;
}

bool gw_sim_film_covers(const struct gw_sim_film *f, int md)
{
	return f->laid && (!f->on_md || md >= f->on_md) && (!f->off_md || md < f->off_md);
}

void gw_sim_model_init(struct gw_sim_model *m, uint64_t seed, const char *sensor, const char *plot,
                       enum gw_sim_place place, const struct gw_sim_film *film)
{
	m->seed = mix(seed);
	m->sensor_key = mix(m->seed ^ hash_str(sensor));
	/* probes of one plot share its soil; an unbound sensor is its own plot */
	m->plot_key = mix(m->seed ^ hash_str(plot && plot[0] ? plot : sensor) ^ 0x5A5A);
	m->place = place;
	m->film = film ? *film : (struct gw_sim_film){.laid = false};
}

/* Local time of sim_ms in the gateway's zone (gateway.timezone, not the process TZ: the
 * field's noon is where acceptance looks for it), split into a day number and the hour. */
static void local_split(int64_t sim_ms, int64_t *day, double *hour)
{
	int64_t local = sim_ms + (int64_t)gw_tz_offset(gw_tz_local(), sim_ms) * 1000;

	*day = local >= 0 ? local / DAY_MS : (local - DAY_MS + 1) / DAY_MS;
	*hour = (double)(local - *day * DAY_MS) / (double)HOUR_MS;
}

/* Whether the plot's film is on during local day number day. */
static bool covered_on(const struct gw_sim_model *m, int64_t day)
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return false;
	return gw_sim_film_covers(&m->film, (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

static bool covered_at(const struct gw_sim_model *m, int64_t sim_ms)
{
	int64_t day;
	double hour;

	local_split(sim_ms, &day, &hour);
	return covered_on(m, day);
}

static double day_of_year(int64_t day)
{
	/* day 0 is 1970-01-01; the drift against real calendars is irrelevant here */
	return fmod((double)day, 365.2425);
}

/* Small measurement noise, steady within a minute. */
static double noise(const struct gw_sim_model *m, const char *name, int64_t sim_ms, double amp)
{
	return amp * sym_of(m->sensor_key ^ hash_str(name) ^ (uint64_t)(sim_ms / 60000));
}

/* 0 at night, up to 1 around 14:00. */
static double sun(double hour)
{
	if (hour < 7.0 || hour > 21.0)
		return 0.0;
	return sin(M_PI * (hour - 7.0) / 14.0);
}

/* What a probe under the film gains over bare soil: a little at night, up to
 * 2.8..3.8 degC (the plot's film and soil) in the afternoon sun, less on cloudy
 * days; nothing while the film is not on. A day-to-day microsite difference
 * applies either way. */
static double film_gain(const struct gw_sim_model *m, int64_t day, double hour, double clear)
{
	double site = 0.15 * sym_of(m->plot_key ^ mix((uint64_t)day ^ 0xD7));

	if (!covered_on(m, day))
		return site;
	return site + 0.3 +
	       (2.8 + 1.0 * unit_of(m->plot_key ^ 0xF1)) * (0.4 + 0.6 * sqrt(clear)) * sun(hour);
}

static double temperature(const struct gw_sim_model *m, int64_t sim_ms)
{
	int64_t day;
	double hour, mean, clear, t;

	local_split(sim_ms, &day, &hour);
	/* 5 cm soil: ~14 degC in late April, ~24 in mid July */
	mean = 14.0 + 10.0 * sin(2.0 * M_PI * (day_of_year(day) - 110.0) / 365.0);
	mean += 1.5 * sym_of(m->plot_key ^ 0x7E);
	/* field-wide weather: 0 overcast .. 1 clear; cloudy days swing less */
	clear = unit_of(m->seed ^ (uint64_t)day ^ 0xC1);
	t = mean + (4.0 + 3.0 * clear) * cos(2.0 * M_PI * (hour - 15.0) / 24.0);
	if (m->place == GW_SIM_PLACE_UNDER_FILM)
		t += film_gain(m, day, hour, clear);
	return t + 0.1 * sym_of(m->sensor_key ^ 0x7F) + noise(m, "t", sim_ms, 0.05);
}

/* Field-wide rain: some days have an event at some hour, refilling the soil. */
static bool rain_on(const struct gw_sim_model *m, int64_t day, double *hour, double *amount)
{
	uint64_t k = m->seed ^ mix((uint64_t)day ^ 0xA11);

	if (unit_of(k) >= 0.12)
		return false;
	*hour = 24.0 * unit_of(k ^ 1);
	*amount = 0.3 + 0.6 * unit_of(k ^ 2);
	return true;
}

static double wetness(const struct gw_sim_model *m, int64_t sim_ms)
{
	/* film keeps moisture in: slower drying */
	bool film = m->place == GW_SIM_PLACE_UNDER_FILM && covered_at(m, sim_ms);
	double tau = (film ? 14.0 : 8.0) * DAY_MS;
	int64_t day, prev;
	double hour, rh, amount, w = 0.4;

	local_split(sim_ms, &day, &hour);
	prev = (day - RAIN_LOOKBACK) * DAY_MS;
	for (int64_t d = day - RAIN_LOOKBACK; d <= day; d++) {
		int64_t at;

		if (!rain_on(m, d, &rh, &amount))
			continue;
		at = d * DAY_MS + (int64_t)(rh * (double)HOUR_MS);
		if (at > (day * DAY_MS) + (int64_t)(hour * (double)HOUR_MS))
			break;
		w *= exp(-(double)(at - prev) / tau);
		w = fmin(1.0, w + amount);
		prev = at;
	}
	return w * exp(-(double)(day * DAY_MS + (int64_t)(hour * (double)HOUR_MS) - prev) / tau);
}

static double moisture(const struct gw_sim_model *m, int64_t sim_ms)
{
	double v = 15.0 + 30.0 * wetness(m, sim_ms) + 1.5 * sym_of(m->sensor_key ^ 0x3D);

	v += noise(m, "m", sim_ms, 0.1);
	return fmin(45.0, fmax(15.0, v));
}

static double lux(const struct gw_sim_model *m, int64_t sim_ms)
{
	int64_t day;
	double hour, s, cloud;

	local_split(sim_ms, &day, &hour);
	if (hour < 5.0 || hour > 19.5)
		return 0.0;
	s = sin(M_PI * (hour - 5.0) / 14.5);
	cloud = 0.3 + 0.7 * unit_of(m->seed ^ mix((uint64_t)(sim_ms / HOUR_MS)) ^ 0x1F);
	/* clear film passes most of the light */
	if (m->place == GW_SIM_PLACE_UNDER_FILM && covered_on(m, day))
		cloud *= 0.8;
	return 90000.0 * pow(s, 1.5) * cloud;
}

/* A per-sensor level, declining by up to 20 % from May to the end of August. */
static double nutrient(const struct gw_sim_model *m, uint64_t tag, double lo, double hi,
                       int64_t sim_ms)
{
	int64_t day;
	double hour, used;

	local_split(sim_ms, &day, &hour);
	used = fmin(1.0, fmax(0.0, (day_of_year(day) - 120.0) / 120.0));
	return (lo + (hi - lo) * unit_of(m->sensor_key ^ tag)) * (1.0 - 0.2 * used);
}

double gw_sim_model_value(const struct gw_sim_model *m, const char *name, int64_t sim_ms,
                          double range_mid)
{
	if (strcmp(name, "temperature_c") == 0)
		return temperature(m, sim_ms);
	if (strcmp(name, "moisture_pct") == 0)
		return moisture(m, sim_ms);
	if (strcmp(name, "ec_us_cm") == 0)
		return 250.0 + 12.0 * (moisture(m, sim_ms) - 15.0) +
		       80.0 * unit_of(m->sensor_key ^ 0xEC) + noise(m, "ec", sim_ms, 5.0);
	if (strcmp(name, "dielectric") == 0)
		return 3.0 + 0.55 * moisture(m, sim_ms); /* roughly Topp's inverse */
	if (strcmp(name, "ph") == 0)
		return 6.0 + 1.5 * unit_of(m->plot_key ^ 0x9B) + noise(m, "ph", sim_ms, 0.03);
	if (strcmp(name, "nitrogen_mg_kg") == 0)
		return nutrient(m, 0x4E, 40.0, 120.0, sim_ms);
	if (strcmp(name, "phosphorus_mg_kg") == 0)
		return nutrient(m, 0x50, 10.0, 40.0, sim_ms);
	if (strcmp(name, "potassium_mg_kg") == 0)
		return nutrient(m, 0x4B, 80.0, 200.0, sim_ms);
	if (strcmp(name, "lux") == 0)
		return lux(m, sim_ms);
	if (strcmp(name, "input1") == 0)
		return covered_at(m, sim_ms) ? 1.0 : 0.0;
	if (strncmp(name, "input", 5) == 0 || strncmp(name, "relay", 5) == 0)
		return 0.0;
	return range_mid;
}
