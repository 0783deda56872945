/* The floor for the polling benchmark: a bare libmodbus loop reading the same
 * blocks from the same simulator as fieldgate does, with nothing else around it.
 * usage: bare_loop HOST PORT UNITS ADDR COUNT SECONDS
 * It includes modbus.h itself on purpose: the floor must not go through the project's link
 * (drivers/modbus_link.c owns libmodbus for the project; the benchmarks stand outside it). */
#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint16_t regs[125];
	unsigned long ok = 0, failed = 0;
	modbus_t *ctx;
	double start, end;
	int units, addr, count;

	if (argc != 7) {
		fprintf(stderr, "usage: bare_loop HOST PORT UNITS ADDR COUNT SECONDS\n");
		return 2;
	}
	units = (int)strtol(argv[3], NULL, 10);
	addr = (int)strtol(argv[4], NULL, 10);
	count = (int)strtol(argv[5], NULL, 10);
	ctx = modbus_new_tcp(argv[1], (int)strtol(argv[2], NULL, 10));
	if (!ctx || modbus_connect(ctx) != 0) {
		fprintf(stderr, "bare_loop: connect: %s\n", modbus_strerror(errno));
		return 1;
	}
	start = now_s();
	end = start + strtod(argv[6], NULL);
	while (now_s() < end) {
		for (int u = 1; u <= units; u++) {
			modbus_set_slave(ctx, u);
			if (modbus_read_registers(ctx, addr, count, regs) == count)
				ok++;
			else
				failed++;
		}
	}
	printf("bare: requests=%lu failed=%lu seconds=%.3f requests_per_s=%.1f\n", ok, failed,
	       now_s() - start, (double)ok / (now_s() - start));
	modbus_close(ctx);
	modbus_free(ctx);
	return failed ? 1 : 0;
}
