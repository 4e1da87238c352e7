// Package retry is the one way the project retries a host call: a bounded
// number of attempts with growing pauses, for errors the caller classes as
// transient (HNS's "Element not found" under parallel load, for example),
// within an overall time limit. Anything else fails at once.
package retry

import (
	"fmt"
	"time"
)

// Policy bounds retries.
type Policy struct {
	// Timeout is the time after which no new attempt starts.
	Timeout time.Duration
	// First is the pause after the first failure; each pause doubles up
	// to Max.
	First, Max time.Duration
	// Transient says whether an error is worth another attempt.
	Transient func(error) bool
	// Sleep and Now are time.Sleep and time.Now outside tests.
	Sleep func(time.Duration)
	Now   func() time.Time
}

// Do runs op until it succeeds, fails with a permanent error, or the
// timeout has passed; the last error is returned, saying how many attempts
// were made.
func (p Policy) Do(what string, op func() error) error {
	sleep, now := p.Sleep, p.Now
	if sleep == nil {
		sleep = time.Sleep
	}
	if now == nil {
		now = time.Now
	}
	pause := p.First
	if pause <= 0 {
		pause = 50 * time.Millisecond
	}
	deadline := now().Add(p.Timeout)
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil {
			return nil
		}
		if p.Transient == nil || !p.Transient(err) {
			return err
		}
		if !now().Add(pause).Before(deadline) {
			if attempt == 1 {
				return err
			}
			return fmt.Errorf("%s: still failing after %d attempts in %s: %w", what, attempt, p.Timeout, err)
		}
		sleep(pause)
		if pause *= 2; p.Max > 0 && pause > p.Max {
			pause = p.Max
		}
	}
}
