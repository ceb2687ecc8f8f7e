# rcr — plain make + pkg-config.  `make help` lists the targets.

CC        ?= cc
PREFIX    ?= /usr/local
DESTDIR   ?=
BUILDDIR  ?= build
BINDIR    ?= bin
VERSION   := 0.1.0

# The main binary links only what `rcr run` needs; libcurl and libarchive live in the
# pull plugin (storage/plugin.c loads it on first use).
PKGS         := json-c libseccomp
PLUGIN_PKGS  := libcurl libarchive libcrypto
EXTRA_PKGS   := slirp libsystemd
HELPER_PKGS  := json-c libnftables libmnl

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes
CFLAGS  ?= -O2 -g
SANFLAGS ?=
ALL_CFLAGS  = -std=gnu17 $(WARN) $(CFLAGS) $(SANFLAGS) -DRCR_VERSION='"$(VERSION)"' -DRCR_SLIRP_VERSION='"$(SLIRP_VERSION)"' -I. -MMD -MP -fPIC
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

# Targets that need no libraries: check and demo install them before building.
NODEP_GOALS := clean help deps format man check demo check-vm
ifneq ($(if $(MAKECMDGOALS),$(filter-out $(NODEP_GOALS),$(MAKECMDGOALS)),all),)
  MISSING := $(shell for p in $(PKGS) $(PLUGIN_PKGS) $(EXTRA_PKGS) $(HELPER_PKGS); do pkg-config --exists $$p || echo $$p; done)
  ifneq ($(strip $(MISSING)),)
    $(error missing build dependencies (pkg-config): $(MISSING); install them with: sudo make deps)
  endif
  PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) $(PLUGIN_PKGS))
  PKG_LIBS    := $(shell pkg-config --libs $(PKGS))
  PLUGIN_LIBS := $(shell pkg-config --libs $(PLUGIN_PKGS))
  SLIRP_VERSION := $(shell pkg-config --modversion slirp)
  HELPER_CFLAGS := $(shell pkg-config --cflags $(HELPER_PKGS))
  HELPER_LIBS   := $(shell pkg-config --libs $(HELPER_PKGS))
endif

COMMON_SRC  := $(wildcard common/*.c)
USERNS_SRC  := $(wildcard userns/*.c)
STORAGE_SRC := $(wildcard storage/*.c)
RUNTIME_SRC := $(wildcard runtime/*.c)
CMD_SRC     := $(wildcard cmd/*.c)
HELPER_SRC  := $(wildcard netns-helper/*.c)

PLUGIN_SRC  := storage/registry.c storage/pull.c storage/layer.c
STUB_SRC    := storage/plugin.c

obj = $(patsubst %.c,$(BUILDDIR)/%.o,$(1))
# everything: the unit tests link the real code, no plugin
LIB_OBJ    := $(call obj,$(COMMON_SRC) $(USERNS_SRC) $(filter-out $(STUB_SRC),$(STORAGE_SRC)) $(RUNTIME_SRC))
CORE_OBJ   := $(call obj,$(COMMON_SRC) $(USERNS_SRC) $(filter-out $(PLUGIN_SRC),$(STORAGE_SRC)) $(RUNTIME_SRC))
PLUGIN_OBJ := $(call obj,$(PLUGIN_SRC))
CMD_OBJ    := $(call obj,$(CMD_SRC))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
HELPER_OBJ := $(call obj,$(HELPER_SRC))

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(BUILDDIR)/tests/%,$(UNIT_SRC))

.PHONY: all asan unit check check-unit check-vm demo deps install clean format man help

all: $(BINDIR)/rcr $(BINDIR)/rcr-pull.so $(BINDIR)/rcr-netns-helper

$(BUILDDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILDDIR)/netns-helper/%.o: netns-helper/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(HELPER_CFLAGS) -c $< -o $@

# -rdynamic: the plugin calls back into rcr's own functions
$(BINDIR)/rcr: $(CMD_OBJ) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -rdynamic -o $@ $^ $(PKG_LIBS)

# -Bsymbolic: the plugin's calls to its own functions never go to rcr's stubs
$(BINDIR)/rcr-pull.so: $(PLUGIN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -shared -Wl,-Bsymbolic -o $@ $^ $(PLUGIN_LIBS)

# The helper links common/ only (DESIGN.md): it never sees storage or runtime code.
$(BINDIR)/rcr-netns-helper: $(HELPER_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(HELPER_LIBS)

$(BUILDDIR)/tests/%: tests/unit/%.c tests/unit/tap.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(LIB_OBJ) $(PKG_LIBS) $(PLUGIN_LIBS)

unit: $(UNIT_BIN)

# C unit tests (TAP); exit 77 from a test binary means skip.
check-unit: unit
	@tests/harness/run-unit.sh $(UNIT_BIN)

# ASan + UBSan build in bin/asan; the suite runs against it with RCR_BIN=bin/asan/rcr.
asan:
	$(MAKE) BUILDDIR=build/asan BINDIR=bin/asan SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer" CFLAGS="-O1 -g" all unit

# The whole rootless tier, as root on a fresh Debian 12: deps, build, unit tests,
# test user + registry + fixtures, bats as the unprivileged user.
check:
	tests/harness/check.sh

check-vm: all
	tests/vm/run.sh

demo:
	tests/harness/demo.sh

deps:
	tests/harness/install-deps.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BINDIR)/rcr $(DESTDIR)$(PREFIX)/bin/rcr
	install -m 0755 $(BINDIR)/rcr-netns-helper $(DESTDIR)$(PREFIX)/bin/rcr-netns-helper
	install -d $(DESTDIR)$(PREFIX)/lib/rcr
	install -m 0644 $(BINDIR)/rcr-pull.so $(DESTDIR)$(PREFIX)/lib/rcr/rcr-pull.so
	@if ls docs/man/*.1 >/dev/null 2>&1; then \
	  install -d $(DESTDIR)$(PREFIX)/share/man/man1 && \
	  install -m 0644 docs/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/; fi

MAN_MD := $(wildcard docs/rcr*.1.md)
MAN    := $(patsubst docs/%.1.md,docs/man/%.1,$(MAN_MD))
man: $(MAN)
docs/man/%.1: docs/%.1.md
	@mkdir -p docs/man
	go-md2man -in $< -out $@

format:
	clang-format -i $(wildcard */*.c */*.h tests/unit/*.c tests/unit/*.h)

clean:
	rm -rf build bin docs/man

help:
	@echo "make            build bin/rcr and bin/rcr-netns-helper"
	@echo "make asan       ASan+UBSan build in bin/asan"
	@echo "make check      (root) deps, build, unit tests, rootless bats suite as a test user"
	@echo "make check-unit build and run the C unit tests"
	@echo "make check-vm   cgroup v2 tier in a qemu guest"
	@echo "make demo       build and run the main job as an unprivileged user"
	@echo "make deps       (root) install missing Debian packages"
	@echo "make install PREFIX=...   make man   make format   make clean"

-include $(shell find $(BUILDDIR) -name '*.d' 2>/dev/null)
