#!/usr/bin/env bash
# kill_during_training.sh: a training stopped half way leaves nothing.
#
# A long training is (a) cancelled with pg_cancel_backend, (b) stopped by
# statement_timeout and (c) killed with SIGKILL, which makes the server
# restart.  After (a) and (b) the session reports a clean error and runs
# its next statement; after each, the catalog holds no row of the stopped
# model, and a model trained before still serves what it served.  Runs
# inside pg_virtualenv after `make install`; exit 0 pass, 1 fail.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/integration/lib.bash
. "$HERE/lib.bash"

DB=recsys_kill
WORK=$(mktemp -d)
trap 'dropdb --if-exists $DB >/dev/null 2>&1; rm -rf "$WORK"' EXIT
fail() {
	echo "kill_during_training.sh: FAILED: $*" >&2
	exit 1
}

PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB")
# a training of many seconds: 300,000 ratings, every epoch run
LONG="SELECT recsys_train('mf', 'ratings', 'stopped',
	'{\"epochs\": 1000, \"validation_fraction\": 0, \"factors\": 64, \"objective\": \"rating\"}')"

fresh_db "$DB" || fail "could not create database $DB"
"${PSQL[@]}" >/dev/null <<'SQL' || fail "could not prepare the data"
SET recsys.threads = 1;
SET recsys.epoch_notices = off;
CREATE TABLE ratings AS SELECT * FROM recsys_synthetic_ratings(3000, 1000, 300000, 9);
SELECT recsys_train('mf', 'ratings', 'kept', '{"seed": 1, "factors": 8, "epochs": 3}');
SQL
served() {
	"${PSQL[@]}" -c "SELECT to_char(sum(recsys_predict('kept', u, i)), 'FM0.000000')
	                   FROM generate_series(1, 50) u, generate_series(1, 40) i"
}
before=$(served) || fail "the kept model did not serve"

# the pid of the backend running the long training, once it runs
training_pid() {
	local pid="" tries=0
	while [ -z "$pid" ] && [ $tries -lt 100 ]; do
		sleep 0.1
		pid=$("${PSQL[@]}" -c "SELECT pid FROM pg_stat_activity
			WHERE query LIKE '%recsys_train(''mf'', ''ratings'', ''stopped''%'
			  AND pid <> pg_backend_pid() AND state = 'active'")
		tries=$((tries + 1))
	done
	echo "$pid"
}

# nothing of the stopped model, and the kept model serves as before
check_clean() {
	local left now
	left=$("${PSQL[@]}" -c "SELECT (SELECT count(*) FROM recsys_models WHERE name = 'stopped')
		+ (SELECT count(*) FROM recsys_tensors t
		    WHERE NOT EXISTS (SELECT 1 FROM recsys_models m WHERE m.id = t.model_id))") ||
		fail "$1: the catalog could not be read"
	[ "$left" = 0 ] || fail "$1: $left rows of the stopped model were left"
	now=$(served) || fail "$1: the kept model did not serve"
	[ "$now" = "$before" ] || fail "$1: the kept model served $now, before $before"
}

# (a) pg_cancel_backend: a clean error, and the session goes on
psql -X -q -At -d "$DB" -c "SET recsys.threads = 1" -c "SET recsys.epoch_notices = off" \
	-c "$LONG" -c "SELECT 'session still usable'" >"$WORK/a.out" 2>"$WORK/a.err" &
client=$!
pid=$(training_pid)
[ -n "$pid" ] || fail "(a) the training did not start"
sleep 1
"${PSQL[@]}" -c "SELECT pg_cancel_backend($pid)" >/dev/null
wait "$client"
grep -q "canceling statement due to user request" "$WORK/a.err" ||
	fail "(a) no cancel error: $(cat "$WORK/a.err")"
grep -q "session still usable" "$WORK/a.out" || fail "(a) the session did not go on"
check_clean "(a) after pg_cancel_backend"

# (b) statement_timeout
psql -X -q -At -d "$DB" -c "SET recsys.threads = 1" -c "SET recsys.epoch_notices = off" \
	-c "SET statement_timeout = '1s'" -c "$LONG" -c "SELECT 'session still usable'" \
	>"$WORK/b.out" 2>"$WORK/b.err"
grep -q "canceling statement due to statement timeout" "$WORK/b.err" ||
	fail "(b) no timeout error: $(cat "$WORK/b.err")"
grep -q "session still usable" "$WORK/b.out" || fail "(b) the session did not go on"
check_clean "(b) after statement_timeout"

# (c) SIGKILL of the backend: the server restarts all sessions
psql -X -q -At -d "$DB" -c "SET recsys.threads = 1" -c "SET recsys.epoch_notices = off" \
	-c "$LONG" >/dev/null 2>"$WORK/c.err" &
client=$!
pid=$(training_pid)
[ -n "$pid" ] || fail "(c) the training did not start"
sleep 1
kill -KILL "$pid" || fail "(c) could not send SIGKILL to backend $pid"
wait "$client"
up=0
for _ in $(seq 1 120); do
	if psql -X -q -At -d "$DB" -c "SELECT 1" >/dev/null 2>&1; then
		up=1
		break
	fi
	sleep 0.5
done
[ "$up" = 1 ] || fail "(c) the server did not come back after the SIGKILL"
check_clean "(c) after SIGKILL"

echo "kill_during_training.sh: ok (cancel, statement_timeout and SIGKILL left nothing; the kept model served as before)"
exit 0
