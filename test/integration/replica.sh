#!/usr/bin/env bash
# replica.sh: a streaming hot standby serves the primary's models.
#
# A standby made with pg_basebackup -R from the throw-away cluster replays
# the catalog like any table: after each step it must give the primary's
# predictions and lists, before and after a retraining on the primary (its
# model cache notices the replayed change), and refuse to train (read-only)
# with an error, not a crash.  Runs inside pg_virtualenv after `make
# install`; exit 0 pass, 77 skip, 1 fail.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/integration/lib.bash
. "$HERE/lib.bash"

BIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$BIN/pg_ctl" ] || BIN=/usr/lib/postgresql/15/bin
DB=recsys_replica
WORK=$(mktemp -d)
SDATA=$WORK/data
SPORT=$((PGPORT + 11))
owner=""

cleanup() {
	if [ -f "$SDATA/postmaster.pid" ]; then
		as_owner "$BIN/pg_ctl" -D "$SDATA" -m immediate -w stop >/dev/null 2>&1
	fi
	dropdb --if-exists $DB >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
	echo "replica.sh: FAILED: $*" >&2
	[ -f "$WORK/standby.log" ] && tail -n 20 "$WORK/standby.log" >&2
	exit 1
}
# run a server program as the user who owns the primary's data
as_owner() {
	if [ "$(id -u)" = 0 ] && [ "$owner" != root ]; then
		runuser -u "$owner" -- "$@"
	else
		"$@"
	fi
}

if [ ! -x "$BIN/pg_basebackup" ] || [ ! -x "$BIN/pg_ctl" ]; then
	echo "replica.sh: skipped: pg_basebackup or pg_ctl not found in $BIN"
	exit 77
fi
if psql -X -q -h 127.0.0.1 -p "$SPORT" -c "SELECT 1" postgres >/dev/null 2>&1; then
	echo "replica.sh: skipped: port $SPORT for the standby is taken"
	exit 77
fi

PRIMARY=(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB")
STANDBY=(psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$SPORT" -d "$DB")
fresh_db "$DB" || fail "could not create database $DB"
"${PRIMARY[@]}" >/dev/null <<'SQL' || fail "could not train on the primary"
SET recsys.threads = 1;
SET recsys.epoch_notices = off;
CREATE TABLE ratings AS SELECT * FROM recsys_synthetic_ratings(300, 200, 8000, 3);
SELECT recsys_train('mf', 'ratings', 'm', '{"seed": 1, "factors": 8, "epochs": 3}');
CREATE TABLE keyed AS
SELECT md5(user_id::text)::uuid AS user_id, 'sku-' || item_id AS item_id, rating FROM ratings;
SELECT recsys_train('mf', 'keyed', 'k', '{"seed": 1, "factors": 4, "epochs": 2}');
SQL

# the standby: a base backup of the primary, its own port and sockets
primary_data=$(psql -X -At -d postgres -c "SHOW data_directory") || fail "cannot read the primary's settings"
hba=$(psql -X -At -d postgres -c "SHOW hba_file")
ident=$(psql -X -At -d postgres -c "SHOW ident_file")
owner=$(stat -c %U "$primary_data")
"$BIN/pg_basebackup" -h "${PGHOST:-localhost}" -p "$PGPORT" -U "${PGUSER:-postgres}" \
	-D "$SDATA" -R -X stream -c fast >"$WORK/basebackup.log" 2>&1 ||
	fail "pg_basebackup failed: $(cat "$WORK/basebackup.log")"
cp "$hba" "$WORK/pg_hba.conf"
cp "$ident" "$WORK/pg_ident.conf"
cat >>"$SDATA/postgresql.conf" <<CONF
port = $SPORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK'
hba_file = '$WORK/pg_hba.conf'
ident_file = '$WORK/pg_ident.conf'
hot_standby = on
CONF
# the replication connection, with the password of this environment
printf "primary_conninfo = 'host=%s port=%s user=%s password=%s'\n" \
	"${PGHOST:-localhost}" "$PGPORT" "${PGUSER:-postgres}" "${PGPASSWORD:-}" \
	>>"$SDATA/postgresql.auto.conf"
if [ "$(id -u)" = 0 ]; then
	chown -R "$owner" "$WORK"
fi
chmod 700 "$SDATA"
as_owner "$BIN/pg_ctl" -D "$SDATA" -l "$WORK/standby.log" -w -t 60 start >/dev/null ||
	fail "the standby did not start"
[ "$("${STANDBY[@]}" -c "SELECT pg_is_in_recovery()")" = t ] || fail "the standby is not in recovery"

# wait until the standby has replayed everything the primary wrote
caught_up() {
	local lsn
	lsn=$("${PRIMARY[@]}" -c "SELECT pg_current_wal_lsn()") || return 1
	for _ in $(seq 1 200); do
		if [ "$("${STANDBY[@]}" -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn" 2>/dev/null)" = t ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
QUERY="SELECT to_char(sum(recsys_predict('m', u, i)), 'FM0.000000000')
         FROM generate_series(1, 300, 7) u, generate_series(1, 200, 3) i;
       SELECT string_agg(item_id || '=' || to_char(score, 'FM0.000000000'), ',')
         FROM recsys_recommend('m', 5, 10);
       SELECT string_agg(item_id, ',') FROM recsys_recommend_text('k', md5('5')::uuid, 5);
       SELECT string_agg(item_id::text, ',') FROM recsys_recommend('m', ARRAY[1, 2, 3], ARRAY[5, 4, 1]::real[], 5);"
same_answers() {
	local p s
	caught_up || fail "$1: the standby did not catch up"
	p=$(echo "$QUERY" | "${PRIMARY[@]}") || fail "$1: the primary did not serve"
	s=$(echo "$QUERY" | "${STANDBY[@]}") || fail "$1: the standby did not serve"
	[ -n "$p" ] && [ "$p" = "$s" ] || fail "$1: primary and standby differ: '$p' vs '$s'"
	echo "$p"
}
first=$(same_answers "before a retraining")

# a retraining on the primary reaches the standby's sessions
"${PRIMARY[@]}" -c "SET recsys.threads = 1; SET recsys.epoch_notices = off;
	SELECT recsys_train('mf', 'ratings', 'm', '{\"seed\": 2, \"factors\": 8, \"epochs\": 3}')" \
	>/dev/null || fail "the retraining failed"
second=$(same_answers "after a retraining")
[ "$first" != "$second" ] || fail "the retrained model serves what the first did"

# a standby refuses to train, with an error
if "${STANDBY[@]}" -c "SELECT recsys_train('mf', 'ratings', 'on_standby')" >/dev/null 2>"$WORK/train.err"; then
	fail "a training on the standby succeeded"
fi
grep -q "read-only transaction" "$WORK/train.err" || fail "training on the standby: $(cat "$WORK/train.err")"
"${STANDBY[@]}" -c "SELECT 1" >/dev/null || fail "the standby did not survive the refused training"

echo "replica.sh: ok (the standby served the primary's models before and after a retraining, and refused to train)"
exit 0
