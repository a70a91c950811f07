# offline_join — PGXS build.
#
#   make && make install          build and install into the pg_config found
#   make installcheck             regression, isolation and TAP tests against
#                                 a running server (PGHOST/PGPORT)
#   make test-all                 everything from a bare Debian 12: installs
#                                 packages, builds, starts throwaway clusters
#   make demo                     the README's demo, same set-up; leaves its
#                                 server running (make demo-stop stops it)
#   make test-valgrind            pg_regress and isolation against a server
#                                 under valgrind (fails on errors in our code)
#   make test-matrix              the whole suite on PostgreSQL 17 and 18, each
#                                 in a cached Debian root (test/scripts/pg_root.sh)
#   make test-citus               the TAP tests in test/citus on a Citus cluster
#                                 (skipped when Citus is not installed)
#   make dist                     offline_join-VERSION.zip for PGXN, from HEAD
#
EXTENSION   = offline_join
MODULE_big  = offline_join
OBJS        = $(patsubst %.c,%.o,$(wildcard src/*.c))
DATA        = $(wildcard sql/offline_join--*.sql) $(wildcard sql/offline_join--*.control)
PGFILEDESC  = "offline_join - validated offline CSV events joined to online sessions"

SHLIB_LINK += -lcsv
PG_CFLAGS  += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare

# One pg_regress file per feature; the install scripts share sql/ but are not tests.
REGRESS      = $(filter-out offline_join--%,$(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS =
ISOLATION      = $(basename $(notdir $(wildcard test/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test/isolation
TAP_TESTS   = 1
PROVE_TESTS = test/t/*.pl

EXTRA_CLEAN = results regression.diffs regression.out output_iso tmp_check tmp_check_iso log offline_join-*.zip

PG_CONFIG ?= pg_config
PGXS := $(shell command -v $(PG_CONFIG) >/dev/null 2>&1 && $(PG_CONFIG) --pgxs)

# No LLVM bitcode: nothing to gain from JIT-inlining this module, and the
# build then needs no clang.  (Set before the include: PGXS tests it there.)
override with_llvm = no

ifneq ($(PGXS),)
include $(PGXS)
# every object uses the one private header
$(OBJS): $(wildcard src/*.h)
else
all install installcheck:
	@echo "pg_config not found: run 'make test-all' or 'make demo' (they install PostgreSQL 15), or install postgresql-server-dev-15" >&2; exit 1
endif

# make dist: the PGXN zip of the committed tree (HEAD), as
# offline_join-VERSION.zip with an offline_join-VERSION/ prefix
DIST_VERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" offline_join.control)
dist:
	git archive --format=zip --prefix=offline_join-$(DIST_VERSION)/ -o offline_join-$(DIST_VERSION).zip HEAD
	@echo "offline_join-$(DIST_VERSION).zip"

.PHONY: test-all demo demo-stop bench test-valgrind test-matrix test-citus dist
test-all:
	bash test/scripts/test_all.sh
test-valgrind:
	bash test/scripts/test_valgrind.sh
test-matrix:
	bash test/scripts/test_matrix.sh
test-citus:
	bash test/scripts/test_citus.sh
demo:
	bash test/scripts/demo.sh
demo-stop:
	bash test/scripts/demo.sh stop
