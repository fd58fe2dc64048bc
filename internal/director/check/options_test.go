package check

import (
	"net/netip"
	"runtime"
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
	// The cleanup runs after a collection finds the copy unreachable.
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		interned.Lock()
		_, held := interned.m[o]
		interned.Unlock()
		if !held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the table still holds %+v after its last reference went", o)
		}
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
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		receives.Lock()
		_, held := receives.m[pattern]
		receives.Unlock()
		if !held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cache still holds %q after its last probe went", pattern)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
