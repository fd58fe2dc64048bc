package check

import (
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
