# braid — plain Makefile.  `make` builds build/braid; `make test` runs every
# test; `make asan` runs them under AddressSanitizer+UBSan; `make demo` runs
# the demo city end to end.  Libraries come from Debian via pkg-config;
# scripts/deps.sh installs what is missing.

CC      ?= cc
BUILD   ?= build
PKGS    := sqlite3 libsodium libutf8proc jansson yaml-0.1
OPT     ?= -O2
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wvla -Werror
CFLAGS  ?=
SAN     ?=
CFLAGS  += $(SAN) -std=c17 $(OPT) -g $(WARN) -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
           -Iinclude -DBRAID_DATA_DEFAULT='"$(abspath ../shared/data)"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lglpk -lm -lpthread
LDFLAGS ?=
LDFLAGS += $(SAN)

LIB_SRC  := $(filter-out src/cli/%,$(wildcard src/*/*.c))
CLI_SRC  := $(wildcard src/cli/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: all test unit e2e fuzz-replay asan demo deps bench clean fuzz
all: $(BUILD)/braid $(BUILD)/unit_tests $(FUZZ_BIN)

deps:
	@scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -MT $@ -MF $(@:.o=.d) -c $< -o $@.$$$$.tmp && mv -f $@.$$$$.tmp $@

$(BUILD)/libbraid.a: $(LIB_OBJ)
	@rm -f $@.$$$$.tmp
	@ar rcs $@.$$$$.tmp $^ && mv -f $@.$$$$.tmp $@

$(BUILD)/braid: $(CLI_OBJ) $(BUILD)/libbraid.a
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@.$$$$.tmp $(CLI_OBJ) $(BUILD)/libbraid.a $(LDLIBS) && mv -f $@.$$$$.tmp $@

$(BUILD)/unit_tests: $(UNIT_OBJ) $(BUILD)/libbraid.a
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@.$$$$.tmp $(UNIT_OBJ) $(BUILD)/libbraid.a $(LDLIBS) && mv -f $@.$$$$.tmp $@

# Outputs are written to a temporary name and renamed, so that several
# builds running at once in one tree never see a half-written file.

# Fuzz targets build twice: with gcc as corpus replayers (fuzz/replay.c
# provides main), and with clang -fsanitize=fuzzer via `make fuzz`.
$(BUILD)/fuzz/%: fuzz/%.c fuzz/replay.c $(BUILD)/libbraid.a
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@.$$$$.tmp $< fuzz/replay.c $(BUILD)/libbraid.a $(LDLIBS) && mv -f $@.$$$$.tmp $@

fuzz:
	@mkdir -p $(BUILD)/libfuzzer
	for f in $(FUZZ_SRC); do \
	  clang -std=c17 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
	    -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	    $$(pkg-config --cflags $(PKGS)) $$f $(LIB_SRC) \
	    -o $(BUILD)/libfuzzer/$$(basename $$f .c) $(LDLIBS) || exit 1; \
	done

test: deps
	@$(MAKE) --no-print-directory all
	@tests/run.sh $(BUILD)

asan: deps
	@$(MAKE) --no-print-directory all BUILD=build/asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/run.sh build/asan

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/braid
	@scripts/demo.sh $(BUILD)

bench: all
	@bench/run.sh $(BUILD)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
