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

# The core never reads errno after a math call nor the floating-point
# exception flags; without -fno-math-errno sqrtf keeps Adam's step from
# vectorizing, without -fno-trapping-math the clamps of the LSTM's exp do.
# GCC's -O2 vectorizes only loops whose trip count needs no remainder loop
# unless the cost model is "dynamic" (as at -O3).  PostgreSQL builds with
# -fwrapv, under which GCC cannot assume that the core's int loop counters
# and index products never wrap, and leaves their loops scalar (the ranking
# head ran 3 times slower, mf's SGD 1.6 times); the core does no signed
# arithmetic that may overflow (sizes go through rs_mul_size/rs_add_size)
# and its unit tests are built without -fwrapv, so it takes -fno-wrapv.
# None of these reorders a floating-point sum, so results are the same bits
# as without them.
CORE_CFLAGS = -fno-math-errno -fno-trapping-math -fvect-cost-model=dynamic -fno-wrapv
$(CORE_SRCS:.c=.o): CFLAGS += $(CORE_CFLAGS)

REGRESS = train_mf train_dense aggregate options errors synthetic \
	predict recommend evaluate ranking catalog cold_start threads \
	train_lstm errors_lstm \
	access filters history ids \
	upgrade
REGRESS_OPTS = --load-extension=recsys

EXTRA_CLEAN = test/unit/run_tests test/unit/*.o

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: every object depends on every header
# (after the include, so that the default goal stays PGXS's "all")
$(OBJS): $(wildcard src/*.h src/core/*.h)

# ---- numeric core unit tests (plain C, no server) ----
UNIT_CFLAGS = -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	$(CORE_CFLAGS) -Isrc/core -pthread
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

# ---- libFuzzer target for the weights loader (clang) ----
# make fuzz runs until FUZZ_SECONDS pass or FUZZ_RUNS inputs ran (-1, 0:
# no limit), e.g. make fuzz FUZZ_SECONDS=0 FUZZ_RUNS=10000000
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= -1
FUZZ_CC ?= clang
FUZZ_CORE = $(filter-out %/synthetic.c %/ratings.c,$(CORE_SRCS))

test/fuzz/fuzz_blob: test/fuzz/fuzz_blob.c $(CORE_SRCS) $(wildcard src/core/*.h)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined \
		-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -Isrc/core -o $@ \
		test/fuzz/fuzz_blob.c $(FUZZ_CORE) -lopenblas -lm -pthread

test/fuzz/make_seed: test/fuzz/fuzz_blob.c $(CORE_SRCS) $(wildcard src/core/*.h)
	$(CC) -g -O1 -DFUZZ_MAKE_SEED -Isrc/core -o $@ \
		test/fuzz/fuzz_blob.c $(FUZZ_CORE) -lopenblas -lm -pthread

.PHONY: fuzz
fuzz: test/fuzz/fuzz_blob test/fuzz/make_seed
	mkdir -p test/fuzz/corpus
	test/fuzz/make_seed test/fuzz/corpus
	test/fuzz/fuzz_blob -max_total_time=$(FUZZ_SECONDS) -runs=$(FUZZ_RUNS) \
		-max_len=8192 -rss_limit_mb=1024 test/fuzz/corpus
EXTRA_CLEAN += test/fuzz/fuzz_blob test/fuzz/make_seed test/fuzz/corpus crash-* leak-* timeout-*
