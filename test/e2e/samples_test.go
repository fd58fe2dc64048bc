package e2e

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

func ok(start, end int, real string) Sample {
	return Sample{Start: ms(start), End: ms(end), Real: real}
}

func fail(start, end int) Sample {
	return Sample{Start: ms(start), End: ms(end), Err: "timeout"}
}

func TestLongestGap(t *testing.T) {
	tests := []struct {
		name     string
		samples  []Sample
		from, to int
		want     Gap
		wantOK   bool
	}{
		{name: "no answers", samples: []Sample{fail(0, 500)}, to: 1000},
		{name: "one answer", samples: []Sample{ok(0, 10, "web1")}, to: 1000},
		{
			name:    "steady",
			samples: []Sample{ok(0, 10, "web1"), ok(50, 60, "web2"), ok(100, 130, "web3")},
			to:      1000, want: Gap{ms(60), ms(130)}, wantOK: true,
		},
		{
			name: "failover gap, answers out of order",
			samples: []Sample{
				ok(0, 10, "web1"), ok(50, 60, "web2"), fail(100, 600), fail(150, 650),
				ok(1200, 1210, "web3"), ok(1150, 1190, "web1"),
			},
			from: 80, to: 2000, want: Gap{ms(60), ms(1190)}, wantOK: true,
		},
		{
			name:    "gap started before the window counts whole",
			samples: []Sample{ok(0, 10, "web1"), ok(900, 910, "web2"), ok(950, 960, "web2")},
			from:    500, to: 2000, want: Gap{ms(10), ms(910)}, wantOK: true,
		},
		{
			name:    "gaps outside the window are ignored",
			samples: []Sample{ok(0, 10, "a"), ok(900, 910, "a"), ok(950, 960, "a"), ok(1000, 1010, "a")},
			from:    961, to: 2000, want: Gap{ms(960), ms(1010)}, wantOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotOK := LongestGap(tt.samples, ms(tt.from), ms(tt.to))
			if gotOK != tt.wantOK {
				t.Fatalf("LongestGap ok = %v, want %v", gotOK, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LongestGap (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGapsAndSummarize(t *testing.T) {
	samples := []Sample{
		ok(0, 10, "web1"), ok(50, 60, "web2"), fail(100, 600),
		ok(1000, 1010, "web3"), ok(1050, 1060, "web1"), fail(1100, 1400), ok(1900, 1910, "web2"),
	}
	tests := []struct {
		name       string
		from, to   int
		min        time.Duration
		wantGaps   []Gap
		wantWindow Window
	}{
		{
			name: "whole run", to: 2000, min: 500 * time.Millisecond,
			wantGaps: []Gap{{ms(60), ms(1010)}, {ms(1060), ms(1910)}},
			wantWindow: Window{From: ms(0), To: ms(2000), OK: 5,
				Failed: []Sample{fail(100, 600), fail(1100, 1400)},
				ByReal: map[string]int{"web1": 2, "web2": 2, "web3": 1}},
		},
		{
			name: "second half", from: 1050, to: 2000, min: 500 * time.Millisecond,
			wantGaps: []Gap{{ms(1060), ms(1910)}},
			wantWindow: Window{From: ms(1050), To: ms(2000), OK: 2,
				Failed: []Sample{fail(1100, 1400)}, ByReal: map[string]int{"web1": 1, "web2": 1}},
		},
		{
			name: "threshold above every gap", to: 2000, min: time.Second,
			wantWindow: Window{From: ms(0), To: ms(2000), OK: 5,
				Failed: []Sample{fail(100, 600), fail(1100, 1400)},
				ByReal: map[string]int{"web1": 2, "web2": 2, "web3": 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.wantGaps, Gaps(samples, ms(tt.from), ms(tt.to), tt.min)); diff != "" {
				t.Errorf("Gaps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWindow, Summarize(samples, ms(tt.from), ms(tt.to))); diff != "" {
				t.Errorf("Summarize (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGapOverlapsAndFirstAnswer(t *testing.T) {
	g := Gap{From: ms(100), To: ms(1000)}
	tests := []struct {
		name string
		s    Sample
		want bool
	}{
		{"hung from before the gap", fail(50, 550), true},
		{"inside", fail(200, 300), true},
		{"ended before", fail(0, 90), false},
		{"started after", fail(1001, 1500), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := g.Overlaps(tt.s); got != tt.want {
				t.Errorf("Overlaps(%v-%v) = %v, want %v", tt.s.Start.Sub(t0), tt.s.End.Sub(t0), got, tt.want)
			}
		})
	}
	samples := []Sample{ok(0, 10, "web1"), ok(500, 590, "web1"), ok(450, 600, "web1"), ok(700, 710, "web2")}
	t.Run("first answer", func(t *testing.T) {
		got, found := FirstAnswerFrom(samples, "web1", ms(100))
		if !found || !got.Equal(ms(590)) {
			t.Errorf("FirstAnswerFrom(web1, 100ms) = %v, %v; want 590ms, true", got.Sub(t0), found)
		}
		if _, found := FirstAnswerFrom(samples, "web3", ms(0)); found {
			t.Error("FirstAnswerFrom(web3) found an answer, want none")
		}
	})
}

func TestStopOrder(t *testing.T) {
	in := "x: info: IP address removed component=resources agent=IPaddr prefix=192.0.2.240/24 iface=eth1"
	lan := "x: info: IP address removed component=resources agent=IPaddr prefix=203.0.113.10/24 iface=eth0"
	ld := "x: info: Running /opt/bin/ldirectord ldirectord.cf stop component=resources"
	tests := []struct {
		name    string
		lines   []string
		wantErr bool
	}{
		{"reverse order", []string{"a", in, lan, "b", ld}, false},
		{"ldirectord first", []string{ld, in, lan}, true},
		{"LAN VIP first", []string{lan, in, ld}, true},
		{"missing line", []string{in, ld}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := stopOrder(tt.lines)
			if (err != nil) != tt.wantErr {
				t.Errorf("stopOrder error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestFormatSummary(t *testing.T) {
	rows := []Row{
		{Step: "start", At: 0, Took: 12 * time.Second, Requests: 4, Result: "test1.com active"},
		{Step: "active director dies", At: 17500 * time.Millisecond, Took: 2450 * time.Millisecond, Requests: 45, Failed: 25,
			LongestGap: 1275 * time.Millisecond, Result: "test2.com active"},
	}
	want := `step                               at    took requests failed longest gap  result
----------------------------------------------------------------------------------------------------
start                            0.0s   12.0s        4      0       0.00s  test1.com active
active director dies            17.5s    2.5s       45     25       1.27s  test2.com active
at: when the step began; requests: client GETs started during the step; failed: got no
answer within 1 s; longest gap: the longest time between two answers during the step.
`
	if diff := cmp.Diff(want, FormatSummary(rows)); diff != "" {
		t.Errorf("FormatSummary (-want +got):\n%s", diff)
	}
}

func TestNewConnOutage(t *testing.T) {
	tests := []struct {
		name    string
		samples []Sample
		want    time.Duration
	}{
		{"all answered", []Sample{ok(0, 10, "web1"), ok(50, 60, "web2")}, 0},
		{"one run", []Sample{ok(0, 10, "web1"), fail(50, 1050), fail(100, 1100), ok(150, 160, "web2"), ok(200, 900, "web1")},
			// the run starts at 50; the first answer to a request started after it ends at 160
			110 * time.Millisecond},
		{"answer to a later request ends first", []Sample{fail(100, 1100), ok(200, 1500, "web1"), ok(300, 700, "web2")}, 600 * time.Millisecond},
		{"two runs, the longer counts", []Sample{fail(0, 1000), ok(50, 100, "a"), fail(200, 1200), fail(250, 1250), ok(1300, 1310, "b")}, 1110 * time.Millisecond},
		{"never answered again", []Sample{ok(0, 10, "a"), fail(500, 1500)}, 1500 * time.Millisecond},
		{"outside the window", []Sample{fail(-500, 500), ok(100, 110, "a")}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewConnOutage(tt.samples, ms(0), ms(2000)); got != tt.want {
				t.Errorf("NewConnOutage = %v, want %v", got, tt.want)
			}
		})
	}
	if d, ok := FirstAnswerAfter([]Sample{ok(100, 400, "a"), ok(300, 350, "b"), ok(-10, 5, "c")}, ms(50)); !ok || d != 300*time.Millisecond {
		t.Errorf("FirstAnswerAfter = %v %v, want 300ms true", d, ok)
	}
}
