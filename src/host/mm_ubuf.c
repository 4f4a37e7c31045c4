// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vmalloc_user() memory (a vCPU's kvm_run pages) and the program's second
 * mappings of it (mm_insert_vma() with @direct), kept for the next VM: an
 * exploration creates and tears down the same VM every schedule, and each
 * buffer costs an mmap(), page faults and a munmap() with a TLB shootdown,
 * and each mapping of it an mremap(), faults and a munmap().
 *
 * A freed buffer is kept zeroed, as a fresh one is. It is freed only once
 * no mapping shows it (a mapping holds its vCPU's file, which holds the
 * VM), so no mapping shows the next vCPU's. A gone mapping of a buffer is
 * kept with the buffer's address and handed out again only for the same
 * buffer and length; when the buffer itself goes back to the system, so do
 * its kept mappings (a new buffer may get its address). Only while the
 * explorers ask for it (tdxsim_fd_reuse(), with the descriptor numbers): a
 * munmap() otherwise gives the address space back at once, as the program
 * may expect.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/page_alloc.h"
#include "host/mm.h"

#define UBUF_MAX	8

static pthread_mutex_t ubuf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	void *addr;
	size_t len;
} ubuf_free[UBUF_MAX];
static unsigned int nr_free;
static struct {
	void *direct, *alias;
	size_t len;
} ubuf_alias[UBUF_MAX];
static unsigned int nr_alias;
static bool ubuf_on;

static void ubuf_file_free(void *addr);

void mm_ubuf_reuse(bool on)
{
	void *gone[UBUF_MAX];
	unsigned int i, n = 0;

	pthread_mutex_lock(&ubuf_lock);
	ubuf_on = on;
	if (!on) {
		for (i = 0; i < nr_alias; i++)
			munmap(ubuf_alias[i].alias, ubuf_alias[i].len);
		for (i = 0; i < nr_free; i++) {
			munmap(ubuf_free[i].addr, ubuf_free[i].len);
			gone[n++] = ubuf_free[i].addr;
		}
		nr_alias = nr_free = 0;
	}
	pthread_mutex_unlock(&ubuf_lock);
	while (n--)
		ubuf_file_free(gone[n]);
}

/*
 * A second mapping of a buffer's pages is an mremap() of old size 0 (a copy
 * of a shared mapping). valgrind refuses that call (EINVAL before it is
 * made), so where a probe finds it refused, buffers are memfd pages and
 * the copy is an mmap() of the file (ubuf_dup()): explorations and
 * scenarios then run under callgrind and memcheck too. TDXSIM_VMALLOC_MEMFD=1
 * in the environment takes that path anywhere (its tests).
 */
struct ubuf_file {
	void *addr;
	size_t len;
	int fd;
	struct ubuf_file *next;
};
static struct ubuf_file *ubuf_files;	/* ubuf_lock */
static int ubuf_dup_ok = -1;

static bool ubuf_can_dup(void)
{
	int ok = __atomic_load_n(&ubuf_dup_ok, __ATOMIC_RELAXED);
	const char *e;
	void *p, *q;

	if (ok >= 0)
		return ok;
	e = getenv("TDXSIM_VMALLOC_MEMFD");
	if (e && *e == '1') {
		__atomic_store_n(&ubuf_dup_ok, 0, __ATOMIC_RELAXED);
		return false;
	}
	p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return true;	/* the real call will tell */
	q = mremap(p, 0, PAGE_SIZE, MREMAP_MAYMOVE);
	ok = q != MAP_FAILED;
	if (ok)
		munmap(q, PAGE_SIZE);
	munmap(p, PAGE_SIZE);
	__atomic_store_n(&ubuf_dup_ok, ok, __ATOMIC_RELAXED);
	return ok;
}

/* A buffer of memfd pages (where ubuf_can_dup() is false). */
static void *ubuf_file_alloc(size_t len)
{
	struct ubuf_file *f;
	int fd = memfd_create("tdxsim-vmalloc-user", MFD_CLOEXEC);
	void *p;

	if (fd < 0)
		return NULL;
	p = ftruncate(fd, len) ? MAP_FAILED :
		mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	f = p == MAP_FAILED ? NULL : malloc(sizeof(*f));
	if (!f) {
		if (p != MAP_FAILED)
			munmap(p, len);
		close(fd);
		return NULL;
	}
	f->addr = p;
	f->len = len;
	f->fd = fd;
	pthread_mutex_lock(&ubuf_lock);
	f->next = ubuf_files;
	ubuf_files = f;
	pthread_mutex_unlock(&ubuf_lock);
	return p;
}

/* Forget @addr's file, if it has one (its mappings are gone or going). */
static void ubuf_file_free(void *addr)
{
	struct ubuf_file **pf, *f = NULL;

	pthread_mutex_lock(&ubuf_lock);
	for (pf = &ubuf_files; *pf; pf = &(*pf)->next) {
		if ((*pf)->addr == addr) {
			f = *pf;
			*pf = f->next;
			break;
		}
	}
	pthread_mutex_unlock(&ubuf_lock);
	if (f) {
		close(f->fd);
		free(f);
	}
}

void *ubuf_dup(void *direct, size_t len, void *at)
{
	struct ubuf_file *f;
	int fd = -1;
	off_t off = 0;

	if (ubuf_can_dup())
		return mremap(direct, 0, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			      at);
	pthread_mutex_lock(&ubuf_lock);
	for (f = ubuf_files; f; f = f->next) {
		if ((u8 *)direct >= (u8 *)f->addr &&
		    (u8 *)direct + len <= (u8 *)f->addr + f->len) {
			fd = f->fd;
			off = (u8 *)direct - (u8 *)f->addr;
			break;
		}
	}
	pthread_mutex_unlock(&ubuf_lock);
	if (fd < 0)
		return MAP_FAILED;
	return mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		    fd, off);
}

void *vmalloc_user(size_t size)
{
	size_t len = ALIGN(size, PAGE_SIZE);
	void *p = NULL;
	unsigned int i;

	pthread_mutex_lock(&ubuf_lock);
	for (i = nr_free; i-- > 0;) {
		if (ubuf_free[i].len == len) {
			p = ubuf_free[i].addr;
			ubuf_free[i] = ubuf_free[--nr_free];
			break;
		}
	}
	pthread_mutex_unlock(&ubuf_lock);
	if (p)
		return p;
	if (!ubuf_can_dup())
		return ubuf_file_alloc(len);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void vfree_user(void *addr, size_t size)
{
	size_t len = ALIGN(size, PAGE_SIZE);
	void *gone[UBUF_MAX];
	size_t gone_len[UBUF_MAX];
	unsigned int i, n = 0;

	if (!addr)
		return;
	pthread_mutex_lock(&ubuf_lock);
	if (ubuf_on && nr_free < UBUF_MAX) {
		memset(addr, 0, len);
		ubuf_free[nr_free].addr = addr;
		ubuf_free[nr_free].len = len;
		nr_free++;
		pthread_mutex_unlock(&ubuf_lock);
		return;
	}
	for (i = nr_alias; i-- > 0;) {
		if ((u8 *)ubuf_alias[i].direct >= (u8 *)addr &&
		    (u8 *)ubuf_alias[i].direct < (u8 *)addr + len) {
			gone[n] = ubuf_alias[i].alias;
			gone_len[n++] = ubuf_alias[i].len;
			ubuf_alias[i] = ubuf_alias[--nr_alias];
		}
	}
	pthread_mutex_unlock(&ubuf_lock);
	while (n--)
		munmap(gone[n], gone_len[n]);
	munmap(addr, len);
	ubuf_file_free(addr);
}

void *ubuf_alias_get(void *direct, size_t len)
{
	void *alias = NULL;
	unsigned int i;

	pthread_mutex_lock(&ubuf_lock);
	for (i = nr_alias; i-- > 0;) {
		if (ubuf_alias[i].direct == direct && ubuf_alias[i].len == len) {
			alias = ubuf_alias[i].alias;
			ubuf_alias[i] = ubuf_alias[--nr_alias];
			break;
		}
	}
	pthread_mutex_unlock(&ubuf_lock);
	return alias;
}

bool ubuf_alias_put(void *direct, void *alias, size_t len)
{
	bool kept = false;

	pthread_mutex_lock(&ubuf_lock);
	if (ubuf_on && nr_alias < UBUF_MAX) {
		ubuf_alias[nr_alias].direct = direct;
		ubuf_alias[nr_alias].alias = alias;
		ubuf_alias[nr_alias].len = len;
		nr_alias++;
		kept = true;
	}
	pthread_mutex_unlock(&ubuf_lock);
	return kept;
}
