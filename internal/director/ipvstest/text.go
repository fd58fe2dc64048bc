package ipvstest

import (
	"slices"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// The ipvsadm -Ln text is package ipvs's (text.go); these names keep the
// fake's callers short.

// Header is the three-line heading of ipvsadm -Ln (ipvs.Header).
const Header = ipvs.Header

// Entry is one service with its reals, as Format takes them (ipvs.Entry).
type Entry = ipvs.Entry

// String renders the table as ipvsadm -Ln prints it, services in key order.
func (k *Kernel) String() string {
	svcs, _ := k.snapshot()
	return Header + Format(svcs)
}

func (k *Kernel) snapshot() ([]Entry, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]Entry, 0, len(k.services))
	for _, s := range k.services {
		out = append(out, Entry{Service: s.svc, Reals: slices.Clone(s.reals)})
	}
	slices.SortFunc(out, func(a, b Entry) int { return CompareKeys(a.Service.Key, b.Service.Key) })
	return out, nil
}

// Format renders entries in ipvsadm -Ln's body layout (ipvs.FormatText).
func Format(entries []Entry) string { return ipvs.FormatText(entries) }

// Load replaces the table with the one described by text, in the layout
// ipvs.ParseText reads (ipvsadm -Ln's, counters and header optional).
// Ports are taken as written (no rewrite) and the op log is not touched.
func (k *Kernel) Load(text string) error {
	entries, err := ipvs.ParseText(text)
	if err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.services = map[ipvs.ServiceKey]*service{}
	for _, e := range entries {
		k.services[e.Service.Key] = &service{svc: e.Service, reals: e.Reals}
	}
	return nil
}

// Parse reads text in the layout Load accepts (ipvs.ParseText).
func Parse(text string) ([]Entry, error) { return ipvs.ParseText(text) }
