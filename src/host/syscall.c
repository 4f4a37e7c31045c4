// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's system calls (include/tdxsim/tdxsim.h): the descriptor table,
 * struct file reference counting with deferred release, and the entry
 * points that stand in for open/ioctl/close/fallocate/mmap/munmap.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/lock.h"
#include "base/log.h"
#include "base/page_alloc.h"
#include "base/rcu.h"
#include "ulib/strbuf.h"
#include "host/fs.h"
#include "host/misc.h"
#include "host/memory_failure.h"
#include "host/mm.h"
#include "host/tdxsim_trace.h"
#include "host/user_copy_check.h"
#include "tdxsim/scenario.h"
#include "tdxsim/tdxsim.h"

/* ---- the descriptor table ---- */

static struct {
	spinlock_t file_lock;	/* "&newf->file_lock" */
	struct file **fd;
	int max_fds;
	int nr_open;
	int null_fd;		/* duplicated to reserve numbers */
} files;

static pthread_once_t files_once = PTHREAD_ONCE_INIT;

/*
 * tdxsim_fd_reuse(): the reserved numbers of closed files kept for the
 * next files, lowest first, instead of a close() and an fcntl() each. A
 * plain mutex, as the page allocator's: neither a schedule point nor a
 * lockdep class (it is taken inside files.file_lock).
 */
#define FD_SPARE_MAX	64

static struct {
	pthread_mutex_t lock;
	bool on;
	int nr;
	int fd[FD_SPARE_MAX];	/* ascending */
} spare = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The lowest kept number, or -1. */
static int spare_take(void)
{
	int fd = -1;

	pthread_mutex_lock(&spare.lock);
	if (spare.nr) {
		fd = spare.fd[0];
		memmove(spare.fd, spare.fd + 1, --spare.nr * sizeof(int));
	}
	pthread_mutex_unlock(&spare.lock);
	return fd;
}

/* Keep @fd's number if reuse is on and there is room; else false. */
static bool spare_keep(int fd)
{
	bool kept = false;
	int i;

	pthread_mutex_lock(&spare.lock);
	if (spare.on && spare.nr < FD_SPARE_MAX) {
		for (i = spare.nr; i > 0 && spare.fd[i - 1] > fd; i--)
			spare.fd[i] = spare.fd[i - 1];
		spare.fd[i] = fd;
		spare.nr++;
		kept = true;
	}
	pthread_mutex_unlock(&spare.lock);
	return kept;
}

static bool spare_has(int fd)
{
	bool found = false;
	int i;

	pthread_mutex_lock(&spare.lock);
	for (i = 0; i < spare.nr && !found; i++)
		found = spare.fd[i] == fd;
	pthread_mutex_unlock(&spare.lock);
	return found;
}

bool tdxsim_fd_reuse(bool on)
{
	bool was;

	pthread_mutex_lock(&spare.lock);
	was = spare.on;
	spare.on = on;
	if (!on) {
		while (spare.nr)
			close(spare.fd[--spare.nr]);
	}
	pthread_mutex_unlock(&spare.lock);
	mm_ubuf_reuse(on);
	return was;
}

static void files_init_once(void)
{
	static struct lock_class_key key;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), high;

	__spin_lock_init(&files.file_lock, "&newf->file_lock", &key);
	/* Out of the way of the numbers files get (the lowest free ones). */
	high = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 512) : -1;
	if (high >= 0) {
		close(fd);
		fd = high;
	}
	files.null_fd = fd;
}

static void files_init(void)
{
	pthread_once(&files_once, files_init_once);
}

int anon_inode_getfd(const struct file_operations *fops, void *priv,
		     struct address_space *mapping, struct file **filep)
{
	struct file *file;
	int fd;

	files_init();
	/*
	 * Reserve a real descriptor number, the lowest free one as the
	 * kernel's: a duplicate of one /dev/null descriptor opened once
	 * (no path lookup per file).
	 */
	fd = spare_take();
	if (fd < 0)
		fd = fcntl(files.null_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -EMFILE;

	file = xzalloc(sizeof(*file));
	file->f_op = fops;
	file->private_data = priv;
	file->f_mapping = mapping;
	atomic_set(&file->f_count, 1);
	pthread_mutex_init(&file->f_pos_lock, NULL);

	spin_lock(&files.file_lock);
	if (fd >= files.max_fds) {
		int n = max(fd + 1, files.max_fds * 2);

		files.fd = xrealloc(files.fd, n * sizeof(*files.fd));
		memset(files.fd + files.max_fds, 0,
		       (n - files.max_fds) * sizeof(*files.fd));
		files.max_fds = n;
	}
	files.fd[fd] = file;
	files.nr_open++;
	spin_unlock(&files.file_lock);

	if (filep)
		*filep = file;
	return fd;
}

struct file *fget(int fd)
{
	struct file *file = NULL;

	if (fd < 0)
		return NULL;
	files_init();
	spin_lock(&files.file_lock);
	if (fd < files.max_fds)
		file = files.fd[fd];
	if (file)
		atomic_inc(&file->f_count);
	spin_unlock(&files.file_lock);
	return file;
}

struct file *get_file(struct file *file)
{
	atomic_inc(&file->f_count);
	return file;
}

struct file *get_file_rcu_active(struct file **fp)
{
	struct file *file = rcu_dereference(*fp);

	if (file && atomic_inc_not_zero(&file->f_count))
		return file;
	return NULL;
}

/* This task's files whose last reference is gone (the task_work list). */
static DEFINE_TASK_LOCAL(deferred_fput_key, NULL);
#define deferred_fput (*(struct file **)task_local(&deferred_fput_key))

void fput(struct file *file)
{
	if (!atomic_dec_and_test(&file->f_count))
		return;
	file->deferred_next = deferred_fput;
	deferred_fput = file;
}

static void file_free_rcu(struct rcu_head *head)
{
	free(container_of(head, struct file, rcu));
}

void task_work_run(void)
{
	struct file *file;

	gup_readahead_drop();
	mce_deliver_pending();
	while ((file = deferred_fput)) {
		deferred_fput = file->deferred_next;
		if (file->f_op->release)
			file->f_op->release(file);
		/* Lock-free readers (get_file_rcu_active) may still look. */
		call_rcu(&file->rcu, file_free_rcu);
	}
}

int close_fd(int fd)
{
	struct file *file = NULL;

	if (fd < 0)
		return -EBADF;
	files_init();
	spin_lock(&files.file_lock);
	if (fd < files.max_fds) {
		file = files.fd[fd];
		files.fd[fd] = NULL;
		if (file) {
			files.nr_open--;
			/*
			 * The reserved number goes with the entry, at once:
			 * released after the unlock (a schedule point), it
			 * would look like a foreign descriptor to another
			 * task's ioctl, which then reached /dev/null (ENOTTY)
			 * where the kernel answers EBADF. A number kept for
			 * reuse (tdxsim_fd_reuse()) is not foreign either.
			 */
			if (!spare_keep(fd))
				close(fd);
		}
	}
	spin_unlock(&files.file_lock);
	if (!file)
		return -EBADF;
	fput(file);
	return 0;
}

bool fd_is_foreign(int fd)
{
	struct file *file = fget(fd);

	if (file) {
		fput(file);
		return false;
	}
	return fd >= 0 && !spare_has(fd) && fcntl(fd, F_GETFD) != -1;
}

int eventfd_ctx_fdget(int fd)
{
	char path[32], link[64];
	ssize_t n;

	if (fd < 0 || fcntl(fd, F_GETFD) == -1)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -EBADF;
	link[n] = 0;
	return strcmp(link, "anon_inode:[eventfd]") ? -EINVAL : 0;
}

int nr_open_files(void)
{
	int n;

	files_init();
	spin_lock(&files.file_lock);
	n = files.nr_open;
	spin_unlock(&files.file_lock);
	return n;
}

/* ---- the entry points ---- */

static int uapi_ret(long r)
{
	task_work_run();
	if (r == -ENOIOCTLCMD)
		r = -ENOTTY;
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

int tdxsim_open(const char *path, int flags)
{
	struct miscdevice *misc;
	int r;

	if (!path)
		return uapi_ret(-EFAULT);
	r = do_initcalls();
	if (r)
		return uapi_ret(r);
	misc = misc_find(path);
	if (!misc)
		return uapi_ret(-ENOENT);
	return uapi_ret(anon_inode_getfd(misc->fops, NULL, NULL, NULL));
}

int tdxsim_ioctl(int fd, unsigned long request, ...)
{
	struct file *file;
	unsigned long arg;
	va_list ap;
	long r;

	va_start(ap, request);
	arg = va_arg(ap, unsigned long);
	va_end(ap);

	file = fget(fd);
	if (!file) {
		if (fd_is_foreign(fd))
			return ioctl(fd, request, arg);
		return uapi_ret(-EBADF);
	}
	if (tdxsim_trace_on())
		host_trace_ioctl_begin(fd, request, arg);
	if (file->f_op->unlocked_ioctl)
		r = file->f_op->unlocked_ioctl(file, request, arg);
	else
		r = -ENOTTY;
	fput(file);
	r = uapi_ret(r);
	if (tdxsim_trace_on())
		host_trace_syscall_end(r < 0 ? -errno : r);
	return r;
}

int tdxsim_close(int fd)
{
	int r = close_fd(fd);

	if (r == -EBADF && fd_is_foreign(fd))
		return close(fd);
	return uapi_ret(r);
}

int tdxsim_fallocate(int fd, int mode, off_t offset, off_t len)
{
	struct file *file = fget(fd);
	long r;

	if (!file) {
		if (fd_is_foreign(fd))
			return fallocate(fd, mode, offset, len);
		return uapi_ret(-EBADF);
	}
	if (tdxsim_trace_on())
		host_trace_fallocate_begin(fd, mode, offset, len);
	/* vfs_fallocate()'s checks. */
	if (offset < 0 || len <= 0)
		r = -EINVAL;
	else if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		r = -EOPNOTSUPP;
	else if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		r = -EOPNOTSUPP;
	else if (offset > INT64_MAX - len)	/* offset + len overflows */
		r = -EFBIG;
	else if (!file->f_op->fallocate)
		r = -EOPNOTSUPP;
	else
		r = file->f_op->fallocate(file, mode, offset, len);
	fput(file);
	if (tdxsim_trace_on())
		host_trace_syscall_end(r);
	return uapi_ret(r);
}

void *tdxsim_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	struct vm_area_struct vma = { 0 };
	struct file *file;
	void *p;
	int r;

	file = fget(fd);
	if (!file) {
		errno = EBADF;
		return MAP_FAILED;
	}
	if (!len || (off & (PAGE_SIZE - 1)) || off < 0 || (flags & MAP_FIXED)) {
		r = -EINVAL;
		goto out;
	}
	if (!file->f_op->mmap) {
		r = -ENODEV;
		goto out;
	}
	len = ALIGN(len, PAGE_SIZE);
	vma.vm_start = 0;
	vma.vm_end = len;
	vma.vm_pgoff = off >> PAGE_SHIFT;
	vma.vm_file = file;
	if (prot & PROT_READ)
		vma.vm_flags |= VM_READ;
	if (prot & PROT_WRITE)
		vma.vm_flags |= VM_WRITE;
	if (flags & MAP_SHARED)
		vma.vm_flags |= VM_SHARED;
	r = file->f_op->mmap(file, &vma);
	if (r)
		goto out;
	p = mm_insert_vma(current_mm(), file, len, vma.vm_flags, vma.vm_pgoff,
			  vma.vm_ops, vma.vm_direct);
	if ((intptr_t)p < 0 && (intptr_t)p > -4096) {
		r = (int)(intptr_t)p;
		goto out;
	}
	fput(file);
	task_work_run();
	return p;
out:
	fput(file);
	uapi_ret(r);
	return MAP_FAILED;
}

static ssize_t do_read(int fd, void *buf, size_t count, off_t offset,
		       bool positional)
{
	struct file *file = fget(fd);
	loff_t pos;
	ssize_t r;

	if (!file) {
		if (fd_is_foreign(fd))
			return positional ? pread(fd, buf, count, offset) :
					    read(fd, buf, count);
		return uapi_ret(-EBADF);
	}
	if (!file->f_op->read) {
		r = -EINVAL;
	} else if (positional) {
		pos = offset;
		r = offset < 0 ? -EINVAL : file->f_op->read(file, buf, count,
							       &pos);
	} else {
		pthread_mutex_lock(&file->f_pos_lock);
		pos = file->f_pos;
		r = file->f_op->read(file, buf, count, &pos);
		if (r >= 0)
			file->f_pos = pos;
		pthread_mutex_unlock(&file->f_pos_lock);
	}
	fput(file);
	task_work_run();
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

ssize_t tdxsim_read(int fd, void *buf, size_t count)
{
	return do_read(fd, buf, count, 0, false);
}

ssize_t tdxsim_pread(int fd, void *buf, size_t count, off_t offset)
{
	return do_read(fd, buf, count, offset, true);
}

int tdxsim_memory_failure(int fd, off_t offset)
{
	struct file *file = fget(fd);
	long r;

	if (!file)
		return uapi_ret(-EBADF);
	r = file->f_op->memory_failure ?
	    file->f_op->memory_failure(file, offset) : -EINVAL;
	fput(file);
	return uapi_ret(r);
}

int tdxsim_madvise(void *addr, size_t len, int advice)
{
	struct mm_struct *mm = current_mm();
	unsigned long a = (unsigned long)addr, end = a + ALIGN(len, PAGE_SIZE);
	struct vm_area_struct *vma;
	struct file *file;
	struct page *page;
	long r = 0;
	u64 off;

	if (advice != MADV_HWPOISON || (a & ~PAGE_MASK) || end < a)
		return uapi_ret(-EINVAL);
	for (; a < end && !r; a += PAGE_SIZE) {
		mmap_read_lock(mm);
		vma = find_vma(mm, a);
		file = vma && vma->vm_file && !vma->vm_direct &&
		       vma->vm_file->f_op->memory_failure ?
			       get_file(vma->vm_file) : NULL;
		off = vma ? (vma->vm_pgoff << PAGE_SHIFT) + (a - vma->vm_start) :
			    0;
		mmap_read_unlock(mm);
		if (!file) {
			r = -EINVAL;
			break;
		}
		/* madvise_inject_error(): the page pinned, then poisoned. */
		r = get_user_pages_fast(a, 1, 0, &page);
		if (r == 1) {
			put_page(page);
			r = file->f_op->memory_failure(file, off);
		} else {
			r = -EFAULT;
		}
		fput(file);
	}
	task_work_run();
	return uapi_ret(r);
}

int tdxsim_prctl(int option, unsigned long arg2, unsigned long arg3,
		 unsigned long arg4, unsigned long arg5)
{
	return uapi_ret(mce_prctl(option, arg2, arg3, arg4, arg5));
}

void tdxsim_set_memory_failure_early_kill(int on)
{
	mce_set_early_kill_sysctl(on);
}

int tdxsim_memory_failure_early_kill(void)
{
	return mce_early_kill_sysctl();
}

void tdxsim_set_mce_notify(tdxsim_mce_notify_fn fn, void *arg)
{
	mce_set_notify(fn, arg);
}

int tdxsim_munmap(void *addr, size_t len)
{
	int r = do_munmap(current_mm(), (unsigned long)addr,
			      ALIGN(len, PAGE_SIZE));

	return uapi_ret(r);
}

int tdxsim_gmem_host_access(void *addr, void *buf, size_t len, bool write)
{
	struct mm_struct *mm = current_mm();
	unsigned long a = (unsigned long)addr;
	size_t done = 0;
	int r = 0;

	mmap_read_lock(mm);
	while (done < len) {
		struct vm_area_struct *vma = find_vma(mm, a + done);
		unsigned long pa = (a + done) & PAGE_MASK;
		size_t off = (a + done) - pa;
		size_t n = min(len - done, PAGE_SIZE - off);
		struct vm_fault vmf = { 0 };
		struct page *page;
		u8 *p;

		if (!vma || (write && !(vma->vm_flags & VM_WRITE)) ||
		    (!write && !(vma->vm_flags & VM_READ))) {
			r = -EFAULT;
			break;
		}
		if (vma->vm_direct) {
			p = (u8 *)vma->vm_direct + (pa - vma->vm_start) + off;
			if (write)
				user_access_copy(p, (u8 *)buf + done, n);
			else
				user_access_copy((u8 *)buf + done, p, n);
			done += n;
			continue;
		}
		vmf.vma = vma;
		vmf.pgoff = vma->vm_pgoff + (pa - vma->vm_start) / PAGE_SIZE;
		vmf.write = write;
		page = __do_fault(&vmf, &r);
		if (!page)
			break;
		p = (u8 *)page_address(page) + off;
		if (write) {
			page_mark_written(page);
			user_access_copy(p, (u8 *)buf + done, n);
		} else
			user_access_copy((u8 *)buf + done, p, n);
		put_page(page);
		done += n;
	}
	mmap_read_unlock(mm);
	task_work_run();
	return r;
}

int tdxsim_gmem_fault(void *addr, bool write)
{
	int r = mm_handle_user_fault(current_mm(), (unsigned long)addr, write);

	task_work_run();
	return r;
}
