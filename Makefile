# followd — GNU Makefile. `make` builds bin/followd (optimised); `make test`
# installs dependencies, builds with ASan+UBSan and runs every test; `make run`
# installs, builds, creates the demo database on first start and serves.

CC       ?= gcc
PKGS     := libh2o-evloop lmdb jansson libssl libcrypto libpcre2-8
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lpthread -lm
WARN     := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wstrict-prototypes -Wshadow
DEFS     := -std=c11 -D_GNU_SOURCE -DH2O_USE_LIBUV=0
CFLAGS_release := -O2 -g
CFLAGS_asan    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS_asan   := -fsanitize=address,undefined

DB       ?= data/demo
LISTEN   ?= 127.0.0.1:8080

LIB_SRC  := $(sort $(wildcard src/*/*.c))
MAIN_SRC := src/main.c
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))

# $(call objs,variant,sources)
objs = $(patsubst %.c,build/$(1)/%.o,$(2))

.PHONY: all deps run test unit integration fuzz bench clean asan
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
	$$(CC) $$(LDFLAGS_$(1)) -o $$@ $$^ $$(PKG_LIBS) $$(shell pkg-config --libs cmocka yaml-0.1)
endef
$(eval $(call VARIANT,release))
$(eval $(call VARIANT,asan))

UNIT_BINS_asan := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRC))

asan: build/asan/followd $(UNIT_BINS_asan)

run: deps
	@$(MAKE) --no-print-directory bin/followd
	./bin/followd demo --db $(DB) --quickstart
	./bin/followd serve --db $(DB) --listen $(LISTEN)

test: deps
	@$(MAKE) --no-print-directory asan
	@FOLLOWD_BIN=build/asan/followd ./scripts/run-tests.sh

fuzz: deps
	@./scripts/fuzz.sh

bench: deps
	@$(MAKE) --no-print-directory bin/followd
	@./bench/run.sh

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
