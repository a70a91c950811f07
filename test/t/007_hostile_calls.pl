# Hostile calls of every C entry point: trigger functions attached to
# tables of every column type (0.1.1 crashed the server with a bigint where
# it read text), called directly, fired by the wrong event; the wrapper's
# handler and validator called with junk; NULLs and extreme values for every
# function.  Some are made as a superuser and as a role that was granted
# EXECUTE by mistake, the worst case.  Each must fail with an ERROR or work:
# the server never restarts, no backend dies by a signal.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('hostile_calls');
$node->init;
$node->start;

$node->safe_psql('postgres', q{
SET client_min_messages = warning;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc');
SELECT offline_join.create_source('adobe', 'adobe');
SELECT offline_join.create_inbox('rmc');
SELECT offline_join.create_inbox('adobe');
CREATE ROLE mallory LOGIN;
GRANT USAGE ON SCHEMA offline_join TO mallory;
GRANT INSERT ON offline_join.inbox_rmc TO mallory;
-- the worst case: EXECUTE on everything, granted by mistake
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA offline_join TO mallory;
});
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

my %values = (
	'bigint' => '20260302', 'int' => '7', 'int[]' => '{1,2}', 'jsonb' => '{"a": 1}',
	'bytea' => '\\x0102', 'numeric' => '1.5', 'boolean' => 'true', 'timestamptz' => '2026-03-02',
	'text[]' => '{a,b}', 'point' => '(1,2)', 'name' => 'n', '"char"' => 'c');
my @calls;
for my $t (sort keys %values)
{
	my $n = $t;
	$n =~ s/\W//g;
	my $v = "'$values{$t}'::$t";
	push @calls,
	  "CREATE TEMP TABLE t_$n (time_stamp $t, customer_id $t, event_type $t, category $t, event_name $t, num1 $t, num2 $t);"
	  . " CREATE TRIGGER r BEFORE INSERT ON t_$n FOR EACH ROW EXECUTE FUNCTION offline_join.inbox_route('rmc');"
	  . " CREATE TRIGGER f AFTER INSERT ON t_$n FOR EACH STATEMENT EXECUTE FUNCTION offline_join.inbox_finish('rmc');"
	  . " INSERT INTO t_$n VALUES ($v, $v, $v, $v, $v, $v, $v);",
	  "CREATE TEMP TABLE x_$n (transaction_id $t, recorded_at $t, expires_at $t);"
	  . " CREATE TRIGGER e BEFORE INSERT ON x_$n FOR EACH ROW EXECUTE FUNCTION offline_join.transactions_fill_expiry();"
	  . " INSERT INTO x_$n VALUES ($v, $v, $v);";
}
push @calls,
  # no columns, dropped columns, a route trigger alone, the wrong events
  "CREATE TEMP TABLE z (); CREATE TRIGGER r BEFORE INSERT ON z FOR EACH ROW EXECUTE FUNCTION offline_join.inbox_route('rmc'); INSERT INTO z DEFAULT VALUES;",
  "CREATE TEMP TABLE d (a text, time_stamp text); ALTER TABLE d DROP COLUMN a; CREATE TRIGGER r BEFORE INSERT ON d FOR EACH ROW EXECUTE FUNCTION offline_join.inbox_route('rmc'); INSERT INTO d VALUES ('x');",
  "CREATE TEMP TABLE u (time_stamp text); INSERT INTO u VALUES ('x'); CREATE TRIGGER r BEFORE UPDATE OR DELETE ON u FOR EACH ROW EXECUTE FUNCTION offline_join.inbox_route('rmc'); UPDATE u SET time_stamp = 'y'; DELETE FROM u;",
  "CREATE TEMP TABLE s (time_stamp text); CREATE TRIGGER r AFTER INSERT ON s FOR EACH ROW EXECUTE FUNCTION offline_join.inbox_finish('rmc'); INSERT INTO s VALUES ('x');",
  "CREATE TEMP TABLE n (time_stamp text); CREATE TRIGGER r BEFORE INSERT ON n FOR EACH ROW EXECUTE FUNCTION offline_join.inbox_route(); INSERT INTO n VALUES ('x');",
  "CREATE TEMP TABLE m (time_stamp text); CREATE TRIGGER r BEFORE INSERT ON m FOR EACH ROW EXECUTE FUNCTION offline_join.inbox_route('rmc', 'adobe', 'x'); INSERT INTO m VALUES ('x');",
  "CREATE TEMP TABLE v (time_stamp text); CREATE VIEW pg_temp.vv AS SELECT * FROM v; CREATE TRIGGER r INSTEAD OF INSERT ON pg_temp.vv FOR EACH ROW EXECUTE FUNCTION offline_join.inbox_route('rmc'); INSERT INTO pg_temp.vv VALUES ('x');",
  "CREATE TEMP TABLE tt (time_stamp text); CREATE TRIGGER r BEFORE TRUNCATE ON tt FOR EACH STATEMENT EXECUTE FUNCTION offline_join.inbox_finish('rmc'); TRUNCATE tt;",
  # direct calls
  "SELECT offline_join.inbox_route()", "SELECT offline_join.inbox_finish()",
  "SELECT offline_join.transactions_fill_expiry()", "SELECT offline_join.fdw_handler()",
  # the writers' internal row source: any token, any place, any column list
  "SELECT offline_join.sink_rows(1)", "SELECT * FROM offline_join.sink_rows(NULL) AS r(a int)",
  "SELECT * FROM offline_join.sink_rows(-1) AS r(a bigint, b jsonb, c text[])",
  "SELECT * FROM offline_join.sink_rows(9223372036854775807) AS r(a point)",
  "SELECT offline_join.fdw_validator(NULL, NULL)", "SELECT offline_join.fdw_validator('{}', 0)",
  "SELECT offline_join.fdw_validator(ARRAY[NULL, 'x'], 'pg_foreign_table'::regclass)",
  "SELECT offline_join.fdw_validator(ARRAY['source=rmc', 'filename=/etc/passwd', 'on_error=x'], 'pg_foreign_table'::regclass)",
  "SELECT offline_join.fdw_validator(ARRAY['=', '=='], 'pg_foreign_table'::regclass)",
  # every other function with NULLs and extremes
  "SELECT offline_join.record_transaction(NULL, NULL, NULL, NULL, NULL, NULL)",
  "SELECT offline_join.record_transaction('t', 'v', NULL, 'null', 'infinity', '-1 day')",
  "SELECT offline_join.record_transaction(repeat('x', 101), 'v', NULL, '[]', now(), '3 years')",
  "SELECT offline_join.source_is_valid(NULL, NULL, NULL)",
  "SELECT offline_join.source_is_valid('a', 'rmc', '[1, {\"a\": 2}]')",
  "SELECT offline_join.source_is_valid('a', 'rmc', '{\"reject_limit\": 1e300, \"total_tolerance\": \"NaN\", \"lookback\": \"-infinity\"}')",
  "SELECT offline_join.create_source(NULL, NULL, NULL)",
  "SELECT offline_join.create_source(repeat('a', 1000), 'rmc')",
  "SELECT offline_join.attribute(NULL, NULL, NULL, NULL)",
  "SELECT offline_join.attribute('infinity', 'c', 't')",
  "SELECT offline_join.attribute('-infinity', repeat('c', 100000), repeat('t', 100000), '1000000 years')",
  "SELECT offline_join.rematch(NULL)", "SELECT offline_join.rematch(-1)",
  "SELECT offline_join.expire(NULL)", "SELECT offline_join.expire(-5)", "SELECT offline_join.expire(2147483647)",
  "SELECT offline_join.abandoned_carts(NULL, NULL)", "SELECT offline_join.abandoned_carts('infinity', '-1 year')",
  "SELECT offline_join.create_inbox(NULL, NULL)", "SELECT offline_join.create_inbox('rmc', -2147483648)",
  "SELECT offline_join.create_inbox('adobe', 5)",
  "SELECT offline_join.create_foreign_table(NULL, NULL, NULL)",
  "SELECT offline_join.create_foreign_table('\"\"', 'rmc', '/tmp/x')",
  "SELECT offline_join.load('nope', '/nonexistent')", "SELECT offline_join.load('rmc', '')",
  "SELECT offline_join.load_dir('rmc', '[')", "SELECT offline_join.validate_file('rmc', '/dev/zero')",
  "SELECT offline_join.validate_file('rmc', '/proc/self/status')",
  # the inboxes with odd rows: all NULL, empty, very wide, NUL-free binary-ish text
  "INSERT INTO offline_join.inbox_rmc DEFAULT VALUES",
  "INSERT INTO offline_join.inbox_rmc (time_stamp) SELECT repeat('9', 2000000)",
  "INSERT INTO offline_join.inbox_rmc (time_stamp, customer_id, num1) VALUES (E'\\x01\\x02', E'\\t', E'1e9999')",
  "INSERT INTO offline_join.inbox_adobe DEFAULT VALUES",
  "INSERT INTO offline_join.inbox_adobe (date, visitorid, product, orders) VALUES ('01/01/2026', 'v', 'p', '1'), (NULL, 'v', NULL, '1')",
  "BEGIN; INSERT INTO offline_join.inbox_rmc (time_stamp) VALUES ('x'); SAVEPOINT a; INSERT INTO offline_join.inbox_rmc (time_stamp) VALUES ('y'); ROLLBACK TO a; COMMIT;",
  # statements into an inbox nested in one into it (0.1.1's review found a
  # segfault here: the nested statement tore down the outer one's run)
  q{CREATE FUNCTION pg_temp.g(i int) RETURNS text LANGUAGE plpgsql AS $$
    BEGIN
      IF i = 2 THEN
        BEGIN
          INSERT INTO offline_join.inbox_rmc (time_stamp, customer_id, event_type, event_name, num1, num2)
          VALUES ('2026-03-02 10:00:00', 'INNER', '7', 'SKU-1', '1', '10'), ('x', 'y', 'z', 'w', 'v', 'u');
        EXCEPTION WHEN others THEN RAISE NOTICE 'caught: %', SQLERRM;
        END;
      END IF;
      RETURN 'CUST-' || i;
    END $$;
    INSERT INTO offline_join.inbox_rmc (time_stamp, customer_id, event_type, event_name, num1, num2)
    SELECT '2026-03-02 10:00:00', pg_temp.g(i), '7', 'SKU-1', '1', '10' FROM generate_series(1, 3) i;},
  q{CREATE FUNCTION pg_temp.h(i int) RETURNS text LANGUAGE sql AS $$
      INSERT INTO offline_join.inbox_rmc (time_stamp, customer_id, event_type, event_name, num1, num2)
      VALUES ('2026-03-02 10:00:00', 'NESTED', '7', 'SKU-1', '1', '10') RETURNING 'CUST-' || i $$;
    INSERT INTO offline_join.inbox_rmc (time_stamp, customer_id, event_type, event_name, num1, num2)
    SELECT '2026-03-02 10:00:00', pg_temp.h(i), '7', 'SKU-1', '1', '10' FROM generate_series(1, 3) i;},
  q{WITH a AS (INSERT INTO offline_join.inbox_rmc (time_stamp) VALUES ('1') RETURNING 1),
         b AS (INSERT INTO offline_join.inbox_rmc (time_stamp) VALUES ('2') RETURNING 1)
    SELECT * FROM a, b;},
  "SELECT offline_join.inbox_start()",
  "CREATE TEMP TABLE st (time_stamp text); CREATE TRIGGER s BEFORE INSERT ON st FOR EACH STATEMENT EXECUTE FUNCTION offline_join.inbox_start('rmc'); INSERT INTO st VALUES ('x');",
  "SELECT * FROM offline_join.my_rejects(NULL)", "SELECT * FROM offline_join.my_rejects(-1)";

my $errors = 0;
for my $user ('postgres', 'mallory')
{
	for my $sql (@calls)
	{
		my ($ret, $out, $err) = $node->psql('postgres', $sql, extra_params => [ '-U', $user ]);
		$errors++ if $err =~ /ERROR/;
	}
}
ok($errors > 0, "the hostile calls were refused with errors ($errors)");

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $started,
	'the server did not restart');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|was terminated|server process .* exited with/,
	'no backend died');
unlike($log, qr/reference leak|leaked/, 'no resource leak warnings');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM offline_join.events WHERE customer_id IN ('INNER', 'NESTED')"),
	'0', 'no row of a nested statement was loaded');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM offline_join.loads l WHERE rows_total <> (SELECT count(*) FROM offline_join.events e WHERE e.load_id = l.load_id) + (SELECT count(*) FROM offline_join.rejects r WHERE r.load_id = l.load_id)"),
	'0', 'every ledger row counts exactly its own rows');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM offline_join.events WHERE source <> 'rmc' AND source <> 'adobe'"),
	'0', 'no events for a source that has no inbox');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM offline_join.loads WHERE loaded_by = 'mallory' AND source <> 'rmc'"),
	'0', 'mallory loaded nothing but through the inbox she may insert into');

$node->stop;
done_testing();
