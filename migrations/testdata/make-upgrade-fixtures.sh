#!/usr/bin/env bash
# Makes the databases the upgrade test starts from: the schema and data of two earlier
# commits, built and run as they were. Run from the repository root (needs git history, Go,
# curl and sqlite3):
#
#	migrations/testdata/make-upgrade-fixtures.sh
#
# 0e7b8bc is the last commit whose migration 1795510002 was named …_privacy_requests.go (it
# made the collection privacy_requests); dfc85b6 is the commit whose booking_usage triggers did
# not count places held for the waitlist yet.
set -euo pipefail
export GOTOOLCHAIN=go1.27.3
root=$(pwd)
out="$root/migrations/testdata"
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; for w in "$work"/wt-*; do git -C "$root" worktree remove --force "$w" 2>/dev/null || true; done; rm -rf "$work"' EXIT

build() { # commit -> binary
	git -C "$root" worktree add --detach "$work/wt-$1" "$1" >/dev/null
	(cd "$work/wt-$1" && go build -o "$work/reserva-$1" .)
}

serve() { # binary dir port
	RESERVA_MAIL_INTERVAL=500ms RESERVA_FORM_MIN_SECONDS=0 RESERVA_RATE_BOOKING=off RESERVA_RATE_PAGES=off RESERVA_BOOKINGS_PER_EMAIL=0 \
		RESERVA_BASE_URL="http://127.0.0.1:$3" "$1" serve --http "127.0.0.1:$3" --dir "$2" >"$work/serve.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$3/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
	cat "$work/serve.log"; exit 1
}

stop() { kill -TERM "$pid"; wait "$pid" || true; pid=; }

book() { # port start party email -> manage path
	curl -sS -o "$work/book.html" -w "%{redirect_url}" -X POST "http://127.0.0.1:$1/book/dinner" \
		--data-urlencode "start=$2" --data-urlencode "party=$3" --data-urlencode "name=Upgrade Guest" \
		--data-urlencode "email=$4" --data-urlencode "phone=+49 30 5550000" --data-urlencode "consent=yes"
	[ -n "$(grep -o 'See Other' "$work/book.html" 2>/dev/null)" ] || [ ! -s "$work/book.html" ] || { grep -o "role=.alert[^<]*" "$work/book.html" >&2; sqlite3 "$work"/data-*/data.db "SELECT start, party, status, email FROM bookings ORDER BY created DESC LIMIT 5" >&2; exit 1; }
}

# --- 0e7b8bc: every collection with rows, the old request queue among them.
build 0e7b8bc
bin="$work/reserva-0e7b8bc"
data="$work/data-0e7b8bc"
"$bin" demo --dir "$data" --demo-guests >/dev/null
printf 'violet-harbour-lantern\n' | "$bin" staff create owner@upgrade.invalid --role owner --dir "$data" >/dev/null
serve "$bin" "$data" 18391
day=$(date -u -d '+10 days' +%F)
while [ "$(date -u -d "$day" +%u)" = 1 ]; do day=$(date -u -d "$day +1 day" +%F); done # dinner is closed on Mondays
manage=$(book 18391 "${day}T19:00" 2 "guest@upgrade.invalid")
for i in 1 2 3 4 5; do book 18391 "${day}T21:00" 8 "table$i@upgrade.invalid" >/dev/null; done
# A waitlist for the full 21:00; a cancellation there offers the place (a held booking).
curl -fsS -o /dev/null -X POST "http://127.0.0.1:18391/waitlist/dinner" --data-urlencode "start=${day}T21:00" \
	--data-urlencode "party=2" --data-urlencode "name=Wait Listed" --data-urlencode "email=wait@upgrade.invalid" --data-urlencode "consent=yes"
table1=$(sqlite3 "$data/data.db" "SELECT id FROM bookings WHERE email = 'table1@upgrade.invalid'")
[ -n "$table1" ]
# The visitor's account (its link was /account/signin/TOKEN then): a sign-in link, a session, a
# self-service export (a request in the queue).
curl -fsS -o /dev/null -X POST "http://127.0.0.1:18391/account" --data-urlencode "email=guest@upgrade.invalid"
link=$(sqlite3 "$data/data.db" "SELECT text FROM outbox WHERE kind = 'signin'" | grep -o '/account/signin/[A-Za-z0-9_-]\{43\}' | head -1)
cookie=$(curl -fsS -o /dev/null -D - -X POST "http://127.0.0.1:18391$link" | grep -io 'reserva_account=[^;]*')
curl -fsS -o /dev/null -H "Cookie: $cookie" "http://127.0.0.1:18391/account/export"
curl -fsS -o /dev/null -X POST "${manage%%\?*}/cancel" # a cancellation mail
stop
sqlite3 "$data/data.db" <<SQL
-- One of the full 21:00 tables cancels (written here: its link is in a mail nobody reads).
UPDATE bookings SET status = 'cancelled', cancel_reason = 'guest' WHERE id = '$table1';
INSERT INTO privacy_requests (id, kind, subject, channel, received, due, status, notes, handled_by, handled_at, created, updated)
	VALUES ('oldrequest00001', 'erasure', 'caller@upgrade.invalid', 'phone', '2026-11-20', '2026-12-20', 'open',
	'Called the venue.', '', '', '2026-11-20 10:00:00.000Z', '2026-11-20 10:00:00.000Z');
INSERT INTO walkins (id, day, name, party, phone, email, quoted_wait, status, added_at)
	VALUES ('oldwalkin000001', '$(date -u +%F)', 'Door Party', 3, '+49 30 5550001', '', 20, 'waiting', '$(date -u '+%F %T').000Z');
SQL
# The waitlist worker offers the freed place when the server runs again.
serve "$bin" "$data" 18391
sleep 3
stop
sqlite3 "$data/data.db" "PRAGMA wal_checkpoint(TRUNCATE); VACUUM;" >/dev/null
for table in privacy_requests waitlist walkins visitor_links visitor_sessions participants; do
	echo "0e7b8bc $table: $(sqlite3 "$data/data.db" "SELECT count(*) FROM $table")"
done
echo "0e7b8bc held bookings: $(sqlite3 "$data/data.db" "SELECT count(*) FROM bookings WHERE status = 'held'")"
gzip -9 -c "$data/data.db" >"$out/upgrade-0e7b8bc.db.gz"

# --- dfc85b6: booking_usage triggers that do not count held places.
build dfc85b6
bin="$work/reserva-dfc85b6"
data="$work/data-dfc85b6"
"$bin" demo --dir "$data" --demo-guests >/dev/null
sqlite3 "$data/data.db" "PRAGMA wal_checkpoint(TRUNCATE); VACUUM;" >/dev/null
gzip -9 -c "$data/data.db" >"$out/upgrade-dfc85b6.db.gz"
ls -l "$out"
