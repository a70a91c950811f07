#!/bin/sh
# Build and run the unit tests of the plain-C core (reader and validator)
# with AddressSanitizer and UndefinedBehaviorSanitizer.  Exit code = result.
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cc -std=gnu99 -g -O1 -Wall -Wextra -Werror \
	-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
	-Isrc src/csv_reader.c src/validate.c src/format*.c test/unit/test_core.c -lcsv -o "$tmp/test_core"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	"$tmp/test_core" test/unit/data
