# khugetrace build.
#   make            build .output/bin/{khugetrace,khugetrace-workload}
#   make STATIC=1   the same, statically linked, in .output-static/ (goes into test VMs)
#   make test       every test layer (unit, live on this host, qemu kernel matrix)
#   make demo       set up, build, trace the bundled workload
#   make bench      benchmarks on this host (bench/run.sh)
#   make bench-vm   the same in a qemu Debian 6.12 guest, fentry mode (bench/run-vm.sh)
#   make install    binaries, man pages, bash completion into $(DESTDIR)$(PREFIX)
#                   (PREFIX=/usr/local); make uninstall removes them
#   make man        the man pages (help2man, from each command's --help) in $(OUTPUT)/man
#   make deb        .output/khugetrace_VERSION_amd64.deb of the static binaries
#   V=1             show the commands
OUTPUT ?= $(if $(STATIC),.output-static,.output)
BIN := $(OUTPUT)/bin
CLANG ?= clang
CC ?= cc
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config
ARCH := x86

# khugetrace --version: git describe in a checkout, else this
VERSION_FALLBACK := 0.1.0
VERSION := $(shell test -e .git && git describe --always --dirty 2>/dev/null || echo $(VERSION_FALLBACK))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

LIBBPF_CFLAGS := $(shell $(PKG_CONFIG) --cflags libbpf 2>/dev/null)
ifeq ($(STATIC),1)
LIBS := $(shell $(PKG_CONFIG) --static --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)
LDFLAGS += -static
else
LIBS := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz
endif

CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror -std=gnu11 \
	-Iinclude -Itools -I$(OUTPUT) $(LIBBPF_CFLAGS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Ivmlinux -Iinclude -Ibpf $(LIBBPF_CFLAGS)

# BPF programs: bpf/NAME.bpf.c -> $(OUTPUT)/NAME.skel.h
BPF_APPS := collapse uffd seek modify
# The analysis/formatting library: plain C, no BPF, unit-tested without a kernel.
LIB_SRCS := tools/lib/btf_enum.c tools/lib/event_fmt.c tools/lib/json.c \
	tools/lib/options.c tools/lib/procmaps.c tools/lib/timeline.c \
	tools/lib/timeline_render.c tools/lib/outfile.c \
	tools/lib/collapse_view.c tools/lib/races.c tools/lib/races_stream.c \
	tools/lib/timeline_stream.c tools/lib/story_writer.c \
	tools/lib/events/registry.c tools/lib/events/ev_collapse.c \
	tools/lib/events/ev_uffd.c tools/lib/events/ev_seek.c tools/lib/events/ev_mincore.c \
	tools/lib/events/ev_lock_window.c tools/lib/events/ev_reader.c tools/lib/events/ev_modify.c
LIB_SRCS += tools/lib/perfetto_pb.c tools/lib/timeline_perfetto.c
# the recording format (docs/file-format.md)
LIB_SRCS += tools/lib/tracefile_codec.c tools/lib/tracefile_meta.c tools/lib/tracefile_write.c \
	tools/lib/tracefile_read.c
# The front-end: one binary, perf-style subcommands.
APP_SRCS := tools/khugetrace.c tools/cmd_probe.c tools/cmd_collapse.c \
	tools/capability.c tools/callsites.c tools/trace_helpers.c tools/feature.c tools/session.c \
	tools/feat_collapse.c tools/feat_uffd.c tools/feat_seek.c tools/feat_modify.c \
	tools/capture.c tools/cmd_timeline.c tools/cmd_races.c \
	tools/cmd_record.c tools/cmd_report.c tools/cmd_check_kernel.c
# khugetrace-workload, the scenario generator (docs/workload.md): plain C, no BPF.
WORKLOAD_SRCS := $(addprefix tools/workload/,main.c runtime.c testfile.c rng.c \
	collapse.c uffd.c seek_mincore.c timeline.c random.c vmhost.c sparse_copy.c \
	file_collapse.c)
# A private tmpfs and PMD-aligned mappings: the workload, check-kernel and bench/.
COMMON_SRCS := tools/common/tmpfs_pmd.c
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

LIB_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(LIB_SRCS))
APP_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(APP_SRCS))
WORKLOAD_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(WORKLOAD_SRCS))
COMMON_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(COMMON_SRCS))
SKELS := $(patsubst %,$(OUTPUT)/%.skel.h,$(BPF_APPS))

.SECONDARY:
.PHONY: FORCE all clean test test-unit test-live test-vm demo bench bench-vm deps vmlinux fuzz
all: $(BIN)/khugetrace $(BIN)/khugetrace-workload $(BIN)/unit-tests

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c bpf/*.h include/*.h vmlinux/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# Header dependencies come from the compiler (-MMD -MP, the .d files below);
# the skeletons are generated headers, so they must exist first (order-only).
DEPFLAGS := -MMD -MP
$(OUTPUT)/tools/%.o: tools/%.c | $(SKELS) $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

# The workload generator and the tmpfs helper are plain C: they do not wait
# for the BPF skeletons (a static pattern rule wins over the one above).
$(WORKLOAD_OBJS) $(COMMON_OBJS): $(OUTPUT)/%.o: %.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

# Rewritten only when the version changes, so that only then the two mains recompile.
$(OUTPUT)/version: FORCE | $(OUTPUT)
	$(Q)echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' >$@

$(OUTPUT)/tools/khugetrace.o $(OUTPUT)/tools/workload/main.o: $(OUTPUT)/version
$(OUTPUT)/tools/khugetrace.o $(OUTPUT)/tools/workload/main.o: CFLAGS += -DKHT_VERSION='"$(VERSION)"'

$(OUTPUT)/tests/%.o: tests/%.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

-include $(patsubst %.o,%.d,$(LIB_OBJS) $(APP_OBJS) $(WORKLOAD_OBJS) $(COMMON_OBJS) \
	$(patsubst %.c,$(OUTPUT)/%.o,$(UNIT_SRCS)))
# a changed Makefile (flags, this dependency scheme) rebuilds every object:
# objects made without -MMD have no .d file to say which headers they need
$(LIB_OBJS) $(APP_OBJS) $(WORKLOAD_OBJS) $(COMMON_OBJS) $(patsubst %.c,$(OUTPUT)/%.o,$(UNIT_SRCS)): Makefile
# a recipe that fails leaves no half-written target behind
.DELETE_ON_ERROR:

# made afresh: 'ar r' into the old archive would keep the members of removed sources
$(OUTPUT)/libkhugetrace.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BIN)/khugetrace: $(APP_OBJS) $(COMMON_OBJS) $(OUTPUT)/libkhugetrace.a | $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

$(BIN)/khugetrace-workload: $(WORKLOAD_OBJS) $(COMMON_OBJS) | $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -lpthread -o $@

# tools/callsites.o: plain C (no libbpf), its scanner is unit-tested
$(BIN)/unit-tests: $(patsubst %.c,$(OUTPUT)/%.o,$(UNIT_SRCS)) $(OUTPUT)/tools/callsites.o \
		   $(OUTPUT)/libkhugetrace.a | $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

$(OUTPUT) $(BIN):
	$(Q)mkdir -p $@

# Man pages: generated from each command's --help (one source, no drift) by
# help2man, plus docs/man/*.h2m (NAME, SEE ALSO, examples). A subcommand's NAME
# line is its line in 'khugetrace --help'. Dated by the last commit.
HELP2MAN ?= help2man
SUBCOMMANDS := probe collapse timeline races check-kernel record report
MANPAGES := $(OUTPUT)/man/khugetrace.1 $(patsubst %,$(OUTPUT)/man/khugetrace-%.1,$(SUBCOMMANDS)) \
	$(OUTPUT)/man/khugetrace-workload.1
MAN_INCLUDES := $(wildcard docs/man/*.h2m)
SOURCE_DATE_EPOCH ?= $(shell test -e .git && git log -1 --format=%ct 2>/dev/null)
H2M = $(if $(SOURCE_DATE_EPOCH),SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) )$(HELP2MAN) --no-info \
	--section=1 --source='khugetrace $(VERSION)' --include=docs/man/common.h2m
.PHONY: man
man: $(MANPAGES)

$(OUTPUT)/man:
	$(Q)mkdir -p $@

$(OUTPUT)/man/.help2man: | $(OUTPUT)/man
	$(Q)command -v $(HELP2MAN) >/dev/null || { echo "make: $(HELP2MAN) not found: apt-get install" \
		"help2man (tests/install-deps.sh installs it)" >&2; exit 1; }
	$(Q)touch $@

$(OUTPUT)/man/khugetrace.1: $(BIN)/khugetrace $(MAN_INCLUDES) | $(OUTPUT)/man/.help2man
	$(call msg,MAN,$@)
	$(Q)$(H2M) --include=docs/man/khugetrace.h2m -o $@.tmp $< && mv $@.tmp $@

$(OUTPUT)/man/khugetrace-workload.1: $(BIN)/khugetrace-workload $(MAN_INCLUDES) | $(OUTPUT)/man/.help2man
	$(call msg,MAN,$@)
	$(Q)$(H2M) --include=docs/man/khugetrace-workload.h2m -o $@.tmp $< && mv $@.tmp $@

# help2man runs one program: khugetrace-CMD, a script running 'khugetrace CMD'.
# (Its --version prints "khugetrace VERSION", the same VERSION as given here.)
$(OUTPUT)/man/khugetrace-%.1: $(BIN)/khugetrace $(MAN_INCLUDES) | $(OUTPUT)/man/.help2man
	$(call msg,MAN,$@)
	$(Q)printf '#!/bin/sh\nexec "%s" %s "$$@"\n' "$(abspath $<)" "$*" >$(@:.1=)
	$(Q)chmod +x $(@:.1=)
	$(Q)name=$$($< --help | awk '$$1 == "$*" { $$1 = ""; sub(/^ +/, ""); print }'); \
	test -n "$$name" || { echo "make: no '$*' in 'khugetrace --help'" >&2; exit 1; }; \
	$(H2M) --version-string='$(VERSION)' --name="$$name" \
		--opt-include=docs/man/khugetrace-$*.h2m -o $@.tmp $(@:.1=) && mv $@.tmp $@

# make install [PREFIX=/usr/local] [DESTDIR=]; STATIC=1 installs the static binaries
PREFIX ?= /usr/local
BINDIR := $(PREFIX)/bin
MAN1DIR := $(PREFIX)/share/man/man1
COMPLETIONDIR := $(PREFIX)/share/bash-completion/completions
INSTALL ?= install
.PHONY: install uninstall
install: $(BIN)/khugetrace $(BIN)/khugetrace-workload $(MANPAGES)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(COMPLETIONDIR)
	$(Q)$(INSTALL) -m 0755 $(BIN)/khugetrace $(BIN)/khugetrace-workload $(DESTDIR)$(BINDIR)/
	$(Q)$(INSTALL) -m 0644 $(MANPAGES) $(DESTDIR)$(MAN1DIR)/
	$(Q)$(INSTALL) -m 0644 tools/completion/khugetrace.bash $(DESTDIR)$(COMPLETIONDIR)/khugetrace
	$(Q)ln -sf khugetrace $(DESTDIR)$(COMPLETIONDIR)/khugetrace-workload

uninstall:
	$(call msg,UNINST,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(BINDIR)/khugetrace $(DESTDIR)$(BINDIR)/khugetrace-workload \
		$(patsubst $(OUTPUT)/man/%,$(DESTDIR)$(MAN1DIR)/%,$(MANPAGES)) \
		$(DESTDIR)$(COMPLETIONDIR)/khugetrace $(DESTDIR)$(COMPLETIONDIR)/khugetrace-workload

# make deb: the static binaries, man pages and completion as a Debian package,
# built with dpkg-deb from a 'make install STATIC=1 PREFIX=/usr' staging tree.
# The Debian version is VERSION made valid: a git hash alone gets the fallback
# version in front (a5f721a-dirty -> 0.1.0+ga5f721a+dirty).
DEB_OUTDIR ?= .output
DEB_ARCH ?= amd64
DEB_MAINTAINER ?= $(or $(shell test -e .git && git log -1 --format='%an <%ae>' 2>/dev/null),khugetrace maintainers <root@localhost>)
DEB_VERSION := $(shell echo '$(VERSION)' | sed -E -e 's/^v([0-9])/\1/' \
	-e '/^[0-9a-f]{7,}(-dirty)?$$/s/^/$(VERSION_FALLBACK)+g/' -e '/^[0-9]/!s/^/$(VERSION_FALLBACK)+/' \
	-e 's/[^A-Za-z0-9.+~-]/./g' -e 's/-/+/' -e 's/-/./g')
DEB_ROOT := $(DEB_OUTDIR)/deb-root
DEB := $(DEB_OUTDIR)/khugetrace_$(DEB_VERSION)_$(DEB_ARCH).deb
.PHONY: deb
deb:
	$(Q)command -v dpkg-deb >/dev/null || { echo "make: dpkg-deb not found" >&2; exit 1; }
	$(Q)rm -rf $(DEB_ROOT) && mkdir -p $(DEB_ROOT)/DEBIAN
	$(Q)$(MAKE) --no-print-directory STATIC=1 VERSION='$(VERSION)' install \
		DESTDIR=$(abspath $(DEB_ROOT)) PREFIX=/usr
	$(Q)gzip -9n $(DEB_ROOT)/usr/share/man/man1/*.1
	$(call msg,DEB,$(DEB))
	$(Q){ echo "Package: khugetrace"; \
	  echo "Version: $(DEB_VERSION)"; \
	  echo "Architecture: $(DEB_ARCH)"; \
	  echo "Maintainer: $(DEB_MAINTAINER)"; \
	  echo "Installed-Size: $$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)"; \
	  echo "Section: admin"; \
	  echo "Priority: optional"; \
	  echo "Description: eBPF observability for THP collapse of shmem/file page cache"; \
	  echo " khugetrace traces what collapse_file() (khugepaged and MADV_COLLAPSE) did,"; \
	  echo " to which inode and range, with what result, and what userfaultfd"; \
	  echo " registrations, SEEK_DATA/SEEK_HOLE and mincore() saw around it; it"; \
	  echo " records into a file and reports on it, and detects known races."; \
	  echo " The binaries are statically linked; tracing needs root and BPF."; \
	} >$(DEB_ROOT)/DEBIAN/control
	$(Q)dpkg-deb --root-owner-group -Zxz --build $(DEB_ROOT) $(DEB).tmp >/dev/null && mv $(DEB).tmp $(DEB)

# The committed vmlinux.h is what builds use; this regenerates it from a BTF file.
vmlinux:
	vmlinux/gen-vmlinux.sh

deps:
	tests/install-deps.sh

test: deps all
	tests/run-all.sh

test-unit: all
	tests/run-all.sh unit

test-live: all
	tests/run-all.sh live

test-vm: all
	tests/run-all.sh vm

demo: deps all
	tests/demo.sh

bench: deps all
	bench/run.sh

# builds its own static binaries (make STATIC=1) and boots the cached kernel
bench-vm: deps
	bench/run-vm.sh $(BENCH_VM_KERNEL)

# libFuzzer + ASan/UBSan on the recording reader (clang only, no libbpf)
FUZZ_SECONDS ?= 600
fuzz:
	tests/fuzz/run-fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf .output .output-static
