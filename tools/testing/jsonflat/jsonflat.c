// SPDX-License-Identifier: GPL-2.0-only
/*
 * jsonflat: validate a JSON document (RFC 8259, strict) read from stdin and
 * print it flattened, one "PATH=VALUE" line per scalar, for shell tests in
 * a guest that has neither jq nor python:
 *
 *   {"a":[{"b":"x"},2]}  ->  .a#=2
 *                            .a[0].b=x
 *                            .a[1]=2
 *
 * "PATH#=N" gives the length of an array or the key count of an object.
 * Strings are printed unescaped (control characters as \uXXXX).  Exit 0 on
 * a valid document, 1 with "jsonflat: OFFSET: reason" on stderr otherwise
 * (trailing garbage, a missing comma, a bad escape or number, ...).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *in;
static size_t len, pos;
static char path[4096];

static void die(const char *why)
{
	fprintf(stderr, "jsonflat: %zu: %s\n", pos, why);
	exit(1);
}

static void ws(void)
{
	while (pos < len && (in[pos] == ' ' || in[pos] == '\t' || in[pos] == '\n' || in[pos] == '\r'))
		pos++;
}

static int peek(void)
{
	return pos < len ? (unsigned char)in[pos] : -1;
}

static void expect(char c)
{
	if (peek() != c) {
		char m[32];

		snprintf(m, sizeof(m), "expected '%c'", c);
		die(m);
	}
	pos++;
}

static void put_utf8(char **o, unsigned int cp)
{
	char *p = *o;

	if (cp < 0x80) {
		*p++ = (char)cp;
	} else if (cp < 0x800) {
		*p++ = (char)(0xc0 | (cp >> 6));
		*p++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*p++ = (char)(0xe0 | (cp >> 12));
		*p++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*p++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*p++ = (char)(0xf0 | (cp >> 18));
		*p++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*p++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*p++ = (char)(0x80 | (cp & 0x3f));
	}
	*o = p;
}

static unsigned int hex4(void)
{
	unsigned int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = peek();

		if (c < 0 || !isxdigit(c))
			die("bad \\u escape");
		v = v * 16 + (unsigned int)(isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
		pos++;
	}
	return v;
}

/* a string, returned unescaped in malloc'ed memory */
static char *string(void)
{
	char *out = malloc(len - pos + 8), *o = out;

	if (!out)
		die("out of memory");
	expect('"');
	for (;;) {
		int c = peek();

		if (c < 0)
			die("unterminated string");
		pos++;
		if (c == '"')
			break;
		if (c < 0x20)
			die("control character in a string");
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		c = peek();
		pos++;
		switch (c) {
		case '"': case '\\': case '/': *o++ = (char)c; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned int cp = hex4();

			if (cp >= 0xd800 && cp < 0xdc00) {
				unsigned int lo;

				expect('\\');
				expect('u');
				lo = hex4();
				if (lo < 0xdc00 || lo >= 0xe000)
					die("bad surrogate pair");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				die("lone low surrogate");
			}
			put_utf8(&o, cp);
			break;
		}
		default:
			die("bad escape");
		}
	}
	*o = '\0';
	return out;
}

static void number(char *out, size_t outlen)
{
	size_t s = pos;

	if (peek() == '-')
		pos++;
	if (peek() == '0') {
		pos++;
	} else if (peek() >= '1' && peek() <= '9') {
		while (peek() >= '0' && peek() <= '9')
			pos++;
	} else {
		die("bad number");
	}
	if (peek() == '.') {
		pos++;
		if (!(peek() >= '0' && peek() <= '9'))
			die("bad fraction");
		while (peek() >= '0' && peek() <= '9')
			pos++;
	}
	if (peek() == 'e' || peek() == 'E') {
		pos++;
		if (peek() == '+' || peek() == '-')
			pos++;
		if (!(peek() >= '0' && peek() <= '9'))
			die("bad exponent");
		while (peek() >= '0' && peek() <= '9')
			pos++;
	}
	snprintf(out, outlen, "%.*s", (int)(pos - s), in + s);
}

static void print_scalar(const char *v)
{
	printf("%s=", path);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	putchar('\n');
}

static void value(int depth);

static void members(int depth, int array)
{
	size_t plen = strlen(path);
	long n = 0;

	pos++;			/* '[' or '{' */
	ws();
	if (peek() == (array ? ']' : '}')) {
		pos++;
		printf("%s#=0\n", path);
		return;
	}
	for (;;) {
		ws();
		if (array) {
			snprintf(path + plen, sizeof(path) - plen, "[%ld]", n);
		} else {
			char *k;

			if (peek() != '"')
				die("expected a key");
			k = string();
			snprintf(path + plen, sizeof(path) - plen, ".%s", k);
			free(k);
			ws();
			expect(':');
		}
		if (strlen(path) >= sizeof(path) - 64)
			die("path too long");
		value(depth + 1);
		path[plen] = '\0';
		n++;
		ws();
		if (peek() == ',') {
			pos++;
			continue;
		}
		expect(array ? ']' : '}');
		break;
	}
	printf("%s#=%ld\n", path, n);
}

static void value(int depth)
{
	char num[128];
	char *s;

	if (depth > 64)
		die("nested too deeply");
	ws();
	switch (peek()) {
	case '{':
		members(depth, 0);
		break;
	case '[':
		members(depth, 1);
		break;
	case '"':
		s = string();
		print_scalar(s);
		free(s);
		break;
	case 't':
	case 'f':
	case 'n': {
		static const char *const lit[] = { "true", "false", "null" };

		for (int i = 0; i < 3; i++)
			if (!strncmp(in + pos, lit[i], strlen(lit[i]))) {
				pos += strlen(lit[i]);
				print_scalar(lit[i]);
				return;
			}
		die("bad literal");
		break;
	}
	default:
		number(num, sizeof(num));
		print_scalar(num);
	}
}

int main(void)
{
	size_t cap = 1 << 16;
	size_t n;

	in = malloc(cap);
	while (in && (n = fread(in + len, 1, cap - len, stdin)) > 0) {
		len += n;
		if (len == cap)
			in = realloc(in, cap *= 2);
	}
	if (!in)
		die("out of memory");
	value(0);
	ws();
	if (pos != len)
		die("trailing characters after the document");
	return 0;
}
