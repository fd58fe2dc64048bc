package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Client sends GET / to the VIP every Interval, each request on a new
// connection (keep-alives off: IPVS schedules per connection) bounded by
// Timeout, without waiting for the previous one, and records a Sample per
// request.
type Client struct {
	URL      string
	Interval time.Duration
	Timeout  time.Duration
	HTTP     *http.Client // made by the caller in the client's netns

	mu      sync.Mutex
	samples []Sample
}

// Run sends requests until ctx ends, then waits for those in flight.
func (c *Client) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(c.Interval)
	defer tick.Stop()
	for {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := c.get(ctx)
			c.mu.Lock()
			c.samples = append(c.samples, s)
			c.mu.Unlock()
		}()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (c *Client) get(ctx context.Context) Sample {
	s := Sample{Start: time.Now()}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.Timeout)
	defer cancel()
	body, err := c.fetch(rctx)
	s.End = time.Now()
	if err != nil {
		s.Err = err.Error()
	} else {
		s.Real = body
	}
	return s
}

func (c *Client) fetch(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", fmt.Errorf("read body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s", resp.Status)
	}
	return strings.TrimSpace(string(b)), nil
}

// Samples returns a copy of the samples so far.
func (c *Client) Samples() []Sample {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Sample(nil), c.samples...)
}
