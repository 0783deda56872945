#!/bin/bash
# packaging/alerts.yml with Prometheus' own tools: `promtool check rules` (syntax, PromQL,
# templates) and `promtool test rules` on tests/integration/data/alerts_test.yml (each alert
# fires on synthetic series when it should, not before its `for:`, with the labels and
# annotations written there). Fails when a rule's expression, threshold, duration or
# annotation drifts from the test: e.g. FieldgateSensorStale without the group_left join on
# the sensor's interval finds no series and the 20m case goes red.
set -u
. "$(dirname "$0")/lib.sh"
: "${GW_SOURCE_DIR:?}"
command -v promtool >/dev/null || fail "promtool missing (Debian package prometheus: scripts/setup.sh --test)"
cp "$GW_SOURCE_DIR/packaging/alerts.yml" "$GW_SOURCE_DIR/tests/integration/data/alerts_test.yml" "$tmp/"
promtool check rules "$tmp/alerts.yml" >"$tmp/check.log" 2>&1 || fail "promtool check rules: $(cat "$tmp/check.log")"
(cd "$tmp" && promtool test rules alerts_test.yml) >"$tmp/test.log" 2>&1 ||
	fail "promtool test rules: $(cat "$tmp/test.log")"
echo "alerts.yml: $(grep -c 'alert:' "$tmp/alerts.yml") rules checked and tested"
