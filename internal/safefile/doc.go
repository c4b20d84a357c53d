// Package safefile reads and writes files so that a hostile path cannot hang
// or exhaust the process and a failed or interrupted run leaves nothing
// behind.
//
// # Reading
//
// ReadRegular reads only regular files, up to a size limit: a folder, a
// device such as /dev/zero, a FIFO (whose open would block) or a socket is
// refused by a check before the open, and again on the open file.
// OpenRegular opens a regular file for a reader that streams it (data sets,
// images); its open does not block on a FIFO either.
//
// # Writing
//
// Every output is first a temporary beside its target, and a Set renames its
// temporaries into place only when the caller commits, after the whole run
// succeeded. A temporary for target DIR/NAME is DIR/.NAME.tmp-PID-RAND (PID
// the writing process, RAND 8 hex digits): in the same folder, so the rename
// is atomic; hidden; and recognizable, so that a later run can remove the
// ones a killed process left (CleanStale removes only names of exactly this
// pattern whose PID is no running process, or is this process's own on a
// temporary it does not hold: a container's entry point has the same PID
// every run). Files are created with mode
// 0644 and folders with 0755, both less the umask, as os.Create would.
//
// # Signals
//
// Every temporary not yet committed or discarded is registered process-wide.
// RemoveAll deletes them all; a command line calls it from its SIGINT/SIGTERM
// handler before exiting. Commit holds the same lock while it renames, so an
// interrupt never splits a Set's commit from its cleanup.
package safefile
