/* The delivery side of the daemon: takes readings from the poller, commits
 * them to the journal in batches (one transaction per poll cycle, or per
 * journal.commit_ms, or per GW_DELIVER_BATCH readings), and only then hands them
 * on (printing, and ringing the bell that wakes the sinks). A failed commit keeps the batch and
 * retries: the poller waits on the full queue, so a full disk costs time, not readings.
 * Before each commit it checks that the journal file is still there and writable, and starts
 * a fresh one when it was deleted or replaced (gw_journal_check_path, gw_journal_reopen). */
#ifndef GW_JOURNAL_WRITER_H
#define GW_JOURNAL_WRITER_H

#include <signal.h>
#include <stdint.h>

#include "config.h"
#include "bell.h"
#include "feed.h"
#include "journal.h"
#include "metrics.h"
#include "records.h"
#include "poller.h"

struct gw_chain_signer;

#define GW_DELIVER_BATCH 1024

enum gw_output { GW_OUT_NONE, GW_OUT_JSON, GW_OUT_TEXT };

struct gw_journal_writer_opts {
	enum gw_output out;
	int64_t end_mono_ms;                  /* stop by itself then (0: never) */
	const volatile sig_atomic_t *stop;    /* set by a signal handler */
	struct gw_bell *bell;                 /* rung after each commit; may be NULL */
	struct gw_metrics *metrics;           /* retention drops, journal losses; may be NULL */
	const struct gw_records *records;     /* tags readings with plot owners; may be NULL */
	const uint8_t *hh_key;                /* the household key (hhref.h); may be NULL */
	const struct gw_chain_signer *signer; /* signs each sealed day (chain.h); may be NULL */
	void (*tick)(void *arg); /* called each pass: per reading, >= every 100 ms idle */
	void *tick_arg;          /* may be NULL */
};

/* Runs until the poller has ended (after a stop request or --once) and every
 * reading taken is committed. Borrows everything. Returns 0 or -errno (a
 * commit that still failed when stopping). *count: readings committed. */
int gw_journal_writer_run(const struct gw_config *cfg, struct gw_poller *p, struct gw_journal *j,
                          const struct gw_journal_writer_opts *o, uint64_t *count);

#endif
