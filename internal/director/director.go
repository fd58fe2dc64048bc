package director

import (
	"cmp"
	"context"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// Config holds the director's dependencies and tunables.
type Config struct {
	// Kernel is the IPVS table to reconcile (required).
	Kernel ipvs.Kernel
	// Checkers maps check types to checkers; nil means check.Default().
	Checkers check.Registry
	// Logger receives ldirectord's log lines; nil means slog.Default().
	Logger *slog.Logger
	// RunCommand runs fallbackcommand; nil means ExecCommand.
	RunCommand func(ctx context.Context, argv []string) error
	// RepairInterval is the period of the full diff that repairs drift; 0
	// means 60 s.
	RepairInterval time.Duration
	// MaxInFlight bounds the checks running at once; 0 means 1024.
	MaxInFlight int
	// Jitter returns the random delay added before each check of a real
	// checked every interval; nil means uniform in [0, min(interval/10, 1 s)].
	Jitter func(interval time.Duration) time.Duration
	// SendMail delivers alert mails (emailalert=); nil means
	// MailDelivery{}.Send. It runs on a goroutine of its own.
	SendMail func(ctx context.Context, m Mail) error
	// Hostname and User name the sender of alert mails ("ldirectord host:",
	// MAIL FROM user@host); "" means this host's name and the current user.
	Hostname, User string
	// MaintenancePoll is how often maintenancedir is listed; 0 means 1 s.
	MaintenancePoll time.Duration
	// LookupAddr resolves a real's address to names for maintenance files
	// named after hosts; nil means net.DefaultResolver.LookupAddr. It is
	// called from the maintenance watcher's goroutine only.
	LookupAddr func(ctx context.Context, addr string) ([]string, error)
	// Pid is written in monitorfile lines; 0 means this process's.
	Pid int
	// Observer is told of checks, transitions, IPVS changes and reloads
	// (metrics); nil tells no one.
	Observer Observer
	// Routes is told the VIP routes to announce (BGP route health
	// injection); nil announces nothing.
	Routes RouteAnnouncer
}

// defaultMaxInFlight bounds concurrent checks. A check in flight costs a
// goroutine and a socket; a hanging real holds its slot for its whole
// timeout, so at negotiatetimeout 3 s and checkinterval 1 s one hanging
// real occupies about 3/4 of a slot. 1024 lets hundreds of reals hang
// before a healthy one waits, far below Go's raised file limit.
const defaultMaxInFlight = 1024

// Director is ldirectord's engine. Create it with New and start it with Run.
type Director struct {
	c Config

	reloadSig chan struct{}

	mu      sync.Mutex
	pending *ldcf.Config // set by Reload, taken by Run
	// While Run is running, Status asks it through statusReq (closed
	// runDone: Run has returned); otherwise it returns status, the
	// snapshot Run left. Building a snapshot walks every real, so Run
	// builds one only when asked, never per check result.
	statusReq chan chan Status
	runDone   chan struct{}
	status    Status
}

// New returns a Director; it starts nothing (Run does).
func New(c Config) *Director {
	if c.Checkers == nil {
		c.Checkers = check.Default()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Logger = c.Logger.With("component", "ldirectord")
	if c.RunCommand == nil {
		c.RunCommand = ExecCommand
	}
	if c.RepairInterval <= 0 {
		c.RepairInterval = 60 * time.Second
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = defaultMaxInFlight
	}
	if c.Jitter == nil {
		c.Jitter = defaultJitter
	}
	if c.SendMail == nil {
		c.SendMail = MailDelivery{}.Send
	}
	if c.MaintenancePoll <= 0 {
		c.MaintenancePoll = defaultMaintenancePoll
	}
	if c.LookupAddr == nil {
		c.LookupAddr = net.DefaultResolver.LookupAddr
	}
	if c.Pid == 0 {
		c.Pid = defaultPid()
	}
	if c.Observer == nil {
		c.Observer = noObserver{}
	}
	if c.Hostname == "" || c.User == "" {
		id := localIdentity()
		c.Hostname, c.User = cmp.Or(c.Hostname, id.Host), cmp.Or(c.User, id.User)
	}
	return &Director{c: c, reloadSig: make(chan struct{}, 1)}
}

// Run reconciles the kernel with cfg until ctx is done: a full diff at
// start, then one op per health transition, a full diff on Reload and every
// RepairInterval. It never stops on a kernel error: the error is logged and
// the next full diff retries. When ctx is done it stops the checks and, for
// virtuals with cleanstop=yes, removes the reals it wrote and the services
// it created, and nothing else. The returned error reports cleanstop
// failures only.
func (d *Director) Run(ctx context.Context, cfg *ldcf.Config) error {
	checkCtx, stopChecks := context.WithCancel(ctx)
	defer stopChecks()
	results := make(chan checkResult, 64)
	sched := newScheduler(checkCtx, d.c, results)
	engineReady, engine := sched.engineResults()
	var taken []check.ProbeResult
	cmds := newCommander(checkCtx, d.c)
	mail := newJobQueue("emailalert", mailQueueSize, d.c.Logger)
	checkLog := newJobQueue("monitorfile", checkLogQueueSize, d.c.Logger)
	e := newEngine(d.c, cfg, cmds, mail, checkLog)
	var maint *maintenanceWatcher
	watchMaintenance := func() {
		maint.stop()
		maint = nil
		if dir := e.cfg.Global.MaintenanceDir; dir != "" {
			files, _ := readMaintenanceDir(dir) // the watcher logs errors
			e.setMaintenance(maintenanceView{Files: files, Names: e.maintView.Names}, false)
			maint = startMaintenanceWatcher(checkCtx, d.c, dir, e.maintenanceAddrs())
		} else {
			e.setMaintenance(maintenanceView{}, false)
		}
	}
	defer func() { maint.stop() }()
	watchMaintenance()

	e.fullSync(phaseStart)
	e.daemonState = statusRunning
	sched.set(e.checks())
	statusReq := d.serveStatus()

	repair := time.NewTicker(d.c.RepairInterval)
	defer repair.Stop()
	var retry <-chan time.Time
	var resend *time.Ticker // runs while alerts are to be repeated
	defer func() {
		if resend != nil {
			resend.Stop()
		}
	}()
	for {
		if e.dirty && retry == nil {
			retry = time.After(e.nextBackoff())
		}
		resend = e.resendTicker(resend)
		select {
		case <-ctx.Done():
			stopChecks()
			sched.wait()
			cmds.wait()
			maint.stop()
			maint = nil
			err := e.stop()
			mail.close(mailStopGrace)
			checkLog.close(mailStopGrace)
			d.stopServingStatus(e.status())
			return err
		case reply := <-statusReq:
			reply <- e.status()
		case res := <-results:
			e.observe(res)
		case <-engineReady:
			taken = engine.Take(taken[:0])
			for _, r := range taken {
				e.observe(checkResult{key: r.Tag.(CheckKey), result: r.Result})
			}
		case <-d.reloadSig:
			if next := d.takePending(); next != nil {
				e.reload(next, watchMaintenance)
				sched.set(e.checks())
			}
		case <-repair.C:
			e.fullSync(phaseRepair)
			// A full sync holds the table three times for a moment (the
			// model it replaces, the kernel's read anew, the desired one).
			// Collecting now, when two of them are garbage, keeps a
			// collection that fell inside the sync from setting the heap
			// goal from them; one collection a RepairInterval.
			runtime.GC()
		case <-retry:
			retry = nil
			e.fullSync(phaseRepair)
		case <-tickerC(resend):
			e.resendAlerts()
		case view := <-maint.C():
			e.setMaintenance(view, true)
		}
	}
}

// Reload hands Run a new configuration. Check state is kept for every check
// whose CheckKey is unchanged; the kernel gets a full diff that never
// deletes and re-creates what stays. Safe to call from any goroutine; only
// the latest of several pending reloads is applied.
func (d *Director) Reload(cfg *ldcf.Config) {
	d.mu.Lock()
	d.pending = cfg
	d.mu.Unlock()
	select {
	case d.reloadSig <- struct{}{}:
	default:
	}
}

func (d *Director) takePending() *ldcf.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	cfg := d.pending
	d.pending = nil
	return cfg
}

// Status returns a snapshot of the virtuals, reals and their check state:
// Run's current state while it runs, else what it left when it returned
// (zero before the first Run). Safe to call from any goroutine.
func (d *Director) Status() Status {
	d.mu.Lock()
	req, done, last := d.statusReq, d.runDone, d.status
	d.mu.Unlock()
	if req == nil {
		return last
	}
	reply := make(chan Status, 1)
	select {
	case req <- reply:
		return <-reply // Run answers every request it takes before it returns
	case <-done:
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.status
	}
}

// serveStatus makes Status ask the Run loop; it returns the loop's end of
// the request channel.
func (d *Director) serveStatus() chan chan Status {
	req := make(chan chan Status)
	d.mu.Lock()
	d.statusReq, d.runDone = req, make(chan struct{})
	d.mu.Unlock()
	return req
}

// stopServingStatus leaves final as the snapshot and releases callers
// waiting on the Run loop.
func (d *Director) stopServingStatus(final Status) {
	d.mu.Lock()
	d.status = final
	close(d.runDone)
	d.statusReq, d.runDone = nil, nil
	d.mu.Unlock()
}
