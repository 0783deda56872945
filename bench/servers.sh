# Shared by the bench scripts: a free loopback port and the servers they measure against,
# each in a directory of the caller's, on loopback, stopped by PID (bench_stop_servers).
# Source it; it needs bash.
bench_pids=()

# Prints a free TCP port on 127.0.0.1.
bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# bench_start_influxd DIR HTTP_PORT [DATABASE]: an influxd (1.x) with its data in DIR,
# answering /ping before it returns; creates DATABASE when given. INFLUXD overrides the binary.
bench_start_influxd() {
  local dir=$1 http=$2 db=${3:-} rpc
  rpc=$(bench_free_port)
  mkdir -p "$dir"
  cat >"$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$http"
  log-enabled = false
CONF
  "${INFLUXD:-/usr/bin/influxd}" -config "$dir/influxdb.conf" >"$dir/influxd.log" 2>&1 &
  bench_pids+=($!)
  for _ in $(seq 300); do
    curl -sf -o /dev/null "http://127.0.0.1:$http/ping" && break
    sleep 0.1
  done
  curl -sf -o /dev/null "http://127.0.0.1:$http/ping" ||
    { echo "influxd did not start: $(tail -3 "$dir/influxd.log")" >&2; return 1; }
  if [ -n "$db" ]; then
    curl -sf -o /dev/null -XPOST "http://127.0.0.1:$http/query" \
      --data-urlencode "q=CREATE DATABASE $db"
  fi
}

# bench_start_mosquitto DIR PORT: a mosquitto on 127.0.0.1:PORT that queues without limit.
bench_start_mosquitto() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  printf 'user %s\nlistener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n' \
    "$(id -un)" "$port" >"$dir/mosquitto.conf"
  /usr/sbin/mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.log" 2>&1 &
  bench_pids+=($!)
  for _ in $(seq 100); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
      "$port" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "mosquitto did not start: $(tail -3 "$dir/mosquitto.log")" >&2
  return 1
}

# Stops the servers started above (only those), newest first.
bench_stop_servers() {
  local i
  for ((i = ${#bench_pids[@]} - 1; i >= 0; i--)); do
    kill "${bench_pids[$i]}" 2>/dev/null && wait "${bench_pids[$i]}" 2>/dev/null
  done
  bench_pids=()
}
