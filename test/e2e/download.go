package e2e

// This file is pure: the slow downloads' content, its verification, how a
// download's end is classified and how a batch is summarised (issue 11:
// "20 slow downloads, each several seconds, content verified").

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ContentAt fills p with the bytes of seed's download content from offset
// off on. The content is a splitmix64 stream, one 64-bit word per 8 bytes,
// so any range can be produced (and checked) without the bytes before it.
func ContentAt(seed uint64, off int64, p []byte) {
	var w [8]byte
	for len(p) > 0 {
		word := uint64(off / 8)
		binary.LittleEndian.PutUint64(w[:], splitmix64(seed+word*0x9e3779b97f4a7c15))
		n := copy(p, w[off%8:])
		p, off = p[n:], off+int64(n)
	}
}

// splitmix64 is the finaliser of Vigna's SplitMix64 generator: a good
// 64-bit mix of its input, enough to make every byte of the content depend
// on its offset and the seed.
func splitmix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Verifier is an io.Writer that checks what is written against seed's
// content from offset 0 on. It never fails a write: it records the first
// wrong byte (Bad) and counts the bytes (N).
type Verifier struct {
	Seed uint64
	N    int64 // bytes written so far
	Bad  int64 // offset of the first wrong byte, -1 while every byte matched

	want []byte
}

// NewVerifier returns a Verifier for seed's content.
func NewVerifier(seed uint64) *Verifier { return &Verifier{Seed: seed, Bad: -1} }

// Write implements io.Writer.
func (v *Verifier) Write(p []byte) (int, error) {
	if cap(v.want) < len(p) {
		v.want = make([]byte, len(p))
	}
	want := v.want[:len(p)]
	ContentAt(v.Seed, v.N, want)
	if v.Bad < 0 {
		for i := range p {
			if p[i] != want[i] {
				v.Bad = v.N + int64(i)
				break
			}
		}
	}
	v.N += int64(len(p))
	return len(p), nil
}

// Outcome is how a download ended.
type Outcome string

// The outcomes of a download.
const (
	DownloadOK      Outcome = "ok"        // every byte arrived and matched
	DownloadReset   Outcome = "reset"     // the connection was reset (RST)
	DownloadTimeout Outcome = "timeout"   // no byte for the idle timeout, or the whole deadline passed
	DownloadShort   Outcome = "short"     // the connection closed before Content-Length bytes
	DownloadCorrupt Outcome = "corrupted" // a byte differs from the content
	DownloadError   Outcome = "error"     // anything else (refused, bad answer)
)

// Classify tells how a download ended from the error that ended its body
// read (nil or io.EOF: the body ended), the bytes received against the
// bytes announced, and the offset of the first wrong byte (-1: none).
// Corruption wins over everything: a wrong byte is the worst outcome.
func Classify(err error, got, want, bad int64) Outcome {
	switch {
	case bad >= 0:
		return DownloadCorrupt
	case err == nil || errors.Is(err, io.EOF):
		if got == want {
			return DownloadOK
		}
		return DownloadShort
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return DownloadReset
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT):
		return DownloadTimeout
	case errors.Is(err, io.ErrUnexpectedEOF):
		return DownloadShort
	}
	return DownloadError
}

// Download is the record of one slow download through the VIP.
type Download struct {
	ID    int
	Seed  uint64
	Want  int64          // bytes announced (Content-Length)
	Got   int64          // bytes received
	Local netip.AddrPort // the client's end of the TCP connection
	Real  string         // the real server that answered (X-Real header)
	// Start is when the connection was dialled, End when the download
	// ended (complete or not).
	Start, End time.Time
	// LongestStall is the longest time without a byte, from the request
	// to the first byte, between two reads, or from the last byte to a
	// failure; StallFrom is when it began.
	LongestStall time.Duration
	StallFrom    time.Time
	Outcome      Outcome
	Err          string // why it failed ("" when OK)
}

// OK reports whether every byte arrived intact.
func (d Download) OK() bool { return d.Outcome == DownloadOK }

// Spans reports whether the download was in flight at t: dialled before
// and ended after it. A download that did not span an event proves nothing
// about it.
func (d Download) Spans(t time.Time) bool { return d.Start.Before(t) && d.End.After(t) }

// String is one line per download for the logs.
func (d Download) String() string {
	s := fmt.Sprintf("#%02d %-9s %s from %-6s %6d/%d bytes in %5.2fs, longest stall %.2fs",
		d.ID, d.Outcome, d.Local, d.Real, d.Got, d.Want, d.End.Sub(d.Start).Seconds(), d.LongestStall.Seconds())
	if d.Err != "" {
		s += ": " + d.Err
	}
	return s
}

// stall tracks the longest time without progress of one download.
type stall struct {
	last, from time.Time
	longest    time.Duration
}

// progress records that bytes arrived (or the download ended) at now.
func (s *stall) progress(now time.Time) {
	if d := now.Sub(s.last); d > s.longest {
		s.longest, s.from = d, s.last
	}
	s.last = now
}

// DownloadSummary is a batch of downloads in numbers.
type DownloadSummary struct {
	Total, Kept int
	// Lost counts the downloads that did not end OK, by outcome.
	Lost map[Outcome]int
	// LongestStall is the longest stall of any download (kept or not).
	LongestStall time.Duration
	// NotSpanning counts the downloads that were not in flight at the
	// event the batch was started for (see Download.Spans).
	NotSpanning int
}

// SummarizeDownloads counts the batch; event is the moment the batch was
// meant to straddle (the zero time: no event, NotSpanning stays 0).
func SummarizeDownloads(ds []Download, event time.Time) DownloadSummary {
	s := DownloadSummary{Total: len(ds), Lost: map[Outcome]int{}}
	for _, d := range ds {
		if d.OK() {
			s.Kept++
		} else {
			s.Lost[d.Outcome]++
		}
		s.LongestStall = max(s.LongestStall, d.LongestStall)
		if !event.IsZero() && !d.Spans(event) {
			s.NotSpanning++
		}
	}
	return s
}

// String is the summary's figure: "20/20 kept, longest stall 1.84s" or
// "0/20 kept (20 reset), longest stall 0.31s".
func (s DownloadSummary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d kept", s.Kept, s.Total)
	if len(s.Lost) > 0 {
		var parts []string
		for o, n := range s.Lost {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
		slices.Sort(parts)
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, ", longest stall %.2fs", s.LongestStall.Seconds())
	if s.NotSpanning > 0 {
		fmt.Fprintf(&b, ", %d not in flight at the event", s.NotSpanning)
	}
	return b.String()
}
