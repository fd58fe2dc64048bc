package check

// The pure half of the event-loop engine (evloop.go): which checks it can
// run, the bytes it sends, and the reading of the bytes it receives. No
// socket, clock or file here: the loop feeds these functions what it read.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// probeKind is what the engine does after the connection is up.
type probeKind uint8

const (
	probeConnect   probeKind = iota + 1 // close at once (checktype=connect)
	probeHTTP                           // send a GET or HEAD, judge the answer (service=http)
	probeSimpleTCP                      // send request=, shut down writing, match a line (service=simpletcp)
)

// Probe is one check as the engine runs it, prepared once per check (not
// per run): the address, the request bytes and the compiled receive=.
// Read-only once built, so one Probe serves every run of its check.
type Probe struct {
	kind    probeKind
	addr    netip.AddrPort
	timeout int64 // ns
	request []byte
	head    bool // HTTP HEAD: the answer has no body
	receive string
	re      *regexp.Regexp // nil: any answer matches
	target  Target         // for the goroutine path (redirects, unusual answers)
}

// NewProbe prepares t for the engine. It reports false for every check the
// engine does not run, which then keeps the goroutine path: anything but
// connect over TCP, negotiate http (plain, no proxy, a request on the real
// itself, GET or HEAD) and negotiate simpletcp over TCP, or a receive=
// that does not compile (the goroutine path reports that error).
func NewProbe(t Target) (*Probe, bool) {
	if t.Protocol == "udp" || t.Timeout <= 0 || !t.Real.Addr().IsValid() {
		return nil, false
	}
	p := &Probe{addr: t.Addr(), timeout: int64(t.Timeout), receive: t.Receive, target: t}
	if p.addr.Addr().Is4In6() {
		p.addr = netip.AddrPortFrom(p.addr.Addr().Unmap(), p.addr.Port())
	}
	switch {
	case t.Type == ldcf.CheckConnect:
		p.kind = probeConnect
		return p, true
	case t.Type != ldcf.CheckNegotiate:
		return nil, false
	case t.Service == "http":
		p.kind = probeHTTP
		req, ok := httpProbeRequest(t)
		if !ok {
			return nil, false
		}
		p.request, p.head = req, t.HTTP.Method == http.MethodHead
	case t.Service == "simpletcp":
		p.kind = probeSimpleTCP
		p.request = []byte(simpleTCPRequest(t))
	default:
		return nil, false
	}
	if t.Receive != "" {
		re, err := compileReceive(t.Receive)
		if err != nil {
			return nil, false
		}
		p.re = re
	}
	return p, true
}

// Target returns the check the probe was built from.
func (p *Probe) Target() Target { return p.target }

// httpProbeRequest is the request checkHTTP's plain path sends for t,
// written once by net/http itself so that both paths send the same bytes.
// It reports false where checkHTTP would not take its plain path: a URL on
// another host than the real, or a method other than GET and HEAD.
func httpProbeRequest(t Target) ([]byte, bool) {
	if t.HTTP.Method != "" && t.HTTP.Method != http.MethodGet && t.HTTP.Method != http.MethodHead {
		return nil, false
	}
	target, proxy := httpURL(t)
	u, err := url.Parse(target)
	if err != nil || proxy != nil || u.Scheme != "http" || u.Host != hostString(t.Real.Addr())+":"+strconv.Itoa(int(t.Port)) {
		return nil, false
	}
	method := t.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		return nil, false
	}
	req.Host = t.HTTP.VirtualHost
	if req.Host == "" {
		req.Host = hostString(t.Real.Addr())
	}
	req.Close = true
	var b bytes.Buffer
	if req.Write(&b) != nil {
		return nil, false
	}
	return bytes.Clone(b.Bytes()), true // the buffer's spare room is 2-3 times the request, per real
}

// replyState is what a reading of the bytes so far concludes.
type replyState uint8

const (
	replyMore     replyState = iota // not enough bytes yet
	replyDone                       // verdict reached (err nil: up)
	replyRedirect                   // a redirect: the goroutine path follows it
)

// maxFastHead bounds the head the fast reading accepts; a longer one goes
// to net/http.
const maxFastHead = 8 << 10

// judgeHTTPReply reads buf, every byte the real sent so far (eof: it then
// closed), as checkHTTP's plain path reads the answer: net/http's
// ReadResponse, up to maxBody of the body, judgeHTTP. A well-formed
// common answer (HTTP/1.0 or 1.1, status 2xx but 204, 4xx or 5xx,
// Content-Length or a body to the close) is read here without allocating;
// anything else goes to net/http itself over the same bytes
// (judgeHTTPSlow), so the verdicts and errors are net/http's.
func judgeHTTPReply(p *Probe, buf []byte, eof bool) (replyState, error) {
	code, status, body, ok := fastHTTPReply(buf, p.head)
	if !ok {
		return judgeHTTPSlow(p, buf, eof)
	}
	switch {
	case body < 0: // no head yet
		if eof || len(buf) > maxFastHead {
			return judgeHTTPSlow(p, buf, eof)
		}
		return replyMore, nil
	}
	want, known := contentLength(buf[:body])
	if p.head {
		want, known = 0, true
	}
	got := len(buf) - body
	switch {
	case known && got >= min(want, maxBody):
		return replyDone, judgeHTTP(code, status, buf[body:body+min(want, maxBody)], p.receive, p.re)
	case !known && got >= maxBody:
		return replyDone, judgeHTTP(code, status, buf[body:body+maxBody], p.receive, p.re)
	case !known && eof:
		return replyDone, judgeHTTP(code, status, buf[body:], p.receive, p.re)
	case eof: // cut short: net/http names the error
		return judgeHTTPSlow(p, buf, eof)
	}
	return replyMore, nil
}

// fastHTTPReply parses the head in buf when it is of the common form. ok
// false means "not the common form: ask net/http"; body is the offset of
// the body, or -1 when the head is not complete yet.
func fastHTTPReply(buf []byte, head bool) (code int, status []byte, body int, ok bool) {
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if lf := bytes.Index(buf, []byte("\n\n")); lf >= 0 && (end < 0 || lf < end+2) {
		return 0, nil, 0, false // bare LF line ends: net/http's rules
	}
	if end < 0 {
		if len(buf) >= 9 && !bytes.HasPrefix(buf, []byte("HTTP/1.1 ")) && !bytes.HasPrefix(buf, []byte("HTTP/1.0 ")) {
			return 0, nil, 0, false
		}
		return 0, nil, -1, true
	}
	headBytes := buf[:end+2]
	line, rest, _ := bytes.Cut(headBytes, []byte("\r\n"))
	if len(line) < 12 || !(bytes.HasPrefix(line, []byte("HTTP/1.1 ")) || bytes.HasPrefix(line, []byte("HTTP/1.0 "))) {
		return 0, nil, 0, false
	}
	status = line[9:]
	if !isDigit(status[0]) || !isDigit(status[1]) || !isDigit(status[2]) || len(status) > 3 && status[3] != ' ' || !printable(status) {
		return 0, nil, 0, false
	}
	code = int(status[0]-'0')*100 + int(status[1]-'0')*10 + int(status[2]-'0')
	if code < 200 || code == 204 || code >= 300 && code < 400 || code >= 600 {
		return 0, nil, 0, false // 1xx, 204, 3xx and the odd ones: net/http
	}
	sawLength := false
	for len(rest) > 0 {
		var hl []byte
		hl, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		key, val, found := bytes.Cut(hl, []byte(":"))
		if !found || len(key) == 0 || !isToken(key) || !printable(val) || bytes.IndexByte(hl, '\r') >= 0 {
			return 0, nil, 0, false
		}
		switch {
		case asciiEqualFold(key, "Transfer-Encoding"):
			return 0, nil, 0, false
		case asciiEqualFold(key, "Content-Length"):
			v := bytes.Trim(val, " \t")
			if sawLength || len(v) == 0 || len(v) > 18 || !allDigits(v) {
				return 0, nil, 0, false
			}
			sawLength = true
		}
	}
	return code, status, end + 4, true
}

// contentLength is the Content-Length of a head fastHTTPReply accepted.
func contentLength(head []byte) (int, bool) {
	for rest := head; len(rest) > 0; {
		var hl []byte
		hl, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		if key, val, ok := bytes.Cut(hl, []byte(":")); ok && asciiEqualFold(key, "Content-Length") {
			n := 0
			for _, c := range bytes.Trim(val, " \t") {
				n = n*10 + int(c-'0')
			}
			return n, true
		}
	}
	return 0, false
}

// judgeHTTPSlow is checkHTTP's plain path over the bytes received: net/http
// reads them as it would have read the connection. While the server has
// not closed, running out of bytes means "read on".
func judgeHTTPSlow(p *Probe, buf []byte, eof bool) (replyState, error) {
	method := http.MethodGet
	if p.head {
		method = http.MethodHead
	}
	resp, err := readHTTPHead(bytes.NewReader(buf), &http.Request{Method: method})
	if errors.Is(err, errHTTPHead) {
		return replyDone, err
	}
	if err != nil {
		// On the connection, net/http would have waited for the rest of a
		// line: an error on a partial head stands only once the line it
		// is about is complete.
		statusLine := bytes.IndexByte(buf, '\n') >= 0 && strings.Contains(err.Error(), "malformed HTTP")
		if !eof && (ranOut(err) || !headEnded(buf) && !statusLine) {
			return replyMore, nil
		}
		return replyDone, httpErr(context.Background(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	switch {
	case err != nil && !eof && ranOut(err):
		return replyMore, nil
	case err != nil:
		return replyDone, errors.New("http: reading body: " + netErr(context.Background(), err).Error())
	case !eof && resp.Body != http.NoBody && resp.ContentLength < 0 && resp.TransferEncoding == nil && len(body) < maxBody:
		return replyMore, nil // a body that ends at the close
	}
	if resp.StatusCode/100 == 3 && resp.Header.Get("Location") != "" {
		return replyRedirect, nil
	}
	return replyDone, judgeHTTP(resp.StatusCode, resp.Status, body, p.receive, p.re)
}

// headEnded reports whether buf holds the empty line that ends a head.
func headEnded(buf []byte) bool {
	return bytes.Contains(buf, []byte("\r\n\r\n")) || bytes.Contains(buf, []byte("\n\n"))
}

// ranOut reports whether net/http failed for want of bytes: on the
// connection it would have waited for more instead.
func ranOut(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected EOF")
}

// judgeSimpleTCPReply reads buf as check_simpletcp reads the answer
// (conn.simpleTCPExchange): line by line, up to maxReplyLines, until one
// matches receive=; the last line may lack its newline when the server
// closed after it.
func judgeSimpleTCPReply(p *Probe, buf []byte, eof bool) (replyState, error) {
	lines := 0
	for rest := buf; lines < maxReplyLines; lines++ {
		i := bytes.IndexByte(rest, '\n')
		var line []byte
		switch {
		case i > maxLine+1 || i < 0 && len(rest) > maxLine+2:
			return replyDone, errors.New("simpletcp: line too long")
		case i >= 0:
			line, rest = rest[:i], rest[i+1:]
		case eof && len(rest) > 0:
			line, rest = rest, nil
		case eof && lines == 0:
			return replyDone, errors.New("simpletcp: connection closed by server")
		case eof:
			return replyDone, errReceive(p)
		default:
			return replyMore, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if p.re == nil || p.re.Match(line) {
			return replyDone, nil
		}
	}
	return replyDone, errReceive(p)
}

func errReceive(p *Probe) error {
	return errors.New("receive " + strconv.Quote(p.receive) + " not matched")
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// printable: visible ASCII, space and tab only.
func printable(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 || c > 0x7e) && c != '\t' {
			return false
		}
	}
	return true
}

// isToken: RFC 9110 token characters.
func isToken(b []byte) bool {
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', isDigit(c):
		case bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0:
		default:
			return false
		}
	}
	return true
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c, d := b[i], s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}
