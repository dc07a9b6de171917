// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sysfs discovery: from /dev/sdX or /dev/sgN to the scsi_device directory
 * (its "mode" and "vpd_pg83" attributes) and to the adapter identity, the
 * scsi_device path cut at "/hostN".
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cflash_int.h"

int cf_sysfs_resolve(const char *dev, struct cf_devinfo *di)
{
	char link[PATH_MAX];
	struct stat st;
	const char *p;

	memset(di, 0, sizeof(*di));
	if (stat(dev, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode))
		snprintf(link, sizeof(link), "/sys/dev/block/%u:%u/device",
			 major(st.st_rdev), minor(st.st_rdev));
	else if (S_ISCHR(st.st_mode))
		snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/device",
			 major(st.st_rdev), minor(st.st_rdev));
	else
		return -ENOTBLK;
	if (!realpath(link, di->sdev_path))
		return errno == ENOENT ? -ENOTBLK : -errno;

	/* the last "/host<N>/" component names the SCSI host */
	p = di->sdev_path;
	di->host_no = -1;
	for (const char *q = strstr(p, "/host"); q; q = strstr(q + 1, "/host")) {
		const char *d = q + 5;
		char *end;
		long n;

		if (!isdigit((unsigned char)*d))
			continue;
		n = strtol(d, &end, 10);
		if (*end != '/' && *end != '\0')
			continue;
		if ((size_t)(q - p) >= sizeof(di->adapter))
			return -ENAMETOOLONG;
		memcpy(di->adapter, p, (size_t)(q - p));
		di->adapter[q - p] = '\0';
		di->host_no = (int)n;
	}
	return di->host_no < 0 ? -ENODEV : 0;
}

ssize_t cf_sysfs_read_bin(const char *dir, const char *attr, uint8_t *buf,
			  size_t len)
{
	char path[PATH_MAX + 64];
	size_t got = 0;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, attr) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

int cf_sysfs_read(const char *dir, const char *attr, char *buf, size_t len)
{
	ssize_t n;

	if (len == 0)
		return -EINVAL;
	n = cf_sysfs_read_bin(dir, attr, (uint8_t *)buf, len - 1);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return (int)n;
}
