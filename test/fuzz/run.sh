#!/bin/sh
# Build the libFuzzer harness of the plain-C core and run it.
#
#   test/fuzz/run.sh [SECONDS]   fuzz for SECONDS (default 60), starting from a
#                                copy of test/fuzz/corpus (and regressions);
#                                crashing inputs go to test/fuzz/crashes/
#   test/fuzz/run.sh 0           regression mode: run every file of
#                                test/fuzz/corpus and test/fuzz/regressions once
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-60}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Isrc \
	src/csv_reader.c src/validate.c src/format*.c test/fuzz/fuzz_core.c -lcsv -o "$tmp/fuzz_core"

if [ "$secs" = 0 ]; then
	find test/fuzz/corpus test/fuzz/regressions -type f 2>/dev/null | sort >"$tmp/files"
	echo "running $(wc -l <"$tmp/files") inputs once"
	# shellcheck disable=SC2046
	xargs "$tmp/fuzz_core" <"$tmp/files" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
	echo "fuzz regression: all inputs passed"
else
	mkdir -p test/fuzz/crashes "$tmp/corpus"
	cp test/fuzz/corpus/* "$tmp/corpus/"
	if [ -d test/fuzz/regressions ]; then
		cp test/fuzz/regressions/* "$tmp/corpus/" 2>/dev/null || true
	fi
	# the run's log is long: show its summary, or its end when it found something
	if ! "$tmp/fuzz_core" -max_len=65536 -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix=test/fuzz/crashes/ "$tmp/corpus" >"$tmp/fuzz.log" 2>&1; then
		tail -n 60 "$tmp/fuzz.log"
		echo "fuzzing found a problem: the input is in test/fuzz/crashes/"
		exit 1
	fi
	grep -E '^Done|stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$tmp/fuzz.log"
fi
