// Package archtest holds the test that keeps the import direction of
// docs/ARCHITECTURE.md: packages import only lower layers. It has no code.
package archtest
