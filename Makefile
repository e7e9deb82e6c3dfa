# mkbase: build, test and demo.  Build products go under out/ (git-ignored).
#   make            build out/mkbase
#   make check      install missing test dependencies, run every test
#   make demo       build the sample repo, the demo image, and boot it
#   make asan       build with ASan+UBSan into out/asan/; `make asan check`
#                   runs the whole suite against that build
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/mkbase
DATADIR ?= $(PREFIX)/share/mkbase
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

# The install's directories relative to one another, so that an installed
# mkbase finds its other half and its profiles wherever the tree was put
# (DESTDIR, a moved prefix), not only at the PREFIX it was built for.
relpath = $(shell realpath -m --relative-to=$(1) $(2))
BIN_TO_LIBEXEC := $(call relpath,$(BINDIR),$(LIBEXECDIR))
LIBEXEC_TO_BIN := $(call relpath,$(LIBEXECDIR),$(BINDIR))
LIBEXEC_TO_DATA := $(call relpath,$(LIBEXECDIR),$(DATADIR))

BASE_PKGS := libsolv libsolvext rpm libarchive libseccomp libcap libcurl sqlite3 libcrypto
# ISA-L's inflate for gzip payloads (src/inflate.c), when the machine has
# it (Debian's libisal-dev, on amd64 and arm64); without it librpm's zlib
# reads them.  `make ISAL=0` builds without it.  The check is made when
# the first compile needs it, not when the Makefile is read: on a fresh
# machine the `deps` step installs libisal-dev in this same make run.
ifeq ($(origin ISAL),undefined)
ISAL = $(eval ISAL := $(shell pkg-config --exists libisal 2>/dev/null && echo 1 || echo 0))$(ISAL)
endif
PKGS = $(BASE_PKGS) $(if $(filter 1,$(ISAL)),libisal)
ISAL_CFLAGS = $(if $(filter 1,$(ISAL)),-DMK_HAVE_ISAL)
CC ?= cc

ifneq ($(filter asan,$(MAKECMDGOALS)),)
BUILD := asan
endif
BUILD ?= release

ifeq ($(BUILD),asan)
OUT := out/asan
MODE_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -D_FORTIFY_SOURCE=2
MODE_LDFLAGS := -fsanitize=address,undefined
else
OUT := out
MODE_CFLAGS := -O2 -g -D_FORTIFY_SOURCE=2
MODE_LDFLAGS :=
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
        -Wstrict-prototypes -Wmissing-declarations -Wswitch-default \
        -Wno-unused-parameter -Wpointer-arith -Wundef -Wvla
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl is dlopen'ed by fetch.c on first use (see there), by its soname.
LINK_PKGS = $(filter-out libcurl,$(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null)
CURL_SONAME = $(shell objdump -p "$$(pkg-config --variable=libdir libcurl 2>/dev/null)/libcurl.so" 2>/dev/null | awk '$$1 == "SONAME" { print $$2 }')
ALL_CFLAGS = -std=gnu11 $(WARN) $(MODE_CFLAGS) $(PKG_CFLAGS) \
             -DMK_DATADIR='"$(DATADIR)"' -DMK_LIBEXECDIR='"$(LIBEXECDIR)"' -DMK_BINDIR='"$(BINDIR)"' \
             -DMK_BIN_TO_LIBEXEC='"$(BIN_TO_LIBEXEC)"' -DMK_LIBEXEC_TO_BIN='"$(LIBEXEC_TO_BIN)"' \
             -DMK_LIBEXEC_TO_DATA='"$(LIBEXEC_TO_DATA)"' \
             -DMK_VERSION='"$(VERSION)"' -DMK_CURL_SONAME='"$(or $(CURL_SONAME),libcurl.so.4)"' $(ISAL_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(MODE_LDFLAGS) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lpthread

VERSION := 0.1.0

# `make V=1` shows the full command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif

# Two executables (see src/core.c): out/mkbase, the lean front end that
# runs containers and links libc + libseccomp only, and out/mkbase-core,
# which does everything else.  libmkbase.a is the core's library; the unit
# tests link against it.
SRCS := $(sort $(wildcard src/*.c))
LEAN_MODULES := error util arch elfinfo json run runner console net mount cgroup filter image core
LEAN_OBJS := $(OUT)/obj/main-lean.o $(patsubst %,$(OUT)/obj/%.o,$(LEAN_MODULES))
LIB_SRCS := $(filter-out src/main.c src/core.c,$(SRCS))
LIB_OBJS := $(patsubst src/%.c,$(OUT)/obj/%.o,$(LIB_SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

.PHONY: all asan check demo deps install uninstall clean check-boundaries unit \
        fuzz fuzz-smoke valgrind

all: $(OUT)/mkbase $(OUT)/mkbase-core $(UNIT_BINS)

asan: all

$(OUT)/obj/%.o: src/%.c $(wildcard src/*.h) | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The seccomp filter is compiled when mkbase is built (src/seccomp.c, with
# libseccomp) and linked into the runner as data (src/filter.c).
$(OUT)/gen-seccomp: src/tools/gen-seccomp.c $(OUT)/obj/seccomp.o $(OUT)/obj/error.o $(OUT)/obj/util.o
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc -o $@ $^ $(ALL_LDFLAGS) $(shell pkg-config --libs libseccomp)

$(OUT)/gen/seccomp-bpf.h: $(OUT)/gen-seccomp
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(OUT)/gen-seccomp >$@.tmp && mv $@.tmp $@

$(OUT)/obj/filter.o: src/filter.c $(OUT)/gen/seccomp-bpf.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -I$(OUT)/gen -c -o $@ $<

$(OUT)/obj/main-lean.o: src/main.c $(wildcard src/*.h) | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -DMK_LEAN -c -o $@ $<

$(OUT)/libmkbase.a: $(LIB_OBJS)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(OUT)/mkbase: $(LEAN_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^

$(OUT)/mkbase-core: $(OUT)/obj/main.o $(OUT)/libmkbase.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(OUT)/tests/%: tests/unit/%.c tests/unit/tap.h $(OUT)/libmkbase.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(OUT)/libmkbase.a $(ALL_LDFLAGS) $(LIBS)

# Install build dependencies from Debian when they are missing (needs root;
# otherwise it names the packages to install).
deps:
	@tests/deps.sh build

check: all check-boundaries
	@tests/deps.sh test
	@MKBASE_OUT=$(OUT) tests/run

check-boundaries:
	@tests/check-boundaries.sh

# libFuzzer targets (clang): one per parser, linked with every module
# except main.c/core.c, built with ASan+UBSan.  `make fuzz-smoke` runs each
# for FUZZ_SECONDS from its seeds in tests/fuzz/corpus/ (and, for the rpm
# reader, the packages of ../shared/corpus/rpm-testdata, read in place).
FUZZ_SECONDS ?= 15
FUZZ_CC ?= clang
FUZZ_CFLAGS = -std=gnu11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
              -fno-sanitize-recover=undefined $(PKG_CFLAGS) -I$(FUZZ_OUT)/gen \
              -DMK_DATADIR='"$(DATADIR)"' -DMK_LIBEXECDIR='"$(LIBEXECDIR)"' -DMK_BINDIR='"$(BINDIR)"' -DMK_VERSION='"$(VERSION)"' $(ISAL_CFLAGS)
FUZZ_OUT := out/fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_OUT)/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJS := $(patsubst src/%.c,$(FUZZ_OUT)/obj/%.o,$(LIB_SRCS))

$(FUZZ_OUT)/gen/seccomp-bpf.h: $(OUT)/gen/seccomp-bpf.h
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

$(FUZZ_OUT)/obj/%.o: src/%.c $(wildcard src/*.h) $(FUZZ_OUT)/gen/seccomp-bpf.h | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Isrc -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(PKG_LIBS) -lpthread

.SECONDARY: $(FUZZ_OBJS)

fuzz: $(FUZZ_TARGETS)

fuzz-smoke: fuzz
	@tests/fuzz/smoke.sh $(FUZZ_OUT) $(FUZZ_SECONDS)

# The integration tests under valgrind's memcheck (mkbase-core, which does
# all the parsing and unpacking); a definite leak or a memory error fails.
valgrind: all
	@MKBASE_OUT=$(OUT) tests/valgrind.sh

# The sample repository always goes to out/demo-repo: recipes/demo.conf
# names it relative to itself.
demo: all
	@tests/deps.sh demo
	recipes/demo/build-repo.sh out/demo-repo
	$(OUT)/mkbase recipes/demo.conf -o out/demo.tar
	$(OUT)/mkbase run out/demo.tar -- /usr/bin/hello

install: $(OUT)/mkbase $(OUT)/mkbase-core
	install -D -m 0755 $(OUT)/mkbase $(DESTDIR)$(BINDIR)/mkbase
	install -D -m 0755 $(OUT)/mkbase-core $(DESTDIR)$(LIBEXECDIR)/mkbase-core
	install -d $(DESTDIR)$(DATADIR)/profiles
	install -m 0644 profiles/*.conf $(DESTDIR)$(DATADIR)/profiles/
	install -D -m 0644 docs/mkbase.1 $(DESTDIR)$(MANDIR)/man1/mkbase.1
	install -D -m 0644 docs/mkbase.bash-completion $(DESTDIR)$(BASHCOMPDIR)/mkbase

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mkbase $(DESTDIR)$(MANDIR)/man1/mkbase.1
	rm -f $(DESTDIR)$(BASHCOMPDIR)/mkbase
	rm -rf $(DESTDIR)$(LIBEXECDIR)
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf out/obj out/asan out/tests out/mkbase out/mkbase-core out/libmkbase.a
