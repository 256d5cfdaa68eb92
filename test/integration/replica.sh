#!/usr/bin/env bash
# replica.sh: a streaming hot standby serves the primary's models.
#
# Models are rows of the extension's tables, so a standby made with
# pg_basebackup -R replays them like any data.  The standby runs beside the
# throw-away cluster, on a free port of its own, as the user who runs the
# primary.  Checked: recsys_predict, recsys_recommend (a training user and a
# history given at query time) and recsys_recommend_text (uuid users, text
# items) give on the standby exactly what they give on the primary, before
# and after a retraining on the primary (waited for until the standby has
# replayed the new recsys_models row); a standby session that served the
# old model before the replay serves the new one after it (its model cache
# notices replayed changes); training on the standby fails with a clean
# read-only error and the standby stays up (no crash in its log).  Runs
# inside pg_virtualenv after `make install`; exit 0 pass, 77 skip (no
# pg_basebackup/pg_ctl, no free port, or a primary that cannot stream), 1
# fail.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/integration/lib.bash
. "$HERE/lib.bash"

BIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$BIN/pg_ctl" ] || BIN=/usr/lib/postgresql/15/bin
DB=recsys_replica
WORK=$(mktemp -d)
SDATA=$WORK/data
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
	if [ -f "$WORK/standby.log" ]; then
		echo "---- last lines of the standby's log ----" >&2
		tail -n 20 "$WORK/standby.log" >&2
	fi
	exit 1
}
skip() {
	echo "replica.sh: skipped: $*"
	exit 77
}
# run a server program as the user who owns the primary's data
as_owner() {
	if [ "$(id -u)" = 0 ] && [ "$owner" != root ]; then
		runuser -u "$owner" -- "$@"
	else
		"$@"
	fi
}
# true when something listens on TCP port $1 of 127.0.0.1
port_taken() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

if [ ! -x "$BIN/pg_basebackup" ] || [ ! -x "$BIN/pg_ctl" ]; then
	skip "pg_basebackup or pg_ctl not found in $BIN"
fi
command -v runuser >/dev/null 2>&1 || [ "$(id -u)" != 0 ] || skip "running as root without runuser"

# can the primary stream to a standby at all?
settings=$(psql -X -At -d postgres -c "SELECT current_setting('wal_level') || ' ' ||
	current_setting('max_wal_senders') || ' ' ||
	(SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY (database) AND error IS NULL)") ||
	fail "cannot read the primary's settings"
read -r wal_level senders hba_rules <<<"$settings"
[ "$wal_level" != minimal ] || skip "the primary has wal_level = minimal (a restart with replica is needed)"
[ "$senders" -gt 0 ] || skip "the primary has max_wal_senders = 0 (a restart is needed)"
[ "$hba_rules" -gt 0 ] || skip "the primary's pg_hba.conf has no replication line"

# a free port for the standby: the first of PGPORT + 11 ... + 30 nobody uses
SPORT=""
for p in $(seq $((PGPORT + 11)) $((PGPORT + 30))); do
	if ! port_taken "$p"; then
		SPORT=$p
		break
	fi
done
[ -n "$SPORT" ] || skip "no free port between $((PGPORT + 11)) and $((PGPORT + 30)) for the standby"

PRIMARY=(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB")
STANDBY=(psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$SPORT" -d "$DB")
fresh_db "$DB" || fail "could not create database $DB"
"${PRIMARY[@]}" >/dev/null <<'SQL' || fail "could not train on the primary"
SET recsys.threads = 1;
SET recsys.epoch_notices = off;
CREATE TABLE ratings AS SELECT * FROM recsys_synthetic_ratings(300, 200, 8000, 3);
SELECT recsys_train('mf', 'ratings', 'm', '{"seed": 1, "factors": 8, "epochs": 5}');
CREATE TABLE keyed AS
SELECT md5(user_id::text)::uuid AS user_id, 'sku-' || item_id AS item_id, rating FROM ratings;
SELECT recsys_train('mf', 'keyed', 'k', '{"seed": 1, "factors": 4, "epochs": 2}');
SQL

# the standby: a base backup of the primary, its own port and sockets
primary_data=$(psql -X -At -d postgres -c "SHOW data_directory") || fail "cannot read the primary's settings"
hba=$(psql -X -At -d postgres -c "SHOW hba_file")
ident=$(psql -X -At -d postgres -c "SHOW ident_file")
owner=$(stat -c %U "$primary_data") || fail "cannot see who owns $primary_data"
"$BIN/pg_basebackup" -h "${PGHOST:-localhost}" -p "$PGPORT" -U "${PGUSER:-postgres}" \
	-D "$SDATA" -R -X stream -c fast >"$WORK/basebackup.log" 2>&1 ||
	fail "pg_basebackup failed: $(cat "$WORK/basebackup.log")"
[ -f "$SDATA/standby.signal" ] || fail "pg_basebackup -R wrote no standby.signal"
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
ready=0
for _ in $(seq 1 100); do
	if "${STANDBY[@]}" -c "SELECT 1" >/dev/null 2>&1; then
		ready=1
		break
	fi
	sleep 0.1
done
[ "$ready" = 1 ] || fail "the standby does not accept connections on port $SPORT"
[ "$("${STANDBY[@]}" -c "SELECT pg_is_in_recovery()")" = t ] || fail "the standby is not in recovery"
streaming=$("${PRIMARY[@]}" -c "SELECT count(*) FROM pg_stat_replication")
[ "$streaming" -ge 1 ] || fail "the standby does not stream from the primary (pg_stat_replication is empty)"

# the row of model m: id and revision
MODEL_ROW="SELECT id || '/' || revision FROM recsys_models WHERE name = 'm'"
# wait until the standby has replayed the primary's row of m and all WAL
# the primary has written so far
caught_up() {
	local row lsn
	row=$("${PRIMARY[@]}" -c "$MODEL_ROW") || return 1
	lsn=$("${PRIMARY[@]}" -c "SELECT pg_current_wal_lsn()") || return 1
	for _ in $(seq 1 200); do
		if [ "$("${STANDBY[@]}" -c "$MODEL_ROW" 2>/dev/null)" = "$row" ] &&
			[ "$("${STANDBY[@]}" -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn" 2>/dev/null)" = t ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
QUERY="SELECT to_char(sum(recsys_predict('m', u, i)), 'FM999999990.000000000')
         FROM generate_series(1, 300, 7) u, generate_series(1, 200, 3) i;
       SELECT string_agg(item_id || '=' || to_char(score, 'FM0.000000000'), ',')
         FROM recsys_recommend('m', 5, 10);
       SELECT string_agg(item_id, ',') FROM recsys_recommend_text('k', md5('5')::uuid, 5);
       SELECT string_agg(item_id::text, ',') FROM recsys_recommend('m', ARRAY[1, 2, 3], ARRAY[5, 4, 1]::real[], 5);"
# the answers of the primary and of a new standby session, which must agree
same_answers() {
	local p s
	caught_up || fail "$1: the standby did not replay the primary's model within 20 s"
	p=$(echo "$QUERY" | "${PRIMARY[@]}") || fail "$1: the primary did not serve"
	s=$(echo "$QUERY" | "${STANDBY[@]}") || fail "$1: the standby did not serve"
	[ "$(echo "$p" | grep -c .)" = 4 ] && echo "$p" | head -n 1 | grep -qE '^[0-9]+\.[0-9]{9}$' ||
		fail "$1: the primary gave '$p', not a sum of predictions and 3 lists"
	[ "$p" = "$s" ] || fail "$1: primary and standby differ: '$p' vs '$s'"
	echo "$p"
}
first=$(same_answers "before a retraining") || exit 1

# a retraining on the primary, run from inside a long-lived standby session
# between two rounds of the same queries; it returns once the standby has
# replayed the new row of m (or after 20 s without it)
cat >"$WORK/retrain.sh" <<SH
psql -X -q -At -v ON_ERROR_STOP=1 -d $DB -c "SET recsys.threads = 1" -c "SET recsys.epoch_notices = off" \\
	-c "SELECT recsys_train('mf', 'ratings', 'm', '{\\"seed\\": 2, \\"factors\\": 8, \\"epochs\\": 5}')" \\
	>/dev/null || exit 1
row=\$(psql -X -At -d $DB -c "$MODEL_ROW")
for i in \$(seq 1 200); do
	if [ "\$(psql -X -At -h 127.0.0.1 -p $SPORT -d $DB -c "$MODEL_ROW")" = "\$row" ]; then
		touch "$WORK/retrained"
		exit 0
	fi
	sleep 0.1
done
exit 1
SH
long=$({
	echo "$QUERY"
	echo "\\! bash $WORK/retrain.sh"
	echo "$QUERY"
} | "${STANDBY[@]}" 2>"$WORK/long.err") || fail "the long-lived standby session failed: $(cat "$WORK/long.err")"
[ -e "$WORK/retrained" ] || fail "the retraining on the primary failed, or the standby did not replay it within 20 s"
second=$(same_answers "after a retraining") || exit 1
[ "$first" != "$second" ] || fail "the retrained model serves what the first did"
expected=$(printf '%s\n%s' "$first" "$second")
[ "$long" = "$expected" ] ||
	fail "a standby session that served the old model did not serve the replayed one: got '$long', expected '$expected'"

# a standby refuses to train, with an error, and stays up
if "${STANDBY[@]}" -c "SELECT recsys_train('mf', 'ratings', 'on_standby')" >/dev/null 2>"$WORK/train.err"; then
	fail "a training on the standby succeeded"
fi
grep -q "ERROR: .*read-only transaction" "$WORK/train.err" ||
	fail "training on the standby did not fail with a read-only error: $(cat "$WORK/train.err")"
[ "$("${STANDBY[@]}" -c "SELECT count(*) FROM recsys_models WHERE name = 'm'")" = 1 ] ||
	fail "the standby did not serve queries after the refused training"
if grep -E "terminated by signal|PANIC|server process .* exited" "$WORK/standby.log" >&2; then
	fail "a standby process crashed (see its log above)"
fi

echo "replica.sh: ok (standby on port $SPORT served the primary's models before and after a retraining, a long-lived standby session followed the replay, training on the standby was refused as read-only)"
exit 0
