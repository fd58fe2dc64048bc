package director

import (
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// TestCheckKeyIdentity: what keeps a check's key (and so its state) and
// what makes a new one, on the same real.
func TestCheckKeyIdentity(t *testing.T) {
	base := func(mods ...func(*ldcf.Virtual)) CheckKey {
		v := virt("10.1.1.10:80", nil, append([]func(*ldcf.Virtual){func(v *ldcf.Virtual) {
			v.CheckType, v.Service, v.Receive = ldcf.CheckNegotiate, "http", "ok"
		}}, mods...)...)
		return CheckKeyFor(v, rl("10.0.0.2:80", 1, ldcf.Gate))
	}
	k := base()
	keeps := map[string]func(*ldcf.Virtual){
		"another virtual":        func(v *ldcf.Virtual) { v.Addr = netip.AddrPortFrom(v.Addr.Addr(), 81) },
		"scheduler":              func(v *ldcf.Virtual) { v.Scheduler = "rr" },
		"a secret http ignores":  func(v *ldcf.Virtual) { v.Secret = "s3cret" },
		"a login http ignores":   func(v *ldcf.Virtual) { v.Login, v.Passwd = "u", "p" },
		"a command http ignores": func(v *ldcf.Virtual) { v.CheckCommand = "/bin/other" },
	}
	if got := CheckKeyFor(virt("10.1.1.10:80", nil, func(v *ldcf.Virtual) {
		v.CheckType, v.Service, v.Receive = ldcf.CheckNegotiate, "http", "ok"
	}), rl("10.0.0.2:80", 5, ldcf.Masq)); got != k {
		t.Errorf("weight and forwarding: new key %+v, want %+v", got, k)
	}
	for name, mod := range keeps {
		if got := base(mod); got != k {
			t.Errorf("%s: new key %+v, want the same as %+v", name, got, k)
		}
	}
	changes := map[string]func(*ldcf.Virtual){
		"request":          func(v *ldcf.Virtual) { v.Request = "/other" },
		"receive":          func(v *ldcf.Virtual) { v.Receive = "other" },
		"httpmethod":       func(v *ldcf.Virtual) { v.HTTPMethod = "HEAD" },
		"virtualhost":      func(v *ldcf.Virtual) { v.VirtualHost = "www" },
		"negotiatetimeout": func(v *ldcf.Virtual) { v.NegotiateTimeout = time.Second },
		"failurecount":     func(v *ldcf.Virtual) { v.FailureCount = 3 },
		"service":          func(v *ldcf.Virtual) { v.Service = "https" },
		"checkport":        func(v *ldcf.Virtual) { v.CheckPort = 8080 },
	}
	for name, mod := range changes {
		if got := base(mod); got == k {
			t.Errorf("%s changed, but the key stayed", name)
		}
	}
}

// TestCheckOptionsReadOnly: a check's options hold what its check reads
// and nothing else, so a secret never reaches another service's checker.
func TestCheckOptionsReadOnly(t *testing.T) {
	v := virt("10.1.1.10:80", nil, func(v *ldcf.Virtual) {
		v.Request, v.Receive, v.VirtualHost = "/x", "ok", "www"
		v.Login, v.Passwd, v.Database, v.Secret, v.CheckCommand = "u", "p", "db", "s", "/bin/chk"
	})
	r := rl("10.0.0.2:80", 1, ldcf.Gate)
	for _, tc := range []struct {
		typ     ldcf.CheckType
		service string
		want    check.Options
	}{
		{ldcf.CheckConnect, "http", check.Options{Type: ldcf.CheckConnect, Protocol: "tcp", Timeout: 5 * time.Second, CheckCount: 1}},
		{ldcf.CheckNegotiate, "http", check.Options{Type: ldcf.CheckNegotiate, Service: "http", Protocol: "tcp", Timeout: 30 * time.Second,
			CheckTimeout: 5 * time.Second, CheckCount: 1, Request: "/x", Receive: "ok", HTTP: check.HTTPOptions{Method: "GET", VirtualHost: "www"}}},
		{ldcf.CheckNegotiate, "radius", check.Options{Type: ldcf.CheckNegotiate, Service: "radius", Protocol: "tcp", Timeout: 30 * time.Second,
			CheckTimeout: 5 * time.Second, CheckCount: 1, Auth: check.Credentials{Login: "u", Passwd: "p"}, Secret: "s"}},
		{ldcf.CheckNegotiate, "pgsql", check.Options{Type: ldcf.CheckNegotiate, Service: "pgsql", Protocol: "tcp", Timeout: 30 * time.Second,
			CheckTimeout: 5 * time.Second, CheckCount: 1, Request: "/x", Auth: check.Credentials{Login: "u", Passwd: "p"}, Database: "db"}},
		{ldcf.CheckExternal, "http", check.Options{Type: ldcf.CheckExternal, Protocol: "tcp", Timeout: 5 * time.Second, CheckCount: 1,
			External: check.ExternalOptions{Command: "/bin/chk", Virtual: v.Addr}}},
	} {
		v.CheckType, v.Service = tc.typ, tc.service
		if got := *TargetFor(v, r).Options; got != tc.want {
			t.Errorf("%s %s: options\n%+v\nwant\n%+v", tc.typ, tc.service, got, tc.want)
		}
	}
}

// TestCheckKeyShared: the reals of one virtual checked alike, and the same
// check under two virtuals, share one copy of the options, and a key is one
// word whatever the options hold (issue 14: the copies of the
// options in the keys cost 18 MB at 10000 reals).
func TestCheckKeyShared(t *testing.T) {
	cfg := parseConf(t, "virtual=10.1.1.10:80\n    real=10.0.0.2:80 gate\n    real=10.0.0.3:80 gate\n    receive=\"ok\"\n"+
		"virtual=10.1.1.11:80\n    real=10.0.0.4:80 masq 2\n    receive=\"ok\"\n")
	a, b := cfg.Virtuals[0], cfg.Virtuals[1]
	ka, kb, kc := CheckKeyFor(a, a.Reals[0]), CheckKeyFor(a, a.Reals[1]), CheckKeyFor(b, b.Reals[0])
	if ka.Target().Options != kb.Target().Options || ka.Target().Options != kc.Target().Options {
		t.Errorf("options not shared: %p %p %p", ka.Target().Options, kb.Target().Options, kc.Target().Options)
	}
	if size := unsafe.Sizeof(CheckKey{}); size != unsafe.Sizeof(uintptr(0)) {
		t.Errorf("CheckKey is %d bytes, want one word", size)
	}
	if CheckKeyFor(a, a.Reals[0]) != ka {
		t.Errorf("the same check gave two keys")
	}
}
