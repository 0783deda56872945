/* The fleet report's evidence (DESIGN.md "Evidence chain"): every day a gateway sealed, as
 * InfluxDB holds it (measurement chain), checked against what InfluxDB holds of that
 * gateway's readings that day: the content digest (chain_content.h) recomputed from the
 * points in the seal's own zone's day, the seal's parts against its digest, and, with the
 * county's registry, its Ed25519 signature. Per gateway: days verified, differing (content,
 * digest, signature, or two seals for one day), missing (readings without a seal, between the
 * first reading and the last seal). A plot of a gateway with readings on a differing or
 * missing day becomes `unverified`. */
#ifndef GW_FLEET_EVIDENCE_H
#define GW_FLEET_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "acceptance.h"

struct gw_fleet_gateway {
	char id[64];
	char zone[64];
	int64_t verified, differing, missing, old; /* old: sealed before version 2 */
	int first_bad;                             /* yyyymmdd, 0: none */
	const char *first_why;
	char **plots; /* owned: the plots its readings name */
	size_t nplots;
};

struct gw_fleet_bad {
	size_t gw; /* index in gateways */
	int day;   /* yyyymmdd */
	const char *why;
};

struct gw_fleet_evidence {
	struct gw_fleet_gateway *gateways;
	size_t ngateways;
	struct gw_fleet_bad *bad;
	size_t nbad;
	char header[512]; /* one line for the report's header */
};

/* Checks every gateway that sealed a day or wrote a reading in src. registry: the county's
 * registry (may be NULL: signatures are then not checked, and the header says so). Errors in
 * the registry go to err as "FILE:LINE: error: ..." (-EINVAL). Returns 0, -EINVAL or -errno
 * (InfluxDB; logged). Free with gw_fleet_evidence_free. */
int gw_fleet_evidence_check(const struct gw_fleet_src *src, const char *registry,
                            struct gw_fleet_evidence *ev, FILE *err);
/* Marks res[0..n): a plot of a gateway with readings on a failing day becomes unverified
 * with the reason "evidence of GW differs on 06-20 (content)". Returns how many. */
size_t gw_fleet_evidence_mark(const struct gw_fleet_evidence *ev, struct gw_plot_result *res,
                              size_t n);
void gw_fleet_evidence_free(struct gw_fleet_evidence *ev);

#endif
