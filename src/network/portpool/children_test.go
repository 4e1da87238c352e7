package portpool_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/garden-windows/garden-windows-release/internal/filelock"
	"github.com/garden-windows/garden-windows-release/internal/testchild"
	"github.com/garden-windows/garden-windows-release/network/portpool"
)

// childEnv makes the test binary one of the concurrent winc-network
// processes of the multi-process test and the benchmark.
const childEnv = "PORTPOOL_TEST_CHILD"

// childSpec is what a child process is told to do: as handle Handle, Ops
// times reserve Ports ports of the pool and release them again, recording
// each in the event log. With Check it also checks the pool's state after
// each reservation. With Overlap it alternates between two handles
// (Handle+"-a" and Handle+"-b") and releases each reservation only after
// making the next one, so that each logged holding interval spans a whole
// reservation of its own (with Ops reservations and Ops releases all the
// same). With Sync it says "ready" on stdout and waits for "go" on stdin
// before it starts, and says "done" when it has finished.
type childSpec struct {
	StateFile, EventLog, Handle string
	Start, Size, Ops, Ports     int
	Check, Overlap, Sync        bool
}

// Fields are separated by "|": Windows paths contain ":".
func (c childSpec) String() string {
	return strings.Join([]string{c.StateFile, c.EventLog, c.Handle,
		strconv.Itoa(c.Start), strconv.Itoa(c.Size), strconv.Itoa(c.Ops), strconv.Itoa(c.Ports),
		strconv.FormatBool(c.Check), strconv.FormatBool(c.Overlap), strconv.FormatBool(c.Sync)}, "|")
}

func parseChildSpec(s string) (childSpec, error) {
	f := strings.Split(s, "|")
	if len(f) != 10 {
		return childSpec{}, fmt.Errorf("child spec %q: want 10 fields", s)
	}
	c := childSpec{StateFile: f[0], EventLog: f[1], Handle: f[2]}
	var errs [7]error
	c.Start, errs[0] = strconv.Atoi(f[3])
	c.Size, errs[1] = strconv.Atoi(f[4])
	c.Ops, errs[2] = strconv.Atoi(f[5])
	c.Ports, errs[3] = strconv.Atoi(f[6])
	c.Check, errs[4] = strconv.ParseBool(f[7])
	c.Overlap, errs[5] = strconv.ParseBool(f[8])
	c.Sync, errs[6] = strconv.ParseBool(f[9])
	for _, err := range errs {
		if err != nil {
			return childSpec{}, fmt.Errorf("child spec %q: %w", s, err)
		}
	}
	return c, nil
}

// runChild is the child process's main.
func runChild(spec string) int {
	c, err := parseChildSpec(spec)
	if err == nil {
		err = c.run()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "child %s: %v\n", c.Handle, err)
		return 1
	}
	return 0
}

func (c childSpec) run() error {
	pool := portpool.Pool{StateFile: c.StateFile, Start: c.Start, Size: c.Size}
	file, err := os.OpenFile(c.EventLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer file.Close()
	events := eventLog{file: file, lock: c.EventLog + ".lock"}
	if c.Sync {
		fmt.Println("ready")
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if line != "go\n" {
			return fmt.Errorf("expected go on stdin, got %q", line)
		}
	}
	want := make([]uint16, c.Ports) // all 0: any free port
	handle := c.Handle
	// With Overlap: the reservation not yet released, and its handle.
	var heldPorts []uint16
	heldBy := ""
	for op := 0; op < c.Ops; op++ {
		if c.Overlap {
			handle = c.Handle + []string{"-a", "-b"}[op%2]
		}
		got, err := pool.Reserve(handle, want)
		if err != nil {
			return fmt.Errorf("op %d: %w", op, err)
		}
		// Each event is one append, written after the reservation and before
		// the release: the log's holding intervals lie within the real ones.
		if err := logEvents(events, "reserve", got, handle); err != nil {
			return err
		}
		if c.Check {
			if err := c.check(pool, handle, got); err != nil {
				return fmt.Errorf("op %d: %w", op, err)
			}
		}
		toRelease, releaseBy := got, handle
		if c.Overlap { // release the previous reservation instead, if any
			toRelease, releaseBy, heldPorts, heldBy = heldPorts, heldBy, got, handle
		}
		if releaseBy != "" {
			if err := release(pool, events, toRelease, releaseBy); err != nil {
				return fmt.Errorf("op %d: %w", op, err)
			}
		}
	}
	if c.Overlap && heldBy != "" {
		if err := release(pool, events, heldPorts, heldBy); err != nil {
			return err
		}
	}
	if c.Sync {
		fmt.Println("done")
	}
	return nil
}

func release(pool portpool.Pool, events eventLog, ports []uint16, handle string) error {
	if err := logEvents(events, "release", ports, handle); err != nil {
		return err
	}
	return pool.Release(handle)
}

// check: the ports are distinct ports of the pool, the state gives the
// handle exactly those, and no port of the state has two holders.
func (c childSpec) check(pool portpool.Pool, handle string, got []uint16) error {
	sorted := slices.Sorted(slices.Values(got))
	if len(slices.Compact(slices.Clone(sorted))) != len(got) {
		return fmt.Errorf("reserved the same port twice: %v", got)
	}
	for _, p := range got {
		if int(p) < c.Start || int(p) >= c.Start+c.Size {
			return fmt.Errorf("port %d is outside the pool %d-%d", p, c.Start, c.Start+c.Size-1)
		}
	}
	mine, err := pool.Reserved(handle)
	if err != nil {
		return err
	}
	if !slices.Equal(mine, sorted) {
		return fmt.Errorf("reserved %v but the state gives %s %v", got, handle, mine)
	}
	all, err := pool.All()
	if err != nil {
		return err
	}
	holder := map[uint16]string{}
	for h, ports := range all {
		for _, p := range ports {
			if other, dup := holder[p]; dup {
				return fmt.Errorf("the state gives port %d to both %s and %s", p, other, h)
			}
			holder[p] = h
		}
	}
	return nil
}

// eventLog is the event log shared by the processes of a test. Each append
// is made under a lock on a file next to it: appends to a file opened for
// appending are atomic across processes on Linux and Windows, but not under
// Wine, where the Windows build of these tests lost lines of concurrent
// appends (a process's own release line went missing), which the replay
// then reported as double allocations that the state never had.
type eventLog struct {
	file *os.File
	lock string
}

func logEvents(log eventLog, what string, ports []uint16, handle string) error {
	var b bytes.Buffer
	for _, p := range ports {
		fmt.Fprintf(&b, "%s %d %s\n", what, p, handle)
	}
	l, err := filelock.Acquire(log.lock)
	if err != nil {
		return err
	}
	defer l.Unlock()
	_, err = log.file.Write(b.Bytes())
	return err
}

// replayReport is what replaying an event log found.
type replayReport struct {
	Reserves, Releases int
	// DoubleAllocations describes each time a port was reserved while
	// another handle held it.
	DoubleAllocations []string
	// Other describes other inconsistencies: a release of a port the handle
	// did not hold, a malformed line.
	Other []string
	// StillHeld are ports reserved and never released.
	StillHeld map[uint16]string
}

// replay reads an event log and checks that no port was ever held by two
// handles at once.
func replay(path string) (replayReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return replayReport{}, err
	}
	defer f.Close()
	r := replayReport{StillHeld: map[uint16]string{}}
	scanner := bufio.NewScanner(f)
	for line := 1; scanner.Scan(); line++ {
		var what, handle string
		var port uint16
		if n, err := fmt.Sscanf(scanner.Text(), "%s %d %s", &what, &port, &handle); n != 3 || err != nil {
			r.Other = append(r.Other, fmt.Sprintf("line %d: malformed: %q", line, scanner.Text()))
			continue
		}
		holder, held := r.StillHeld[port]
		switch what {
		case "reserve":
			r.Reserves++
			if held {
				r.DoubleAllocations = append(r.DoubleAllocations,
					fmt.Sprintf("line %d: port %d reserved by %s while %s held it", line, port, handle, holder))
			}
			r.StillHeld[port] = handle
		case "release":
			r.Releases++
			if !held || holder != handle {
				r.Other = append(r.Other, fmt.Sprintf("line %d: port %d released by %s, which did not hold it", line, port, handle))
				continue
			}
			delete(r.StillHeld, port)
		default:
			r.Other = append(r.Other, fmt.Sprintf("line %d: unknown event %q", line, what))
		}
	}
	return r, scanner.Err()
}

// children are running child processes.
type children struct {
	cmds   []*exec.Cmd
	stdin  []io.WriteCloser
	stderr []*bytes.Buffer
	ready  sync.WaitGroup
	done   sync.WaitGroup
	read   sync.WaitGroup // stdout read to its end
	mu     sync.Mutex
	lastAt time.Time
}

// startChildren starts one child per spec. With Sync specs, waitReady and
// begin start them together.
func startChildren(specs []childSpec) (*children, error) {
	c := &children{}
	for _, spec := range specs {
		cmd := testchild.Command(childEnv, spec.String())
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		var stdin io.WriteCloser
		var stdout io.ReadCloser
		var err error
		if spec.Sync {
			if stdin, err = cmd.StdinPipe(); err != nil {
				return c, err
			}
			if stdout, err = cmd.StdoutPipe(); err != nil {
				return c, err
			}
		}
		if err := cmd.Start(); err != nil {
			return c, err
		}
		c.cmds = append(c.cmds, cmd)
		c.stdin = append(c.stdin, stdin)
		c.stderr = append(c.stderr, &stderr)
		if spec.Sync {
			c.ready.Add(1)
			c.done.Add(1)
			c.read.Add(1)
			go c.watch(stdout)
		}
	}
	return c, nil
}

// watch follows a child's stdout: "ready", then "done". A child that fails
// first counts as both, so that nobody waits for it forever.
func (c *children) watch(stdout io.Reader) {
	defer c.read.Done()
	lines := bufio.NewScanner(stdout)
	ready, done := false, false
	for lines.Scan() {
		switch lines.Text() {
		case "ready":
			if !ready {
				ready = true
				c.ready.Done()
			}
		case "done":
			if !done {
				done = true
				c.mu.Lock()
				c.lastAt = time.Now()
				c.mu.Unlock()
				c.done.Done()
			}
		}
	}
	if !ready {
		c.ready.Done()
	}
	if !done {
		c.done.Done()
	}
}

// begin tells every child to go, once all are ready, and returns when.
func (c *children) begin() time.Time {
	c.ready.Wait()
	start := time.Now()
	for _, stdin := range c.stdin {
		if stdin != nil {
			io.WriteString(stdin, "go\n")
			stdin.Close()
		}
	}
	return start
}

// finished waits until every child said done (or stopped), and returns when
// the last one did.
func (c *children) finished() time.Time {
	c.done.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastAt
}

// wait waits for every child to exit and returns the failures, with what
// each printed on stderr.
func (c *children) wait() error {
	// Wait closes the stdout pipes: read them to the end first.
	c.read.Wait()
	var failures []string
	for i, cmd := range c.cmds {
		if err := cmd.Wait(); err != nil {
			failures = append(failures, fmt.Sprintf("%v: %s", err, strings.TrimSpace(c.stderr[i].String())))
		}
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d of %d child processes failed:\n%s", len(failures), len(c.cmds), strings.Join(failures, "\n"))
	}
	return nil
}

// kill stops every child still running (after a failure in the parent).
func (c *children) kill() {
	for i, cmd := range c.cmds {
		if c.stdin[i] != nil {
			c.stdin[i].Close()
		}
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
}
