//go:build !unix

package dataset

// openFlags is 0 where O_NONBLOCK does not exist; the descriptor check in
// openRegular still refuses what is not a regular file.
const openFlags = 0
