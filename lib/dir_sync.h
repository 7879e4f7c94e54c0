/* dir_sync.h: make a directory's entries durable (a rename or an unlink
   in it reaches the disk). Linux needs this; see doc/design.md, "Crash
   safety". */
#ifndef MXHOLD_LIB_DIR_SYNC_H
#define MXHOLD_LIB_DIR_SYNC_H

/* fsync of the directory at path (relative to dirfd, or AT_FDCWD).
   0, or -1 and errno from open or fsync. */
int mx_dir_sync (int dirfd, char const *path) ;

#endif
