package retry_test

import (
	"errors"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/internal/retry"
)

func TestRetry(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "retry")
}

var errTransient = errors.New("element not found")
var errPermanent = errors.New("invalid policy")

var _ = Describe("Policy.Do", func() {
	var (
		clock  time.Time
		pauses []time.Duration
		p      retry.Policy
	)

	BeforeEach(func() {
		clock = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		pauses = nil
		p = retry.Policy{
			Timeout: 2 * time.Second, First: 100 * time.Millisecond, Max: 400 * time.Millisecond,
			Transient: func(err error) bool { return errors.Is(err, errTransient) },
			Sleep:     func(d time.Duration) { pauses = append(pauses, d); clock = clock.Add(d) },
			Now:       func() time.Time { return clock },
		}
	})

	It("retries transient errors with growing, capped pauses until success", func() {
		calls := 0
		err := p.Do("attach", func() error {
			calls++
			if calls < 5 {
				return errTransient
			}
			return nil
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(calls).To(Equal(5))
		Expect(pauses).To(Equal([]time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 400 * time.Millisecond}))
	})

	It("fails at once on a permanent error", func() {
		calls := 0
		err := p.Do("attach", func() error { calls++; return errPermanent })
		Expect(err).To(MatchError(errPermanent))
		Expect(calls).To(Equal(1))
	})

	It("gives up within the timeout, saying how often it tried", func() {
		calls := 0
		err := p.Do("attach", func() error { calls++; return errTransient })
		Expect(errors.Is(err, errTransient)).To(BeTrue())
		Expect(err).To(MatchError(ContainSubstring("attach: still failing after")))
		var total time.Duration
		for _, d := range pauses {
			total += d
		}
		Expect(total).To(BeNumerically("<", 2*time.Second))
		Expect(calls).To(Equal(len(pauses) + 1))
	})
})
