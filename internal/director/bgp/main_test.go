package bgp_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/bgp"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// speakerChildEnv marks the one child process TestGoBGPDiesWithProcess
// starts: in it, TestMain runs a speaker and never the tests, so the test
// binary cannot re-execute itself recursively.
const speakerChildEnv = "BGP_TEST_SPEAKER_CHILD_PORT"

func TestMain(m *testing.M) {
	if port := os.Getenv(speakerChildEnv); port != "" {
		os.Exit(speakerChild(port))
	}
	os.Exit(m.Run())
}

// speakerChild announces 10.1.1.10/32 from 127.0.0.5 to BIRD at
// 127.0.0.1:port, prints "announced", and waits at most a minute to be
// killed.
func speakerChild(port string) int {
	p, err := strconv.Atoi(port)
	if err != nil {
		return 2
	}
	cfg := ldcf.BGP{ASN: 65005, RouterID: netip.MustParseAddr("127.0.0.5"), Peers: []ldcf.BGPPeer{{
		Addr: netip.MustParseAddr("127.0.0.1"), ASN: 65000, HoldTime: 3 * time.Second, Port: uint16(p), Local: netip.MustParseAddr("127.0.0.5"),
	}}}
	g := bgp.NewGoBGP(cfg, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	ctx := context.Background()
	if err := g.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := g.Announce(ctx, netip.MustParsePrefix("10.1.1.10/32")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("announced")
	time.Sleep(time.Minute)
	return 0
}
