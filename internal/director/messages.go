package director

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// Log lines users grep for, with ldirectord 4.12's exact wording
// (ldirectord.in: _restore_service, _remove_service, _service_up,
// _service_down, purge_untracked_service, purge_virtual, ld_start).
// The %s/%d operands follow ldirectord: the tag ("real" or "fallback"),
// the real "ip:port", the virtual "ip:port" or fwmark, the weight.
const (
	msgAdded          = "Added %s server: %s (%s) (Weight set to %d)"
	msgRestored       = "Restored %s server: %s (%s) (Weight set to %d)"
	msgQuiescent      = "Quiescent %s server: %s (%s) (Weight set to 0)"
	msgReaddQuiescent = "Readd Quiescent %s server: %s (%s) (Weight set to 0)"
	msgDeleted        = "Deleted %s server: %s (%s)"
	msgPurgedReal     = "Purged real server (%s): %s (%s)"
	msgSoftFailure    = "Soft failure real server: %s (%s) failure %d/%d"
	msgResetSoft      = "Resetting soft failure count: %s (%s)"
	msgAddedVirtual   = "Added virtual server: %s"
	msgChangedVirtual = "Changed virtual server: %s"
	msgPurgedVirtual  = "Purged virtual server (%s): %s"
	msgEmailAlert     = "emailalert: %s"
	msgSMTPFailed     = "failed to send SMTP email message"
	msgMailFailed     = "failed to send email message"
)

// Phases name why a full diff runs; ldirectord uses the tag in its
// "Purged ... (start)" and "(stop)" lines.
const (
	phaseStart  = "start"  // start-up and reload (ldirectord runs ld_start for both)
	phaseRepair = "repair" // periodic drift repair (ours)
	phaseStop   = "stop"   // cleanstop
	phaseEvent  = ""       // a health transition
)

// virtualName is ldirectord's get_virtual: "ip:port", or the fwmark.
func virtualName(k ipvs.ServiceKey) string {
	if k.IsFWMark() {
		return strconv.FormatUint(uint64(k.FWMark), 10)
	}
	return k.Addr.String()
}

// virtualID is ldirectord's get_virtual_id_str: "tcp:ip:port", "fwm:80".
func virtualID(v *ldcf.Virtual) string {
	if v.FWMark != 0 {
		if v.IPv6 {
			return "fwm6:" + strconv.FormatUint(uint64(v.FWMark), 10)
		}
		return "fwm:" + strconv.FormatUint(uint64(v.FWMark), 10)
	}
	return v.Protocol + ":" + v.Addr.String()
}

// opMessage returns the ldirectord log line of an applied op in phase.
func opMessage(op Op, phase string) string {
	vs := virtualName(op.Service.Key)
	tag := "real"
	if op.Role == RoleFallback {
		tag = "fallback"
	}
	r := op.Real
	switch op.Kind {
	case AddService:
		return fmt.Sprintf(msgAddedVirtual, vs)
	case UpdateService:
		return fmt.Sprintf(msgChangedVirtual, vs)
	case DelService:
		return fmt.Sprintf(msgPurgedVirtual, phaseOr(phase), vs)
	case AddReal:
		if r.Weight > 0 {
			return fmt.Sprintf(msgAdded, tag, r.Addr, vs, r.Weight)
		}
		if phase == phaseStart {
			return fmt.Sprintf(msgQuiescent, tag, r.Addr, vs)
		}
		return fmt.Sprintf(msgReaddQuiescent, tag, r.Addr, vs)
	case UpdateReal:
		if r.Weight > 0 {
			return fmt.Sprintf(msgRestored, tag, r.Addr, vs, r.Weight)
		}
		return fmt.Sprintf(msgQuiescent, tag, r.Addr, vs)
	case DelReal:
		if op.Role == 0 {
			return fmt.Sprintf(msgPurgedReal, phaseOr(phase), r.Addr, vs)
		}
		return fmt.Sprintf(msgDeleted, tag, r.Addr, vs)
	}
	return op.String()
}

func phaseOr(phase string) string {
	if phase == phaseEvent {
		return phaseRepair
	}
	return phase
}

func softFailureMessage(real netip.AddrPort, v *ldcf.Virtual, failures int) string {
	return fmt.Sprintf(msgSoftFailure, real, virtualID(v), failures, max(v.FailureCount, 1))
}

func resetSoftMessage(real netip.AddrPort, v *ldcf.Virtual) string {
	return fmt.Sprintf(msgResetSoft, real, virtualID(v))
}
