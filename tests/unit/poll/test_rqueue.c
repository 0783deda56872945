/* The reading queue: FIFO order, timeouts, back-pressure from a full queue,
 * and close semantics (queued readings stay poppable). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rqueue.h"

static void test_rqueue_fifo_ok(void **state)
{
	struct gw_rqueue *q = gw_rqueue_new(4);
	struct gw_reading r = {0}, out;

	(void)state;
	for (uint32_t i = 0; i < 4; i++) {
		r.index = i;
		assert_int_equal(gw_rqueue_push(q, &r), 0);
	}
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(gw_rqueue_pop(q, &out, 10), 0);
		assert_int_equal(out.index, i);
	}
	assert_int_equal(gw_rqueue_pop(q, &out, 1), -EAGAIN);
	gw_rqueue_free(q);
}

struct producer {
	struct gw_rqueue *q;
	uint32_t n;
	int rc;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct gw_reading r = {0};

	for (uint32_t i = 0; i < p->n && p->rc == 0; i++) {
		r.index = i;
		p->rc = gw_rqueue_push(p->q, &r);
	}
	return NULL;
}

static void test_rqueue_backpressure_loses_nothing(void **state)
{
	struct producer p = {.q = gw_rqueue_new(3), .n = 1000};
	struct gw_reading out;
	pthread_t t;

	(void)state;
	pthread_create(&t, NULL, produce, &p);
	for (uint32_t i = 0; i < 1000; i++) {
		assert_int_equal(gw_rqueue_pop(p.q, &out, 5000), 0);
		assert_int_equal(out.index, i);
	}
	pthread_join(t, NULL);
	assert_int_equal(p.rc, 0);
	gw_rqueue_free(p.q);
}

static void test_rqueue_close_drains_then_enodata(void **state)
{
	struct gw_rqueue *q = gw_rqueue_new(2);
	struct gw_reading r = {.index = 7}, out;

	(void)state;
	assert_int_equal(gw_rqueue_push(q, &r), 0);
	gw_rqueue_close(q);
	assert_int_equal(gw_rqueue_push(q, &r), -ECANCELED);
	assert_int_equal(gw_rqueue_pop(q, &out, 10), 0);
	assert_int_equal(out.index, 7);
	assert_int_equal(gw_rqueue_pop(q, &out, 10), -ENODATA);
	gw_rqueue_free(q);
}

static void test_rqueue_close_frees_blocked_producer(void **state)
{
	struct producer p = {.q = gw_rqueue_new(1), .n = 5};
	pthread_t t;

	(void)state;
	pthread_create(&t, NULL, produce, &p);
	/* The producer fills the single slot and then waits; close must release it. */
	gw_rqueue_close(p.q);
	pthread_join(t, NULL);
	assert_int_equal(p.rc, -ECANCELED);
	gw_rqueue_free(p.q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rqueue_fifo_ok),
	        cmocka_unit_test(test_rqueue_backpressure_loses_nothing),
	        cmocka_unit_test(test_rqueue_close_drains_then_enodata),
	        cmocka_unit_test(test_rqueue_close_frees_blocked_producer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
