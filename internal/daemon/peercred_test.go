package daemon

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// TestPeerCredentials: the handler sees the caller's pid, uid, gid and
// supplementary groups (this test process calls itself); ShareWithGroup
// sets the socket's group and mode 0660.
func TestPeerCredentials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl.sock")
	l, err := ListenControl(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.ShareWithGroup(os.Getgid()); err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&0o777 != 0o660 || int(st.Gid) != os.Getgid() {
		t.Errorf("socket mode %o gid %d, want 660 and %d", st.Mode&0o777, st.Gid, os.Getgid())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan Peer, 1)
	go l.Serve(ctx, func(ctx context.Context, req Request) Response {
		p, ok := PeerFrom(ctx)
		if !ok {
			t.Error("no peer credentials in the handler's context")
		}
		seen <- p
		return Response{OK: true}
	})
	cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ccancel()
	if _, err := Call(cctx, path, Request{Verb: "status"}); err != nil {
		t.Fatal(err)
	}
	p := <-seen
	groups, _ := os.Getgroups()
	var want []uint32
	for _, g := range groups {
		want = append(want, uint32(g))
	}
	if p.PID != int32(os.Getpid()) || p.UID != uint32(os.Getuid()) || p.GID != uint32(os.Getgid()) || !slices.Equal(p.Groups, want) {
		t.Errorf("peer %+v, want pid %d uid %d gid %d groups %v", p, os.Getpid(), os.Getuid(), os.Getgid(), want)
	}
	if !p.InGroup(uint32(os.Getgid())) || p.InGroup(4242424) {
		t.Errorf("InGroup wrong for %+v", p)
	}
}
