package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/internal/atomicfile"
	"github.com/garden-windows/garden-windows-release/internal/hresult"
)

// Runtime carries out winc's commands.
type Runtime struct {
	Host   host.ComputeHost
	States Store
	// Stat checks mount sources (os.Stat).
	Stat StatFunc
	Now  func() time.Time
	// ShutdownTimeout bounds a graceful stop before winc terminates the
	// container.
	ShutdownTimeout time.Duration
	Log             lager.Logger
}

// Stdio are the streams a foreground process is connected to.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// LoadBundle reads the OCI config of the bundle at dir.
func LoadBundle(dir string) (*specs.Spec, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: bundle: no bundle directory given (--bundle)", ErrInvalidBundle)
	}
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: bundle %s has no config.json", ErrInvalidBundle, dir)
		}
		return nil, fmt.Errorf("%w: reading %s: %v", ErrInvalidBundle, path, err)
	}
	var s specs.Spec
	if err := decodeStrict(data, &s); err != nil {
		return nil, fmt.Errorf("%w: %s is not a valid OCI config: %v", ErrInvalidBundle, path, err)
	}
	return &s, nil
}

// LoadProcess reads an OCI process spec (exec -p).
func LoadProcess(path string) (*specs.Process, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: reading process spec: %v", ErrInvalidBundle, err)
	}
	var p specs.Process
	if err := decodeStrict(data, &p); err != nil {
		return nil, fmt.Errorf("%w: %s is not a valid OCI process spec: %v", ErrInvalidBundle, path, err)
	}
	return &p, nil
}

func decodeStrict(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return fmt.Errorf("malformed JSON at byte %d: %v", syn.Offset, err)
		}
		return err
	}
	return nil
}

// Create creates container id from bundleDir and starts its compute system
// without running the bundle's process (OCI create).
func (r *Runtime) Create(id, bundleDir string) error {
	_, err := r.create(id, bundleDir, false)
	return err
}

// create validates the bundle, reserves the id and creates and starts the
// compute system. Whatever fails, nothing of the container is left.
func (r *Runtime) create(id, bundleDir string, withProcess bool) (host.ProcessSpec, error) {
	log := r.Log.Session("create", lager.Data{"id": id, "bundle": bundleDir})
	if err := ValidateID(id); err != nil {
		return host.ProcessSpec{}, err
	}
	s, err := LoadBundle(bundleDir)
	if err != nil {
		return host.ProcessSpec{}, err
	}
	cs, err := TranslateContainer(id, s, r.Stat)
	if err != nil {
		return host.ProcessSpec{}, err
	}
	// A bad process spec must fail before a container exists.
	var ps host.ProcessSpec
	if withProcess {
		if ps, err = TranslateProcess(s.Process, false); err != nil {
			return host.ProcessSpec{}, err
		}
	}
	st := State{ID: id, Bundle: bundleDir, Create: r.Now().UTC(), MemoryLimitBytes: uint64(cs.MemoryMaximumMB) * mib}
	lock, err := r.States.Reserve(st)
	if err != nil {
		return host.ProcessSpec{}, err
	}
	fail := func(created bool, err error) (host.ProcessSpec, error) {
		_ = lock.Unlock()
		r.discard(log, id, created)
		return host.ProcessSpec{}, err
	}
	log.Debug("reserved")
	if err := r.Host.CreateContainer(cs); err != nil {
		return fail(false, hresult.Explain("creating container "+id, err))
	}
	if err := r.Host.StartContainer(id); err != nil {
		return fail(true, hresult.Explain("starting container "+id, err))
	}
	if err := r.States.Update(id, func(st *State) error { st.Status = Created; return nil }); err != nil {
		return fail(true, err)
	}
	if err := lock.Unlock(); err != nil {
		return fail(true, err)
	}
	log.Info("created")
	return ps, nil
}

// discard undoes a failed create.
func (r *Runtime) discard(log lager.Logger, id string, created bool) {
	if created {
		if err := r.Host.Terminate(id); err != nil && !hresult.IsNotFound(err) {
			log.Error("terminate-after-failed-create", err)
		}
	}
	if err := r.States.Remove(id); err != nil {
		log.Error("remove-state-after-failed-create", err)
	}
}

// Start runs the bundle's process of a created container, detached.
func (r *Runtime) Start(id, pidFile string) error {
	st, err := r.States.Get(id)
	if err != nil {
		return err
	}
	if st.Status != Created {
		return fmt.Errorf("container %s is %s: only a created container can be started", id, st.Status)
	}
	s, err := LoadBundle(st.Bundle)
	if err != nil {
		return err
	}
	ps, err := TranslateProcess(s.Process, false)
	if err != nil {
		return err
	}
	return r.startDetached(id, ps, pidFile)
}

func (r *Runtime) startDetached(id string, ps host.ProcessSpec, pidFile string) error {
	p, err := r.Host.StartProcess(id, ps)
	if err != nil {
		return hresult.Explain("starting the init process of "+id, err)
	}
	defer p.Close()
	if err := writePidFile(pidFile, p.Pid()); err != nil {
		_ = p.Kill()
		return err
	}
	return r.States.Update(id, func(st *State) error {
		st.Status, st.Pid = Running, p.Pid()
		return nil
	})
}

// Run creates container id and runs its process. Detached, it returns
// once the process has started and the container keeps running; in the
// foreground it proxies stdio, returns the process's exit code, and deletes
// the container when the process has exited.
func (r *Runtime) Run(id, bundleDir, pidFile string, detach bool, stdio Stdio) (int, error) {
	ps, err := r.create(id, bundleDir, true)
	if err != nil {
		return 0, err
	}
	if detach {
		if err := r.startDetached(id, ps, pidFile); err != nil {
			r.discard(r.Log, id, true)
			return 0, err
		}
		return 0, nil
	}
	defer func() {
		if err := r.Delete(id, true); err != nil {
			r.Log.Error("delete-after-run", err)
		}
	}()
	ps.Stdio = true
	return r.runForeground(id, ps, pidFile, stdio, func(pid int) error {
		return r.States.Update(id, func(st *State) error {
			st.Status, st.Pid = Running, pid
			return nil
		})
	})
}

// Exec runs process p in running container id in the foreground and
// returns its exit code.
func (r *Runtime) Exec(id string, p *specs.Process, pidFile string, stdio Stdio) (int, error) {
	ps, err := TranslateProcess(p, true)
	if err != nil {
		return 0, err
	}
	st, err := r.States.Get(id)
	if err != nil {
		return 0, err
	}
	if st.Status != Running && st.Status != Created {
		return 0, fmt.Errorf("container %s is %s: processes run only in a running container", id, st.Status)
	}
	return r.runForeground(id, ps, pidFile, stdio, nil)
}

func (r *Runtime) runForeground(id string, ps host.ProcessSpec, pidFile string, stdio Stdio, started func(pid int) error) (int, error) {
	log := r.Log.Session("process", lager.Data{"id": id})
	p, err := r.Host.StartProcess(id, ps)
	if err != nil {
		return 0, hresult.Explain("starting a process in "+id, err)
	}
	defer p.Close()
	log.Debug("started", lager.Data{"pid": p.Pid(), "user": ps.User, "cwd": ps.WorkingDirectory})
	if err := writePidFile(pidFile, p.Pid()); err != nil {
		_ = p.Kill()
		return 0, err
	}
	if started != nil {
		if err := started(p.Pid()); err != nil {
			_ = p.Kill()
			return 0, err
		}
	}
	code, err := proxy(p, stdio)
	if err == nil {
		log.Debug("exited", lager.Data{"pid": p.Pid(), "exit_code": code})
	}
	return code, err
}

// proxy connects a process to stdio and waits for it. Output is complete
// when proxy returns: it waits for both output pipes to end after the
// process has exited. The process's stdin is closed when stdio.In ends, so
// programs reading to end of input finish.
func proxy(p host.Process, stdio Stdio) (int, error) {
	in, out, errOut := p.Stdio()
	var wg sync.WaitGroup
	copyOut := func(w io.Writer, r io.Reader) {
		defer wg.Done()
		if r == nil {
			return
		}
		if w == nil {
			w = io.Discard
		}
		_, _ = io.Copy(w, r)
	}
	wg.Add(2)
	go copyOut(stdio.Out, out)
	go copyOut(stdio.Err, errOut)
	go func() {
		if stdio.In != nil && in != nil {
			_, _ = io.Copy(in, stdio.In)
		}
		_ = p.CloseStdin()
	}()
	code, err := p.Wait()
	wg.Wait()
	if err != nil {
		return 0, hresult.Explain("waiting for process", err)
	}
	return code, nil
}

func writePidFile(path string, pid int) error {
	if path == "" {
		return nil
	}
	if err := atomicfile.Write(path, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("writing pid file: %w", err)
	}
	return nil
}

// Delete removes container id: its compute system and its state. With
// force a running container is terminated first; without, a running
// container is refused. Deleting a container that does not exist, or a
// second time, succeeds: after a crash, delete is how an operator or gdn
// converges.
func (r *Runtime) Delete(id string, force bool) error {
	log := r.Log.Session("delete", lager.Data{"id": id, "force": force})
	if err := ValidateID(id); err != nil {
		return err
	}
	st, err := r.States.Get(id)
	if errors.Is(err, ErrNotFound) {
		// No state, but a compute system may have leaked from a winc that
		// died after creating it.
		if err := r.Host.Terminate(id); err != nil && !hresult.IsNotFound(err) {
			return hresult.Explain("terminating container "+id, err)
		}
		log.Info("nothing-to-delete")
		return nil
	}
	if err != nil {
		return err
	}
	if !force && st.Status == Running {
		running, err := r.Host.Running(id)
		if err != nil && !hresult.IsNotFound(err) {
			return hresult.Explain("checking container "+id, err)
		}
		if running {
			return fmt.Errorf("container %s is running: stop it first, or delete it with --force", id)
		}
	}
	if err := r.Host.Terminate(id); err != nil && !hresult.IsNotFound(err) && !hresult.IsAlreadyStopped(err) {
		return hresult.Explain("terminating container "+id, err)
	}
	if err := r.States.Remove(id); err != nil {
		return err
	}
	log.Info("deleted")
	return nil
}

// OCIState is winc's answer to `state`: the OCI state with the creation
// time, which gdn reports as the container's age.
type OCIState struct {
	OCIVersion string    `json:"ociVersion"`
	ID         string    `json:"id"`
	Status     Status    `json:"status"`
	Pid        int       `json:"pid"`
	Bundle     string    `json:"bundle"`
	Created    time.Time `json:"created"`
}

// State reports container id's status. A container whose compute system
// is gone (it stopped, or the host rebooted) is stopped, whatever winc
// last wrote.
func (r *Runtime) State(id string) (OCIState, error) {
	if err := ValidateID(id); err != nil {
		return OCIState{}, err
	}
	st, err := r.States.Get(id)
	if err != nil {
		return OCIState{}, err
	}
	status := st.Status
	if status == Creating {
		abandoned, err := r.States.Abandoned(id)
		if err != nil {
			return OCIState{}, err
		}
		if abandoned {
			// Its winc died: nothing will finish the create, and gdn
			// deletes only created, running or stopped containers.
			status = Stopped
		}
	}
	if status == Created || status == Running {
		running, err := r.Host.Running(id)
		if err != nil && !hresult.IsNotFound(err) {
			return OCIState{}, hresult.Explain("checking container "+id, err)
		}
		if !running {
			status = Stopped
		}
	}
	pid := st.Pid
	if status != Running {
		pid = 0
	}
	return OCIState{OCIVersion: specs.Version, ID: id, Status: status, Pid: pid, Bundle: st.Bundle, Created: st.Create}, nil
}

// Kill stops container id: SIGKILL terminates it at once; SIGTERM (and
// SIGINT) ask it to shut down and terminate it if it has not stopped
// within the shutdown timeout.
func (r *Runtime) Kill(id, signal string) error {
	graceful, err := parseSignal(signal)
	if err != nil {
		return err
	}
	st, err := r.States.Get(id)
	if err != nil {
		return err
	}
	if st.Status != Running && st.Status != Created {
		return fmt.Errorf("container %s is %s: there is nothing to kill", id, st.Status)
	}
	stopped := false
	if graceful {
		if stopped, err = r.Host.Shutdown(id, r.ShutdownTimeout); err != nil && !hresult.IsNotFound(err) && !hresult.IsAlreadyStopped(err) {
			r.Log.Info("graceful-shutdown-failed", lager.Data{"id": id, "error": err.Error()})
		}
		if err == nil && !stopped {
			r.Log.Info("shutdown-timed-out-terminating", lager.Data{"id": id, "timeout": r.ShutdownTimeout.String()})
		}
	}
	if !stopped {
		if err := r.Host.Terminate(id); err != nil && !hresult.IsNotFound(err) && !hresult.IsAlreadyStopped(err) {
			return hresult.Explain("terminating container "+id, err)
		}
	}
	return r.States.Update(id, func(st *State) error { st.Status = Stopped; return nil })
}

func parseSignal(s string) (graceful bool, err error) {
	switch strings.TrimPrefix(strings.ToUpper(s), "SIG") {
	case "", "TERM", "15", "INT", "2":
		return true, nil
	case "KILL", "9":
		return false, nil
	}
	return false, fmt.Errorf("signal %q is not supported: Windows containers can be stopped with TERM (graceful, then terminated) or KILL", s)
}
