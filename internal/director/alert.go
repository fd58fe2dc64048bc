package director

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// This file is ldirectord's email alerts as values (ldirectord.in:
// ld_emailalert_send, ld_emailalert_net_smtp, ld_emailalert_resend,
// _ld_virtual_server_details): which change of the table mails what, to
// whom, in which daemon state, and when an alert is repeated. It is pure;
// mail.go delivers, notify.go and queue.go queue.

// Daemon states, as ldirectord's daemon_status_str names them: what
// emailalertstatus filters on and what the mail's Daemon-Status says.
const (
	statusStarting  = "starting"
	statusRunning   = "running"
	statusStopping  = "stopping"
	statusReloading = "reloading"
)

// msgInaccessible is the subject of a repeated alert (ld_emailalert_resend).
const msgInaccessible = "Inaccessible real server: %s"

// Mail is one alert, ready to deliver.
type Mail struct {
	// Relay is smtp= as host:port; "" sends through the local sendmail, as
	// ldirectord's Mail::Send did when smtp was unset.
	Relay string
	// EnvelopeFrom is ldirectord's MAIL FROM, user@hostname.
	EnvelopeFrom string
	// Rcpt are the bare recipient addresses of emailalert=.
	Rcpt []string
	// Subject is the alert's subject, for logs.
	Subject string
	// Message is the whole message, headers and body, with "\n" line
	// endings (the SMTP client writes CRLF).
	Message []byte
}

// alertIdentity is who sends alerts: the host named in the mail and the
// envelope sender user@host.
type alertIdentity struct {
	Host string // ldirectord: Sys::Hostname
	User string // ldirectord: getpwuid($<)
}

// alertSubject is the subject of the alert for an applied op, or "" when
// ldirectord sends none: it mails every change of a real or fallback
// server (the same words as the log line, except that a re-added quiescent
// real is mailed as "Quiescent ..."), and nothing for virtual services.
func alertSubject(op Op, phase string) string {
	switch op.Kind {
	case AddReal, UpdateReal, DelReal:
	default:
		return ""
	}
	if op.Kind == AddReal && op.Real.Weight == 0 && phase != phaseStart {
		tag := "real"
		if op.Role == RoleFallback {
			tag = "fallback"
		}
		return fmt.Sprintf(msgQuiescent, tag, op.Real.Addr, virtualName(op.Service.Key))
	}
	return opMessage(op, phase)
}

// alertDown reports whether op takes a configured server out of service
// in a way ldirectord repeats every emailalertfreq seconds until it comes
// back: _remove_service passes $currenttime for a quiescent real or
// fallback and for a deleted real, 0 for a deleted fallback; purges and
// restores pass 0.
func alertDown(op Op) bool {
	switch {
	case op.Role == 0:
		return false
	case op.Kind == DelReal:
		return op.Role == RoleReal
	default:
		return op.Real.Weight == 0 && (op.Kind == AddReal || op.Kind == UpdateReal)
	}
}

// alertWanted reports whether v mails in the daemon state status
// (emailalertstatus: "all", "none" or a comma list of states).
func alertWanted(v *ldcf.Virtual, status string) bool {
	switch v.EmailAlertStatus {
	case "", "all":
		return true
	case "none":
		return false
	}
	for _, s := range strings.Split(v.EmailAlertStatus, ",") {
		if s == status {
			return true
		}
	}
	return false
}

// composeAlert builds the mail ldirectord's ld_emailalert_net_smtp sends
// for subject about v in the daemon state status, or false when v has no
// emailalert= or its emailalertstatus excludes status. from is the global
// emailalertfrom ("" = user@host).
//
// The message is ldirectord's word for word: From, To and Subject headers
// (we add Date, which RFC 5322 requires), then
//
//	ldirectord host: <host>
//	Log-Message: <subject>
//	Daemon-Status: <status>
//
// and, when servicename= or comment= is set, a blank line and
// "Service name: ..." / "Comment: ..." lines. A servicename also prefixes
// the subject with "[name] ".
func composeAlert(v *ldcf.Virtual, from, subject, status string, id alertIdentity, now time.Time) (Mail, bool) {
	if v.EmailAlert == "" || !alertWanted(v, status) {
		return Mail{}, false
	}
	rcpt, err := ldcf.Recipients(v.EmailAlert)
	if err != nil || len(rcpt) == 0 {
		return Mail{}, false // ldcf accepted it, so this does not happen
	}
	envelope := id.User + "@" + id.Host
	if from == "" {
		from = envelope
	}
	if v.ServiceName != "" {
		subject = "[" + v.ServiceName + "] " + subject
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\nTo: %s\nSubject: %s\nDate: %s\n\n", oneLine(from), oneLine(v.EmailAlert), oneLine(subject), now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "ldirectord host: %s\nLog-Message: %s\nDaemon-Status: %s\n", id.Host, subject, status)
	if details := virtualDetails(v); details != "" {
		fmt.Fprintf(&b, "\n%s\n", details)
	}
	relay := ""
	if v.SMTP != "" {
		relay = ldcf.SMTPAddress(v.SMTP)
	}
	return Mail{Relay: relay, EnvelopeFrom: envelope, Rcpt: rcpt, Subject: subject, Message: []byte(b.String())}, true
}

// virtualDetails is _ld_virtual_server_details.
func virtualDetails(v *ldcf.Virtual) string {
	var b strings.Builder
	if v.ServiceName != "" {
		fmt.Fprintf(&b, "Service name: %s\n", v.ServiceName)
	}
	if v.Comment != "" {
		fmt.Fprintf(&b, "Comment: %s\n", v.Comment)
	}
	return b.String()
}

// oneLine keeps a header value on one line.
func oneLine(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }

// alertKey names one real of one virtual service for repeated alerts.
type alertKey struct {
	svc  ipvs.ServiceKey
	real netip.AddrPort
}

// alertRepeat is a real that is out of service and mailed about.
type alertRepeat struct {
	v    *ldcf.Virtual
	last time.Time // when it was last mailed (or would have been)
}

// alertRepeats is ldirectord's %EMAILSTATUS: the reals to mail about again
// every emailalertfreq seconds while they stay down. Pure: the caller
// passes the time.
type alertRepeats map[alertKey]alertRepeat

// note records an alert for op about v at now: a real going out of
// service starts repeating (if v has an emailalertfreq), anything else
// about that real stops it (ld_emailalert_send's EMAILSTATUS update).
func (r alertRepeats) note(op Op, v *ldcf.Virtual, now time.Time) {
	k := alertKey{svc: op.Service.Key, real: op.Real.Addr}
	if alertDown(op) && v.EmailAlertFreq > 0 {
		r[k] = alertRepeat{v: v, last: now}
		return
	}
	delete(r, k)
}

// due returns the subjects and virtuals of the alerts to repeat at now and
// marks them sent (ld_emailalert_resend).
func (r alertRepeats) due(now time.Time) []dueAlert {
	var out []dueAlert
	for k, a := range r {
		if now.Sub(a.last) < a.v.EmailAlertFreq {
			continue
		}
		r[k] = alertRepeat{v: a.v, last: now}
		id := fmt.Sprintf("%s (%s)", k.real, virtualName(k.svc))
		out = append(out, dueAlert{v: a.v, subject: fmt.Sprintf(msgInaccessible, id)})
	}
	return out
}

// retain drops repeats of virtuals no longer configured and points the
// others at their new configuration (a reload).
func (r alertRepeats) retain(byKey map[ipvs.ServiceKey]*ldcf.Virtual) {
	for k, a := range r {
		v, ok := byKey[k.svc]
		if !ok || v.EmailAlertFreq <= 0 {
			delete(r, k)
			continue
		}
		r[k] = alertRepeat{v: v, last: a.last}
	}
}

// dueAlert is a repeated alert to send.
type dueAlert struct {
	v       *ldcf.Virtual
	subject string
}
