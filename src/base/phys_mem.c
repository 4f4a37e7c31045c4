// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host physical memory: the PFN space the page allocator (page_alloc.c)
 * hands out. The bytes of PFN n live at mem_base + n * 4K inside one
 * MAP_NORESERVE anonymous mapping aligned to 2M, so a 2M block is also 2M
 * aligned in the host's virtual memory. Metadata lives in two more
 * NORESERVE mappings that are only touched for blocks the allocator has
 * reached: the struct page array (16 bytes per PFN) and a descriptor per 2M
 * block. Block 0 (PFN 0-511) is reserved so that PFN 0 is never handed out.
 * With TDXSIM_PHYS_MEMFD=1 the bytes are a memfd's instead, mapped
 * MAP_SHARED over the same reservation, so that a page can be mapped at a
 * second address (phys_mem_map_at(): `tdxsim exec` maps a shared
 * guest_memfd page into the program); freed blocks then go back with
 * MADV_REMOVE. The mapping is MADV_DONTFORK: a forked child shares no
 * tdxsim memory with its parent (it has none, as with private memory
 * it had a copy it does not use).
 * Here: making and unmapping the space, the address helpers
 * (PFN <-> struct page <-> bytes), the per-PFN metadata an owner registers
 * (given back to the OS with the blocks), and the statistics of what is
 * allocated and resident.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/log.h"
#include "base/page_alloc_internal.h"

/* Block 0 is reserved: at least one more block must be allocatable. */
#define PHYS_MEM_MIN_BYTES	(2ULL * SZ_2M)
/* PFNs and block indexes are kept in 32 bits. */
#define PHYS_MEM_MAX_PAGES	(1ULL << 32)

pthread_mutex_t pa_lock = PTHREAD_MUTEX_INITIALIZER;
struct phys_mem pa_mem;
bool pa_ready;
struct phys_mem_meta pa_meta_reg;

/* ---- mappings ---- */

static void *map_noreserve(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/*
	 * Keep RSS exactly "what was touched": with THP set to "always" a
	 * single touched 4K page would otherwise cost 2M.
	 */
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

static void unmap_all(void)
{
	if (pa_mem.map_raw)
		munmap(pa_mem.map_raw, pa_mem.map_raw_len);
	if (pa_mem.memfd >= 0)
		close(pa_mem.memfd);
	if (pa_mem.pages)
		munmap(pa_mem.pages, pa_mem.pages_len);
	if (pa_mem.blocks)
		munmap(pa_mem.blocks, pa_mem.blocks_len);
	memset(&pa_mem, 0, sizeof(pa_mem));
	pa_mem.memfd = -1;
}

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>

/*
 * struct page::private holds heap pointers (a page table's kvm_mmu_page),
 * and LeakSanitizer does not scan mmap()ed memory: at exit, register the
 * part of the struct page array that was ever handed out as a root region.
 * atexit handlers run last-registered first, so this runs before LSan's
 * own exit-time check, which was registered when the process started.
 */
static void pa_lsan_register_pages(void)
{
	if (__atomic_load_n(&pa_ready, __ATOMIC_ACQUIRE) && pa_mem.pages)
		__lsan_register_root_region(pa_mem.pages,
					    (size_t)pa_mem.bump * PAGES_PER_BLOCK *
						    sizeof(struct page));
}

static void pa_lsan_init(void)
{
	static bool registered;

	if (!registered) {
		registered = true;
		atexit(pa_lsan_register_pages);
	}
}
#else
static void pa_lsan_init(void)
{
}
#endif

/* The bytes as a memfd's over the reservation at @base (pa_lock held). */
static int map_memfd(u8 *base, u64 bytes)
{
	int fd = memfd_create("tdxsim-phys", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)bytes) ||
	    mmap(base, bytes, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED | MAP_NORESERVE, fd, 0) == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	madvise(base, bytes, MADV_DONTFORK);
	pa_mem.memfd = fd;
	return 0;
}

static bool memfd_wanted(void)
{
	const char *e = getenv("TDXSIM_PHYS_MEMFD");

	return e && *e == '1';
}

/* Map a PFN space of @bytes (already rounded). Called with pa_lock held. */
int __phys_mem_init(u64 bytes)
{
	u64 nr_pages = bytes >> PAGE_SHIFT;
	size_t raw_len = bytes + SZ_2M;
	u8 *raw, *base;
	u64 pfn;

	memset(&pa_mem, 0, sizeof(pa_mem));
	pa_mem.memfd = -1;
	raw = mmap(NULL, raw_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return -ENOMEM;
	pa_mem.map_raw = raw;
	pa_mem.map_raw_len = raw_len;
	base = (u8 *)ALIGN((uintptr_t)raw, SZ_2M);
	if (memfd_wanted() && map_memfd(base, bytes)) {
		unmap_all();
		return -ENOMEM;
	}
	madvise(base, bytes, MADV_NOHUGEPAGE);

	pa_mem.mem_base = base;
	pa_mem.nr_pages = nr_pages;
	pa_mem.nr_blocks = nr_pages >> PMD_ORDER;
	pa_mem.pages_len = nr_pages * sizeof(struct page);
	pa_mem.blocks_len = (size_t)pa_mem.nr_blocks * sizeof(struct pa_block);
	pa_mem.pages = map_noreserve(pa_mem.pages_len);
	pa_mem.blocks = map_noreserve(pa_mem.blocks_len);
	if (!pa_mem.pages || !pa_mem.blocks) {
		unmap_all();
		return -ENOMEM;
	}

	/* Block 0 is never handed out. */
	for (pfn = 0; pfn < PAGES_PER_BLOCK; pfn++)
		pa_mem.pages[pfn].flags = BIT(PG_reserved);
	pa_mem.blocks[0].state = BLOCK_HUGE;
	pa_mem.blocks_live = 1;
	pa_mem.bump = 1;
	pa_mem.free_2m = BLOCK_NONE;
	pa_mem.partial_head = pa_mem.partial_tail = BLOCK_NONE;
	__atomic_store_n(&pa_ready, true, __ATOMIC_RELEASE);
	pa_lsan_init();
	return 0;
}

int phys_mem_init(u64 bytes)
{
	int ret;

	if (!bytes)
		bytes = PHYS_MEM_DEFAULT_BYTES;
	if (bytes > (PHYS_MEM_MAX_PAGES << PAGE_SHIFT))
		return -ENOMEM;
	bytes = ALIGN(bytes, (u64)SZ_2M);
	if (bytes < PHYS_MEM_MIN_BYTES)
		bytes = PHYS_MEM_MIN_BYTES;

	pthread_mutex_lock(&pa_lock);
	if (ready()) {
		if (pa_mem.pages_in_use) {
			pthread_mutex_unlock(&pa_lock);
			return -EBUSY;
		}
		__atomic_store_n(&pa_ready, false, __ATOMIC_RELEASE);
		unmap_all();
	}
	ret = __phys_mem_init(bytes);
	pthread_mutex_unlock(&pa_lock);
	return ret;
}

int phys_mem_exit(void)
{
	u64 in_use;

	pa_pcp_flush();
	pthread_mutex_lock(&pa_lock);
	if (!ready()) {
		pthread_mutex_unlock(&pa_lock);
		return 0;
	}
	in_use = pa_mem.pages_in_use;
	if (in_use) {
		pthread_mutex_unlock(&pa_lock);
		pr_warn("phys_mem: %llu pages still in use at exit\n",
			(unsigned long long)in_use);
		return -EBUSY;
	}
	__atomic_store_n(&pa_ready, false, __ATOMIC_RELEASE);
	unmap_all();
	pthread_mutex_unlock(&pa_lock);
	return 0;
}

bool phys_mem_ready(void)
{
	return ready();
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

void phys_mem_populate_block(u64 pfn)
{
	struct pa_block *blk;
	u8 old;

	if (!pfn_valid(pfn))
		return;
	blk = &pa_mem.blocks[pfn_block(pfn)];
	old = __atomic_load_n(&blk->written, __ATOMIC_RELAXED);
	if (old & BLOCK_POPULATED)
		return;
	old = __atomic_fetch_or(&blk->written,
				BLOCK_POPULATED | BLOCK_WRITTEN,
				__ATOMIC_RELAXED);
	if (old & BLOCK_POPULATED)
		return;
	/* Best effort: an older kernel without it faults page by page. */
	madvise(pa_mem.mem_base + (pfn & ~(u64)(PAGES_PER_BLOCK - 1)) * PAGE_SIZE,
		SZ_2M, MADV_POPULATE_WRITE);
}

void phys_mem_discard(void *addr, size_t len)
{
	madvise(addr, len, pa_mem.memfd >= 0 ? MADV_REMOVE : MADV_DONTNEED);
}

bool phys_mem_aliasable(void)
{
	return ready() && pa_mem.memfd >= 0;
}

int phys_mem_map_at(void *addr, u64 pfn, u64 nr, int prot)
{
	if (!phys_mem_aliasable())
		return -EOPNOTSUPP;
	if (!pfn_valid(pfn) || nr > pa_mem.nr_pages - pfn)
		return -EINVAL;
	if (mmap(addr, nr << PAGE_SHIFT, prot, MAP_SHARED | MAP_FIXED,
		 pa_mem.memfd, (off_t)(pfn << PAGE_SHIFT)) == MAP_FAILED)
		return -errno;
	/* Not into a forked child, which the alias's owner cannot unmap. */
	madvise(addr, nr << PAGE_SHIFT, MADV_DONTFORK);
	return 0;
}

/* ---- addresses ---- */

u64 page_to_pfn(const struct page *page)
{
	return page - pa_mem.pages;
}

struct page *pfn_to_page(u64 pfn)
{
	if (!pfn_valid(pfn))
		return NULL;
	return &pa_mem.pages[pfn];
}

void *page_address(const struct page *page)
{
	return pa_mem.mem_base + (page_to_pfn(page) << PAGE_SHIFT);
}

void *pfn_to_virt(u64 pfn)
{
	if (!pfn_valid(pfn))
		return NULL;
	return pa_mem.mem_base + (pfn << PAGE_SHIFT);
}

struct page *virt_to_page(const void *addr)
{
	const u8 *p = addr;

	if (!ready() || p < pa_mem.mem_base ||
	    p >= pa_mem.mem_base + (pa_mem.nr_pages << PAGE_SHIFT))
		return NULL;
	return &pa_mem.pages[(p - pa_mem.mem_base) >> PAGE_SHIFT];
}

struct page *phys_to_page(hpa_t pa)
{
	return pfn_to_page(pa >> PAGE_SHIFT);
}

bool pfn_valid(u64 pfn)
{
	return ready() && pfn < pa_mem.nr_pages;
}

/* ---- metadata registration ---- */

void phys_mem_register_meta(const struct phys_mem_meta *meta)
{
	pthread_mutex_lock(&pa_lock);
	pa_meta_reg = *meta;
	pthread_mutex_unlock(&pa_lock);
}

void phys_mem_unregister_meta(void)
{
	pthread_mutex_lock(&pa_lock);
	memset(&pa_meta_reg, 0, sizeof(pa_meta_reg));
	pthread_mutex_unlock(&pa_lock);
}

/* ---- statistics ---- */

/* Resident bytes of [@addr, @addr + @len) (page-granular). */
static u64 resident_bytes(const void *addr, size_t len)
{
	long psz = sysconf(_SC_PAGESIZE);
	uintptr_t a = ALIGN_DOWN((uintptr_t)addr, (uintptr_t)psz);
	size_t n, i, chunk = 1UL << 16;
	unsigned char vec[1UL << 16];
	u64 bytes = 0;

	len += (uintptr_t)addr - a;
	n = (len + psz - 1) / psz;
	while (n) {
		size_t k = n < chunk ? n : chunk;

		if (mincore((void *)a, k * psz, vec))
			break;
		for (i = 0; i < k; i++)
			if (vec[i] & 1)
				bytes += psz;
		a += k * psz;
		n -= k;
	}
	return bytes;
}

void phys_mem_get_stats(struct phys_mem_stats *st)
{
	struct phys_mem_meta meta;
	size_t per_page;
	u32 bump;

	phys_mem_drain();
	memset(st, 0, sizeof(*st));
	st->page_meta_bytes = sizeof(struct page);
	pthread_mutex_lock(&pa_lock);
	meta = pa_meta_reg;
	per_page = sizeof(struct page) + meta.entry_size;
	st->meta_bytes_per_page = per_page;
	if (!ready()) {
		pthread_mutex_unlock(&pa_lock);
		return;
	}
	st->total_pages = pa_mem.nr_pages;
	st->pages_in_use = pa_mem.pages_in_use;
	st->peak_pages_in_use = pa_mem.peak_pages_in_use;
	st->blocks_2m_in_use = pa_mem.blocks_2m_in_use;
	st->allocs = pa_mem.allocs;
	st->frees = pa_mem.frees;
	st->blocks_returned = pa_mem.blocks_returned;
	/* Counted with atomics outside pa_lock. */
	st->madvise_calls = __atomic_load_n(&pa_mem.madvise_calls, __ATOMIC_RELAXED);
	st->pages_zeroed = __atomic_load_n(&pa_mem.pages_zeroed, __ATOMIC_RELAXED);
	/* Free blocks' metadata was given back; descriptors stay. */
	st->meta_bytes_touched = (u64)pa_mem.blocks_live * PAGES_PER_BLOCK *
				 per_page +
				 (u64)pa_mem.bump * sizeof(struct pa_block);
	bump = pa_mem.bump;
	pthread_mutex_unlock(&pa_lock);

	st->meta_bytes_resident =
		resident_bytes(pa_mem.pages, (size_t)bump * PAGES_PER_BLOCK *
						 sizeof(struct page)) +
		resident_bytes(pa_mem.blocks, (size_t)bump *
						  sizeof(struct pa_block));
	if (meta.base && meta.entry_size)
		st->meta_bytes_resident +=
			resident_bytes(meta.base, (size_t)bump *
							  PAGES_PER_BLOCK *
							  meta.entry_size);
}
