package director

import "github.com/ultramonkey/ultramonkey/internal/director/check"

// Observer is told what the director does, for metrics (cmd/ldirectord
// turns it into Prometheus counters and histograms; the gauges come from
// Status). Every method is called from the reconcile goroutine, in order,
// and must not block.
type Observer interface {
	// CheckDone reports one check result (its Duration included).
	CheckDone(t check.Target, r check.Result)
	// RealChanged reports a health transition of the real t checks.
	RealChanged(t check.Target, tr Transition)
	// KernelOp reports one IPVS change and its error (nil: applied).
	KernelOp(op Op, err error)
	// Reloaded reports that a new configuration is in force.
	Reloaded()
}

// noObserver is the Observer of a Config without one.
type noObserver struct{}

func (noObserver) CheckDone(check.Target, check.Result) {}
func (noObserver) RealChanged(check.Target, Transition) {}
func (noObserver) KernelOp(Op, error)                   {}
func (noObserver) Reloaded()                            {}
