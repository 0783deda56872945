/* The hand-off between the console's threads and a bus thread: a one-place slot under a
 * mutex. The bus thread never waits on it (it only looks); the poster never runs on the bus. */
#include "poll_action.h"

#include <errno.h>

void gw_action_slot_init(struct gw_action_slot *s)
{
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->done, NULL);
	s->state = GW_ACTION_IDLE;
	s->fn = NULL;
	s->arg = NULL;
}

void gw_action_slot_destroy(struct gw_action_slot *s)
{
	pthread_cond_destroy(&s->done);
	pthread_mutex_destroy(&s->lock);
}

int gw_action_post(struct gw_action_slot *s, gw_action_fn fn, void *arg)
{
	int rc = -EBUSY;

	pthread_mutex_lock(&s->lock);
	if (s->state == GW_ACTION_IDLE) {
		s->fn = fn;
		s->arg = arg;
		s->state = GW_ACTION_POSTED;
		rc = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

bool gw_action_run_pending(struct gw_action_slot *s, struct gw_link *link)
{
	gw_action_fn fn;
	void *arg;

	pthread_mutex_lock(&s->lock);
	if (s->state != GW_ACTION_POSTED) {
		pthread_mutex_unlock(&s->lock);
		return false;
	}
	s->state = GW_ACTION_RUNNING;
	fn = s->fn;
	arg = s->arg;
	pthread_mutex_unlock(&s->lock);
	fn(arg, link);
	pthread_mutex_lock(&s->lock);
	s->state = GW_ACTION_IDLE;
	s->fn = NULL;
	s->arg = NULL;
	pthread_cond_broadcast(&s->done);
	pthread_mutex_unlock(&s->lock);
	return true;
}

bool gw_action_busy(struct gw_action_slot *s)
{
	bool busy;

	pthread_mutex_lock(&s->lock);
	busy = s->state != GW_ACTION_IDLE;
	pthread_mutex_unlock(&s->lock);
	return busy;
}

bool gw_action_retract(struct gw_action_slot *s)
{
	bool taken = false;

	pthread_mutex_lock(&s->lock);
	if (s->state == GW_ACTION_POSTED) {
		s->state = GW_ACTION_IDLE;
		s->fn = NULL;
		s->arg = NULL;
		taken = true;
	}
	while (s->state == GW_ACTION_RUNNING)
		pthread_cond_wait(&s->done, &s->lock);
	pthread_mutex_unlock(&s->lock);
	return taken;
}
