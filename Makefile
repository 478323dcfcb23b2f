# conclave: plain GNU Makefile (wireguard-tools shape).
# Sources are picked up by wildcard, one .c/.h pair per module, one folder a
# room (README "Layout"). The two programs are built from the floors below:
#   conclave         appliance/ ui/ ceremony/ paper/ media/ protocol/ crypto/
#   conclave-bridge  bridge/ client/ paper/ media/ protocol/ crypto/
# The bridge links the shared floors as archives, so it takes only the
# modules it calls: never the engine (ceremony/) nor gpgme; neither program
# uses libpng (media/png.c) (tests/regress/binaries.sh checks with nm).

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
BUILD   ?= build
CC      ?= cc
CXX     ?= g++
AR      ?= ar
PKG_CONFIG ?= pkg-config
VERSION := $(shell cat VERSION)

# The appliance must never link a network library: libcurl is only in
# BRIDGE_PKGS, and tests/regress/binaries.sh checks both binaries.
SHARED_PKGS    := libsodium libqrencode zbar zxing jansson zlib cairo pangocairo
APPLIANCE_PKGS := gpgme ncursesw
BRIDGE_PKGS    := libcurl

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -Wall -Wextra -Werror -MMD -MP -D_GNU_SOURCE -I.
CFLAGS  += -DCONCLAVE_VERSION='"$(VERSION)"'
# Each function in its own section, and the linker drops every one that
# nothing calls: a library function only the tests use (shamir_combine)
# is not in either program.
CFLAGS  += -ffunction-sections -fdata-sections
HARDEN_CFLAGS  ?= -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
                  -fstack-clash-protection -fcf-protection
HARDEN_LDFLAGS ?= -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
LDFLAGS += -Wl,--gc-sections
CFLAGS  += $(HARDEN_CFLAGS)
# make check-resume builds a second tree with crash points (media/file.h).
CFLAGS  += $(EXTRA_CFLAGS)
RESUME_BUILD ?= $(BUILD)-resume
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
obj = $(patsubst %.cpp,$(BUILD)/obj/%.o,$(patsubst %.c,$(BUILD)/obj/%.o,$(1)))
# media/qr_zxing.cpp is the one C++ file: a C-facing shim over zxing-cpp.
src = $(sort $(wildcard $(1)/*.c $(1)/*.cpp))

# Floors shared by both programs, bottom up.
CRYPTO_OBJ    := $(call obj,$(call src,crypto))
PROTOCOL_OBJ  := $(call obj,$(call src,protocol))
MEDIA_OBJ     := $(call obj,$(call src,media))
PAPER_OBJ     := $(call obj,$(call src,paper))
# The appliance's engine and front ends.
ENGINE_OBJ    := $(call obj,$(call src,ceremony))
UI_OBJ        := $(call obj,$(call src,ui))
APPLIANCE_OBJ := $(call obj,$(filter-out appliance/main.c,$(call src,appliance)))
# The bridge: its server client and its commands.
CLIENT_OBJ    := $(call obj,$(call src,client))
BRIDGE_OBJ    := $(call obj,$(filter-out bridge/main.c,$(call src,bridge)))

# Everything the appliance links, in link order.
CORE_OBJ := $(ENGINE_OBJ) $(PAPER_OBJ) $(MEDIA_OBJ) $(PROTOCOL_OBJ) $(CRYPTO_OBJ)
SHARED_A := $(BUILD)/lib/libpaper.a $(BUILD)/lib/libmedia.a $(BUILD)/lib/libprotocol.a \
            $(BUILD)/lib/libcrypto.a

SHARED_LIBS    := $(call pkg_libs,$(SHARED_PKGS)) -lstdc++
APPLIANCE_LIBS := $(call pkg_libs,$(APPLIANCE_PKGS)) $(SHARED_LIBS)
BRIDGE_LIBS    := $(call pkg_libs,$(BRIDGE_PKGS)) $(SHARED_LIBS)
ALL_CFLAGS     := $(call pkg_cflags,$(SHARED_PKGS) $(APPLIANCE_PKGS) $(BRIDGE_PKGS))

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
UNIT_HELPERS := $(call obj,$(sort $(wildcard tests/unit/helper_*.c)))
# Test-only programs the shell tests drive (never installed).
TOOL_BIN := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(sort $(wildcard tests/tools/*.c)))
# LD_PRELOAD libraries the sandbox tests inject (never installed).
PRELOAD_SO := $(patsubst tests/preload/%.c,$(BUILD)/tests/preload/%.so,$(sort $(wildcard tests/preload/*.c)))

.SECONDARY:
.PHONY: rehearsal demo all check check-unit check-resume resume-bin check-sanitize check-sanitize-integration test-bin check-oom check-residue compat-matrix fuzz-smoke bench-qr bench-stick bench-privsep bench-ceremony bench-qr-screen install clean bootstrap
.PHONY: check-card
.PHONY: check-servers check-vault
.PHONY: image image-test image-repro

all: $(BUILD)/conclave $(BUILD)/conclave-bridge

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC)
	$(Q)$(CC) $(CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The same flags for C++ in its dialect: -Wall -Wextra -Werror and the
# hardening flags included (and the sanitizers of check-sanitize).
$(BUILD)/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(call say,CXX)
	$(Q)$(CXX) $(filter-out -std=c11,$(CFLAGS)) -std=c++17 -DZX_USE_UTF8 $(ALL_CFLAGS) -c -o $@ $<

# The sandbox's trap mode names a refused system call: every __NR_* this
# libc knows, as { number, "name" } lines.
$(BUILD)/gen/syscall_names.h:
	@mkdir -p $(dir $@)
	$(call say,GEN)
	$(Q)echo '#include <sys/syscall.h>' | $(CC) -E -dM -x c - | \
	    sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' | sort -u | \
	    awk '{ printf "#ifdef __NR_%s\n\t{ __NR_%s, \"%s\" },\n#endif\n", $$1, $$1, $$1 }' > $@
$(BUILD)/obj/crypto/sandbox.o: $(BUILD)/gen/syscall_names.h
$(BUILD)/obj/crypto/sandbox.o: CFLAGS += -I$(BUILD)/gen

$(BUILD)/lib/libprotocol.a: $(PROTOCOL_OBJ)
$(BUILD)/lib/libpaper.a: $(PAPER_OBJ)
$(BUILD)/lib/libmedia.a: $(MEDIA_OBJ)
$(BUILD)/lib/libcrypto.a: $(CRYPTO_OBJ)
$(BUILD)/lib/%.a:
	@mkdir -p $(dir $@)
	$(call say,AR)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/conclave: $(call obj,appliance/main.c) $(APPLIANCE_OBJ) $(UI_OBJ) $(CORE_OBJ)
	$(call say,LD)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(APPLIANCE_LIBS)

$(BUILD)/conclave-bridge: $(call obj,bridge/main.c) $(BRIDGE_OBJ) $(CLIENT_OBJ) $(SHARED_A)
	$(call say,LD)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(SHARED_A) $(BRIDGE_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(UNIT_HELPERS) $(APPLIANCE_OBJ) $(UI_OBJ) $(BRIDGE_OBJ) $(CLIENT_OBJ) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(call say,LD)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(APPLIANCE_LIBS) $(BRIDGE_LIBS) $(call pkg_libs,cmocka) -ljpeg -lm

$(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(call say,LD)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(APPLIANCE_LIBS) $(TOOL_LIBS)

# Camera frames for the shell tests, from the unit tests' simulated camera.
$(BUILD)/tests/tools/qr_camshot: $(call obj,tests/unit/helper_camsim.c)
$(BUILD)/tests/tools/qr_camshot: TOOL_LIBS := -ljpeg -lm

$(BUILD)/tests/preload/%.so: tests/preload/%.c tests/preload/preload.h
	@mkdir -p $(dir $@)
	$(call say,CC)
	$(Q)$(CC) -shared -fPIC -O1 -Wall -Wextra -Werror -o $@ $< -ldl -lpthread

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
check: bootstrap test-bin resume-bin
	@BUILD=$(BUILD) RESUME_BUILD=$(RESUME_BUILD) tests/run all

# Resume from anything: every step of a ceremony killed at each durable
# write, restarted and finished (tests/resume/*.sh). Ends with one line:
#   resume: N kill points, N resumed, 0 lost, 0 duplicated
check-resume: resume-bin
	@BUILD=$(BUILD) RESUME_BUILD=$(RESUME_BUILD) tests/run resume

resume-bin:
	@$(MAKE) --no-print-directory BUILD=$(RESUME_BUILD) \
	    EXTRA_CFLAGS=-DCONCLAVE_CRASH_POINTS all

check-unit: test-bin
	@BUILD=$(BUILD) tests/run unit

# Smartcards through gpg's scdaemon: a virtual OpenPGP card in vsmartcard's
# vpcd reader under pcscd (docs/smartcards.md). Root: it runs in a network
# and mount namespace of its own. About a minute; CI runs it.
check-card: all $(TOOL_BIN)
	@scripts/bootstrap card
	@BUILD=$(BUILD) tests/run card

# The server matrix: the harness, client/vault's server half and every
# ceremony against each server of SERVERS (tests/openbao.sh): the pinned
# OpenBao, the newest OpenBao and HashiCorp Vault, which bootstrap builds
# from its Go module the first time (README: what that costs).
SERVERS ?= openbao openbao-next vault
check-servers: all $(UNIT_BIN) $(TOOL_BIN) $(PRELOAD_SO)
	@scripts/bootstrap $(if $(filter vault,$(SERVERS)),vault)
	@BUILD=$(BUILD) SERVERS='$(SERVERS)' tests/run servers

check-vault:
	@$(MAKE) --no-print-directory check-servers SERVERS=vault

# docs/compatibility.md written anew from measurements: the key-type
# matrix against each server of SERVERS (scripts/compat-matrix).
compat-matrix: all $(TOOL_BIN)
	@scripts/bootstrap $(if $(filter vault,$(SERVERS)),vault)
	@BUILD=$(BUILD) scripts/compat-matrix $(foreach s,$(SERVERS),SERVER=$(s))

# The unit suite again, built with ASan+UBSan in a build tree of its own.
# CFLAGS/LDFLAGS go in through the environment: on the command line they
# would override the += lines above (-I., -std=c11, -Werror ...).
SAN_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
SAN_LDFLAGS := -fsanitize=address,undefined
SAN_MAKE     = CFLAGS='$(SAN_CFLAGS)' LDFLAGS='$(SAN_LDFLAGS)' \
	    $(MAKE) --no-print-directory HARDEN_CFLAGS=
check-sanitize: bootstrap
	@$(SAN_MAKE) BUILD=build-san check-unit

# Everything the shell suites run: the programs, the unit binaries some of
# them drive (test_http, test_vault), the tools and the preload libraries.
test-bin: all $(UNIT_BIN) $(TOOL_BIN) $(PRELOAD_SO)

# The integration and UI suites (real OpenBao, gpg, tmux: every ceremony)
# on the binaries of check-sanitize. A report stops its process
# (halt_on_error; UBSan's -fno-sanitize-recover) and lands in
# build-san/san-logs (log_path), whichever process it came from (a program
# the test only expects to fail, a tool); any report there fails the run,
# whatever the tests said. The parser child cannot open that file (its
# list refuses openat): a report there ends it, which the monitor reports
# and the test fails on. LeakSanitizer checks the appliance and the
# bridge at exit under their filters (crypto/sandbox.h says what that
# takes and why the parser child is not checked).
# verify_asan_link_order=0: residue.sh preloads a library of its own.
# tests/lsan.supp: what fontconfig keeps (the paper's PDFs). The flags go
# to the tests too: scripts/rehearse runs make all in BUILD, which would
# otherwise rebuild a changed source into build-san without sanitizers.
SAN_LOGS := build-san/san-logs
check-sanitize-integration: bootstrap
	@$(SAN_MAKE) BUILD=build-san test-bin
	@rm -rf $(SAN_LOGS) && mkdir -p $(SAN_LOGS)
	@CFLAGS='$(SAN_CFLAGS)' LDFLAGS='$(SAN_LDFLAGS)' HARDEN_CFLAGS= \
	    ASAN_OPTIONS=log_path=$(CURDIR)/$(SAN_LOGS)/asan:halt_on_error=1:verify_asan_link_order=0 \
	    LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	    UBSAN_OPTIONS=log_path=$(CURDIR)/$(SAN_LOGS)/ubsan:halt_on_error=1:print_stacktrace=1 \
	    BUILD=build-san tests/run "integration ui"; rc=$$?; \
	    reports=$$(find $(SAN_LOGS) -type f -size +0 | sort); \
	    for f in $$reports; do echo "== $$f"; head -n 60 "$$f"; done; \
	    echo "sanitizer reports: $$(echo $$reports | wc -w)"; \
	    [ $$rc -eq 0 ] && [ -z "$$reports" ]

# Secrets left behind (tests/integration/residue.sh, also in `make check`):
# the appliance's and the bridge's memory and files after each step.
check-residue: all $(TOOL_BIN) $(PRELOAD_SO)
	@BUILD=$(BUILD) tests/run integration residue

# Allocation-failure injection (tests/oom/oom.c): scenarios rerun with the
# Nth allocation failing for every N, under ASan+UBSan, checking for
# crashes and leaks. The allocators are wrapped at link time.
OOM_WRAP := malloc calloc realloc reallocarray strdup strndup asprintf \
            sodium_malloc sodium_free
$(BUILD)/tests/oom/oom: $(call obj,tests/oom/oom.c) $(CLIENT_OBJ) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(call say,LD)
	$(Q)$(CC) $(LDFLAGS) $(foreach f,$(OOM_WRAP),-Wl,--wrap=$(f)) -o $@ $^ \
	    $(APPLIANCE_LIBS) $(BRIDGE_LIBS)

check-oom: bootstrap
	@$(SAN_MAKE) BUILD=build-oom build-oom/tests/oom/oom
	@build-oom/tests/oom/oom

fuzz-smoke: bootstrap
	@$(MAKE) --no-print-directory -f tests/fuzz/Makefile smoke

# Figures for the optical airgap (docs/qr.md); prints, asserts nothing.
$(BUILD)/bench/bench_qr: $(call obj,tests/bench/bench_qr.c tests/unit/helper_camsim.c) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(call say,LD)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(APPLIANCE_LIBS) -ljpeg -lm

bench-qr: $(BUILD)/bench/bench_qr
	@$(BUILD)/bench/bench_qr $(BENCH_ARGS)

# The stick check before the PIN, as it was (gpg) and as it is (packets).
$(BUILD)/bench/bench_stick: $(call obj,tests/bench/bench_stick.c) $(APPLIANCE_OBJ) $(UI_OBJ) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(call say,LD)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(APPLIANCE_LIBS)

bench-stick: $(BUILD)/bench/bench_stick
	@$(BUILD)/bench/bench_stick tests/vectors/keys $(BENCH_ARGS)

# What the parser child costs at start and per decoded image.
bench-privsep: all $(BUILD)/tests/tools/transcript_tool
	@BUILD=$(BUILD) tests/bench/privsep.sh

# Each ceremony's machine time through conclave beside the server CLI and
# gpg doing the same server operations (issue 10; prints, asserts nothing).
bench-qr-screen: all
	@BUILD=$(BUILD) tests/bench/qr_screen.sh

bench-ceremony: all
	@BUILD=$(BUILD) tests/bench/ceremony.sh

# The bootable offline image (docs/image.md), as root: rebuilt when the
# image recipe or the appliance's sources change.
IMAGE_DEPS := $(filter-out image/boot_test.py image/ceremony_test.py image/repro.sh,$(wildcard image/* image/rootfs/*)) \
              $(wildcard crypto/* protocol/* media/* paper/* ceremony/* ui/* appliance/*) VERSION
image: $(BUILD)/image/SHA256SUMS

$(BUILD)/image/SHA256SUMS: $(IMAGE_DEPS)
	@scripts/bootstrap image
	IMAGE_OUT=$(BUILD)/image image/build.sh

# Debian's own Python: the image tests read the screen with python3-pyte,
# which scripts/bootstrap image installs for it (another python3 earlier on
# PATH would not have it).
IMAGE_PYTHON ?= /usr/bin/python3
image-test: image $(BUILD)/tests/tools/envelope_tool $(BUILD)/conclave $(BUILD)/conclave-bridge
	@scripts/bootstrap image
	$(IMAGE_PYTHON) image/boot_test.py -o $(BUILD)/image
	$(IMAGE_PYTHON) -B image/ceremony_test.py -o $(BUILD)/image
	$(IMAGE_PYTHON) -B image/fb_test.py -o $(BUILD)/image

# Builds twice, the second time offline from the first build's .debs and
# from a copy of the checkout in another folder (REPRO_DIR, default under /tmp).
image-repro:
	@scripts/bootstrap image
	IMAGE_OUT=$(BUILD)/image image/repro.sh $(REPRO_DIR)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BUILD)/conclave $(BUILD)/conclave-bridge $(DESTDIR)$(BINDIR)/
	install -m 0644 $(wildcard docs/man/*.1) $(DESTDIR)$(MANDIR)/man1/

clean:
	rm -rf build build-san build-fuzz build-oom build-resume

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
