/* The floor for the cost benchmark: a bare libmodbus + Paho loop, written for the bench, doing
 * what a user's own script would: every second, read COUNT registers from each of UNITS slaves
 * and publish them as one small JSON message each at QoS 0 (BARE_QOS=1: at QoS 1, the cycle's
 * acknowledgements awaited at its end, in this thread: Paho's synchronous client without
 * callbacks starts no thread of its own). No journal, no retry, no quality.
 * Runs until SIGTERM/SIGINT, then prints polls=N failed=N.
 * usage: bare_mqtt_loop HOST PORT UNITS ADDR COUNT MQTT_URI
 * It includes modbus.h and MQTTClient.h itself on purpose: the floor is a user's own script,
 * outside the project, whose owners are drivers/modbus_link.c and gateway/net/mqtt_client.c. */
#include <errno.h>
#include <inttypes.h>
#include <modbus.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <MQTTClient.h>

static volatile sig_atomic_t stop;
static int qos;                       /* BARE_QOS */
static MQTTClient_deliveryToken last; /* the cycle's last QoS 1 message */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads and publishes one unit; returns 0 or -1. */
static int poll_one(modbus_t *ctx, MQTTClient mq, int unit, int addr, int count)
{
	uint16_t regs[125];
	char topic[64], json[512];
	int len;

	modbus_set_slave(ctx, unit);
	if (modbus_read_registers(ctx, addr, count, regs) != count)
		return -1;
	len = snprintf(json, sizeof(json), "{\"ts\":%" PRId64 ",\"v\":[", wall_ms());
	for (int i = 0; i < count; i++)
		len += snprintf(json + len, sizeof(json) - (size_t)len, "%s%u", i ? "," : "",
		                regs[i]);
	len += snprintf(json + len, sizeof(json) - (size_t)len, "]}");
	snprintf(topic, sizeof(topic), "bare/u%d", unit);
	return MQTTClient_publish(mq, topic, len, json, qos, 0, &last) == MQTTCLIENT_SUCCESS ? 0
	                                                                                     : -1;
}

static int connect_mqtt(MQTTClient *mq, const char *uri)
{
	MQTTClient_connectOptions co = MQTTClient_connectOptions_initializer;

	if (MQTTClient_create(mq, uri, "bare-mqtt-loop", MQTTCLIENT_PERSISTENCE_NONE, NULL) !=
	    MQTTCLIENT_SUCCESS)
		return -1;
	co.keepAliveInterval = 30;
	co.cleansession = 1;
	co.maxInflightMessages = 100; /* as the cost bench configures fieldgate */
	return MQTTClient_connect(*mq, &co) == MQTTCLIENT_SUCCESS ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned long polls = 0, failed = 0;
	struct timespec next;
	modbus_t *ctx;
	MQTTClient mq;
	int units, addr, count;

	if (argc != 7) {
		fprintf(stderr, "usage: bare_mqtt_loop HOST PORT UNITS ADDR COUNT MQTT_URI\n");
		return 2;
	}
	units = (int)strtol(argv[3], NULL, 10);
	addr = (int)strtol(argv[4], NULL, 10);
	count = (int)strtol(argv[5], NULL, 10);
	if (count < 1 || count > 125)
		return 2;
	qos = getenv("BARE_QOS") && atoi(getenv("BARE_QOS")) == 1 ? 1 : 0;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	ctx = modbus_new_tcp(argv[1], (int)strtol(argv[2], NULL, 10));
	if (!ctx || modbus_connect(ctx) != 0) {
		fprintf(stderr, "bare_mqtt_loop: connect: %s\n", modbus_strerror(errno));
		return 1;
	}
	if (connect_mqtt(&mq, argv[6])) {
		fprintf(stderr, "bare_mqtt_loop: MQTT connect to %s failed\n", argv[6]);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop) {
		for (int u = 1; u <= units && !stop; u++) {
			if (poll_one(ctx, mq, u, addr, count))
				failed++;
			else
				polls++;
		}
		if (qos && MQTTClient_waitForCompletion(mq, last, 2000) != MQTTCLIENT_SUCCESS)
			failed++;
		next.tv_sec++;
		while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL))
			;
	}
	printf("bare_mqtt: polls=%lu failed=%lu\n", polls, failed);
	MQTTClient_disconnect(mq, 200);
	MQTTClient_destroy(&mq);
	modbus_close(ctx);
	modbus_free(ctx);
	return 0;
}
