package director

import (
	"context"
	"log/slog"
	"time"
)

// jobQueue runs jobs in order on one goroutine of its own, so that slow
// output (an SMTP relay that hangs, a monitorfile on a stuck disk) never
// blocks the reconcile goroutine. The queue is bounded: when it is full a
// job is dropped and logged, never waited for.
type jobQueue struct {
	name string
	log  *slog.Logger
	ch   chan func(context.Context)
	ctx  context.Context
	stop context.CancelFunc
	done chan struct{}
}

// newJobQueue starts the worker. Its jobs get a context that outlives the
// director's: close cancels it after a grace period, so the alerts of a
// clean stop still go out.
func newJobQueue(name string, size int, log *slog.Logger) *jobQueue {
	ctx, stop := context.WithCancel(context.Background())
	q := &jobQueue{name: name, log: log, ch: make(chan func(context.Context), size), ctx: ctx, stop: stop, done: make(chan struct{})}
	go q.loop()
	return q
}

func (q *jobQueue) loop() {
	defer close(q.done)
	for job := range q.ch {
		if q.ctx.Err() != nil {
			continue // closing: drop what is left
		}
		job(q.ctx)
	}
}

// enqueue queues job, or drops and logs it when the queue is full.
// Called from one goroutine (the reconcile goroutine).
func (q *jobQueue) enqueue(job func(context.Context)) {
	select {
	case q.ch <- job:
	default:
		q.log.Error(q.name + " dropped: queue full")
	}
}

// close lets the queued jobs run for up to grace, then cancels what is
// still running or queued, and returns when the worker has stopped.
func (q *jobQueue) close(grace time.Duration) {
	close(q.ch)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-q.done:
	case <-t.C:
		q.log.Warn(q.name + ": not finished at stop; the rest is dropped")
	}
	q.stop()
	<-q.done
}
