# recsys: PGXS build.  make, make install, make installcheck (regression
# tests against a running server), make unitcheck (numeric core, no server),
# make test (everything in a throw-away cluster), make demo.

EXTENSION = recsys
MODULE_big = recsys
DATA = $(wildcard sql/recsys--*.sql)

CORE_SRCS = $(wildcard src/core/*.c)
GLUE_SRCS = $(wildcard src/*.c)
OBJS = $(GLUE_SRCS:.c=.o) $(CORE_SRCS:.c=.o)

PG_CPPFLAGS = -I$(srcdir)/src -I$(srcdir)/src/core
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -pthread
SHLIB_LINK = -lopenblas -lm -pthread

REGRESS = train_mf aggregate options errors synthetic \
	predict recommend evaluate catalog cold_start threads
REGRESS_OPTS = --load-extension=recsys

EXTRA_CLEAN = test/unit/run_tests test/unit/*.o

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# ---- numeric core unit tests (plain C, no server) ----
UNIT_CFLAGS = -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Isrc/core -pthread
UNIT_SRCS = $(wildcard test/unit/*.c)

test/unit/run_tests: $(UNIT_SRCS) $(CORE_SRCS) $(wildcard src/core/*.h test/unit/*.h)
	$(CC) $(UNIT_CFLAGS) -o $@ $(UNIT_SRCS) $(CORE_SRCS) -lopenblas -lm -pthread

.PHONY: unitcheck test demo bench
unitcheck: test/unit/run_tests
	test/unit/run_tests

test:
	@bash scripts/test.sh

demo:
	@bash scripts/demo.sh

bench:
	@bash test/bench/run.sh
