package ipvs

// This file reads the kernel's IPVS connection table from /proc; the
// parser is the pure conntable.go.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// connSyncPath is the connection table of the calling thread's network
// namespace. /proc/net is /proc/self/net, which follows the namespace of
// the process's main thread: a Go thread locked into another namespace
// must read /proc/thread-self/net instead.
const connSyncPath = "/proc/thread-self/net/ip_vs_conn_sync"

// ReadConns returns the IPVS connection table of the network namespace of
// the calling OS thread, from /proc/thread-self/net/ip_vs_conn_sync (the
// format that tells synced entries from local ones). A kernel without
// IPVS gives an error wrapping ErrNoIPVS. An empty table is an empty,
// non-nil slice.
func ReadConns() ([]Conn, error) {
	b, err := os.ReadFile(connSyncPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read ipvs connections: %w (%v)", ErrNoIPVS, err)
		}
		return nil, fmt.Errorf("read ipvs connections: %w", err)
	}
	return ParseConns(connSyncPath, b)
}
