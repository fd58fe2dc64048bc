//go:build vm

package ipvs_test

import (
	"testing"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvstest"
	"github.com/ultramonkey/ultramonkey/test/vm/vmnet"
)

// TestVMConformance runs ipvstest's conformance table against the netlink
// adapter over the VM kernel's IPVS, each case in a fresh namespace: the
// fake must answer what this does (ipvstest.TestConformance).
func TestVMConformance(t *testing.T) {
	ipvstest.Conformance(t, func(t *testing.T) ipvs.Kernel {
		ns := vmnet.NewNS(t, "conf")
		var n *ipvs.Netlink
		if err := ns.Do(func() error {
			var err error
			n, err = ipvs.OpenNetlink()
			return err
		}); err != nil {
			t.Fatalf("OpenNetlink in %s: %v", ns, err)
		}
		t.Cleanup(func() { n.Close() })
		return n
	})
}
