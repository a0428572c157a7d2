# runvm: one plain GNU Makefile.
#
#   make            deps check, the three binaries, both initramfs images, the guest kernel
#   make check      the above, unit tests, unit tests under ASan+UBSan, bats in the test host
#   make unit       unit tests only (no deps check, no kernel)
#   make kernel     build/vmlinux (cached: rebuilt only when kernel/ or linux-source changes)
#   make install    PREFIX=/usr/local
#   make format     clang-format over the tree
#
# Variables: WERROR=0 relaxes -Werror; SAN=1 builds with ASan+UBSan; BUILD=dir moves outputs.

BUILD   ?= build
WERROR  ?= 1
SAN     ?= 0
PREFIX  ?= /usr/local
CC      ?= gcc
VERSION := 0.1.0
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

CFLAGS_WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
               -Wmissing-prototypes -Wvla -Wno-unused-parameter
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(CFLAGS_WARN) -fno-strict-aliasing -D_GNU_SOURCE -I. \
          -DRUNVM_VERSION='"$(VERSION)"' -DRUNVM_COMMIT='"$(COMMIT)"' -MMD -MP
ifeq ($(WERROR),1)
CFLAGS += -Werror
endif
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
CFLAGS   += $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)
endif

OBJ := $(BUILD)/obj

# Sources are found by wildcard so that adding a file never needs a Makefile edit.
COMMON_SRCS  := $(wildcard common/*.c)
OCI_SRCS     := $(wildcard oci/*.c)
RUNTIME_SRCS := $(filter-out runtime/main.c,$(wildcard runtime/*.c))
VMM_SRCS     := $(filter-out vmm/main.c,$(wildcard vmm/*.c vmm/*/*.c))
INIT_SRCS    := $(filter-out guest-init/main.c,$(wildcard guest-init/*.c))

objs = $(patsubst %.c,$(OBJ)/%.o,$(1))

LIBCOMMON  := $(BUILD)/libcommon.a
LIBOCI     := $(BUILD)/liboci.a
LIBRUNTIME := $(BUILD)/libruntime.a
LIBVMM     := $(BUILD)/libvmm.a
LIBINIT    := $(BUILD)/libinit.a
LIBS_ALL   := $(LIBRUNTIME) $(LIBOCI) $(LIBVMM) $(LIBINIT) $(LIBCOMMON)
LDLIBS_ALL := -lyajl -lseccomp -lcap -lpthread

BINS := $(BUILD)/runvm $(BUILD)/runvm-vmm $(BUILD)/runvm-init

# Unit tests: tests/unit/test_<module>.c, one executable each, linked against the
# module libraries (the archive pulls in only what a test uses).
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
# Small C programs used by bats suites and the test host (tests/tools/*.c, one file each).
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(TOOL_SRCS))
# Guest-side test helpers: static, packed into the test initramfs.
GTOOL_SRCS := $(wildcard tests/guest/*.c)
GTOOL_BINS := $(patsubst tests/guest/%.c,$(BUILD)/guest/%,$(GTOOL_SRCS))

.PHONY: all deps bins kernel initramfs unit unit-asan bats check install format clean demo fuzz
.DEFAULT_GOAL := all

all: deps
	@$(MAKE) --no-print-directory bins initramfs
	@$(MAKE) --no-print-directory kernel

deps:
	@scripts/deps

bins: $(BINS) $(TOOL_BINS) $(GTOOL_BINS) $(BUILD)/tests/agent-client

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(call objs,$(COMMON_SRCS))
$(LIBOCI): $(call objs,$(OCI_SRCS))
$(LIBRUNTIME): $(call objs,$(RUNTIME_SRCS))
$(LIBVMM): $(call objs,$(VMM_SRCS))
$(LIBINIT): $(call objs,$(INIT_SRCS))
$(LIBS_ALL):
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^ $(if $^,,$(OBJ)/empty.o)

$(OBJ)/empty.o:
	@mkdir -p $(dir $@)
	echo 'typedef int runvm_empty_unit;' | $(CC) $(CFLAGS) -x c -c -o $@ -

$(LIBS_ALL): | $(OBJ)/empty.o

$(BUILD)/runvm: $(OBJ)/runtime/main.o $(LIBRUNTIME) $(LIBOCI) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ -lyajl -lcap -lpthread

$(BUILD)/runvm-vmm: $(OBJ)/vmm/main.o $(LIBVMM) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -lcap -lpthread

# PID 1 of the guest: static, so the initramfs needs nothing else. Sanitizers do not
# apply to a static binary, so it is always built from its own objects without them.
INIT_OBJ := $(BUILD)/init-obj
INIT_CFLAGS := $(filter-out $(SANFLAGS),$(CFLAGS)) -Os
$(INIT_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(INIT_CFLAGS) -c -o $@ $<
$(BUILD)/runvm-init: $(patsubst %.c,$(INIT_OBJ)/%.o,guest-init/main.c $(INIT_SRCS) $(COMMON_SRCS))
	$(CC) -static -Os -s -o $@ $^ -lseccomp -lcap

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h tests/unit/sh.h $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_ALL) $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/tools/%.c $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBCOMMON) -lpthread

# Static: bench/net.sh also runs it inside a busybox container.
$(BUILD)/tests/tcp-bench: tests/tools/tcp-bench.c
	@mkdir -p $(dir $@)
	$(CC) $(INIT_CFLAGS) -static -s -o $@ $<

# The agent test client (several sources: the bare-machine and in-VM agent suites).
AGENT_CLIENT_SRCS := $(wildcard tests/agent/*.c)
$(BUILD)/tests/agent-client: $(AGENT_CLIENT_SRCS) $(wildcard tests/agent/*.h) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(LDFLAGS) -o $@ $(AGENT_CLIENT_SRCS) $(LIBCOMMON) -lpthread

$(BUILD)/guest/%: tests/guest/%.c
	@mkdir -p $(dir $@)
	$(CC) $(INIT_CFLAGS) -static -s -o $@ $<

# Guest initramfs: runvm-init as /init and nothing else.
initramfs: $(BUILD)/initramfs.cpio $(BUILD)/test-initramfs.cpio
$(BUILD)/initramfs.cpio: $(BUILD)/runvm-init scripts/mkinitramfs
	scripts/mkinitramfs $@ $(BUILD)/runvm-init
# Test initramfs for the VMM suites: busybox, a shell /init and the guest test helpers.
$(BUILD)/test-initramfs.cpio: $(GTOOL_BINS) tests/guest/init.sh scripts/mkinitramfs
	scripts/mkinitramfs --busybox --init tests/guest/init.sh $@ $(GTOOL_BINS)

kernel:
	@scripts/build-kernel $(BUILD)

unit: $(UNIT_BINS)
	@scripts/run-unit $(UNIT_BINS)

unit-asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 unit

bats:
	@scripts/rust-virtiofsd $(BUILD)
	@tests/testhost/run-suites

# libFuzzer over the agent protocol decoders (clang); FUZZ_SECONDS per run.
FUZZ_SECONDS ?= 60
fuzz:
	@tests/fuzz/run $(FUZZ_SECONDS)

check: all
	@scripts/check $(BUILD)

demo: all
	@scripts/demo

install: bins initramfs
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/runvm
	install -m 755 $(BUILD)/runvm $(BUILD)/runvm-vmm $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/initramfs.cpio $(DESTDIR)$(PREFIX)/lib/runvm/
	if [ -f $(BUILD)/vmlinux ]; then install -m 644 $(BUILD)/vmlinux $(DESTDIR)$(PREFIX)/lib/runvm/; fi

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)/obj $(BUILD)/init-obj $(BUILD)/tests $(BUILD)/guest $(BUILD)/asan \
	       $(BUILD)/*.a $(BINS) $(BUILD)/*.cpio

-include $(shell find $(BUILD)/obj $(BUILD)/init-obj -name '*.d' 2>/dev/null)
