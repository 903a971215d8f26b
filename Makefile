# jitrl -- build with plain Make and pkg-config.
#
#   make                 library (static + shared), CLI, games, tests
#   make check           build and run the test suite (tests/run.sh)
#   make SAN=1 BUILD=build-san check   the same under ASan + UBSan
#   make WERROR=1        warnings are errors (CI does this)
#
# Sources are found by wildcard: a new src/**/*.c joins the library, a new
# cli/*.c the CLI, a new tests/test_*.c becomes a test program.

BUILD   ?= build
CC      ?= cc
PKGS    := sqlite3 libcurl jansson libxxhash libpq
TESTPKGS := libmicrohttpd libcurl nettle libpq
OPT     ?= -O2
CFLAGS_BASE := -std=c11 -g $(OPT) -Wall -Wextra -Wshadow -Wno-unused-parameter \
               -D_GNU_SOURCE -Iinclude -Isrc -fPIC -fvisibility=hidden
ifeq ($(WERROR),1)
CFLAGS_BASE += -Werror
endif
ifeq ($(SAN),1)
OPT := -O1
CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDSAN := -fsanitize=address,undefined
endif
# ThreadSanitizer: clang, its own BUILD dir (make TSAN=1 BUILD=build-tsan
# tsan-check builds and runs the threaded tests, THREAD_TESTS).
ifeq ($(TSAN),1)
CC := clang
CFLAGS_BASE += -fsanitize=thread -fno-omit-frame-pointer
LDSAN := -fsanitize=thread
endif
# libcurl is compiled against but loaded with dlopen on first use
# (src/llm/llm_curl.c), so runs without a model do not load its ~30 libraries.
LINKPKGS := sqlite3 jansson libxxhash
# The service (src/serve/) is compiled against libmicrohttpd and nettle
# but loads them with dlopen when a server opens (src/serve/lib.c): linked,
# libmicrohttpd would bring GnuTLS and eight more libraries to every start.
SRVPKGS := libmicrohttpd nettle
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(SRVPKGS))
# libpq (the PostgreSQL store) is compiled against but loaded with dlopen
# at the first postgres:// open (src/memory/store_pg.c), for the same reason.
PKG_LIBS   := $(shell pkg-config --libs $(LINKPKGS)) -lm -lpthread -ldl
# The CLI links sqlite3, jansson and xxhash statically (Debian's -dev
# packages ship the .a files): resolving three more shared libraries cost
# ~1.5 ms per start, a sixth of a whole `jitrl run` of the zork1 walkthrough.
CLI_LIBS   := -Wl,-Bstatic $(shell pkg-config --libs $(LINKPKGS)) -Wl,-Bdynamic -lm -lpthread -ldl
TEST_CFLAGS := -Itests/support $(shell pkg-config --cflags $(TESTPKGS))
TEST_LIBS   := $(shell pkg-config --libs $(TESTPKGS))
ALL_CFLAGS := $(CFLAGS_BASE) $(PKG_CFLAGS) $(CFLAGS)

LIB_SRC  := $(sort $(shell find src -name '*.c'))
CLI_SRC  := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TSUP_SRC := $(sort $(wildcard tests/support/*.c))
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
GAME_SRC := $(sort $(wildcard games/*.inf))
TGAME_SRC := $(sort $(wildcard tests/games/*.inf))
EX_SRC   := $(sort $(wildcard examples/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TSUP_OBJ := $(TSUP_SRC:%.c=$(BUILD)/obj/%.o)
TESTS    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TOOLS    := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)
GAMES    := $(GAME_SRC:games/%.inf=$(BUILD)/games/%.z5)
EXAMPLES := $(EX_SRC:examples/%.c=$(BUILD)/examples/%)
TGAMES   := $(TGAME_SRC:tests/games/%.inf=$(BUILD)/tests/games/%.z5) \
            $(TGAME_SRC:tests/games/%.inf=$(BUILD)/tests/games/%.z8)

INFORM      ?= inform6
INFORM_LIB  ?= /usr/share/inform6/library

.PHONY: all lib cli tests examples check clean tsan-check
.SECONDARY:
all: lib cli tests examples

lib: $(BUILD)/libjitrl.a $(BUILD)/libjitrl.so $(BUILD)/libjitrl.pc
cli: $(BUILD)/jitrl
tests: $(TESTS) $(TOOLS) $(TGAMES) $(GAMES)
examples: $(EXAMPLES)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(if $(filter tests/%,$<),$(TEST_CFLAGS)) -MMD -MP -c $< -o $@

$(BUILD)/libjitrl.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The shared library: only JITRL_API symbols exported (-fvisibility=hidden),
# SONAME libjitrl.so.$(SOVERSION); libjitrl.so links to it for -ljitrl.
SOVERSION := 0
$(BUILD)/libjitrl.so.$(SOVERSION): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libjitrl.so.$(SOVERSION) -o $@ $^ $(PKG_LIBS) $(LDSAN)

$(BUILD)/libjitrl.so: $(BUILD)/libjitrl.so.$(SOVERSION)
	ln -sf libjitrl.so.$(SOVERSION) $@

$(BUILD)/libjitrl.pc: libjitrl.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(abspath $(BUILD))|' -e 's|@INCLUDE@|$(abspath include)|' \
	    -e 's|@REQUIRES@|$(LINKPKGS)|' $< > $@

# The built-in default game is compiled by inform6 and embedded in the CLI.
$(BUILD)/gen/default_game.c: $(BUILD)/games/jitrl_cave.z5 scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh $< jitrl_default_game > $@

$(BUILD)/obj/gen/default_game.o: $(BUILD)/gen/default_game.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/jitrl: $(CLI_OBJ) $(BUILD)/obj/gen/default_game.o $(BUILD)/libjitrl.a
	$(CC) -o $@ $(CLI_OBJ) $(BUILD)/obj/gen/default_game.o $(BUILD)/libjitrl.a $(CLI_LIBS) $(LDSAN)

$(BUILD)/tests/%: tests/%.c $(TSUP_OBJ) $(BUILD)/libjitrl.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -MMD -MP -o $@ $< $(TSUP_OBJ) $(BUILD)/libjitrl.a $(PKG_LIBS) $(TEST_LIBS) $(LDSAN)

$(BUILD)/tests/%: tests/tools/%.c $(TSUP_OBJ) $(BUILD)/libjitrl.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -MMD -MP -o $@ $< $(TSUP_OBJ) $(BUILD)/libjitrl.a $(PKG_LIBS) $(TEST_LIBS) $(LDSAN)

# Examples: programs of the public API only (include/), as an embedder builds them.
$(BUILD)/examples/%: examples/%.c $(BUILD)/libjitrl.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libjitrl.a $(PKG_LIBS) $(LDSAN)

$(BUILD)/games/%.z5: games/%.inf
	@mkdir -p $(dir $@)
	$(INFORM) -q -v5 -~S +include_path=$(INFORM_LIB),games $< $@ >$@.log 2>&1 || { cat $@.log; exit 1; }

$(BUILD)/tests/games/%.z5: tests/games/%.inf
	@mkdir -p $(dir $@)
	$(INFORM) -q -v5 +include_path=$(INFORM_LIB),tests/games $< $@ >$@.log 2>&1 || { cat $@.log; exit 1; }

$(BUILD)/tests/games/%.z8: tests/games/%.inf
	@mkdir -p $(dir $@)
	$(INFORM) -q -v8 +include_path=$(INFORM_LIB),tests/games $< $@ >$@.log 2>&1 || { cat $@.log; exit 1; }

check: all
	sh tests/run.sh $(BUILD)

# The tests that run threads on shared handles, run again under
# ThreadSanitizer by scripts/test.sh (a later threaded test joins the list).
THREAD_TESTS := test_concurrency test_serve_threads test_web_sites
tsan-check: $(THREAD_TESTS:%=$(BUILD)/tests/%)
	@pass=0; fail=0; for t in $(THREAD_TESTS); do \
	    echo "tsan: $$t"; \
	    if TSAN_OPTIONS="halt_on_error=1 exitcode=66 $$TSAN_OPTIONS" JITRL_ROOT=$(CURDIR) JITRL_BUILD=$(abspath $(BUILD)) \
	        $(BUILD)/tests/$$t > $(BUILD)/tests/$$t.log 2>&1; then \
	        pass=$$((pass+1)); grep -h '^FIGURE' $(BUILD)/tests/$$t.log; tail -n 1 $(BUILD)/tests/$$t.log; \
	    else fail=$$((fail+1)); echo "FAIL $$t under ThreadSanitizer:"; tail -n 60 $(BUILD)/tests/$$t.log; fi; \
	done; echo "$$pass $$fail 0" > $(BUILD)/tests/tsan-tally; echo "tsan: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]

clean:
	rm -rf $(BUILD) build-san build-tsan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
