/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Second, independent implementation of Usher's flow hash, for test_flowhash.py.
 * It reads addresses and ports the way the XDP program does: network-order bytes loaded with
 * plain (native, little-endian on x86) loads, so it checks flowhash.py's byte-order reasoning
 * as well as its arithmetic. jhash_3words and jhash (the byte-wise variant) follow
 * Bob Jenkins' lookup3 as adapted in Linux include/linux/jhash.h.
 *
 * stdin, one flow per line:  SRC_HEX DST_HEX SPORT DPORT PROTO SOURCE_ONLY
 *   (SRC_HEX/DST_HEX: 8 or 32 hex digits of network-order address bytes)
 * stdout, one line per flow: HASH_3WORDS HASH_BYTEWISE   (both %08x; they must agree)
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define JHASH_INITVAL 0xdeadbeefu
#define HASH_SEED 0x55534852u

static uint32_t rol32(uint32_t w, unsigned s) { return (w << s) | (w >> (32 - s)); }

#define jhash_final(a, b, c)                 \
	do {                                     \
		c ^= b; c -= rol32(b, 14);           \
		a ^= c; a -= rol32(c, 11);           \
		b ^= a; b -= rol32(a, 25);           \
		c ^= b; c -= rol32(b, 16);           \
		a ^= c; a -= rol32(c, 4);            \
		b ^= a; b -= rol32(a, 14);           \
		c ^= b; c -= rol32(b, 24);           \
	} while (0)

static uint32_t jhash_3words(uint32_t a, uint32_t b, uint32_t c, uint32_t initval)
{
	uint32_t start = initval + JHASH_INITVAL + (3 << 2);
	a += start;
	b += start;
	c += start;
	jhash_final(a, b, c);
	return c;
}

/* jhash() of exactly 12 bytes: the tail switch of the byte-wise variant, spelled out. */
static uint32_t jhash_12bytes(const uint8_t *k, uint32_t initval)
{
	uint32_t a, b, c;
	a = b = c = JHASH_INITVAL + 12 + initval;
	c += (uint32_t)k[11] << 24 | (uint32_t)k[10] << 16 | (uint32_t)k[9] << 8 | k[8];
	b += (uint32_t)k[7] << 24 | (uint32_t)k[6] << 16 | (uint32_t)k[5] << 8 | k[4];
	a += (uint32_t)k[3] << 24 | (uint32_t)k[2] << 16 | (uint32_t)k[1] << 8 | k[0];
	jhash_final(a, b, c);
	return c;
}

static int parse_hex(const char *text, uint8_t *out, size_t len)
{
	if (strlen(text) != len * 2)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		if (sscanf(text + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* fold(): native loads of the address words, XORed (one word for IPv4). */
static uint32_t fold(const uint8_t *addr, size_t len)
{
	uint32_t acc = 0, w;
	for (size_t i = 0; i < len; i += 4) {
		memcpy(&w, addr + i, 4);
		acc ^= w;
	}
	return acc;
}

int main(void)
{
	char src_hex[64], dst_hex[64];
	unsigned sport, dport, proto, source_only;

	while (scanf("%63s %63s %u %u %u %u", src_hex, dst_hex, &sport, &dport, &proto, &source_only) == 6) {
		uint8_t src[16], dst[16];
		size_t alen = strlen(src_hex) / 2;
		if ((alen != 4 && alen != 16) || parse_hex(src_hex, src, alen) || parse_hex(dst_hex, dst, alen)) {
			fprintf(stderr, "bad address line\n");
			return 2;
		}
		/* Ports as they sit in the TCP/UDP header, then loaded natively. */
		uint16_t sport_be = htons((uint16_t)sport), dport_be = htons((uint16_t)dport);
		uint32_t ports = (uint32_t)sport_be << 16 | dport_be;

		uint32_t w1 = fold(src, alen);
		uint32_t w2 = source_only ? 0 : fold(dst, alen) ^ proto;
		uint32_t w3 = source_only ? 0 : ports;
		uint8_t key[12];
		memcpy(key, &w1, 4);
		memcpy(key + 4, &w2, 4);
		memcpy(key + 8, &w3, 4);
		printf("%08x %08x\n", jhash_3words(w1, w2, w3, HASH_SEED), jhash_12bytes(key, HASH_SEED));
	}
	return 0;
}
