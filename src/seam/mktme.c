// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The memory-encryption model. On hardware a private page's bytes in DRAM
 * are encrypted with the TD's HKID key, tweaked by the physical address, so
 * the host reading the page through its own mapping sees ciphertext. tdxsim
 * stores private bytes the same way: each 4K page gets its own key,
 * splitmix64(key ^ page_pa * C), and the 8-byte word i of the page is XORed
 * with x ^ (x >> 29), x = page key + i * odd constant. The host sees
 * ciphertext through page_address(); the module decrypts for the guest and
 * MR.EXTEND. One mix per page and adds, shifts and XORs per word, which
 * the compiler vectorises: encrypting a page costs about a copy of it. This
 * is a model of confidentiality between layers, not cryptography.
 */
#include <string.h>

#include "base/page_alloc.h"
#include "base/sched.h"
#include "seam/seam_internal.h"

u64 mktme_global_key;

static inline u64 splitmix64(u64 x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

#define KS_STEP		0xD1B54A32D192ED03ULL

static inline u64 page_key(u64 key, u64 page_pa)
{
	return splitmix64(key ^ (page_pa * 0xD6E8FEB86659FD93ULL));
}

/*
 * The key stream word @i (0..511) of the page whose key is @pk. The loops
 * below step x by KS_STEP instead of multiplying, so that they vectorise.
 */
static inline u64 ks_mix(u64 x)
{
	return x ^ (x >> 29);
}

static inline u64 ks_word(u64 pk, u64 i)
{
	return ks_mix(pk + i * KS_STEP);
}

/* The hot loops: vectorised even at -O2 (GCC's default there is too shy). */
#pragma GCC push_options
#pragma GCC optimize("tree-vectorize", "vect-cost-model=cheap")

/*
 * And built for the vector units the CPU has, picked once at load time
 * (an ifunc): the x86-64 baseline has SSE2 only, which makes a page's key
 * stream ~200 ns; AVX2 halves it, AVX-512 (64-bit shifts on 8 lanes) takes
 * ~35 ns, less than a copy of the page. Not in sanitizer builds: the
 * ifunc's resolver runs while ld.so relocates, before the sanitizer's
 * runtime is up, and TSan's instrumentation of it crashes the process.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
	defined(__has_attribute) && !defined(__SANITIZE_THREAD__) && \
	!defined(__SANITIZE_ADDRESS__)
#if __has_attribute(target_clones)
#define KS_CLONES __attribute__((target_clones("default", "avx2", \
						  "avx512f")))
#endif
#endif
#ifndef KS_CLONES
#define KS_CLONES
#endif

/* @n words from @in to @out, XORed with the key stream from word @wi. */
KS_CLONES static void ks_xor_words(u8 *out, const u8 *in, u64 pk, u64 wi, size_t n)
{
	u64 x = pk + wi * KS_STEP;
	size_t i;

	for (i = 0; i < n; i++) {
		u64 v;

		memcpy(&v, in + 8 * i, 8);
		v ^= ks_mix(x);
		memcpy(out + 8 * i, &v, 8);
		x += KS_STEP;
	}
}

/* A page of encrypted zeros: the key stream itself. */
KS_CLONES static void ks_fill_page(u64 *w, u64 pk)
{
	u64 x = pk;
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / 8; i++) {
		w[i] = ks_mix(x);
		x += KS_STEP;
	}
}

#pragma GCC pop_options

u64 mktme_new_key(u64 seed)
{
	u64 k = splitmix64(seed ^ 0x5EA3C0DEULL);

	return k ? k : 1;
}

static u8 *pa_bytes(u64 pa)
{
	return (u8 *)pfn_to_virt(pa >> PAGE_SHIFT) + (pa & (PAGE_SIZE - 1));
}

/* The bytes of the page at @pa, which the caller is about to write. */
static u8 *pa_bytes_w(u64 pa)
{
	page_mark_written(pfn_to_page(pa >> PAGE_SHIFT));
	return pa_bytes(pa);
}

/*
 * Apply the key stream to @len bytes inside one page: @in (plaintext or
 * ciphertext) to @out. @out or @in may be the page itself.
 */
static void xcrypt(u64 key, u64 pa, u8 *out, const u8 *in, size_t len)
{
	u64 pk = page_key(key, pa & PAGE_MASK);
	unsigned int off = pa & (PAGE_SIZE - 1);
	u64 wi = off >> 3;
	size_t i, n;

	/* A head up to the next 8-byte boundary. */
	for (; len && (off & 7); off++, len--)
		*out++ = *in++ ^ (u8)(ks_word(pk, wi) >> ((off & 7) * 8));
	wi = off >> 3;
	n = len >> 3;
	ks_xor_words(out, in, pk, wi, n);
	in += 8 * n;
	out += 8 * n;
	wi += n;
	for (i = 0; i < (len & 7); i++)
		out[i] = in[i] ^ (u8)(ks_word(pk, wi) >> (i * 8));
}

void mktme_write(u64 key, u64 pa, const void *src, size_t len)
{
	while (len) {
		size_t n = min_t(size_t, len,
				 PAGE_SIZE - (pa & (PAGE_SIZE - 1)));

		xcrypt(key, pa, pa_bytes_w(pa), src, n);
		src = (const u8 *)src + n;
		pa += n;
		len -= n;
	}
}

void mktme_read(u64 key, u64 pa, void *dst, size_t len)
{
	while (len) {
		size_t n = min_t(size_t, len,
				 PAGE_SIZE - (pa & (PAGE_SIZE - 1)));

		xcrypt(key, pa, dst, pa_bytes(pa), n);
		dst = (u8 *)dst + n;
		pa += n;
		len -= n;
	}
}

void mktme_zero(u64 key, u64 pa, size_t len)
{
	while (len) {
		size_t n = min_t(size_t, len,
				 PAGE_SIZE - (pa & (PAGE_SIZE - 1)));
		u8 *p = pa_bytes_w(pa);

		/* Encrypted zeros are the key stream itself. */
		if (n == PAGE_SIZE) {
			ks_fill_page((u64 *)p, page_key(key, pa));
		} else {
			memset(p, 0, n);
			xcrypt(key, pa, p, p, n);
		}
		pa += n;
		len -= n;
	}
}

void mktme_zero_lazy(u64 pa)
{
	struct pamt_entry *e = pamt_entry(pa >> PAGE_SHIFT);

	pamt_zero_set(e, PAGE_ZERO_LAZY);
}

/*
 * Write the encrypted zeros of a lazily zeroed page before its first
 * write. One writer does it; a concurrent access waits for it to finish.
 */
static void materialize(u64 key, u64 page_pa)
{
	struct pamt_entry *e = pamt_entry(page_pa >> PAGE_SHIFT);
	u8 z = pamt_zero(e);

	while (z != PAGE_ZERO_NONE) {
		if (z == PAGE_ZERO_LAZY &&
		    pamt_zero_cmpxchg(e, PAGE_ZERO_LAZY, PAGE_ZERO_BUSY)) {
			sched_point_named("mktme_materialize");
			/*
			 * The first write into a 2M private page: back all of
			 * it at once rather than by a fault per 4K page.
			 */
			if (pamt_size(e))
				phys_mem_populate_block(page_pa >> PAGE_SHIFT);
			mktme_zero(key, page_pa, PAGE_SIZE);
			pamt_zero_set(e, PAGE_ZERO_NONE);
			return;
		}
		if (z == PAGE_ZERO_BUSY)
			cpu_relax();
		z = pamt_zero(e);
	}
}

void mktme_private_read(u64 key, u64 pa, void *dst, size_t len)
{
	while (len) {
		size_t n = min_t(size_t, len,
				 PAGE_SIZE - (pa & (PAGE_SIZE - 1)));
		struct pamt_entry *e = pamt_entry(pa >> PAGE_SHIFT);
		u8 z = pamt_zero(e);

		if (z == PAGE_ZERO_LAZY) {
			memset(dst, 0, n);
		} else {
			if (z == PAGE_ZERO_BUSY)
				materialize(key, pa & PAGE_MASK);
			mktme_read(key, pa, dst, n);
		}
		dst = (u8 *)dst + n;
		pa += n;
		len -= n;
	}
}

void mktme_private_write(u64 key, u64 pa, const void *src, size_t len)
{
	while (len) {
		size_t n = min_t(size_t, len,
				 PAGE_SIZE - (pa & (PAGE_SIZE - 1)));
		struct pamt_entry *e = pamt_entry(pa >> PAGE_SHIFT);

		if (n == PAGE_SIZE &&
		    pamt_zero_cmpxchg(e, PAGE_ZERO_LAZY, PAGE_ZERO_BUSY)) {
			/*
			 * The write covers the whole lazily zeroed page: no
			 * need for its encrypted zeros first. Readers wait
			 * (BUSY) until the page holds the new bytes.
			 */
			sched_point_named("mktme_materialize");
			if (pamt_size(e))
				phys_mem_populate_block(pa >> PAGE_SHIFT);
			mktme_write(key, pa, src, n);
			pamt_zero_set(e, PAGE_ZERO_NONE);
		} else {
			materialize(key, pa & PAGE_MASK);
			mktme_write(key, pa, src, n);
		}
		src = (const u8 *)src + n;
		pa += n;
		len -= n;
	}
}
