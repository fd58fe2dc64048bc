// Package director is ldirectord's engine: per-real health state, the desired
// IPVS table computed from the configuration and that state, the diff against
// the kernel table, and the loop that applies it.
//
// Files by concern:
//   - pure model (no clock, no I/O): target.go (CheckKey: a one-word
//     handle of the real and its interned check options), health.go,
//     desired.go (Desired, Plan), index.go (the same answers per check
//     result, in time proportional to the reals it drives), diff.go (Diff,
//     DiffReal, RepairOps),
//     format.go (ipvsadm -Ln text), messages.go (ldirectord's log lines),
//     alert.go (which change mails what,
//     to whom, and when it repeats: ldirectord's email alerts),
//     maintenance.go (which maintenancedir file names a real), checklog.go
//     (the monitorfile line), routes.go (Routes: the VIP routes to
//     announce over BGP given the health, RouteChanges);
//   - engine: director.go (Config, New, Run, Reload, Status), status.go
//     (the Status snapshot, built from the Run goroutine's state),
//     reconcile.go
//     (the state owned by the reconcile goroutine), scheduler.go (one
//     goroutine with a heap of due checks; a goroutine per check in flight,
//     bounded; connect, plain http and simpletcp checks handed to
//     check.Engine, one epoll loop, under the same bound), command.go (fallbackcommand worker), notify.go (alerts
//     queued from the reconcile goroutine), queue.go (a bounded job queue
//     on its own goroutine: slow mail never blocks a check), maintain.go
//     (reals in maintenance forced down, check log lines queued),
//     observer.go (the Observer told of checks, transitions, IPVS changes
//     and reloads, for metrics: the director imports no metrics library),
//     announce.go (the routes given to the RouteAnnouncer after each
//     transition and full diff, and withdrawn on stop);
//   - effects: kernel.go (the only caller of ipvs.Kernel), exec.go,
//     mail.go (SMTP and the local sendmail), maintdir.go (the maintenance
//     directory polled and reverse DNS, on a goroutine of its own),
//     monitorfile.go (appends the check log).
//
// One goroutine (Run's) owns the configuration, the health table and the
// model of the kernel; checks and fallbackcommands run on their own
// goroutines and talk to it over channels. Status snapshots are built by
// that goroutine when asked, never per check result: at 10000 reals a
// snapshot per result was most of the CPU.
//
// Size: about 3,700 lines, over the ~2,000 guide: ldirectord's engine
// carries, beside the health table, the desired table and the
// reconcile loop, the features ldirectord 4.12 has around them (email
// alerts with repeats, fallbackcommand, the maintenance directory, the
// monitor file) and the route announcements; each is a pure file and an
// engine file of 100-300 lines that read the health table the Run
// goroutine owns, which is why they are not packages of their own.
package director
