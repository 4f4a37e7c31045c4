// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The memory-encryption model. On hardware a private page's bytes in DRAM
 * are encrypted with the TD's HKID key, tweaked by the physical address, so
 * the host reading the page through its own mapping sees ciphertext. tdxsim
 * stores private bytes the same way: each 8-byte word at physical address
 * pa is XORed with splitmix64(key ^ pa * C). The host sees ciphertext
 * through page_address(); the module decrypts for the guest and MR.EXTEND.
 * This is a model of confidentiality between layers, not cryptography.
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

static inline u64 keystream(u64 key, u64 word_pa)
{
	return splitmix64(key ^ (word_pa * 0xD6E8FEB86659FD93ULL));
}

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
 * Apply the key stream to @len bytes: @in (plaintext or ciphertext) to @out.
 * @out or @in may be the page itself. Works page by page because the
 * PFN space is one mapping, but stay safe if that ever changes.
 */
static void xcrypt(u64 key, u64 pa, u8 *out, const u8 *in, size_t len)
{
	while (len) {
		u64 word = pa & ~7ULL;
		unsigned int off = pa & 7;
		u64 ks = keystream(key, word);

		if (!off && len >= 8) {
			u64 v;

			memcpy(&v, in, 8);
			v ^= ks;
			memcpy(out, &v, 8);
			in += 8;
			out += 8;
			pa += 8;
			len -= 8;
			continue;
		}
		*out++ = *in++ ^ (u8)(ks >> (off * 8));
		pa++;
		len--;
	}
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
		size_t i = 0;

		/* Encrypted zeros are the key stream itself. */
		for (; i + 8 <= n && !((pa + i) & 7); i += 8) {
			u64 ks = keystream(key, pa + i);

			memcpy(p + i, &ks, 8);
		}
		for (; i < n; i++)
			p[i] = (u8)(keystream(key, (pa + i) & ~7ULL) >>
				    (((pa + i) & 7) * 8));
		pa += n;
		len -= n;
	}
}

void mktme_zero_lazy(u64 pa)
{
	struct pamt_entry *e = pamt_entry(pa >> PAGE_SHIFT);

	__atomic_store_n(&e->zero, PAGE_ZERO_LAZY, __ATOMIC_RELEASE);
}

/*
 * Write the encrypted zeros of a lazily zeroed page before its first
 * write. One writer does it; a concurrent access waits for it to finish.
 */
static void materialize(u64 key, u64 page_pa)
{
	struct pamt_entry *e = pamt_entry(page_pa >> PAGE_SHIFT);
	u8 z = __atomic_load_n(&e->zero, __ATOMIC_ACQUIRE);

	while (z != PAGE_ZERO_NONE) {
		if (z == PAGE_ZERO_LAZY &&
		    __atomic_compare_exchange_n(&e->zero, &z, PAGE_ZERO_BUSY,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_ACQUIRE)) {
			sched_point_named("mktme_materialize");
			mktme_zero(key, page_pa, PAGE_SIZE);
			__atomic_store_n(&e->zero, PAGE_ZERO_NONE,
					 __ATOMIC_RELEASE);
			return;
		}
		if (z == PAGE_ZERO_BUSY)
			cpu_relax();
		z = __atomic_load_n(&e->zero, __ATOMIC_ACQUIRE);
	}
}

void mktme_private_read(u64 key, u64 pa, void *dst, size_t len)
{
	while (len) {
		size_t n = min_t(size_t, len,
				 PAGE_SIZE - (pa & (PAGE_SIZE - 1)));
		struct pamt_entry *e = pamt_entry(pa >> PAGE_SHIFT);
		u8 z = __atomic_load_n(&e->zero, __ATOMIC_ACQUIRE);

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

		materialize(key, pa & PAGE_MASK);
		mktme_write(key, pa, src, n);
		src = (const u8 *)src + n;
		pa += n;
		len -= n;
	}
}
