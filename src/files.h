/*-------------------------------------------------------------------------
 *
 * files.h
 *	  Server files (files.c): who may read them, opening one safely, reading
 *	  it, its sha256, and glob patterns in name order.  Used by load.c and
 *	  the foreign data wrapper.  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_FILES_H
#define OJ_FILES_H

#include "nodes/pg_list.h"

extern bool oj_may_read_server_files(void);
extern void oj_check_server_file_access(const char *path);
extern int	oj_open_file(const char *path, int64 *size);
extern long oj_fd_read(void *arg, char *buf, size_t len);
extern void oj_file_sha256(int fd, const char *path, char hex[65], int64 *bytes);
extern List *oj_glob(const char *pattern);

#endif							/* OJ_FILES_H */
