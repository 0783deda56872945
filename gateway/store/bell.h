/* The bell: the journal writer rings it after each commit with the last committed
 * sequence number, and sinks waiting for new rows wake up. Closing it tells the sinks the
 * daemon is stopping. */
#ifndef GW_BELL_H
#define GW_BELL_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Rung with the last committed sequence number; shared by the delivery thread and the
 * sinks. Initialise with gw_bell_init, destroy with gw_bell_destroy. */
struct gw_bell {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int64_t last_seq; /* highest committed seq announced */
	bool closing;     /* the daemon is stopping: sinks finish what they can */
};

void gw_bell_init(struct gw_bell *b);
void gw_bell_destroy(struct gw_bell *b);
/* Announces that rows up to last_seq are committed. */
void gw_bell_ring(struct gw_bell *b, int64_t last_seq);
/* Tells the sinks the daemon is stopping (and wakes them). */
void gw_bell_close(struct gw_bell *b);
bool gw_bell_closing(struct gw_bell *b);
/* The highest seq announced so far. */
int64_t gw_bell_last(struct gw_bell *b);
/* Waits up to timeout_ms until a seq above after_seq is announced or the bell closes.
 * Returns true when rows above after_seq are announced. */
bool gw_bell_wait(struct gw_bell *b, int64_t after_seq, int timeout_ms);
#endif
