# dtsim -- discrete-event simulator of distributed LLM training.
#
# Two layers, kept apart as in Lua's CORE_O/LIB_O:
#   core   sim/*.c except the engine and the CLI: pure C (cJSON, GSL), no SimGrid.
#   engine sim/eng*.c, sim/plat*.c: everything that calls SimGrid, and the
#          platform XML it loads (plat_xml.c itself calls no SimGrid).
#   cli    sim/main.c, sim/cli_*.c: argument parsing, exit codes.
# Unit tests tests/unit/test_<module>.c link the core only (test_eng_*.c also the
# engine); CLI tests tests/cli/t*.sh run the binary. All speak TAP and run
# under `prove`. `make test` = deps + build + tests + the same under ASan/UBSan.

CC      := gcc
PKGS    := simgrid libcjson gsl
STD     := -std=c11 -D_POSIX_C_SOURCE=200809L
WARN    := -Wall -Wextra -Werror -Wno-format-truncation
OPT     ?= -O2 -g
DTSIM_HOME := $(CURDIR)

BUILD   ?= build
SAN     :=

CORE_SRC := $(filter-out sim/eng% sim/plat% sim/main.c sim/cli_%,$(wildcard sim/*.c))
ENG_SRC  := $(wildcard sim/eng*.c sim/plat*.c)
CLI_SRC  := sim/main.c $(wildcard sim/cli_*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
CLI_TESTS := $(sort $(wildcard tests/cli/t*.sh))

DEPS_STAMP := build/.deps-installed

# pkg-config is only consulted once the libraries exist (after `deps`).
PC_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PC_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS_ALL = $(STD) $(WARN) $(OPT) $(SAN) -MMD -MP -Isim $(PC_CFLAGS) \
             -DDTSIM_HOME=\"$(DTSIM_HOME)\" $(CFLAGS)
LDLIBS_CORE = $(shell pkg-config --libs libcjson gsl 2>/dev/null) -lm
LDLIBS_ALL  = $(PC_LIBS) -lm

CORE_OBJ := $(CORE_SRC:sim/%.c=$(BUILD)/sim/%.o)
ENG_OBJ  := $(ENG_SRC:sim/%.c=$(BUILD)/sim/%.o)
CLI_OBJ  := $(CLI_SRC:sim/%.c=$(BUILD)/sim/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

BIN ?= dtsim

.PHONY: all deps run test check check-unit check-cli check-layers check-asan \
        bench reproduce clean distclean help

all: $(BIN)

help:
	@echo "make            build ./dtsim"
	@echo "make run        install missing packages, build, run the default experiment"
	@echo "make test       install missing packages, build, run all tests (normal + ASan/UBSan)"
	@echo "make check      tests without the sanitizer pass"
	@echo "make check-asan tests built with -fsanitize=address,undefined"
	@echo "make bench      speed benchmarks (wall time, peak memory)"
	@echo "make reproduce  every paper reproduction in scripts/reproduce/"

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/install-deps.sh
	@sh scripts/install-deps.sh
	@mkdir -p build && touch $@

$(BIN): $(DEPS_STAMP) $(BUILD)/libdtsim_core.a $(BUILD)/libdtsim_eng.a $(CLI_OBJ)
	$(CC) $(CFLAGS_ALL) -o $@ $(CLI_OBJ) $(BUILD)/libdtsim_eng.a $(BUILD)/libdtsim_core.a $(LDLIBS_ALL)

$(BUILD)/libdtsim_core.a: $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/libdtsim_eng.a: $(ENG_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/sim/%.o: sim/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

# Unit tests of pure modules link the core only; test_eng_* also link the engine.
$(BUILD)/tests/test_eng_%: tests/unit/test_eng_%.c $(BUILD)/libdtsim_eng.a $(BUILD)/libdtsim_core.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit -o $@ $< $(BUILD)/libdtsim_eng.a $(BUILD)/libdtsim_core.a $(LDLIBS_ALL) -lcmocka

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libdtsim_core.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit -o $@ $< $(BUILD)/libdtsim_core.a $(LDLIBS_CORE) -lcmocka

run: $(BIN)
	./$(BIN) run configs/experiments/default.json

# ---- tests -----------------------------------------------------------------
# The pure layer must not include SimGrid, nor the engine's or the CLI's
# headers, nor call SimGrid (STYLE.md "two layers"). Its headers include those
# without a .c of their own (res.h, sched_gen.h). plat_xml.h is SimGrid-free
# (slow.h uses its types).
CORE_HDR := $(filter-out sim/eng% sim/plat% sim/cli%,$(wildcard sim/*.h))
check-layers: $(BUILD)/libdtsim_core.a
	@bad=$$(grep -l -E '#include *[<"](simgrid|xbt)/' $(CORE_SRC) $(CORE_HDR) 2>/dev/null); \
	if [ -n "$$bad" ]; then echo "SimGrid included from the pure layer: $$bad"; exit 1; fi
	@bad=$$(grep -l -E '#include *"(eng|cli)[a-z_]*\.h"' $(CORE_SRC) $(CORE_HDR) 2>/dev/null); \
	if [ -n "$$bad" ]; then echo "engine or CLI header included from the pure layer: $$bad"; exit 1; fi
	@bad=$$(nm -u $< | grep -E ' (sg_|simgrid_|xbt_|_xbt|eng_|cli_)' | sort -u); \
	if [ -n "$$bad" ]; then echo "the pure layer calls SimGrid, the engine or the CLI:"; echo "$$bad"; exit 1; fi

check-unit: $(UNIT_BIN) $(BIN)
	@DTSIM_BIN=$(CURDIR)/$(BIN) prove -f $(UNIT_BIN)

check-cli: $(BIN)
	@DTSIM_BIN=$(CURDIR)/$(BIN) prove -f $(CLI_TESTS)

check: $(DEPS_STAMP) check-layers
	@$(MAKE) --no-print-directory $(BIN) $(UNIT_BIN)
	@DTSIM_BIN=$(CURDIR)/$(BIN) prove -f $(UNIT_BIN) $(CLI_TESTS)

# Sanitizer build in its own tree; SimGrid's raw contexts confuse ASan, so the
# binary is told to use thread contexts there (DTSIM_SANITIZE, SIMGRID-NOTES §6).
check-asan: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory BUILD=build-asan BIN=build-asan/dtsim \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    OPT="-O1 -g" build-asan/dtsim $(UNIT_SRC:tests/unit/%.c=build-asan/tests/%)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	    DTSIM_SANITIZE=1 DTSIM_BIN=$(CURDIR)/build-asan/dtsim \
	    prove -f $(UNIT_SRC:tests/unit/%.c=build-asan/tests/%) $(CLI_TESTS)

test: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory check-asan

bench: $(BIN)
	@sh scripts/bench.sh

reproduce: $(BIN)
	@for s in scripts/reproduce/*; do [ -x "$$s" ] && { echo "== $$s"; "$$s" || exit 1; }; done; true

clean:
	rm -rf build/sim build/tests build/*.a build-asan $(BIN)

distclean: clean
	rm -rf build

-include $(wildcard $(BUILD)/sim/*.d $(BUILD)/tests/*.d)
