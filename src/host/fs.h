/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bits of the VFS that KVM's files need: struct file with its reference
 * count, the process's descriptor table, and deferred final fput()s.
 *
 * Every tdxsim descriptor is a struct file (/dev/kvm, VM, vCPU, guest_memfd;
 * a driver tells its own files by their f_op) installed in a table indexed
 * by the descriptor number. The number is a real process descriptor (a
 * reserved /dev/null), so it cannot collide with the process's own files.
 *
 * As in the kernel, the last fput() of a file does not release it on the
 * spot, where the caller may hold locks the release takes (kvm->slots_lock
 * for guest_memfd): the release is queued on the calling thread and runs in
 * task_work_run(), which every uapi entry point calls before it returns.
 */
#ifndef TDXSIM_HOST_FS_H
#define TDXSIM_HOST_FS_H

#include <pthread.h>

#include <sys/types.h>

#include "base/atomic.h"
#include "ulib/compiler.h"
#include "base/rcu.h"

/* The kernel-internal errno of an ioctl a driver does not know (-> ENOTTY). */
#define ENOIOCTLCMD		515

struct file;
struct vm_area_struct;
struct address_space;

struct file_operations {
	const char *name;	/* "kvm-vm", "kvm-vcpu:N", "kvm-gmem" */
	long (*unlocked_ioctl)(struct file *file, unsigned long ioctl,
			       unsigned long arg);
	long (*fallocate)(struct file *file, int mode, loff_t offset,
			  loff_t len);
	int (*mmap)(struct file *file, struct vm_area_struct *vma);
	/* read(2) at *@pos (advanced by what it read); NULL: EINVAL. */
	ssize_t (*read)(struct file *file, char *buf, size_t size, loff_t *pos);
	/*
	 * tdxsim: memory_failure() of the file's page at @offset (the kernel
	 * finds the page by pfn and calls its mapping's error_remove_folio);
	 * guest_memfd only. 0 or -errno.
	 */
	int (*memory_failure)(struct file *file, loff_t offset);
	/* Called once, after the last reference is gone. */
	void (*release)(struct file *file);
};

struct file {
	const struct file_operations *f_op;
	loff_t f_pos;			/* read(2)'s position (under f_pos_lock) */
	pthread_mutex_t f_pos_lock;
	atomic_t f_count;
	void *private_data;
	struct address_space *f_mapping;	/* guest_memfd only */
	struct rcu_head rcu;
	struct file *deferred_next;
};

/*
 * Make a file of @fops with @priv (and page cache @mapping, or NULL) and
 * install it at a new descriptor.
 * Returns the descriptor (the table holds the file's one reference) or a
 * negative errno.
 */
int anon_inode_getfd(const struct file_operations *fops, void *priv,
		     struct address_space *mapping, struct file **filep);
/* The file at @fd with a new reference, or NULL. */
struct file *fget(int fd);
/* Take another reference on @file. */
struct file *get_file(struct file *file);
/*
 * Take a reference on *@fp unless it is NULL or already being released
 * (the kernel's get_file_active()); the caller is inside rcu_read_lock().
 */
struct file *get_file_rcu_active(struct file **fp);
/* Drop a reference; the last one queues the release (see task_work_run). */
void fput(struct file *file);
/* Remove @fd from the table and drop its reference. -EBADF if not ours. */
int close_fd(int fd);
/* Is @fd a descriptor of the process that tdxsim did not create? */
bool fd_is_foreign(int fd);
/*
 * eventfd_ctx_fdget() as an answer: 0 if process descriptor @fd is an
 * eventfd, -EBADF if it is not open, -EINVAL for any other file.
 */
int eventfd_ctx_fdget(int fd);
/* Run the releases queued by this thread's final fput()s. */
void task_work_run(void);
/* Number of descriptors tdxsim has open (for tests). */
int nr_open_files(void);

#endif /* TDXSIM_HOST_FS_H */
