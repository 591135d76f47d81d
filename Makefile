# uswap build. Variants share the sources and differ in flags and output dir:
#   make                 -> build/            (release-ish: -O2 -g)
#   make SAN=asan        -> build/asan/       (ASan + UBSan)
#   make SAN=tsan        -> build/tsan/       (ThreadSanitizer)
#   make CC=clang BUILD=build/clang            (another compiler, own dir)
# Targets: all, check, demo, install, uninstall, fuzz, clean.

VERSION_MAJOR := 0
VERSION_MINOR := 1
VERSION_PATCH := 0
VERSION       := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

CC      ?= gcc
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
SAN     ?=
BUILD   ?= build

ifeq ($(SAN),)
  OUT     := $(BUILD)
  SANFLAGS :=
else ifeq ($(SAN),asan)
  OUT     := $(BUILD)/asan
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -DUSWAP_DEBUG=1
else ifeq ($(SAN),tsan)
  OUT     := $(BUILD)/tsan
  SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer -DUSWAP_DEBUG=1
else
  $(error SAN must be empty, asan or tsan)
endif
# DEBUG=1: the debug tier (assertions, whole-structure validators) in a
# plain build; the sanitized builds always have it.
ifeq ($(DEBUG),1)
  SANFLAGS += -DUSWAP_DEBUG=1
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
# CFLAGS, CPPFLAGS and LDFLAGS are the user's (default -O2 -g); what the
# build needs is added separately so overriding them cannot drop it.
CFLAGS   ?= -O2 -g
REQ_CPPFLAGS := -D_GNU_SOURCE -Iinclude -Isrc -Ibench -DUSWAP_VERSION_STRING='"$(VERSION)"' -DUSWAP_LIBDIR='"$(LIBDIR)"'
REQ_CFLAGS   := -std=c17 $(WARN) -pthread -fPIC -fvisibility=hidden $(SANFLAGS)
ALL_CFLAGS   = $(REQ_CPPFLAGS) $(CPPFLAGS) $(REQ_CFLAGS) $(CFLAGS)
ALL_LDFLAGS  = -pthread $(SANFLAGS) $(LDFLAGS)
LIBS     := -llz4 -lzstd -ldeflate -llzo2 -luring -lxxhash -lsodium -lhiredis -lz -lmd -lm

LIB_SRC   := $(wildcard src/base/*.c src/page/*.c src/codec/*.c src/zsmalloc/*.c src/zswap/*.c src/swap/*.c src/vm/*.c src/uswap.c src/options.c) \
             src/preload/statfile.c
PRELOAD_SRC := src/preload/heap.c src/preload/preload.c src/preload/tree.c src/preload/hiredis_alloc.c
CLI_SRC   := $(wildcard src/cli/*.c) $(wildcard bench/*.c)
TEST_SRC  := $(wildcard tests/*/*.c)
TEST_SRC  := $(filter-out tests/fuzz/%,$(TEST_SRC))

LIB_OBJ   := $(LIB_SRC:%.c=$(OUT)/obj/%.o)
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(OUT)/obj/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(OUT)/obj/%.o)
TEST_BIN  := $(TEST_SRC:%.c=$(OUT)/%)

SONAME    := libuswap.so.$(VERSION_MAJOR)

# The preload library is built only without sanitizers: their runtimes
# must come first in a process, which LD_PRELOAD of it cannot give.
PRELOAD := $(if $(SAN),,$(OUT)/libuswap-preload.so)

all: deps $(OUT)/libuswap.a $(OUT)/libuswap.so.$(VERSION) $(OUT)/uswap $(PRELOAD)

# Installs missing system packages (a no-op when all are present).
deps:
	@scripts/install-deps.sh

$(OUT)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/libuswap.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(OUT)/libuswap.so.$(VERSION): $(LIB_OBJ) src/uswap.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=src/uswap.map \
	      -o $@ $(LIB_OBJ) $(ALL_LDFLAGS) $(LIBS)
	ln -sf libuswap.so.$(VERSION) $(OUT)/$(SONAME)
	ln -sf $(SONAME) $(OUT)/libuswap.so

# The preload library's own copy of hiredis: Debian's static archive with
# its allocation and resolver calls renamed to src/preload/hiredis_alloc.c's,
# so that the far tier's client never allocates the program's (managed)
# memory under uswap run.
HIREDIS_A   := $(shell $(CC) -print-file-name=libhiredis.a)
HIREDIS_RENAME := malloc calloc realloc free strdup getaddrinfo freeaddrinfo
$(OUT)/hiredis-private.a: $(HIREDIS_A)
	@mkdir -p $(dir $@)
	objcopy $(foreach f,$(HIREDIS_RENAME),--redefine-sym $(f)=uswap_hi_$(f)) $< $@

# uswap run's LD_PRELOAD library: the library's objects inside (nothing of
# them exported) and the interposed mmap family (src/preload/preload.map).
$(OUT)/libuswap-preload.so: $(PRELOAD_OBJ) $(LIB_OBJ) $(OUT)/hiredis-private.a src/preload/preload.map
	$(CC) -shared -Wl,--version-script=src/preload/preload.map -o $@ $(PRELOAD_OBJ) $(LIB_OBJ) \
	      $(OUT)/hiredis-private.a $(ALL_LDFLAGS) $(filter-out -lhiredis,$(LIBS))

$(OUT)/uswap: $(CLI_OBJ) $(OUT)/libuswap.a
	$(CC) -o $@ $(CLI_OBJ) $(OUT)/libuswap.a $(ALL_LDFLAGS) $(LIBS)

# Tests link the static library so they can reach internal (hidden) symbols.
$(OUT)/tests/%: tests/%.c tests/helpers.h $(OUT)/libuswap.a $(filter-out $(OUT)/obj/src/cli/%,$(CLI_OBJ))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(filter-out $(OUT)/obj/src/cli/%,$(CLI_OBJ)) \
	      $(OUT)/libuswap.a $(ALL_LDFLAGS) $(LIBS)

tests: $(TEST_BIN)

# The whole suite: plain build, then ASan+UBSan, then TSan on the concurrency
# tests (those whose file name starts with "mt-"). Ends with "N passed, N failed".
check: deps
	@scripts/check.sh

demo: all
	@scripts/demo.sh

fuzz: deps
	@scripts/fuzz.sh $(FUZZ_SECONDS)

install: all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 644 include/uswap.h $(DESTDIR)$(INCDIR)/uswap.h
	install -m 644 $(OUT)/libuswap.a $(DESTDIR)$(LIBDIR)/libuswap.a
	install -m 755 $(OUT)/libuswap.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libuswap.so.$(VERSION)
	ln -sf libuswap.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libuswap.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBS@|$(LIBS)|' uswap.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/uswap.pc
	install -m 755 $(OUT)/uswap $(DESTDIR)$(BINDIR)/uswap
	install -m 755 $(OUT)/libuswap-preload.so $(DESTDIR)$(LIBDIR)/libuswap-preload.so
	install -m 644 man/uswap.1 $(DESTDIR)$(MANDIR)/man1/uswap.1

uninstall:
	rm -f $(DESTDIR)$(INCDIR)/uswap.h $(DESTDIR)$(LIBDIR)/libuswap.* $(DESTDIR)$(LIBDIR)/libuswap-preload.so \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/uswap.pc $(DESTDIR)$(BINDIR)/uswap $(DESTDIR)$(MANDIR)/man1/uswap.1

clean:
	rm -rf build

.PHONY: all deps tests check demo fuzz install uninstall clean
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(PRELOAD_OBJ:.o=.d)
