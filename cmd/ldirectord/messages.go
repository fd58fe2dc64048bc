package main

// Text that users and scripts rely on, with ldirectord 4.12's exact words
// (ldirectord.in: ld_init, init_error, ld_process_term, ld_process_hup,
// check_cfgfile, __config_log, ld_exit), and the exit codes of ld_init.

// versionText is what -v prints (ldirectord's $VERSION_STR and blurb).
const versionText = "Linux Director v1.186-ha\n" +
	"1999-2006 Jacob Rief, Horms and others\n" +
	"<http://www.vergenet.net/linux/ldirectord/>\n" +
	"\n" +
	"ldirectord comes with ABSOLUTELY NO WARRANTY.\n" +
	"This is free software, and you are welcome to redistribute it\n" +
	"under certain conditions. See the GNU General Public Licence for details.\n" +
	"(Go re-implementation: github.com/ultramonkey/ultramonkey)\n"

// versionStr is ldirectord's $VERSION_STR, used in its "Starting" line.
const versionStr = "Linux Director v1.186-ha"

// usageText is printed by -h and, on stderr, for a bad command line.
const usageText = `Usage: ldirectord [-d|--debug] [--foreground] [--rundir DIR] [--metrics-address HOST:PORT] [--] [configfile]
           start|stop|restart|try-restart|reload|force-reload|status [--json]
       ldirectord [configfile] check        (or: ldirectord -t [configfile])
       ldirectord -h|--help|-v|-V|--version

configfile defaults to ldirectord.cf; a relative name is looked up as
/etc/ha.d/<name>, then /etc/ha.d/conf/<name>, then as a path.

  -d, --debug     run in the foreground, log to stderr at debug level
  --foreground    run in the foreground, log to logfile= (for systemd)
  --rundir DIR    directory of the pid file and control socket (default /run)
  --json          status: print JSON instead of the table
  --metrics-address HOST:PORT
                  serve Prometheus metrics on http://HOST:PORT/metrics (start;
                  default $LDIRECTORD_METRICS_ADDRESS, else none); a malformed
                  or busy address exits 2 before IPVS is touched
  -t              check: validate the file, print the IPVS plan, touch nothing
  -v, -V, --version  ldirectord 4.12's version text, then this build's
                  version, VCS revision and Go version

Exit codes: 0 ok; 1 init error or not running (reload), stale pid (status);
2 configuration error; 3 stopped (status); 255 bad command line.
`

// Exit codes (ldirectord ld_init, config_error, init_error, usage).
const (
	exitOK       = 0
	exitInit     = 1   // init_error: file missing, pid file or socket, no IPVS; reload when stopped; stale pid
	exitConfig   = 2   // config_error
	exitStopped  = 3   // status: not running
	exitUsage    = 255 // pod2usage(-exitval => -1)
	exitStalePid = 1
)

// Log and status lines with ldirectord's words.
const (
	msgInvoked      = "Invoking ldirectord invoked as: %s"
	msgStartingFG   = "Starting " + versionStr + " with pid: %d"
	msgStartingBG   = "Starting " + versionStr + " as daemon"
	msgTerminated   = "Linux Director Daemon terminated on signal: %s"
	msgReloading    = "Reloading Linux Director Daemon config on signal"
	msgCfgChanged   = "Configuration file '%s' has changed on disk"
	msgCfgReread    = " - reread new configuration"
	msgCfgIgnore    = " - ignore new configuration"
	msgConfigError  = "Error [%d] reading file %s at line %d: %s"
	msgConfigWarn   = "Warning [%d] reading file %s at line %d: %s"
	msgExitStatus   = "Exiting with exit_status %d: %s"
	msgRunning      = "ldirectord for %s is running with pid: %d"
	msgStopped      = "ldirectord is stopped for %s"
	msgStalePid     = "ldirectord stale pid file %s for %s"
	msgNotFound     = "Config file %s not found"
	msgKeepRunning  = "configuration not reloaded: the running configuration stays"
	msgNotChecked   = "%s:%d: checktype %s: %s; its reals will be reported down"
	msgStopTimedOut = "ldirectord for %s (pid %d) did not exit within %s"
)
