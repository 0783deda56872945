/* The action hand-off between the console and a bus thread: one action per bus at a time
 * (a second post is refused while one waits or runs), the bus thread runs it once, a waiting
 * action can be taken back and then never runs, and taking back a running one waits for it. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "poll_action.h"

struct job {
	int runs;
	void *link_seen;
	atomic_bool started, release;
};

static void run(void *arg, struct gw_link *link)
{
	struct job *j = arg;

	j->runs++;
	j->link_seen = link;
}

static void run_slow(void *arg, struct gw_link *link)
{
	struct job *j = arg;

	(void)link;
	atomic_store(&j->started, true);
	for (int i = 0; i < 2000 && !atomic_load(&j->release); i++)
		usleep(1000);
	j->runs++;
}

static void test_poll_action_one_at_a_time_busy(void **state)
{
	struct gw_action_slot s;
	struct job a = {0}, b = {0};
	int fake_link;

	(void)state;
	gw_action_slot_init(&s);
	assert_false(gw_action_busy(&s));
	assert_false(gw_action_run_pending(&s, (struct gw_link *)&fake_link));
	assert_int_equal(gw_action_post(&s, run, &a), 0);
	assert_true(gw_action_busy(&s));
	assert_int_equal(gw_action_post(&s, run, &b), -EBUSY);
	assert_true(gw_action_run_pending(&s, (struct gw_link *)&fake_link));
	assert_int_equal(a.runs, 1);
	assert_ptr_equal(a.link_seen, &fake_link);
	assert_int_equal(b.runs, 0);
	assert_false(gw_action_run_pending(&s, NULL)); /* ran once */
	assert_false(gw_action_busy(&s));
	assert_int_equal(gw_action_post(&s, run, &b), 0); /* the bus is free again */
	assert_true(gw_action_run_pending(&s, NULL));
	assert_int_equal(b.runs, 1);
	gw_action_slot_destroy(&s);
}

static void test_poll_action_retract_waiting_never_runs(void **state)
{
	struct gw_action_slot s;
	struct job a = {0};

	(void)state;
	gw_action_slot_init(&s);
	assert_int_equal(gw_action_post(&s, run, &a), 0);
	assert_true(gw_action_retract(&s));
	assert_false(gw_action_run_pending(&s, NULL));
	assert_int_equal(a.runs, 0);
	assert_false(gw_action_retract(&s)); /* nothing to take back */
	gw_action_slot_destroy(&s);
}

struct bus {
	struct gw_action_slot *s;
};

static void *bus_thread(void *arg)
{
	struct bus *b = arg;

	for (int i = 0; i < 5000 && !gw_action_run_pending(b->s, NULL); i++)
		usleep(1000);
	return NULL;
}

static void test_poll_action_retract_running_waits(void **state)
{
	struct gw_action_slot s;
	struct job a = {0};
	struct bus b = {&s};
	pthread_t t;

	(void)state;
	gw_action_slot_init(&s);
	assert_int_equal(gw_action_post(&s, run_slow, &a), 0);
	assert_int_equal(pthread_create(&t, NULL, bus_thread, &b), 0);
	for (int i = 0; i < 5000 && !atomic_load(&a.started); i++)
		usleep(1000);
	assert_true(atomic_load(&a.started));
	assert_int_equal(gw_action_post(&s, run, &a), -EBUSY); /* running: still busy */
	atomic_store(&a.release, true);
	assert_false(gw_action_retract(&s)); /* it was running: waited, not taken back */
	assert_int_equal(a.runs, 1);
	assert_false(gw_action_busy(&s));
	pthread_join(t, NULL);
	gw_action_slot_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_poll_action_one_at_a_time_busy),
	        cmocka_unit_test(test_poll_action_retract_waiting_never_runs),
	        cmocka_unit_test(test_poll_action_retract_running_waits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
