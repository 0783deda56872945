/* A commissioning action handed to a bus's own thread: the console posts it, the bus thread
 * runs it between two polls (the bus is paused while it runs: one master per RS-485 line)
 * and the poller's schedule resumes after it. One action per bus at a time; posting another
 * while one is waiting or running is refused. The slot knows nothing of what actions do. */
#ifndef GW_POLL_ACTION_H
#define GW_POLL_ACTION_H

#include <pthread.h>
#include <stdbool.h>

struct gw_link;

/* Runs on the bus thread with the bus's link (borrowed; maybe not open: the action opens it
 * if it must). arg is the poster's; the action records its own result in it. */
typedef void (*gw_action_fn)(void *arg, struct gw_link *link);

enum gw_action_state { GW_ACTION_IDLE, GW_ACTION_POSTED, GW_ACTION_RUNNING };

struct gw_action_slot {
	pthread_mutex_t lock;
	pthread_cond_t done;
	enum gw_action_state state;
	gw_action_fn fn;
	void *arg;
};

void gw_action_slot_init(struct gw_action_slot *s);
void gw_action_slot_destroy(struct gw_action_slot *s);
/* Hands fn(arg) to the slot's bus. Returns 0, or -EBUSY when an action is waiting or running
 * there (nothing posted). arg is borrowed until fn has returned or gw_action_retract. */
int gw_action_post(struct gw_action_slot *s, gw_action_fn fn, void *arg);
/* The bus thread: runs the posted action, if any, with link. Returns whether one ran. */
bool gw_action_run_pending(struct gw_action_slot *s, struct gw_link *link);
/* Whether an action is waiting or running. */
bool gw_action_busy(struct gw_action_slot *s);
/* Takes back a posted action that has not started, or waits until a running one returns;
 * afterwards arg is the poster's again. Returns true when a posted action was taken back
 * (it never ran). */
bool gw_action_retract(struct gw_action_slot *s);

#endif
