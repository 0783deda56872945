/* mqtt_collect: a small MQTT subscriber for the integration tests. Subscribes with a persistent
 * session (clean session off, so a broker with persistence keeps its queue across a restart),
 * reconnects every 200 ms while the broker is away, and writes each message as one line
 * "topic<TAB>payload<TAB>retained" to the output file, flushed per line. Prints "ready" once
 * subscribed the first time; exits on SIGTERM or SIGINT. A test tool, not part of the product.
 *
 * mqtt_collect -p PORT [-h 127.0.0.1] -t FILTER [-q 1] [-i CLIENT_ID]
 *              [--cafile F --cert F --key F] [-u USER -P PASSFILE] -o OUTFILE */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <MQTTAsync.h>

enum link_state { LINK_DOWN, LINK_CONNECTING, LINK_UP };

struct opts {
	const char *host, *filter, *client_id, *cafile, *cert, *key, *user, *passfile, *out;
	int port, qos;
};

static struct {
	pthread_mutex_t lock;
	enum link_state state;
	bool ready_printed;
	FILE *out;
	const struct opts *o;
	MQTTAsync h;
	char password[256];
} col = {.lock = PTHREAD_MUTEX_INITIALIZER};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void set_state(enum link_state s)
{
	pthread_mutex_lock(&col.lock);
	col.state = s;
	pthread_mutex_unlock(&col.lock);
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *msg)
{
	(void)ctx;
	pthread_mutex_lock(&col.lock);
	if (topic_len > 0)
		fprintf(col.out, "%.*s\t", topic_len, topic);
	else
		fprintf(col.out, "%s\t", topic);
	fwrite(msg->payload, 1, (size_t)msg->payloadlen, col.out);
	fprintf(col.out, "\t%d\n", msg->retained ? 1 : 0);
	fflush(col.out);
	pthread_mutex_unlock(&col.lock);
	MQTTAsync_freeMessage(&msg);
	MQTTAsync_free(topic);
	return 1;
}

static void on_lost(void *ctx, char *cause)
{
	(void)ctx;
	(void)cause;
	set_state(LINK_DOWN);
}

static void on_subscribed(void *ctx, MQTTAsync_successData *d)
{
	(void)ctx;
	(void)d;
	pthread_mutex_lock(&col.lock);
	col.state = LINK_UP;
	if (!col.ready_printed) {
		col.ready_printed = true;
		printf("ready\n");
		fflush(stdout);
	}
	pthread_mutex_unlock(&col.lock);
}

static void on_failed(void *ctx, MQTTAsync_failureData *d)
{
	(void)ctx;
	(void)d;
	set_state(LINK_DOWN);
	/* the connection may still be up (a refused subscription): start over */
	MQTTAsync_disconnect(col.h, NULL);
}

static void on_connected(void *ctx, MQTTAsync_successData *d)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;

	(void)ctx;
	(void)d;
	ro.onSuccess = on_subscribed;
	ro.onFailure = on_failed;
	if (MQTTAsync_subscribe(col.h, col.o->filter, col.o->qos, &ro) != MQTTASYNC_SUCCESS)
		on_failed(NULL, NULL);
}

static void on_connect_failed(void *ctx, MQTTAsync_failureData *d)
{
	(void)ctx;
	(void)d;
	set_state(LINK_DOWN);
}

static void start_connect(void)
{
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	const struct opts *o = col.o;

	set_state(LINK_CONNECTING);
	co.keepAliveInterval = 10;
	co.cleansession = 0;
	co.connectTimeout = 5;
	co.MQTTVersion = MQTTVERSION_3_1_1;
	co.onSuccess = on_connected;
	co.onFailure = on_connect_failed;
	co.username = o->user;
	co.password = o->passfile ? col.password : NULL;
	if (o->cafile) {
		ssl.trustStore = o->cafile;
		ssl.keyStore = o->cert;
		ssl.privateKey = o->key;
		ssl.enableServerCertAuth = 1;
		ssl.verify = 1;
		co.ssl = &ssl;
	}
	if (MQTTAsync_connect(col.h, &co) != MQTTASYNC_SUCCESS)
		set_state(LINK_DOWN);
}

static int read_password(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(col.password, 1, sizeof(col.password) - 1, f);
	fclose(f);
	col.password[n] = '\0';
	while (n > 0 && (col.password[n - 1] == '\n' || col.password[n - 1] == '\r'))
		col.password[--n] = '\0';
	return 0;
}

/* A whole decimal number in 0..65535, else -1. */
static int number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v >= 0 && v <= 65535 ? (int)v : -1;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {{"cafile", required_argument, NULL, 'C'},
	                                      {"cert", required_argument, NULL, 'E'},
	                                      {"key", required_argument, NULL, 'K'},
	                                      {NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, "p:h:t:q:i:u:P:o:", longs, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->port = number(optarg);
			break;
		case 'h':
			o->host = optarg;
			break;
		case 't':
			o->filter = optarg;
			break;
		case 'q':
			o->qos = number(optarg);
			break;
		case 'i':
			o->client_id = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'P':
			o->passfile = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'C':
			o->cafile = optarg;
			break;
		case 'E':
			o->cert = optarg;
			break;
		case 'K':
			o->key = optarg;
			break;
		default:
			return -1;
		}
	}
	if (o->port <= 0 || o->port > 65535 || !o->filter || !o->out || o->qos < 0 || o->qos > 2)
		return -1;
	return 0;
}

static int setup(struct opts *o, char *id, size_t id_len)
{
	char uri[300];
	struct sigaction sa = {.sa_handler = on_signal};

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!o->client_id) {
		snprintf(id, id_len, "mqtt_collect-%ld", (long)getpid());
		o->client_id = id;
	}
	if (o->passfile && read_password(o->passfile)) {
		perror(o->passfile);
		return -1;
	}
	col.out = fopen(o->out, "a");
	if (!col.out) {
		perror(o->out);
		return -1;
	}
	snprintf(uri, sizeof(uri), "%s://%s:%d", o->cafile ? "ssl" : "tcp", o->host, o->port);
	if (MQTTAsync_create(&col.h, uri, o->client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL) !=
	            MQTTASYNC_SUCCESS ||
	    MQTTAsync_setCallbacks(col.h, NULL, on_lost, on_message, NULL) != MQTTASYNC_SUCCESS) {
		fprintf(stderr, "mqtt_collect: cannot create the client for %s\n", uri);
		return -1;
	}
	col.o = o;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.host = "127.0.0.1", .qos = 1};
	char id[64];
	struct timespec tick = {0, 50 * 1000000L};
	int down_ticks = 4;

	if (parse_args(argc, argv, &o)) {
		fprintf(stderr, "usage: mqtt_collect -p PORT [-h HOST] -t FILTER [-q QOS] [-i ID] "
		                "[--cafile F --cert F --key F] [-u USER -P PASSFILE] -o OUTFILE\n");
		return 2;
	}
	if (setup(&o, id, sizeof(id)))
		return 1;
	while (!stop) {
		enum link_state s;

		pthread_mutex_lock(&col.lock);
		s = col.state;
		pthread_mutex_unlock(&col.lock);
		down_ticks = s == LINK_DOWN ? down_ticks + 1 : 0;
		if (s == LINK_DOWN && down_ticks >= 4) { /* every 200 ms while away */
			down_ticks = 0;
			start_connect();
		}
		nanosleep(&tick, NULL);
	}
	MQTTAsync_disconnect(col.h, NULL);
	MQTTAsync_destroy(&col.h);
	fclose(col.out);
	return 0;
}
