package jobtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// WindowsMonit is a Windows job's monit file: JSON that the BOSH agent on a
// Windows stemcell turns into Windows services, one per process.
type WindowsMonit struct {
	Processes []WindowsProcess `json:"processes"`
}

// WindowsProcess is one supervised process of a Windows job.
type WindowsProcess struct {
	Name       string            `json:"name"`
	Executable string            `json:"executable"`
	Args       []string          `json:"args"`
	Env        map[string]string `json:"env"`
	Stop       *WindowsStop      `json:"stop,omitempty"`
}

// WindowsStop is the optional command the agent runs to stop a process.
type WindowsStop struct {
	Executable string   `json:"executable"`
	Args       []string `json:"args"`
}

// WindowsMonit parses the rendered monit file as the agent would, and more
// strictly: unknown keys and trailing text are errors, so a template typo
// fails a test instead of a deploy. No processes is fine: the agent installs
// no service for such a job, which only delivers files (winc).
func (r Rendered) WindowsMonit() (WindowsMonit, error) {
	raw, ok := r["monit"]
	if !ok {
		return WindowsMonit{}, errors.New("job rendered no monit file")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	var m WindowsMonit
	if err := dec.Decode(&m); err != nil {
		return WindowsMonit{}, fmt.Errorf("monit is not valid Windows monit JSON: %w\n%s", err, raw)
	}
	if dec.More() {
		return WindowsMonit{}, fmt.Errorf("monit has text after its JSON document:\n%s", raw)
	}
	for i, p := range m.Processes {
		if p.Name == "" || p.Executable == "" {
			return WindowsMonit{}, fmt.Errorf("monit process %d needs a name and an executable", i)
		}
	}
	return m, nil
}
