//go:build !windows

package sim

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/internal/cmdline"
	"github.com/garden-windows/garden-windows-release/internal/statefile"
	"github.com/garden-windows/garden-windows-release/internal/winpath"
)

// Compute simulates the Host Compute Service.
type Compute struct {
	Host Host
}

var _ host.ComputeHost = Compute{}

// computeDoc is the simulated HCS's state: every compute system on the host.
type computeDoc struct {
	Systems map[string]*System `json:"systems"`
}

// System is one simulated compute system.
type System struct {
	Spec      host.ContainerSpec `json:"spec"`
	State     string             `json:"state"` // created, running, stopped
	Processes []ProcessRecord    `json:"processes"`
}

// ProcessRecord is a process started in a simulated container, as HCS was
// asked to start it.
type ProcessRecord struct {
	Pid              int               `json:"pid"`
	CommandLine      string            `json:"commandLine"`
	User             string            `json:"user"`
	WorkingDirectory string            `json:"workingDirectory"`
	Environment      map[string]string `json:"environment"`
}

func (c Compute) file() string { return filepath.Join(c.Host.Root, "hcs.json") }

// Systems returns the simulated compute systems, for tests.
func (c Compute) Systems() (map[string]*System, error) {
	doc, err := statefile.Read[computeDoc](c.file())
	return doc.Systems, err
}

func (c Compute) update(change func(*computeDoc) error) error {
	return statefile.Update(c.file(), func(d *computeDoc) error {
		if d.Systems == nil {
			d.Systems = map[string]*System{}
		}
		return change(d)
	})
}

func notFound(op, id string) error {
	return &Error{Op: op, Code: codeSystemNotFound, Text: fmt.Sprintf("compute system %s does not exist", id)}
}

// drive is where the simulated container's C: lives.
func (c Compute) drive(id string) string { return filepath.Join(c.Host.Root, "hcs", id, "C") }

// Drive is the directory holding simulated container id's C:, which on
// Windows is the container's sandbox volume as the host sees it.
func (c Compute) Drive(id string) string { return c.drive(id) }

// CreateContainer records a new compute system; like HCS it refuses an id
// in use and layer or mapped directories that do not exist.
func (c Compute) CreateContainer(spec host.ContainerSpec) error {
	after, err := c.Host.before("CreateContainer")
	if err != nil {
		return err
	}
	for _, dir := range append(append([]string{spec.ScratchLayer}, spec.ParentLayers...), hostPaths(spec.MappedDirectories)...) {
		if info, err := os.Stat(c.Host.Path(dir)); err != nil || !info.IsDir() {
			return &Error{Op: "CreateContainer", Code: codePathNotFound, Text: fmt.Sprintf("the system cannot find the path specified: %s", dir)}
		}
	}
	err = c.update(func(d *computeDoc) error {
		if _, ok := d.Systems[spec.ID]; ok {
			return &Error{Op: "CreateContainer", Code: codeSystemExists, Text: fmt.Sprintf("a compute system with id %s already exists", spec.ID)}
		}
		d.Systems[spec.ID] = &System{Spec: spec, State: "created"}
		return os.MkdirAll(c.drive(spec.ID), 0o755)
	})
	if err == nil {
		afterOp(after)
	}
	return err
}

func hostPaths(mds []host.MappedDirectory) []string {
	var out []string
	for _, m := range mds {
		out = append(out, m.HostPath)
	}
	return out
}

// StartContainer starts a created compute system.
func (c Compute) StartContainer(id string) error {
	after, err := c.Host.before("StartContainer")
	if err != nil {
		return err
	}
	err = c.update(func(d *computeDoc) error {
		s, ok := d.Systems[id]
		if !ok {
			return notFound("StartContainer", id)
		}
		if s.State != "created" {
			return &Error{Op: "StartContainer", Code: codeInvalidState, Text: "the compute system is " + s.State}
		}
		s.State = "running"
		return nil
	})
	if err == nil {
		afterOp(after)
	}
	return err
}

// Running reports whether id exists and runs.
func (c Compute) Running(id string) (bool, error) {
	doc, err := statefile.Read[computeDoc](c.file())
	if err != nil {
		return false, err
	}
	s, ok := doc.Systems[id]
	return ok && s.State == "running", nil
}

// StartProcess runs the command line as a Linux process. The program and
// working directory are Windows paths resolved the way the container would
// see them: through its mapped directories, else inside its own C:.
func (c Compute) StartProcess(id string, spec host.ProcessSpec) (host.Process, error) {
	if _, err := c.Host.before("StartProcess"); err != nil {
		return nil, err
	}
	doc, err := statefile.Read[computeDoc](c.file())
	if err != nil {
		return nil, err
	}
	s, ok := doc.Systems[id]
	if !ok {
		return nil, notFound("StartProcess", id)
	}
	if s.State != "running" {
		return nil, &Error{Op: "StartProcess", Code: codeInvalidState, Text: "the compute system is " + s.State}
	}
	args := cmdline.Split(spec.CommandLine)
	if len(args) == 0 {
		return nil, &Error{Op: "StartProcess", Code: codeFileNotFound, Text: "empty command line"}
	}
	prog, err := c.resolve(s, args[0])
	if err != nil {
		return nil, err
	}
	cwd := c.inContainer(s, spec.WorkingDirectory)
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command(prog, args[1:]...)
	cmd.Dir = cwd
	cmd.Env = environ(spec.Environment)
	// Its own process group: the container's processes outlive the winc
	// that started them, and stop together.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	p := &process{}
	var childEnds []*os.File
	if spec.Stdio {
		inR, inW, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		outR, outW, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		errR, errW, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
		childEnds = []*os.File{inR, outW, errW}
		p.stdin, p.stdout, p.stderr = inW, outR, errR
	}
	startErr := cmd.Start()
	for _, f := range childEnds {
		_ = f.Close()
	}
	if startErr != nil {
		p.closePipes()
		return nil, &Error{Op: "StartProcess", Code: codeFileNotFound, Text: startErr.Error()}
	}
	p.cmd = cmd
	rec := ProcessRecord{Pid: cmd.Process.Pid, CommandLine: spec.CommandLine, User: spec.User, WorkingDirectory: spec.WorkingDirectory, Environment: spec.Environment}
	if err := c.update(func(d *computeDoc) error {
		if s, ok := d.Systems[id]; ok {
			s.Processes = append(s.Processes, rec)
		}
		return nil
	}); err != nil {
		_ = cmd.Process.Kill()
		return nil, err
	}
	return p, nil
}

func environ(env map[string]string) []string {
	out := []string{}
	hasPath := false
	for k, v := range env {
		out = append(out, k+"="+v)
		hasPath = hasPath || strings.EqualFold(k, "PATH")
	}
	if !hasPath {
		// Windows gives every process the system PATH; here that is the
		// Linux one, so tests can run ordinary programs.
		out = append(out, "PATH="+os.Getenv("PATH"))
	}
	return out
}

func (c Compute) resolve(s *System, prog string) (string, error) {
	if winpath.IsAbs(prog) {
		return c.inContainer(s, prog), nil
	}
	p, err := exec.LookPath(prog)
	if err != nil {
		return "", &Error{Op: "StartProcess", Code: codeFileNotFound, Text: fmt.Sprintf("the system cannot find the file specified: %s", prog)}
	}
	return p, nil
}

// inContainer maps a Windows path inside the container to the simulation.
func (c Compute) inContainer(s *System, p string) string {
	for _, m := range s.Spec.MappedDirectories {
		if winpath.Within(m.ContainerPath, p) {
			rel := strings.TrimPrefix(winpath.Clean(p)[len(winpath.Clean(m.ContainerPath)):], `\`)
			return filepath.Join(c.Host.Path(m.HostPath), filepath.FromSlash(winpath.ToSlash(rel)))
		}
	}
	rest := strings.TrimPrefix(winpath.Clean(p), winpath.VolumeName(p))
	return filepath.Join(c.drive(s.Spec.ID), filepath.FromSlash(winpath.ToSlash(rest)))
}

// Shutdown asks every process of the container to stop (SIGTERM) and
// waits for them.
func (c Compute) Shutdown(id string, timeout time.Duration) (bool, error) {
	if _, err := c.Host.before("Shutdown"); err != nil {
		return false, err
	}
	doc, err := statefile.Read[computeDoc](c.file())
	if err != nil {
		return false, err
	}
	s, ok := doc.Systems[id]
	if !ok {
		return false, notFound("Shutdown", id)
	}
	signalAll(s, syscall.SIGTERM)
	deadline := time.Now().Add(timeout)
	for len(livePids(s)) > 0 {
		if time.Now().After(deadline) {
			return false, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true, c.update(func(d *computeDoc) error {
		if s, ok := d.Systems[id]; ok {
			s.State = "stopped"
		}
		return nil
	})
}

// Terminate kills every process of the container and removes the compute
// system, as HCS does once a terminated system's last handle is closed.
func (c Compute) Terminate(id string) error {
	after, err := c.Host.before("Terminate")
	if err != nil {
		return err
	}
	err = c.update(func(d *computeDoc) error {
		s, ok := d.Systems[id]
		if !ok {
			return notFound("Terminate", id)
		}
		signalAll(s, syscall.SIGKILL)
		delete(d.Systems, id)
		return os.RemoveAll(filepath.Dir(c.drive(id)))
	})
	if err == nil {
		afterOp(after)
	}
	return err
}

func signalAll(s *System, sig syscall.Signal) {
	for _, pid := range livePids(s) {
		// The whole group: a process's children go with it.
		_ = syscall.Kill(-pid, sig)
	}
}

func livePids(s *System) []int {
	var live []int
	for _, p := range s.Processes {
		if ProcessAlive(p.Pid) {
			live = append(live, p.Pid)
		}
	}
	return live
}

// ProcessAlive reports whether a simulated container process still runs
// (a zombie does not).
func ProcessAlive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name; Z is a zombie.
	i := strings.LastIndexByte(string(data), ')')
	return i < 0 || i+2 >= len(data) || data[i+2] != 'Z'
}

// Stats sums the live processes' resident memory and CPU time.
func (c Compute) Stats(id string) (host.Stats, error) {
	doc, err := statefile.Read[computeDoc](c.file())
	if err != nil {
		return host.Stats{}, err
	}
	s, ok := doc.Systems[id]
	if !ok {
		return host.Stats{}, notFound("Stats", id)
	}
	var st host.Stats
	for _, pid := range livePids(s) {
		st.Processes++
		mem, user, kernel := procUsage(pid)
		st.MemoryCommitBytes += mem
		st.MemoryPrivateWorkingSetBytes += mem
		st.CPUUser100ns += user
		st.CPUKernel100ns += kernel
	}
	st.MemoryCommitPeakBytes = st.MemoryCommitBytes
	st.CPUTotal100ns = st.CPUUser100ns + st.CPUKernel100ns
	return st, nil
}

// procUsage reads resident bytes and user/kernel time (in 100ns units,
// assuming the usual 100 clock ticks a second) of a Linux process.
func procUsage(pid int) (mem, user, kernel uint64) {
	if f, err := os.Open(fmt.Sprintf("/proc/%d/statm", pid)); err == nil {
		var size, resident uint64
		_, _ = fmt.Fscan(bufio.NewReader(f), &size, &resident)
		_ = f.Close()
		mem = resident * uint64(os.Getpagesize())
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return
	}
	i := strings.LastIndexByte(string(data), ')')
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) > 12 {
		u, _ := strconv.ParseUint(fields[11], 10, 64)
		k, _ := strconv.ParseUint(fields[12], 10, 64)
		user, kernel = u*100000, k*100000
	}
	return
}

// process is a simulated container process.
type process struct {
	cmd            *exec.Cmd
	stdin          *os.File
	stdout, stderr *os.File
	waited         bool
	exitCode       int
	waitErr        error
}

func (p *process) Pid() int { return p.cmd.Process.Pid }

func (p *process) Stdio() (io.WriteCloser, io.ReadCloser, io.ReadCloser) {
	if p.stdin == nil {
		return nil, nil, nil
	}
	return p.stdin, p.stdout, p.stderr
}

func (p *process) CloseStdin() error {
	if p.stdin == nil {
		return nil
	}
	return p.stdin.Close()
}

func (p *process) Wait() (int, error) {
	if p.waited {
		return p.exitCode, p.waitErr
	}
	p.waited = true
	err := p.cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		p.exitCode = exit.ExitCode()
		if p.exitCode < 0 {
			// Killed: Windows reports a terminated process's code as 1.
			p.exitCode = 1
		}
	default:
		p.waitErr = err
	}
	return p.exitCode, p.waitErr
}

func (p *process) Kill() error { return syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }

// Close releases winc's hold on the process; a detached process goes on.
func (p *process) Close() error {
	if !p.waited && p.stdin == nil {
		_ = p.cmd.Process.Release()
	}
	p.closePipes()
	return nil
}

func (p *process) closePipes() {
	for _, f := range []*os.File{p.stdin, p.stdout, p.stderr} {
		if f != nil {
			_ = f.Close()
		}
	}
}
