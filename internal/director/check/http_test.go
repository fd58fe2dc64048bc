package check

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check/checktest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// httpServer answers requests the way a web server behind ldirectord
// would: /ok says "all ok" with the Host it saw, /fail is a 503, /moved
// redirects to /ok, /loop redirects to itself; a proxy request (absolute
// URL) says "proxied <url>".
func httpServer(w http.ResponseWriter, r *http.Request) {
	if r.URL.IsAbs() || strings.HasPrefix(r.RequestURI, "http://") {
		fmt.Fprintf(w, "proxied %s", r.RequestURI)
		return
	}
	switch r.URL.Path {
	case "/ok", "/":
		fmt.Fprintf(w, "all ok, host %s, method %s", r.Host, r.Method)
	case "/fail":
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	case "/moved":
		http.Redirect(w, r, "/ok", http.StatusFound)
	case "/loop":
		http.Redirect(w, r, "/loop", http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

// serveHTTP runs httpServer over one of checktest's listeners.
func serveHTTP(tlsOn, old bool) func(testing.TB) netip.AddrPort {
	h := func(c net.Conn) {
		srv := &http.Server{Handler: http.HandlerFunc(httpServer), ErrorLog: nil}
		l := &oneConn{c: c, done: make(chan struct{})}
		srv.Serve(l)
	}
	if tlsOn {
		return serveTLS(h, old)
	}
	return serve(h)
}

// oneConn is a listener that yields one connection and then blocks until
// that connection is closed, so http.Server.Serve serves exactly it.
type oneConn struct {
	c    net.Conn
	done chan struct{}
	used bool
}

func (o *oneConn) Accept() (net.Conn, error) {
	if !o.used {
		o.used = true
		return &closeNotify{Conn: o.c, done: o.done}, nil
	}
	<-o.done
	return nil, io.EOF
}
func (o *oneConn) Close() error   { return nil }
func (o *oneConn) Addr() net.Addr { return o.c.LocalAddr() }

type closeNotify struct {
	net.Conn
	done chan struct{}
	once bool
}

func (c *closeNotify) Close() error {
	if !c.once {
		c.once = true
		close(c.done)
	}
	return c.Conn.Close()
}

func TestHTTP(t *testing.T) {
	runCases(t, HTTP{}, httpBase, httpCases())
}

// httpBase and httpCases are TestHTTP's table, which the event-loop engine
// passes too (TestEngineHTTP).
var httpBase = Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "http", Protocol: "tcp", Request: "/", Timeout: 5 * time.Second}}

func httpCases() []checkCase {
	req := func(r, recv string) func(*Target) {
		return func(t *Target) { t.Request, t.Receive = r, recv }
	}
	cases := []checkCase{
		{name: "2xx and receive matched", server: serveHTTP(false, false), target: req("/ok", "all ok"), wantUp: true},
		{name: "2xx, empty receive", server: serveHTTP(false, false), target: req("/ok", ""), wantUp: true},
		{name: "host header is the real's address", server: serveHTTP(false, false), target: req("/ok", `host 127\.0\.0\.1, `), wantUp: true},
		{name: "virtualhost sets the host header", server: serveHTTP(false, false),
			target: func(t *Target) {
				t.Request, t.Receive, t.HTTP.VirtualHost = "/ok", "host www.example.com,", "www.example.com"
			}, wantUp: true},
		{name: "HEAD", server: serveHTTP(false, false), target: func(t *Target) { t.Request, t.HTTP.Method = "/ok", "HEAD" }, wantUp: true},
		{name: "redirect followed", server: serveHTTP(false, false), target: req("/moved", "all ok"), wantUp: true},
		{name: "redirect loop", server: serveHTTP(false, false), target: req("/loop", ""), wantErr: "http: stopped after 7 redirects"},
		{name: "503", server: serveHTTP(false, false), target: req("/fail", ""), wantErr: "http: 503 Service Unavailable"},
		{name: "404", server: serveHTTP(false, false), target: req("/nothing", ""), wantErr: "http: 404 Not Found"},
		{name: "receive not matched", server: serveHTTP(false, false), target: req("/ok", "^ok$"), wantErr: `receive "^ok$" not matched`},
		{name: "bad receive regexp", server: serveHTTP(false, false), target: req("/ok", "(?<=x)"), wantErr: "bad regular expression"},
		{name: "not http", server: serve(checktest.Greeting("220 smtp here")), target: req("/ok", ""), wantErr: "http: "},
	}
	return append(cases, tcpFailures()...)
}

func TestHTTPS(t *testing.T) {
	cases := []checkCase{
		{name: "self-signed certificate accepted", server: serveHTTP(true, false), target: func(t *Target) { t.Request, t.Receive = "/ok", "all ok" }, wantUp: true},
		{name: "503", server: serveHTTP(true, false), target: func(t *Target) { t.Request = "/fail" }, wantErr: "http: 503 Service Unavailable"},
		{name: "tls version refused", server: serveHTTP(true, true), wantErr: "tls: "},
		{name: "plain http on the https port", server: serveHTTP(false, false), wantErr: "tls: "},
	}
	cases = append(cases, tcpFailures()...)
	runCases(t, HTTP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "https", Protocol: "tcp", Request: "/"}}, cases)
}

func TestHTTPProxy(t *testing.T) {
	cases := []checkCase{
		{name: "absolute url fetched through the proxy", server: serveHTTP(false, false),
			target: func(t *Target) {
				t.Request, t.Receive = "/http://www.example.com/index.html", `proxied http://www\.example\.com/index\.html`
			}, wantUp: true},
		{name: "receive not matched", server: serveHTTP(false, false),
			target: func(t *Target) { t.Request, t.Receive = "/http://www.example.com/", "nope" }, wantErr: `receive "nope" not matched`},
	}
	cases = append(cases, tcpFailures()...)
	runCases(t, HTTP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "http_proxy", Protocol: "tcp", Request: "/http://www.example.com/"}}, cases)
}

func TestHTTPURL(t *testing.T) {
	real := netip.MustParseAddrPort("10.0.0.1:8080")
	real6 := netip.MustParseAddrPort("[2001:db8::1]:443")
	tests := []struct {
		name               string
		t                  Target
		wantURL, wantProxy string
	}{
		{"path", Target{Real: real, Port: 8080, Options: &Options{Service: "http", Request: "/index.html"}}, "http://10.0.0.1:8080/index.html", ""},
		{"default request", Target{Real: real, Port: 81, Options: &Options{Service: "http", Request: "/"}}, "http://10.0.0.1:81/", ""},
		{"https ipv6", Target{Real: real6, Port: 443, Options: &Options{Service: "https", Request: "/x"}}, "https://[2001:db8::1]:443/x", ""},
		{"absolute url overrides the real", Target{Real: real, Port: 80, Options: &Options{Service: "http", Request: "/http://www.example.com/a"}}, "http://www.example.com/a", ""},
		{"proxy", Target{Real: real, Port: 3128, Options: &Options{Service: "http_proxy", Request: "/http://www.example.com/"}}, "http://www.example.com/", "http://10.0.0.1:3128/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, p := httpURL(tc.t)
			gotProxy := ""
			if p != nil {
				gotProxy = p.String()
			}
			if u != tc.wantURL || gotProxy != tc.wantProxy {
				t.Errorf("httpURL = %q, %q; want %q, %q", u, gotProxy, tc.wantURL, tc.wantProxy)
			}
		})
	}
}
