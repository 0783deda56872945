/* The simulator as a DTU, in process: an rtu_tcp bus whose client is a
 * socketpair (RTU frames with CRC over a stream; bad CRC and garbage get no
 * answer), and dialling DTUs against a listening socket of the test's own on
 * loopback (registration on connect or in front of every packet, heartbeats,
 * a flaky link that goes quiet and dials again). Bounded polls, no sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "sim.h"

#define WAIT_MS    2000
#define NOTHING_MS 150

static struct gw_profile prof;
static const struct gw_sim_unit_cfg units[] = {{.sensor = "s1", .unit = 1, .profile = &prof}};
/* read holding 0x0000 x3 from unit 1 */
static const uint8_t req[] = {0x01, 0x03, 0x00, 0x00, 0x00, 0x03, 0x05, 0xCB};

static void profile_build(void)
{
	memset(&prof, 0, sizeof(prof));
	for (int i = 0; i < 3; i++) {
		struct gw_point *p = &prof.points[prof.npoints++];

		snprintf(p->name, sizeof(p->name), "p%d", i);
		p->kind = GW_REG_HOLDING;
		p->addr = (uint16_t)i;
		p->type = GW_T_UINT16;
		p->scale = 1;
	}
}

/* Steps sim until fd has want bytes or timeout_ms passed; returns bytes read. */
static size_t recv_n(struct gw_sim *sim, int fd, uint8_t *buf, size_t want, int timeout_ms)
{
	int64_t end = gw_clock_mono_ms() + timeout_ms;
	size_t got = 0;

	while (got < want && gw_clock_mono_ms() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		gw_sim_step(sim, 10, NULL);
		if (poll(&p, 1, 0) <= 0)
			continue;
		n = read(fd, buf + got, want - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* Steps sim until the listening socket ls has a connection; returns it or -1. */
static int accept_within(struct gw_sim *sim, int ls, int timeout_ms)
{
	int64_t end = gw_clock_mono_ms() + timeout_ms;

	while (gw_clock_mono_ms() < end) {
		struct pollfd p = {.fd = ls, .events = POLLIN};

		gw_sim_step(sim, 10, NULL);
		if (poll(&p, 1, 0) > 0)
			return accept(ls, NULL, NULL);
	}
	return -1;
}

static void assert_reply(const uint8_t *r)
{
	uint16_t crc = gw_sim_crc16(r, 9);

	assert_int_equal(r[0], 1);
	assert_int_equal(r[1], 3);
	assert_int_equal(r[2], 6);
	assert_int_equal(r[9], crc & 0xFF);
	assert_int_equal(r[10], crc >> 8);
}

static void test_sim_dtu_rtu_tcp_frames_ok(void **state)
{
	struct gw_sim_opts opts = {.seed = 1, .speed = 1};
	struct gw_sim_bus_cfg bc = {.name = "far1",
	                            .transport = GW_SIM_RTU_TCP,
	                            .host = "127.0.0.1",
	                            .units = units,
	                            .nunits = 1};
	struct gw_sim *sim = gw_sim_new(&opts);
	uint8_t bad[sizeof(req)], r[32];
	int sv[2];

	(void)state;
	assert_int_equal(gw_sim_add_bus(sim, &bc), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(gw_sim_adopt(sim, 0, sv[1]), 0);
	assert_int_equal(write(sv[0], req, sizeof(req)), sizeof(req));
	assert_int_equal(recv_n(sim, sv[0], r, 11, WAIT_MS), 11);
	assert_reply(r);
	/* a bad CRC, then garbage: no answer; the next good frame is answered */
	memcpy(bad, req, sizeof(req));
	bad[7] ^= 0xFF;
	assert_int_equal(write(sv[0], bad, sizeof(bad)), sizeof(bad));
	assert_int_equal(recv_n(sim, sv[0], r, 1, NOTHING_MS), 0);
	assert_int_equal(write(sv[0], "\xFF\xEE\xDD", 3), 3);
	assert_int_equal(recv_n(sim, sv[0], r, 1, NOTHING_MS), 0);
	assert_int_equal(write(sv[0], req, sizeof(req)), sizeof(req));
	assert_int_equal(recv_n(sim, sv[0], r, 11, WAIT_MS), 11);
	assert_reply(r);
	close(sv[0]);
	gw_sim_free(sim);
}

static int listen_any(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static struct gw_sim *dialler(bool prefix, unsigned flaky_ms, int *ls)
{
	struct gw_sim_opts opts = {.seed = 1, .speed = 1};
	struct gw_sim_bus_cfg bc = {.name = "plot-a",
	                            .transport = GW_SIM_DTU,
	                            .host = "127.0.0.1",
	                            .units = units,
	                            .nunits = 1,
	                            .reglen = 5,
	                            .reg_prefix = prefix,
	                            .hblen = 2,
	                            .heartbeat_ms = 100,
	                            .flaky_ms = flaky_ms};
	struct gw_sim *sim = gw_sim_new(&opts);

	memcpy(bc.reg, "IMEI1", 5);
	memcpy(bc.heartbeat, "HB", 2);
	*ls = listen_any(&bc.port);
	assert_int_equal(gw_sim_add_bus(sim, &bc), 0);
	return sim;
}

static void test_sim_dtu_dials_registers_beats_ok(void **state)
{
	int ls, c;
	struct gw_sim *sim = dialler(false, 0, &ls);
	uint8_t r[32];

	(void)state;
	c = accept_within(sim, ls, WAIT_MS);
	assert_true(c >= 0);
	assert_int_equal(recv_n(sim, c, r, 5, WAIT_MS), 5);
	assert_memory_equal(r, "IMEI1", 5);
	assert_int_equal(recv_n(sim, c, r, 4, WAIT_MS), 4);
	assert_memory_equal(r, "HBHB", 4);
	/* a request between heartbeats: the reply is a bare RTU frame */
	assert_int_equal(write(c, req, sizeof(req)), sizeof(req));
	do
		assert_int_equal(recv_n(sim, c, r, 1, WAIT_MS), 1);
	while (r[0] == 'H' || r[0] == 'B');
	assert_int_equal(recv_n(sim, c, r + 1, 10, WAIT_MS), 10);
	assert_reply(r);
	close(c);
	close(ls);
	gw_sim_free(sim);
}

static void test_sim_dtu_prefix_and_flaky_redial_ok(void **state)
{
	int ls, c, c2;
	struct gw_sim *sim = dialler(true, 300, &ls);
	uint8_t r[32];

	(void)state;
	c = accept_within(sim, ls, WAIT_MS);
	assert_true(c >= 0);
	/* prefix mode: the first packet is the registration in front of a heartbeat */
	assert_int_equal(recv_n(sim, c, r, 7, WAIT_MS), 7);
	assert_memory_equal(r, "IMEI1HB", 7);
	assert_int_equal(write(c, req, sizeof(req)), sizeof(req));
	do
		assert_int_equal(recv_n(sim, c, r, 7, WAIT_MS), 7);
	while (memcmp(r, "IMEI1HB", 7) == 0);
	assert_memory_equal(r, "IMEI1", 5);
	assert_int_equal(recv_n(sim, c, r + 7, 9, WAIT_MS), 9);
	assert_reply(r + 5);
	/* flaky: a new connection registers; the old one goes quiet without a close */
	c2 = accept_within(sim, ls, WAIT_MS);
	assert_true(c2 >= 0);
	assert_int_equal(recv_n(sim, c2, r, 7, WAIT_MS), 7);
	assert_memory_equal(r, "IMEI1HB", 7);
	while (recv(c, r, sizeof(r), MSG_DONTWAIT) > 0)
		; /* what the old connection had sent before it went quiet */
	for (int64_t end = gw_clock_mono_ms() + NOTHING_MS; gw_clock_mono_ms() < end;)
		gw_sim_step(sim, 10, NULL);
	struct pollfd p = {.fd = c, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 0), 0); /* neither data nor a close */
	close(c);
	close(c2);
	close(ls);
	gw_sim_free(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sim_dtu_rtu_tcp_frames_ok),
	        cmocka_unit_test(test_sim_dtu_dials_registers_beats_ok),
	        cmocka_unit_test(test_sim_dtu_prefix_and_flaky_redial_ok),
	};

	profile_build();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
