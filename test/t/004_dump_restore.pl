# pg_dump / pg_restore keep every table holding user data (sessions,
# transactions, sources, products, events, rejects, loads) with identical
# counts, the identity sequences continue where they were, and an inbox and
# a foreign table come back working.  The inbox comes back of access
# method offline_join_inbox (an extension member, made by CREATE EXTENSION
# before the table), so its COPY reports the rows it loaded (0.2.1); a
# restore with --no-table-access-method makes it a heap table, which still
# routes and keeps nothing, reporting COPY 0 as before 0.2.1.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;
my $dir = $node->basedir;

open(my $fh, '>', "$dir/sales.csv") or die;
print $fh "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n";
print $fh "2026-03-02 14:05:1$_,CUST-$_,7,shoes,SKU-1,1,9.95\n" for 1 .. 5;
print $fh "2026-03-02 14:05:11,,7,shoes,SKU-1,1,9.95\n";
close $fh;
chmod 0644, "$dir/sales.csv";

$node->safe_psql('postgres', qq{
SET client_min_messages = warning;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc', '{"timezone": "Europe/Copenhagen", "total_tolerance": 0.5}');
INSERT INTO offline_join.products VALUES ('SKU-1', 'shoes', 9.95, '{"brand": "x"}');
INSERT INTO offline_join.sessions VALUES ('s1', 'V1', 'CUST-1', '2026-03-01 10:00+00', '{"cart": ["SKU-1"]}');
SELECT offline_join.record_transaction('t1', 'V1', 's1', '{"c": 1}', '2026-03-01 10:00+00');
SELECT offline_join.load('rmc', '$dir/sales.csv');
SELECT offline_join.create_inbox('rmc');
COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2)
  FROM PROGRAM 'printf "2026-03-03 10:00:00,CUST-9,7,,SKU-1,1,9.95\\n"' (FORMAT csv);
SELECT offline_join.create_foreign_table('public.sales_file', 'rmc', '$dir/sales.csv');
ALTER FOREIGN TABLE public.sales_file OPTIONS (ADD on_error 'skip');
});

my $counts = q{
SELECT (SELECT count(*) FROM offline_join.sessions) || ' ' ||
       (SELECT count(*) FROM offline_join.transactions) || ' ' ||
       (SELECT count(*) FROM offline_join.sources) || ' ' ||
       (SELECT count(*) FROM offline_join.products) || ' ' ||
       (SELECT count(*) FROM offline_join.events) || ' ' ||
       (SELECT count(*) FROM offline_join.rejects) || ' ' ||
       (SELECT count(*) FROM offline_join.loads) || ' ' ||
       (SELECT md5(string_agg(e::text, ',' ORDER BY event_id)) FROM offline_join.events e)};
my $before = $node->safe_psql('postgres', $counts);
like($before, qr/^1 1 1 1 6 1 2 /, 'data to dump');

$node->command_ok(['pg_dump', '-Fc', '-f', "$dir/db.dump", '-d', $node->connstr('postgres')], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok(['pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), "$dir/db.dump"],
                  'pg_restore into a new database');

is($node->safe_psql('restored', $counts), $before, 'every table holds the same rows');
is($node->safe_psql('restored', q{SELECT options->>'timezone' FROM offline_join.sources}),
   'Europe/Copenhagen', 'source options kept');

# the sequences go on: a new load does not reuse an id
my $max_load = $node->safe_psql('postgres', 'SELECT max(load_id) FROM offline_join.loads');
my $max_event = $node->safe_psql('postgres', 'SELECT max(event_id) FROM offline_join.events');
$node->safe_psql('restored', qq{SELECT offline_join.load('rmc', '$dir/sales.csv', force => true)});
ok($node->safe_psql('restored', "SELECT min(load_id) FROM offline_join.loads WHERE load_id > $max_load") > $max_load,
   'new ledger rows get new ids');
is($node->safe_psql('restored', "SELECT count(*) FROM offline_join.events WHERE event_id <= $max_event"),
   '6', 'no event id reused');

# the inbox still routes and keeps nothing; the foreign table still reads
$node->safe_psql('restored', q{
COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2)
  FROM PROGRAM 'printf "2026-03-04 10:00:00,CUST-8,7,,SKU-1,1,9.95\n"' (FORMAT csv)});
is($node->safe_psql('restored', q{SELECT count(*) FROM offline_join.events WHERE customer_id = 'CUST-8'}),
   '1', 'inbox works after restore');
is($node->safe_psql('restored', 'SELECT count(*) FROM offline_join.inbox_rmc'), '0', 'inbox keeps nothing');
is($node->safe_psql('restored', 'SELECT count(*) FROM public.sales_file'), '5', 'foreign table works after restore');

my $am = q{SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
            WHERE c.oid = 'offline_join.inbox_rmc'::regclass};
is($node->safe_psql('restored', $am), 'offline_join_inbox', 'the inbox keeps its access method');
my $copy_count = q{
COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2)
  FROM PROGRAM 'printf "2026-03-05 10:00:00,CUST-7,7,,SKU-1,1,9.95\n2026-03-05 10:00:00,,7,,SKU-1,1,9.95\n"' (FORMAT csv);
SELECT :ROW_COUNT || ' ' || rows_loaded || ' ' || rows_rejected FROM offline_join.last_load();
SELECT count(*) FROM offline_join.inbox_rmc;};
is($node->safe_psql('restored', $copy_count), "1 1 1\n0", 'COPY into the restored inbox reports the row it loaded');

$node->safe_psql('postgres', 'CREATE DATABASE restored_heap');
$node->command_ok(['pg_restore', '--exit-on-error', '--no-table-access-method', '-d', $node->connstr('restored_heap'),
                   "$dir/db.dump"], 'pg_restore --no-table-access-method');
is($node->safe_psql('restored_heap', $am), 'heap', 'the inbox is a heap table there');
is($node->safe_psql('restored_heap', $copy_count), "0 1 1\n0", 'a heap inbox still routes and keeps nothing, reporting COPY 0');

$node->stop;
done_testing();
