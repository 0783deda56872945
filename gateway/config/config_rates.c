/* The rates section of gateway.yaml: the per-mu and per-kg rates of the county's forms
 * (film kg and rolls a mu, seed kg a mu, yuan a kg or a mu, the government's share).
 * Defaults are the 2023 program's (reference: the county's corn plan, appendix tables). */
#include "array.h"
#include "config_load.h"

#define R_NUM(...) GW_KEY_NUM(struct gw_rates_cfg, __VA_ARGS__)

static const struct gw_ckey rates_keys[] = {
        R_NUM("full_film_kg_per_mu", full_film_kg_per_mu, 0, 0, 1000, 9),
        R_NUM("half_film_kg_per_mu", half_film_kg_per_mu, 0, 0, 1000, 7),
        R_NUM("rolls_per_mu", rolls_per_mu, 0, 0, 100, 1),
        R_NUM("seed_kg_per_mu", seed_kg_per_mu, 0, 0, 1000, 2),
        R_NUM("film_yuan_per_kg", film_yuan_per_kg, 0, 0, 100000, 14),
        R_NUM("seed_yuan_per_kg", seed_yuan_per_kg, 0, 0, 100000, 25),
        R_NUM("intercrop_yuan_per_mu", intercrop_yuan_per_mu, 0, 0, 100000, 54),
        R_NUM("soybean_kg_per_mu", soybean_kg_per_mu, 0, 0, 1000, 3),
        R_NUM("government_pct", government_pct, 0, 0, 100, 70),
};

int gw_config_load_rates(struct gw_cload *l, const struct gw_ynode *n)
{
	return gw_ctable_fill(&l->c, "rates", n, rates_keys, GW_ARRAY_LEN(rates_keys),
	                      &l->cfg->rates, NULL);
}
