# Djass for nginx: everything builds under $(BUILD).
#
#   make            the module, djass-worker and djassctl
#   make run        command one: set up, build and start the service
#   make test       command two: set up, build and run the whole suite,
#                   then again with ASan + UBSan builds
#   make test SANITIZE=0   the plain run only
#   make test SANITIZE=1   the ASan + UBSan run only (build/asan)
#   make test VALGRIND=1   the suite with our programs under valgrind

SHELL     := /bin/bash
REPO      := $(CURDIR)
SANITIZE  ?=
VALGRIND  ?=
ifeq ($(SANITIZE),1)
BUILD     ?= $(REPO)/build/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
else
BUILD     ?= $(REPO)/build
SAN_FLAGS :=
endif

NGX_SRC   ?= /usr/share/nginx/src
CC        ?= cc
WARN      := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS    ?= -O2 -g
ALL_CFLAGS = $(CFLAGS) $(WARN) $(SAN_FLAGS) -std=gnu99 -D_GNU_SOURCE \
             -D_FILE_OFFSET_BITS=64 -Ilib -Ilib/jinja -Ilib/cookiecutter \
             -Iworker
LIBS      := -lhiredis -ljansson -larchive -lcrypto

LIB_SRCS    := $(sort $(wildcard lib/*.c lib/*/*.c))
LIB_HDRS    := $(wildcard lib/*.h lib/*/*.h)
WORKER_SRCS := $(sort $(wildcard worker/*.c))
WORKER_HDRS := $(wildcard worker/*.h)
CTL_SRCS    := $(sort $(wildcard ctl/*.c))
CTL_HDRS    := $(wildcard ctl/*.h)
MODULE_SRCS := $(wildcard ngx_djass_module/*.c ngx_djass_module/*.h)
UNIT_SRCS   := $(sort $(wildcard t/unit/test_*.c))
UNIT_BINS   := $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

.PHONY: all module worker unit setup run test clean

all: module worker unit

module: $(BUILD)/ngx_http_djass_module.so
worker: $(BUILD)/djass-worker $(BUILD)/djassctl
unit: $(UNIT_BINS)

# nginx's configure writes a Makefile into the folder it runs in, so it runs
# in a folder of links to Debian's nginx source: nothing is written there.
# reconfigure only when the set of module sources changes
SRCLIST   := $(BUILD)/nginx-srclist
SRCNOW    := $(sort $(wildcard ngx_djass_module/*.c lib/*.c lib/*/*.c))
$(shell mkdir -p $(BUILD); echo $(SRCNOW) | cmp -s - $(SRCLIST) \
    || echo $(SRCNOW) > $(SRCLIST))

$(BUILD)/nginx/Makefile: config $(SRCLIST)
	@mkdir -p $(BUILD)/nginx-src $(BUILD)/nginx
	@for f in auto src configure conf_flags; do \
	    ln -sfn $(NGX_SRC)/$$f $(BUILD)/nginx-src/$$f; done
	cd $(BUILD)/nginx-src && . ./conf_flags && ./configure \
	    "$${NGX_CONF_FLAGS[@]}" --with-compat \
	    --with-cc-opt="-g -O2 -Wextra -Wno-unused-parameter $(SAN_FLAGS)" \
	    --with-ld-opt="$(SAN_FLAGS)" \
	    --add-dynamic-module=$(REPO) --builddir=$(BUILD)/nginx >$(BUILD)/configure.log 2>&1 \
	    || { tail -30 $(BUILD)/configure.log; exit 1; }

$(BUILD)/ngx_http_djass_module.so: $(BUILD)/nginx/Makefile $(MODULE_SRCS) $(LIB_SRCS) $(LIB_HDRS)
	$(MAKE) -C $(BUILD)/nginx-src -f $(BUILD)/nginx/Makefile modules
	cp $(BUILD)/nginx/ngx_http_djass_module.so $@

# the shared core as an archive: each program takes only what it uses
LIB_OBJS  := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
LIBDJASS  := $(BUILD)/libdjass.a

$(BUILD)/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBDJASS): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

# one folder per program
$(BUILD)/djass-worker: $(WORKER_SRCS) $(WORKER_HDRS) $(LIBDJASS)
	$(CC) $(ALL_CFLAGS) -Iworker -o $@ $(WORKER_SRCS) $(LIBDJASS) $(LIBS)

$(BUILD)/djassctl: $(CTL_SRCS) $(CTL_HDRS) $(LIBDJASS)
	$(CC) $(ALL_CFLAGS) -Ictl -o $@ $(CTL_SRCS) $(LIBDJASS) $(LIBS)

$(BUILD)/unit/%: t/unit/%.c t/unit/tap.h $(LIBDJASS)
	@mkdir -p $(BUILD)/unit
	$(CC) $(ALL_CFLAGS) -It/unit -o $@ $< $(LIBDJASS) $(LIBS)

setup:
	scripts/setup

run:
	scripts/run

test:
	SANITIZE=$(SANITIZE) VALGRIND=$(VALGRIND) scripts/test

clean:
	rm -rf $(REPO)/build
