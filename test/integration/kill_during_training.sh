#!/usr/bin/env bash
# kill_during_training.sh: a training stopped half way leaves nothing, and
# stops promptly.
#
# A training of many seconds (300,000 ratings, 1000 epochs) is stopped in
# its epochs, which the backend's process title shows ("recsys: epoch N"):
#  (a) by pg_cancel_backend, with one thread and with two (the threaded
#      core must join its workers before the cancel unwinds), for mf and
#      for dense and lstm: the session gets "canceling statement due to user
#      request" within 5 s, and the same backend (same pid) runs its next
#      statement;
#  (b) by statement_timeout = '1s': "canceling statement due to statement
#      timeout" within 5 s, and the session goes on;
#  (c) by SIGKILL of the backend: the postmaster restarts every process
#      (a new checkpointer), accepts connections again, and a new training
#      works.
# After each, recsys_models and recsys_tensors hold exactly the rows they
# held before (nothing of the stopped model), and a model trained before
# serves the same predictions and list as before.  Runs inside
# pg_virtualenv after `make install`; exit 0 pass, 1 fail.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/integration/lib.bash
. "$HERE/lib.bash"

DB=recsys_kill
WORK=$(mktemp -d)
client=""
cleanup() {
	[ -n "$client" ] && kill "$client" 2>/dev/null
	dropdb --if-exists $DB >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
	echo "kill_during_training.sh: FAILED: $*" >&2
	exit 1
}

PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB")
# a training of many seconds, every epoch run: $1 kind, $2 threads
long_training() {
	local opts='"epochs": 1000, "validation_fraction": 0, "seed": 1'
	case $1 in
		mf) opts="$opts, \"factors\": 64" ;;
		dense) opts="$opts, \"factors\": 32" ;;
		lstm) opts="$opts, \"factors\": 16, \"hidden\": 32" ;;
	esac
	echo "SET recsys.threads = $2; SET recsys.epoch_notices = off;
	      SELECT recsys_train('$1', 'ratings', 'stopped', '{$opts}');"
}

fresh_db "$DB" || fail "could not create database $DB"
"${PSQL[@]}" >/dev/null <<'SQL' || fail "could not prepare the data"
SET recsys.threads = 1;
SET recsys.epoch_notices = off;
CREATE TABLE ratings AS SELECT * FROM recsys_synthetic_ratings(3000, 1000, 300000, 9);
CREATE TABLE small AS SELECT * FROM recsys_synthetic_ratings(200, 100, 3000, 2);
SELECT recsys_train('mf', 'small', 'kept', '{"seed": 1, "factors": 8, "epochs": 5}');
SQL
# what the kept model serves, and what the catalog holds
SERVED="SELECT to_char(sum(recsys_predict('kept', u, i)), 'FM999999990.000000000')
          FROM generate_series(1, 200, 3) u, generate_series(1, 100, 2) i;
        SELECT string_agg(item_id::text, ',') FROM recsys_recommend('kept', 7, 10);"
CATALOG="SELECT string_agg(name || '#' || id || '/' || revision, ',' ORDER BY name) FROM recsys_models;
         SELECT count(*) || ' tensor rows, ' || coalesce(sum(length(data)), 0) || ' bytes' FROM recsys_tensors;"
served_before=$("${PSQL[@]}" -c "$SERVED") || fail "the kept model did not serve"
catalog_before=$("${PSQL[@]}" -c "$CATALOG") || fail "could not read the catalog"
echo "$served_before" | head -n 1 | grep -qE '^[0-9]+\.[0-9]{9}$' ||
	fail "the kept model served '$served_before', not a sum of predictions"

# the pid of the backend of application $1, once it is in its epochs (its
# process title says "recsys: epoch"); empty after 20 s without it
training_pid() {
	local pid=""
	for _ in $(seq 1 200); do
		[ -z "$pid" ] && pid=$("${PSQL[@]}" -c "SELECT pid FROM pg_stat_activity
			WHERE application_name = '$1' AND state = 'active' AND query LIKE '%recsys_train%'")
		if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "recsys: epoch"; then
			echo "$pid"
			return
		fi
		sleep 0.1
	done
}

# milliseconds since the epoch
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# wait up to $2 s for the background client $1; false if still running
wait_client() {
	for _ in $(seq 1 $(($2 * 10))); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# nothing of the stopped model, and the kept model serves as before
check_clean() {
	local now cat
	cat=$("${PSQL[@]}" -c "$CATALOG") || fail "$1: the catalog could not be read"
	[ "$cat" = "$catalog_before" ] ||
		fail "$1: the catalog holds '$cat', before the training it held '$catalog_before'"
	now=$("${PSQL[@]}" -c "$SERVED") || fail "$1: the kept model did not serve"
	[ "$now" = "$served_before" ] || fail "$1: the kept model served '$now', before '$served_before'"
}

# (a) pg_cancel_backend: a clean error soon, and the same session goes on
cancel_case() {
	local kind=$1 threads=$2 label="(a) $1 with $2 thread(s)" app=recsys_kill_$1_$2 pid t0 ms
	PGAPPNAME=$app psql -X -q -At -d "$DB" -c "$(long_training "$kind" "$threads")" \
		-c "SELECT 'session still usable, pid ' || pg_backend_pid()" \
		>"$WORK/$app.out" 2>"$WORK/$app.err" &
	client=$!
	pid=$(training_pid "$app")
	[ -n "$pid" ] || fail "$label: the training did not reach its epochs within 20 s: $(cat "$WORK/$app.err")"
	t0=$(now_ms)
	[ "$("${PSQL[@]}" -c "SELECT pg_cancel_backend($pid)")" = t ] || fail "$label: pg_cancel_backend($pid) failed"
	wait_client "$client" 5 || fail "$label: the training was still running 5 s after the cancel"
	ms=$(($(now_ms) - t0))
	client=""
	grep -q "ERROR: *canceling statement due to user request" "$WORK/$app.err" ||
		fail "$label: no cancel error: $(cat "$WORK/$app.err")"
	grep -qx "session still usable, pid $pid" "$WORK/$app.out" ||
		fail "$label: the session (backend $pid) did not go on: '$(cat "$WORK/$app.out")'"
	check_clean "$label, after pg_cancel_backend"
	echo "$label: cancelled in $ms ms"
}
cancel_case mf 1
cancel_case mf 2
cancel_case dense 2
cancel_case lstm 2

# (b) statement_timeout
t0=$(now_ms)
psql -X -q -At -d "$DB" -c "SET statement_timeout = '1s'" -c "$(long_training mf 1)" \
	-c "SELECT 'session still usable'" >"$WORK/b.out" 2>"$WORK/b.err" &
client=$!
wait_client "$client" 6 || fail "(b) the training was still running 6 s after it began, with statement_timeout = 1s"
client=""
ms=$(($(now_ms) - t0))
grep -q "ERROR: *canceling statement due to statement timeout" "$WORK/b.err" ||
	fail "(b) no timeout error: $(cat "$WORK/b.err")"
grep -qx "session still usable" "$WORK/b.out" || fail "(b) the session did not go on: '$(cat "$WORK/b.out")'"
check_clean "(b) after statement_timeout"
echo "(b) statement_timeout = 1s: stopped after $ms ms"

# (c) SIGKILL of the backend: the server restarts all its processes
checkpointer=$("${PSQL[@]}" -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
[ -n "$checkpointer" ] || fail "(c) no checkpointer in pg_stat_activity"
PGAPPNAME=recsys_kill_c psql -X -q -At -d "$DB" -c "$(long_training mf 2)" >/dev/null 2>"$WORK/c.err" &
client=$!
pid=$(training_pid recsys_kill_c)
[ -n "$pid" ] || fail "(c) the training did not reach its epochs within 20 s: $(cat "$WORK/c.err")"
if ! kill -KILL "$pid" 2>/dev/null; then
	sudo -n kill -KILL "$pid" || fail "(c) could not send SIGKILL to backend $pid"
fi
wait_client "$client" 10 || fail "(c) the client of the killed backend did not end"
client=""
grep -qi "server closed the connection unexpectedly\|terminat" "$WORK/c.err" ||
	fail "(c) the client of the killed backend did not lose its connection: $(cat "$WORK/c.err")"
up=0
for _ in $(seq 1 120); do
	if psql -X -q -At -d "$DB" -c "SELECT 1" >/dev/null 2>&1; then
		up=1
		break
	fi
	sleep 0.5
done
[ "$up" = 1 ] || fail "(c) the server did not accept connections within 60 s of the SIGKILL"
now=$("${PSQL[@]}" -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
[ -n "$now" ] && [ "$now" != "$checkpointer" ] ||
	fail "(c) the checkpointer is still process $checkpointer: the server did not restart after the SIGKILL"
check_clean "(c) after SIGKILL and the restart"
"${PSQL[@]}" -c "SET recsys.threads = 1; SET recsys.epoch_notices = off;
	SELECT recsys_train('mf', 'small', 'after_kill', '{\"seed\": 1, \"factors\": 4, \"epochs\": 2}');
	SELECT recsys_predict('after_kill', 1, 1) > 0" >"$WORK/after.out" 2>&1 ||
	fail "(c) training after the restart failed: $(cat "$WORK/after.out")"
[ "$(tail -n 1 "$WORK/after.out")" = t ] || fail "(c) the model trained after the restart did not serve: $(cat "$WORK/after.out")"

echo "kill_during_training.sh: ok (cancel of mf/dense/lstm, statement_timeout and SIGKILL left nothing; the kept model served as before; the server restarted)"
exit 0
