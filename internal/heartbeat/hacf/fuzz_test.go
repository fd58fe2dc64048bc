package hacf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func addFixtures(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// checkErrors checks that err is an *Error or ErrorList whose entries name
// the file and a line of it.
func checkErrors(t *testing.T, err error, file string, nlines int) {
	t.Helper()
	var list []*Error
	var el ErrorList
	var one *Error
	switch {
	case errors.As(err, &el):
		list = el
	case errors.As(err, &one):
		list = []*Error{one}
	default:
		t.Fatalf("error %T %v is neither *Error nor ErrorList", err, err)
	}
	for _, e := range list {
		if e.File != file || e.Line < 0 || e.Line > nlines || e.Msg == "" {
			t.Fatalf("bad error %+v (file has %d lines)", e, nlines)
		}
	}
}

func FuzzParseHaCf(f *testing.F) {
	addFixtures(f, "*.ha.cf")
	for _, s := range []string{
		"bcast eth0\nnode a\n",
		"keepalive 500ms\ndeadtime 1.6\nwarntime 800us\ninitdead 0\nucast eth0 10.0.0.1\nnode A,B\n",
		"mcast eth0 225.0.0.1 694 1 0\nping 10.0.0.1\nping_group g 1.1.1.1 h\nnode a\nauto_failback legacy\n",
		"udpport 700\nbcast eth0\nudpport 1\nucast e 1.2.3.4 x\nnode a\nlogfacility none\nuse_logd no\n",
		"respawn hacluster /usr/lib/heartbeat/ipfail -x\napiauth c uid=a,b gid=\nenv A=b\ncrm off\n",
		"nice_failback on\nautojoin other\nquorum_server q\nwatchdog /dev/w\n",
		"\x00bcast\r\n#\n\f\tnode ,x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		c, w, err := ParseHaCf("ha.cf", src)
		nlines := bytes.Count(src, []byte("\n")) + 1
		for _, x := range w {
			if x.File != "ha.cf" || x.Line < 0 || x.Line > nlines || x.Msg == "" {
				t.Fatalf("bad warning %+v", x)
			}
		}
		if err != nil {
			if c != nil {
				t.Fatal("config returned with an error")
			}
			checkErrors(t, err, "ha.cf", nlines)
			return
		}
		if c.Deadtime <= 2*c.Keepalive || c.Keepalive <= 0 {
			t.Fatalf("deadtime %v keepalive %v", c.Deadtime, c.Keepalive)
		}
		if c.Initdead < c.Deadtime || c.Warntime <= 0 || c.Deadping <= 0 {
			t.Fatalf("initdead %v warntime %v deadping %v deadtime %v", c.Initdead, c.Warntime, c.Deadping, c.Deadtime)
		}
		if len(c.Nodes) == 0 || c.Autojoin != AutojoinNone {
			t.Fatalf("nodes %v autojoin %v", c.Nodes, c.Autojoin)
		}
		if n := len(c.Ucast) + len(c.Bcast) + len(c.Mcast) + len(c.Ping) + len(c.PingGroups); n == 0 || n > MaxMedia {
			t.Fatalf("%d media", n)
		}
		seen := map[string]bool{}
		for _, n := range c.Nodes {
			if n.Name == "" || n.Name != strings.ToLower(n.Name) || seen[n.Name] || n.Line < 1 || n.Line > nlines {
				t.Fatalf("bad node %+v", n)
			}
			seen[n.Name] = true
		}
		for _, m := range c.Mcast {
			if m.TTL > 4 || !m.Group.IsMulticast() || m.Port == 0 {
				t.Fatalf("bad mcast %+v", m)
			}
		}
		for _, r := range c.Respawn {
			if !strings.HasPrefix(r.Path, "/") || !strings.HasPrefix(r.Command, r.Path) {
				t.Fatalf("bad respawn %+v", r)
			}
		}
		c2, w2, _ := ParseHaCf("ha.cf", src)
		if diff := cmp.Diff(c, c2, addrCmp); diff != "" || len(w) != len(w2) {
			t.Fatalf("not deterministic (-first +second):\n%s", diff)
		}
	})
}

func FuzzParseAuthKeys(f *testing.F) {
	addFixtures(f, "*.authkeys")
	for _, s := range []string{
		"auth 1\n1 crc\n",
		"auth 0\n0 md5 a b c\n15 sha1 x\n",
		"1 sha1 x\nauth 1\n",
		"auth 1\n1 sha1 a\nauth 2\n",
		"auth+3\n+3sha1 k\n# c\n\r\n",
		"a\n-1 crc\n16 md5 k\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		ak, err := ParseAuthKeys("authkeys", src)
		nlines := bytes.Count(src, []byte("\n")) + 1
		if err != nil {
			if ak != nil {
				t.Fatal("keys returned with an error")
			}
			checkErrors(t, err, "authkeys", nlines)
			return
		}
		if ak.Active < 0 || ak.Active >= MaxAuth {
			t.Fatalf("active %d", ak.Active)
		}
		if _, ok := ak.Keys[ak.Active]; !ok {
			t.Fatalf("active key %d not defined", ak.Active)
		}
		for i, k := range ak.Keys {
			if k.Index != i || k.Line < 1 || k.Line > nlines {
				t.Fatalf("bad key %d: %+v", i, k)
			}
			switch k.Method {
			case CRC:
				if k.Secret != "" {
					t.Fatalf("crc with a secret: %+v", k)
				}
			case MD5, SHA1:
				if k.Secret == "" || strings.ContainsAny(k.Secret, " \t\n\v\f\r") {
					t.Fatalf("bad secret: %+v", k)
				}
			default:
				t.Fatalf("bad method: %+v", k)
			}
		}
	})
}
