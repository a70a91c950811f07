/*-------------------------------------------------------------------------
 *
 * files.c
 *	  Server files: who may read them, opening one safely (regular files
 *	  only, errors that name the path and the OS reason), its sha256, and
 *	  glob patterns in name order.  Used by load(), load_dir(),
 *	  validate_file() and the foreign data wrapper.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_authid.h"
#include "common/cryptohash.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "storage/fd.h"
#include "utils/acl.h"

#include "source.h"
#include "files.h"
#include "progress.h"

/* ERROR 42501 unless the current user may read server files. */
void
oj_check_server_file_access(const char *path)
{
	if (oj_may_read_server_files())
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to read server file \"%s\"", path),
			 errdetail("Only superusers and members of pg_read_server_files can read files on the server."),
			 errhint("Send the file from the client instead: \\copy offline_join.inbox_<source> FROM 'file' (FORMAT csv, HEADER).")));
}

/* May the current user read server files (superuser, pg_read_server_files)? */
bool
oj_may_read_server_files(void)
{
	return superuser() || has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES);
}

/* ERROR unless path is absolute (relative paths would depend on the server's working directory). */
static void
oj_check_absolute(const char *path)
{
	if (!is_absolute_path(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("path \"%s\" is not absolute", path),
				 errhint("Give the full path of the file on the database server.")));
}

/*
 * Opens a regular file for reading; fills *size.  ERROR naming the path and
 * the OS reason when it is missing, unreadable, a directory or not a file.
 * The file is opened without blocking and checked before anything is read:
 * open() of a named pipe would otherwise wait, beyond cancel and terminate,
 * until something writes to it.
 */
int
oj_open_file(const char *path, int64 *size)
{
	int			fd;
	int			flags;
	struct stat st;

	oj_check_absolute(path);
	fd = OpenTransientFile(path, O_RDONLY | O_NONBLOCK | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path)));
	if (fstat(fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	if (S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a directory", path),
				 errhint("Use offline_join.load_dir() with a pattern such as '/dir/*.csv' to load every file of a directory.")));
	if (!S_ISREG(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a regular file", path),
				 errdetail("offline_join reads regular files only, not %s.",
						   S_ISFIFO(st.st_mode) ? "named pipes" : S_ISSOCK(st.st_mode) ? "sockets"
						   : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "devices" : "special files")));
	/* a regular file: reads may block as usual */
	if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not set file \"%s\" to blocking reads: %m", path)));
	*size = st.st_size;
	return fd;
}

/*
 * read() for the core reader: arg points to the file descriptor.  Every
 * buffer read is a point where a cancel or terminate is served, also while
 * the reader skips the rest of an over-long record.
 */
long
oj_fd_read(void *arg, char *buf, size_t len)
{
	ssize_t		n;

	CHECK_FOR_INTERRUPTS();
	do
		n = read(*(int *) arg, buf, len);
	while (n < 0 && errno == EINTR);
	return (long) n;
}

/* The sha256 (hex) and size of an open file; leaves the offset at 0. */
void
oj_file_sha256(int fd, const char *path, char hex[65], int64 *bytes)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[32];
	char		buf[65536];
	long		n;
	int			i;

	*bytes = 0;
	if (pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not initialize sha256: %s", pg_cryptohash_error(ctx));
	while ((n = oj_fd_read(&fd, buf, sizeof(buf))) > 0)
	{
		if (pg_cryptohash_update(ctx, (uint8 *) buf, n) < 0)
			elog(ERROR, "could not compute sha256: %s", pg_cryptohash_error(ctx));
		*bytes += n;
		oj_progress_bytes(*bytes, -1);
		CHECK_FOR_INTERRUPTS();
	}
	if (n < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", path)));
	if (pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not finish sha256: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	for (i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", digest[i]);
	if (lseek(fd, 0, SEEK_SET) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not seek in file \"%s\": %m", path)));
}

static int
oj_cmp_names(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/* Has a path component a glob character that is not escaped ('*', '?', '[')? */
static bool
oj_glob_magic(const char *part)
{
	const char *p;

	for (p = part; *p; p++)
	{
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '*' || *p == '?' || *p == '[')
			return true;
	}
	return false;
}

/* A component without glob characters, its escapes taken out. */
static char *
oj_glob_unescape(const char *part)
{
	char	   *out = palloc(strlen(part) + 1);
	char	   *o = out;
	const char *p;

	for (p = part; *p; p++)
	{
		if (*p == '\\' && p[1] != '\0')
			p++;
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* A pattern's component and the run of '/' before it, as written. */
typedef struct OjGlobPart
{
	char	   *sep;
	char	   *comp;			/* "" after a trailing '/': directories only */
} OjGlobPart;

/*
 * Adds to *paths every path below dir that matches parts[0..n-1], each
 * joined with its separator as the pattern wrote it ("//" stays, as in
 * glob(3)).  Each directory entry is a point where a cancel, a
 * statement_timeout or a terminate is served (libc's glob() serves none, and
 * a deep pattern or a slow mount held the backend for minutes); directories
 * are read through AllocateDir(), which an error closes.  As glob(3) does:
 * a wildcard matches no leading '.', an unreadable directory matches
 * nothing, and a pattern that ends in '/' matches directories only.
 */
static void
oj_glob_walk(const char *dir, const OjGlobPart *parts, int n, List **paths)
{
	DIR		   *d;
	struct dirent *de;
	char	   *readdir_path;
	struct stat st;

	CHECK_FOR_INTERRUPTS();
	if (parts[0].comp[0] == '\0')
	{
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			*paths = lappend(*paths, psprintf("%s%s", dir, parts[0].sep));
		return;
	}
	if (!oj_glob_magic(parts[0].comp))
	{
		char	   *path = psprintf("%s%s%s", dir, parts[0].sep, oj_glob_unescape(parts[0].comp));

		if (n > 1)
			oj_glob_walk(path, parts + 1, n - 1, paths);
		else if (lstat(path, &st) == 0)
			*paths = lappend(*paths, path);
		return;
	}
	readdir_path = dir[0] == '\0' ? parts[0].sep : (char *) dir;
	d = AllocateDir(readdir_path);
	if (d == NULL)
		return;
	while ((de = ReadDirExtended(d, readdir_path, DEBUG1)) != NULL)
	{
		char	   *path;

		CHECK_FOR_INTERRUPTS();
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
			fnmatch(parts[0].comp, de->d_name, FNM_PERIOD) != 0)
			continue;
		path = psprintf("%s%s%s", dir, parts[0].sep, de->d_name);
		if (n > 1)
			oj_glob_walk(path, parts + 1, n - 1, paths);
		else
			*paths = lappend(*paths, path);
	}
	FreeDir(d);
}

/*
 * The paths matching a glob pattern, in byte order of their names (NIL if
 * none).  A path that exists is itself, whatever its characters: a file
 * named "/srv/in[1]/sales [copy].csv" is read, not taken for a pattern.  To
 * match a literal '*', '?' or '[' in a pattern, write it as "\*", "\?" or
 * "\[" (glob(3)).  A directory given without a pattern is an ERROR: it
 * would match nothing, silently.
 */
List *
oj_glob(const char *pattern)
{
	List	   *paths = NIL;
	OjGlobPart *parts;
	int			n = 0;
	const char *p;
	struct stat st;

	oj_check_absolute(pattern);
	if (stat(pattern, &st) == 0)
	{
		if (S_ISDIR(st.st_mode))
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("\"%s\" is a directory, not a pattern for its files", pattern),
					 errhint("Give a pattern such as '%s%s*.csv'.", pattern,
							 pattern[strlen(pattern) - 1] == '/' ? "" : "/")));
		return list_make1(pstrdup(pattern));
	}
	/* at most one part per character */
	parts = palloc(sizeof(OjGlobPart) * (strlen(pattern) + 1));
	for (p = pattern; *p;)
	{
		const char *start = p;

		while (*p == '/')
			p++;
		parts[n].sep = pnstrdup(start, p - start);
		start = p;
		while (*p && *p != '/')
			p++;
		parts[n].comp = pnstrdup(start, p - start);
		n++;
	}
	if (n == 0)
		return NIL;
	oj_glob_walk("", parts, n, &paths);
	list_sort(paths, oj_cmp_names);
	return paths;
}
