//go:build !unix

package safefile

// openFlags is 0 where O_NONBLOCK does not exist; OpenRegular's check of
// the open file still refuses what is not a regular file.
const openFlags = 0
