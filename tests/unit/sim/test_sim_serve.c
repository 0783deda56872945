/* The simulator's transports and fault effects, in process: a TCP bus whose
 * clients are socketpairs (no network), and an RTU bus on its own pty, driven
 * by gw_sim_step. Waits are bounded polls on the master side, never sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "clock.h"
#include "sim.h"

#define NOTHING_MS 150 /* how long "no reply" is awaited */

static struct gw_profile prof;
static char dir[64];
static char link_path[128];
static struct gw_sim *sim;

static void profile_build(void)
{
	static const char *const names[] = {"moisture_pct", "temperature_c", "ec_us_cm"};

	memset(&prof, 0, sizeof(prof));
	for (int i = 0; i < 3; i++) {
		struct gw_point *p = &prof.points[prof.npoints++];

		snprintf(p->name, sizeof(p->name), "%s", names[i]);
		p->kind = GW_REG_HOLDING;
		p->addr = (uint16_t)i;
		p->type = i == 1 ? GW_T_INT16 : GW_T_UINT16;
		p->scale = i == 2 ? 1 : 0.1;
	}
	prof.addressing.known = true;
	prof.addressing.unit_reg = 0x07D0;
}

static const struct gw_sim_unit_cfg units[] = {
        {.sensor = "s1", .unit = 1, .profile = &prof},
        {.sensor = "s2", .unit = 2, .profile = &prof},
        {.sensor = "s3", .unit = 3, .profile = &prof},
};

static int setup(void **state)
{
	struct gw_sim_opts opts = {.seed = 1, .speed = 1};
	struct gw_sim_bus_cfg tcp = {.name = "tcp1",
	                             .transport = GW_SIM_TCP,
	                             .host = "127.0.0.1",
	                             .units = units,
	                             .nunits = 3};
	struct gw_sim_bus_cfg rtu = {.name = "line1",
	                             .transport = GW_SIM_RTU,
	                             .baud = 9600,
	                             .parity = 'N',
	                             .data_bits = 8,
	                             .units = units,
	                             .nunits = 3};

	(void)state;
	profile_build();
	snprintf(dir, sizeof(dir), "/tmp/gw-sim-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(link_path, sizeof(link_path), "%s/dev/line1", dir);
	snprintf(rtu.link, sizeof(rtu.link), "%s", link_path);
	sim = gw_sim_new(&opts);
	if (!sim || gw_sim_add_bus(sim, &tcp) || gw_sim_add_bus(sim, &rtu))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char sub[160];

	(void)state;
	gw_sim_free(sim);
	sim = NULL;
	snprintf(sub, sizeof(sub), "%s/dev", dir);
	unlink(link_path);
	rmdir(sub);
	rmdir(dir);
	return 0;
}

/* Steps the sim until fd has want bytes (or the deadline); returns bytes read. */
static size_t recv_n(int fd, uint8_t *buf, size_t want, int timeout_ms)
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

static int tcp_client(void)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(gw_sim_adopt(sim, 0, sv[1]), 0);
	return sv[0];
}

static void tcp_ask(int fd, uint16_t tid, uint8_t unit, uint8_t fc)
{
	const uint8_t pdu[] = {fc, 0x00, 0x00, 0x00, 0x03};
	uint8_t adu[GW_SIM_MAX_ADU];
	size_t n = gw_sim_mbap_build(tid, unit, pdu, sizeof(pdu), adu);

	assert_int_equal(write(fd, adu, n), (ssize_t)n);
}

static void faults(const char *text)
{
	struct gw_diag d;
	struct gw_ydoc *doc;

	gw_diag_init(&d, stderr);
	doc = gw_yaml_load_string("faults.yaml", text, &d);
	assert_non_null(doc);
	assert_true(gw_sim_apply_faults(sim, doc, &d) >= 0);
	gw_yaml_free(doc);
}

static void test_sim_serve_tcp_read_ok(void **state)
{
	int fd = tcp_client();
	uint8_t rsp[64];

	(void)state;
	assert_true(gw_sim_port(sim, 0) > 0); /* port 0 asked: a free one picked */
	tcp_ask(fd, 0x1234, 2, 0x03);
	assert_int_equal(recv_n(fd, rsp, 15, 2000), 15);
	assert_int_equal(rsp[0] << 8 | rsp[1], 0x1234);
	assert_int_equal(rsp[5], 9);
	assert_int_equal(rsp[6], 2);
	assert_int_equal(rsp[7], 0x03);
	assert_int_equal(rsp[8], 6);
	close(fd);
}

static void test_sim_serve_tcp_unknown_unit_silent(void **state)
{
	int fd = tcp_client();
	uint8_t rsp[64];

	(void)state;
	tcp_ask(fd, 1, 9, 0x03);
	assert_int_equal(recv_n(fd, rsp, 1, NOTHING_MS), 0);
	close(fd);
}

static void test_sim_serve_tcp_faults_ok(void **state)
{
	int fd = tcp_client();
	uint8_t rsp[64];

	(void)state;
	faults("faults:\n  - {sensor: s1, kind: silent}\n  - {sensor: s2, kind: crc}\n"
	       "  - {bus: tcp1, unit: 3, kind: exception, code: 6}\n");
	tcp_ask(fd, 1, 1, 0x03);
	assert_int_equal(recv_n(fd, rsp, 1, NOTHING_MS), 0);
	/* crc over tcp: a whole frame answering another function */
	tcp_ask(fd, 2, 2, 0x03);
	assert_int_equal(recv_n(fd, rsp, 15, 2000), 15);
	assert_int_equal(rsp[7], 0x04);
	tcp_ask(fd, 3, 3, 0x03);
	assert_int_equal(recv_n(fd, rsp, 9, 2000), 9);
	assert_int_equal(rsp[7], 0x83);
	assert_int_equal(rsp[8], 6);
	/* a new fault file replaces the old one */
	faults("faults: []\n");
	tcp_ask(fd, 4, 1, 0x03);
	assert_int_equal(recv_n(fd, rsp, 15, 2000), 15);
	close(fd);
}

static void test_sim_serve_tcp_drop_closes(void **state)
{
	int fd = tcp_client();
	uint8_t rsp[64];
	int64_t end = gw_clock_mono_ms() + 2000;
	ssize_t n = -1;

	(void)state;
	faults("faults:\n  - {sensor: s2, kind: drop}\n");
	tcp_ask(fd, 1, 2, 0x03);
	while (n != 0 && gw_clock_mono_ms() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		gw_sim_step(sim, 10, NULL);
		if (poll(&p, 1, 0) > 0)
			n = read(fd, rsp, sizeof(rsp));
	}
	assert_int_equal(n, 0);
	close(fd);
}

static void test_sim_serve_tcp_slow_blocks_nobody(void **state)
{
	int a = tcp_client(), b = tcp_client();
	uint8_t rsp[64];
	int64_t t0 = gw_clock_mono_ms();

	(void)state;
	faults("faults:\n  - {sensor: s1, kind: slow, delay_ms: 300}\n");
	tcp_ask(a, 1, 1, 0x03);
	tcp_ask(b, 2, 2, 0x03);
	assert_int_equal(recv_n(b, rsp, 15, 2000), 15);
	assert_true(gw_clock_mono_ms() - t0 < 300);
	assert_int_equal(recv_n(a, rsp, 15, 2000), 15);
	assert_true(gw_clock_mono_ms() - t0 >= 300);
	close(a);
	close(b);
}

static void test_sim_serve_tcp_bad_protocol_closes(void **state)
{
	int fd = tcp_client();
	const uint8_t bad[] = {0, 1, 0x12, 0x34, 0, 6, 1, 3, 0, 0, 0, 1};
	uint8_t rsp[8];

	(void)state;
	assert_int_equal(write(fd, bad, sizeof(bad)), (ssize_t)sizeof(bad));
	assert_int_equal(recv_n(fd, rsp, 1, 2000), 0);
	assert_int_equal(read(fd, rsp, sizeof(rsp)), 0);
	close(fd);
}

static int rtu_open(speed_t speed)
{
	struct termios t;
	int fd = open(link_path, O_RDWR | O_NOCTTY);

	assert_true(fd >= 0);
	assert_int_equal(tcgetattr(fd, &t), 0);
	cfmakeraw(&t);
	cfsetispeed(&t, speed);
	cfsetospeed(&t, speed);
	assert_int_equal(tcsetattr(fd, TCSANOW, &t), 0);
	return fd;
}

static void rtu_ask(int fd, uint8_t unit, const uint8_t *pdu, size_t len)
{
	uint8_t adu[GW_SIM_MAX_ADU];
	size_t n = gw_sim_rtu_build(unit, pdu, len, adu);

	assert_int_equal(write(fd, adu, n), (ssize_t)n);
}

static const uint8_t read3[] = {0x03, 0x00, 0x00, 0x00, 0x03};

static void test_sim_serve_rtu_read_ok(void **state)
{
	int fd = rtu_open(B9600);
	uint8_t rsp[64];
	struct stat st;

	(void)state;
	assert_int_equal(lstat(link_path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	rtu_ask(fd, 3, read3, sizeof(read3));
	assert_int_equal(recv_n(fd, rsp, 11, 2000), 11);
	assert_int_equal(rsp[0], 3);
	assert_int_equal(rsp[1], 0x03);
	assert_int_equal(gw_sim_crc16(rsp, 11), 0);
	close(fd);
}

static void test_sim_serve_rtu_wrong_baud_silent(void **state)
{
	int fd = rtu_open(B4800);
	uint8_t rsp[64];

	(void)state;
	rtu_ask(fd, 3, read3, sizeof(read3));
	assert_int_equal(recv_n(fd, rsp, 1, NOTHING_MS), 0);
	close(fd);
	fd = rtu_open(B9600);
	rtu_ask(fd, 3, read3, sizeof(read3));
	assert_int_equal(recv_n(fd, rsp, 11, 2000), 11);
	close(fd);
}

static void test_sim_serve_rtu_crc_fault_bad_crc(void **state)
{
	int fd = rtu_open(B9600);
	uint8_t rsp[64];

	(void)state;
	faults("faults:\n  - {bus: line1, unit: 2, kind: crc}\n");
	rtu_ask(fd, 2, read3, sizeof(read3));
	assert_int_equal(recv_n(fd, rsp, 11, 2000), 11);
	assert_int_equal(rsp[0], 2);
	assert_int_not_equal(gw_sim_crc16(rsp, 11), 0);
	close(fd);
}

static void test_sim_serve_rtu_set_address_moves_unit_ok(void **state)
{
	const uint8_t set[] = {0x06, 0x07, 0xD0, 0x00, 0x2A};
	int fd = rtu_open(B9600);
	uint8_t rsp[64];

	(void)state;
	rtu_ask(fd, 1, set, sizeof(set));
	assert_int_equal(recv_n(fd, rsp, 8, 2000), 8);
	assert_int_equal(rsp[0], 1); /* answered from the old id */
	rtu_ask(fd, 1, read3, sizeof(read3));
	assert_int_equal(recv_n(fd, rsp, 1, NOTHING_MS), 0);
	rtu_ask(fd, 42, read3, sizeof(read3));
	assert_int_equal(recv_n(fd, rsp, 11, 2000), 11);
	assert_int_equal(rsp[0], 42);
	close(fd);
}

static void test_sim_serve_faults_unknown_sensor_rejected(void **state)
{
	struct gw_diag d;
	struct gw_ydoc *doc;
	char *msgs;
	size_t len;
	FILE *f = open_memstream(&msgs, &len);
	uint8_t rsp[64];
	int fd;

	(void)state;
	gw_diag_init(&d, f);
	doc = gw_yaml_load_string("faults.yaml",
	                          "faults:\n  - {sensor: nope, kind: silent}\n"
	                          "  - {bus: tcp1, unit: 9, kind: crc}\n"
	                          "  - {sensor: s2, kind: crc, code: 2}\n"
	                          "  - {sensor: s1, kind: silent}\n",
	                          &d);
	assert_int_equal(gw_sim_apply_faults(sim, doc, &d), -EINVAL);
	gw_yaml_free(doc);
	fclose(f);
	/* every error at once: the bad entry's, then the unknown names */
	assert_string_equal(msgs, "faults.yaml:4:5: error: faults: code: only for kind exception\n"
	                          "faults.yaml:2:5: error: faults: sensor \"nope\" is not served\n"
	                          "faults.yaml:3:5: error: faults: bus tcp1 has no unit 9\n");
	free(msgs);
	/* and nothing was applied: s1 still answers */
	fd = tcp_client();
	tcp_ask(fd, 1, 1, 0x03);
	assert_int_equal(recv_n(fd, rsp, 15, 2000), 15);
	close(fd);
}

static void test_sim_serve_link_lifecycle_ok(void **state)
{
	struct gw_sim_opts opts = {.seed = 1, .speed = 1};
	struct gw_sim_bus_cfg rtu = {
	        .name = "l2", .transport = GW_SIM_RTU, .units = units, .nunits = 1};
	struct gw_sim *other = gw_sim_new(&opts);
	char path[160];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/plain", dir);
	snprintf(rtu.link, sizeof(rtu.link), "%s", path);
	/* a regular file is not replaced */
	close(open(path, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(gw_sim_add_bus(other, &rtu), -EEXIST);
	unlink(path);
	/* a stale symlink is */
	assert_int_equal(symlink("/nonexistent/pts", path), 0);
	assert_int_equal(gw_sim_add_bus(other, &rtu), 0);
	assert_int_equal(lstat(path, &st), 0);
	gw_sim_free(other);
	assert_int_equal(lstat(path, &st), -1);
}

static void test_sim_serve_rtu_echo_then_reply_ok(void **state)
{
	struct gw_sim_bus_cfg rtu = {.name = "echo",
	                             .transport = GW_SIM_RTU,
	                             .baud = 9600,
	                             .parity = 'N',
	                             .data_bits = 8,
	                             .echo = true,
	                             .units = units,
	                             .nunits = 3};
	uint8_t req[GW_SIM_MAX_ADU], rsp[64];
	size_t n = gw_sim_rtu_build(2, read3, sizeof(read3), req);
	int fd;

	(void)state;
	/* the sim of setup() is replaced by one with an echoing line */
	gw_sim_free(sim);
	sim = gw_sim_new(&(struct gw_sim_opts){.seed = 1, .speed = 1});
	snprintf(rtu.link, sizeof(rtu.link), "%s", link_path);
	assert_int_equal(gw_sim_add_bus(sim, &rtu), 0);
	fd = rtu_open(B9600);
	assert_int_equal(write(fd, req, n), (ssize_t)n);
	assert_int_equal(recv_n(fd, rsp, n + 11, 2000), n + 11);
	assert_memory_equal(rsp, req, n);
	assert_int_equal(rsp[n], 2);
	assert_int_equal(gw_sim_crc16(rsp + n, 11), 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_sim_serve_tcp_read_ok, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sim_serve_tcp_unknown_unit_silent, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_sim_serve_tcp_faults_ok, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sim_serve_tcp_drop_closes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sim_serve_tcp_slow_blocks_nobody, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_sim_serve_tcp_bad_protocol_closes, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_sim_serve_rtu_read_ok, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sim_serve_rtu_wrong_baud_silent, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_sim_serve_rtu_crc_fault_bad_crc, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_sim_serve_rtu_echo_then_reply_ok, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_sim_serve_rtu_set_address_moves_unit_ok, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_sim_serve_faults_unknown_sensor_rejected,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sim_serve_link_lifecycle_ok, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
