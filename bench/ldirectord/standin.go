package ldbench

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// The ipvsadm stand-in: a table kept in a file, changed and listed with
// ipvsadm's arguments and output, every call logged with its time. Perl
// ldirectord runs it in place of /sbin/ipvsadm on a host without IPVS.

// StandinEnv names the environment variables of the stand-in: the state
// file and the call log.
const (
	StandinStateEnv = "IPVSADM_STANDIN_STATE"
	StandinLogEnv   = "IPVSADM_STANDIN_LOG"
)

type siService struct {
	proto, key, sched string // "TCP", "10.255.0.1:80", "wrr"
	persistent        string // "" or seconds
	reals             []siReal
}

type siReal struct {
	addr, fwd string // "127.1.0.1:80", "Route"
	weight    int
	upper     int
	lower     int
}

type siTable struct{ svcs []*siService }

func (t *siTable) find(proto, key string) (*siService, int) {
	for i, s := range t.svcs {
		if s.proto == proto && s.key == key {
			return s, i
		}
	}
	return nil, -1
}

func (s *siService) find(addr string) int {
	for i, r := range s.reals {
		if r.addr == addr {
			return i
		}
	}
	return -1
}

// siArgs is one parsed ipvsadm command line.
type siArgs struct {
	cmd                  string // A E D a e d L C
	proto, key           string
	sched, persistent    string
	real, fwd            string
	weight, upper, lower string
	thresholds           bool
}

func parseSIArgs(argv []string) (siArgs, error) {
	a := siArgs{fwd: "Route"}
	next := func(i *int) (string, error) {
		if *i+1 >= len(argv) {
			return "", fmt.Errorf("option %s needs a value", argv[*i])
		}
		*i++
		return argv[*i], nil
	}
	var err error
	for i := 0; i < len(argv) && err == nil; i++ {
		switch o := argv[i]; o {
		case "-A", "-E", "-D", "-a", "-e", "-d", "-L", "-l", "-C":
			a.cmd = strings.ToUpper(o[1:2])
			if o == "-a" || o == "-e" || o == "-d" {
				a.cmd = o[1:2]
			}
			if o == "-l" {
				a.cmd = "L"
			}
		case "-Ln":
			a.cmd = "L"
		case "-n":
		case "--thresholds":
			a.thresholds = true
		case "-t", "-u", "-f":
			a.proto = map[string]string{"-t": "TCP", "-u": "UDP", "-f": "FWM"}[o]
			a.key, err = next(&i)
		case "-s":
			a.sched, err = next(&i)
		case "-p":
			a.persistent = "300"
			if i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "-") {
				a.persistent, err = next(&i)
			}
		case "-M", "-b":
			_, err = next(&i)
		case "-o":
		case "-r":
			a.real, err = next(&i)
		case "-g":
			a.fwd = "Route"
		case "-m":
			a.fwd = "Masq"
		case "-i":
			a.fwd = "Tunnel"
		case "-w":
			a.weight, err = next(&i)
		case "-x":
			a.upper, err = next(&i)
		case "-y":
			a.lower, err = next(&i)
		default:
			err = fmt.Errorf("unknown option %q", o)
		}
	}
	if err == nil && a.cmd == "" {
		err = fmt.Errorf("no command")
	}
	return a, err
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

// apply changes t by a; the error text is ipvsadm's.
func (t *siTable) apply(a siArgs) error {
	switch a.cmd {
	case "C":
		t.svcs = nil
		return nil
	case "L":
		return nil
	}
	s, si := t.find(a.proto, a.key)
	switch a.cmd {
	case "A":
		if s != nil {
			return fmt.Errorf("Service already exists")
		}
		t.svcs = append(t.svcs, &siService{proto: a.proto, key: a.key, sched: orDefault(a.sched, "wlc"), persistent: a.persistent})
		return nil
	case "E", "D":
		if s == nil {
			return fmt.Errorf("No such service")
		}
		if a.cmd == "D" {
			t.svcs = append(t.svcs[:si], t.svcs[si+1:]...)
			return nil
		}
		s.sched, s.persistent = orDefault(a.sched, s.sched), a.persistent
		return nil
	}
	if s == nil {
		return fmt.Errorf("Service not defined")
	}
	ri := s.find(a.real)
	switch a.cmd {
	case "a":
		if ri >= 0 {
			return fmt.Errorf("Destination already exists")
		}
		s.reals = append(s.reals, siReal{addr: a.real, fwd: a.fwd, weight: atoiOr(a.weight, 1), upper: atoiOr(a.upper, 0), lower: atoiOr(a.lower, 0)})
	case "e":
		if ri < 0 {
			return fmt.Errorf("No such destination")
		}
		s.reals[ri] = siReal{addr: a.real, fwd: a.fwd, weight: atoiOr(a.weight, 1), upper: atoiOr(a.upper, 0), lower: atoiOr(a.lower, 0)}
	case "d":
		if ri < 0 {
			return fmt.Errorf("No such destination")
		}
		s.reals = append(s.reals[:ri], s.reals[ri+1:]...)
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// list writes the table as ipvsadm -L -n [--thresholds] prints it. The
// plain listing is the project's one ipvsadm -Ln text (ipvs.FormatText);
// the --thresholds columns, which only this stand-in prints, are its own.
func (t *siTable) list(w io.Writer, thresholds bool) error {
	if !thresholds {
		entries, err := t.entries()
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, ipvs.Header+ipvs.FormatText(entries))
		return err
	}
	fmt.Fprintln(w, "IP Virtual Server version 1.2.1 (size=4096)")
	fmt.Fprintln(w, "Prot LocalAddress:Port Scheduler Flags")
	fmt.Fprintln(w, "  -> RemoteAddress:Port           Uthreshold Lthreshold ActiveConn InActConn")
	for _, s := range t.svcs {
		line := fmt.Sprintf("%s  %s %s", s.proto, s.key, s.sched)
		if s.persistent != "" {
			line += " persistent " + s.persistent
		}
		fmt.Fprintln(w, line)
		for _, r := range s.reals {
			fmt.Fprintf(w, "  -> %-28s %-10d %-10d %-10d %d\n", r.addr, r.upper, r.lower, 0, 0)
		}
	}
	return nil
}

// entries converts the table to ipvs values: the thresholds are left out,
// as ipvsadm -Ln leaves them out.
func (t *siTable) entries() ([]ipvs.Entry, error) {
	var out []ipvs.Entry
	for _, s := range t.svcs {
		var svc ipvs.Service
		if s.proto == "FWM" {
			mark, err := strconv.ParseUint(s.key, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("fwmark %q: %w", s.key, err)
			}
			svc.Key = ipvs.FWMarkKey(uint32(mark), false)
		} else {
			ap, err := netip.ParseAddrPort(s.key)
			if err != nil {
				return nil, fmt.Errorf("service %q: %w", s.key, err)
			}
			svc.Key = ipvs.ServiceKey{Proto: map[string]ipvs.Proto{"TCP": ipvs.TCP, "UDP": ipvs.UDP}[s.proto], Addr: ap}
		}
		svc.Scheduler, svc.NetmaskBits = s.sched, svc.Key.FullMaskBits()
		if s.persistent != "" {
			svc.Flags |= ipvs.FlagPersistent
			svc.Timeout = uint32(atoiOr(s.persistent, 300))
		}
		e := ipvs.Entry{Service: svc}
		for _, r := range s.reals {
			ap, err := netip.ParseAddrPort(r.addr)
			if err != nil {
				return nil, fmt.Errorf("real %q: %w", r.addr, err)
			}
			fwd := map[string]ipvs.Forward{"Masq": ipvs.Masq, "Route": ipvs.Gate, "Tunnel": ipvs.IPIP}[r.fwd]
			e.Reals = append(e.Reals, ipvs.Real{Addr: ap, Forward: fwd, Weight: r.weight})
		}
		out = append(out, e)
	}
	return out, nil
}

// encode writes t in the state-file format: "S proto key sched persistent"
// then "R addr fwd weight upper lower" per real.
func (t *siTable) encode(w io.Writer) {
	for _, s := range t.svcs {
		fmt.Fprintf(w, "S %s %s %s %s\n", s.proto, s.key, s.sched, orDefault(s.persistent, "-"))
		for _, r := range s.reals {
			fmt.Fprintf(w, "R %s %s %d %d %d\n", r.addr, r.fwd, r.weight, r.upper, r.lower)
		}
	}
}

func decodeSITable(r io.Reader) (*siTable, error) {
	t := &siTable{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 5 && f[0] == "S":
			p := f[4]
			if p == "-" {
				p = ""
			}
			t.svcs = append(t.svcs, &siService{proto: f[1], key: f[2], sched: f[3], persistent: p})
		case len(f) == 6 && f[0] == "R" && len(t.svcs) > 0:
			s := t.svcs[len(t.svcs)-1]
			s.reals = append(s.reals, siReal{addr: f[1], fwd: f[2], weight: atoiOr(f[3], 0), upper: atoiOr(f[4], 0), lower: atoiOr(f[5], 0)})
		default:
			return nil, fmt.Errorf("state line %d: unexpected %q", line, sc.Text())
		}
	}
	return t, sc.Err()
}

// Standin runs one ipvsadm call: argv without the program name. It returns
// the exit code.
func Standin(argv []string, stdout, stderr io.Writer) int {
	state, logPath := os.Getenv(StandinStateEnv), os.Getenv(StandinLogEnv)
	if state == "" {
		fmt.Fprintf(stderr, "ipvsadm stand-in: %s is not set\n", StandinStateEnv)
		return 2
	}
	now := time.Now().UnixNano()
	f, err := os.OpenFile(state, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintf(stderr, "ipvsadm stand-in: %v\n", err)
		return 2
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		fmt.Fprintf(stderr, "ipvsadm stand-in: lock: %v\n", err)
		return 2
	}
	rc := standinLocked(f, argv, stdout, stderr)
	if logPath != "" {
		if lf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
			fmt.Fprintf(lf, "%d rc=%d %s\n", now, rc, strings.Join(argv, " "))
			lf.Close()
		}
	}
	return rc
}

func standinLocked(f *os.File, argv []string, stdout, stderr io.Writer) int {
	a, err := parseSIArgs(argv)
	if err != nil {
		fmt.Fprintf(stderr, "ipvsadm: %v\n", err)
		return 2
	}
	t, err := decodeSITable(bufio.NewReader(f))
	if err != nil {
		fmt.Fprintf(stderr, "ipvsadm stand-in: %v\n", err)
		return 2
	}
	if a.cmd == "L" {
		bw := bufio.NewWriter(stdout)
		err := t.list(bw, a.thresholds)
		bw.Flush()
		if err != nil {
			fmt.Fprintf(stderr, "ipvsadm stand-in: %v\n", err)
			return 2
		}
		return 0
	}
	if err := t.apply(a); err != nil {
		fmt.Fprintf(stderr, "%s\n", err)
		return 1
	}
	if err := f.Truncate(0); err == nil {
		f.Seek(0, io.SeekStart)
		bw := bufio.NewWriter(f)
		t.encode(bw)
		err = bw.Flush()
	}
	if err != nil {
		fmt.Fprintf(stderr, "ipvsadm stand-in: write state: %v\n", err)
		return 2
	}
	return 0
}
