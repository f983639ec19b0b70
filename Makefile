# scimd build. One build system: GNU make. Sources are found by wildcard,
# so a new .c file in a module folder needs no edit here.
#   make            build/scimd, build/scimctl, tests and tools
#   make SAN=1      the same under AddressSanitizer + UBSan, in build/san
#   make check      build and run every test (tests/run.sh)

SAN ?=
ifeq ($(SAN),1)
BUILD ?= build/san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
OPT = -O1
else
BUILD ?= build
SANFLAGS =
OPT = -O2
endif

CC ?= cc
PKGS = libmicrohttpd jansson sqlite3 libsodium libcurl libutf8proc libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN = -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
       -Wmissing-declarations -Wshadow -Wpointer-arith -Wsign-compare
CFLAGS += -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARN) $(SANFLAGS) \
          -fvisibility=hidden -Iinclude -Isrc/lib -Isrc/store -Isrc/server \
          -I$(BUILD)/gen $(PKG_CFLAGS)
LDFLAGS += $(SANFLAGS)
LDLIBS += $(PKG_LIBS) -lpthread -lm

LIB_SRC := $(wildcard src/lib/*.c)
STORE_SRC := $(wildcard src/store/*.c)
SERVER_SRC := $(wildcard src/server/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
SCHEMA_JSON := $(sort $(wildcard src/lib/schemas/*.json))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/schemas.o
STORE_OBJ := $(STORE_SRC:%.c=$(BUILD)/obj/%.o)
SERVER_OBJ := $(SERVER_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

BINS := $(BUILD)/scimd $(BUILD)/scimctl $(BUILD)/scim-vectors \
        $(BUILD)/scim-httptest
ifneq ($(wildcard tests/e2e/*.c),)
E2E_BIN := $(patsubst tests/e2e/%.c,$(BUILD)/tests/%,\
           $(wildcard tests/e2e/*.c))
endif

all: $(BINS) $(UNIT_BIN) $(E2E_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/schemas.c: $(SCHEMA_JSON) scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh $(SCHEMA_JSON) > $@

$(BUILD)/obj/gen/schemas.o: $(BUILD)/gen/schemas.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libscim.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libscimstore.a: $(STORE_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/scimd: $(SERVER_OBJ) $(BUILD)/libscimstore.a $(BUILD)/libscim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/scimctl: $(CLI_OBJ) $(BUILD)/libscimstore.a $(BUILD)/libscim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/scim-vectors: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/vectors/*.c)) \
                       $(BUILD)/libscim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/scim-httptest: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/http/*.c))
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libscimstore.a \
                  $(BUILD)/libscim.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/tests/e2e_%: $(BUILD)/obj/tests/e2e/e2e_%.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

check: all
	BUILD=$(BUILD) sh tests/run.sh

checksrc:
	sh scripts/checksrc.sh

clean:
	rm -rf build

.PHONY: all check checksrc clean
.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
