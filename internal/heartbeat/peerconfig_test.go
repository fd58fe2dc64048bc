package heartbeat_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
)

func TestCompareHaresources(t *testing.T) {
	for _, tc := range []struct {
		name         string
		mine, theirs []string
		same         bool
		text         string
	}{
		{"identical", []string{"n1 a b", "n2 c"}, []string{"n1 a b", "n2 c"}, true, "haresources identical on p and here (2 group(s))"},
		{"order", []string{"n1 a b", "n2 c"}, []string{"n2 c", "n1 a b"}, false,
			"haresources of p lists the same groups as ours in another order (start order of groups differs)"},
		{"a group missing there", []string{"n1 a b", "n2 c"}, []string{"n1 a b"}, false,
			`haresources differ from p's: only here: "n2 c"; only on p: none`},
		{"a resource differs", []string{"n1 a b"}, []string{"n1 a B"}, false,
			`haresources differ from p's: only here: "n1 a b"; only on p: "n1 a B"`},
		{"none on either", nil, []string{}, true, "haresources identical on p and here (0 group(s))"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			same, text := heartbeat.CompareHaresources("p", tc.mine, tc.theirs)
			if same != tc.same || text != tc.text {
				t.Errorf("got %v %q, want %v %q", same, text, tc.same, tc.text)
			}
		})
	}
}

// TestPeerConfigEngine: two engines ask each other for an hbd client,
// exchange their groups and compare them: identical, then node2 restarts
// with a haresources that lacks node2's group; both log and show it.
func TestPeerConfigEngine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		c.settle()
		peerConfig := func(name string) string {
			st, err := c.hosts[name].node.Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return st.PeerConfig
		}
		if got, want := peerConfig("node1"), "haresources identical on node2 and here (2 group(s))"; got != want {
			t.Fatalf("node1: %q, want %q\n%s", got, want, c.dumpLogs())
		}
		if got, want := peerConfig("node2"), "haresources identical on node1 and here (2 group(s))"; got != want {
			t.Fatalf("node2: %q, want %q", got, want)
		}
		c.kill("node2")
		time.Sleep(5 * time.Second)
		c.hosts["node2"].hares = "node1 " + vip1 + " httpd\n"
		c.start("node2")
		time.Sleep(15 * time.Second)
		synctest.Wait()
		want1 := `haresources differ from node2's: only here: "node2 ` + vip2 + `"; only on node2: none`
		if got := peerConfig("node1"); got != want1 {
			t.Errorf("node1 after node2's restart: %q, want %q", got, want1)
		}
		if c.hosts["node1"].logs.count(want1) != 1 {
			t.Errorf("node1 did not log %q once\n%s", want1, c.hosts["node1"].logs.dump())
		}
		want2 := `haresources differ from node1's: only here: none; only on node1: "node2 ` + vip2 + `"`
		if got := peerConfig("node2"); got != want2 {
			t.Errorf("node2: %q, want %q", got, want2)
		}
	})
}
