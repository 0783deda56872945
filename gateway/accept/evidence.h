/* What a report's evidence is worth: the evidence chain of the journal a report reads,
 * recomputed before the report prints (DESIGN.md "Evidence chain"), and the plots it touches.
 * A plot with readings on a day that fails verification is `unverified`. */
#ifndef GW_EVIDENCE_H
#define GW_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acceptance.h"
#include "chain.h"

/* A sealed day that failed verification. */
struct gw_evidence_bad {
	int day; /* yyyymmdd */
	enum gw_chain_status status;
};

struct gw_evidence {
	struct gw_chain_result res;  /* the whole chain, as gw_chain_verify found it */
	struct gw_evidence_bad *bad; /* owned: every failing day, in day order */
	size_t nbad;
	char header[256]; /* one line for the report's header (see gw_evidence_check) */
	char head[128];   /* "2023-07-15 <digest> (N readings)"; "" when none sealed */
};

/* Recomputes the chain of data_dir's journal (opened with a handle of its own, never
 * created). ev->header: "verified: N sealed days, head 2023-07-15 <digest> (N readings);
 * N readings of later days not yet sealed", or "evidence chain broken at 2023-06-20:
 * edited (N of M days fail); ...", or "no day sealed yet; N readings not yet sealed".
 * Returns 0 (see ev->res.bad), -ENOENT (no journal) or -errno. Free with gw_evidence_free. */
int gw_evidence_check(const char *data_dir, struct gw_evidence *ev);
/* Every plot of res[0..n) with readings on a failing day (or, for days whose rows were
 * deleted or whose chain was relinked, a day its sensors were expected to report) becomes
 * GW_VERDICT_UNVERIFIED with the reason "evidence chain broken on 06-20 (edited)".
 * Returns how many plots it changed. */
size_t gw_evidence_mark(const struct gw_evidence *ev, struct gw_plot_result *res, size_t n);
/* Frees what ev owns (not ev); a zeroed ev is fine. */
void gw_evidence_free(struct gw_evidence *ev);

#endif
