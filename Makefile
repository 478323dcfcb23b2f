# conclave: plain GNU Makefile (wireguard-tools shape).
# Sources are picked up by wildcard, one .c/.h pair per module; the two
# entry points are ui/main.c (appliance) and bridge/main.c (online side).

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
BUILD   ?= build
CC      ?= cc
PKG_CONFIG ?= pkg-config
VERSION := $(shell cat VERSION)

# The appliance must never link a network library: libcurl is only in
# BRIDGE_PKGS, and tests/regress/appliance_links.sh checks the binary.
CORE_PKGS   := libsodium gpgme libqrencode zbar jansson libpng
UI_PKGS     := ncursesw
BRIDGE_PKGS := libcurl

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -Wall -Wextra -Werror -MMD -MP -D_GNU_SOURCE -I.
CFLAGS  += -DCONCLAVE_VERSION='"$(VERSION)"'
HARDEN_CFLAGS  ?= -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
                  -fstack-clash-protection -fcf-protection
HARDEN_LDFLAGS ?= -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
CFLAGS  += $(HARDEN_CFLAGS)
LDFLAGS += $(HARDEN_LDFLAGS)

# Quiet by default; `make V=1` shows the commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @echo "  $(1) $@"
endif

pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1))
pkg_libs   = $(shell $(PKG_CONFIG) --libs $(1))

CORE_SRC   := $(sort $(wildcard crypto/*.c media/*.c ceremony/*.c))
UI_SRC     := $(sort $(filter-out ui/main.c,$(wildcard ui/*.c)))
BRIDGE_SRC := $(sort $(filter-out bridge/main.c,$(wildcard bridge/*.c)))
# Front-end code both programs share (commands that may print).
CLI_SRC    := $(sort $(wildcard cli/*.c))
obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

CORE_OBJ   := $(call obj,$(CORE_SRC))
UI_OBJ     := $(call obj,$(UI_SRC))
BRIDGE_OBJ := $(call obj,$(BRIDGE_SRC))
CLI_OBJ    := $(call obj,$(CLI_SRC))

CORE_LIBS   := $(call pkg_libs,$(CORE_PKGS))
UI_LIBS     := $(call pkg_libs,$(UI_PKGS))
BRIDGE_LIBS := $(call pkg_libs,$(BRIDGE_PKGS))
ALL_CFLAGS  := $(call pkg_cflags,$(CORE_PKGS) $(UI_PKGS) $(BRIDGE_PKGS))

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
UNIT_HELPERS := $(call obj,$(sort $(wildcard tests/unit/helper_*.c)))
# Test-only programs the shell tests drive (never installed).
TOOL_BIN := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(sort $(wildcard tests/tools/*.c)))

.SECONDARY:
.PHONY: rehearsal demo all check check-unit check-sanitize fuzz-smoke bench-qr install clean bootstrap
.PHONY: image image-test image-repro

all: $(BUILD)/conclave $(BUILD)/conclave-bridge

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC)
	$(Q)$(CC) $(CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/conclave: $(call obj,ui/main.c) $(UI_OBJ) $(CLI_OBJ) $(CORE_OBJ)
	$(call say,LD)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(UI_LIBS) $(CORE_LIBS)

$(BUILD)/conclave-bridge: $(call obj,bridge/main.c) $(BRIDGE_OBJ) $(CLI_OBJ) $(CORE_OBJ)
	$(call say,LD)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BRIDGE_LIBS) $(CORE_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(UNIT_HELPERS) $(UI_OBJ) $(BRIDGE_OBJ) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(call say,LD)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(UI_LIBS) $(BRIDGE_LIBS) $(CORE_LIBS) $(call pkg_libs,cmocka) -lm

$(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(call say,LD)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)

# A whole init ceremony against a local OpenBao, narrated (scripts/rehearse).
rehearsal:
	@scripts/rehearse

bootstrap:
	@scripts/bootstrap

# A rehearsal: local OpenBao, throwaway demo keys, appliance and bridge
# side by side in tmux; leaving tmux stops everything (scripts/demo).
demo: bootstrap all
	@scripts/demo

# Every suite; ends with one "N passed, N failed" line over all of them.
check: bootstrap all $(UNIT_BIN) $(TOOL_BIN)
	@BUILD=$(BUILD) tests/run all

check-unit: all $(UNIT_BIN) $(TOOL_BIN)
	@BUILD=$(BUILD) tests/run unit

# The unit suite again, built with ASan+UBSan in a build tree of its own.
# CFLAGS/LDFLAGS go in through the environment: on the command line they
# would override the += lines above (-I., -std=c11, -Werror ...).
check-sanitize: bootstrap
	@CFLAGS='-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all' \
	    LDFLAGS='-fsanitize=address,undefined' \
	    $(MAKE) --no-print-directory BUILD=build-san HARDEN_CFLAGS= check-unit

fuzz-smoke: bootstrap
	@$(MAKE) --no-print-directory -f tests/fuzz/Makefile smoke

# Figures for the optical airgap (docs/qr.md); prints, asserts nothing.
$(BUILD)/bench/bench_qr: $(call obj,tests/bench/bench_qr.c tests/unit/helper_camsim.c) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(call say,LD)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LIBS) -lm

bench-qr: $(BUILD)/bench/bench_qr
	@$(BUILD)/bench/bench_qr $(BENCH_ARGS)

# The bootable offline image (docs/image.md), as root: rebuilt when the
# image recipe or the appliance's sources change.
IMAGE_DEPS := $(filter-out image/boot_test.py image/repro.sh,$(wildcard image/* image/rootfs/*)) \
              $(wildcard crypto/* media/* ceremony/* ui/*) VERSION
image: $(BUILD)/image/SHA256SUMS

$(BUILD)/image/SHA256SUMS: $(IMAGE_DEPS)
	@scripts/bootstrap image
	IMAGE_OUT=$(BUILD)/image image/build.sh

image-test: image $(BUILD)/tests/tools/envelope_tool
	python3 image/boot_test.py -o $(BUILD)/image

# Builds twice, the second time offline from the first build's .debs.
image-repro:
	@scripts/bootstrap image
	IMAGE_OUT=$(BUILD)/image image/repro.sh $(BUILD)/image-offline

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BUILD)/conclave $(BUILD)/conclave-bridge $(DESTDIR)$(BINDIR)/
	install -m 0644 $(wildcard docs/man/*.1) $(DESTDIR)$(MANDIR)/man1/

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
