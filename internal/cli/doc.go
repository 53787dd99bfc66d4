// Package cli implements the esgen command line. [Run] is the whole program;
// cmd/esgen only calls it, so tests drive the CLI in-process.
package cli
