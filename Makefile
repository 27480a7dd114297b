# followd — GNU Makefile. `make` builds bin/followd (optimised); `make test`
# installs dependencies, builds with ASan+UBSan and runs every test; `make run`
# installs, builds, creates the demo database on first start and serves.

# make predefines CC=cc, so `CC ?= gcc` would never apply: only replace make's default.
ifeq ($(origin CC),default)
CC       := gcc
endif
PKGS     := libh2o-evloop lmdb libpq jansson libssl libcrypto libpcre2-8
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS)) -lpthread -lm
TEST_LIBS  := $(shell pkg-config --libs cmocka yaml-0.1)
# -Wno-unused-parameter stays for now: without it gcc reports 4 warnings, in
# src/http/server.c (serve's unused cfg) and src/store/lmdb_read.c (three unused
# exec parameters), files being reworked on other branches.
WARN     := -Wall -Wextra -Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes -Wshadow
DEFS     := -std=c11 -D_GNU_SOURCE -DH2O_USE_LIBUV=0
CFLAGS_release := -O2 -g
CFLAGS_asan    := -Werror -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS_asan   := -fsanitize=address,undefined

DB       ?= data/demo
LISTEN   ?= 127.0.0.1:8080

LIB_SRC  := $(sort $(wildcard src/*/*.c))
MAIN_SRC := src/main.c
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))

# $(call objs,variant,sources)
objs = $(patsubst %.c,build/$(1)/%.o,$(2))

# Install layout (GNU names); DESTDIR stages into a directory.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= $(PREFIX)/etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
INSTALL    ?= install

.PHONY: all deps run test unit integration fuzz-regress shell-tests fuzz bench clean asan install uninstall crash-trials soak
all: bin/followd

deps:
	@./scripts/deps.sh

bin/followd: build/release/followd
	@mkdir -p bin
	cp $< $@

define VARIANT
build/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(DEFS) $$(WARN) $$(CFLAGS_$(1)) -Isrc $$(PKG_CFLAGS) -MMD -MP -c $$< -o $$@

build/$(1)/libfollowd.a: $$(call objs,$(1),$$(LIB_SRC))
	@rm -f $$@
	ar rcs $$@ $$^

build/$(1)/followd: $$(call objs,$(1),$$(MAIN_SRC)) build/$(1)/libfollowd.a
	$$(CC) $$(LDFLAGS_$(1)) -o $$@ $$^ $$(PKG_LIBS)

build/$(1)/tests/%: build/$(1)/tests/unit/%.o build/$(1)/libfollowd.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS_$(1)) -o $$@ $$^ $$(PKG_LIBS) $$(TEST_LIBS)
endef
$(eval $(call VARIANT,release))
$(eval $(call VARIANT,asan))

UNIT_BINS_asan := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRC))

asan: build/asan/followd $(UNIT_BINS_asan)

run: deps
	@$(MAKE) --no-print-directory bin/followd
	./bin/followd demo --db $(DB) --quickstart
	./bin/followd serve --db $(DB) --listen $(LISTEN)

# Every test layer goes through scripts/run-tests.sh, so each ends with the
# same "N passed, N failed" line and a non-zero exit on any failure.
RUN_TESTS := FOLLOWD_BIN=build/asan/followd UNIT_DIR=build/asan/tests ./scripts/run-tests.sh

test: deps
	@$(MAKE) --no-print-directory asan
	@$(RUN_TESTS) unit fuzz integration shell

unit: deps
	@$(MAKE) --no-print-directory $(UNIT_BINS_asan)
	@$(RUN_TESTS) unit

integration: deps
	@$(MAKE) --no-print-directory build/asan/followd
	@$(RUN_TESTS) integration

fuzz-regress: deps
	@$(RUN_TESTS) fuzz

# The runner's own self-test (tests/shell/).
shell-tests:
	@$(RUN_TESTS) shell

fuzz: deps
	@nice -n 15 ./scripts/fuzz.sh

# Reliability runs (docs/reliability.md); not part of `make test`.
crash-trials: deps
	@$(MAKE) --no-print-directory bin/followd
	@./scripts/crash-trials.py

# The soak runs the sanitizer build (SOAK_BIN=bin/followd for the release one).
SOAK_BIN ?= build/asan/followd
soak: deps
	@$(MAKE) --no-print-directory $(SOAK_BIN)
	@FOLLOWD_BIN=$(SOAK_BIN) nice -n 10 ./scripts/soak.py

bench: deps
	@$(MAKE) --no-print-directory bin/followd
	@./bench/run.sh

# The config is an example: an existing one is kept, and uninstall removes it
# only while it is still the shipped one.
install: bin/followd
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/followd
	$(INSTALL) -m 755 bin/followd $(DESTDIR)$(BINDIR)/followd
	$(INSTALL) -m 644 dist/followd.1 $(DESTDIR)$(MANDIR)/man1/followd.1
	@mkdir -p build
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' dist/followd.service.in >build/followd.service
	$(INSTALL) -m 644 build/followd.service $(DESTDIR)$(UNITDIR)/followd.service
	test -e $(DESTDIR)$(SYSCONFDIR)/followd/followd.env || \
	  $(INSTALL) -m 644 dist/followd.env $(DESTDIR)$(SYSCONFDIR)/followd/followd.env

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/followd $(DESTDIR)$(MANDIR)/man1/followd.1 $(DESTDIR)$(UNITDIR)/followd.service
	if cmp -s dist/followd.env $(DESTDIR)$(SYSCONFDIR)/followd/followd.env; then \
	  rm -f $(DESTDIR)$(SYSCONFDIR)/followd/followd.env; fi
	-rmdir $(DESTDIR)$(SYSCONFDIR)/followd 2>/dev/null

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
