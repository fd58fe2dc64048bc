package check

import (
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// TestIntern: equal options share one copy, different ones do not, and
// the table forgets a copy no one refers to any more.
func TestIntern(t *testing.T) {
	o := Options{Type: ldcf.CheckNegotiate, Service: "http", Request: "/intern-test", Timeout: time.Second}
	a, b := Intern(o), Intern(o)
	if a != b {
		t.Fatalf("Intern gave two copies of equal options: %p %p", a, b)
	}
	o2 := o
	o2.Receive = "ok"
	if c := Intern(o2); c == a || *c != o2 {
		t.Errorf("Intern(%+v) = %p %+v, want a copy of its own", o2, c, *c)
	}
	if *a != o {
		t.Errorf("Intern(%+v) = %+v", o, *a)
	}
	a, b = nil, nil
	waitForgotten(t, fmt.Sprintf("options %+v", o), holds(&interned.Mutex, interned.m, o))
}

// holds reports whether m, guarded by mu, has an entry for k.
func holds[K comparable, V any](mu *sync.Mutex, m map[K]V, k K) func() bool {
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		_, ok := m[k]
		return ok
	}
}

// waitForgotten waits (10 s at most) for a weak table's cleanup to drop
// an entry: the cleanup runs after a collection finds the value
// unreachable.
func waitForgotten(t *testing.T, what string, held func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for held() {
		if time.Now().After(deadline) {
			t.Fatalf("the table still holds %s after its last reference went", what)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReceiveShared: every probe of one receive= pattern shares one
// compiled regexp (10,000 reals used to hold 10,000 copies), and the
// entry goes once nothing refers to the pattern.
func TestReceiveShared(t *testing.T) {
	const pattern = "shared-receive-test [0-9]+"
	opts := Intern(Options{Type: ldcf.CheckNegotiate, Service: "http", Protocol: "tcp", Request: "/", Receive: pattern, Timeout: time.Second})
	p1, ok1 := NewProbe(Target{Real: netip.MustParseAddrPort("192.0.2.1:80"), Port: 80, Options: opts})
	p2, ok2 := NewProbe(Target{Real: netip.MustParseAddrPort("192.0.2.2:80"), Port: 80, Options: opts})
	if !ok1 || !ok2 {
		t.Fatal("NewProbe refused an http negotiate check")
	}
	if p1.re == nil || p1.re != p2.re {
		t.Fatalf("two reals of one check have regexps %p and %p, want one shared", p1.re, p2.re)
	}
	if re, err := compileReceive(pattern); err != nil || re != p1.re {
		t.Errorf("compileReceive(%q) = %p, %v; want the probes' %p", pattern, re, err, p1.re)
	}
	if _, err := compileReceive("("); err == nil {
		t.Error("compileReceive accepted a pattern that does not compile")
	}
	p1, p2 = nil, nil
	waitForgotten(t, fmt.Sprintf("pattern %q", pattern), holds(&receives.Mutex, receives.m, pattern))
}
