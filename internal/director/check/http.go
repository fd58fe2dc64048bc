package check

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// HTTP is the negotiate check of services http, https and http_proxy
// (ldirectord check_http): request= is fetched with httpmethod=, following
// redirects; the real is up when the final answer is 2xx and its body
// matches receive=. https does not verify the certificate (ldirectord:
// verify_hostname => 0). http_proxy fetches request=, an absolute URL,
// through the real as a proxy.
type HTTP struct{}

// maxBody bounds how much of a body is read to match receive=.
const maxBody = 4 << 20

// maxHead bounds the status line and header of an answer: net/http's
// ReadResponse keeps header lines without end (its Transport stops at
// 10 MiB), and an endless header made a check allocate 416 MB in 2 s.
const maxHead = 64 << 10

// maxRedirects is LWP::UserAgent's max_redirect.
const maxRedirects = 7

// Check fetches t's URL.
func (HTTP) Check(ctx context.Context, t Target) Result {
	return run(ctx, t.Timeout, func(ctx context.Context) error { return checkHTTP(ctx, t) })
}

func checkHTTP(ctx context.Context, t Target) error {
	target, proxy := httpURL(t)
	method := t.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return fmt.Errorf("http: request %q: %w", target, err)
	}
	if proxy == nil {
		// ldirectord sets Host to virtualhost=, else the real's address.
		req.Host = t.HTTP.VirtualHost
		if req.Host == "" {
			req.Host = hostString(t.Real.Addr())
		}
	}
	if proxy == nil && req.URL.Scheme == "http" {
		resp, body, err := exchangeHTTP(ctx, t, req)
		if err != nil {
			return err
		}
		if resp.StatusCode/100 != 3 || resp.Header.Get("Location") == "" {
			return httpVerdict(t, resp, body)
		}
		// A redirect: the client below follows it as LWP does.
	}
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		DisableKeepAlives: true,
		DialContext:       checkDialer.DialContext,
	}
	if proxy != nil {
		tr.Proxy = http.ProxyURL(proxy)
	} else if t.HTTP.VirtualHost != "" {
		tr.TLSClientConfig.ServerName = t.HTTP.VirtualHost
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(_ *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}}
	resp, err := client.Do(req)
	if err != nil {
		return httpErr(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("http: reading body: %w", netErr(ctx, err))
	}
	return httpVerdict(t, resp, body)
}

// httpVerdict is ldirectord's reading of the final answer: 2xx and a body
// matching receive=.
func httpVerdict(t Target, resp *http.Response, body []byte) error {
	if resp.StatusCode/100 != 2 || t.Receive == "" {
		return judgeHTTP(resp.StatusCode, resp.Status, body, t.Receive, nil)
	}
	re, err := compileReceive(t.Receive)
	if err != nil {
		return err
	}
	return judgeHTTP(resp.StatusCode, resp.Status, body, t.Receive, re)
}

// judgeHTTP is the one rule both the goroutine path (httpVerdict) and the
// event loop (evloop.go) apply to a final answer: a 2xx status, then a
// body matching re, compiled from receive (nil: anything matches). status
// is the status line after the version ("503 Service Unavailable").
func judgeHTTP[S string | []byte](code int, status S, body []byte, receive string, re *regexp.Regexp) error {
	if code/100 != 2 {
		return fmt.Errorf("http: %s", status)
	}
	if re != nil && !re.Match(body) {
		return fmt.Errorf("receive %q not matched", receive)
	}
	return nil
}

// exchangeHTTP sends req over one plain connection to the real and reads
// the answer: the common case (plain http, no proxy) without
// net/http.Transport, which costs two goroutines and a connection pool per
// check, the larger part of a check's CPU at thousands of reals. The
// request is the one the Transport would send, without Accept-Encoding, so
// the body comes unencoded.
func exchangeHTTP(ctx context.Context, t Target, req *http.Request) (*http.Response, []byte, error) {
	c, err := dialConn(ctx, "tcp", netip.AddrPortFrom(t.Real.Addr(), t.Port), false)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	return c.httpExchange(req)
}

// httpExchange sends req over c and reads the answer and up to maxBody
// of its body.
func (c *conn) httpExchange(req *http.Request) (*http.Response, []byte, error) {
	req.Close = true // Connection: close, as DisableKeepAlives sends
	w := bufio.NewWriterSize(c.Conn, 512)
	if err := req.Write(w); err != nil {
		return nil, nil, fmt.Errorf("http: sending request: %w", netErr(c.ctx, err))
	}
	if err := w.Flush(); err != nil {
		return nil, nil, fmt.Errorf("http: sending request: %w", netErr(c.ctx, err))
	}
	resp, err := readHTTPHead(c.r, req)
	switch {
	case errors.Is(err, errHTTPHead):
		return nil, nil, err
	case err != nil:
		return nil, nil, httpErr(c.ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, fmt.Errorf("http: reading body: %w", netErr(c.ctx, err))
	}
	return resp, body, nil
}

// errHTTPHead is the error of an answer whose head is over maxHead.
var errHTTPHead = fmt.Errorf("http: answer head over the %d-byte limit", maxHead)

// readHTTPHead is http.ReadResponse reading at most maxHead bytes of
// status line and header from r; the body that follows is unbounded
// (callers read at most maxBody of it).
func readHTTPHead(r io.Reader, req *http.Request) (*http.Response, error) {
	head := &io.LimitedReader{R: r, N: maxHead}
	resp, err := http.ReadResponse(bufio.NewReaderSize(head, 4096), req)
	if err != nil && head.N == 0 {
		return nil, errHTTPHead
	}
	head.N = math.MaxInt64
	return resp, err
}

// httpURL builds the URL ldirectord's ld_setup builds: a request= that is
// already an absolute URL of the service's scheme is used as is, any other
// is a path on the real's address and check port. For http_proxy the
// request is the URL to fetch and the real is the proxy.
func httpURL(t Target) (target string, proxy *url.URL) {
	scheme := t.Service
	if scheme != "https" {
		scheme = "http"
	}
	hostPort := hostString(t.Real.Addr()) + ":" + strconv.Itoa(int(t.Port))
	uri := requestPath(t)
	if t.Service == "http_proxy" {
		proxy = &url.URL{Scheme: "http", Host: hostPort, Path: "/"}
	}
	if strings.HasPrefix(uri, scheme+"://") {
		return uri, proxy
	}
	return scheme + "://" + hostPort + "/" + uri, proxy
}

// httpErr describes a failed HTTP exchange.
func httpErr(ctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var op *net.OpError
	var rh tls.RecordHeaderError
	switch {
	case errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect"):
		return fmt.Errorf("connect: %w", netErr(ctx, err))
	case strings.Contains(err.Error(), "HTTP response to HTTPS client"):
		return errors.New("tls: server answered in plain HTTP")
	case errors.As(err, &rh), errors.As(err, &op) && op.Op == "remote error", strings.Contains(err.Error(), "tls:"):
		return tlsErr(ctx, err)
	case strings.HasPrefix(err.Error(), "stopped after"):
		return fmt.Errorf("http: %w", err)
	}
	return fmt.Errorf("http: %s", strings.TrimPrefix(netErr(ctx, err).Error(), "http: "))
}
