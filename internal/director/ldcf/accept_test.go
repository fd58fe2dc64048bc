package ldcf

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// header is the start of every snippet in TestVirtualValues: line 1 is the
// virtual, line 2 its first real.
const header = "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n"

// TestVirtualValues checks the resolved value and the default of every
// per-virtual directive, and that globals written after a section still
// apply to it.
func TestVirtualValues(t *testing.T) {
	tests := []struct {
		name string
		src  string // appended to header
		opt  *Options
		want func(v *Virtual)
	}{
		{name: "defaults", src: "", want: func(v *Virtual) {}},
		{name: "defaults with spaces indent and comments", src: "        # comment\n    service=http # trailing\n", want: func(v *Virtual) {}},
		{name: "blank line keeps the section", src: "\n   \n\tscheduler=rr\n", want: func(v *Virtual) { v.Scheduler = "rr" }},
		{name: "column-0 comment keeps the section", src: "#x\n\tscheduler=lc\n", want: func(v *Virtual) { v.Scheduler = "lc" }},
		{name: "crlf", src: "\tscheduler=sh\r\n", want: func(v *Virtual) { v.Scheduler = "sh" }},
		{name: "request gets a slash", src: "\trequest=\"index.html\"\n", want: func(v *Virtual) { v.Request = "/index.html" }},
		{name: "request keeps slash and hash", src: "\trequest=\"/a#b\"\n", want: func(v *Virtual) { v.Request = "/a#b" }},
		{name: "receive regex", src: "\treceive=\"^OK .*$\"\n", want: func(v *Virtual) { v.Receive = "^OK .*$" }},
		{name: "checktype connect", src: "\tchecktype=connect\n", want: func(v *Virtual) { v.CheckType = CheckConnect }},
		{name: "checktype ping", src: "\tchecktype=ping\n", want: func(v *Virtual) { v.CheckType = CheckPing }},
		{name: "checktype external", src: "\tchecktype=external\n\tcheckcommand=\"/usr/local/bin/chk -x\"\n",
			want: func(v *Virtual) { v.CheckType, v.CheckCommand = CheckExternal, "/usr/local/bin/chk -x" }},
		{name: "checktype external-perl unquoted command", src: "\tchecktype=external-perl\n\tcheckcommand=/etc/ha.d/chk.pl\n",
			want: func(v *Virtual) { v.CheckType, v.CheckCommand = CheckExternalPerl, "/etc/ha.d/chk.pl" }},
		{name: "checktype off", src: "\tchecktype=off\n", want: func(v *Virtual) { v.CheckType = CheckOff }},
		{name: "checktype on", src: "\tchecktype=on\n", want: func(v *Virtual) { v.CheckType = CheckOn }},
		{name: "checktype combined", src: "\tchecktype=3\n", want: func(v *Virtual) { v.CheckType, v.CheckCombined = CheckCombined, 3 }},
		{name: "httpmethod head any case", src: "\thttpmethod=head\n", want: func(v *Virtual) { v.HTTPMethod = "HEAD" }},
		{name: "virtualhost quoted", src: "\tvirtualhost=\"www.example.com\"\n", want: func(v *Virtual) { v.VirtualHost = "www.example.com" }},
		{name: "checkport", src: "\tcheckport=8080\n", want: func(v *Virtual) { v.CheckPort = 8080 }},
		{name: "credentials", src: "\tservice=mysql\n\tlogin=\"u\"\n\tpasswd=\"p w\"\n\tdatabase=\"db\"\n\tsecret=\"s\"\n",
			want: func(v *Virtual) { v.Service, v.Login, v.Passwd, v.Database, v.Secret = "mysql", "u", "p w", "db", "s" }},
		{name: "ftp defaults", src: "\tservice=ftp\n", want: func(v *Virtual) {
			v.Service, v.Login, v.Passwd = "ftp", "anonymous", "ldirectord@lb1.example.com"
		}},
		{name: "ftp login given first is kept", src: "\tlogin=\"bob\"\n\tservice=ftp\n", want: func(v *Virtual) {
			v.Service, v.Login, v.Passwd = "ftp", "bob", "ldirectord@lb1.example.com"
		}},
		{name: "sip default login", src: "\tservice=sip\n", want: func(v *Virtual) { v.Service, v.Login = "sip", "ldirectord@lb1.example.com" }},
		{name: "sip default login without hostname", src: "\tservice=sip\n", opt: &Options{},
			want: func(v *Virtual) { v.Service, v.Login = "sip", "ldirectord@localhost" }},
		{name: "load is accepted and ignored", src: "\tload=\"cpu\"\n", want: func(v *Virtual) {}},
		{name: "persistent and netmask", src: "\tpersistent=600\n\tnetmask=255.255.255.0\n",
			want: func(v *Virtual) { v.Persistent, v.NetmaskBits = 600, 24 }},
		{name: "netmask zero", src: "\tnetmask=0.0.0.0\n", want: func(v *Virtual) { v.NetmaskBits = 0 }},
		{name: "schedflags", src: "\tscheduler=sh\n\tschedflags=sh-port,sh-fallback\n",
			want: func(v *Virtual) { v.Scheduler, v.SchedFlags = "sh", "sh-port,sh-fallback" }},
		{name: "protocol udp and ops", src: "\tprotocol=udp\n\tops=yes\n", want: func(v *Virtual) { v.Protocol, v.OPS = "udp", true }},
		{name: "ops before protocol", src: "\tops=yes\n\tprotocol=udp\n", want: func(v *Virtual) { v.Protocol, v.OPS = "udp", true }},
		{name: "ops no on tcp", src: "\tops=no\n", want: func(v *Virtual) {}},
		{name: "service none", src: "\tservice=none\n", want: func(v *Virtual) { v.Service = "none" }},
		{name: "timeouts: virtual checktimeout feeds negotiate", src: "\tchecktimeout=7\n",
			want: func(v *Virtual) { v.CheckTimeout, v.NegotiateTimeout = 7*time.Second, 7*time.Second }},
		{name: "timeouts: virtual negotiatetimeout feeds check", src: "\tnegotiatetimeout=9\n",
			want: func(v *Virtual) { v.CheckTimeout, v.NegotiateTimeout = 9*time.Second, 9*time.Second }},
		{name: "timeouts: both virtual", src: "\tchecktimeout=2\n\tnegotiatetimeout=20\n",
			want: func(v *Virtual) { v.CheckTimeout, v.NegotiateTimeout = 2*time.Second, 20*time.Second }},
		{name: "timeouts: global checktimeout after the section", src: "checktimeout=4\n",
			want: func(v *Virtual) { v.CheckTimeout, v.NegotiateTimeout = 4*time.Second, 4*time.Second }},
		{name: "timeouts: global negotiatetimeout", src: "negotiatetimeout=40\n",
			want: func(v *Virtual) { v.CheckTimeout, v.NegotiateTimeout = 40*time.Second, 40*time.Second }},
		{name: "timeouts: virtual check beats global negotiate", src: "\tchecktimeout=3\nnegotiatetimeout=40\n",
			want: func(v *Virtual) { v.CheckTimeout, v.NegotiateTimeout = 3*time.Second, 3*time.Second }},
		{name: "timeouts: global both", src: "checktimeout=4\nnegotiatetimeout=40\n",
			want: func(v *Virtual) { v.CheckTimeout, v.NegotiateTimeout = 4*time.Second, 40*time.Second }},
		{name: "counts", src: "\tfailurecount=3\n\tcheckcount=2\n", want: func(v *Virtual) { v.FailureCount, v.CheckCount = 3, 2 }},
		{name: "global counts", src: "failurecount=4\ncheckcount=5\n", want: func(v *Virtual) { v.FailureCount, v.CheckCount = 4, 5 }},
		{name: "checkinterval ignored without fork", src: "\tcheckinterval=3\ncheckinterval=7\n",
			want: func(v *Virtual) { v.CheckInterval = 7 * time.Second }},
		{name: "checkinterval with fork", src: "\tcheckinterval=3\nfork=yes\n", want: func(v *Virtual) { v.CheckInterval = 3 * time.Second }},
		{name: "quiescent and cleanstop override", src: "\tquiescent=yes\n\tcleanstop=no\n",
			want: func(v *Virtual) { v.Quiescent, v.CleanStop = true, false }},
		{name: "quiescent and cleanstop from globals", src: "quiescent=yes\ncleanstop=no\n",
			want: func(v *Virtual) { v.Quiescent, v.CleanStop = true, false }},
		{name: "virtual quiescent=no beats global yes", src: "\tquiescent=no\nquiescent=yes\n", want: func(v *Virtual) {}},
		{name: "email per virtual", src: "\temailalert=\"a@b.c\"\n\temailalertfreq=60\n\temailalertstatus=running, starting\n\tsmtp=mail.b.c\n",
			want: func(v *Virtual) {
				v.EmailAlert, v.EmailAlertFreq, v.EmailAlertStatus, v.SMTP = "a@b.c", time.Minute, "starting,running", "mail.b.c"
			}},
		{name: "email from globals", src: "emailalert=ops@x.y\nemailalertfreq=0\nemailalertstatus=none\nsmtp=10.0.0.25\n",
			want: func(v *Virtual) { v.EmailAlert, v.EmailAlertStatus, v.SMTP = "ops@x.y", "none", "10.0.0.25" }},
		{name: "smtp with port, emailalert with names and a local user", src: "\tsmtp=[::1]:2525\n\temailalert=\"Ops <ops@x.y>, root\"\n",
			want: func(v *Virtual) { v.SMTP, v.EmailAlert = "[::1]:2525", "Ops <ops@x.y>, root" }},
		{name: "oracle port with a connect check", src: "\tchecktype=connect\n\tservice=oracle\n",
			want: func(v *Virtual) { v.CheckType, v.Service = CheckConnect, "oracle" }},
		{name: "emailalertstatus all four is all", src: "\temailalertstatus=starting,running,stopping,reloading\n",
			want: func(v *Virtual) { v.EmailAlertStatus = "all" }},
		{name: "fallbackcommand per virtual", src: "\tfallbackcommand=\"/bin/sorry\"\nfallbackcommand=/bin/global\n",
			want: func(v *Virtual) { v.FallbackCommand = "/bin/sorry" }},
		{name: "fallbackcommand global", src: "fallbackcommand=/bin/global\n", want: func(v *Virtual) { v.FallbackCommand = "/bin/global" }},
		{name: "fallback per virtual takes the virtual port", src: "\tfallback=127.0.0.1\n",
			want: func(v *Virtual) { v.Fallback = &Fallback{Line: 3, Addr: ap("127.0.0.1:80"), Forward: Gate} }},
		{name: "fallback per virtual with port and masq", src: "\tfallback=fallbk:http-alt masq\n",
			want: func(v *Virtual) { v.Fallback = &Fallback{Line: 3, Addr: ap("127.0.0.1:8080"), Forward: Masq} }},
		{name: "global fallback without port", src: "fallback=127.0.0.1 ipip\n",
			want: func(v *Virtual) { v.Fallback = &Fallback{Line: 3, Addr: ap("127.0.0.1:80"), Forward: IPIP} }},
		{name: "global fallback with port", src: "fallback=127.0.0.1:81\n",
			want: func(v *Virtual) { v.Fallback = &Fallback{Line: 3, Addr: ap("127.0.0.1:81"), Forward: Gate} }},
		{name: "virtual fallback beats global", src: "\tfallback=127.0.0.2:82\nfallback=127.0.0.1:81\n",
			want: func(v *Virtual) { v.Fallback = &Fallback{Line: 3, Addr: ap("127.0.0.2:82"), Forward: Gate} }},
		{name: "global fallback6 does not apply to ipv4", src: "fallback6=[::1]:80\n", want: func(v *Virtual) {}},
		{name: "monitorfile servicename comment", src: "\tmonitorfile=\"/var/log/m.log\"\n\tservicename=Web Site\n\tcomment=a  b\n",
			want: func(v *Virtual) { v.MonitorFile, v.ServiceName, v.Comment = "/var/log/m.log", "Web Site", "a  b" }},
		{name: "more reals", src: "\treal=10.0.0.3 masq 0\n\treal=web1:http ipip 5 \"/h.html\", \"up\" l:10 u:100\n\treal=10.0.0.4:81 gate u:7 \"x\" \"\"\n",
			want: func(v *Virtual) {
				v.Reals = append(v.Reals,
					Real{Line: 3, Text: "10.0.0.3", Addr: ap("10.0.0.3:0"), Forward: Masq, Weight: 0},
					Real{Line: 4, Text: "web1:http", Addr: ap("192.168.2.236:80"), Forward: IPIP, Weight: 5, Request: "/h.html", Receive: "up", Lower: 10, Upper: 100},
					Real{Line: 5, Text: "10.0.0.4:81", Addr: ap("10.0.0.4:81"), Forward: Gate, Weight: 1, Request: "/x", Upper: 7})
			}},
		{name: "ipv4 range", src: "\treal=10.0.0.254->10.0.1.1:8080 masq 2\n", want: func(v *Virtual) {
			for _, a := range []string{"10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"} {
				v.Reals = append(v.Reals, Real{Line: 3, Text: "10.0.0.254->10.0.1.1:8080", Addr: netip.AddrPortFrom(netip.MustParseAddr(a), 8080), Forward: Masq, Weight: 2})
			}
		}},
		{name: "mapped address from the resolver", src: "\treal=mapped gate\n", want: func(v *Virtual) {
			v.Reals = append(v.Reals, Real{Line: 3, Text: "mapped", Addr: ap("10.9.9.9:0"), Forward: Gate, Weight: 1})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := fakeOptions()
			if tt.opt != nil {
				opt = *tt.opt
			}
			c := mustParse(t, header+tt.src, opt)
			want := defaultVirtual()
			tt.want(want)
			if diff := cmp.Diff([]*Virtual{want}, c.Virtuals, append(cmpOpts, cmpopts.IgnoreFields(Virtual{}, "Lines"))...); diff != "" {
				t.Errorf("virtual (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVirtualForms checks the address forms of virtual= and virtual6=,
// the protocol defaults and the service defaulted from the port.
func TestVirtualForms(t *testing.T) {
	tests := []struct {
		src                string
		addr               string
		fwmark             uint32
		proto, service, id string
	}{
		{src: "virtual=10.0.0.1:http", addr: "10.0.0.1:80", proto: "tcp", service: "http", id: "tcp:10.0.0.1:80"},
		{src: "virtual=www:443", addr: "10.1.1.10:443", proto: "tcp", service: "https", id: "tcp:10.1.1.10:443"},
		{src: "virtual=10.0.0.1:53", addr: "10.0.0.1:53", proto: "udp", service: "dns", id: "udp:10.0.0.1:53"},
		{src: "virtual=10.0.0.1:domain", addr: "10.0.0.1:53", proto: "udp", service: "dns", id: "udp:10.0.0.1:53"},
		{src: "virtual=10.0.0.1:53\n\tprotocol=tcp", addr: "10.0.0.1:53", proto: "tcp", service: "dns", id: "tcp:10.0.0.1:53"},
		{src: "virtual=10.0.0.1:3306", addr: "10.0.0.1:3306", proto: "tcp", service: "mysql", id: "tcp:10.0.0.1:3306"},
		{src: "virtual=10.0.0.1:8443", addr: "10.0.0.1:8443", proto: "tcp", service: "none", id: "tcp:10.0.0.1:8443"},
		{src: "virtual=10.0.0.1:0\n\tpersistent=300", addr: "10.0.0.1:0", proto: "tcp", service: "none", id: "tcp:10.0.0.1:0"},
		{src: "virtual=10.0.0.1:80  # web", addr: "10.0.0.1:80", proto: "tcp", service: "http", id: "tcp:10.0.0.1:80"},
		{src: "virtual = 10.0.0.1:80", addr: "10.0.0.1:80", proto: "tcp", service: "http", id: "tcp:10.0.0.1:80"},
		{src: "virtual=80\n\tprotocol=fwm", fwmark: 80, proto: "fwm", service: "none", id: "fwm:80"},
		{src: "virtual6=[2001:db8::1]:https", addr: "[2001:db8::1]:443", proto: "tcp", service: "https", id: "tcp:[2001:db8::1]:443"},
		{src: "virtual6=www:80", addr: "[2001:db8::80]:80", proto: "tcp", service: "http", id: "tcp:[2001:db8::80]:80"},
		{src: "virtual6=7", fwmark: 7, proto: "fwm", service: "none", id: "fwm6:7"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			v := mustParse(t, tt.src+"\n", fakeOptions()).Virtuals[0]
			var want netip.AddrPort
			if tt.addr != "" {
				want = ap(tt.addr)
			}
			got := []any{v.Addr, v.FWMark, v.Protocol, v.Service, v.ID()}
			if diff := cmp.Diff([]any{want, tt.fwmark, tt.proto, tt.service, tt.id}, got, cmpOpts...); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestGlobalValues checks every global directive's value and default.
func TestGlobalValues(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want func(g *Global)
	}{
		{name: "defaults", src: "", want: func(g *Global) {}},
		{name: "timeouts and counts", src: "checktimeout=3\nnegotiatetimeout=20\ncheckinterval=2\ncheckcount=2\nfailurecount=3\n",
			want: func(g *Global) {
				g.CheckTimeout, g.NegotiateTimeout, g.CheckInterval, g.CheckCount, g.FailureCount = 3*time.Second, 20*time.Second, 2*time.Second, 2, 3
			}},
		{name: "comment after a number", src: "checkinterval=5 # seconds\n", want: func(g *Global) { g.CheckInterval = 5 * time.Second }},
		{name: "yes/no flags", src: "autoreload=yes\nfork=yes\nsupervised=yes\nquiescent=yes\nreaddquiescent=yes\ncleanstop=no\n",
			want: func(g *Global) {
				g.AutoReload, g.Fork, g.Supervised, g.Quiescent, g.ReaddQuiescent, g.CleanStop = true, true, true, true, true, false
			}},
		{name: "bare supervised", src: "supervised\n", want: func(g *Global) { g.Supervised = true }},
		{name: "callback and logfile", src: "callback=\"/usr/local/sbin/sync-cf\"\nlogfile=\"/var/log/ld#1.log\"\n",
			want: func(g *Global) { g.Callback, g.LogFile = "/usr/local/sbin/sync-cf", "/var/log/ld#1.log" }},
		{name: "logfile facility", src: "logfile=\"daemon\"\n", want: func(g *Global) { g.LogFile = "daemon" }},
		{name: "fallbacks", src: "fallback=127.0.0.1:80 masq\nfallback6=[::1]\n", want: func(g *Global) {
			g.Fallback = &Fallback{Line: 1, Addr: ap("127.0.0.1:80"), Forward: Masq}
			g.Fallback6 = &Fallback{Line: 2, Addr: ap("[::1]:0"), Forward: Gate}
		}},
		{name: "fallback6 by name", src: "fallback6=backup6:https\n", want: func(g *Global) {
			g.Fallback6 = &Fallback{Line: 1, Addr: ap("[::1]:443"), Forward: Gate}
		}},
		{name: "fallbackcommand quoted", src: "fallbackcommand=\"/usr/bin/sorry --x\"\n", want: func(g *Global) { g.FallbackCommand = "/usr/bin/sorry --x" }},
		{name: "email", src: "emailalert=\"a@b.c, d@e.f\"\nemailalertfreq=3600\nemailalertstatus=stopping,reloading\nemailalertfrom=ld@b.c\nsmtp=mail.b.c\n",
			want: func(g *Global) {
				g.EmailAlert, g.EmailAlertFreq, g.EmailAlertStatus, g.EmailAlertFrom, g.SMTP = "a@b.c, d@e.f", time.Hour, "stopping,reloading", "ld@b.c", "mail.b.c"
			}},
		{name: "emailalertstatus empty is none", src: "emailalertstatus=\n", want: func(g *Global) { g.EmailAlertStatus = "none" }},
		{name: "execute dedup", src: "execute=web.cf\nexecute=mail.cf\nexecute=web.cf\n", want: func(g *Global) { g.Execute = []string{"web.cf", "mail.cf"} }},
		{name: "maintenancedir", src: "maintenancedir=/etc/ha.d/maint\n", want: func(g *Global) { g.MaintenanceDir = "/etc/ha.d/maint" }},
		{name: "maintenancedir quoted", src: "maintenancedir=\"/m d\"\n", want: func(g *Global) { g.MaintenanceDir = "/m d" }},
		{name: "execute quoted", src: "execute=\"/etc/ha.d/mail.cf\"\n", want: func(g *Global) { g.Execute = []string{"/etc/ha.d/mail.cf"} }},
		{name: "smtp host:port and from with a name", src: "smtp=127.0.0.1:2525\nemailalertfrom=\"ldirectord Alerts\" <alerts@example.com>\n",
			want: func(g *Global) {
				g.SMTP, g.EmailAlertFrom = "127.0.0.1:2525", `"ldirectord Alerts" <alerts@example.com>`
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.src, fakeOptions())
			want := defaultGlobal()
			tt.want(&want)
			if diff := cmp.Diff(want, c.Global, append(cmpOpts, cmpopts.IgnoreFields(Global{}, "Lines"))...); diff != "" {
				t.Errorf("global (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLinesAndWarnings checks the directive positions and the warnings
// ldirectord prints with config_warn.
func TestLinesAndWarnings(t *testing.T) {
	src := "checkcount=2\nsupervised\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tcheckinterval=3\n\tcheckcount=2\n\treal=10.0.0.2:80 masq\n\tload=\"cpu\"\n"
	c := mustParse(t, src, Options{})
	want := []Error{
		{File: testFile, Line: 1, Msg: "checkcount: option is deprecated and slated for removal (want failurecount)"},
		{File: testFile, Line: 2, Msg: "supervised: please update your config not to use a bare supervised directive"},
		{File: testFile, Line: 6, Msg: "checkcount: option is deprecated and slated for removal (want failurecount)"},
		{File: testFile, Line: 8, Msg: "load: ignored, as ldirectord 4.12 ignores it (it parses load= but never uses it)"},
		{File: testFile, Line: 7, Msg: "real: 10.0.0.2:80 is already a real server of 10.0.0.1:80 at line 4 (ipvsadm will refuse the second)"},
		{File: testFile, Line: 5, Msg: "checkinterval: in virtual service 10.0.0.1:80 ignored when fork=no"},
	}
	if diff := cmp.Diff(want, c.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"checkcount": 1, "supervised": 2}, c.Global.Lines); diff != "" {
		t.Errorf("global lines (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"virtual": 3, "real": 7, "checkinterval": 5, "checkcount": 6, "load": 8}, c.Virtuals[0].Lines); diff != "" {
		t.Errorf("virtual lines (-want +got):\n%s", diff)
	}
}

// TestPerlNumbers pins ldirectord's reading of numeric directives
// (`$1 =~ /(\d+)/ && $1` in read_config): the first run of digits is the
// number, so files ldirectord accepts are accepted, with a warning.
func TestPerlNumbers(t *testing.T) {
	src := "checktimeout=5s\nnegotiatetimeout=-7\ncheckinterval=2\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tfailurecount=3x\n\tchecktimeout= 4 seconds\n"
	c := mustParse(t, src, Options{})
	want := []Error{
		{File: testFile, Line: 1, Msg: `checktimeout: "5s" read as 5, as ldirectord does (want a plain number)`},
		{File: testFile, Line: 2, Msg: `negotiatetimeout: "-7" read as 7, as ldirectord does (want a plain number)`},
		{File: testFile, Line: 6, Msg: `failurecount: "3x" read as 3, as ldirectord does (want a plain number)`},
		{File: testFile, Line: 7, Msg: `checktimeout: "4 seconds" read as 4, as ldirectord does (want a plain number)`},
	}
	if diff := cmp.Diff(want, c.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	g, v := c.Global, c.Virtuals[0]
	got := []any{g.CheckTimeout, g.NegotiateTimeout, g.CheckInterval, v.FailureCount, v.CheckTimeout, v.NegotiateTimeout}
	// The virtual's negotiatetimeout falls back to its own checktimeout first (anchors §2.2).
	wantVals := []any{5 * time.Second, 7 * time.Second, 2 * time.Second, 3, 4 * time.Second, 4 * time.Second}
	if diff := cmp.Diff(wantVals, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
}
