package resources

// Log texts users grep for, word for word from Heartbeat 3.0.6
// heartbeat/lib/ResourceManager.in (ha_log lines without their "info:",
// "CRIT:" prefix, which becomes the slog level) and the resource-agents
// IPaddr script. Each is a fmt format.
const (
	msgAcquiring       = "Acquiring resource group: %s"
	msgGivingUp        = "Giving up resources due to failure of %s"
	msgReleasing       = "Releasing resource group: %s"
	msgRetryStop       = "Retrying failed stop operation [%s]"
	msgNotLSB          = "Resource script for %s probably not LSB-compliant."
	msgMustSucceed     = "it (%s) MUST succeed on a stop when already stopped"
	msgRebootAvoided   = "Machine reboot narrowly avoided!"
	msgStopFailure     = "Resource STOP failure. Reboot required!"
	msgRunning         = "Running %s"
	msgReturnCode      = "Return code %d from %s"
	msgCannotLocate    = "Cannot locate resource script %s"
	msgSendingGARP     = "Sending Gratuitous Arp for %s on %s [%s]"
	msgCouldNotSendARP = "Could not send gratuitous arps. %v"
	msgIPNotReleased   = "IP Address %s NOT released"
)

// Log texts of hbd's resource monitor (monitor.go); Heartbeat v1 has no
// monitor, so these are hbd's own words.
const (
	msgNotRunning    = "%s is not running: restarting it"
	msgRestartFailed = "restart of %s failed: %v"
)

// Log texts of hbd's built-in agents that Heartbeat had as scripts.
const (
	// msgShadowedScript: a resource.d script of a built-in's name is not
	// run; the built-in has a standby role the script never had.
	msgShadowedScript = "%s is not run: hbd's built-in %s agent replaces it (remove the script to silence this warning)"
)
